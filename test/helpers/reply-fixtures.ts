/**
 * Fixtures of the reply tests: a migrated database with one company (São Paulo, mon-fri
 * 09:00-18:00), follow-ups already sent, a recording sender, and a checksum of the tables
 * a reply may touch.
 */
import { createHash } from "node:crypto";
import { ManualClock } from "../../src/clock.js";
import type { SendOutcome } from "../../src/gateway/whaticket.js";
import { appointmentSaver } from "../../src/services/appointment-service.js";
import { saveCompany } from "../../src/services/company-service.js";
import type { ReplySender } from "../../src/services/reply-service.js";
import { getAppointment, type AppointmentRow } from "../../src/store/appointments.js";
import { writeAudit } from "../../src/store/audit.js";
import type { CompanyRow } from "../../src/store/companies.js";
import type { Q, Store } from "../../src/store/store.js";
import { migratedDb, tempDb } from "./cli.js";

export const COMPANY = "clinica";
export const PHONE = "5511999990000";
/** Monday 2026-11-30, 14:00-15:00 in São Paulo (UTC-3). */
export const APPOINTMENT_START = "2026-11-30T17:00:00.000Z";
export const APPOINTMENT_END = "2026-11-30T18:00:00.000Z";
/** The follow-up went out at 16:00 local; the reply comes at 16:30 local. */
export const SENT_AT = "2026-11-30T19:00:00.000Z";
export const REPLY_AT = new Date("2026-11-30T19:30:00.000Z");

export interface ReplyFixture {
  db: Store;
  dbPath: string;
  clock: ManualClock;
  company: CompanyRow;
}

export async function replyFixture(opts: { whaticketUrl?: string; whaticketToken?: string; businessHours?: string; now?: Date } = {}): Promise<ReplyFixture> {
  const dbPath = tempDb();
  const db = await migratedDb(dbPath);
  const clock = new ManualClock(opts.now ?? REPLY_AT);
  const { company } = await saveCompany(
    db,
    {
      id: COMPANY,
      name: "Clínica Sol",
      timezone: "America/Sao_Paulo",
      businessHours: opts.businessHours ?? "mon-fri 09:00-18:00",
      quietHours: "20:00-08:00",
      ...(opts.whaticketUrl ? { whaticketUrl: opts.whaticketUrl, whaticketToken: opts.whaticketToken ?? "tok-test" } : {}),
    },
    clock.now,
  );
  return { db, dbPath, clock, company };
}

export async function addCompany(db: Store, id: string, now: Date): Promise<CompanyRow> {
  return (await saveCompany(db, { id, name: id, timezone: "America/Sao_Paulo" }, () => now)).company;
}

export interface AppointmentSpec {
  externalId: string;
  phone?: string;
  name?: string;
  start?: string;
  end?: string;
  allowFollowup?: boolean;
  companyId?: string;
  status?: "booked" | "cancelled";
}

/** Inserts an appointment through the real saver (its follow-up planned by the usual rules). */
export async function addAppointment(f: Pick<ReplyFixture, "db" | "company">, s: AppointmentSpec, now: Date): Promise<number> {
  const company = s.companyId ? ((await f.db.get<CompanyRow>("SELECT * FROM companies WHERE id = ?", [s.companyId]))!) : f.company;
  const saved = await appointmentSaver(f.db, () => now)(
    {
      company_id: company.id,
      external_id: s.externalId,
      client_name: s.name ?? "Ana Souza",
      client_phone: s.phone ?? PHONE,
      start_time: s.start ?? APPOINTMENT_START,
      end_time: s.end ?? APPOINTMENT_END,
      status: s.status ?? "booked",
      allow_followup: s.allowFollowup ?? true,
    },
    company,
  );
  return saved.id;
}

/** An appointment whose follow-up went out at `sentAt` (as the daemon would have left it). */
export async function addSentFollowup(f: Pick<ReplyFixture, "db" | "company">, s: AppointmentSpec & { sentAt?: string }): Promise<number> {
  const sentAt = s.sentAt ?? SENT_AT;
  const id = await addAppointment(f, s, new Date(new Date(s.end ?? APPOINTMENT_END).getTime() - 60_000));
  await f.db.run(
    `UPDATE appointments SET followup_status = 'sent', followup_sent_at = ?, followup_next_scheduled = NULL,
       followup_attempts = 1, lease_owner = NULL, lease_expires_at = NULL WHERE id = ?`,
    [sentAt, id],
  );
  const row = (await getAppointment(f.db, id)) as AppointmentRow;
  await writeAudit(f.db, { action: "followup_sent", appointment_id: id, company_id: row.company_id, payload: { attempt: 1 }, created_at: sentAt });
  return id;
}

export interface SentMessage {
  company: string;
  phone: string;
  body: string;
}

/** A sender that records and answers as told (default: sent). */
export function recordingSender(answer: (n: number) => SendOutcome | Error = () => ({ kind: "sent", status: 200, durationMs: 1 })): ReplySender & { sent: SentMessage[] } {
  const sent: SentMessage[] = [];
  return {
    sent,
    async send(company, phone, body) {
      sent.push({ company: company.id, phone, body });
      const a = answer(sent.length);
      if (a instanceof Error) throw a;
      return a;
    },
  };
}

/** A digest of every row of the tables a reply may touch (optionally leaving inbound_messages out). */
export async function tablesChecksum(db: Q, opts: { withInbound?: boolean } = {}): Promise<string> {
  const tables = ["companies", "appointments", "audit_log", "feedback_events", ...(opts.withInbound === false ? [] : ["inbound_messages"])];
  const h = createHash("sha256");
  for (const t of tables) {
    h.update(`${t}\n`);
    for (const row of await db.all(`SELECT * FROM ${t} ORDER BY 1`)) h.update(`${JSON.stringify(row)}\n`);
  }
  return h.digest("hex");
}

export async function auditActions(db: Q, appointmentId?: number): Promise<Array<{ action: string; appointment_id: number | null; payload: Record<string, unknown> }>> {
  type Row = { action: string; appointment_id: number | null; payload: string };
  const rows =
    appointmentId === undefined
      ? await db.all<Row>("SELECT action, appointment_id, payload FROM audit_log ORDER BY id")
      : await db.all<Row>("SELECT action, appointment_id, payload FROM audit_log WHERE appointment_id = ? ORDER BY id", [appointmentId]);
  return rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> }));
}
