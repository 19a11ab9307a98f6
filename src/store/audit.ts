import type { Db } from "./db.js";

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

export function writeAudit(db: Db, e: AuditEntry): number {
  const r = db
    .prepare("INSERT INTO audit_log (action, appointment_id, company_id, payload, created_at) VALUES (?, ?, ?, ?, ?)")
    .run(e.action, e.appointment_id ?? null, e.company_id ?? null, JSON.stringify(e.payload ?? {}), e.created_at);
  return Number(r.lastInsertRowid);
}
