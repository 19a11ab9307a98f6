import type { Q } from "./store.js";

/**
 * The few counts of `secretaria status`, read from the database so any host can ask.
 * Due now uses the claim's index on (followup_status, followup_next_scheduled).
 */
export async function countDueNow(q: Q, nowIso: string): Promise<number> {
  const r = await q.get<{ n: number | string }>(
    "SELECT count(*) AS n FROM appointments WHERE followup_status = 'scheduled' AND followup_next_scheduled <= ?",
    [nowIso],
  );
  return Number(r?.n ?? 0);
}

/** Audit rows of one action since an instant (UTC ISO): sends in the last hour. */
export async function countAuditSince(q: Q, action: string, sinceIso: string): Promise<number> {
  const r = await q.get<{ n: number | string }>("SELECT count(*) AS n FROM audit_log WHERE action = ? AND created_at >= ?", [action, sinceIso]);
  return Number(r?.n ?? 0);
}

/** Follow-ups still to be sent for a company (scheduled or being sent): `companies remove` refuses while any. */
export async function countPendingFollowups(q: Q, companyId: string): Promise<number> {
  const r = await q.get<{ n: number | string }>(
    "SELECT count(*) AS n FROM appointments WHERE company_id = ? AND followup_status IN ('scheduled', 'sending')",
    [companyId],
  );
  return Number(r?.n ?? 0);
}
