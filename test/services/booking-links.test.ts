/**
 * Issue 13 point 2: a client booked over WhatsApp and then exported by the clinic under its own
 * id (same company, phone and start time) is one appointment, not two follow-ups.
 */
import { test, describe, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { silentLogger } from "../../src/logger.js";
import { bookedExternalId } from "../../src/services/booking-service.js";
import { CSV_HEADER, importAppointments, parseImport, type ImportSummary } from "../../src/services/import-service.js";
import { createReplyService } from "../../src/services/reply-service.js";
import { cancelAppointment } from "../../src/services/cancel-service.js";
import { findByExternalId, type AppointmentRow } from "../../src/store/appointments.js";
import { migrate } from "../../src/store/migrator.js";
import { openStore } from "../../src/store/open.js";
import { tempDb } from "../helpers/cli.js";
import { PHONE, addSentFollowup, recordingSender, replyFixture, type ReplyFixture } from "../helpers/reply-fixtures.js";

const MIN = 60_000;

/** A follow-up answered "sim", then "1": the WhatsApp booking. Returns the booked row. */
async function bookedOverWhatsapp(t: TestContext): Promise<{ f: ReplyFixture; booked: AppointmentRow }> {
  const f = await replyFixture();
  t.after(() => f.db.close());
  const svc = createReplyService({ store: f.db, clock: f.clock.now, logger: silentLogger, sender: recordingSender() });
  const id = await addSentFollowup(f, { externalId: "A-1" });
  await svc.processInbound({ phone: PHONE, text: "Sim, quero marcar" });
  f.clock.advance(10 * MIN);
  const r = await svc.processInbound({ phone: PHONE, text: "1", messageId: "choice-1" });
  assert.equal(r.outcome, "booked");
  const booked = (await findByExternalId(f.db, "clinica", bookedExternalId(id)))!;
  assert.equal(booked.followup_status, "scheduled");
  return { f, booked };
}

interface ClinicRow {
  external_id: string;
  phone?: string;
  start: string;
  end: string;
  consent?: string;
  status?: string;
  name?: string;
}

/** The clinic's export: its own ids, its phone formatting, times with an offset. */
function clinicCsv(rows: ClinicRow[]): string {
  const lines = rows.map((r) =>
    ["clinica", r.external_id, r.name ?? "Ana Souza", r.phone ?? "(11) 99999-0000", r.start, r.end, r.consent ?? "sim", r.status ?? "booked"].join(","),
  );
  return `${CSV_HEADER.join(",")},status\n${lines.join("\n")}\n`;
}

function runImport(f: ReplyFixture, text: string): Promise<ImportSummary> {
  return importAppointments(f.db, parseImport(text, "csv"), { file: "clinic.csv", format: "csv", skipInvalid: false, clock: f.clock.now });
}

async function scheduledFor(f: ReplyFixture, phone = PHONE): Promise<AppointmentRow[]> {
  return f.db.all<AppointmentRow>("SELECT * FROM appointments WHERE client_phone = ? AND followup_status = 'scheduled' ORDER BY id", [phone]);
}

/** The clinic's row for the booked slot, in local time (São Paulo, UTC-3). */
function sameSlot(booked: AppointmentRow, extra: Partial<ClinicRow> = {}): ClinicRow {
  const local = (iso: string) => new Date(new Date(iso).getTime() - 3 * 3600_000).toISOString().slice(0, 16);
  return { external_id: "CLIN-77", start: `${local(booked.start_time)}-03:00`, end: `${local(booked.end_time)}-03:00`, ...extra };
}

describe("a WhatsApp booking re-imported under the clinic's id", () => {
  test("links to the booked appointment: one scheduled follow-up, reported as linked", async (t) => {
    const { f, booked } = await bookedOverWhatsapp(t);
    const s = await runImport(f, clinicCsv([sameSlot(booked)]));
    const scheduled = await scheduledFor(f);
    assert.equal(scheduled.length, 1, "one follow-up, not two one second apart");
    assert.equal(scheduled[0]!.id, booked.id);
    assert.deepEqual([s.inserted, s.updated, s.unchanged, s.linked, s.linked_whatsapp], [0, 0, 0, 1, 1]);
    assert.equal(s.followups.scheduled, 0, "no follow-up scheduled by this import");
    const after = (await findByExternalId(f.db, "clinica", booked.external_id))!;
    assert.equal(after.followup_next_scheduled, booked.followup_next_scheduled, "the follow-up is not rescheduled");
    assert.equal(after.updated_at, booked.updated_at, "nothing rewritten");
    // The clinic's id finds the same row.
    assert.equal((await findByExternalId(f.db, "clinica", "CLIN-77"))?.id, booked.id);
  });

  test("the same file again: nothing written, linked again (idempotent)", async (t) => {
    const { f, booked } = await bookedOverWhatsapp(t);
    const file = clinicCsv([sameSlot(booked)]);
    await runImport(f, file);
    const before = await f.db.all("SELECT * FROM appointments ORDER BY id");
    const aliases = await f.db.all("SELECT * FROM appointment_aliases ORDER BY external_id");
    f.clock.advance(60 * MIN);
    const again = await runImport(f, file);
    assert.deepEqual([again.inserted, again.updated, again.unchanged, again.linked], [0, 0, 0, 1]);
    assert.deepEqual(await f.db.all("SELECT * FROM appointments ORDER BY id"), before);
    assert.deepEqual(await f.db.all("SELECT * FROM appointment_aliases ORDER BY external_id"), aliases);
    assert.equal((await scheduledFor(f)).length, 1);
  });

  test("a phone written another way, and another client at the same time, are told apart", async (t) => {
    const { f, booked } = await bookedOverWhatsapp(t);
    const s = await runImport(
      f,
      clinicCsv([sameSlot(booked, { phone: "+55 11 99999-0000" }), sameSlot(booked, { external_id: "CLIN-78", phone: "(21) 98888-7777", name: "Bia" })]),
    );
    assert.deepEqual([s.inserted, s.linked], [1, 1]);
    assert.equal((await scheduledFor(f)).length, 1);
    assert.equal((await scheduledFor(f, "5521988887777")).length, 1, "the other client keeps her own follow-up");
  });

  test("within one file: two ids for the same client and time are one appointment", async (t) => {
    const { f } = await bookedOverWhatsapp(t);
    const row = { start: "2026-12-03T10:00-03:00", end: "2026-12-03T11:00-03:00", phone: "(11) 97777-6666" };
    const s = await runImport(f, clinicCsv([{ external_id: "P-1", ...row }, { external_id: "P-2", ...row }]));
    assert.deepEqual([s.inserted, s.linked, s.linked_whatsapp], [1, 1, 0]);
    assert.equal((await scheduledFor(f, "5511977776666")).length, 1);
  });

  test("the clinic cancels: the linked appointment is cancelled, its follow-up unscheduled; cancel by the clinic's id works too", async (t) => {
    const { f, booked } = await bookedOverWhatsapp(t);
    await runImport(f, clinicCsv([sameSlot(booked)]));
    const s = await runImport(f, clinicCsv([sameSlot(booked, { status: "cancelado" })]));
    assert.equal(s.linked, 1);
    assert.equal(s.followups.cancelled, 1);
    const after = (await findByExternalId(f.db, "clinica", booked.external_id))!;
    assert.deepEqual([after.status, after.followup_status, after.followup_skip_reason], ["cancelled", "skipped", "cancelled"]);
    assert.equal(after.start_time, booked.start_time);
    assert.equal((await scheduledFor(f)).length, 0);
    // Booked again by the clinic, then cancelled through the CLI's service by the clinic's id.
    await runImport(f, clinicCsv([sameSlot(booked)]));
    assert.equal((await scheduledFor(f)).length, 1);
    const r = await cancelAppointment(f.db, "clinica", "CLIN-77", f.clock.now);
    assert.equal(r.row.id, booked.id);
    assert.equal((await scheduledFor(f)).length, 0);
  });

  test("consent: the clinic's no applies to the linked appointment; do-not-contact still wins over its yes", async (t) => {
    const { f, booked } = await bookedOverWhatsapp(t);
    await runImport(f, clinicCsv([sameSlot(booked, { consent: "não" })]));
    let after = (await findByExternalId(f.db, "clinica", booked.external_id))!;
    assert.deepEqual([after.allow_followup, after.followup_status, after.followup_skip_reason], [0, "skipped", "no_consent"]);
    await f.db.run("INSERT INTO do_not_contact (company_id, phone, since, reason) VALUES ('clinica', ?, ?, 'operator')", [PHONE, f.clock.now().toISOString()]);
    const s = await runImport(f, clinicCsv([sameSlot(booked, { consent: "sim" })]));
    after = (await findByExternalId(f.db, "clinica", booked.external_id))!;
    assert.equal(after.followup_status, "skipped");
    assert.equal(after.followup_skip_reason, "opted_out");
    assert.equal(s.followups.opted_out, 1);
    assert.equal((await scheduledFor(f)).length, 0);
  });
});

describe("migration 009: where each appointment came from", () => {
  test("backfill: the bot's bookings are whatsapp, `appointments add` is manual, the rest import", async (t) => {
    const db = await openStore(tempDb(), { create: true });
    t.after(() => db.close());
    await migrate(db, { to: 8 });
    await db.run("INSERT INTO companies (id, name) VALUES ('clinica', 'Clínica Sol')");
    const add = async (externalId: string) =>
      (await db.get<{ id: number }>(
        "INSERT INTO appointments (company_id, external_id, client_name, client_phone, start_time, end_time) VALUES ('clinica', ?, 'Ana', '5511999990000', '2026-12-01T12:00:00.000Z', '2026-12-01T13:00:00.000Z') RETURNING id",
        [externalId],
      ))!.id;
    const original = await add("A-1");
    const booked = await add("followup-1");
    const bookedByAuditOnly = await add("followup-9");
    const manual = await add("M-1");
    const imported = await add("I-1");
    await db.run("UPDATE appointments SET followup_booked_appointment_id = ? WHERE id = ?", [booked, original]);
    const audit = (action: string, id: number, payload: object) =>
      db.run("INSERT INTO audit_log (action, appointment_id, company_id, payload) VALUES (?, ?, 'clinica', ?)", [action, id, JSON.stringify(payload)]);
    await audit("appointment_created", booked, { external_id: "followup-1", source: "agenda.book", from_appointment_id: original });
    await audit("appointment_created", bookedByAuditOnly, { external_id: "followup-9", source: "agenda.book", from_appointment_id: 99 });
    await audit("appointment_created", manual, { external_id: "M-1" });
    await audit("appointments_imported", imported, { file: "x.csv" });
    await migrate(db);
    const sources = await db.all<{ id: number; source: string }>("SELECT id, source FROM appointments ORDER BY id");
    assert.deepEqual(
      sources.map((r) => [Number(r.id), r.source]),
      [[original, "import"], [booked, "whatsapp"], [bookedByAuditOnly, "whatsapp"], [manual, "manual"], [imported, "import"]],
    );
  });
});
