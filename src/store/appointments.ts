import type { AppointmentStatus, FollowupPlan, FollowupStatus, SkipReason } from "../domain/lifecycle.js";
import type { Db } from "./db.js";

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
  followup_offered_slots: string | null;
  followup_booked_appointment_id: number | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  created_at: string;
  updated_at: string;
}

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
}

const isoOrNull = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function getAppointment(db: Db, id: number): AppointmentRow | undefined {
  return db.prepare("SELECT * FROM appointments WHERE id = ?").get(id) as AppointmentRow | undefined;
}

export function findByExternalId(db: Db, companyId: string, externalId: string): AppointmentRow | undefined {
  return db.prepare("SELECT * FROM appointments WHERE company_id = ? AND external_id = ?").get(companyId, externalId) as
    | AppointmentRow
    | undefined;
}

/** Prepared statements for bulk work (import): prepare once, run many times inside one transaction. */
export function appointmentWriter(db: Db) {
  const find = db.prepare(
    "SELECT id, client_name, client_phone, start_time, end_time, status, allow_followup, followup_status FROM appointments WHERE company_id = ? AND external_id = ?",
  );
  const insert = db.prepare(
    `INSERT INTO appointments (company_id, external_id, client_name, client_phone, start_time, end_time, status, allow_followup,
        followup_status, followup_skip_reason, followup_next_scheduled, followup_due_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const updateData = db.prepare(
    `UPDATE appointments SET client_name = @client_name, client_phone = @client_phone, start_time = @start_time, end_time = @end_time,
        status = @status, allow_followup = @allow_followup, updated_at = @now WHERE id = @id`,
  );
  // Only touches rows still before sending: the WHERE guards against a daemon that claimed the row meanwhile.
  const updatePlan = db.prepare(
    `UPDATE appointments SET followup_status = @followup_status, followup_skip_reason = @followup_skip_reason,
        followup_next_scheduled = @followup_next_scheduled, followup_due_at = @followup_due_at,
        followup_attempts = 0, followup_last_error = NULL, updated_at = @now
     WHERE id = @id AND followup_status IN ('scheduled', 'skipped')`,
  );
  return {
    find(companyId: string, externalId: string) {
      return find.get(companyId, externalId) as
        | Pick<AppointmentRow, "id" | "client_name" | "client_phone" | "start_time" | "end_time" | "status" | "allow_followup" | "followup_status">
        | undefined;
    },
    insert(data: AppointmentData, plan: FollowupPlan, nowIso: string): number {
      // Positional, not named: binding from an object costs a property lookup per column per row, felt on a 1M-row import.
      const r = insert.run(
        data.company_id, data.external_id, data.client_name, data.client_phone, data.start_time, data.end_time, data.status,
        data.allow_followup ? 1 : 0, plan.followup_status, plan.followup_skip_reason,
        isoOrNull(plan.followup_next_scheduled), isoOrNull(plan.followup_due_at), nowIso, nowIso,
      );
      return Number(r.lastInsertRowid);
    },
    update(id: number, data: AppointmentData, plan: FollowupPlan | null, nowIso: string): void {
      updateData.run({
        id,
        client_name: data.client_name,
        client_phone: data.client_phone,
        start_time: data.start_time,
        end_time: data.end_time,
        status: data.status,
        allow_followup: data.allow_followup ? 1 : 0,
        now: nowIso,
      });
      if (plan) {
        updatePlan.run({
          id,
          followup_status: plan.followup_status,
          followup_skip_reason: plan.followup_skip_reason,
          followup_next_scheduled: isoOrNull(plan.followup_next_scheduled),
          followup_due_at: isoOrNull(plan.followup_due_at),
          now: nowIso,
        });
      }
    },
  };
}

export interface AppointmentFilter {
  companyId?: string;
  from?: string;
  to?: string;
  search?: string;
  limit: number;
  offset: number;
}

export function listAppointments(db: Db, f: AppointmentFilter): { rows: AppointmentRow[]; total: number } {
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: f.limit, offset: f.offset };
  if (f.companyId) {
    where.push("company_id = @companyId");
    params.companyId = f.companyId;
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
    where.push("(client_name LIKE @search ESCAPE '\\' OR client_phone LIKE @search ESCAPE '\\' OR external_id = @exact)");
    params.search = `%${f.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    params.exact = f.search;
  }
  const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
  const rows = db.prepare(`SELECT * FROM appointments ${clause} ORDER BY start_time, id LIMIT @limit OFFSET @offset`).all(params) as AppointmentRow[];
  const { n } = db.prepare(`SELECT count(*) AS n FROM appointments ${clause}`).get(params) as { n: number };
  return { rows, total: n };
}
