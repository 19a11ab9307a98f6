import type { AppointmentStatus, FollowupPlan, FollowupStatus, SkipReason } from "../domain/lifecycle.js";
import { caseInsensitiveLike, type Q } from "./store.js";

/** An appointments row as stored (times are UTC ISO-8601 strings, booleans 0/1). */
export interface AppointmentRow {
  id: number;
  company_id: string;
  external_id: string;
  client_name: string;
  client_phone: string;
  start_time: string;
  end_time: string;
  status: AppointmentStatus;
  allow_followup: 0 | 1;
  followup_sent_at: string | null;
  followup_response: "positive" | "negative" | "feedback" | null;
  followup_next_scheduled: string | null;
  followup_status: FollowupStatus;
  followup_skip_reason: SkipReason | null;
  followup_due_at: string | null;
  followup_attempts: number;
  followup_last_error: string | null;
  followup_responded_at: string | null;
  /** When the bot asked the clarification question (migration 005); see awaitingClarification. */
  followup_clarification_asked_at?: string | null;
  followup_offered_slots: string | null;
  followup_booked_appointment_id: number | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  /** Where it came from (migration 009): an import, a WhatsApp booking, `appointments add`, the API. */
  source: AppointmentSource;
  created_at: string;
  updated_at: string;
}

export const APPOINTMENT_SOURCES = ["import", "whatsapp", "manual", "api"] as const;
export type AppointmentSource = (typeof APPOINTMENT_SOURCES)[number];

/** The appointment's own data, as given by add / import (normalised). */
export interface AppointmentData {
  company_id: string;
  external_id: string;
  client_name: string;
  client_phone: string;
  start_time: string;
  end_time: string;
  status: AppointmentStatus;
  allow_followup: boolean;
  /** Recorded when the row is inserted (default import); an update never changes it. */
  source?: AppointmentSource;
}

const isoOrNull = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function getAppointment(q: Q, id: number): Promise<AppointmentRow | undefined> {
  return q.get<AppointmentRow>("SELECT * FROM appointments WHERE id = ?", [id]);
}

/** Every company's appointment with this external id (`appointments show A-1` without --company). */
export function findAllByExternalId(q: Q, externalId: string): Promise<AppointmentRow[]> {
  return q.all<AppointmentRow>("SELECT * FROM appointments WHERE external_id = ? ORDER BY company_id", [externalId]);
}

/** The company's appointment with this external id, or the one it was linked to under it (appointment_aliases). */
export async function findByExternalId(q: Q, companyId: string, externalId: string): Promise<AppointmentRow | undefined> {
  return (
    (await q.get<AppointmentRow>("SELECT * FROM appointments WHERE company_id = ? AND external_id = ?", [companyId, externalId])) ??
    q.get<AppointmentRow>(
      "SELECT a.* FROM appointment_aliases l JOIN appointments a ON a.id = l.appointment_id WHERE l.company_id = ? AND l.external_id = ?",
      [companyId, externalId],
    )
  );
}

/** Every company's appointment known by this external id through a link (`appointments show CLIN-77`). */
export function findAllByAlias(q: Q, externalId: string): Promise<AppointmentRow[]> {
  return q.all<AppointmentRow>(
    "SELECT a.* FROM appointment_aliases l JOIN appointments a ON a.id = l.appointment_id WHERE l.external_id = ? ORDER BY a.company_id",
    [externalId],
  );
}

/** The other external ids an appointment is known by (its links), oldest first. */
export async function aliasesOf(q: Q, appointmentId: number): Promise<string[]> {
  const rows = await q.all<{ external_id: string }>("SELECT external_id FROM appointment_aliases WHERE appointment_id = ? ORDER BY created_at, external_id", [appointmentId]);
  return rows.map((r) => r.external_id);
}

const FIND_SQL =
  "SELECT id, client_name, client_phone, start_time, end_time, status, allow_followup, followup_status FROM appointments WHERE company_id = ? AND external_id = ?";
const INSERT_COLUMNS = "company_id, external_id, client_name, client_phone, start_time, end_time, status, allow_followup, followup_status, followup_skip_reason, followup_next_scheduled, followup_due_at, source, created_at, updated_at";
const INSERT_SQL = `INSERT INTO appointments (${INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const RESOLVE_COLUMNS = "id, external_id, client_name, client_phone, start_time, end_time, status, allow_followup, followup_status, source";
// Only when FIND_SQL found nothing (a re-import pays nothing more): the row this external id was
// linked to (appointment_aliases' key), then the same client at the same start under another id
// (appointments_company_start).
// The best one first: a link before a slot match; among slot matches the WhatsApp booking, then the oldest row.
const LINK_SQL = `SELECT 1 AS via, 0 AS pref, ${RESOLVE_COLUMNS.split(", ").map((c) => `a.${c}`).join(", ")}
    FROM appointment_aliases l JOIN appointments a ON a.id = l.appointment_id WHERE l.company_id = ? AND l.external_id = ?
  UNION ALL
  SELECT 2 AS via, CASE WHEN source = 'whatsapp' THEN 0 ELSE 1 END AS pref, ${RESOLVE_COLUMNS}
    FROM appointments WHERE company_id = ? AND start_time = ? AND client_phone = ? AND external_id <> ?
  ORDER BY via, pref, id LIMIT 1`;
// PostgreSQL: LINK_SQL's lookups and the insert of a row nobody has, in one statement (an import of
// new rows makes one round trip a row instead of three). The insert's CTE sees the snapshot the
// lookups see; it runs only when they found nothing.
const RESOLVE_OR_INSERT_PG = `WITH found AS (
    SELECT 0 AS via, 0 AS pref, ${RESOLVE_COLUMNS} FROM appointments WHERE company_id = @company_id AND external_id = @external_id
    UNION ALL
    SELECT 1 AS via, 0 AS pref, ${RESOLVE_COLUMNS.split(", ").map((c) => `a.${c}`).join(", ")}
      FROM appointment_aliases l JOIN appointments a ON a.id = l.appointment_id WHERE l.company_id = @company_id AND l.external_id = @external_id
    UNION ALL
    SELECT 2 AS via, CASE WHEN source = 'whatsapp' THEN 0 ELSE 1 END AS pref, ${RESOLVE_COLUMNS}
      FROM appointments WHERE company_id = @company_id AND start_time = @start_time AND client_phone = @client_phone AND external_id <> @external_id
    ORDER BY via, pref, id LIMIT 1
  ), inserted AS (
    INSERT INTO appointments (${INSERT_COLUMNS})
    SELECT @company_id, @external_id, @client_name, @client_phone, @start_time, @end_time, @status, CAST(@allow_followup AS integer),
           @followup_status, @followup_skip_reason, @followup_next_scheduled, @followup_due_at, @source, @now, @now
     WHERE NOT EXISTS (SELECT 1 FROM found)
    RETURNING id
  )
  SELECT (SELECT row_to_json(found) FROM found) AS found, (SELECT id FROM inserted) AS inserted_id`;

const UPDATE_DATA_SQL = `UPDATE appointments SET client_name = ?, client_phone = ?, start_time = ?, end_time = ?,
    status = ?, allow_followup = ?, updated_at = ? WHERE id = ?`;
// Only touches rows still before sending: the WHERE guards against a daemon that claimed the row meanwhile.
const UPDATE_PLAN_SQL = `UPDATE appointments SET followup_status = ?, followup_skip_reason = ?,
    followup_next_scheduled = ?, followup_due_at = ?, followup_attempts = 0, followup_last_error = NULL, updated_at = ?
  WHERE id = ? AND followup_status IN ('scheduled', 'skipped')`;

export type StoredAppointmentData = Pick<
  AppointmentRow,
  "id" | "client_name" | "client_phone" | "start_time" | "end_time" | "status" | "allow_followup" | "followup_status"
>;

/** What an imported row's (company, external id, phone, start) points at; see appointmentWriter.resolve. */
export type ResolvedAppointment =
  | { via: "own"; row: StoredAppointmentData }
  /** Known under another external id: linked earlier (alias), or the same client at the same start (slot). */
  | { via: "alias" | "slot"; row: StoredAppointmentData & Pick<AppointmentRow, "external_id" | "source"> }
  | { via: "none" };

/** The writes of add and import: run inside the caller's transaction. Parameters are positional: a 1M-row import feels every lookup. */
export const appointmentWriter = {
  find(q: Q, companyId: string, externalId: string): Promise<StoredAppointmentData | undefined> {
    return q.get(FIND_SQL, [companyId, externalId]);
  },
  async insert(q: Q, data: AppointmentData, plan: FollowupPlan, nowIso: string): Promise<number> {
    return q.insert(INSERT_SQL, [
      data.company_id, data.external_id, data.client_name, data.client_phone, data.start_time, data.end_time, data.status,
      data.allow_followup ? 1 : 0, plan.followup_status, plan.followup_skip_reason,
      isoOrNull(plan.followup_next_scheduled), isoOrNull(plan.followup_due_at), data.source ?? "import", nowIso, nowIso,
    ]);
  },
  /**
   * The row a record is about: its own external id first, then a link made earlier, then the same
   * client (phone digits) at the same start under another external id (a WhatsApp booking the
   * clinic exports under its own id; the WhatsApp booking wins a tie, then the oldest row).
   */
  async resolve(q: Q, data: AppointmentData): Promise<ResolvedAppointment> {
    type Found = StoredAppointmentData & Pick<AppointmentRow, "external_id" | "source"> & { via: number; pref: number };
    const own = await q.get<StoredAppointmentData>(FIND_SQL, [data.company_id, data.external_id]);
    if (own) return { via: "own", row: own };
    const found = await q.get<Found>(LINK_SQL, [data.company_id, data.external_id, data.company_id, data.start_time, data.client_phone, data.external_id]);
    if (!found) return { via: "none" };
    const { via, pref: _pref, ...row } = found;
    return { via: Number(via) === 1 ? "alias" : "slot", row };
  },
  /**
   * resolve, and when nothing is found, insert the row `newRow` plans (called only then on SQLite,
   * where a lookup costs no round trip; before the one statement on PostgreSQL).
   */
  async resolveOrInsert(q: Q, data: AppointmentData, newRow: () => Promise<{ plan: FollowupPlan; nowIso: string }>): Promise<ResolvedAppointment | { via: "inserted"; id: number }> {
    if (q.dialect !== "postgres") {
      const found = await this.resolve(q, data);
      if (found.via !== "none") return found;
      const { plan, nowIso } = await newRow();
      return { via: "inserted", id: await this.insert(q, data, plan, nowIso) };
    }
    const { plan, nowIso } = await newRow();
    type Found = StoredAppointmentData & Pick<AppointmentRow, "external_id" | "source"> & { via: number; pref: number };
    const r = await q.get<{ found: Found | null; inserted_id: number | null }>(RESOLVE_OR_INSERT_PG, {
      company_id: data.company_id, external_id: data.external_id, client_name: data.client_name, client_phone: data.client_phone,
      start_time: data.start_time, end_time: data.end_time, status: data.status, allow_followup: data.allow_followup ? 1 : 0,
      followup_status: plan.followup_status, followup_skip_reason: plan.followup_skip_reason,
      followup_next_scheduled: isoOrNull(plan.followup_next_scheduled), followup_due_at: isoOrNull(plan.followup_due_at),
      source: data.source ?? "import", now: nowIso,
    });
    if (r?.inserted_id != null) return { via: "inserted", id: Number(r.inserted_id) };
    const found = r?.found;
    if (!found) throw new Error("resolveOrInsert: neither found nor inserted");
    const { via, pref: _pref, ...row } = found;
    row.id = Number(row.id);
    if (via === 0) return { via: "own", row };
    return { via: via === 1 ? "alias" : "slot", row };
  },
  /** Records `externalId` as another name of appointment `id` (a re-import finds it; nothing if already there). */
  async link(q: Q, companyId: string, externalId: string, id: number, nowIso: string): Promise<void> {
    await q.run("INSERT INTO appointment_aliases (company_id, external_id, appointment_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", [
      companyId, externalId, id, nowIso,
    ]);
  },
  async update(q: Q, id: number, data: AppointmentData, plan: FollowupPlan | null, nowIso: string): Promise<void> {
    await q.run(UPDATE_DATA_SQL, [
      data.client_name, data.client_phone, data.start_time, data.end_time, data.status, data.allow_followup ? 1 : 0, nowIso, id,
    ]);
    if (plan) {
      await q.run(UPDATE_PLAN_SQL, [
        plan.followup_status, plan.followup_skip_reason, isoOrNull(plan.followup_next_scheduled), isoOrNull(plan.followup_due_at), nowIso, id,
      ]);
    }
  },
};

export interface AppointmentFilter {
  companyId?: string;
  source?: AppointmentSource;
  from?: string;
  to?: string;
  search?: string;
  limit: number;
  offset: number;
}

export async function listAppointments(q: Q, f: AppointmentFilter): Promise<{ rows: AppointmentRow[]; total: number }> {
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: f.limit, offset: f.offset };
  if (f.companyId) {
    where.push("company_id = @companyId");
    params.companyId = f.companyId;
  }
  if (f.source) {
    where.push("source = @source");
    params.source = f.source;
  }
  if (f.from) {
    where.push("start_time >= @from");
    params.from = f.from;
  }
  if (f.to) {
    where.push("start_time < @to");
    params.to = f.to;
  }
  if (f.search) {
    const like = caseInsensitiveLike(q);
    where.push(`(client_name ${like} @search ESCAPE '\\' OR client_phone LIKE @search ESCAPE '\\' OR external_id = @exact)`);
    params.search = `%${f.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    params.exact = f.search;
  }
  const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
  const rows = await q.all<AppointmentRow>(`SELECT * FROM appointments ${clause} ORDER BY start_time, id LIMIT @limit OFFSET @offset`, params);
  const countParams = { ...params };
  delete countParams.limit;
  delete countParams.offset;
  const { n } = (await q.get<{ n: number }>(`SELECT count(*) AS n FROM appointments ${clause}`, countParams))!;
  return { rows, total: n };
}
