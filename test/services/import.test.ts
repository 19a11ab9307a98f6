import { test, describe, before, after, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fixedClock } from "../../src/clock.js";
import { isUserError } from "../../src/errors.js";
import type { Store } from "../../src/store/store.js";
import type { AppointmentRow } from "../../src/store/appointments.js";
import { saveCompany } from "../../src/services/company-service.js";
import { CSV_HEADER, detectFormat, importAppointments, importStream, parseImport, type ImportSummary } from "../../src/services/import-service.js";
import { parseAppointmentTime } from "../../src/services/appointment-service.js";
import { moveOutOfQuietHours, type QuietHours } from "../../src/domain/hours.js";
import { Readable } from "node:stream";
import { DateTime } from "luxon";
import { ON_POSTGRES, migratedDb, runCli, tempDb, tempDir } from "../helpers/cli.js";

const HEADER = CSV_HEADER.join(",");
const NOW = new Date("2026-11-25T12:00:00Z"); // 09:00 in São Paulo

interface Row {
  company_id: string;
  external_id: string;
  client_name: string;
  client_phone: string;
  start_time: string;
  end_time: string;
  allow_followup: string;
  status?: string;
}

const base: Row = {
  company_id: "clinica", external_id: "A-1", client_name: "Ana Souza", client_phone: "+55 (11) 99999-0000",
  start_time: "2026-11-25T14:00:00-03:00", end_time: "2026-11-25T15:00:00-03:00", allow_followup: "true",
};

const phones = new Map<string, string>();
/**
 * Each external id its own client: the same phone at the same start under two ids is one
 * appointment (issue 13), so rows that mean to be different appointments get different phones.
 */
function phoneOf(externalId: string): string {
  if (externalId === base.external_id) return base.client_phone;
  let phone = phones.get(externalId);
  if (!phone) phones.set(externalId, (phone = `+55 (11) 9${String(phones.size + 1).padStart(8, "0")}`));
  return phone;
}

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function csv(rows: Partial<Row>[], header = HEADER): string {
  const cols = header.split(",") as (keyof Row)[];
  return [header, ...rows.map((r) => cols.map((c) => csvField(({ ...base, client_phone: phoneOf(r.external_id ?? base.external_id), ...r })[c] ?? "")).join(","))].join("\n") + "\n";
}

type RunImport = (text: string, opts?: { format?: "csv" | "jsonl"; skipInvalid?: boolean; at?: Date }) => Promise<ImportSummary>;

/** A migrated database with companies clinica and manaus, closed when the test ends. */
async function setup(t: TestContext, now = NOW): Promise<{ db: Store; run: RunImport }> {
  const path = tempDb();
  const db = await migratedDb(path);
  t.after(() => db.close());
  const clock = fixedClock(now);
  await saveCompany(db, { id: "clinica", name: "Clínica Sol" }, clock);
  await saveCompany(db, { id: "manaus", name: "Estúdio Lua", timezone: "America/Manaus" }, clock);
  const run = (text: string, opts: { format?: "csv" | "jsonl"; skipInvalid?: boolean; at?: Date } = {}) => {
    const format = opts.format ?? "csv";
    return importAppointments(db, parseImport(text, format), {
      file: "test", format, skipInvalid: opts.skipInvalid ?? false, clock: fixedClock(opts.at ?? now),
    });
  };
  return { db, run };
}

const rowOf = (db: Store, externalId: string, company = "clinica") =>
  db.get<AppointmentRow>("SELECT * FROM appointments WHERE company_id = ? AND external_id = ?", [company, externalId]);
const count = async (db: Store) => (await db.get<{ n: number }>("SELECT count(*) AS n FROM appointments"))!.n;

/** No transaction was left open: a new write transaction on the same store starts and commits at once. */
async function assertNoOpenTransaction(db: Store): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("a transaction is still open: a new one waited 5 s")), 5_000);
  });
  try {
    await Promise.race([db.tx((t) => t.run("UPDATE companies SET name = name WHERE id = 'no such company'")), stuck]);
  } finally {
    clearTimeout(timer);
  }
}

function throwsUserError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => isUserError(err) && pattern.test(err.message));
}

describe("parsing", () => {
  test("CSV with the SPEC header, with and without the optional status column", async (t) => {
    const { db, run } = await setup(t);
    const s = await run(csv([{ external_id: "A-1" }, { external_id: "A-2", client_phone: "11 98888-7777" }]));
    assert.deepEqual([s.inserted, s.updated, s.unchanged, s.invalid, s.rows], [2, 0, 0, 0, 2]);
    const withStatus = await run(csv([{ external_id: "A-3", status: "cancelled" }], `${HEADER},status`));
    assert.equal(withStatus.inserted, 1);
    assert.equal((await rowOf(db, "A-3"))?.status, "cancelled");
    assert.equal((await rowOf(db, "A-2"))?.client_phone, "5511988887777");
  });

  test("header columns in another order and in upper case", async (t) => {
    const { db, run } = await setup(t);
    const header = "EXTERNAL_ID,company_id,client_phone,client_name,end_time,start_time,allow_followup";
    const s = await run(`${header}\nB-1,clinica,11999990000,Bia,2026-11-25T15:00-03:00,2026-11-25T14:00-03:00,yes\n`);
    assert.equal(s.inserted, 1, s.errors.join("\n"));
    assert.equal((await rowOf(db, "B-1"))?.client_name, "Bia");
  });

  test("JSON lines with the same keys; booleans and numbers accepted; blank lines skipped", async (t) => {
    const { db, run } = await setup(t);
    const lines = [
      JSON.stringify({ ...base, external_id: "J-1", allow_followup: true, client_phone: phoneOf("J-1") }),
      "",
      JSON.stringify({ ...base, external_id: "J-2", allow_followup: false, client_phone: 5511977776666 }),
    ].join("\n");
    const s = await run(lines, { format: "jsonl" });
    assert.deepEqual([s.inserted, s.invalid], [2, 0], s.errors.join("\n"));
    assert.equal((await rowOf(db, "J-2"))?.client_phone, "5511977776666");
    assert.equal((await rowOf(db, "J-2"))?.allow_followup, 0);
  });

  test("JSON lines: a bad line is reported with its number (blank lines counted)", async (t) => {
    const { db, run } = await setup(t);
    const s = await run([JSON.stringify(base), "", "{not json", "[1,2]", JSON.stringify({ ...base, external_id: "x", client_phone: "abc" })].join("\n"), { format: "jsonl" });
    assert.deepEqual(s.errors.map((e) => e.replace(/:.*/, "")), ["line 3", "line 4", "line 5"]);
    assert.equal(await count(db), 0);
  });

  test("quoted CSV fields with commas, quotes and line breaks; BOM; CRLF", async (t) => {
    const { db, run } = await setup(t);
    const text = "\uFEFF" + [
      HEADER,
      `clinica,Q-1,"Souza, Ana ""Aninha""",+55 11 99999-0000,2026-11-25T14:00-03:00,2026-11-25T15:00-03:00,true`,
      `clinica,Q-2,"Silva,\r\nJoão",11 99999-0001,2026-11-25T14:00-03:00,2026-11-25T15:00-03:00,true`,
      `clinica,Q-3,Bia,not a phone,2026-11-25T14:00-03:00,2026-11-25T15:00-03:00,true`,
    ].join("\r\n") + "\r\n";
    const s = await run(text, { skipInvalid: true });
    assert.equal(s.inserted, 2, s.errors.join("\n"));
    assert.equal((await rowOf(db, "Q-1"))?.client_name, 'Souza, Ana "Aninha"');
    assert.ok((await rowOf(db, "Q-2"))?.client_name.startsWith("Silva,"));
    // The bad row starts on line 5 (the quoted name spans lines 3–4), whatever the line endings.
    assert.deepEqual(s.errors.map((e) => e.replace(/:.*/, "")), ["line 5"]);
  });

  test("a record with a quoted line break is reported at the line where it starts", async (t) => {
    const { run } = await setup(t);
    const text = [
      HEADER,
      `clinica,M-1,"Ana\nde Souza",nope,2026-11-25T14:00-03:00,2026-11-25T15:00-03:00,true`,
      `clinica,M-2,Bia,nope,2026-11-25T14:00-03:00,2026-11-25T15:00-03:00,true`,
    ].join("\n");
    const s = await run(text);
    assert.deepEqual(s.errors.map((e) => e.replace(/:.*/, "")), ["line 2", "line 4"]);
  });

  test("header errors name what is missing and the --map that fixes it; unknown extra columns are a note", () => {
    throwsUserError(() => parseImport("", "csv"), /empty.*company_id,external_id/);
    throwsUserError(() => parseImport("company_id,external_id,client_name\nx,y,z\n", "csv"), /no column for client_phone, start_time, end_time, allow_followup: pass --map/);
    assert.deepEqual(parseImport(`${HEADER},notes\n`, "csv").notes.filter((n) => n.startsWith("not imported")), ["not imported (no field uses them): notes"]);
    throwsUserError(() => parseImport(`${HEADER}\nclinica,"unterminated,1\n`, "csv"), /cannot be read.*line/);
  });

  test("a header repeating a column is refused", () => {
    throwsUserError(() => parseImport(`${HEADER},client_name\n`, "csv"), /columns 3 and 8 are both named "client_name": pass --map client_name=#3/);
  });

  test("a spreadsheet's trailing empty column is ignored", async (t) => {
    const { run } = await setup(t);
    const s = await run(`${HEADER},\nclinica,TR-1,Ana,11999990000,2026-11-25T14:00-03:00,2026-11-25T15:00-03:00,true,\n`);
    assert.equal(s.inserted, 1, s.errors.join("\n"));
  });

  test("semicolon-separated (Excel in pt-BR) is read too", async (t) => {
    const { db, run } = await setup(t);
    const s = await run(`${CSV_HEADER.join(";")}\nclinica;SC-1;"Souza; Ana";(11) 99999-0000;2026-11-25 14:00;2026-11-25 15:00;sim\n`);
    assert.equal(s.inserted, 1, s.errors.join("\n"));
    assert.equal((await rowOf(db, "SC-1"))?.client_name, "Souza; Ana");
  });

  test("a row with a wrong number of fields is reported, not guessed", async (t) => {
    const { run } = await setup(t);
    const s = await run(`${HEADER}\nclinica,X-1,Ana,11999990000,2026-11-25T14:00-03:00,2026-11-25T15:00-03:00\n`);
    assert.match(s.errors[0] ?? "", /^line 2: has 6 fields, the header has 7/);
  });

  test("format detection by extension, then by content", () => {
    assert.equal(detectFormat("a.jsonl", ""), "jsonl");
    assert.equal(detectFormat("a.ndjson", ""), "jsonl");
    assert.equal(detectFormat("a.CSV", "{"), "csv");
    assert.equal(detectFormat("stdin", '  {"company_id":1}'), "jsonl");
    assert.equal(detectFormat("stdin", HEADER), "csv");
  });
});

describe("validation", () => {
  test("every problem of every row is reported with its line; nothing is imported", async (t) => {
    const { db, run } = await setup(t);
    const s = await run(csv([
      { external_id: "V-1" },
      { external_id: "V-2", company_id: "nope" },
      { external_id: "", client_name: "", client_phone: "" },
      { external_id: "V-4", start_time: "amanhã", end_time: "2026-13-45T10:00" },
      { external_id: "V-5", start_time: "2026-11-25T15:00-03:00", end_time: "2026-11-25T14:00-03:00" },
      { external_id: "V-6", allow_followup: "talvez", status: "quem sabe" },
      { external_id: "V-7", client_phone: "12345" },
    ], `${HEADER},status`));
    assert.equal(await count(db), 0);
    assert.equal(s.invalid, 6);
    assert.deepEqual(s.errors.map((e) => e.replace(/:.*/, "")), ["line 3", "line 4", "line 5", "line 6", "line 7", "line 8"]);
    const text = s.errors.join("\n");
    assert.match(text, /line 3: unknown company_id "nope"/);
    assert.match(text, /line 4: external_id is missing; client_name is missing; client_phone is missing/);
    assert.match(text, /line 5: start_time "amanhã" is not a date and time.*end_time "2026-13-45T10:00" is not a real date/);
    assert.match(text, /line 6: end_time must be after start_time/);
    assert.match(text, /line 7: status "quem sabe" is not a status this import knows.*; allow_followup "talvez" must be true or false/);
    assert.match(text, /line 8: client_phone "12345" is not a phone number/);
  });

  test("phones: formatted, without country code (gets 55), 00-prefixed; nonsense rejected", async (t) => {
    const { db, run } = await setup(t);
    const s = await run(csv([
      { external_id: "P-1", client_phone: "+55 (11) 99999-0000" },
      { external_id: "P-2", client_phone: "(21) 98765-4321" },
      { external_id: "P-3", client_phone: "5531988887777" },
      { external_id: "P-4", client_phone: "+1 (415) 555-2671" },
      { external_id: "P-5", client_phone: "call me" },
      { external_id: "P-6", client_phone: "99999" },
    ]), { skipInvalid: true });
    assert.equal((await rowOf(db, "P-1"))?.client_phone, "5511999990000");
    assert.equal((await rowOf(db, "P-2"))?.client_phone, "5521987654321");
    assert.equal((await rowOf(db, "P-3"))?.client_phone, "5531988887777");
    assert.equal((await rowOf(db, "P-4"))?.client_phone, "14155552671");
    assert.deepEqual(s.errors.map((e) => e.replace(/:.*/, "")), ["line 6", "line 7"]);
  });

  test("a time without offset is read in the company's zone; with an offset it is kept", async (t) => {
    const { db, run } = await setup(t);
    await run(csv([
      { external_id: "T-1", start_time: "2026-11-25 14:00", end_time: "2026-11-25T15:00" },
      { company_id: "manaus", external_id: "T-2", start_time: "2026-11-25T14:00", end_time: "2026-11-25T15:00:00" },
      { company_id: "manaus", external_id: "T-3", start_time: "2026-11-25T14:00:00Z", end_time: "2026-11-25T15:00:00+00:00" },
    ]));
    assert.equal((await rowOf(db, "T-1"))?.start_time, "2026-11-25T17:00:00.000Z"); // São Paulo −03:00
    assert.equal((await rowOf(db, "T-1"))?.end_time, "2026-11-25T18:00:00.000Z");
    assert.equal((await rowOf(db, "T-2", "manaus"))?.start_time, "2026-11-25T18:00:00.000Z"); // Manaus −04:00
    assert.equal((await rowOf(db, "T-3", "manaus"))?.start_time, "2026-11-25T14:00:00.000Z");
  });

  test("a duplicate external_id within the file is reported with both lines", async (t) => {
    const { db, run } = await setup(t);
    const s = await run(csv([{ external_id: "D-1" }, { external_id: "D-2" }, { external_id: "D-1", client_name: "Outra" }]));
    assert.equal(s.invalid, 1);
    assert.match(s.errors[0] ?? "", /^line 4: external_id "D-1" of company clinica repeats line 2 with a different client_name/);
    assert.equal(await count(db), 0);
    // The same external_id in two companies is not a duplicate.
    const other = await run(csv([{ external_id: "D-1" }, { company_id: "manaus", external_id: "D-1" }]));
    assert.equal(other.inserted, 2, other.errors.join("\n"));
  });

  test("--skip-invalid imports the good rows and still reports the bad ones", async (t) => {
    const { db, run } = await setup(t);
    const s = await run(csv([{ external_id: "S-1" }, { external_id: "S-2", client_phone: "x" }, { external_id: "S-3" }]), { skipInvalid: true });
    assert.deepEqual([s.inserted, s.invalid], [2, 1]);
    assert.match(s.errors[0] ?? "", /^line 3: client_phone "x"/);
    assert.equal(await count(db), 2);
  });
});

describe("upsert and scheduling through import", () => {
  test("same file twice: everything unchanged, nothing rewritten", async (t) => {
    const { db, run } = await setup(t);
    const file = csv([{ external_id: "U-1" }, { external_id: "U-2", allow_followup: "false" }, { external_id: "U-3", status: "cancelled" }], `${HEADER},status`);
    assert.equal((await run(file)).inserted, 3);
    const before = await db.all("SELECT * FROM appointments ORDER BY id");
    const again = await run(file, { at: new Date(NOW.getTime() + 3600_000) });
    assert.deepEqual([again.inserted, again.updated, again.unchanged], [0, 0, 3]);
    assert.deepEqual(await db.all("SELECT * FROM appointments ORDER BY id"), before, "not even updated_at moved");
  });

  test("a changed field → updated", async (t) => {
    const { db, run } = await setup(t);
    await run(csv([{ external_id: "U-1" }]));
    const s = await run(csv([{ external_id: "U-1", client_name: "Ana Maria Souza" }]));
    assert.deepEqual([s.inserted, s.updated, s.unchanged], [0, 1, 0]);
    assert.equal((await rowOf(db, "U-1"))?.client_name, "Ana Maria Souza");
  });

  test("consent false → never scheduled; consent true → end + delay", async (t) => {
    const { db, run } = await setup(t);
    await run(csv([{ external_id: "C-1", allow_followup: "false" }, { external_id: "C-2", allow_followup: "sim" }]));
    const no = await rowOf(db, "C-1");
    assert.deepEqual([no?.followup_status, no?.followup_skip_reason, no?.followup_next_scheduled], ["skipped", "no_consent", null]);
    const yes = await rowOf(db, "C-2");
    assert.deepEqual([yes?.followup_status, yes?.followup_next_scheduled], ["scheduled", "2026-11-25T19:00:00.000Z"]); // 15:00 −03 + 60 min
  });

  test("ends 19:30 local → follow-up at 08:00 local the next day", async (t) => {
    const { db, run } = await setup(t);
    await run(csv([{ external_id: "N-1", start_time: "2026-11-25T18:30", end_time: "2026-11-25T19:30" }]));
    assert.equal((await rowOf(db, "N-1"))?.followup_next_scheduled, "2026-11-26T11:00:00.000Z");
  });

  test("the company's delay and quiet hours are used", async (t) => {
    const { db, run } = await setup(t);
    await saveCompany(db, { id: "clinica", name: "Clínica Sol", followupDelay: "30", quietHours: "off" }, fixedClock(NOW));
    await run(csv([{ external_id: "Q-1", start_time: "2026-11-25T21:00", end_time: "2026-11-25T22:00" }]));
    assert.equal((await rowOf(db, "Q-1"))?.followup_next_scheduled, "2026-11-26T01:30:00.000Z");
  });

  test("cancel before sending → skipped cancelled; un-cancel → scheduled again", async (t) => {
    const { db, run } = await setup(t);
    const header = `${HEADER},status`;
    await run(csv([{ external_id: "X-1", status: "booked" }], header));
    assert.equal((await rowOf(db, "X-1"))?.followup_status, "scheduled");
    assert.equal((await run(csv([{ external_id: "X-1", status: "cancelled" }], header))).updated, 1);
    const r = await rowOf(db, "X-1");
    assert.deepEqual([r?.status, r?.followup_status, r?.followup_skip_reason, r?.followup_next_scheduled], ["cancelled", "skipped", "cancelled", null]);
    await run(csv([{ external_id: "X-1", status: "booked" }], header));
    assert.equal((await rowOf(db, "X-1"))?.followup_status, "scheduled");
  });

  test("changed end time before sending → rescheduled", async (t) => {
    const { db, run } = await setup(t);
    await run(csv([{ external_id: "R-1" }]));
    assert.equal((await rowOf(db, "R-1"))?.followup_next_scheduled, "2026-11-25T19:00:00.000Z");
    await run(csv([{ external_id: "R-1", end_time: "2026-11-25T16:30:00-03:00" }]));
    assert.equal((await rowOf(db, "R-1"))?.followup_next_scheduled, "2026-11-25T20:30:00.000Z");
    assert.equal((await rowOf(db, "R-1"))?.followup_status, "scheduled");
  });

  test("a start-time-only change keeps the schedule", async (t) => {
    const { db, run } = await setup(t);
    await run(csv([{ external_id: "R-2" }]));
    await run(csv([{ external_id: "R-2", start_time: "2026-11-25T13:30:00-03:00" }]));
    assert.equal((await rowOf(db, "R-2"))?.followup_next_scheduled, "2026-11-25T19:00:00.000Z");
  });

  test("after sending, a re-import changes the appointment's data but not the follow-up columns", async (t) => {
    const { db, run } = await setup(t);
    await run(csv([{ external_id: "S-1" }]));
    await db.run(
      "UPDATE appointments SET followup_status = 'sent', followup_sent_at = '2026-11-25T19:00:05.000Z', followup_next_scheduled = NULL, followup_attempts = 1 WHERE external_id = 'S-1'",
    );
    const followCols = (r: AppointmentRow | undefined) => ({
      followup_status: r?.followup_status, followup_sent_at: r?.followup_sent_at, followup_next_scheduled: r?.followup_next_scheduled,
      followup_due_at: r?.followup_due_at, followup_attempts: r?.followup_attempts, followup_skip_reason: r?.followup_skip_reason,
    });
    const before = followCols(await rowOf(db, "S-1"));
    const s = await run(csv([{ external_id: "S-1", end_time: "2026-11-25T16:30:00-03:00", client_name: "Ana S." }]));
    assert.equal(s.updated, 1);
    const after = await rowOf(db, "S-1");
    assert.equal(after?.end_time, "2026-11-25T19:30:00.000Z");
    assert.equal(after?.client_name, "Ana S.");
    assert.deepEqual(followCols(after), before);
    // Cancelling after sending does not touch the follow-up either.
    await run(csv([{ external_id: "S-1", end_time: "2026-11-25T16:30:00-03:00", client_name: "Ana S.", status: "cancelled" }], `${HEADER},status`));
    assert.equal((await rowOf(db, "S-1"))?.status, "cancelled");
    assert.deepEqual(followCols(await rowOf(db, "S-1")), before);
  });

  test("due more than 12 h in the past → skipped expired; within 12 h → scheduled", async (t) => {
    const { db, run } = await setup(t);
    await run(csv([
      // Ends 2026-11-24 15:00 −03 → due 19:00Z on the 24th: 17 h before NOW.
      { external_id: "E-1", start_time: "2026-11-24T14:00:00-03:00", end_time: "2026-11-24T15:00:00-03:00" },
      // Ends 2026-11-24 20:00 −03 → due 08:00 −03 on the 25th = 11:00Z: 1 h before NOW.
      { external_id: "E-2", start_time: "2026-11-24T19:00:00-03:00", end_time: "2026-11-24T20:00:00-03:00" },
    ]));
    const e1 = await rowOf(db, "E-1");
    assert.deepEqual([e1?.followup_status, e1?.followup_skip_reason, e1?.followup_next_scheduled], ["skipped", "expired", null]);
    assert.equal((await rowOf(db, "E-2"))?.followup_status, "scheduled");
  });

  test("import writes one audit entry with the summary", async (t) => {
    const { db, run } = await setup(t);
    await run(csv([{ external_id: "A-1" }, { external_id: "A-2" }]));
    const audit = await db.all<{ payload: string }>("SELECT action, payload FROM audit_log WHERE action = 'appointments_imported'");
    assert.equal(audit.length, 1);
    assert.deepEqual(JSON.parse(audit[0]?.payload ?? "{}"), { file: "test", inserted: 2, updated: 0, unchanged: 0, invalid: 0 });
  });
});

describe("appointments import (CLI)", () => {
  let db = "";
  let dir = "";
  const env = { SECRETARIA_NOW: NOW.toISOString() };
  before(async () => {
    dir = tempDir();
    db = tempDb();
    assert.equal((await runCli(["migrate", "--db", db])).code, 0);
    assert.equal((await runCli(["companies", "add", "--id", "clinica", "--name", "Clínica Sol", "--db", db])).code, 0);
  });
  after(() => {});

  const rows = async () => {
    const r = await runCli(["appointments", "list", "--json", "--limit", "10000", "--db", db]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Record<string, unknown>[];
  };

  test("one bad row at line 57: nothing imported, exit 1, stderr names line 57", async () => {
    const file = join(dir, "bad57.csv");
    const data: Partial<Row>[] = [];
    for (let i = 2; i <= 100; i++) data.push({ external_id: `L-${i}`, client_phone: i === 57 ? "não tenho" : phoneOf(`L-${i}`) });
    writeFileSync(file, csv(data));
    const r = await runCli(["appointments", "import", file, "--db", db], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^line 57: client_phone "não tenho" is not a phone number/m);
    assert.equal(r.stderr.match(/^line \d+/gm)?.length, 1);
    assert.match(r.stderr, /^secretaria: .*1 invalid row.*nothing imported.*--skip-invalid/m);
    assert.equal(r.stdout, "");
    assert.equal((await rows()).length, 0);

    const json = await runCli(["appointments", "import", file, "--json", "--db", db], { env });
    assert.equal(json.code, 1);
    const summary = JSON.parse(json.stdout) as ImportSummary & { imported: boolean };
    assert.equal(summary.imported, false);
    assert.deepEqual([summary.inserted, summary.invalid, summary.rows], [0, 1, 99]);
    assert.match(summary.errors[0] ?? "", /^line 57: /);
    assert.equal((await rows()).length, 0);

    const skip = await runCli(["appointments", "import", file, "--skip-invalid", "--db", db], { env });
    assert.equal(skip.code, 0, skip.stderr);
    assert.match(skip.stderr, /^line 57: /m);
    assert.match(skip.stdout, /98 inserted, 0 updated, 0 unchanged, 1 invalid/);
    assert.equal((await rows()).length, 98);
  });

  test("JSON lines from stdin, summary as JSON", async () => {
    const lines = [1, 2, 3].map((i) => JSON.stringify({ ...base, external_id: `STDIN-${i}`, client_phone: phoneOf(`STDIN-${i}`) })).join("\n");
    const r = await runCli(["appointments", "import", "-", "--json", "--db", db], { env, input: lines });
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as ImportSummary & { imported: boolean };
    assert.deepEqual({ format: s.format, inserted: s.inserted, imported: s.imported, file: s.file }, { format: "jsonl", inserted: 3, imported: true, file: "stdin" });
  });

  test("a missing file and a folder: one-line error, exit 1", async () => {
    for (const f of [join(dir, "none.csv"), dir]) {
      const r = await runCli(["appointments", "import", f, "--db", db], { env });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^secretaria: cannot read .*\n$/);
    }
  });

  test("a wrong header: one-line error, exit 1", async () => {
    const f = join(dir, "header.csv");
    writeFileSync(f, "id,name,phone\n1,Ana,11999990000\n");
    const r = await runCli(["appointments", "import", f, "--db", db], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^secretaria: the CSV header is wrong: no company_id column: pass --company <id>.*no column for start_time, end_time, allow_followup/);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1);
  });

  test("end to end: ends 19:30 local → appointments list --json shows followup_next_scheduled 08:00 local next day", async () => {
    const f = join(dir, "evening.csv");
    writeFileSync(f, csv([{ external_id: "EVE-1", start_time: "2026-11-25 18:30", end_time: "2026-11-25 19:30" }]));
    const r = await runCli(["appointments", "import", f, "--json", "--db", db], { env });
    assert.equal(r.code, 0, r.stderr);
    const row = (await rows()).find((x) => x.external_id === "EVE-1");
    assert.equal(row?.end_time, "2026-11-25T22:30:00.000Z");
    assert.equal(row?.followup_status, "scheduled");
    assert.equal(row?.followup_next_scheduled, "2026-11-26T11:00:00.000Z"); // 08:00 −03:00
  });
});

// PostgreSQL imports row by row over the network (two round trips a row; batching them is future work): a 10k file proves the same there within CI's time.
const BIG = ON_POSTGRES ? 10_000 : 100_000;

describe("100k rows (CLI)", () => {
  test(`imports ${BIG} rows; re-import reports them all unchanged`, async (t) => {
    const dir = tempDir();
    const db = tempDb();
    assert.equal((await runCli(["migrate", "--db", db])).code, 0);
    assert.equal((await runCli(["companies", "add", "--id", "clinica", "--name", "Clínica Sol", "--db", db])).code, 0);
    const file = join(dir, "big.csv");
    const lines = [`${HEADER},status`];
    const start0 = Date.parse("2026-11-26T11:00:00Z");
    for (let i = 0; i < BIG; i++) {
      const s = new Date(start0 + i * 15 * 60_000);
      const e = new Date(s.getTime() + 30 * 60_000);
      const phone = i % 2 ? `+55 (11) 9${String(i).padStart(4, "0").slice(-4)}-${String(i % 10_000).padStart(4, "0")}` : `119${String(i).padStart(8, "0")}`;
      lines.push(`clinica,BIG-${i},"Cliente ${i}, Jr",${phone},${s.toISOString()},${e.toISOString()},${i % 3 ? "true" : "false"},${i % 50 ? "booked" : "cancelled"}`);
    }
    writeFileSync(file, `${lines.join("\n")}\n`);
    const env = { SECRETARIA_NOW: NOW.toISOString() };

    let t0 = performance.now();
    const first = await runCli(["appointments", "import", file, "--json", "--db", db], { env, timeoutMs: 180_000 });
    const importMs = performance.now() - t0;
    assert.equal(first.code, 0, first.stderr.slice(0, 2000));
    const s1 = JSON.parse(first.stdout) as ImportSummary;
    assert.deepEqual([s1.inserted, s1.updated, s1.unchanged, s1.invalid], [BIG, 0, 0, 0]);

    t0 = performance.now();
    const second = await runCli(["appointments", "import", file, "--db", db], { env, timeoutMs: 180_000 });
    const reimportMs = performance.now() - t0;
    assert.equal(second.code, 0, second.stderr.slice(0, 2000));
    assert.match(second.stdout, new RegExp(`0 inserted, 0 updated, ${BIG} unchanged, 0 invalid`));
    t.diagnostic(`${BIG}-row import ${Math.round(importMs)} ms, re-import ${Math.round(reimportMs)} ms (subprocess wall time)`);

    const d = await migratedDb(db);
    try {
      const byState = await d.all("SELECT followup_status AS s, followup_skip_reason AS r, count(*) AS n FROM appointments GROUP BY 1, 2 ORDER BY 1, 2");
      // i % 50 == 0 → cancelled (2,000); else i % 3 == 0 → no consent (32,667 - the cancelled multiples of 150); else scheduled.
      const cancelled = BIG / 50;
      const noConsent = Math.ceil(BIG / 3) - Math.ceil(BIG / 150);
      assert.deepEqual(byState, [
        { s: "scheduled", r: null, n: BIG - cancelled - noConsent },
        { s: "skipped", r: "cancelled", n: cancelled },
        { s: "skipped", r: "no_consent", n: noConsent },
      ]);
    } finally {
      await d.close();
    }
  });
});

describe("streaming import", () => {
  /** The text cut into small chunks at awkward places (inside "\r\n", inside multi-byte characters). */
  function chunked(text: string, size = 7): Readable {
    const bytes = Buffer.from(text, "utf8");
    const parts: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
    return Readable.from(parts, { objectMode: false });
  }

  async function setupStream(t: TestContext): Promise<{ db: Store; stream: (text: string, opts?: { name?: string; skipInvalid?: boolean; size?: number }) => Promise<ImportSummary> }> {
    const { db } = await setup(t);
    const stream = (text: string, opts: { name?: string; skipInvalid?: boolean; size?: number } = {}) =>
      importStream(db, { stream: chunked(text, opts.size), name: opts.name ?? "stdin" }, { skipInvalid: opts.skipInvalid ?? false, clock: fixedClock(NOW) });
    return { db, stream };
  }

  test("gives the same summary, rows and errors as the whole-file path, for CSV and JSON lines", async (t) => {
    const rows: Partial<Row>[] = [
      { external_id: "E-1", client_name: "José, \"Zé\"\r\nda Silva" },
      { external_id: "E-2", client_phone: "not a phone" },
      { external_id: "E-3", start_time: "2026-11-25 18:30", end_time: "2026-11-25 19:30" },
      { external_id: "E-1" },
      { company_id: "manaus", external_id: "E-4", status: "cancelled" },
    ];
    const texts: { text: string; format: "csv" | "jsonl"; name: string }[] = [
      { text: "\uFEFF" + csv(rows, `${HEADER},status`).replace(/\n/g, "\r\n"), format: "csv", name: "a.csv" },
      { text: csv(rows, `${HEADER},status`).replace(/,/g, ";"), format: "csv", name: "stdin" },
      { text: rows.map((r) => JSON.stringify({ ...base, client_phone: phoneOf(r.external_id ?? base.external_id), ...r })).join("\n") + "\n\n{oops\n", format: "jsonl", name: "stdin" },
    ];
    for (const { text, format, name } of texts) {
      for (const skipInvalid of [false, true]) {
        const a = await setup(t);
        const whole = await a.run(text, { format, skipInvalid });
        const b = await setupStream(t);
        const streamed = await b.stream(text, { name, skipInvalid, size: 5 });
        assert.deepEqual({ ...streamed, file: "", format: "" }, { ...whole, file: "", format: "" }, `${format} ${name} skipInvalid=${skipInvalid}`);
        assert.equal(streamed.format, format);
        const dump = (db: Store) => db.all("SELECT company_id, external_id, client_name, client_phone, start_time, end_time, followup_status, followup_next_scheduled FROM appointments ORDER BY external_id");
        assert.deepEqual(await dump(b.db), await dump(a.db));
        assert.equal(await count(b.db), skipInvalid ? 3 : 0);
      }
    }
  });

  test("invalid rows without --skip-invalid: rolled back, the database is as before (audit included)", async (t) => {
    const { db, stream } = await setupStream(t);
    const first = await stream(csv([{ external_id: "K-1" }]));
    assert.equal(first.inserted, 1);
    const audits = (await db.get<{ n: number }>("SELECT count(*) AS n FROM audit_log"))!.n;
    const s = await stream(csv([{ external_id: "K-1", client_name: "Changed" }, { external_id: "K-2" }, { external_id: "K-3", end_time: "nope" }]));
    assert.deepEqual([s.inserted, s.updated, s.unchanged, s.invalid], [0, 0, 0, 1]);
    assert.equal(await count(db), 1);
    assert.equal((await rowOf(db, "K-1"))?.client_name, base.client_name);
    assert.equal((await db.get<{ n: number }>("SELECT count(*) AS n FROM audit_log"))!.n, audits);
    await assertNoOpenTransaction(db);
  });

  test("a CSV error, a wrong header or a failing source mid-file roll back and leave no transaction open", async (t) => {
    const { db, stream } = await setupStream(t);
    await assert.rejects(stream(`${HEADER}\nclinica,"unterminated,1\n`), (e: unknown) => isUserError(e) && /cannot be read.*line/.test(e.message));
    await assert.rejects(stream("id,name\n1,Ana\n"), (e: unknown) => isUserError(e) && /header is wrong/.test(e.message));
    await assert.rejects(stream(""), (e: unknown) => isUserError(e) && /empty/.test(e.message));
    const good = csv([{ external_id: "F-1" }, { external_id: "F-2" }]);
    async function* failing() {
      yield Buffer.from(good);
      throw new Error("disk went away");
    }
    await assert.rejects(importStream(db, { stream: Readable.from(failing(), { objectMode: false }), name: "x.csv" }, { skipInvalid: true, clock: fixedClock(NOW) }));
    assert.equal(await count(db), 0);
    await assertNoOpenTransaction(db);
    // And the database is usable afterwards.
    assert.equal((await stream(good)).inserted, 2);
  });

  test("a retried transaction (PostgreSQL after a deadlock) does not commit the rest of a file already read: it fails, nothing imported", async (t) => {
    const { db } = await setupStream(t);
    // The store's retry, as pg-store does it on 40P01: the function runs again in a new transaction.
    const retrying: Store = {
      ...db,
      all: db.all.bind(db), get: db.get.bind(db), run: db.run.bind(db), insert: db.insert.bind(db), exec: db.exec.bind(db), close: db.close.bind(db),
      async tx(fn, o) {
        await db.tx(async (q) => {
          await fn(q);
          throw Object.assign(new Error("deadlock detected"), { code: "40P01" });
        }, o).catch(() => {});
        return db.tx(fn, o);
      },
    };
    const rows = Array.from({ length: 50 }, (_, i) => ({ external_id: `R-${i}` }));
    await assert.rejects(
      importStream(retrying, { stream: chunked(csv(rows), 64), name: "agenda.csv" }, { skipInvalid: false, clock: fixedClock(NOW) }),
      (e: unknown) => isUserError(e) && /agenda\.csv: the import met a conflicting write .*nothing imported: run it again/.test(e.message),
    );
    assert.equal(await count(db), 0);
    await assertNoOpenTransaction(db);
    // Parsed records can be run again: the same retry imports them all.
    const parsed = parseImport(csv(rows), "csv");
    assert.equal((await importAppointments(retrying, parsed, { file: "agenda.csv", format: "csv", skipInvalid: false, clock: fixedClock(NOW) })).inserted, 50);
    assert.equal(await count(db), 50);
  });

  test("line numbers of records spanning lines survive chunk boundaries, with CRLF", async (t) => {
    const { stream } = await setupStream(t);
    const text = [
      HEADER,
      `clinica,M-1,"Ana\r\nde\r\nSouza",nope,2026-11-25T14:00-03:00,2026-11-25T15:00-03:00,true`,
      `clinica,M-2,Bia,nope,2026-11-25T14:00-03:00,2026-11-25T15:00-03:00,true`,
    ].join("\r\n");
    for (const size of [1, 2, 3, 64]) {
      const s = await stream(text, { size });
      assert.deepEqual(s.errors.map((e) => e.replace(/:.*/, "")), ["line 2", "line 5"], `chunk size ${size}`);
    }
  });

  test("progress is reported in bytes up to the size", async (t) => {
    const { db } = await setup(t);
    const text = csv(Array.from({ length: 10_000 }, (_, i) => ({ external_id: `P-${i}` })));
    const seen: [number, number][] = [];
    const size = Buffer.byteLength(text);
    const s = await importStream(db, { stream: chunked(text, 4096), name: "p.csv", size }, {
      skipInvalid: false, clock: fixedClock(NOW), onProgress: (done, total) => seen.push([done, total]),
    });
    assert.equal(s.inserted, 10_000);
    assert.deepEqual(seen.at(-1), [size, size]);
  });
});

describe("fast paths agree with luxon", () => {
  /** A deterministic PRNG so a failure can be replayed. */
  function rng(seed: number): () => number {
    return () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
  }

  test("ISO times with Z or an offset: same instant or same refusal as DateTime.fromISO", () => {
    const r = rng(7);
    const pad = (n: number, w = 2) => String(n).padStart(w, "0");
    const cases = ["2026-02-30T10:00Z", "2026-02-29T10:00Z", "2024-02-29T10:00Z", "2026-04-31T10:00:00-03:00", "2026-11-25T24:00Z",
      "2026-11-25T23:59:60Z", "2026-13-01T00:00Z", "2026-00-10T00:00Z", "2026-11-25T14:00:00.1234Z", "2026-11-25T14:00:00.5-03:00",
      "2026-11-25T14:00:00.123+05:45", "2026-11-25T14:00-00:30", "2026-11-25T14:00+15:00", "0999-01-01T00:00Z", "2026-11-25 14:00Z",
      "2026-11-25T14:00:00.000Z", "2026-11-25T14:00+0300", "2026-11-25T14:00+03"];
    for (let i = 0; i < 20_000; i++) {
      const frac = r() < 0.3 ? "" : `.${String(Math.floor(r() * 1000)).padStart(1 + Math.floor(r() * 3), "0").slice(0, 3)}`;
      const sec = r() < 0.3 ? "" : `:${pad(Math.floor(r() * 61))}${frac}`;
      const off = r() < 0.3 ? "Z" : `${r() < 0.5 ? "-" : "+"}${pad(Math.floor(r() * 16))}:${pad(Math.floor(r() * 60))}`;
      cases.push(`${1990 + Math.floor(r() * 60)}-${pad(1 + Math.floor(r() * 12))}-${pad(1 + Math.floor(r() * 31))}T${pad(Math.floor(r() * 25))}:${pad(Math.floor(r() * 60))}${sec}${off}`);
    }
    for (const zone of ["America/Sao_Paulo", "Asia/Kathmandu", "Not/AZone"]) {
      for (const c of cases) {
        const dt = DateTime.fromISO(c.replace(" ", "T"), { zone });
        const expected = dt.isValid ? dt.toJSDate().getTime() : null;
        assert.equal(parseAppointmentTime(c, zone)?.getTime() ?? null, expected, `${c} in ${zone}`);
      }
    }
  });

  /** moveOutOfQuietHours as it was before the fast path: luxon throughout. */
  function moveOutWithLuxon(at: Date, zone: string, quiet: QuietHours): Date {
    const mod = (dt: DateTime) => dt.hour * 60 + dt.minute;
    const local = DateTime.fromJSDate(at, { zone });
    const m = mod(local);
    const inside = quiet.start < quiet.end ? m >= quiet.start && m < quiet.end : m >= quiet.start || m < quiet.end;
    if (!inside) return at;
    const day = quiet.start > quiet.end && m >= quiet.start ? local.plus({ days: 1 }) : local;
    let end = day.set({ hour: Math.floor(quiet.end / 60), minute: quiet.end % 60, second: 0, millisecond: 0 });
    if (mod(end) !== quiet.end) {
      const maxSteps = Math.abs(end.offset - end.minus({ days: 1 }).offset);
      for (let i = 0; i < maxSteps && end.minus({ minutes: 1 }).offset === end.offset; i++) end = end.minus({ minutes: 1 });
    } else {
      const candidates = end.getPossibleOffsets().filter((c) => c.toMillis() >= at.getTime());
      end = candidates.reduce((a, b) => (b.toMillis() < a.toMillis() ? b : a), candidates[0] ?? end);
    }
    return end.toJSDate();
  }

  test("moveOutOfQuietHours: same instant as the luxon algorithm over many instants and zones, DST edges included", () => {
    const r = rng(11);
    const zones = ["America/Sao_Paulo", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kathmandu", "America/Santiago",
      "Pacific/Chatham", "America/Havana", "Europe/Lisbon", "UTC", "America/Manaus", "Africa/Casablanca", "Asia/Tehran"];
    const windows: QuietHours[] = [{ start: 20 * 60, end: 8 * 60 }, { start: 22 * 60, end: 0 }, { start: 60, end: 6 * 60 }, { start: 23 * 60 + 30, end: 2 * 60 + 30 }, { start: 0, end: 3 * 60 }];
    const from = Date.parse("2015-01-01T00:00:00Z");
    const to = Date.parse("2035-01-01T00:00:00Z");
    for (const zone of zones) {
      // Around every offset change in the range (where the fast path must step aside)…
      const instants: number[] = [];
      let prev = DateTime.fromMillis(from, { zone }).offset;
      for (let t = from; t < to; t += 6 * 3_600_000) {
        const o = DateTime.fromMillis(t, { zone }).offset;
        // Offsets change at most once in 6 h: the change is within the 6 h before t.
        if (o !== prev) for (let k = -40; k <= 28; k++) instants.push(t + k * 20 * 60_000 + Math.floor(r() * 60) * 1000);
        prev = o;
      }
      // …and anywhere.
      for (let i = 0; i < 2000; i++) instants.push(from + Math.floor(r() * (to - from)));
      for (const t of instants) {
        const quiet = windows[Math.floor(r() * windows.length)] as QuietHours;
        const at = new Date(t);
        assert.equal(moveOutOfQuietHours(at, zone, quiet).getTime(), moveOutWithLuxon(at, zone, quiet).getTime(), `${at.toISOString()} ${zone} ${JSON.stringify(quiet)}`);
      }
    }
  });
});
