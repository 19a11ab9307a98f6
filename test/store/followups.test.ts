import { test, describe, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { iso } from "../../src/clock.js";
import { getAppointment } from "../../src/store/appointments.js";
import { getCompany } from "../../src/store/companies.js";
import { getDaemonState, setDaemonState } from "../../src/store/daemons.js";
import {
  FOLLOWUP_SQL, abortResend, nextDueAt, claimDue, completeResend, leaseForResend, markFailed, markSent, pauseCompany, reclaimExpiredLeases,
  releaseAllClaims, releaseClaim, rescheduleRetry, sweepUnsendable, unpauseCompany,
} from "../../src/store/followups.js";
import { openStore } from "../../src/store/open.js";
import type { Dialect, Params, Q, Store } from "../../src/store/store.js";
import { SQLITE_ONLY, migratedDb, tempDb } from "../helpers/cli.js";
import { addCompany, seedDue, T0 } from "../helpers/daemon.js";

const HOUR = 3_600_000;
const NOW = iso(T0);
const CUTOFF = iso(new Date(T0.getTime() - 12 * HOUR));
const LEASE = iso(new Date(T0.getTime() + 2 * 60_000));

/** A migrated database for this run's engine with companies a and b and n due follow-ups of a; closed when the test ends. */
async function setup(t: TestContext, n = 3) {
  const path = tempDb();
  const db = await migratedDb(path);
  t.after(() => db.close());
  await addCompany(db, "a", { url: "http://127.0.0.1:9", token: "t" });
  await addCompany(db, "b", { url: "http://127.0.0.1:9", token: "t" });
  const ids = await seedDue(db, { company: "a", n });
  return { db, path, ids };
}

function claim(db: Store, over: Partial<Parameters<typeof claimDue>[1]> = {}) {
  return claimDue(db, { companyId: "a", owner: "d1", now: NOW, leaseUntil: LEASE, expiryCutoff: CUTOFF, limit: 10, ...over });
}

/**
 * The statements a repository function runs on `dialect`, recorded by a store that runs nothing
 * (empty results): the query plans below are of exactly the SQL the function sends.
 */
async function sqlOf(dialect: Dialect, fn: (store: Store) => Promise<unknown>): Promise<{ sql: string; params: Params | undefined }[]> {
  const seen: { sql: string; params: Params | undefined }[] = [];
  const q: Q = {
    dialect,
    async all<T>(sql: string, params?: Params) {
      seen.push({ sql, params });
      return [] as T[];
    },
    async get<T>(sql: string, params?: Params) {
      seen.push({ sql, params });
      return undefined as T | undefined;
    },
    async run(sql: string, params?: Params) {
      seen.push({ sql, params });
      return 0;
    },
    async insert(sql: string, params?: Params) {
      seen.push({ sql, params });
      return 0;
    },
    async exec(sql: string) {
      seen.push({ sql, params: undefined });
    },
  };
  const store: Store = { ...q, location: "recorder", tx: (f) => f(q), close: async () => {} };
  await fn(store);
  return seen;
}

describe("claimDue", () => {
  test("claims due rows of one company, oldest first, up to the limit, with a lease", async (t) => {
    const { db } = await setup(t, 0);
    const older = await seedDue(db, { company: "a", n: 1, from: 0, dueAt: new Date(T0.getTime() - 2 * HOUR) });
    const newer = await seedDue(db, { company: "a", n: 2, from: 1, dueAt: new Date(T0.getTime() - HOUR) });
    await seedDue(db, { company: "a", n: 1, from: 3, dueAt: new Date(T0.getTime() + 60_000) }); // not due yet
    await seedDue(db, { company: "b", n: 1, from: 4 });
    const first = await claim(db, { limit: 2 });
    assert.deepEqual(first.map((r) => r.id), [older[0], newer[0]]);
    for (const r of first) {
      // The claim returns only what a send needs; the row itself holds the lease.
      assert.deepEqual(Object.keys(r).sort(), ["client_name", "client_phone", "company_id", "end_time", "followup_attempts", "id", "lease_expires_at"]);
      assert.equal(r.lease_expires_at, LEASE);
      const stored = (await getAppointment(db, r.id))!;
      assert.equal(stored.followup_status, "sending");
      assert.equal(stored.lease_owner, "d1");
    }
    const rest = await claim(db);
    assert.deepEqual(rest.map((r) => r.id), [newer[1]], "the future row and company b's row are not claimed");
    assert.deepEqual(await claim(db), []);
  });

  test("two connections claiming the same rows never both get one", async (t) => {
    const { db, path } = await setup(t, 50);
    const other = await openStore(path);
    t.after(() => other.close());
    const got: number[] = [];
    for (let i = 0; i < 30; i++) {
      // At the same time: on PostgreSQL the two claims race for the same rows (FOR UPDATE SKIP LOCKED).
      const [mine, theirs] = await Promise.all([
        claim(db, { limit: 1 }),
        claimDue(other, { companyId: "a", owner: "d2", now: NOW, leaseUntil: LEASE, expiryCutoff: CUTOFF, limit: 1 }),
      ]);
      got.push(...mine.map((r) => r.id), ...theirs.map((r) => r.id));
    }
    assert.equal(got.length, 50);
    assert.equal(new Set(got).size, 50);
  });

  test("a row that lost consent, was cancelled, or is past the 12 h window is never claimed", async (t) => {
    const { db, ids } = await setup(t, 4);
    await db.run("UPDATE appointments SET allow_followup = 0 WHERE id = ?", [ids[0]]);
    await db.run("UPDATE appointments SET status = 'cancelled' WHERE id = ?", [ids[1]]);
    await db.run("UPDATE appointments SET followup_due_at = ? WHERE id = ?", [iso(new Date(T0.getTime() - 13 * HOUR)), ids[2]]);
    assert.deepEqual((await claim(db)).map((r) => r.id), [ids[3]]);
  });
});

describe("after the send", () => {
  test("markSent / markFailed / rescheduleRetry / releaseClaim only touch rows this owner holds", async (t) => {
    const { db, ids } = await setup(t, 4);
    await claim(db);
    const ref = (id: number, owner = "d1") => ({ id, owner, now: NOW });
    assert.equal(await markSent(db, ref(ids[0]!, "someone-else")), false);
    assert.equal(await markSent(db, ref(ids[0]!)), true);
    assert.equal(await markSent(db, ref(ids[0]!)), false, "not twice");
    let r = (await getAppointment(db, ids[0]!))!;
    assert.equal(r.followup_status, "sent");
    assert.equal(r.followup_sent_at, NOW);
    assert.equal(r.followup_attempts, 1);
    assert.equal(r.lease_owner, null);

    assert.equal(await markFailed(db, { ...ref(ids[1]!), error: "HTTP 400 ERR_WAPP_INVALID_CONTACT" }), true);
    r = (await getAppointment(db, ids[1]!))!;
    assert.equal(r.followup_status, "failed");
    assert.equal(r.followup_last_error, "HTTP 400 ERR_WAPP_INVALID_CONTACT");
    assert.equal(r.followup_attempts, 1);

    const next = iso(new Date(T0.getTime() + 30_000));
    assert.equal(await rescheduleRetry(db, { ...ref(ids[2]!), next, error: "HTTP 500" }), true);
    r = (await getAppointment(db, ids[2]!))!;
    assert.equal(r.followup_status, "scheduled");
    assert.equal(r.followup_next_scheduled, next);
    assert.equal(r.followup_attempts, 1);

    assert.equal(await releaseClaim(db, { ...ref(ids[3]!), error: "HTTP 401" }), true);
    r = (await getAppointment(db, ids[3]!))!;
    assert.equal(r.followup_status, "scheduled");
    assert.equal(r.followup_attempts, 0, "a release burns no attempt");
    assert.equal(r.followup_last_error, "HTTP 401");
    assert.equal(r.followup_next_scheduled, iso(new Date(T0.getTime() - 60_000)), "nor moves the due time");
  });

  test("reclaimExpiredLeases: only leases that ran out go back to scheduled", async (t) => {
    const { db, ids } = await setup(t, 2);
    await claim(db, { limit: 1, leaseUntil: iso(new Date(T0.getTime() - 1)) });
    await claim(db, { limit: 1 });
    assert.equal(await reclaimExpiredLeases(db, NOW), 1);
    assert.equal((await getAppointment(db, ids[0]!))!.followup_status, "scheduled");
    assert.equal((await getAppointment(db, ids[0]!))!.lease_owner, null);
    assert.equal((await getAppointment(db, ids[1]!))!.followup_status, "sending");
  });

  test("releaseAllClaims gives back this owner's rows only", async (t) => {
    const { db, ids } = await setup(t, 2);
    await claim(db, { limit: 1 });
    await claim(db, { limit: 1, owner: "d2" });
    assert.equal(await releaseAllClaims(db, "d1", NOW), 1);
    assert.equal((await getAppointment(db, ids[0]!))!.followup_status, "scheduled");
    assert.equal((await getAppointment(db, ids[1]!))!.followup_status, "sending");
  });
});

describe("sweepUnsendable", () => {
  test("expired, no consent and cancelled due rows become skipped with their reason; audit runs with them", async (t) => {
    const { db, ids } = await setup(t, 5);
    await db.run("UPDATE appointments SET followup_due_at = ? WHERE id = ?", [iso(new Date(T0.getTime() - 12 * HOUR - 1)), ids[0]]);
    await db.run("UPDATE appointments SET allow_followup = 0 WHERE id = ?", [ids[1]]);
    await db.run("UPDATE appointments SET status = 'cancelled' WHERE id = ?", [ids[2]]);
    await db.run("UPDATE appointments SET followup_due_at = ? WHERE id = ?", [iso(new Date(T0.getTime() - 12 * HOUR + 1000)), ids[3]]);
    let audited = 0;
    const rows = await sweepUnsendable(db, { now: NOW, expiryCutoff: CUTOFF }, async (_t, r) => {
      audited += r.length;
    });
    assert.deepEqual(
      rows.map((r) => [r.id, r.followup_skip_reason]).sort(),
      [[ids[0], "expired"], [ids[1], "no_consent"], [ids[2], "cancelled"]].sort(),
    );
    assert.equal(audited, 3);
    assert.equal((await getAppointment(db, ids[3]!))!.followup_status, "scheduled", "11 h 59 late is still sent");
    assert.equal((await getAppointment(db, ids[0]!))!.followup_next_scheduled, null);
  });
});

describe("resend lease", () => {
  test("only sent/feedback/failed rows with consent and no live lease; completeResend resets the answer", async (t) => {
    const { db, ids } = await setup(t, 6);
    const set = (id: number, cols: string) => db.run(`UPDATE appointments SET ${cols} WHERE id = ?`, [id]);
    await set(ids[0]!, "followup_status = 'sent', followup_sent_at = '2026-11-25T10:00:00.000Z'");
    await set(ids[1]!, "followup_status = 'feedback', followup_response = 'feedback', followup_responded_at = '2026-11-25T11:00:00.000Z'");
    await set(ids[2]!, "followup_status = 'positive', followup_response = 'positive'");
    await set(ids[3]!, "followup_status = 'sent', allow_followup = 0");
    await set(ids[4]!, "followup_status = 'failed', followup_last_error = 'HTTP 400'");
    const FAR = "9999-12-31T23:59:59.999Z";
    const lease = (id: number, owner = "r1", sentBefore = FAR) => leaseForResend(db, { id, owner, now: NOW, leaseUntil: LEASE, sentBefore });
    assert.ok(await lease(ids[0]!));
    assert.equal(await lease(ids[0]!, "r2"), undefined, "a second resend while the first holds the lease");
    assert.ok(await lease(ids[1]!));
    assert.equal(await lease(ids[2]!), undefined);
    assert.equal(await lease(ids[3]!), undefined);
    assert.ok(await lease(ids[4]!));
    assert.equal(await lease(ids[5]!), undefined, "scheduled");
    assert.equal(await lease(9999), undefined);

    assert.equal((await getAppointment(db, ids[1]!))!.followup_status, "feedback", "the lease does not change the state");
    assert.equal(await completeResend(db, { id: ids[1]!, owner: "r1", now: NOW }), true);
    const r = (await getAppointment(db, ids[1]!))!;
    assert.equal(r.followup_status, "sent");
    assert.equal(r.followup_response, null);
    assert.equal(r.followup_responded_at, null);
    assert.equal(r.followup_sent_at, NOW);
    assert.equal(r.lease_owner, null);

    assert.equal(await abortResend(db, { id: ids[4]!, owner: "r1", now: NOW, error: "HTTP 400 again" }), true);
    assert.equal((await getAppointment(db, ids[4]!))!.followup_status, "failed");
    assert.equal((await getAppointment(db, ids[4]!))!.followup_last_error, "HTTP 400 again");
    assert.ok(await lease(ids[4]!, "r3"), "free again after the abort");

    // Sent at NOW by the completed resend: a second resend that checked the hold before that send is refused by the lease itself.
    assert.equal(await lease(ids[1]!, "r4", NOW), undefined, "sent at or after sentBefore");
    assert.ok(await lease(ids[1]!, "r4", "2026-12-01T00:00:00.000Z"), "sent before sentBefore");
  });
});

describe("companies and daemon_state", () => {
  test("pause / unpause", async (t) => {
    const { db } = await setup(t, 0);
    await pauseCompany(db, { companyId: "a", reason: "HTTP 401", now: NOW });
    assert.equal((await getCompany(db, "a"))!.paused_reason, "HTTP 401");
    assert.equal((await getCompany(db, "a"))!.paused_at, NOW);
    await unpauseCompany(db, "a");
    assert.equal((await getCompany(db, "a"))!.paused_reason, null);
  });

  test("daemon_state keeps the latest value per key", async (t) => {
    const { db } = await setup(t, 0);
    await setDaemonState(db, { last_tick_at: "x", last_tick_ok: "1" }, NOW);
    await setDaemonState(db, { last_tick_at: "y" }, NOW);
    assert.deepEqual(await getDaemonState(db), { last_tick_at: "y", last_tick_ok: "1" });
  });

  test("the hot-path statements use the indexes they name", { skip: SQLITE_ONLY }, async (t) => {
    const { db } = await setup(t, 0);
    /** EXPLAIN QUERY PLAN of the one statement `fn` runs on SQLite. */
    const plan = async (fn: (s: Store) => Promise<unknown>) => {
      const [stmt, ...more] = await sqlOf("sqlite", fn);
      assert.ok(stmt && more.length === 0, "one statement");
      const rows = await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${stmt.sql}`, stmt.params);
      return rows.map((r) => r.detail).join(" | ");
    };
    // The pick (the recorder finds no row, so no mark follows it), then the mark of one picked row.
    const claimPlan = await plan((s) => claimDue(s, { owner: "o", leaseUntil: "x", now: "x", companyId: "a", expiryCutoff: "x", limit: 5 }));
    assert.match(claimPlan, /appointments_followup_company_due \(company_id=\? AND followup_next_scheduled<\?\)/);
    assert.doesNotMatch(claimPlan, /SCAN/);
    const markPlan = (await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${FOLLOWUP_SQL.claimMark}`, ["o", "x", "x", 1])).map((r) => r.detail).join(" | ");
    assert.match(markPlan, /INTEGER PRIMARY KEY \(rowid=\?\)/, `each picked row is marked by primary key: ${markPlan}`);
    assert.match(await plan((s) => sweepUnsendable(s, { now: "x", expiryCutoff: "x" }, async () => {})), /appointments_followup_due/);
    // Any index that seeks straight to the few rows in 'sending' will do (by lease time or by state).
    assert.match(await plan((s) => reclaimExpiredLeases(s, "x")), /^SEARCH appointments USING (COVERING )?INDEX \w+ \((followup_status=\?|lease_expires_at<\?)/);
    assert.match(await plan((s) => releaseAllClaims(s, "o", "x")), /^SEARCH appointments USING (COVERING )?INDEX \w+ \((followup_status=\?|lease_expires_at)/);
    assert.match(await plan((s) => markSent(s, { id: 1, owner: "o", now: "x" })), /INTEGER PRIMARY KEY/);
  });
});

describe("nextDueAt", () => {
  test("the earliest scheduled due time, or null", async (t) => {
    const { db } = await setup(t, 0);
    assert.equal(await nextDueAt(db), null);
    await seedDue(db, { company: "a", n: 1, from: 0, dueAt: new Date(T0.getTime() + HOUR) });
    await seedDue(db, { company: "b", n: 1, from: 1, dueAt: new Date(T0.getTime() + 2 * HOUR) });
    assert.deepEqual(await nextDueAt(db), new Date(T0.getTime() + HOUR));
    await claim(db);
    assert.deepEqual(await nextDueAt(db), new Date(T0.getTime() + HOUR), "not due yet: not claimed");
    await db.run("UPDATE appointments SET followup_status = 'sent' WHERE company_id = 'a'");
    assert.deepEqual(await nextDueAt(db), new Date(T0.getTime() + 2 * HOUR));
  });

  test("nextDueAt reads the due index", { skip: SQLITE_ONLY }, async (t) => {
    const { db } = await setup(t, 0);
    const [stmt] = await sqlOf("sqlite", (s) => nextDueAt(s));
    const p = (await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${stmt!.sql}`)).map((r) => r.detail).join(" | ");
    assert.match(p, /appointments_followup_(company_)?due/);
  });
});
