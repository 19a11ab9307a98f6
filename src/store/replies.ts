import type { AppointmentRow } from "./appointments.js";
import type { Q } from "./store.js";

/**
 * The SQL of inbound replies: matching a phone to its open follow-up, storing inbound messages
 * (de-duplicated by message id), feedback events, recording a response, and the agenda slice the
 * free-slot search needs.
 */

export type FollowupResponse = "positive" | "negative" | "feedback";

/** What became of an inbound message (inbound_messages.outcome). */
export type InboundOutcome = "unmatched" | "positive" | "negative" | "feedback" | "booked" | "slot_taken" | "not_understood" | "opted_out" | "opted_in"
  /** The text is one of our own recent messages coming back (loop guard): not applied, not answered. */
  | "own_text"
  /** No evidence either way: the bot asked "Responda 1 ou 2" (the follow-up awaits clarification). */
  | "clarification_asked"
  /** Dated before the matched follow-up went out (a replayed or history-synced message): recorded, not applied. */
  | "older_than_followup"
  /** A voice note, image, sticker… (rule = its kind): recorded, the follow-up flagged, nothing answered. */
  | "non_text";

/** A reply belongs to a follow-up sent at most this long ago. */
export const REPLY_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * An open follow-up: awaiting a reply (sent), or answered positive with slots offered and none
 * booked yet (awaiting the choice). Uses the index appointments_phone (client_phone): a phone has few rows.
 */
const OPEN = `followup_sent_at IS NOT NULL AND followup_sent_at >= @since
  AND (followup_status = 'sent'
       OR (followup_status = 'positive' AND followup_offered_slots IS NOT NULL AND followup_booked_appointment_id IS NULL))`;

/**
 * The latest open follow-up sent to any of `phones` (the same number with and without the
 * Brazilian ninth digit) within the reply window, optionally of one company.
 */
export async function findOpenFollowup(q: Q, phones: string[], now: Date, companyId?: string): Promise<AppointmentRow | undefined> {
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
  // PostgreSQL: the row stays locked until the reply's transaction ends, so two messages from one
  // client at once are applied one after the other (the second sees the first's answer).
  if (q.dialect === "postgres") sql += " FOR UPDATE";
  return q.get<AppointmentRow>(sql, params);
}

/**
 * Whether a follow-up to any of `phones` is being sent right now (claimed, its lease live): the
 * gateway may already have delivered it while its outcome waits for the daemon's group commit.
 * Index: appointments_phone (client_phone).
 */
export async function followupSendInFlight(q: Q, phones: string[], now: Date, companyId?: string): Promise<boolean> {
  if (phones.length === 0) return false;
  const params: Record<string, unknown> = { now: now.toISOString() };
  const names = phones.map((p, i) => {
    params[`p${i}`] = p;
    return `@p${i}`;
  });
  let sql = `SELECT 1 AS x FROM appointments WHERE client_phone IN (${names.join(", ")}) AND followup_status = 'sending' AND lease_expires_at > @now`;
  if (companyId !== undefined) {
    sql += " AND company_id = @company";
    params.company = companyId;
  }
  return (await q.get<{ x: number }>(`${sql} LIMIT 1`, params)) !== undefined;
}

/** Every open follow-up (newest first): what `reply simulate` offers to pick on a terminal. */
export function listOpenFollowups(q: Q, now: Date, opts: { companyId?: string; limit?: number } = {}): Promise<AppointmentRow[]> {
  const params: Record<string, unknown> = { since: new Date(now.getTime() - REPLY_WINDOW_MS).toISOString(), limit: opts.limit ?? 50 };
  let sql = `SELECT * FROM appointments WHERE ${OPEN}`;
  if (opts.companyId !== undefined) {
    sql += " AND company_id = @company";
    params.company = opts.companyId;
  }
  sql += " ORDER BY followup_sent_at DESC, id DESC LIMIT @limit";
  return q.all<AppointmentRow>(sql, params);
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
 * causes, so the message is applied exactly once. An id-less message's id is its dedupe key
 * ("dedupe:…", domain/inbound-message.ts) when it has a timestamp; otherwise it is not de-duplicated.
 */
export async function insertInbound(q: Q, m: InboundMessage): Promise<number | null> {
  const row = await q.get<{ id: number }>(
    `INSERT INTO inbound_messages (message_id, phone, body, received_at, outcome)
     VALUES (@message_id, @phone, @body, @received_at, 'unmatched')
     ON CONFLICT (message_id) DO NOTHING
     RETURNING id`,
    { ...m, body: withoutNul(m.body) },
  );
  return row ? row.id : null;
}

export async function setInboundResult(
  q: Q, id: number, r: { appointment_id: number | null; intent: string | null; outcome: InboundOutcome; rule?: string | null },
): Promise<void> {
  await q.run(
    "UPDATE inbound_messages SET appointment_id = @appointment_id, intent = @intent, outcome = @outcome, rule = @rule WHERE id = @id",
    { id, rule: null, ...r },
  );
}

export async function insertFeedback(q: Q, appointmentId: number, text: string, at: string): Promise<number> {
  return q.insert("INSERT INTO feedback_events (appointment_id, feedback_type, text, created_at) VALUES (?, 'followup_text', ?, ?)", [
    appointmentId, withoutNul(text), at,
  ]);
}

/** PostgreSQL's TEXT cannot hold NUL (a customer's message can): both engines store the text without it. */
function withoutNul(s: string): string {
  return s.includes("\u0000") ? s.replaceAll("\u0000", "") : s;
}

/**
 * Records the client's response and closes (or, for positive, moves on) the follow-up. Guarded by
 * the state it was read in: returns false when it is no longer in `fromStatus`.
 */
export async function recordResponse(q: Q, id: number, response: FollowupResponse, at: string, fromStatus: string): Promise<boolean> {
  const changed = await q.run(
    `UPDATE appointments SET followup_response = @response, followup_status = @response, followup_responded_at = @at,
        followup_offered_slots = NULL, updated_at = @at
     WHERE id = @id AND followup_status = @fromStatus`,
    { id, response, at, fromStatus },
  );
  return changed === 1;
}

/** The slots offered for the client's choice (UTC instants), or null when none could be offered. */
export async function setOfferedSlots(q: Q, id: number, slots: Date[] | null, at: string): Promise<void> {
  const json = slots && slots.length ? JSON.stringify(slots.map((s) => s.toISOString())) : null;
  await q.run("UPDATE appointments SET followup_offered_slots = ?, updated_at = ? WHERE id = ?", [json, at, id]);
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
export async function setBookedAppointment(q: Q, id: number, bookedId: number, at: string): Promise<void> {
  await q.run("UPDATE appointments SET followup_booked_appointment_id = ?, followup_offered_slots = NULL, updated_at = ? WHERE id = ?", [
    bookedId, at, id,
  ]);
}

/**
 * How far back a booked appointment may start and still overlap the search range: agenda entries
 * do not last a month, and the bound keeps the scan on the index appointments_company_start.
 */
const LOOKBACK_MS = 31 * 24 * 60 * 60 * 1000;

/** A company's booked appointments that overlap [from, to), as intervals. */
export async function bookedIntervals(q: Q, companyId: string, from: Date, to: Date): Promise<Array<{ start: Date; end: Date }>> {
  const rows = await q.all<{ start_time: string; end_time: string }>(
    `SELECT start_time, end_time FROM appointments
     WHERE company_id = ? AND start_time >= ? AND start_time < ? AND end_time > ? AND status = 'booked'`,
    [companyId, new Date(from.getTime() - LOOKBACK_MS).toISOString(), to.toISOString(), from.toISOString()],
  );
  return rows.map((r) => ({ start: new Date(r.start_time), end: new Date(r.end_time) }));
}

/**
 * Serialises bookings in one company's agenda until the transaction ends: two customers choosing
 * the same free slot at once book it once. SQLite's write lock already does; PostgreSQL (READ
 * COMMITTED) locks the company's row.
 */
export async function lockAgenda(q: Q, companyId: string): Promise<void> {
  if (q.dialect === "postgres") await q.get("SELECT id FROM companies WHERE id = ? FOR UPDATE", [companyId]);
}

/** Whether [start, end) is still free in the company's agenda. Call after lockAgenda, in the booking's transaction. */
export async function isSlotFree(q: Q, companyId: string, start: Date, end: Date): Promise<boolean> {
  return (await bookedIntervals(q, companyId, start, end)).length === 0;
}

/**
 * The bot's answers to follow-up `appointmentId` since `since` (ISO), newest first: their bodies and
 * whether each went out. The per-conversation cap counts them; the loop guard compares their bodies
 * with an inbound text. Reads the audit (index audit_log_appointment).
 */
export async function recentBotReplies(q: Q, appointmentId: number, since: string): Promise<{ body: string | null; sent: boolean; created_at: string }[]> {
  const rows = await q.all<{ payload: string; created_at: string }>(
    "SELECT payload, created_at FROM audit_log WHERE appointment_id = ? AND action = 'followup_bot_reply' AND created_at >= ? ORDER BY id DESC",
    [appointmentId, since],
  );
  return rows.map((r) => {
    let p: { body?: unknown; outcome?: unknown } = {};
    try {
      p = JSON.parse(r.payload) as typeof p;
    } catch {
      // A malformed payload counts as an answer that went out: the cap errs on the side of silence.
    }
    return { body: typeof p.body === "string" ? p.body : null, sent: p.outcome === undefined || p.outcome === "sent", created_at: r.created_at };
  });
}
