import { forgetImportMapping } from "./import-mappings.js";
import type { Q } from "./store.js";

/**
 * Deletes a company and what belongs only to it, inside the caller's transaction: its
 * appointments (and their feedback events; inbound messages keep their text but lose the link),
 * its do-not-contact list, API tokens, send budget, counters and saved import mapping. The audit
 * log stays: it is the record of what happened. Returns how many appointments went.
 */
export async function deleteCompanyData(q: Q, companyId: string): Promise<{ appointments: number }> {
  const mine = "SELECT id FROM appointments WHERE company_id = ?";
  await q.run(`DELETE FROM feedback_events WHERE appointment_id IN (${mine})`, [companyId]);
  await q.run(`UPDATE inbound_messages SET appointment_id = NULL WHERE appointment_id IN (${mine})`, [companyId]);
  await q.run(`UPDATE appointments SET followup_booked_appointment_id = NULL WHERE followup_booked_appointment_id IN (${mine})`, [companyId]);
  const appointments = await q.run("DELETE FROM appointments WHERE company_id = ?", [companyId]);
  for (const table of ["do_not_contact", "api_tokens", "send_budget", "followup_counters"]) {
    await q.run(`DELETE FROM ${table} WHERE company_id = ?`, [companyId]);
  }
  await forgetImportMapping(q, companyId);
  await q.run("DELETE FROM companies WHERE id = ?", [companyId]);
  return { appointments };
}
