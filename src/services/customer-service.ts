import { phoneVariants } from "../domain/phone.js";
import { UserError } from "../errors.js";
import { writeAudit } from "../store/audit.js";
import { getCompany } from "../store/companies.js";
import { customerRows, eraseCustomerRows, scrubSqliteFile, vacuumPostgres, zeroFreedPages, type EraseCounts } from "../store/customer-data.js";
import type { Store } from "../store/store.js";

/**
 * A person's data under LGPD (art. 18): a copy of everything held about them (`customers export`)
 * and its erasure (`customers erase`), found by phone (with and without the ninth digit).
 */

export interface CustomerQuery {
  /** Digits with the country code (normalizePhone). */
  phone: string;
  companyId?: string;
}

async function checkCompany(store: Store, companyId: string | undefined): Promise<void> {
  if (companyId !== undefined && !(await getCompany(store, companyId))) {
    throw new UserError(`company "${companyId}" does not exist: see secretaria companies list`);
  }
}

function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** One JSON document: appointments, follow-up states, messages received and sent, feedback, audit, do-not-contact. */
export async function exportCustomer(store: Store, q: CustomerQuery, now: Date) {
  await checkCompany(store, q.companyId);
  const rows = await customerRows(store, phoneVariants(q.phone), q.companyId);
  const audit = rows.audit.map((a) => ({ ...a, payload: parsePayload(a.payload) }));
  return {
    exported_at: now.toISOString(),
    phone: q.phone,
    company_id: q.companyId ?? null,
    appointments: rows.appointments.map((a) => ({
      id: a.id, company_id: a.company_id, external_id: a.external_id, client_name: a.client_name, client_phone: a.client_phone,
      start_time: a.start_time, end_time: a.end_time, status: a.status, allow_followup: a.allow_followup === 1,
      created_at: a.created_at, updated_at: a.updated_at,
      followup: {
        status: a.followup_status, skip_reason: a.followup_skip_reason, due_at: a.followup_due_at, next_scheduled: a.followup_next_scheduled,
        sent_at: a.followup_sent_at, attempts: a.followup_attempts, last_error: a.followup_last_error, response: a.followup_response,
        responded_at: a.followup_responded_at, offered_slots: a.followup_offered_slots, booked_appointment_id: a.followup_booked_appointment_id,
      },
    })),
    messages_received: rows.inbound,
    messages_sent: audit.filter((a) => a.action === "followup_sent" || a.action === "followup_bot_reply"),
    feedback: rows.feedback,
    audit,
    do_not_contact: rows.doNotContact,
  };
}

export interface EraseResult {
  counts: EraseCounts;
  /** Null when the SQLite file was rebuilt (VACUUM) and its WAL truncated, or the PostgreSQL tables vacuumed; else why not. */
  scrubError: string | null;
}

/** How much an erase would touch (the prompt shows it before asking). */
export async function eraseScope(store: Store, q: CustomerQuery): Promise<{ appointments: number; inbound_messages: number; feedback_events: number; audit_entries: number; do_not_contact: number }> {
  await checkCompany(store, q.companyId);
  const r = await customerRows(store, phoneVariants(q.phone), q.companyId);
  return { appointments: r.appointments.length, inbound_messages: r.inbound.length, feedback_events: r.feedback.length, audit_entries: r.audit.length, do_not_contact: r.doNotContact.length };
}

/**
 * Erases the person: rows removed or anonymised in one transaction (audited `customer_erased`
 * with counts only), then on SQLite the file is rebuilt with secure_delete on and the WAL
 * truncated, so the bytes are gone from disk too; on PostgreSQL the touched tables are vacuumed.
 */
export async function eraseCustomer(store: Store, q: CustomerQuery, now: Date): Promise<EraseResult> {
  await checkCompany(store, q.companyId);
  await zeroFreedPages(store);
  const counts = await store.tx(async (t) => {
    const rows = await customerRows(t, phoneVariants(q.phone), q.companyId);
    const c = await eraseCustomerRows(t, rows, now.toISOString());
    await writeAudit(t, { action: "customer_erased", company_id: q.companyId ?? null, payload: { ...c }, created_at: now.toISOString() });
    return c;
  });
  let scrubError: string | null = null;
  try {
    if (store.dialect === "sqlite") await scrubSqliteFile(store);
    else await vacuumPostgres(store);
  } catch (err) {
    scrubError = (err as Error).message;
  }
  return { counts, scrubError };
}
