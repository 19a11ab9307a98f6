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
