/**
 * A company's --rate-limit is one budget for every daemon on the database (held in the
 * database, not in each process): two daemons draining one company at 5 msg/s send at most 5 per
 * second together, and each follow-up once.
 *
 * The budget reserves one instant per message, 1/rate apart, for all daemons together; a send
 * never goes out before its instant. It may go after it (a stalled process), so the test holds
 * the guarantees that do not depend on the machine's load: the whole burst takes at least its
 * budget's time (the average rate never exceeds the limit), and a one-second window never holds
 * two seconds' worth (that would take a stall of a whole second in both daemons).
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
    assert.ok(worst < 10, `${worst} messages went out within one second (limit 5/s)`);
    // 30 sends at 5/s from one budget take at least 29 intervals of 200 ms (less a late first send).
    assert.ok(times[times.length - 1]! - times[0]! >= 5_000, `30 messages went out in ${times[times.length - 1]! - times[0]!} ms`);
    // Both daemons took part (the budget is shared, not one daemon doing all the work).
    const sentBy = (out: string) => Number(/once_done sent=(\d+)/.exec(out)?.[1] ?? -1);
    assert.equal(sentBy(a.stderr) + sentBy(b.stderr), 30, `${a.stderr}\n${b.stderr}`);
  } finally {
    await fake.stop();
  }
});
