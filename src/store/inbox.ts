import type { Q } from "./store.js";

/**
 * The SQL of the replies inbox (issue 15): the clarification flag on a follow-up, and reading back
 * inbound messages (`replies list`, `followups show`). Indexes (migration 005):
 *   inbound_messages_received (received_at)                    — the inbox, newest first
 *   inbound_messages_appointment (appointment_id, received_at) — one follow-up's messages
 */

/** The bot asked the clarification question now: the follow-up awaits "1" or "2" (see domain/clarification.ts). */
export async function markClarificationAsked(q: Q, id: number, at: string): Promise<void> {
  await q.run("UPDATE appointments SET followup_clarification_asked_at = ?, updated_at = ? WHERE id = ?", [at, at, id]);
}

/** One inbound message as the inbox shows it; the follow-up's columns are null when it matched none. */
export interface InboxRow {
  id: number;
  received_at: string;
  phone: string;
  message_id: string | null;
  appointment_id: number | null;
  company_id: string | null;
  client_name: string | null;
  intent: string | null;
  rule: string | null;
  outcome: string;
  body: string;
}

export interface InboxFilter {
  /** Messages matched to this company's follow-ups (an unmatched message belongs to no company). */
  companyId?: string;
  /** followup_positive / followup_negative / followup_feedback */
  intent?: string;
  unmatched?: boolean;
  appointmentId?: number;
  /** received_at in [since, until), UTC ISO-8601. */
  since?: string;
  until?: string;
  /** Oldest first (a follow-up's story) instead of newest first (the inbox). */
  ascending?: boolean;
  limit: number;
}

export async function listInbound(q: Q, f: InboxFilter): Promise<InboxRow[]> {
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: f.limit };
  if (f.companyId !== undefined) {
    where.push("a.company_id = @company");
    params.company = f.companyId;
  }
  if (f.intent !== undefined) {
    where.push("i.intent = @intent");
    params.intent = f.intent;
  }
  if (f.unmatched) where.push("i.appointment_id IS NULL");
  if (f.appointmentId !== undefined) {
    where.push("i.appointment_id = @appointment");
    params.appointment = f.appointmentId;
  }
  if (f.since !== undefined) {
    where.push("i.received_at >= @since");
    params.since = f.since;
  }
  if (f.until !== undefined) {
    where.push("i.received_at < @until");
    params.until = f.until;
  }
  const dir = f.ascending ? "ASC" : "DESC";
  return q.all<InboxRow>(
    `SELECT i.id, i.received_at, i.phone, i.message_id, i.appointment_id, a.company_id, a.client_name,
            i.intent, i.rule, i.outcome, i.body
       FROM inbound_messages i LEFT JOIN appointments a ON a.id = i.appointment_id
      ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY i.received_at ${dir}, i.id ${dir}
      LIMIT @limit`,
    params,
  );
}

/** The client's message about a follow-up (the panel's "Resposta" column). */
export interface LatestAnswer {
  appointment_id: number;
  body: string;
  outcome: string;
}

/**
 * For each follow-up of `ids` (one page of a list), the client's message that decided it (positive,
 * negative, feedback; else the latest one matched to it) since it was (last) sent: the words, a
 * button's label, or "[mensagem de voz]". Our own texts coming back and messages older than the
 * follow-up are left out; a message emptied by retention reads as none. One seek per id on
 * inbound_messages_appointment.
 */
export async function latestAnswers(q: Q, ids: readonly number[]): Promise<LatestAnswer[]> {
  if (ids.length === 0) return [];
  const marks = ids.map(() => "?").join(", ");
  return q.all<LatestAnswer>(
    `SELECT i.appointment_id, i.body, i.outcome FROM inbound_messages i
      WHERE i.id IN (
        SELECT (SELECT m.id FROM inbound_messages m
                 WHERE m.appointment_id = a.id AND m.received_at >= a.followup_sent_at
                   AND m.outcome NOT IN ('own_text', 'older_than_followup') AND m.body <> ''
                 ORDER BY CASE WHEN m.outcome IN ('positive', 'negative', 'feedback') THEN 0 ELSE 1 END,
                          m.received_at DESC, m.id DESC LIMIT 1)
          FROM appointments a WHERE a.id IN (${marks}) AND a.followup_sent_at IS NOT NULL)`,
    [...ids],
  );
}
