import type { AppointmentRow } from "./appointments.js";
import { bySql, type Q, type Store } from "./store.js";

/**
 * The client is not on the company's do-not-contact list (migration 004). Index: its primary key
 * (company_id, phone): one probe per candidate row.
 */
const NOT_OPTED_OUT = `NOT EXISTS (SELECT 1 FROM do_not_contact dnc
                      WHERE dnc.company_id = appointments.company_id AND dnc.phone = appointments.client_phone)`;

/** What a send needs of a claimed row, and no more (the claim returns a batch of them). */
export type ClaimedRow = Pick<AppointmentRow, "id" | "company_id" | "client_name" | "client_phone" | "end_time" | "followup_attempts" | "lease_expires_at">;
const CLAIMED_COLUMNS = "id, company_id, client_name, client_phone, end_time, followup_attempts, lease_expires_at";

/**
 * The delivery hot path: every query the daemon and `followups resend` run, once each, with the
 * index it relies on. Instants are UTC ISO-8601 strings (iso()), so string order is time order.
 *
 * SQLite: writes run under BEGIN IMMEDIATE, so two daemons on one file serialise their claims.
 * PostgreSQL (READ COMMITTED): the claim locks the rows it picks with FOR UPDATE SKIP LOCKED, so
 * daemons on several hosts claim disjoint rows without waiting for each other. Every change after
 * a claim is conditional on the lease owner, so a daemon whose lease was taken over never
 * overwrites the other's work.
 */
export const FOLLOWUP_SQL = {
  /**
   * Up to @limit due follow-ups of one company: scheduled → sending with this daemon's lease.
   * Consent, a booked appointment and the 12 h window are checked in the claim itself, so a row
   * that lost consent or was cancelled after the tick's sweep is never sent.
   * Index: appointments_followup_company_due (company_id, followup_next_scheduled) WHERE scheduled.
   *
   * SQLite picks, then marks each picked row by its key (claimMark) in the same transaction, which
   * holds the write lock from its BEGIN IMMEDIATE: nothing can take a row in between. One
   * UPDATE … RETURNING of the whole batch made SQLite keep a statement journal of every page it
   * touched: claim + record as sent cost 16% more CPU (the store path on 1M appointments).
   */
  claimPick: `
    SELECT ${CLAIMED_COLUMNS} FROM appointments
     WHERE company_id = @companyId AND followup_status = 'scheduled' AND followup_next_scheduled <= @now
       AND allow_followup = 1 AND status = 'booked'
       AND COALESCE(followup_due_at, followup_next_scheduled) >= @expiryCutoff
       AND ${NOT_OPTED_OUT}
     ORDER BY followup_next_scheduled
     LIMIT @limit`,
  /** One picked row: scheduled → sending with this daemon's lease. Index: primary key. */
  claimMark: "UPDATE appointments SET followup_status = 'sending', lease_owner = ?, lease_expires_at = ?, updated_at = ? WHERE id = ?",
  /**
   * The same claim on PostgreSQL: rows another daemon is claiming right now are skipped, not waited for.
   * The pick is a MATERIALIZED CTE: as a plain IN subquery the planner may rescan it, and each rescan
   * skips the rows this statement already updated and locks the next ones (more than @limit claimed).
   */
  claimDuePg: `
    WITH picked AS MATERIALIZED (SELECT id FROM appointments
                   WHERE company_id = @companyId AND followup_status = 'scheduled' AND followup_next_scheduled <= @now
                     AND allow_followup = 1 AND status = 'booked'
                     AND COALESCE(followup_due_at, followup_next_scheduled) >= @expiryCutoff
                     AND ${NOT_OPTED_OUT}
                   ORDER BY followup_next_scheduled
                   LIMIT @limit
                   FOR UPDATE SKIP LOCKED)
    UPDATE appointments
       SET followup_status = 'sending', lease_owner = @owner, lease_expires_at = @leaseUntil, updated_at = @now
     WHERE id IN (SELECT id FROM picked)
       AND followup_status = 'scheduled'
    RETURNING ${CLAIMED_COLUMNS}`,

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
    UPDATE appointments /*INDEXED*/
       SET followup_status = 'skipped',
           followup_skip_reason = CASE WHEN status <> 'booked' THEN 'cancelled'
                                       WHEN allow_followup = 0 THEN 'no_consent'
                                       WHEN NOT ${NOT_OPTED_OUT} THEN 'opted_out'
                                       ELSE 'expired' END,
           followup_next_scheduled = NULL, updated_at = @now
     WHERE followup_status = 'scheduled' AND followup_next_scheduled <= @now
       AND (status <> 'booked' OR allow_followup = 0 OR COALESCE(followup_due_at, followup_next_scheduled) < @expiryCutoff
            OR NOT ${NOT_OPTED_OUT})
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
       AND followup_status IN ('sent', 'feedback', 'failed') AND ${NOT_OPTED_OUT}
       AND (lease_expires_at IS NULL OR lease_expires_at < @now)
       AND (followup_sent_at IS NULL OR followup_sent_at < @sentBefore)
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
    SELECT followup_next_scheduled AS due FROM appointments /*INDEXED*/
     WHERE followup_status = 'scheduled' AND followup_next_scheduled IS NOT NULL
     ORDER BY followup_next_scheduled LIMIT 1`,

  pauseCompany: "UPDATE companies SET paused_reason = @reason, paused_at = @now WHERE id = @companyId",
  unpauseCompany: "UPDATE companies SET paused_reason = NULL, paused_at = NULL WHERE id = ? AND paused_reason IS NOT NULL",
} as const;

/** SQLite has no statistics here: its planner is told which index the due scans use. PostgreSQL plans by itself. */
function sqlOf(q: Q, name: keyof typeof FOLLOWUP_SQL): string {
  const sql = FOLLOWUP_SQL[name];
  if (q.dialect === "sqlite") return sql.replace("/*INDEXED*/", "INDEXED BY appointments_followup_due");
  return sql;
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
const ignoringLeases = (sql: string) =>
  sql.replace("followup_status = 'scheduled' AND", "followup_status IN ('scheduled', 'sending') AND").replace(
    "AND followup_status = 'scheduled'\n    RETURNING",
    "\n    RETURNING",
  );

export function claimDue(store: Store, p: ClaimParams): Promise<ClaimedRow[]> {
  return store.tx((t) => claimRows(t, p));
}

/**
 * The claim inside the caller's transaction (the SQLite hot-path thread commits it with the outcomes
 * that wait). On SQLite `t` must be a write transaction: the pick and the marks rely on its lock.
 */
export async function claimRows(t: Q, p: ClaimParams): Promise<ClaimedRow[]> {
  const unsafe = (sql: string) => (UNSAFE_NO_LEASE ? ignoringLeases(sql) : sql);
  if (t.dialect === "postgres") return t.all<ClaimedRow>(unsafe(FOLLOWUP_SQL.claimDuePg), p);
  const rows = await t.all<ClaimedRow>(unsafe(FOLLOWUP_SQL.claimPick), p);
  for (const r of rows) {
    await t.run(FOLLOWUP_SQL.claimMark, [p.owner, p.leaseUntil, p.now, r.id]);
    r.lease_expires_at = p.leaseUntil;
  }
  return rows;
}

export function reclaimExpiredLeases(q: Q, now: string): Promise<number> {
  return q.run(sqlOf(q, "reclaimExpiredLeases"), { now });
}

export interface SkippedRow {
  id: number;
  company_id: string;
  followup_skip_reason: "expired" | "no_consent" | "cancelled" | "opted_out";
}

/** Runs the sweep; `audit` is called in the same transaction with the rows it changed. */
export function sweepUnsendable(store: Store, p: { now: string; expiryCutoff: string }, audit: (t: Q, rows: SkippedRow[]) => Promise<void>): Promise<SkippedRow[]> {
  return store.tx(async (t) => {
    const rows = await t.all<SkippedRow>(sqlOf(t, "sweepUnsendable"), p);
    if (rows.length) await audit(t, rows);
    return rows;
  });
}

export interface LeaseRef {
  id: number;
  owner: string;
  now: string;
}

/** Call inside the transaction that writes the audit. False when this owner no longer holds the row. */
export async function markSent(q: Q, r: LeaseRef): Promise<boolean> {
  return (await q.run(FOLLOWUP_SQL.markSent, r)) === 1;
}

/**
 * PostgreSQL's group commit of deliveries: every row marked sent (each still conditional on its
 * lease) and one followup_sent audit row each (lease_lost where the lease was gone), in one
 * statement. Returns the ids that were still held.
 */
export async function markSentBatch(q: Q, items: Array<{ id: number; owner: string; companyId: string; payload: string }>, now: string): Promise<Set<number>> {
  const rows = await q.all<{ id: number }>(
    `WITH input AS (
       SELECT * FROM unnest(CAST(@ids AS bigint[]), CAST(@owners AS text[]), CAST(@companies AS text[]), CAST(@payloads AS text[]))
         AS u(id, owner, company_id, payload)
     ), done AS (
       UPDATE appointments a
          SET followup_status = 'sent', followup_sent_at = @now, followup_next_scheduled = NULL,
              followup_attempts = a.followup_attempts + 1, followup_last_error = NULL,
              followup_response = NULL, followup_responded_at = NULL, followup_offered_slots = NULL,
              lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
         FROM input
        WHERE a.id = input.id AND a.followup_status = 'sending' AND a.lease_owner = input.owner
       RETURNING a.id
     ), audited AS (
       INSERT INTO audit_log (action, appointment_id, company_id, payload, created_at)
       SELECT 'followup_sent', input.id, input.company_id,
              CASE WHEN done.id IS NULL THEN CAST(CAST(input.payload AS jsonb) || CAST('{"lease_lost": true}' AS jsonb) AS text) ELSE input.payload END,
              @now
         FROM input LEFT JOIN done ON done.id = input.id
       RETURNING 1
     )
     SELECT id FROM done`,
    { ids: items.map((i) => i.id), owners: items.map((i) => i.owner), companies: items.map((i) => i.companyId), payloads: items.map((i) => i.payload), now },
  );
  return new Set(rows.map((r) => r.id));
}

export async function rescheduleRetry(q: Q, r: LeaseRef & { next: string; error: string }): Promise<boolean> {
  return (await q.run(FOLLOWUP_SQL.rescheduleRetry, r)) === 1;
}

export async function markFailed(q: Q, r: LeaseRef & { error: string }): Promise<boolean> {
  return (await q.run(FOLLOWUP_SQL.markFailed, r)) === 1;
}

/** The company's Whaticket setup is wrong: the claimed row goes back unsent, its due time kept. */
export async function releaseClaim(q: Q, r: LeaseRef & { error: string | null }): Promise<boolean> {
  return (await q.run(FOLLOWUP_SQL.releaseClaim, r)) === 1;
}

/**
 * Gives back every row `owner` holds, except `unknown.ids` (sends that may have reached the
 * gateway): those keep their lease, so they are claimed again only when it runs out, with
 * `unknown.note` as their last error. Returns how many rows went back to scheduled.
 */
export async function releaseAllClaims(q: Q, owner: string, now: string, unknown: { ids: number[]; note: string } = { ids: [], note: "" }): Promise<number> {
  if (!unknown.ids.length) return q.run(FOLLOWUP_SQL.releaseAllClaims, { owner, now });
  const list = unknown.ids.map((_, i) => `@k${i}`).join(", ");
  const keys = Object.fromEntries(unknown.ids.map((id, i) => [`k${i}`, id]));
  await q.run(
    `UPDATE appointments SET followup_last_error = @note, updated_at = @now
      WHERE followup_status = 'sending' AND lease_owner = @owner AND id IN (${list})`,
    { ...keys, owner, now, note: unknown.note },
  );
  return q.run(`${FOLLOWUP_SQL.releaseAllClaims} AND id NOT IN (${list})`, { ...keys, owner, now });
}

/** Undefined when refused or unknown (the caller reads the row to say why). */
/**
 * Leases follow-up `id` for a resend. `sentBefore`: a send at or after it refuses the lease, so two
 * resends that both passed the "sent less than N hours ago" check cannot both send (pass a far future to force).
 */
export function leaseForResend(q: Q, p: { id: number; owner: string; now: string; leaseUntil: string; sentBefore: string }): Promise<AppointmentRow | undefined> {
  return q.get<AppointmentRow>(FOLLOWUP_SQL.leaseForResend, p);
}

/** Call inside the transaction that writes the audit. */
export async function completeResend(q: Q, r: LeaseRef): Promise<boolean> {
  return (await q.run(FOLLOWUP_SQL.completeResend, r)) === 1;
}

export async function abortResend(q: Q, r: LeaseRef & { error: string }): Promise<boolean> {
  return (await q.run(FOLLOWUP_SQL.abortResend, r)) === 1;
}

/** The earliest due time among scheduled follow-ups, or null when none is scheduled. */
export async function nextDueAt(q: Q): Promise<Date | null> {
  const row = await q.get<{ due: string | null }>(sqlOf(q, "nextDueAt"));
  return row?.due ? new Date(row.due) : null;
}

/** Whaticket refused the company's token or connection: stop sending for it until fixed or re-probed. */
export async function pauseCompany(q: Q, p: { companyId: string; reason: string; now: string }): Promise<void> {
  await q.run(FOLLOWUP_SQL.pauseCompany, p);
}

/** A send for a paused company went through: it is healthy again. */
export async function unpauseCompany(q: Q, companyId: string): Promise<void> {
  await q.run(FOLLOWUP_SQL.unpauseCompany, [companyId]);
}

/** A quiet-hours or rate-limit hold: the claimed row goes back to scheduled at `next`, nothing burned. */
export async function deferClaim(q: Q, r: LeaseRef & { next: string }): Promise<boolean> {
  return (
    (await q.run(
      `UPDATE appointments SET followup_status = 'scheduled', followup_next_scheduled = @next,
              lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
        WHERE id = @id AND followup_status = 'sending' AND lease_owner = @owner`,
      r,
    )) === 1
  );
}

/**
 * A company's send budget, shared by every daemon on the database: a GCRA schedule (the next
 * free send instant, epoch ms) advanced by 1/rate per message. Reserves up to `count` send
 * instants no later than `horizonMs` ahead and returns them; the caller waits until each one.
 * Any window of one second then holds at most `rate` sends, however many daemons share it.
 */
export function reserveSendSlots(store: Store, p: { companyId: string; count: number; rate: number; nowMs: number; horizonMs: number }): Promise<number[]> {
  return store.tx(async (t) => {
    await t.run("INSERT INTO send_budget (company_id, next_at_ms) VALUES (?, 0) ON CONFLICT (company_id) DO NOTHING", [p.companyId]);
    const row = await t.get<{ next_at_ms: number }>(
      bySql(t, {
        sqlite: "SELECT next_at_ms FROM send_budget WHERE company_id = ?",
        postgres: "SELECT next_at_ms FROM send_budget WHERE company_id = ? FOR UPDATE",
      }),
      [p.companyId],
    );
    const interval = 1000 / p.rate;
    let at = Math.max(Number(row?.next_at_ms ?? 0), p.nowMs);
    const slots: number[] = [];
    while (slots.length < p.count && at <= p.nowMs + p.horizonMs) {
      slots.push(at);
      at += interval;
    }
    if (slots.length) await t.run("UPDATE send_budget SET next_at_ms = ? WHERE company_id = ?", [Math.ceil(at), p.companyId]);
    return slots;
  });
}
