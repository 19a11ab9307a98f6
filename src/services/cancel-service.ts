import type { Clock } from "../clock.js";
import { UserError } from "../errors.js";
import { findByExternalId, getAppointment, type AppointmentRow } from "../store/appointments.js";
import { writeAudit } from "../store/audit.js";
import { getCompany } from "../store/companies.js";
import type { Store } from "../store/store.js";
import { appointmentSaver } from "./appointment-service.js";

export interface CancelResult {
  row: AppointmentRow;
  /** false: it was already cancelled, nothing written. */
  changed: boolean;
  /** The follow-up's status before: "scheduled" becomes skipped (cancelled); sent ones stay as they are. */
  followupBefore: string;
}

/**
 * `appointments cancel`: the appointment's status becomes cancelled through the same rules as an
 * import (appointmentSaver), so a follow-up not yet sent is unscheduled (skipped, cancelled) and
 * one already sent is left alone; audited as appointment_cancelled. One transaction.
 */
export async function cancelAppointment(store: Store, companyId: string, externalId: string, clock: Clock): Promise<CancelResult> {
  return store.tx(async (t) => {
    const company = await getCompany(t, companyId);
    if (!company) throw new UserError(`unknown company "${companyId}": see secretaria companies list`);
    const row = await findByExternalId(t, companyId, externalId);
    if (!row) throw new UserError(`company ${companyId} has no appointment "${externalId}": see secretaria appointments list --company ${companyId} --search …`);
    if (row.status === "cancelled") return { row, changed: false, followupBefore: row.followup_status };
    await appointmentSaver(t, clock)(
      {
        company_id: row.company_id, external_id: row.external_id, client_name: row.client_name, client_phone: row.client_phone,
        start_time: row.start_time, end_time: row.end_time, status: "cancelled", allow_followup: row.allow_followup === 1,
      },
      company,
    );
    const after = (await getAppointment(t, row.id)) as AppointmentRow;
    await writeAudit(t, {
      action: "appointment_cancelled", appointment_id: row.id, company_id: companyId,
      payload: { external_id: externalId, followup_from: row.followup_status, followup_to: after.followup_status },
      created_at: clock().toISOString(),
    });
    return { row: after, changed: true, followupBefore: row.followup_status };
  });
}
