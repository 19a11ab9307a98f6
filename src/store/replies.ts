import type { AppointmentRow } from "./appointments.js";
import type { Db } from "./db.js";

/**
 * The SQL of inbound replies: matching a phone to its open follow-up, storing inbound messages
 * (de-duplicated by message id), feedback events, recording a response, and the agenda slice the
 * free-slot search needs.
 */

export type FollowupResponse = "positive" | "negative" | "feedback";

/** What became of an inbound message (inbound_messages.outcome). */
export type InboundOutcome = "unmatched" | "positive" | "negative" | "feedback" | "booked" | "slot_taken" | "not_understood";

/** A reply belongs to a follow-up sent at most this long ago. */
export const REPLY_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * An open follow-up: awaiting a reply (sent), or answered positive with slots offered and none
 * booked yet (awaiting the choice). Uses the index appointments_phone_sent (client_phone, followup_sent_at).
 */
const OPEN = `followup_sent_at IS NOT NULL AND followup_sent_at >= @since
  AND (followup_status = 'sent'
       OR (followup_status = 'positive' AND followup_offered_slots IS NOT NULL AND followup_booked_appointment_id IS NULL))`;

/**
 * The latest open follow-up sent to any of `phones` (the same number with and without the
 * Brazilian ninth digit) within the reply window, optionally of one company.
 */
export function findOpenFollowup(db: Db, phones: string[], now: Date, companyId?: string): AppointmentRow | undefined {
  if (phones.length === 0) return undefined;
  const params: Record<string, unknown> = { since: new Date(now.getTime() - REPLY_WINDOW_MS).toISOString() };
  const names = phones.map((p, i) => {
    params[`p${i}`] = p;
    return `@p${i}`;
  });
  let sql = `SELECT * FROM appointments WHERE client_phone IN (${names.join(", ")}) AND ${OPEN}`;
  if (companyId !== undefined) {
    sql += " AND company_id = @company";
    params.company = companyId;
  }
  sql += " ORDER BY followup_sent_at DESC, id DESC LIMIT 1";
  return db.prepare(sql).get(params) as AppointmentRow | undefined;
}

/** Every open follow-up (newest first): what `reply simulate` offers to pick on a terminal. */
export function listOpenFollowups(db: Db, now: Date, opts: { companyId?: string; limit?: number } = {}): AppointmentRow[] {
  const params: Record<string, unknown> = { since: new Date(now.getTime() - REPLY_WINDOW_MS).toISOString(), limit: opts.limit ?? 50 };
  let sql = `SELECT * FROM appointments WHERE ${OPEN}`;
  if (opts.companyId !== undefined) {
    sql += " AND company_id = @company";
    params.company = opts.companyId;
  }
  sql += " ORDER BY followup_sent_at DESC, id DESC LIMIT @limit";
  return db.prepare(sql).all(params) as AppointmentRow[];
}

export interface InboundMessage {
  message_id: string | null;
  phone: string;
  body: string;
  received_at: string;
}

/**
 * Stores an inbound message; returns its row id, or null when a message with the same id was
 * stored before (a redelivery). Callers run it in the same transaction as the state change it
 * causes, so the message is applied exactly once. Messages without an id are not de-duplicated.
 */
export function insertInbound(db: Db, m: InboundMessage): number | null {
  const r = db
    .prepare(
      `INSERT INTO inbound_messages (message_id, phone, body, received_at, outcome)
       VALUES (@message_id, @phone, @body, @received_at, 'unmatched')
       ON CONFLICT (message_id) DO NOTHING`,
    )
    .run(m);
  return r.changes === 1 ? Number(r.lastInsertRowid) : null;
}

export function setInboundResult(db: Db, id: number, r: { appointment_id: number | null; intent: string | null; outcome: InboundOutcome }): void {
  db.prepare("UPDATE inbound_messages SET appointment_id = @appointment_id, intent = @intent, outcome = @outcome WHERE id = @id").run({ id, ...r });
}

export function insertFeedback(db: Db, appointmentId: number, text: string, at: string): number {
  const r = db
    .prepare("INSERT INTO feedback_events (appointment_id, feedback_type, text, created_at) VALUES (?, 'followup_text', ?, ?)")
    .run(appointmentId, text, at);
  return Number(r.lastInsertRowid);
}

/**
 * Records the client's response and closes (or, for positive, moves on) the follow-up. Guarded by
 * the state it was read in: returns false when it is no longer in `fromStatus`.
 */
export function recordResponse(db: Db, id: number, response: FollowupResponse, at: string, fromStatus: string): boolean {
  const r = db
    .prepare(
      `UPDATE appointments SET followup_response = @response, followup_status = @response, followup_responded_at = @at,
          followup_offered_slots = NULL, updated_at = @at
       WHERE id = @id AND followup_status = @fromStatus`,
    )
    .run({ id, response, at, fromStatus });
  return r.changes === 1;
}

/** The slots offered for the client's choice (UTC instants), or null when none could be offered. */
export function setOfferedSlots(db: Db, id: number, slots: Date[] | null, at: string): void {
  const json = slots && slots.length ? JSON.stringify(slots.map((s) => s.toISOString())) : null;
  db.prepare("UPDATE appointments SET followup_offered_slots = ?, updated_at = ? WHERE id = ?").run(json, at, id);
}

/** The offered slots as stored; malformed JSON reads as none. */
export function offeredSlotsOf(row: Pick<AppointmentRow, "followup_offered_slots">): Date[] {
  if (!row.followup_offered_slots) return [];
  try {
    const list = JSON.parse(row.followup_offered_slots) as unknown;
    if (!Array.isArray(list)) return [];
    return list
      .filter((s): s is string => typeof s === "string")
      .map((s) => new Date(s))
      .filter((d) => !Number.isNaN(d.getTime()));
  } catch {
    return [];
  }
}

/** Links the follow-up to the appointment booked from it; that ends the slot choice. */
export function setBookedAppointment(db: Db, id: number, bookedId: number, at: string): void {
  db.prepare("UPDATE appointments SET followup_booked_appointment_id = ?, followup_offered_slots = NULL, updated_at = ? WHERE id = ?").run(
    bookedId,
    at,
    id,
  );
}

/**
 * How far back a booked appointment may start and still overlap the search range: agenda entries
 * do not last a month, and the bound keeps the scan on the index appointments_company_start.
 */
const LOOKBACK_MS = 31 * 24 * 60 * 60 * 1000;

/** A company's booked appointments that overlap [from, to), as intervals. */
export function bookedIntervals(db: Db, companyId: string, from: Date, to: Date): Array<{ start: Date; end: Date }> {
  const rows = db
    .prepare(
      `SELECT start_time, end_time FROM appointments
       WHERE company_id = ? AND start_time >= ? AND start_time < ? AND end_time > ? AND status = 'booked'`,
    )
    .all(companyId, new Date(from.getTime() - LOOKBACK_MS).toISOString(), to.toISOString(), from.toISOString()) as Array<{
    start_time: string;
    end_time: string;
  }>;
  return rows.map((r) => ({ start: new Date(r.start_time), end: new Date(r.end_time) }));
}

/** Whether [start, end) is still free in the company's agenda. */
export function isSlotFree(db: Db, companyId: string, start: Date, end: Date): boolean {
  return bookedIntervals(db, companyId, start, end).length === 0;
}
