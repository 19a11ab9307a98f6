import type { Q } from "./store.js";

/**
 * The audit trail, newest first (by id: the order entries were written, whatever clock wrote
 * created_at). Indexes: audit_log_appointment (appointment_id, id) for --appointment,
 * audit_log_action (action, company_id) for --action; otherwise the rowid, backwards.
 */

export interface AuditRow {
  id: number;
  action: string;
  appointment_id: number | null;
  company_id: string | null;
  payload: string;
  created_at: string;
}

/** A created_at lower bound in UTC ISO-8601, for one company (its local day) or for rows of any company. */
export interface CreatedSince {
  companyId: string | null;
  from: string;
}

export interface AuditFilter {
  appointmentId?: number;
  action?: string;
  companyId?: string;
  /** OR-ed, one per company zone; `companyId: null` applies to every row not matched by another */
  since?: CreatedSince[];
  limit: number;
  offset: number;
}

export function auditListSql(f: AuditFilter): { sql: string; countSql: string; params: Record<string, unknown> } {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (f.appointmentId !== undefined) {
    where.push("appointment_id = @appointmentId");
    params.appointmentId = f.appointmentId;
  }
  if (f.action) {
    where.push("action = @action");
    params.action = f.action;
  }
  if (f.companyId) {
    where.push("company_id = @companyId");
    params.companyId = f.companyId;
  }
  if (f.since?.length) {
    const named = f.since.filter((s) => s.companyId !== null);
    const alternatives = named.map((s, i) => {
      params[`sc${i}`] = s.companyId;
      params[`sf${i}`] = s.from;
      return `(company_id = @sc${i} AND created_at >= @sf${i})`;
    });
    const fallback = f.since.find((s) => s.companyId === null);
    if (fallback) {
      params.sfAny = fallback.from;
      const others = named.length ? `(company_id IS NULL OR company_id NOT IN (${named.map((_, i) => `@sc${i}`).join(", ")}))` : "TRUE";
      alternatives.push(`(${others} AND created_at >= @sfAny)`);
    }
    where.push(alternatives.length === 1 ? alternatives[0]! : `(${alternatives.join(" OR ")})`);
  }
  const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
  return {
    sql: `SELECT id, action, appointment_id, company_id, payload, created_at FROM audit_log ${clause} ORDER BY id DESC LIMIT @limit OFFSET @offset`,
    countSql: `SELECT count(*) AS n FROM audit_log ${clause}`,
    params,
  };
}

export async function listAudit(q: Q, f: AuditFilter): Promise<{ rows: AuditRow[]; total: number }> {
  const { sql, countSql, params } = auditListSql(f);
  const rows = await q.all<AuditRow>(sql, { ...params, limit: f.limit, offset: f.offset });
  const { n } = (await q.get<{ n: number }>(countSql, params))!;
  return { rows, total: n };
}

/** The actions present, for the "unknown --action" hint. */
export async function auditActions(q: Q): Promise<string[]> {
  return (await q.all<{ action: string }>("SELECT DISTINCT action FROM audit_log ORDER BY action")).map((r) => r.action);
}
