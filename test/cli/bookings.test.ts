import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { silentLogger } from "../../src/logger.js";
import { bookedExternalId } from "../../src/services/booking-service.js";
import { createReplyService } from "../../src/services/reply-service.js";
import { findByExternalId, type AppointmentRow } from "../../src/store/appointments.js";
import { runCli, tempDir } from "../helpers/cli.js";
import { PHONE, REPLY_AT, addAppointment, addSentFollowup, recordingSender, replyFixture } from "../helpers/reply-fixtures.js";

/** Issue 13 point 2 on the command line: linked imports, `appointments list --source`. */
const env = { SECRETARIA_NOW: new Date(REPLY_AT.getTime() + 15 * 60_000).toISOString() };

describe("bookings back to the clinic (CLI)", () => {
  let db = "";
  let booked: AppointmentRow;
  let csvFile = "";
  const cli = (...args: string[]) => runCli([...args, "--db", db], { env });

  before(async () => {
    const f = await replyFixture();
    db = f.dbPath;
    try {
      const svc = createReplyService({ store: f.db, clock: f.clock.now, logger: silentLogger, sender: recordingSender() });
      const id = await addSentFollowup(f, { externalId: "A-1" });
      await addAppointment(f, { externalId: "B-1", phone: "5521988887777", name: "Bia", start: "2026-12-02T12:00:00.000Z", end: "2026-12-02T13:00:00.000Z" }, REPLY_AT);
      await svc.processInbound({ phone: PHONE, text: "sim" });
      f.clock.advance(60_000);
      assert.equal((await svc.processInbound({ phone: PHONE, text: "1" })).outcome, "booked");
      booked = (await findByExternalId(f.db, "clinica", bookedExternalId(id)))!;
    } finally {
      await f.db.close();
    }
    // The clinic's export: the booked client under its own id, at the same local time.
    const local = (iso: string) => new Date(new Date(iso).getTime() - 3 * 3600_000).toISOString().slice(0, 16).replace("T", " ");
    csvFile = join(tempDir(), "agenda.csv");
    writeFileSync(csvFile, `company_id;external_id;client_name;client_phone;start_time;end_time;allow_followup\nclinica;CLIN-77;ANA SOUZA;(11) 99999-0000;${local(booked.start_time)};${local(booked.end_time)};sim\n`);
  });

  test("the import links the clinic's id to the WhatsApp booking and says so; show and cancel find it by the clinic's id", async () => {
    const r = await cli("appointments", "import", csvFile);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /0 inserted, 0 updated, 0 unchanged, 0 invalid, 1 linked to existing appointments \(booked over WhatsApp\)/);
    const again = await cli("appointments", "import", csvFile, "--json");
    assert.equal(again.code, 0, again.stderr);
    const summary = JSON.parse(again.stdout) as Record<string, unknown>;
    assert.deepEqual([summary.inserted, summary.linked, summary.linked_whatsapp], [0, 1, 1]);
    const shown = await cli("appointments", "show", "CLIN-77", "--company", "clinica");
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`appointment +${booked.id} \\(external id ${booked.external_id}\\)`));
    assert.match(shown.stdout, /linked ids +CLIN-77/);
    assert.match(shown.stdout, /source +booked over WhatsApp/);
    const list = JSON.parse((await cli("appointments", "list", "--json")).stdout) as Array<{ client_phone: string; followup_status: string }>;
    assert.equal(list.filter((a) => a.client_phone === PHONE && a.followup_status === "scheduled").length, 1, "one follow-up for the booked client");
  });

  test("appointments list --source whatsapp: table, json and csv list only the bot's bookings", async () => {
    const json = await cli("appointments", "list", "--source", "whatsapp", "--json");
    assert.equal(json.code, 0, json.stderr);
    const rows = JSON.parse(json.stdout) as Array<{ id: number; source: string; external_id: string }>;
    assert.deepEqual(rows.map((a) => [a.id, a.source, a.external_id]), [[booked.id, "whatsapp", booked.external_id]]);
    const csv = await cli("appointments", "list", "--source", "whatsapp", "--format", "csv");
    assert.equal(csv.code, 0, csv.stderr);
    const lines = csv.stdout.trim().split(/\r?\n/);
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /,source$/);
    assert.match(lines[1]!, new RegExp(`^${booked.id},clinica,${booked.external_id},.*,whatsapp$`));
    const table = await cli("appointments", "list", "--source", "whatsapp");
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /Ana Souza/);
    assert.doesNotMatch(table.stdout, /Bia/);
    const imported = JSON.parse((await cli("appointments", "list", "--source", "import", "--json")).stdout) as Array<{ external_id: string }>;
    assert.deepEqual(imported.map((a) => a.external_id).sort(), ["A-1", "B-1"]);
    const none = await cli("appointments", "list", "--source", "manual");
    assert.equal(none.code, 0);
    assert.match(none.stdout, /no appointments from manual/);
    const bad = await cli("appointments", "list", "--source", "bot");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^secretaria: --source must be one of import, whatsapp, manual, api/);
  });

  test("cancel by the clinic's id cancels the linked booking", async () => {
    const r = await cli("appointments", "cancel", "CLIN-77", "--company", "clinica", "--json");
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual([out.id, out.status, out.followup_status], [booked.id, "cancelled", "skipped"]);
  });
});
