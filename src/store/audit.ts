import type { Q } from "./store.js";

/** Audit actions. followup_sent and followup_response come from the release notes; the rest are the engine's own. */
export type AuditAction =
  | "followup_sent"
  | "followup_response"
  | "followup_failed"
  | "followup_skipped"
  | "followup_scheduled"
  | "followup_bot_reply"
  | "agenda_booked"
  | "appointment_created"
  | "appointment_updated"
  | "appointments_imported"
  | "company_saved"
  | "inbound_unmatched";

export interface AuditEntry {
  action: AuditAction;
  appointment_id?: number | null;
  company_id?: string | null;
  payload?: Record<string, unknown>;
  created_at: string;
}

export async function writeAudit(q: Q, e: AuditEntry): Promise<number> {
  const row = await q.get<{ id: number }>(
    "INSERT INTO audit_log (action, appointment_id, company_id, payload, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
    [e.action, e.appointment_id ?? null, e.company_id ?? null, JSON.stringify(e.payload ?? {}), e.created_at],
  );
  return row!.id;
}
