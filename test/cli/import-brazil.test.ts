import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, runCli, tempDb, tempDir } from "../helpers/cli.js";

/**
 * Issue 18, done-when: a clinic system's export (Windows-1252, semicolons, dd/mm/yyyy, "14h",
 * Portuguese statuses, sim/não/S/N/x, "0XX92 …" phones, extra columns, a repeated line) imports
 * with --company and the header synonyms, or one --map (saved for next time), no hand editing.
 */
const FIXTURE = join(REPO_ROOT, "test", "fixtures", "clinic-export-cp1252.csv");
const NOW = "2026-11-24T12:00:00Z"; // 08:00 in Manaus, before every appointment of the file
const env = { SECRETARIA_NOW: NOW };

/** The fixture as text (Windows-1252 is Latin-1 for its letters) and back to bytes. */
const fixtureText = () => readFileSync(FIXTURE).toString("latin1");
const cp1252 = (text: string) => Buffer.from(text, "latin1");

describe("appointments import: a Brazilian clinic export (CLI)", () => {
  let dir = "";
  before(() => {
    dir = tempDir();
  });

  async function freshDb(): Promise<string> {
    const db = tempDb();
    assert.equal((await runCli(["migrate", "--db", db])).code, 0);
    const add = await runCli(["companies", "add", "--id", "manaus", "--name", "Clínica Rio Negro", "--timezone", "America/Manaus", "--db", db]);
    assert.equal(add.code, 0, add.stderr);
    return db;
  }
  const list = async (db: string) => {
    const r = await runCli(["appointments", "list", "--json", "--company", "manaus", "--db", db]);
    assert.equal(r.code, 0, r.stderr);
    return new Map((JSON.parse(r.stdout) as Record<string, unknown>[]).map((a) => [a.external_id as string, a]));
  };

  test("the Windows-1252 semicolon export imports with --company and the synonyms: names intact, one note per extra", async () => {
    const db = await freshDb();
    const r = await runCli(["appointments", "import", FIXTURE, "--company", "manaus", "--db", db], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /9 inserted, 0 updated, 0 unchanged, 0 invalid/);
    assert.match(r.stdout, /follow-ups: 5 scheduled, 1 without consent, 3 cancelled \(1 repeated line counted once\)/);
    assert.match(r.stderr, /Windows-1252/i);
    assert.equal(r.stderr.match(/not imported \(no field uses them\): Convênio, Observações/g)?.length, 1, r.stderr);
    assert.match(r.stderr, /line 7 repeats line 3 exactly: counted once/);
    assert.doesNotMatch(r.stderr, /warning/);
    const rows = await list(db);
    assert.equal(rows.size, 9);
    const joao = rows.get("1001")!;
    assert.equal(joao.client_name, "João da Silva");
    assert.equal(joao.start_time, "2026-11-24T18:00:00.000Z"); // 14:00 in Manaus (−04:00)
    assert.equal(joao.end_time, "2026-11-24T18:30:00.000Z");
    assert.equal(joao.client_phone, "5592991234567");
    assert.equal(joao.followup_status, "scheduled");
    assert.equal(rows.get("1002")!.client_phone, "5592987654321"); // 0XX92 98765-4321
    assert.equal(rows.get("1002")!.end_time, "2026-11-24T19:00:00.000Z"); // "15h"
    assert.equal(rows.get("1003")!.status, "cancelled"); // Desmarcado
    assert.equal(rows.get("1005")!.client_phone, "5592994445555"); // the mobile of "(92) 3234-5678 / (92) 99444-5555"
    assert.equal(rows.get("1008")!.allow_followup, false); // não
    assert.equal(rows.get("1008")!.followup_skip_reason, "no_consent");
    assert.equal(rows.get("1004")!.allow_followup, true); // x
    assert.equal(rows.get("1006")!.client_name, "Cecília Brandão");
    // The same file again: everything unchanged.
    const again = await runCli(["appointments", "import", FIXTURE, "--company", "manaus", "--db", db], { env });
    assert.match(again.stdout, /0 inserted, 0 updated, 9 unchanged/);
  });

  test("a header no synonym knows: one --map, saved with --save-map, used next time without it", async () => {
    const db = await freshDb();
    const file = join(dir, "renamed.csv");
    writeFileSync(file, cp1252(fixtureText().replace("Paciente", "Beneficiário").replace("Celular", "Zap do cliente")));
    const without = await runCli(["appointments", "import", file, "--company", "manaus", "--db", db], { env });
    assert.equal(without.code, 1);
    assert.match(without.stderr, /no column for client_name, client_phone: pass --map/);
    const map = "client_name=Beneficiário,client_phone=Zap do cliente";
    const r = await runCli(["appointments", "import", file, "--company", "manaus", "--map", map, "--save-map", "--db", db], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /9 inserted/);
    assert.match(r.stdout, /saved this mapping for company manaus/);
    const next = await runCli(["appointments", "import", file, "--company", "manaus", "--db", db], { env });
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, /using the mapping saved for manaus/);
    assert.match(next.stdout, /0 inserted, 0 updated, 9 unchanged/);
    assert.equal((await list(db)).get("1001")!.client_name, "João da Silva");
    // --save-map without --company has nothing to save it for.
    const bad = await runCli(["appointments", "import", file, "--map", map, "--save-map", "--db", db], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--save-map needs --map and --company/);
  });

  test("a conflicting repeat is an error naming both lines; nothing imported", async () => {
    const db = await freshDb();
    const file = join(dir, "conflict.csv");
    const lines = fixtureText().split("\n");
    lines[6] = (lines[6] as string).replace("14h30", "16h00").replace(";15h;", ";16h30;");
    writeFileSync(file, cp1252(lines.join("\n")));
    const r = await runCli(["appointments", "import", file, "--company", "manaus", "--db", db], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /line 7: external_id "1002" of company manaus repeats line 3 with a different start_time, end_time/);
    assert.equal((await list(db)).size, 0);
  });

  test("every row in the past: a warning; --encoding utf-8 on Windows-1252 bytes: an error naming the line", async () => {
    const db = await freshDb();
    const late = await runCli(["appointments", "import", FIXTURE, "--company", "manaus", "--db", db], { env: { SECRETARIA_NOW: "2027-01-10T12:00:00Z" } });
    assert.equal(late.code, 0, late.stderr);
    assert.match(late.stdout, /follow-ups: 0 scheduled, 5 already past \(expired\)/);
    assert.match(late.stderr, /warning: every appointment in this file is in the past/);
    // Ended an hour ago: in the past, but its follow-up goes out now, so no warning.
    const recent = join(dir, "recent.jsonl");
    writeFileSync(recent, JSON.stringify({ external_id: "R-1", client_name: "Recente", client_phone: "+55 92 99999-0000", start_time: "2027-01-10T10:00:00Z", end_time: "2027-01-10T11:00:00Z", allow_followup: "true" }) + "\n");
    const fresh = await runCli(["appointments", "import", recent, "--company", "manaus", "--db", db], { env: { SECRETARIA_NOW: "2027-01-10T12:00:00Z" } });
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(fresh.stdout, /follow-ups: 1 scheduled/);
    assert.doesNotMatch(fresh.stderr, /in the past/);
    const utf8 = await runCli(["appointments", "import", FIXTURE, "--company", "manaus", "--encoding", "utf-8", "--db", db], { env });
    assert.notEqual(utf8.code, 0);
    assert.match(utf8.stderr, /line 1\b/);
  });

  test("--company that does not exist: one line, before reading the file", async () => {
    const db = await freshDb();
    const r = await runCli(["appointments", "import", FIXTURE, "--company", "nope", "--db", db], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^secretaria: unknown company "nope"/);
  });
});
