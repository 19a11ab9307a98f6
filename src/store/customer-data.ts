import type { AppointmentRow } from "./appointments.js";
import type { DoNotContactRow } from "./consent.js";
import type { Q } from "./store.js";

/**
 * The SQL of a person's data (LGPD: access and erasure): every row that holds their phone, name
 * or words, found by phone (all variants of the number), optionally within one company.
 *
 *   appointments (client_name, client_phone, external_id, errors) → anonymised, not deleted: the
 *     counts of sends and answers stay true;
 *   feedback_events and inbound_messages (their text) → deleted, unmatched messages included;
 *   audit_log → kept (action, time, ids: the counters depend on them), payload cut to the keys
 *     that hold no personal data;
 *   do_not_contact → deleted (it holds the phone).
 */

export interface CustomerRows {
  appointments: AppointmentRow[];
  feedback: Array<{ id: number; appointment_id: number; feedback_type: string; text: string; created_at: string }>;
  inbound: Array<{ id: number; message_id: string | null; phone: string; body: string; received_at: string; appointment_id: number | null; intent: string | null; outcome: string }>;
  audit: Array<{ id: number; action: string; appointment_id: number | null; company_id: string | null; payload: string; created_at: string }>;
  doNotContact: DoNotContactRow[];
}

/** Audit payload keys kept by an erase: states and counts, never text, names, phones or external ids. */
export const AUDIT_SAFE_KEYS = [
  "response", "reason", "outcome", "attempt", "http_status", "status", "resend", "previous_status", "source", "option",
  "exhausted", "lease_lost", "opted_out", "reply_to", "duration_ms", "from", "to", "skipped",
] as const;

function inList(prefix: string, values: Array<string | number>, params: Record<string, unknown>): string {
  return values
    .map((v, i) => {
      params[`${prefix}${i}`] = v;
      return `@${prefix}${i}`;
    })
    .join(", ");
}

export async function customerRows(q: Q, phones: string[], companyId?: string): Promise<CustomerRows> {
  const params: Record<string, unknown> = {};
  let sql = `SELECT * FROM appointments WHERE client_phone IN (${inList("p", phones, params)})`;
  if (companyId !== undefined) {
    sql += " AND company_id = @company";
    params.company = companyId;
  }
  const appointments = await q.all<AppointmentRow>(sql + " ORDER BY id", params);
  const ids = appointments.map((a) => Number(a.id));
  const byIds: Record<string, unknown> = {};
  const idList = ids.length ? inList("a", ids, byIds) : "NULL";
  const feedback = ids.length ? await q.all<CustomerRows["feedback"][number]>(`SELECT * FROM feedback_events WHERE appointment_id IN (${idList}) ORDER BY id`, byIds) : [];
  // The messages of these follow-ups, and every message from the number no follow-up matched.
  const inParams: Record<string, unknown> = { ...byIds };
  const inbound = await q.all<CustomerRows["inbound"][number]>(
    `SELECT id, message_id, phone, body, received_at, appointment_id, intent, outcome FROM inbound_messages
      WHERE appointment_id IN (${idList}) OR (appointment_id IS NULL AND phone IN (${inList("p", phones, inParams)}))
      ORDER BY id`,
    inParams,
  );
  // The rows of these appointments, any older row that wrote the number into its payload
  // (e.g. inbound_unmatched), and the rows about one of the person's messages that no follow-up
  // matched (consent_granted after VOLTAR, the bot's confirmation): they name the message by
  // inbound_message_id, never the phone. Payloads are JSON.stringify'd (no spaces). A full scan,
  // but an export or erase is rare.
  const auditParams: Record<string, unknown> = { ...byIds };
  const likes = phones.map((p, i) => {
    auditParams[`l${i}`] = `%${p}%`;
    return `payload LIKE @l${i}`;
  });
  inbound.forEach((m, i) => {
    auditParams[`m${i}a`] = `%"inbound_message_id":${Number(m.id)},%`;
    auditParams[`m${i}b`] = `%"inbound_message_id":${Number(m.id)}}%`;
    likes.push(`payload LIKE @m${i}a`, `payload LIKE @m${i}b`);
  });
  const audit = await q.all<CustomerRows["audit"][number]>(
    `SELECT * FROM audit_log WHERE appointment_id IN (${idList}) OR ${likes.join(" OR ")} ORDER BY id`,
    auditParams,
  );
  const dncParams: Record<string, unknown> = {};
  let dncSql = `SELECT * FROM do_not_contact WHERE phone IN (${inList("p", phones, dncParams)})`;
  if (companyId !== undefined) {
    dncSql += " AND company_id = @company";
    dncParams.company = companyId;
  }
  const doNotContact = await q.all<DoNotContactRow>(dncSql + " ORDER BY company_id", dncParams);
  return { appointments, feedback, inbound, audit, doNotContact };
}

export interface EraseCounts {
  appointments: number;
  feedback_events: number;
  inbound_messages: number;
  audit_entries: number;
  do_not_contact: number;
}

/** Removes or anonymises what customerRows found. Call inside one transaction. */
export async function eraseCustomerRows(q: Q, rows: CustomerRows, at: string): Promise<EraseCounts> {
  const counts: EraseCounts = { appointments: 0, feedback_events: 0, inbound_messages: 0, audit_entries: 0, do_not_contact: 0 };
  for (const f of rows.feedback) counts.feedback_events += await q.run("DELETE FROM feedback_events WHERE id = ?", [f.id]);
  for (const m of rows.inbound) counts.inbound_messages += await q.run("DELETE FROM inbound_messages WHERE id = ?", [m.id]);
  for (const a of rows.audit) {
    const payload = safePayload(a.payload);
    counts.audit_entries += await q.run("UPDATE audit_log SET payload = ? WHERE id = ?", [JSON.stringify(payload), a.id]);
  }
  for (const a of rows.appointments) {
    // The clinic's ids linked to it, and a booking webhook's body (name, phone) not yet delivered.
    await q.run("DELETE FROM appointment_aliases WHERE appointment_id = ?", [a.id]);
    await q.run("DELETE FROM booking_deliveries WHERE appointment_id = ?", [a.id]);
    // A follow-up still to be sent has nobody to go to now.
    counts.appointments += await q.run(
      `UPDATE appointments
          SET client_name = '', client_phone = '', external_id = @external, followup_last_error = NULL, followup_offered_slots = NULL,
              followup_status = CASE WHEN followup_status IN ('scheduled', 'sending') THEN 'skipped' ELSE followup_status END,
              followup_skip_reason = CASE WHEN followup_status IN ('scheduled', 'sending') THEN 'erased' ELSE followup_skip_reason END,
              followup_next_scheduled = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = @at
        WHERE id = @id`,
      { id: a.id, external: `erased-${a.id}`, at },
    );
  }
  for (const d of rows.doNotContact) counts.do_not_contact += await q.run("DELETE FROM do_not_contact WHERE company_id = ? AND phone = ?", [d.company_id, d.phone]);
  return counts;
}

function safePayload(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = {};
  }
  const out: Record<string, unknown> = {};
  if (parsed && typeof parsed === "object") {
    for (const k of AUDIT_SAFE_KEYS) {
      const v = (parsed as Record<string, unknown>)[k];
      if (v !== undefined && (typeof v === "number" || typeof v === "boolean" || v === null || (typeof v === "string" && /^[a-z_]{0,40}$/.test(v)) || (Array.isArray(v) && v.every((n) => typeof n === "number")))) out[k] = v;
    }
  }
  out.erased = true;
  return out;
}

/** SQLite: pages freed from now on are zeroed (the erase's own deletes included); nothing to do on PostgreSQL. */
export async function zeroFreedPages(q: Q): Promise<void> {
  if (q.dialect === "sqlite") await q.exec("PRAGMA secure_delete = ON");
}

/** SQLite: freed pages zeroed, the file rebuilt and the WAL emptied, so no erased byte survives on disk. */
export async function scrubSqliteFile(q: Q): Promise<void> {
  await q.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  await q.exec("VACUUM");
  // busy = 1: another process reads the file, the WAL (with the old pages) could not be emptied.
  const r = await q.get<{ busy: number }>("PRAGMA wal_checkpoint(TRUNCATE)");
  if (r && Number(r.busy) !== 0) throw new Error("another process holds the database open, so its WAL could not be truncated");
}

/** PostgreSQL: dead tuples of the touched tables reclaimed now rather than at autovacuum's leisure. */
export async function vacuumPostgres(q: Q): Promise<void> {
  for (const t of ["appointments", "feedback_events", "inbound_messages", "audit_log", "do_not_contact"]) await q.exec(`VACUUM ${t}`);
}
