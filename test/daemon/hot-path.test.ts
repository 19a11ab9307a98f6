import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { iso } from "../../src/clock.js";
import { SqliteHotPathThread } from "../../src/daemon/hot-path.js";
import type { SendOutcome } from "../../src/gateway/whaticket.js";
import { planOutcome, retrySettings } from "../../src/services/followup-service.js";
import { getCompany } from "../../src/store/companies.js";
import { isUserError } from "../../src/errors.js";
import { migratedDb, tempDir, tempSqliteDb } from "../helpers/cli.js";
import { addCompany, seedDue, T0 } from "../helpers/daemon.js";

/**
 * The SQLite hot path on its worker thread (src/daemon/hot-path.ts): a second connection to the
 * same file, in a real thread, the same claim and group commit as in process. (The daemon's CLI
 * tests run it too: `daemon` on SQLite uses it.)
 */
const ONLY_SQLITE = process.env.SECRETARIA_TEST_ENGINE === "postgres" ? "the thread serves SQLite only; PostgreSQL claims in process" : false;
const sent: SendOutcome = { kind: "sent", status: 200, durationMs: 1, messageId: "wamid-1" };
const policy = retrySettings({ maxAttempts: 5, random: () => 0.5 });
const claimParams = (limit: number, owner = "o") => ({
  companyId: "a", owner, now: iso(T0), leaseUntil: iso(new Date(T0.getTime() + 60_000)), expiryCutoff: "0", limit,
});

/** A migrated file with company "a" and `due` follow-ups due, and a hot-path thread on it. */
async function threadOn(due: number) {
  const file = tempSqliteDb();
  const db = await migratedDb(file);
  await addCompany(db, "a", { url: "http://127.0.0.1:9", token: "t" });
  await seedDue(db, { company: "a", n: due });
  return { db, thread: await SqliteHotPathThread.start(file) };
}

describe("the SQLite hot path on a worker thread", { skip: ONLY_SQLITE }, () => {
  test("claims and records in one transaction on the thread; a row taken over is not written; the main connection sees it all", async () => {
    const { db, thread } = await threadOn(5);
    try {
      const rows = await thread.claim(claimParams(4));
      assert.equal(rows.length, 4);
      assert.deepEqual(Object.keys(rows[0]!).sort(), ["client_name", "client_phone", "company_id", "end_time", "followup_attempts", "id", "lease_expires_at"]);
      // Claimed on the thread, visible to the other connection at once (committed).
      assert.equal((await db.get<{ n: number }>("SELECT count(*) AS n FROM appointments WHERE followup_status = 'sending' AND lease_owner = 'o'"))!.n, 4);
      // One row's lease was taken over meanwhile: its outcome must not land on it.
      await db.run("UPDATE appointments SET lease_owner = 'other' WHERE id = ?", [rows[3]!.id]);
      const company = (await getCompany(db, "a"))!;
      const results = await thread.record(rows.map((r) => planOutcome(policy, company, r, "o", sent, T0)));
      assert.deepEqual(results, [true, true, true, false]);
      const states = await db.all<{ followup_status: string; n: number }>("SELECT followup_status, count(*) AS n FROM appointments GROUP BY followup_status ORDER BY followup_status");
      assert.deepEqual(states, [{ followup_status: "scheduled", n: 1 }, { followup_status: "sending", n: 1 }, { followup_status: "sent", n: 3 }]);
      // Every message that went out has its audit row, the lost lease said so.
      const audits = await db.all<{ payload: string }>("SELECT payload FROM audit_log WHERE action = 'followup_sent' ORDER BY id");
      assert.equal(audits.length, 4);
      assert.equal(audits.filter((a) => JSON.parse(a.payload).lease_lost === true).length, 1);
      assert.equal(JSON.parse(audits[0]!.payload).message_id, "wamid-1");
    } finally {
      await thread.close();
      await db.close();
    }
  });

  test("a write lock held by the main connection is waited for, not failed", async () => {
    const { db, thread } = await threadOn(3);
    try {
      let claim: Promise<unknown> | undefined;
      await db.tx(async (t) => {
        await t.run("UPDATE companies SET name = 'held' WHERE id = 'a'");
        claim = thread.claim(claimParams(3));
        // The thread is blocked on the lock while this transaction lives (bounded: 150 ms).
        await new Promise((r) => setTimeout(r, 150));
      });
      assert.equal((await claim as unknown[]).length, 3);
    } finally {
      await thread.close();
      await db.close();
    }
  });

  test("a file that cannot be opened is one clear error; calls after close() are refused", async () => {
    await assert.rejects(SqliteHotPathThread.start(join(tempDir(), "missing", "nope.db")), (err: Error) => isUserError(err) && /no database at .*secretaria migrate/.test(err.message));
    const file = tempSqliteDb();
    const db = await migratedDb(file);
    await db.close();
    const thread = await SqliteHotPathThread.start(file);
    await thread.close();
    await assert.rejects(thread.claim(claimParams(1)), /closed/);
    await thread.close();
  });
});
