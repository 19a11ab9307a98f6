import type { Statement } from "better-sqlite3";
import type { AppointmentRow } from "./appointments.js";
import { immediate, type Db } from "./db.js";

/**
 * The delivery hot path: every query the daemon and `followups resend` run, once each, with the
 * index it relies on. Instants are UTC ISO-8601 strings (iso()), so string order is time order.
 *
 * Writes run under BEGIN IMMEDIATE: the write lock is taken before the statement reads, so two
 * daemons on one file serialise their claims instead of one failing on a stale snapshot. Every
 * change after a claim is conditional on the lease owner, so a daemon whose lease was taken over
 * never overwrites the other's work.
 */
export const FOLLOWUP_SQL = {
  /**
   * Up to @limit due follow-ups of one company: scheduled → sending with this daemon's lease.
   * Consent, a booked appointment and the 12 h window are checked in the claim itself, so a row
   * that lost consent or was cancelled after the tick's sweep is never sent.
   * Index: appointments_followup_company_due (company_id, followup_next_scheduled) WHERE scheduled;
   * the outer UPDATE finds the chosen rows by primary key (no other condition there, or SQLite
   * scans every scheduled row to test the IN list).
   */
  claimDue: `
    UPDATE appointments
       SET followup_status = 'sending', lease_owner = @owner, lease_expires_at = @leaseUntil, updated_at = @now
     WHERE id IN (SELECT id FROM appointments
                   WHERE company_id = @companyId AND followup_status = 'scheduled' AND followup_next_scheduled <= @now
                     AND allow_followup = 1 AND status = 'booked'
                     AND COALESCE(followup_due_at, followup_next_scheduled) >= @expiryCutoff
                   ORDER BY followup_next_scheduled
                   LIMIT @limit)
    RETURNING *`,

  /**
   * Crash recovery: rows left in 'sending' whose lease ran out go back to scheduled (due now if
   * they had no time). The attempt is not counted: nobody knows whether Whaticket got the message.
   * Index: appointments_followup_lease (lease_expires_at) WHERE sending, or any index led by
   * followup_status: either way only the few rows in 'sending' are read.
   */
  reclaimExpiredLeases: `
    UPDATE appointments
       SET followup_status = 'scheduled', followup_next_scheduled = COALESCE(followup_next_scheduled, @now),
           lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
     WHERE followup_status = 'sending' AND lease_expires_at < @now`,

  /**
   * The tick's sweep: due rows more than 12 h past their original due time become skipped/expired
   * (nobody is greeted about "a reunião de hoje" days later); due rows whose appointment lost
   * consent or was cancelled become skipped with that reason.
   * Index: appointments_followup_due (followup_next_scheduled) WHERE scheduled, forced: without
   * statistics SQLite prefers an index on followup_status and reads every future follow-up too.
   */
  sweepUnsendable: `
    UPDATE appointments INDEXED BY appointments_followup_due
       SET followup_status = 'skipped',
           followup_skip_reason = CASE WHEN status <> 'booked' THEN 'cancelled'
                                       WHEN allow_followup = 0 THEN 'no_consent'
                                       ELSE 'expired' END,
           followup_next_scheduled = NULL, updated_at = @now
     WHERE followup_status = 'scheduled' AND followup_next_scheduled <= @now
       AND (status <> 'booked' OR allow_followup = 0 OR COALESCE(followup_due_at, followup_next_scheduled) < @expiryCutoff)
    RETURNING id, company_id, followup_skip_reason`,

  /** Whaticket took the message: sent, awaiting a reply. Index: primary key. */
  markSent: `
    UPDATE appointments
       SET followup_status = 'sent', followup_sent_at = @now, followup_next_scheduled = NULL,
           followup_attempts = followup_attempts + 1, followup_last_error = NULL,
           followup_response = NULL, followup_responded_at = NULL, followup_offered_slots = NULL,
           lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
     WHERE id = @id AND followup_status = 'sending' AND lease_owner = @owner`,

  /** A transient failure with attempts left: back to scheduled at @next, the attempt counted. Index: primary key. */
  rescheduleRetry: `
    UPDATE appointments
       SET followup_status = 'scheduled', followup_next_scheduled = @next,
           followup_attempts = followup_attempts + 1, followup_last_error = @error,
           lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
     WHERE id = @id AND followup_status = 'sending' AND lease_owner = @owner`,

  /** Permanent failure, or attempts spent: failed, the last error kept. Index: primary key. */
  markFailed: `
    UPDATE appointments
       SET followup_status = 'failed', followup_next_scheduled = NULL,
           followup_attempts = followup_attempts + 1, followup_last_error = @error,
           lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
     WHERE id = @id AND followup_status = 'sending' AND lease_owner = @owner`,

  /**
   * The company's Whaticket setup is wrong: back to scheduled without burning the attempt or
   * moving the due time (the error is kept for the operator). Index: primary key.
   */
  releaseClaim: `
    UPDATE appointments
       SET followup_status = 'scheduled', followup_last_error = COALESCE(@error, followup_last_error),
           lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
     WHERE id = @id AND followup_status = 'sending' AND lease_owner = @owner`,

  /** Graceful stop: every row this daemon still holds goes back to scheduled. Index: as reclaimExpiredLeases. */
  releaseAllClaims: `
    UPDATE appointments
       SET followup_status = 'scheduled', followup_next_scheduled = COALESCE(followup_next_scheduled, @now),
           lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
     WHERE followup_status = 'sending' AND lease_owner = @owner`,

  /**
   * `followups resend`: a lease on a follow-up that may be resent (sent, feedback or failed, with
   * consent, booked, no live lease), its state unchanged: two resends cannot both send, and a
   * crash leaves the row as it was once the lease runs out. Index: primary key.
   */
  leaseForResend: `
    UPDATE appointments
       SET lease_owner = @owner, lease_expires_at = @leaseUntil, updated_at = @now
     WHERE id = @id AND allow_followup = 1 AND status = 'booked'
       AND followup_status IN ('sent', 'feedback', 'failed')
       AND (lease_expires_at IS NULL OR lease_expires_at < @now)
    RETURNING *`,

  /** The resend went out: awaiting a reply again (answer and offered slots cleared). Index: primary key. */
  completeResend: `
    UPDATE appointments
       SET followup_status = 'sent', followup_sent_at = @now, followup_next_scheduled = NULL,
           followup_attempts = followup_attempts + 1, followup_last_error = NULL,
           followup_response = NULL, followup_responded_at = NULL, followup_offered_slots = NULL,
           lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
     WHERE id = @id AND lease_owner = @owner`,

  /** The resend did not go out: the row stays as it was, with the error kept. Index: primary key. */
  abortResend: `
    UPDATE appointments
       SET followup_last_error = @error, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
     WHERE id = @id AND lease_owner = @owner`,

  /** When the next scheduled follow-up is due (the demo's simulated clock jumps there). Index: appointments_followup_due (its first entry), forced as in the sweep. */
  nextDueAt: `
    SELECT followup_next_scheduled AS due FROM appointments INDEXED BY appointments_followup_due
     WHERE followup_status = 'scheduled' AND followup_next_scheduled IS NOT NULL
     ORDER BY followup_next_scheduled LIMIT 1`,

  pauseCompany: "UPDATE companies SET paused_reason = @reason, paused_at = @now WHERE id = @companyId",
  unpauseCompany: "UPDATE companies SET paused_reason = NULL, paused_at = NULL WHERE id = ? AND paused_reason IS NOT NULL",
  setDaemonState: `
    INSERT INTO daemon_state (key, value, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
  getDaemonState: "SELECT key, value FROM daemon_state",
} as const;

/** Statements prepared once per connection: the hot path runs them thousands of times. */
const prepared = new WeakMap<Db, Map<string, Statement>>();
function stmt(db: Db, name: keyof typeof FOLLOWUP_SQL): Statement {
  let m = prepared.get(db);
  if (!m) prepared.set(db, (m = new Map()));
  let s = m.get(name);
  if (!s) m.set(name, (s = db.prepare(FOLLOWUP_SQL[name])));
  return s;
}

export interface ClaimParams {
  companyId: string;
  owner: string;
  now: string;
  leaseUntil: string;
  /** Rows whose due time is before this are expired, never sent (now − 12 h). */
  expiryCutoff: string;
  limit: number;
}

/**
 * Fault injection for the chaos suite only (`npm run chaos -- --break-lease`), never for production:
 * with SECRETARIA_UNSAFE_NO_LEASE=1 a claim also takes rows another daemon holds ('sending'), as if
 * there were no lease, so the suite can show that its checks catch the double sends that follow.
 */
const UNSAFE_NO_LEASE = process.env.SECRETARIA_UNSAFE_NO_LEASE === "1";
const CLAIM_IGNORING_LEASES = FOLLOWUP_SQL.claimDue.replace("followup_status = 'scheduled' AND", "followup_status IN ('scheduled', 'sending') AND");

export function claimDue(db: Db, p: ClaimParams): AppointmentRow[] {
  if (UNSAFE_NO_LEASE) return immediate(db, () => db.prepare(CLAIM_IGNORING_LEASES).all(p) as AppointmentRow[]);
  return immediate(db, () => stmt(db, "claimDue").all(p) as AppointmentRow[]);
}

export function reclaimExpiredLeases(db: Db, now: string): number {
  return immediate(db, () => stmt(db, "reclaimExpiredLeases").run({ now }).changes);
}

export interface SkippedRow {
  id: number;
  company_id: string;
  followup_skip_reason: "expired" | "no_consent" | "cancelled";
}

/** Runs the sweep; `audit` is called in the same transaction with the rows it changed. */
export function sweepUnsendable(db: Db, p: { now: string; expiryCutoff: string }, audit: (rows: SkippedRow[]) => void): SkippedRow[] {
  return immediate(db, () => {
    const rows = stmt(db, "sweepUnsendable").all(p) as SkippedRow[];
    if (rows.length) audit(rows);
    return rows;
  });
}

export interface LeaseRef {
  id: number;
  owner: string;
  now: string;
}

/** Call inside the transaction that writes the audit. False when this owner no longer holds the row. */
export function markSent(db: Db, r: LeaseRef): boolean {
  return stmt(db, "markSent").run(r).changes === 1;
}

export function rescheduleRetry(db: Db, r: LeaseRef & { next: string; error: string }): boolean {
  return stmt(db, "rescheduleRetry").run(r).changes === 1;
}

export function markFailed(db: Db, r: LeaseRef & { error: string }): boolean {
  return stmt(db, "markFailed").run(r).changes === 1;
}

export function releaseClaim(db: Db, r: LeaseRef & { error: string | null }): boolean {
  return stmt(db, "releaseClaim").run(r).changes === 1;
}

export function releaseAllClaims(db: Db, owner: string, now: string): number {
  return immediate(db, () => stmt(db, "releaseAllClaims").run({ owner, now }).changes);
}

/** Undefined when refused or unknown (the caller reads the row to say why). */
export function leaseForResend(db: Db, p: { id: number; owner: string; now: string; leaseUntil: string }): AppointmentRow | undefined {
  return immediate(db, () => stmt(db, "leaseForResend").get(p) as AppointmentRow | undefined);
}

/** Call inside the transaction that writes the audit. */
export function completeResend(db: Db, r: LeaseRef): boolean {
  return stmt(db, "completeResend").run(r).changes === 1;
}

export function abortResend(db: Db, r: LeaseRef & { error: string }): boolean {
  return immediate(db, () => stmt(db, "abortResend").run(r).changes === 1);
}

/** The earliest due time among scheduled follow-ups, or null when none is scheduled. */
export function nextDueAt(db: Db): Date | null {
  const row = stmt(db, "nextDueAt").get() as { due: string | null } | undefined;
  return row?.due ? new Date(row.due) : null;
}

/** Whaticket refused the company's token or connection: stop sending for it until fixed or re-probed. */
export function pauseCompany(db: Db, p: { companyId: string; reason: string; now: string }): void {
  stmt(db, "pauseCompany").run(p);
}

/** A send for a paused company went through: it is healthy again. */
export function unpauseCompany(db: Db, companyId: string): void {
  stmt(db, "unpauseCompany").run(companyId);
}

export function setDaemonState(db: Db, values: Record<string, string>, now: string): void {
  immediate(db, () => {
    for (const [k, v] of Object.entries(values)) stmt(db, "setDaemonState").run(k, v, now);
  });
}

export function getDaemonState(db: Db): Record<string, string> {
  const rows = stmt(db, "getDaemonState").all() as { key: string; value: string }[];
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}
