/**
 * A long write lock held by another process (an import, a backup, sqlite3 in a shell) must not
 * freeze the daemon: better-sqlite3 is synchronous, so the store waits for the lock with async
 * sleeps, never a blocking busy timeout. /healthz and /metrics answer while the lock is held; a
 * reply posted meanwhile is applied once the lock is free, never lost or answered 5xx.
 *
 * The assertions are about order (an answer arrived while the other process still held the
 * lock), not about durations.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { SQLITE_ONLY } from "../helpers/cli.js";
import { spawnCli } from "../helpers/daemon.js";
import { addSentFollowup, PHONE, replyFixture } from "../helpers/reply-fixtures.js";

const require = createRequire(import.meta.url);
const WEBHOOK_TOKEN = "lock-test-webhook-token-0123456789";

/** Another process that takes the write lock, says so, holds it for `ms`, then commits and exits. */
function holdWriteLock(path: string, ms: number): { locked: Promise<void>; released: Promise<void>; isReleased(): boolean } {
  const code = `
    const Database = require(${JSON.stringify(require.resolve("better-sqlite3"))});
    const db = new Database(${JSON.stringify(path)});
    db.pragma("busy_timeout = 10000");
    db.exec("BEGIN IMMEDIATE");
    db.prepare("INSERT INTO daemon_state (key, value, updated_at) VALUES ('lock_test', 'held', '2026-01-01T00:00:00.000Z') ON CONFLICT (key) DO UPDATE SET value = 'again'").run();
    process.stdout.write("locked\\n");
    setTimeout(() => { db.exec("COMMIT"); db.close(); process.stdout.write("released\\n"); }, ${ms});
  `;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  let released = false;
  const seen = (word: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => out.includes(word) && resolve();
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        if (out.includes("released")) released = true;
        check();
      });
      child.on("close", () => (out.includes(word) ? resolve() : reject(new Error(`the lock holder exited before "${word}"`))));
    });
  return { locked: seen("locked"), released: seen("released"), isReleased: () => released };
}

test("another process holds the write lock: /healthz and /metrics answer meanwhile, a reply waits and is applied after", { skip: SQLITE_ONLY, timeout: 90_000 }, async () => {
  const f = await replyFixture({ whaticketUrl: "http://127.0.0.1:9", whaticketToken: "tok-lock-test" });
  const id = await addSentFollowup(f, { externalId: "lock-1" });
  await f.db.close();

  const d = spawnCli(["--db", f.dbPath, "daemon", "--port", "0", "--rate-limit", "0"], {
    SECRETARIA_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
    SECRETARIA_NOW: "2026-11-30T19:30:00.000Z",
  });
  try {
    await d.waitForStderr(/daemon_started url=http:\/\/127\.0\.0\.1:\d+/);
    const url = /daemon_started url=(http:\/\/127\.0\.0\.1:\d+)/.exec(d.stderr())![1]!;

    const lock = holdWriteLock(f.dbPath, 6_000);
    await lock.locked;
    // A reply arrives while the lock is held: its transaction must wait, asynchronously.
    const reply = fetch(`${url}/webhooks/whaticket?token=${WEBHOOK_TOKEN}`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ number: PHONE, body: "Não, obrigado", messageId: "lock-msg-1" }),
    }).then(async (r) => ({ status: r.status, body: await r.text(), releasedBefore: lock.isReleased() }));

    const health = await fetch(`${url}/healthz`);
    assert.equal(lock.isReleased(), false, "/healthz answered only after the other process let go of the lock");
    assert.equal(health.status, 200);
    const metrics = await fetch(`${url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /secretaria_appointment_followups_sent_total/);
    assert.equal(lock.isReleased(), false, "/metrics answered only after the lock was released");

    await lock.released;
    const r = await reply;
    assert.equal(r.status, 200, r.body);
    assert.equal(r.releasedBefore, true, "the reply was answered before the lock was free: it cannot have been applied");
    assert.equal(JSON.parse(r.body).response, "negative");
  } finally {
    d.child.kill("SIGTERM");
    await d.exited;
  }
  const { openStore } = await import("../../src/store/open.js");
  const db = await openStore(f.dbPath);
  try {
    const row = await db.get<{ followup_response: string }>("SELECT followup_response FROM appointments WHERE id = ?", [id]);
    assert.equal(row?.followup_response, "negative");
    const inbound = await db.get<{ n: number }>("SELECT count(*) AS n FROM inbound_messages WHERE message_id = 'lock-msg-1'");
    assert.equal(inbound?.n, 1);
  } finally {
    await db.close();
  }
});
