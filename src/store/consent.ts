import type { Q } from "./store.js";

/**
 * The SQL of consent (LGPD): a company's do-not-contact list and the follow-ups it stops. The
 * daemon's claim, its sweep and `followups resend` check the list in their own statements
 * (followups.ts), so a phone put on it is never sent to, whatever allow_followup says.
 */

export type DoNotContactReason = "client_request" | "operator";

export interface DoNotContactRow {
  company_id: string;
  phone: string;
  since: string;
  reason: DoNotContactReason;
  /** The message that asked (capped), or the operator's note. */
  message: string | null;
  message_id: string | null;
}

/** What of the client's message is kept on the list: enough to show why, never a whole essay. */
export const DNC_MESSAGE_MAX_CHARS = 500;

/** Puts a phone on a company's list; false when it was already there (the first request stands). */
export async function addDoNotContact(q: Q, row: DoNotContactRow): Promise<boolean> {
  const changed = await q.run(
    `INSERT INTO do_not_contact (company_id, phone, since, reason, message, message_id)
     VALUES (@company_id, @phone, @since, @reason, @message, @message_id)
     ON CONFLICT (company_id, phone) DO NOTHING`,
    { ...row, message: row.message === null ? null : row.message.slice(0, DNC_MESSAGE_MAX_CHARS) },
  );
  return changed === 1;
}

/** Takes phones off a company's list; returns the rows removed. */
export function removeDoNotContact(q: Q, companyId: string, phones: string[]): Promise<DoNotContactRow[]> {
  if (phones.length === 0) return Promise.resolve([]);
  const { list, params } = inList(phones);
  return q.all<DoNotContactRow>(`DELETE FROM do_not_contact WHERE company_id = @company AND phone IN (${list}) RETURNING *`, { ...params, company: companyId });
}

/** The list's rows for these phones (any company, or one). Index: do_not_contact_phone. */
export function findDoNotContact(q: Q, phones: string[], companyId?: string): Promise<DoNotContactRow[]> {
  if (phones.length === 0) return Promise.resolve([]);
  const { list, params } = inList(phones);
  let sql = `SELECT * FROM do_not_contact WHERE phone IN (${list})`;
  if (companyId !== undefined) {
    sql += " AND company_id = @company";
    params.company = companyId;
  }
  return q.all<DoNotContactRow>(sql + " ORDER BY company_id, phone", params);
}

export function listDoNotContact(q: Q, companyId?: string): Promise<DoNotContactRow[]> {
  if (companyId === undefined) return q.all<DoNotContactRow>("SELECT * FROM do_not_contact ORDER BY company_id, since, phone");
  return q.all<DoNotContactRow>("SELECT * FROM do_not_contact WHERE company_id = ? ORDER BY since, phone", [companyId]);
}

/** Every phone on a company's list (imports check each row against it; the list is small). */
export async function doNotContactPhones(q: Q, companyId: string): Promise<Set<string>> {
  const rows = await q.all<{ phone: string }>("SELECT phone FROM do_not_contact WHERE company_id = ?", [companyId]);
  return new Set(rows.map((r) => r.phone));
}

/** The companies that hold any of these phones, with the phone as they stored it. Index: appointments_phone (client_phone). */
export function companiesWithPhone(q: Q, phones: string[]): Promise<Array<{ company_id: string; client_phone: string }>> {
  if (phones.length === 0) return Promise.resolve([]);
  const { list, params } = inList(phones);
  return q.all(`SELECT DISTINCT company_id, client_phone FROM appointments WHERE client_phone IN (${list}) ORDER BY company_id, client_phone`, params);
}

/**
 * Every follow-up of these phones at the company still to be sent becomes skipped/opted_out.
 * Rows being sent right now ('sending') are left to their claim. Returns the ids skipped.
 */
export async function skipScheduledForPhones(q: Q, companyId: string, phones: string[], now: string): Promise<number[]> {
  if (phones.length === 0) return [];
  const { list, params } = inList(phones);
  const rows = await q.all<{ id: number }>(
    `UPDATE appointments
        SET followup_status = 'skipped', followup_skip_reason = 'opted_out', followup_next_scheduled = NULL, updated_at = @now
      WHERE company_id = @company AND client_phone IN (${list}) AND followup_status = 'scheduled'
      RETURNING id`,
    { ...params, company: companyId, now },
  );
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

function inList(values: string[]): { list: string; params: Record<string, unknown> } {
  const params: Record<string, unknown> = {};
  const names = values.map((v, i) => {
    params[`v${i}`] = v;
    return `@v${i}`;
  });
  return { list: names.join(", "), params };
}
