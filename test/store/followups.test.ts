import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { iso } from "../../src/clock.js";
import { getAppointment } from "../../src/store/appointments.js";
import { openDb } from "../../src/store/db.js";
import {
  FOLLOWUP_SQL, abortResend, nextDueAt, claimDue, completeResend, getDaemonState, leaseForResend, markFailed, markSent, pauseCompany, reclaimExpiredLeases,
  releaseAllClaims, releaseClaim, rescheduleRetry, setDaemonState, sweepUnsendable, unpauseCompany,
} from "../../src/store/followups.js";
import { getCompany } from "../../src/store/companies.js";
import { migratedDb, tempDb } from "../helpers/cli.js";
import { addCompany, seedDue, T0 } from "../helpers/daemon.js";

const HOUR = 3_600_000;
const NOW = iso(T0);
const CUTOFF = iso(new Date(T0.getTime() - 12 * HOUR));
const LEASE = iso(new Date(T0.getTime() + 2 * 60_000));

function setup(n = 3) {
  const path = tempDb();
  const db = migratedDb(path);
  addCompany(db, "a", { url: "http://127.0.0.1:9", token: "t" });
  addCompany(db, "b", { url: "http://127.0.0.1:9", token: "t" });
  const ids = seedDue(db, { company: "a", n });
  return { db, path, ids };
}

function claim(db: ReturnType<typeof setup>["db"], over: Partial<Parameters<typeof claimDue>[1]> = {}) {
  return claimDue(db, { companyId: "a", owner: "d1", now: NOW, leaseUntil: LEASE, expiryCutoff: CUTOFF, limit: 10, ...over });
}

describe("claimDue", () => {
  test("claims due rows of one company, oldest first, up to the limit, with a lease", () => {
    const { db } = setup(0);
    const older = seedDue(db, { company: "a", n: 1, from: 0, dueAt: new Date(T0.getTime() - 2 * HOUR) });
    const newer = seedDue(db, { company: "a", n: 2, from: 1, dueAt: new Date(T0.getTime() - HOUR) });
    seedDue(db, { company: "a", n: 1, from: 3, dueAt: new Date(T0.getTime() + 60_000) }); // not due yet
    seedDue(db, { company: "b", n: 1, from: 4 });
    const first = claim(db, { limit: 2 });
    assert.deepEqual(first.map((r) => r.id), [older[0], newer[0]]);
    for (const r of first) {
      assert.equal(r.followup_status, "sending");
      assert.equal(r.lease_owner, "d1");
      assert.equal(r.lease_expires_at, LEASE);
    }
    const rest = claim(db);
    assert.deepEqual(rest.map((r) => r.id), [newer[1]], "the future row and company b's row are not claimed");
    assert.deepEqual(claim(db), []);
  });

  test("two connections claiming the same rows never both get one", () => {
    const { db, path } = setup(50);
    const other = openDb(path);
    const got: number[] = [];
    for (let i = 0; i < 30; i++) {
      got.push(...claim(db, { limit: 1 }).map((r) => r.id));
      got.push(...claimDue(other, { companyId: "a", owner: "d2", now: NOW, leaseUntil: LEASE, expiryCutoff: CUTOFF, limit: 1 }).map((r) => r.id));
    }
    other.close();
    assert.equal(got.length, 50);
    assert.equal(new Set(got).size, 50);
  });

  test("a row that lost consent, was cancelled, or is past the 12 h window is never claimed", () => {
    const { db, ids } = setup(4);
    db.prepare("UPDATE appointments SET allow_followup = 0 WHERE id = ?").run(ids[0]);
    db.prepare("UPDATE appointments SET status = 'cancelled' WHERE id = ?").run(ids[1]);
    db.prepare("UPDATE appointments SET followup_due_at = ? WHERE id = ?").run(iso(new Date(T0.getTime() - 13 * HOUR)), ids[2]);
    assert.deepEqual(claim(db).map((r) => r.id), [ids[3]]);
  });
});

describe("after the send", () => {
  test("markSent / markFailed / rescheduleRetry / releaseClaim only touch rows this owner holds", () => {
    const { db, ids } = setup(4);
    claim(db);
    const ref = (id: number, owner = "d1") => ({ id, owner, now: NOW });
    assert.equal(markSent(db, ref(ids[0]!, "someone-else")), false);
    assert.equal(markSent(db, ref(ids[0]!)), true);
    assert.equal(markSent(db, ref(ids[0]!)), false, "not twice");
    let r = getAppointment(db, ids[0]!)!;
    assert.equal(r.followup_status, "sent");
    assert.equal(r.followup_sent_at, NOW);
    assert.equal(r.followup_attempts, 1);
    assert.equal(r.lease_owner, null);

    assert.equal(markFailed(db, { ...ref(ids[1]!), error: "HTTP 400 ERR_WAPP_INVALID_CONTACT" }), true);
    r = getAppointment(db, ids[1]!)!;
    assert.equal(r.followup_status, "failed");
    assert.equal(r.followup_last_error, "HTTP 400 ERR_WAPP_INVALID_CONTACT");
    assert.equal(r.followup_attempts, 1);

    const next = iso(new Date(T0.getTime() + 30_000));
    assert.equal(rescheduleRetry(db, { ...ref(ids[2]!), next, error: "HTTP 500" }), true);
    r = getAppointment(db, ids[2]!)!;
    assert.equal(r.followup_status, "scheduled");
    assert.equal(r.followup_next_scheduled, next);
    assert.equal(r.followup_attempts, 1);

    assert.equal(releaseClaim(db, { ...ref(ids[3]!), error: "HTTP 401" }), true);
    r = getAppointment(db, ids[3]!)!;
    assert.equal(r.followup_status, "scheduled");
    assert.equal(r.followup_attempts, 0, "a release burns no attempt");
    assert.equal(r.followup_last_error, "HTTP 401");
    assert.equal(r.followup_next_scheduled, iso(new Date(T0.getTime() - 60_000)), "nor moves the due time");
  });

  test("reclaimExpiredLeases: only leases that ran out go back to scheduled", () => {
    const { db, ids } = setup(2);
    claim(db, { limit: 1, leaseUntil: iso(new Date(T0.getTime() - 1)) });
    claim(db, { limit: 1 });
    assert.equal(reclaimExpiredLeases(db, NOW), 1);
    assert.equal(getAppointment(db, ids[0]!)!.followup_status, "scheduled");
    assert.equal(getAppointment(db, ids[0]!)!.lease_owner, null);
    assert.equal(getAppointment(db, ids[1]!)!.followup_status, "sending");
  });

  test("releaseAllClaims gives back this owner's rows only", () => {
    const { db, ids } = setup(2);
    claim(db, { limit: 1 });
    claim(db, { limit: 1, owner: "d2" });
    assert.equal(releaseAllClaims(db, "d1", NOW), 1);
    assert.equal(getAppointment(db, ids[0]!)!.followup_status, "scheduled");
    assert.equal(getAppointment(db, ids[1]!)!.followup_status, "sending");
  });
});

describe("sweepUnsendable", () => {
  test("expired, no consent and cancelled due rows become skipped with their reason; audit runs with them", () => {
    const { db, ids } = setup(5);
    db.prepare("UPDATE appointments SET followup_due_at = ? WHERE id = ?").run(iso(new Date(T0.getTime() - 12 * HOUR - 1)), ids[0]);
    db.prepare("UPDATE appointments SET allow_followup = 0 WHERE id = ?").run(ids[1]);
    db.prepare("UPDATE appointments SET status = 'cancelled' WHERE id = ?").run(ids[2]);
    db.prepare("UPDATE appointments SET followup_due_at = ? WHERE id = ?").run(iso(new Date(T0.getTime() - 12 * HOUR + 1000)), ids[3]);
    let audited = 0;
    const rows = sweepUnsendable(db, { now: NOW, expiryCutoff: CUTOFF }, (r) => (audited += r.length));
    assert.deepEqual(
      rows.map((r) => [r.id, r.followup_skip_reason]).sort(),
      [[ids[0], "expired"], [ids[1], "no_consent"], [ids[2], "cancelled"]].sort(),
    );
    assert.equal(audited, 3);
    assert.equal(getAppointment(db, ids[3]!)!.followup_status, "scheduled", "11 h 59 late is still sent");
    assert.equal(getAppointment(db, ids[0]!)!.followup_next_scheduled, null);
  });
});

describe("resend lease", () => {
  test("only sent/feedback/failed rows with consent and no live lease; completeResend resets the answer", () => {
    const { db, ids } = setup(6);
    const set = (id: number, cols: string) => db.prepare(`UPDATE appointments SET ${cols} WHERE id = ?`).run(id);
    set(ids[0]!, "followup_status = 'sent', followup_sent_at = '2026-11-25T10:00:00.000Z'");
    set(ids[1]!, "followup_status = 'feedback', followup_response = 'feedback', followup_responded_at = '2026-11-25T11:00:00.000Z'");
    set(ids[2]!, "followup_status = 'positive', followup_response = 'positive'");
    set(ids[3]!, "followup_status = 'sent', allow_followup = 0");
    set(ids[4]!, "followup_status = 'failed', followup_last_error = 'HTTP 400'");
    const lease = (id: number, owner = "r1") => leaseForResend(db, { id, owner, now: NOW, leaseUntil: LEASE });
    assert.ok(lease(ids[0]!));
    assert.equal(lease(ids[0]!, "r2"), undefined, "a second resend while the first holds the lease");
    assert.ok(lease(ids[1]!));
    assert.equal(lease(ids[2]!), undefined);
    assert.equal(lease(ids[3]!), undefined);
    assert.ok(lease(ids[4]!));
    assert.equal(lease(ids[5]!), undefined, "scheduled");
    assert.equal(lease(9999), undefined);

    assert.equal(getAppointment(db, ids[1]!)!.followup_status, "feedback", "the lease does not change the state");
    assert.equal(completeResend(db, { id: ids[1]!, owner: "r1", now: NOW }), true);
    const r = getAppointment(db, ids[1]!)!;
    assert.equal(r.followup_status, "sent");
    assert.equal(r.followup_response, null);
    assert.equal(r.followup_responded_at, null);
    assert.equal(r.followup_sent_at, NOW);
    assert.equal(r.lease_owner, null);

    assert.equal(abortResend(db, { id: ids[4]!, owner: "r1", now: NOW, error: "HTTP 400 again" }), true);
    assert.equal(getAppointment(db, ids[4]!)!.followup_status, "failed");
    assert.equal(getAppointment(db, ids[4]!)!.followup_last_error, "HTTP 400 again");
    assert.ok(lease(ids[4]!, "r3"), "free again after the abort");
  });
});

describe("companies and daemon_state", () => {
  test("pause / unpause", () => {
    const { db } = setup(0);
    pauseCompany(db, { companyId: "a", reason: "HTTP 401", now: NOW });
    assert.equal(getCompany(db, "a")!.paused_reason, "HTTP 401");
    assert.equal(getCompany(db, "a")!.paused_at, NOW);
    unpauseCompany(db, "a");
    assert.equal(getCompany(db, "a")!.paused_reason, null);
  });

  test("daemon_state keeps the latest value per key", () => {
    const { db } = setup(0);
    setDaemonState(db, { last_tick_at: "x", last_tick_ok: "1" }, NOW);
    setDaemonState(db, { last_tick_at: "y" }, NOW);
    assert.deepEqual(getDaemonState(db), { last_tick_at: "y", last_tick_ok: "1" });
  });

  test("the hot-path statements use the indexes they name", () => {
    const { db } = setup(0);
    const plan = (name: keyof typeof FOLLOWUP_SQL, params: Record<string, unknown>) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${FOLLOWUP_SQL[name]}`).all(params) as { detail: string }[]).map((r) => r.detail).join(" | ");
    const claimPlan = plan("claimDue", { owner: "o", leaseUntil: "x", now: "x", companyId: "a", expiryCutoff: "x", limit: 5 });
    assert.match(claimPlan, /appointments_followup_company_due \(company_id=\? AND followup_next_scheduled<\?\)/);
    assert.match(claimPlan, /INTEGER PRIMARY KEY \(rowid=\?\)/, `the outer update goes by primary key: ${claimPlan}`);
    assert.doesNotMatch(claimPlan, /SCAN/);
    assert.match(plan("sweepUnsendable", { now: "x", expiryCutoff: "x" }), /appointments_followup_due/);
    // Any index that seeks straight to the few rows in 'sending' will do (by lease time or by state).
    assert.match(plan("reclaimExpiredLeases", { now: "x" }), /^SEARCH appointments USING (COVERING )?INDEX \w+ \((followup_status=\?|lease_expires_at<\?)/);
    assert.match(plan("releaseAllClaims", { owner: "o", now: "x" }), /^SEARCH appointments USING (COVERING )?INDEX \w+ \((followup_status=\?|lease_expires_at)/);
    assert.match(plan("markSent", { id: 1, owner: "o", now: "x" }), /INTEGER PRIMARY KEY/);
  });
});

describe("nextDueAt", () => {
  test("the earliest scheduled due time, or null", () => {
    const { db } = setup(0);
    assert.equal(nextDueAt(db), null);
    seedDue(db, { company: "a", n: 1, from: 0, dueAt: new Date(T0.getTime() + HOUR) });
    seedDue(db, { company: "b", n: 1, from: 1, dueAt: new Date(T0.getTime() + 2 * HOUR) });
    assert.deepEqual(nextDueAt(db), new Date(T0.getTime() + HOUR));
    claim(db);
    assert.deepEqual(nextDueAt(db), new Date(T0.getTime() + HOUR), "not due yet: not claimed");
    db.prepare("UPDATE appointments SET followup_status = 'sent' WHERE company_id = 'a'").run();
    assert.deepEqual(nextDueAt(db), new Date(T0.getTime() + 2 * HOUR));
    const p = (db.prepare(`EXPLAIN QUERY PLAN ${FOLLOWUP_SQL.nextDueAt}`).all() as { detail: string }[]).map((r) => r.detail).join(" | ");
    assert.match(p, /appointments_followup_(company_)?due/);
  });
});
