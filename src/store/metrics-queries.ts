import type { Q } from "./store.js";

/**
 * The SQL behind /metrics and /healthz. Every query here runs on each scrape, so each one is
 * cheap on a database of a million appointments.
 */

export const METRICS_SQL = {
  /**
   * The release notes' counters: kept by a trigger on audit_log (migration 003) in the same
   * transaction as each audit row, so a scrape never skips or double-counts one, whichever order
   * the daemons' transactions commit in. O(companies).
   */
  followupCounters: "SELECT company_id, action, response, n FROM followup_counters",
  /**
   * Follow-ups per company and state: a covering scan of the views' index
   * appointments_company_status_end (company_id, followup_status, …), already in GROUP BY order.
   */
  stateCounts: `SELECT company_id, followup_status, count(*) AS n
                  FROM appointments
                 GROUP BY company_id, followup_status`,
  companyPauses: "SELECT id, CASE WHEN paused_reason IS NOT NULL THEN 1 ELSE 0 END AS paused FROM companies ORDER BY id",
  ping: "SELECT count(*) AS n FROM daemon_state",
} as const;

export interface CounterRow {
  company_id: string;
  action: "followup_sent" | "followup_response" | "consent_revoked";
  /** positive | negative | feedback for followup_response; '' for sends. */
  response: string;
  n: number;
}

export function followupCounters(q: Q): Promise<CounterRow[]> {
  return q.all<CounterRow>(METRICS_SQL.followupCounters);
}

export interface StateCountRow {
  company_id: string;
  followup_status: string;
  n: number;
}

/** Follow-ups per company and state. Still O(rows) (≈ 0.1 s on a million), so the caller caches the result for a few seconds. */
export function followupStateCounts(q: Q): Promise<StateCountRow[]> {
  return q.all<StateCountRow>(METRICS_SQL.stateCounts);
}

export interface CompanyPauseRow {
  id: string;
  paused: 0 | 1;
}

/** Every company and whether its sending is paused (Whaticket refused its token). The table is small. */
export function companyPauses(q: Q): Promise<CompanyPauseRow[]> {
  return q.all<CompanyPauseRow>(METRICS_SQL.companyPauses);
}

/** Whether the database answers a read. */
export async function pingDatabase(q: Q): Promise<boolean> {
  try {
    await q.get(METRICS_SQL.ping);
    return true;
  } catch {
    return false;
  }
}
