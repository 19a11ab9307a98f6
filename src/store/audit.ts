import type { Q } from "./store.js";

/** Audit actions. followup_sent and followup_response come from the release notes; the rest are the engine's own. */
export type AuditAction =
  | "followup_sent"
  | "followup_response"
  | "followup_failed"
  | "followup_skipped"
  | "followup_scheduled"
  | "followup_bot_reply"
  /** The reply was unclear: the bot asked "Responda 1 ou 2" (payload.doubt, payload.rule). */
  | "followup_clarification_asked"
  /** The client answered the open follow-up with a voice note, image, sticker… (payload {kind, inbound_message_id}): it stays open, flagged. */
  | "followup_non_text_reply"
  /** An operator corrected a misread reply (followups set-response): payload {from, to, feedback}. */
  | "response_corrected"
  /** A bot answer not sent: the per-conversation cap or the loop guard held it back (payload.reason). */
  | "bot_reply_suppressed"
  | "agenda_booked"
  | "appointment_created"
  | "appointment_updated"
  | "appointments_imported"
  /** An import found the appointment under another external id (same company, phone, start): payload {external_id, linked_to, source, file}. */
  | "appointment_linked"
  /** `appointments cancel`: payload {external_id, followup_from, followup_to}. */
  | "appointment_cancelled"
  /** `companies remove`: payload {appointments, pending, forced}. */
  | "company_removed"
  | "company_saved"
  /** Consent (LGPD): the phone went on the company's do-not-contact list (payload: source, message ids; never the phone). */
  | "consent_revoked"
  /** The phone came off the do-not-contact list (the client's VOLTAR, or `contacts optin`). */
  | "consent_granted"
  /** allow_followup flipped by hand (appointments add/import): payload {from, to, source}. */
  | "consent_changed"
  /** `customers erase`: what was removed, in counts only. */
  | "customer_erased"
  | "inbound_unmatched";

export interface AuditEntry {
  action: AuditAction;
  appointment_id?: number | null;
  company_id?: string | null;
  payload?: Record<string, unknown>;
  created_at: string;
}

export async function writeAudit(q: Q, e: AuditEntry): Promise<number> {
  return q.insert("INSERT INTO audit_log (action, appointment_id, company_id, payload, created_at) VALUES (?, ?, ?, ?, ?)", [
    e.action, e.appointment_id ?? null, e.company_id ?? null, JSON.stringify(e.payload ?? {}), e.created_at,
  ]);
}
