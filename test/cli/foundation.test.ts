import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { openStore } from "../../src/store/open.js";
import { ON_POSTGRES, REPO_ROOT, SQLITE_ONLY, runCli as run, tempDb, tempDir, type CliOptions, type CliResult } from "../helpers/cli.js";

/** A distinctive token: it must never show up in any output of any command in this file. */
const TOKEN = "tok_SEKRET_9f8e7d6c5b4a";
const outputs: { command: string; output: string }[] = [];

async function runCli(args: string[], opts?: CliOptions): Promise<CliResult> {
  const r = await run(args, opts);
  outputs.push({ command: args.join(" ").replaceAll(TOKEN, "<token>"), output: r.stdout + r.stderr });
  return r;
}

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
const NOW = "2026-11-25T12:00:00.000Z"; // 09:00 in São Paulo

function assertOneLine(r: CliResult, code: number, pattern?: RegExp): void {
  assert.equal(r.code, code, `exit code; stdout: ${r.stdout} stderr: ${r.stderr}`);
  assert.match(r.stderr, /^secretaria: [^\n]+\n$/, `one stderr line starting "secretaria: ", got: ${JSON.stringify(r.stderr)}`);
  if (pattern) assert.match(r.stderr, pattern);
}

async function migrated(): Promise<string> {
  const db = tempDb();
  const r = await runCli(["migrate", "--db", db]);
  assert.equal(r.code, 0, r.stderr);
  return db;
}

describe("help, version, usage errors", () => {
  test("no arguments: the full help on stdout, exit 0", async () => {
    const r = await runCli([]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: secretaria/);
    assert.match(r.stdout, /Examples:/);
    assert.equal(r.stderr, "");
  });

  test("--help lists the subcommands, the environment and the exit codes", async () => {
    const r = await runCli(["--help"]);
    assert.equal(r.code, 0);
    for (const c of ["migrate", "companies", "appointments"]) assert.match(r.stdout, new RegExp(`^\\s+${c}\\b`, "m"));
    assert.match(r.stdout, /SECRETARIA_DB/);
    assert.match(r.stdout, /SECRETARIA_NOW/);
    assert.match(r.stdout, /Exit status: 0 success, 1 failure, 2 usage error/);
  });

  test("subcommand help shows their flags and examples", async () => {
    const r = await runCli(["companies", "add", "--help"]);
    assert.equal(r.code, 0);
    for (const f of ["--id", "--name", "--timezone", "--whaticket-url", "--whaticket-token", "--whatsapp-id", "--business-hours", "--quiet-hours", "--followup-delay", "--rate-limit"]) {
      assert.match(r.stdout, new RegExp(f));
    }
    assert.match(r.stdout, /Examples:/);
    const imp = await runCli(["appointments", "import", "--help"]);
    assert.match(imp.stdout, /company_id,external_id,client_name,client_phone,start_time,end_time,allow_followup/);
    assert.match(imp.stdout, /--skip-invalid/);
  });

  test("--version / -V print the package version", async () => {
    for (const flag of ["--version", "-V"]) {
      const r = await runCli([flag]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout.trim(), VERSION);
    }
  });

  test("unknown command, unknown flag, bad choice, missing argument: exit 2, one stderr line", async () => {
    for (const args of [["bogus"], ["migrat"], ["--bogus"], ["migrate", "--bogus"], ["companies", "bogus"], ["migrate", "--to"],
      ["appointments", "import"], ["appointments", "add", "--status", "done"], ["companies", "add", "--name", "x"]]) {
      const r = await runCli(args);
      assertOneLine(r, 2);
      assert.equal(r.stdout, "", args.join(" "));
    }
    assert.match((await runCli(["migrat"])).stderr, /Did you mean migrate\?/);
  });

  test("a command group without its subcommand is a usage error (help on stderr, exit 2)", async () => {
    const r = await runCli(["companies"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Usage: secretaria companies/);
  });

  test("a UserError: exit 1, one line, no stack; DEBUG=secretaria adds the stack", async () => {
    // The missing database of each engine: a SQLite file that is not there, a PostgreSQL database that does not exist.
    let db: string;
    let message: RegExp;
    let thrower: RegExp;
    if (ON_POSTGRES) {
      const u = new URL(tempDb());
      u.pathname = `${u.pathname}_missing`;
      db = u.toString();
      message = /^secretaria: the database in postgres:\/\/\S+ does not exist: create it first/;
      thrower = /\n\s+at .*(pgUserError|openPgStore)/;
    } else {
      db = join(tempDir(), "missing.db");
      message = /^secretaria: no database at .*run `secretaria migrate/;
      thrower = /\n\s+at .*openSqliteStore/;
    }
    const r = await runCli(["companies", "list", "--db", db]);
    assertOneLine(r, 1, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    for (const debug of ["secretaria", "express,secretaria", "*"]) {
      const d = await runCli(["companies", "list", "--db", db], { env: { DEBUG: debug } });
      assert.equal(d.code, 1);
      assert.match(d.stderr, message);
      assert.match(d.stderr, thrower, `stack with DEBUG=${debug}`);
    }
    const other = await runCli(["companies", "list", "--db", db], { env: { DEBUG: "express" } });
    assert.doesNotMatch(other.stderr, /\n\s+at /);
  });

  test("SECRETARIA_NOW=garbage: exit 2 naming the variable and the expected form", async () => {
    const r = await runCli(["migrate", "--db", tempDb()], { env: { SECRETARIA_NOW: "garbage" } });
    assertOneLine(r, 2, /SECRETARIA_NOW="garbage" is not an ISO-8601 instant.*2026-11-25T14:00:00Z/);
    for (const bad of ["2026-11-25", "2026-11-25T14:00", "2026-13-45T14:00:00Z"]) {
      assertOneLine(await runCli(["migrate", "--db", tempDb()], { env: { SECRETARIA_NOW: bad } }), 2, /SECRETARIA_NOW/);
    }
  });

  test("SECRETARIA_NOW is the clock: migrate records it as applied_at", async () => {
    const db = tempDb();
    await runCli(["migrate", "--db", db], { env: { SECRETARIA_NOW: "2030-01-02T03:04:05Z" } });
    const status = JSON.parse((await runCli(["migrate", "--status", "--json", "--db", db])).stdout) as { applied_at: string }[];
    assert.ok(status.every((s) => s.applied_at === "2030-01-02T03:04:05.000Z"));
  });
});

describe("database location", () => {
  /** Whether migrate has created the schema there: the SQLite file exists; the PostgreSQL database has every migration applied. */
  async function created(location: string): Promise<boolean> {
    if (!ON_POSTGRES) return existsSync(location);
    const s = await runCli(["migrate", "--status", "--json", "--db", location]);
    assert.equal(s.code, 0, s.stderr);
    const status = JSON.parse(s.stdout) as { status: string }[];
    return status.length > 0 && status.every((m) => m.status === "applied");
  }

  test("SECRETARIA_DB is honoured; --db wins over it", async () => {
    const dir = tempDir();
    const envDb = ON_POSTGRES ? tempDb() : join(dir, "from-env.db");
    const flagDb = ON_POSTGRES ? tempDb() : join(dir, "from-flag.db");
    assert.equal((await runCli(["migrate"], { env: { SECRETARIA_DB: envDb } })).code, 0);
    assert.ok(await created(envDb));
    assert.equal((await runCli(["companies", "add", "--id", "c1", "--name", "Env"], { env: { SECRETARIA_DB: envDb } })).code, 0);
    if (ON_POSTGRES) assert.equal(await created(flagDb), false, "the --db database is untouched so far");
    assert.equal((await runCli(["migrate", "--db", flagDb], { env: { SECRETARIA_DB: envDb } })).code, 0);
    assert.ok(await created(flagDb));
    const list = await runCli(["companies", "list", "--json", "--db", flagDb], { env: { SECRETARIA_DB: envDb } });
    assert.deepEqual(JSON.parse(list.stdout), []);
    const fromEnv = await runCli(["companies", "list", "--json"], { env: { SECRETARIA_DB: envDb } });
    assert.deepEqual((JSON.parse(fromEnv.stdout) as { id: string }[]).map((c) => c.id), ["c1"]);
  });

  test("default ./secretaria.db in the working folder", { skip: SQLITE_ONLY }, async () => {
    const dir = tempDir();
    assert.equal((await runCli(["migrate"], { cwd: dir })).code, 0);
    assert.ok(existsSync(join(dir, "secretaria.db")));
  });
});

describe("lazy loading", () => {
  const register = pathToFileURL(join(REPO_ROOT, "test", "helpers", "register-record.mjs")).href;
  const HEAVY = /node_modules\/(better-sqlite3|pg|inquirer|@inquirer|axios|prom-client)\//;

  async function loaded(args: string[]): Promise<string[]> {
    const file = join(tempDir(), "imports.txt");
    await runCli(args, { nodeArgs: ["--import", register], env: { RECORD_IMPORTS_FILE: file } });
    return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
  }

  test("help and version load none of better-sqlite3, pg, inquirer, axios, prom-client", async () => {
    for (const args of [[], ["--help"], ["--version"], ["migrate", "--help"], ["companies", "add", "--help"], ["appointments", "import", "--help"], ["bogus"]]) {
      const urls = await loaded(args);
      assert.ok(urls.some((u) => u.endsWith("/dist/cli.js")), `the hook recorded the CLI itself for ${args.join(" ")}`);
      assert.deepEqual(urls.filter((u) => HEAVY.test(u)), [], `secretaria ${args.join(" ")}`);
    }
  });

  test("the detection works: a command that opens the database loads its engine's driver", async () => {
    // A SQLite file path loads better-sqlite3; a PostgreSQL URL loads pg.
    const urls = await loaded(["companies", "list", "--db", ON_POSTGRES ? tempDb() : join(tempDir(), "none.db")]);
    const driver = ON_POSTGRES ? /node_modules\/pg\// : /node_modules\/better-sqlite3\//;
    assert.ok(urls.some((u) => driver.test(u)));
  });
});

describe("companies", () => {
  let db = "";
  before(async () => {
    db = await migrated();
  });

  test("add with defaults; --json shows every setting but the token", async () => {
    const r = await runCli(["companies", "add", "--id", "clinica", "--name", "Clínica Sol", "--whaticket-token", TOKEN, "--json", "--db", db], { env: { SECRETARIA_NOW: NOW } });
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(
      { id: c.id, name: c.name, timezone: c.timezone, business_hours: c.business_hours, quiet_hours: c.quiet_hours, followup_delay_minutes: c.followup_delay_minutes, rate_limit: c.rate_limit, whaticket_url: c.whaticket_url, whatsapp_id: c.whatsapp_id, whaticket_token_set: c.whaticket_token_set },
      { id: "clinica", name: "Clínica Sol", timezone: "America/Sao_Paulo", business_hours: "mon-fri 09:00-18:00", quiet_hours: "20:00-08:00", followup_delay_minutes: 60, rate_limit: 1, whaticket_url: null, whatsapp_id: null, whaticket_token_set: true },
    );
    assert.ok(!("whaticket_token" in c));
    assert.equal(c.created_at, NOW);
  });

  test("add with every flag; text output", async () => {
    const r = await runCli(["companies", "add", "--id", "estudio", "--name", "Estúdio Lua", "--timezone", "America/Manaus",
      "--whaticket-url", "https://wt.example.com.br/", "--whaticket-token", TOKEN, "--whatsapp-id", "7",
      "--business-hours", "tue-sat 10:00-19:00", "--quiet-hours", "21:00-09:00", "--followup-delay", "90", "--rate-limit", "0.5", "--db", db]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /added company estudio/);
    const c = (JSON.parse((await runCli(["companies", "list", "--json", "--db", db])).stdout) as Record<string, unknown>[]).find((x) => x.id === "estudio");
    assert.deepEqual(
      [c?.timezone, c?.whaticket_url, c?.whatsapp_id, c?.business_hours, c?.quiet_hours, c?.followup_delay_minutes, c?.rate_limit],
      ["America/Manaus", "https://wt.example.com.br", "7", "tue-sat 10:00-19:00", "21:00-09:00", 90, 0.5],
    );
  });

  test("invalid time zone, hours, delay, rate limit, URL: exit 2 with every problem named", async () => {
    const r = await runCli(["companies", "add", "--id", "bad", "--name", "Bad", "--timezone", "Mars/Olympus", "--business-hours", "every day",
      "--quiet-hours", "25:00-08:00", "--followup-delay", "-5", "--rate-limit", "fast", "--whaticket-url", "ftp://x", "--db", db]);
    assertOneLine(r, 2);
    for (const flag of ["--timezone", "--business-hours", "--quiet-hours", "--followup-delay", "--rate-limit", "--whaticket-url"]) assert.match(r.stderr, new RegExp(flag));
    assert.match(r.stderr, /Mars\/Olympus.*IANA/);
    const list = JSON.parse((await runCli(["companies", "list", "--json", "--db", db])).stdout) as { id: string }[];
    assert.ok(!list.some((c) => c.id === "bad"));
  });

  test("each invalid value alone is a usage error", async () => {
    for (const args of [["--timezone", "America/Sao Paulo"], ["--business-hours", "mon-fri 18:00-09:00"], ["--quiet-hours", "08:00-08:00"],
      ["--followup-delay", "1.5"], ["--followup-delay", "20000"], ["--rate-limit", "-1"], ["--rate-limit", "5000"], ["--id", "bad id!"]]) {
      const r = await runCli(["companies", "add", "--id", "x", "--name", "X", ...args, "--db", db]);
      assertOneLine(r, 2, new RegExp(args[0] ?? ""));
    }
  });

  test("a new company without --name: exit 2 naming --name", async () => {
    assertOneLine(await runCli(["companies", "add", "--id", "nova", "--db", db]), 2, /--name is required/);
  });

  test("update keeps every field that is not given (token included)", async () => {
    const r = await runCli(["companies", "add", "--id", "estudio", "--followup-delay", "45", "--json", "--db", db]);
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(
      [c.name, c.timezone, c.whaticket_url, c.whatsapp_id, c.business_hours, c.quiet_hours, c.followup_delay_minutes, c.rate_limit, c.whaticket_token_set],
      ["Estúdio Lua", "America/Manaus", "https://wt.example.com.br", "7", "tue-sat 10:00-19:00", "21:00-09:00", 45, 0.5, true],
    );
    const text = await runCli(["companies", "add", "--id", "estudio", "--quiet-hours", "off", "--db", db]);
    assert.match(text.stdout, /updated company estudio/);
    assert.match(text.stdout, /quiet hours off/);
  });

  test("list: a table, and --json an array; neither shows the token", async () => {
    const t = await runCli(["companies", "list", "--db", db]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /clinica/);
    assert.match(t.stdout, /estudio/);
    const j = JSON.parse((await runCli(["companies", "list", "--json", "--db", db])).stdout) as Record<string, unknown>[];
    assert.deepEqual(j.map((c) => c.id), ["clinica", "estudio"]);
    assert.ok(j.every((c) => !("whaticket_token" in c) && c.whaticket_token_set === true));
  });

  test("the token is stored but not in the audit trail", async () => {
    const d = await openStore(db);
    try {
      assert.equal((await d.get<{ whaticket_token: string }>("SELECT whaticket_token FROM companies WHERE id = ?", ["clinica"]))?.whaticket_token, TOKEN);
      const audit = await d.all<{ payload: string }>("SELECT payload FROM audit_log");
      assert.ok(audit.length > 0);
      assert.ok(audit.every((a) => !a.payload.includes(TOKEN)));
    } finally {
      await d.close();
    }
  });

  test("empty list says how to add one", async () => {
    const r = await runCli(["companies", "list", "--db", await migrated()]);
    assert.match(r.stdout, /no companies yet.*secretaria companies add/);
  });
});

describe("appointments add / list", () => {
  let db = "";
  const env = { SECRETARIA_NOW: NOW };
  const flags = (over: Record<string, string> = {}) => {
    const all: Record<string, string> = {
      "--company": "clinica", "--external-id": "A-1", "--client-name": "Ana Souza", "--client-phone": "+55 (11) 99999-0000",
      "--start": "2026-11-25T14:00", "--end": "2026-11-25T15:00", "--allow-followup": "yes", ...over,
    };
    return Object.entries(all).filter(([, v]) => v !== "").flat();
  };
  const add = (over: Record<string, string> = {}) => runCli(["appointments", "add", ...flags(over), "--json", "--db", db], { env });

  before(async () => {
    db = await migrated();
    assert.equal((await runCli(["companies", "add", "--id", "clinica", "--name", "Clínica Sol", "--whaticket-token", TOKEN, "--db", db])).code, 0);
    assert.equal((await runCli(["companies", "add", "--id", "manaus", "--name", "Manaus", "--timezone", "America/Manaus", "--db", db])).code, 0);
  });

  test("add via flags: --json with the SPEC's snake_case columns; phone normalised; local time in the company zone", async () => {
    const r = await add();
    assert.equal(r.code, 0, r.stderr);
    const a = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual(
      [a.company_id, a.external_id, a.client_name, a.client_phone, a.start_time, a.end_time, a.status, a.allow_followup, a.followup_status, a.followup_next_scheduled, a.followup_sent_at, a.followup_response, a.followup_attempts, a.followup_last_error],
      ["clinica", "A-1", "Ana Souza", "5511999990000", "2026-11-25T17:00:00.000Z", "2026-11-25T18:00:00.000Z", "booked", true, "scheduled", "2026-11-25T19:00:00.000Z", null, null, 0, null],
    );
    assert.equal(typeof a.id, "number");
  });

  test("text output says what was done and when the follow-up goes, in local time", async () => {
    const r = await runCli(["appointments", "add", ...flags({ "--external-id": "A-TXT" }), "--db", db], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /inserted appointment \d+ \(A-TXT\) for Ana Souza: follow-up scheduled for 2026-11-25 16:00/);
    const again = await runCli(["appointments", "add", ...flags({ "--external-id": "A-TXT" }), "--db", db], { env });
    assert.match(again.stdout, /unchanged appointment/);
  });

  test("ends 19:30 local with quiet hours 20:00-08:00 and delay 60 → followup_next_scheduled 08:00 local next day", async () => {
    const r = await add({ "--external-id": "EVE", "--start": "2026-11-25 18:30", "--end": "2026-11-25 19:30" });
    assert.equal(r.code, 0, r.stderr);
    const a = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(a.followup_status, "scheduled");
    assert.equal(a.followup_next_scheduled, "2026-11-26T11:00:00.000Z"); // 08:00 −03:00
  });

  test("no consent → skipped no_consent; cancelled → skipped cancelled", async () => {
    const no = JSON.parse((await add({ "--external-id": "NO", "--allow-followup": "no" })).stdout) as Record<string, unknown>;
    assert.deepEqual([no.allow_followup, no.followup_status, no.followup_skip_reason, no.followup_next_scheduled], [false, "skipped", "no_consent", null]);
    const c = JSON.parse((await add({ "--external-id": "CAN", "--status": "cancelled" })).stdout) as Record<string, unknown>;
    assert.deepEqual([c.status, c.followup_status, c.followup_skip_reason], ["cancelled", "skipped", "cancelled"]);
  });

  test("re-adding with a new end time reschedules; cancelling unschedules", async () => {
    await add({ "--external-id": "RS" });
    const moved = JSON.parse((await add({ "--external-id": "RS", "--end": "2026-11-25T16:00" })).stdout) as Record<string, unknown>;
    assert.equal(moved.followup_next_scheduled, "2026-11-25T20:00:00.000Z");
    const cancelled = JSON.parse((await add({ "--external-id": "RS", "--end": "2026-11-25T16:00", "--status": "cancelled" })).stdout) as Record<string, unknown>;
    assert.deepEqual([cancelled.followup_status, cancelled.followup_skip_reason, cancelled.followup_next_scheduled], ["skipped", "cancelled", null]);
  });

  test("time without offset read in the company's zone; with an offset kept", async () => {
    const m = JSON.parse((await add({ "--company": "manaus", "--external-id": "M-1" })).stdout) as Record<string, unknown>;
    assert.equal(m.start_time, "2026-11-25T18:00:00.000Z"); // 14:00 −04:00
    const z = JSON.parse((await add({ "--company": "manaus", "--external-id": "M-2", "--start": "2026-11-25T14:00:00Z", "--end": "2026-11-25T15:00:00-03:00" })).stdout) as Record<string, unknown>;
    assert.deepEqual([z.start_time, z.end_time], ["2026-11-25T14:00:00.000Z", "2026-11-25T18:00:00.000Z"]);
  });

  test("phone normalisation: with and without the country code; nonsense rejected", async () => {
    const cases: [string, string][] = [["+55 (11) 99999-0000", "5511999990000"], ["(11) 98888-7777", "5511988887777"], ["21 3333-4444", "552133334444"], ["+351 912 345 678", "351912345678"]];
    for (const [raw, want] of cases) {
      const r = await add({ "--external-id": `PH-${want}`, "--client-phone": raw });
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { client_phone: string }).client_phone, want, raw);
    }
    for (const raw of ["não tenho", "123", "+55 11 1234", "11 99999-0000 ramal 2"]) {
      assertOneLine(await add({ "--external-id": "PH-BAD", "--client-phone": raw }), 2, /--client-phone ".*" is not a phone number/);
    }
  });

  test("end before (or at) start rejected; unparsable time rejected; unknown company named", async () => {
    assertOneLine(await add({ "--external-id": "BAD", "--end": "2026-11-25T13:00" }), 2, /--end must be after --start/);
    assertOneLine(await add({ "--external-id": "BAD", "--end": "2026-11-25T14:00" }), 2, /--end must be after --start/);
    assertOneLine(await add({ "--external-id": "BAD", "--start": "amanhã às 14h" }), 2, /--start "amanhã às 14h" is not a time/);
    assertOneLine(await add({ "--company": "nope", "--external-id": "BAD" }), 2, /unknown --company "nope".*companies add/);
  });

  test("not on a terminal, missing flags are a usage error naming each of them", async () => {
    const r = await runCli(["appointments", "add", "--company", "clinica", "--external-id", "X", "--db", db], { env, input: "" });
    assertOneLine(r, 2, /missing --client-name, --client-phone, --start, --end, --allow-followup/);
    const one = await runCli(["appointments", "add", ...flags({ "--allow-followup": "" }), "--db", db], { env });
    assertOneLine(one, 2, /missing --allow-followup\b/);
  });

  test("list --json: an array with the columns; filters by company, dates, search; paging", async () => {
    const all = JSON.parse((await runCli(["appointments", "list", "--json", "--limit", "1000", "--db", db])).stdout) as Record<string, unknown>[];
    assert.ok(Array.isArray(all) && all.length >= 8);
    for (const key of ["id", "company_id", "external_id", "client_name", "client_phone", "start_time", "end_time", "status", "allow_followup", "followup_status", "followup_next_scheduled", "followup_sent_at", "followup_response"]) {
      assert.ok(key in (all[0] ?? {}), key);
    }
    const manaus = JSON.parse((await runCli(["appointments", "list", "--company", "manaus", "--json", "--db", db])).stdout) as Record<string, unknown>[];
    assert.deepEqual(manaus.map((a) => a.external_id).sort(), ["M-1", "M-2"]);
    const search = JSON.parse((await runCli(["appointments", "list", "--search", "EVE", "--json", "--db", db])).stdout) as Record<string, unknown>[];
    assert.deepEqual(search.map((a) => a.external_id), ["EVE"]);
    const none = JSON.parse((await runCli(["appointments", "list", "--from", "2026-11-26", "--json", "--db", db])).stdout) as unknown[];
    assert.deepEqual(none, []);
    const page = JSON.parse((await runCli(["appointments", "list", "--limit", "2", "--page", "2", "--json", "--db", db])).stdout) as unknown[];
    assert.equal(page.length, 2);
    const text = await runCli(["appointments", "list", "--limit", "2", "--db", db]);
    assert.match(text.stdout, /1–2 of \d+ \(next: --page 2\)/);
  });

  test("list: bad filters are usage errors", async () => {
    assertOneLine(await runCli(["appointments", "list", "--company", "nope", "--db", db]), 2, /unknown company "nope"/);
    assertOneLine(await runCli(["appointments", "list", "--from", "25/11/2026", "--db", db]), 2, /--from must be a date like 2026-11-25/);
    assertOneLine(await runCli(["appointments", "list", "--limit", "0", "--db", db]), 2, /--limit/);
  });
});

// Runs last (tests in a file run in order): every output collected above.
test("the Whaticket token never appears in any output of any command above", () => {
  assert.ok(outputs.length > 40);
  const leaks = outputs.filter((o) => o.output.includes(TOKEN)).map((o) => o.command);
  assert.deepEqual(leaks, []);
});
