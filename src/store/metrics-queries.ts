import type { Db } from "./db.js";

/**
 * The SQL behind /metrics and /healthz. Every query here runs on each scrape, so each one
 * names the index or rowid range it relies on: a scrape must stay cheap on a database of
 * a million appointments.
 */

/** The statements, exported so tests and benchmarks can EXPLAIN QUERY PLAN them. */
export const METRICS_SQL = {
  /** O(1): the rowid b-tree's last entry. */
  auditMaxId: "SELECT coalesce(max(id), 0) AS max FROM audit_log",
  /** First scrape: sends per company, a covering scan of audit_log_action's followup_sent range. */
  sendsUpTo: `SELECT 'followup_sent' AS action, company_id, NULL AS response, count(*) AS n
                FROM audit_log INDEXED BY audit_log_action
               WHERE action = 'followup_sent' AND id <= @max
               GROUP BY company_id`,
  /** First scrape: answers per company and response, from the partial index audit_log_response alone. */
  answersUpTo: `SELECT 'followup_response' AS action, company_id, json_extract(payload, '$.response') AS response, count(*) AS n
                  FROM audit_log INDEXED BY audit_log_response
                 WHERE action = 'followup_response' AND id <= @max
                 GROUP BY company_id, json_extract(payload, '$.response')`,
  /** Later scrapes: the rows since the last one, by a rowid range seek. */
  followupAuditBetween: `SELECT action, company_id,
                                CASE WHEN action = 'followup_response' THEN json_extract(payload, '$.response') END AS response,
                                count(*) AS n
                           FROM audit_log NOT INDEXED
                          WHERE id > @after AND id <= @max AND action IN ('followup_sent', 'followup_response')
                          GROUP BY action, company_id, response`,
  /**
   * Follow-ups per company and state: a covering scan of the views' index
   * appointments_company_status_end (company_id, followup_status, …), already in GROUP BY order.
   */
  stateCounts: `SELECT company_id, followup_status, count(*) AS n
                  FROM appointments
                 GROUP BY company_id, followup_status`,
  companyPauses: "SELECT id, paused_reason IS NOT NULL AS paused FROM companies ORDER BY id",
  ping: "SELECT count(*) AS n FROM daemon_state",
} as const;

/** New follow-up audit rows grouped for the counters: sends per company, answers per company and response. */
export interface AuditCountRow {
  action: "followup_sent" | "followup_response";
  company_id: string | null;
  /** payload.response of followup_response rows (positive | negative | feedback); null for sends. */
  response: string | null;
  n: number;
}

export interface AuditDelta {
  rows: AuditCountRow[];
  /** The highest audit_log id the rows cover: pass it as `afterId` next time. */
  lastId: number;
}

/**
 * Counts of follow-up audit rows with afterId < id <= max(id), read in one snapshot.
 *
 * audit_log is append-only and its ids are assigned under SQLite's single write lock, so
 * every row with an id at or below the max we read is already committed: remembering that
 * id and asking only for newer rows never misses or double-counts one.
 *
 * - First call (afterId 0): two aggregates read from indexes alone (their entries carry the
 *   rowid, so `id <= @max` is checked there too): sends through audit_log_action (action,
 *   company_id); answers through the partial index audit_log_response (company_id,
 *   json_extract(payload, '$.response')), so no JSON payload is parsed.
 * - Later calls: a rowid range seek (`id > @after`, NOT INDEXED keeps the planner from
 *   preferring the action index, which would walk every send ever made).
 */
export function auditCountsSince(db: Db, afterId: number): AuditDelta {
  return db.transaction((): AuditDelta => {
    const { max } = db.prepare(METRICS_SQL.auditMaxId).get() as { max: number };
    if (max <= afterId) return { rows: [], lastId: afterId };
    const params = { after: afterId, max };
    const rows =
      afterId === 0
        ? [
            ...(db.prepare(METRICS_SQL.sendsUpTo).all(params) as AuditCountRow[]),
            ...(db.prepare(METRICS_SQL.answersUpTo).all(params) as AuditCountRow[]),
          ]
        : (db.prepare(METRICS_SQL.followupAuditBetween).all(params) as AuditCountRow[]);
    return { rows, lastId: max };
  })();
}

export interface StateCountRow {
  company_id: string;
  followup_status: string;
  n: number;
}

/**
 * Follow-ups per company and state: index entries only, never the table, already grouped in
 * index order (no sort). Still O(rows) (≈ 0.1 s on a million), so the caller caches the result
 * for a few seconds.
 */
export function followupStateCounts(db: Db): StateCountRow[] {
  return db.prepare(METRICS_SQL.stateCounts).all() as StateCountRow[];
}

export interface CompanyPauseRow {
  id: string;
  paused: 0 | 1;
}

/** Every company and whether its sending is paused (Whaticket refused its token). The table is small. */
export function companyPauses(db: Db): CompanyPauseRow[] {
  return db.prepare(METRICS_SQL.companyPauses).all() as CompanyPauseRow[];
}

/** Whether the database answers a query on the daemon's own table (false when closed, locked beyond the busy timeout, or broken). */
export function pingDatabase(db: Db): boolean {
  try {
    db.prepare(METRICS_SQL.ping).get();
    return true;
  } catch {
    return false;
  }
}
