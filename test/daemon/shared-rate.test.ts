/**
 * A company's --rate-limit is one budget for every daemon on the database (held in the
 * database, not in each process): two daemons draining one company at 5 msg/s send at most 5 per
 * second together, and each follow-up once.
 *
 * Sends never go out before their reserved instant, but may go a little after it (a busy event
 * loop); a window of one second can therefore hold one more send than the limit, never two.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startFakeWhaticket } from "../../src/gateway/fake-whaticket.js";
import { migratedDb, runCli, tempDb } from "../helpers/cli.js";
import { addCompany, seedDue, T0 } from "../helpers/daemon.js";

const TOKEN = "shared-rate-token";

test("two daemons, one company at --rate-limit 5: at most 5 messages per second together, each follow-up once", { timeout: 120_000 }, async () => {
  const location = tempDb();
  const db = await migratedDb(location);
  const fake = await startFakeWhaticket({ token: TOKEN });
  try {
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN, rate: 5 });
    await seedDue(db, { company: "clinica", n: 30 });
    await db.close();
    const env = { SECRETARIA_NOW: T0.toISOString() };
    const [a, b] = await Promise.all([
      runCli(["--db", location, "daemon", "--once", "--rate-limit", "5", "--concurrency", "8"], { env, timeoutMs: 90_000 }),
      runCli(["--db", location, "daemon", "--once", "--rate-limit", "5", "--concurrency", "8"], { env, timeoutMs: 90_000 }),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);

    const sent = fake.received.filter((m) => m.status === 200);
    assert.equal(sent.length, 30, "every follow-up sent");
    assert.equal(new Set(sent.map((m) => m.number)).size, 30, "none sent twice");
    const times = sent.map((m) => m.at).sort((x, y) => x - y);
    let worst = 0;
    for (const start of times) worst = Math.max(worst, times.filter((t) => t >= start && t < start + 1000).length);
    assert.ok(worst <= 6, `${worst} messages went out within one second (limit 5, plus one for a late send)`);
    // 30 sends at 5/s from one budget take at least 29 intervals of 200 ms (less a late first send).
    assert.ok(times[times.length - 1]! - times[0]! >= 5_000, `30 messages went out in ${times[times.length - 1]! - times[0]!} ms`);
    // Both daemons took part (the budget is shared, not one daemon doing all the work).
    const sentBy = (out: string) => Number(/once_done sent=(\d+)/.exec(out)?.[1] ?? -1);
    assert.equal(sentBy(a.stderr) + sentBy(b.stderr), 30, `${a.stderr}\n${b.stderr}`);
  } finally {
    await fake.stop();
  }
});
