import { count } from "../render/plural.js";
import type { Clock } from "../clock.js";
import { UserError } from "../errors.js";
import { writeAudit } from "../store/audit.js";
import { getCompany } from "../store/companies.js";
import { deleteCompanyData } from "../store/company-removal.js";
import { countPendingFollowups } from "../store/status-queries.js";
import type { Store } from "../store/store.js";

/**
 * `companies remove`: refuses while follow-ups are still to be sent (scheduled or sending) unless
 * `force`, then deletes the company and its data in one transaction and audits company_removed.
 */
export async function removeCompany(store: Store, id: string, o: { force: boolean; clock: Clock }): Promise<{ appointments: number; pending: number }> {
  return store.tx(async (t) => {
    if (!(await getCompany(t, id))) throw new UserError(`unknown company "${id}": see secretaria companies list`);
    const pending = await countPendingFollowups(t, id);
    if (pending && !o.force) {
      throw new UserError(`company ${id} has ${count(pending, "follow-up")} still to be sent: cancel them (secretaria appointments cancel …), wait until they go out, or pass --force to remove it anyway`);
    }
    const { appointments } = await deleteCompanyData(t, id);
    await writeAudit(t, { action: "company_removed", company_id: id, payload: { appointments, pending, forced: o.force }, created_at: o.clock().toISOString() });
    return { appointments, pending };
  });
}
