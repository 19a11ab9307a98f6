import { DateTime } from "luxon";
import type { Clock } from "../clock.js";
import { replanFollowup, planFollowup, type AppointmentStatus } from "../domain/lifecycle.js";
import { normalizePhone } from "../domain/phone.js";
import {
  aliasesOf, appointmentWriter, findAllByAlias, findAllByExternalId, getAppointment, type AppointmentData, type AppointmentRow, type ResolvedAppointment,
  type StoredAppointmentData,
} from "../store/appointments.js";
import { UsageError, UserError } from "../errors.js";
import type { Q, Store } from "../store/store.js";
import { doNotContactPhones } from "../store/consent.js";
import { writeAudit } from "../store/audit.js";
import type { CompanyRow } from "../store/companies.js";
import { schedulingPolicy } from "./company-service.js";

/** The appointment reads commands use as they are (the store answers; no rule to apply). */
export { aliasesOf, getAppointment };
export { APPOINTMENT_SOURCES, listAppointments } from "../store/appointments.js";

/**
 * `appointments show REF [--company C]`: REF is an external id (of one company, or pass --company), a
 * clinic's id linked to an appointment booked under another (import), or else a row id.
 */
export async function appointmentByRef(q: Q, ref: string, companyId: string | undefined): Promise<AppointmentRow> {
  const inCompany = (r: AppointmentRow) => !companyId || r.company_id === companyId;
  let byExternal = (await findAllByExternalId(q, ref)).filter(inCompany);
  if (!byExternal.length) byExternal = (await findAllByAlias(q, ref)).filter(inCompany);
  if (byExternal.length > 1) {
    throw new UsageError(`"${ref}" is an external id of ${byExternal.length} companies (${byExternal.map((r) => r.company_id).join(", ")}): pass --company`);
  }
  let row = byExternal[0];
  if (!row && /^\d+$/.test(ref)) {
    const byId = await getAppointment(q, Number(ref));
    if (byId && inCompany(byId)) row = byId;
  }
  if (!row) throw new UserError(`no appointment "${ref}"${companyId ? ` in company ${companyId}` : ""}: give its id or external id (see secretaria appointments list)`);
  return row;
}

/** A record as it arrives from flags, a CSV row or a JSON line: every value still untrusted. */
export type RawAppointment = Record<string, unknown>;

export type SaveResult = "inserted" | "updated" | "unchanged";

const TRUE = new Set(["true", "1", "yes", "y", "sim", "s", "t"]);
const FALSE = new Set(["false", "0", "no", "n", "nao", "não", "f", ""]);

function text(v: unknown): string {
  if (v === null || v === undefined) return "";
  return String(v).trim();
}

export function parseBool(v: unknown): boolean | null {
  if (typeof v === "boolean") return v;
  const t = text(v).toLowerCase();
  if (TRUE.has(t)) return true;
  if (FALSE.has(t)) return false;
  return null;
}

/** ISO-8601 with an offset, or a local time read in the company's zone ("2026-11-25 14:00" or "2026-11-25T14:00"). */
export function parseAppointmentTime(v: unknown, zone: string): Date | null {
  const t = text(v).replace(" ", "T");
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(t)) return null;
  const fast = zoneUsable(zone) ? parseIsoWithOffset(t) : null;
  if (fast) return fast;
  const dt = DateTime.fromISO(t, { zone });
  return dt.isValid ? dt.toJSDate() : null;
}

const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(?:Z|([+-])(\d{2}):(\d{2}))$/;
const usableZones = new Map<string, boolean>();

/** luxon refuses every time, offset or not, when the zone is invalid: the fast path must too. */
function zoneUsable(zone: string): boolean {
  let ok = usableZones.get(zone);
  if (ok === undefined) usableZones.set(zone, (ok = DateTime.fromISO("2026-01-01T00:00Z", { zone }).isValid));
  return ok;
}

/**
 * The common case without luxon: an ISO time with "Z" or "±HH:MM" whose fields are all in range.
 * Anything else (impossible dates, 24:00, other ISO forms) returns null and goes through luxon,
 * so the result is always what luxon gives.
 */
function parseIsoWithOffset(t: string): Date | null {
  const m = ISO_WITH_OFFSET.exec(t);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] ? Number(m[6]) : 0;
  // luxon's own rounding of fractions (parseMillis), so ".1234"-like inputs agree to the millisecond.
  const ms = m[7] ? Math.floor(parseFloat(`0.${m[7]}`) * 1000) : 0;
  const offHour = m[9] ? Number(m[9]) : 0;
  const offMinute = m[10] ? Number(m[10]) : 0;
  if (year < 1000 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59 || offHour > 14 || offMinute > 59) return null;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(local);
  // Date.UTC rolls 2026-02-30 over into March: a changed day means the date does not exist.
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return null;
  const offset = (m[8] === "-" ? -1 : 1) * (offHour * 60 + offMinute);
  return new Date(local - offset * 60_000);
}

/** Validates one record; returns normalised data or the list of what is wrong with it. */
export function validateAppointment(raw: RawAppointment, companies: (id: string) => CompanyRow | undefined):
  { ok: true; data: AppointmentData; company: CompanyRow } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const companyId = text(raw.company_id);
  const company = companyId ? companies(companyId) : undefined;
  if (!companyId) problems.push("company_id is missing");
  else if (!company) problems.push(`unknown company_id "${companyId}" (add it with secretaria companies add)`);
  const externalId = text(raw.external_id);
  if (!externalId) problems.push("external_id is missing");
  else if (externalId.length > 200) problems.push("external_id is longer than 200 characters");
  const name = text(raw.client_name);
  if (!name) problems.push("client_name is missing");
  const rawPhone = text(raw.client_phone);
  const phone = rawPhone ? normalizePhone(rawPhone) : null;
  if (!rawPhone) problems.push("client_phone is missing");
  else if (!phone) problems.push(`client_phone "${rawPhone}" is not a phone number (e.g. +55 11 99999-0000)`);
  const zone = company?.timezone ?? "America/Sao_Paulo";
  const start = parseAppointmentTime(raw.start_time, zone);
  const end = parseAppointmentTime(raw.end_time, zone);
  if (!start) problems.push(`start_time "${text(raw.start_time)}" is not a time like 2026-11-25T14:00-03:00`);
  if (!end) problems.push(`end_time "${text(raw.end_time)}" is not a time like 2026-11-25T15:00-03:00`);
  if (start && end && end.getTime() <= start.getTime()) problems.push("end_time must be after start_time");
  const consent = parseBool(raw.allow_followup ?? "");
  if (consent === null) problems.push(`allow_followup "${text(raw.allow_followup)}" must be true or false`);
  const statusText = text(raw.status).toLowerCase() || "booked";
  if (statusText !== "booked" && statusText !== "cancelled") problems.push(`status "${text(raw.status)}" must be booked or cancelled`);
  if (problems.length || !company || !start || !end || !phone || consent === null) return { ok: false, problems };
  return {
    ok: true,
    company,
    data: {
      company_id: companyId,
      external_id: externalId,
      client_name: name,
      client_phone: phone,
      start_time: start.toISOString(),
      end_time: end.toISOString(),
      status: statusText as AppointmentStatus,
      allow_followup: consent,
    },
  };
}

/**
 * Upserts appointments by (company_id, external_id), applying the scheduling rules:
 * new rows get their follow-up planned; edits before sending replan it; edits after
 * sending leave it alone; identical data is "unchanged" and not written at all.
 * Callers run it inside a transaction.
 */
export function appointmentSaver(q: Q, clock: Clock) {
  const upsert = appointmentUpserter(q, clock);
  return async (data: AppointmentData, company: CompanyRow): Promise<SaveOutcome> =>
    upsert.save(data, company, await upsert.find(data));
}

/**
 * `appointments add`: one appointment saved by hand (source manual) with the scheduling rules, and
 * audited `appointment_created` / `appointment_updated` in the same transaction (nothing when unchanged).
 */
export function addManualAppointment(store: Store, clock: Clock, data: Omit<AppointmentData, "source">, company: CompanyRow): Promise<SaveOutcome> {
  return store.tx(async (t) => {
    const r = await appointmentSaver(t, clock)({ ...data, source: "manual" }, company);
    if (r.result !== "unchanged") {
      await writeAudit(t, {
        action: r.result === "inserted" ? "appointment_created" : "appointment_updated",
        appointment_id: r.id, company_id: data.company_id, payload: { external_id: data.external_id }, created_at: clock().toISOString(),
      });
    }
    return r;
  });
}

export type ExistingAppointment = StoredAppointmentData | undefined;

/** optedOut: the client consented here, but the phone is on the company's do-not-contact list (not followed up). */
export interface SaveOutcome {
  result: SaveResult;
  id: number;
  optedOut: boolean;
}

/**
 * appointmentSaver in two steps, for bulk work that looks at the existing row first (import
 * spots a repeated external_id by its row id). Scheduling policies are cached per company.
 */
export function appointmentUpserter(q: Q, clock: Clock) {
  const writer = appointmentWriter;
  const policies = new Map<string, ReturnType<typeof schedulingPolicy>>();
  const policyOf = (c: CompanyRow) => {
    let p = policies.get(c.id);
    if (!p) policies.set(c.id, (p = schedulingPolicy(c)));
    return p;
  };
  // Each company's do-not-contact list, read once per upserter (one import, one transaction).
  const optOuts = new Map<string, Set<string>>();
  const optedOut = async (companyId: string, phone: string) => {
    let set = optOuts.get(companyId);
    if (!set) optOuts.set(companyId, (set = await doNotContactPhones(q, companyId)));
    return set.has(phone);
  };
  let lastNow = 0;
  let lastNowIso = "";
  const nowOf = () => {
    const now = clock();
    // A fixed or coarse clock gives the same instant row after row: format it once.
    if (now.getTime() !== lastNow || !lastNowIso) {
      lastNow = now.getTime();
      lastNowIso = now.toISOString();
    }
    return { now, nowIso: lastNowIso };
  };
  const inputOf = async (data: AppointmentData) => {
    const opted = data.allow_followup && data.status === "booked" && (await optedOut(data.company_id, data.client_phone));
    return { opted, input: { allow_followup: data.allow_followup, status: data.status, end_time: new Date(data.end_time), opted_out: opted } };
  };
  return {
    find: (data: AppointmentData): Promise<ExistingAppointment> => writer.find(q, data.company_id, data.external_id),
    /**
     * resolve, and a row found nowhere inserted at once (import: one round trip a new row on
     * PostgreSQL). "inserted" carries save's outcome; anything found is the caller's to save.
     */
    async resolveOrInsert(data: AppointmentData, company: CompanyRow): Promise<ResolvedAppointment | { via: "inserted"; saved: SaveOutcome }> {
      let opted = false;
      const found = await writer.resolveOrInsert(q, data, async () => {
        const { now, nowIso } = nowOf();
        const i = await inputOf(data);
        opted = i.opted;
        return { plan: planFollowup(i.input, policyOf(company), now), nowIso };
      });
      if (found.via !== "inserted") return found;
      return { via: "inserted", saved: { result: "inserted", id: found.id, optedOut: opted } };
    },
    async save(data: AppointmentData, company: CompanyRow, existing: ExistingAppointment): Promise<SaveOutcome> {
      const { now, nowIso } = nowOf();
      const { opted, input } = await inputOf(data);
      if (!existing) {
        const id = await writer.insert(q, data, planFollowup(input, policyOf(company), now), nowIso);
        return { result: "inserted", id, optedOut: opted };
      }
      const same =
        existing.client_name === data.client_name &&
        existing.client_phone === data.client_phone &&
        existing.start_time === data.start_time &&
        existing.end_time === data.end_time &&
        existing.status === data.status &&
        existing.allow_followup === (data.allow_followup ? 1 : 0);
      if (same) return { result: "unchanged", id: existing.id, optedOut: opted };
      const plan = replanFollowup(
        {
          followup_status: existing.followup_status,
          allow_followup: existing.allow_followup === 1,
          status: existing.status,
          end_time: new Date(existing.end_time),
        },
        input,
        policyOf(company),
        now,
      );
      await writer.update(q, existing.id, data, plan, nowIso);
      if (existing.allow_followup !== (data.allow_followup ? 1 : 0)) {
        // Consent changed by hand (edit, import): LGPD wants to know when and which way.
        await writeAudit(q, {
          action: "consent_changed", appointment_id: existing.id, company_id: data.company_id,
          payload: { from: existing.allow_followup === 1, to: data.allow_followup }, created_at: nowIso,
        });
      }
      return { result: "updated", id: existing.id, optedOut: opted };
    },
  };
}
