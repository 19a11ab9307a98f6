import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openDb, type Db } from "../../src/store/db.js";
import { assertMigrated, loadMigrations, migrate, migrationStatus } from "../../src/store/migrator.js";
import { migratedDb, runCli, tempDb, tempDir, type CliResult } from "../helpers/cli.js";

const KNOWN = loadMigrations();
const LATEST = KNOWN.length;

function withDb<T>(path: string, fn: (db: Db) => T): T {
  const db = openDb(path);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

const columns = (db: Db, table: string) => (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
const indexes = (db: Db) => (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((r) => r.name);
const recorded = (db: Db) => db.prepare("SELECT version, name, checksum FROM schema_migrations ORDER BY version").all() as { version: number; name: string; checksum: string }[];

/** One line on stderr, starting `secretaria: `, and nothing that looks like a raw SQLite error or a stack. */
function assertOneLineError(r: CliResult, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one stderr line, got: ${r.stderr}`);
  assert.match(lines[0] ?? "", /^secretaria: /);
  assert.match(lines[0] ?? "", pattern);
  assert.doesNotMatch(r.stderr, /SqliteError|SQLITE_|\n\s+at /);
}

describe("migrate on a fresh file", () => {
  test("applies every migration once; a second run applies nothing", async () => {
    const db = tempDb();
    const first = await runCli(["migrate", "--db", db]);
    assert.equal(first.code, 0, first.stderr);
    for (const m of KNOWN) assert.match(first.stdout, new RegExp(`applied ${m.name}`));
    assert.equal(first.stderr, "");

    const second = await runCli(["migrate", "--db", db]);
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stdout, /applied 0/);
    assert.match(second.stdout, /nothing to apply/);

    withDb(db, (d) => {
      assert.deepEqual(recorded(d).map((r) => r.version), KNOWN.map((m) => m.version));
      assert.deepEqual(recorded(d).map((r) => r.checksum), KNOWN.map((m) => m.checksum));
      assert.equal(d.pragma("journal_mode", { simple: true }), "wal");
      assert.equal(d.pragma("foreign_keys", { simple: true }), 1);
    });
  });

  test("--json: {database, applied: [names]}, then applied: []", async () => {
    const db = tempDb();
    const first = await runCli(["migrate", "--json", "--db", db]);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(JSON.parse(first.stdout), { database: db, applied: KNOWN.map((m) => m.name) });
    const second = await runCli(["migrate", "--json", "--db", db]);
    assert.deepEqual(JSON.parse(second.stdout), { database: db, applied: [] });
  });

  test("the v2.4 schema is complete: release-note columns, engine columns, due-scan index", () => {
    const db = migratedDb(tempDb());
    try {
      const cols = columns(db, "appointments");
      for (const c of [
        "id", "company_id", "external_id", "client_name", "client_phone", "start_time", "end_time", "status",
        "allow_followup", "followup_sent_at", "followup_response", "followup_next_scheduled",
        "followup_status", "followup_attempts", "followup_last_error", "lease_owner", "lease_expires_at",
      ]) assert.ok(cols.includes(c), `appointments.${c}`);
      for (const c of ["quiet_hours", "followup_delay_minutes", "rate_limit", "timezone", "whaticket_url", "whaticket_token", "whatsapp_id", "business_hours"]) {
        assert.ok(columns(db, "companies").includes(c), `companies.${c}`);
      }
      for (const t of ["audit_log", "feedback_events", "inbound_messages"]) assert.ok(columns(db, t).length > 0, t);
      assert.ok(indexes(db).includes("appointments_followup_due"));
      // The due scan is an index seek, not a table scan.
      const plan = db.prepare(
        "EXPLAIN QUERY PLAN SELECT id FROM appointments WHERE followup_status = 'scheduled' AND followup_next_scheduled <= ? ORDER BY followup_next_scheduled LIMIT 10",
      ).all("2026-01-01T00:00:00.000Z") as { detail: string }[];
      assert.match(plan.map((p) => p.detail).join(" | "), /USING INDEX appointments_followup/);
    } finally {
      db.close();
    }
  });
});

describe("migrate --status", () => {
  test("--json lists each migration with version, name, status, applied_at and checksum", async () => {
    const db = tempDb();
    assert.equal((await runCli(["migrate", "--to", "1", "--db", db])).code, 0);
    const r = await runCli(["migrate", "--status", "--json", "--db", db]);
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout) as Record<string, unknown>[];
    assert.ok(Array.isArray(status));
    assert.equal(status.length, LATEST);
    status.forEach((s, i) => {
      assert.deepEqual(Object.keys(s).sort(), ["applied_at", "checksum", "name", "status", "version"]);
      assert.equal(s.version, i + 1);
      assert.equal(s.name, KNOWN[i]?.name);
      assert.match(String(s.checksum), /^[0-9a-f]{64}$/);
    });
    assert.equal(status[0]?.status, "applied");
    assert.match(String(status[0]?.applied_at), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.equal(status[1]?.status, "pending");
    assert.equal(status[1]?.applied_at, null);
  });

  test("text form says what is pending and what to run; it applies nothing", async () => {
    const db = tempDb();
    await runCli(["migrate", "--to", "1", "--db", db]);
    const r = await runCli(["migrate", "--status", "--db", db]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /applied\s+001_/);
    assert.match(r.stdout, /pending\s+002_/);
    assert.match(r.stdout, /secretaria migrate/);
    withDb(db, (d) => assert.equal(recorded(d).length, 1));
  });

  test("--status on a missing file does not create it", async () => {
    const dir = tempDir();
    const r = await runCli(["migrate", "--status", "--db", join(dir, "none.db")]);
    assertOneLineError(r, 1, /secretaria migrate/);
    const { existsSync } = await import("node:fs");
    assert.equal(existsSync(join(dir, "none.db")), false);
  });
});

describe("upgrade of a v2.3 database (migrate --to 1, rows, migrate)", () => {
  test("every row kept; new columns at their defaults; no follow-up without recorded consent", async () => {
    const db = tempDb();
    const to1 = await runCli(["migrate", "--to", "1", "--db", db]);
    assert.equal(to1.code, 0, to1.stderr);
    assert.match(to1.stdout, /applied 001_/);
    assert.doesNotMatch(to1.stdout, /002_/);

    withDb(db, (d) => {
      assert.ok(!columns(d, "appointments").includes("allow_followup"), "v2.3 shape has no allow_followup");
      assert.ok(!columns(d, "appointments").includes("followup_status"));
      assert.ok(!columns(d, "companies").includes("quiet_hours"));
      // Exactly the columns a v2.3 system knew.
      d.prepare("INSERT INTO companies (id, name, timezone) VALUES (?, ?, ?)").run("clinica", "Clínica Sol", "America/Sao_Paulo");
      d.prepare("INSERT INTO companies (id, name, timezone) VALUES (?, ?, ?)").run("estudio", "Estúdio Lua", "America/Manaus");
      const ins = d.prepare(
        "INSERT INTO appointments (id, company_id, external_id, client_name, client_phone, start_time, end_time, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      );
      for (let i = 1; i <= 50; i++) {
        ins.run(i, i % 2 ? "clinica" : "estudio", `V23-${i}`, `Cliente ${i}`, `55119999${String(i).padStart(5, "0")}`,
          "2026-11-20T13:00:00.000Z", "2026-11-20T14:00:00.000Z", i % 10 === 0 ? "cancelled" : "booked");
      }
      d.prepare("INSERT INTO audit_log (action, appointment_id, company_id) VALUES ('appointment_created', 1, 'clinica')").run();
      d.prepare("INSERT INTO feedback_events (appointment_id, text) VALUES (2, 'ótimo')").run();
    });

    const before = withDb(db, (d) => d.prepare("SELECT id, company_id, external_id, client_name, client_phone, start_time, end_time, status FROM appointments ORDER BY id").all());

    const up = await runCli(["migrate", "--db", db]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /applied 002_/);
    assert.doesNotMatch(up.stdout, /applied 001_/);

    withDb(db, (d) => {
      const after = d.prepare("SELECT id, company_id, external_id, client_name, client_phone, start_time, end_time, status FROM appointments ORDER BY id").all();
      assert.deepEqual(after, before);
      const follow = d.prepare(
        "SELECT DISTINCT allow_followup, followup_status, followup_skip_reason, followup_next_scheduled, followup_sent_at, followup_response, followup_attempts FROM appointments",
      ).all();
      assert.deepEqual(follow, [{
        allow_followup: 0, followup_status: "skipped", followup_skip_reason: "no_consent", followup_next_scheduled: null,
        followup_sent_at: null, followup_response: null, followup_attempts: 0,
      }]);
      const companies = d.prepare("SELECT id, name, timezone, quiet_hours, followup_delay_minutes, business_hours FROM companies ORDER BY id").all();
      assert.deepEqual(companies, [
        { id: "clinica", name: "Clínica Sol", timezone: "America/Sao_Paulo", quiet_hours: "20:00-08:00", followup_delay_minutes: 60, business_hours: "mon-fri 09:00-18:00" },
        { id: "estudio", name: "Estúdio Lua", timezone: "America/Manaus", quiet_hours: "20:00-08:00", followup_delay_minutes: 60, business_hours: "mon-fri 09:00-18:00" },
      ]);
      assert.equal((d.prepare("SELECT count(*) AS n FROM audit_log").get() as { n: number }).n, 1);
      assert.equal((d.prepare("SELECT count(*) AS n FROM feedback_events").get() as { n: number }).n, 1);
      assertMigrated(d, db);
    });

    // The upgraded rows are usable by the v2.4 commands.
    const list = await runCli(["appointments", "list", "--json", "--limit", "100", "--db", db]);
    assert.equal(list.code, 0, list.stderr);
    const rows = JSON.parse(list.stdout) as { external_id: string; allow_followup: boolean; followup_status: string }[];
    assert.equal(rows.length, 50);
    assert.ok(rows.every((r) => r.allow_followup === false && r.followup_status === "skipped"));
  });
});

describe("refusals", () => {
  test("an applied migration whose checksum differs: exit 1, names the migration and the fix", async () => {
    const db = tempDb();
    assert.equal((await runCli(["migrate", "--db", db])).code, 0);
    withDb(db, (d) => d.prepare("UPDATE schema_migrations SET checksum = ? WHERE version = 1").run("0".repeat(64)));
    for (const args of [["migrate"], ["migrate", "--status"], ["companies", "list"]]) {
      const r = await runCli([...args, "--db", db]);
      assertOneLineError(r, 1, /001_initial_schema.*(changed|checksum)/);
    }
  });

  test("a migration unknown to this binary (version 99): exit 1, 'newer version'", async () => {
    const db = tempDb();
    assert.equal((await runCli(["migrate", "--db", db])).code, 0);
    withDb(db, (d) => d.prepare("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (99, '099_from_the_future', 'x', '2030-01-01T00:00:00Z')").run());
    for (const args of [["migrate"], ["migrate", "--status", "--json"], ["appointments", "list"]]) {
      const r = await runCli([...args, "--db", db]);
      assertOneLineError(r, 1, /099_from_the_future.*newer version/);
      assert.equal(r.stdout, "");
    }
    // Nothing was applied or removed.
    withDb(db, (d) => assert.deepEqual(recorded(d).map((r) => r.version), [...KNOWN.map((m) => m.version), 99]));
  });

  test("--to beyond the known migrations is a usage error; below the applied ones is refused", async () => {
    const db = tempDb();
    assertOneLineError(await runCli(["migrate", "--to", String(LATEST + 1), "--db", db]), 2, /--to/);
    assertOneLineError(await runCli(["migrate", "--to", "x", "--db", db]), 2, /--to/);
    assert.equal((await runCli(["migrate", "--db", db])).code, 0);
    assertOneLineError(await runCli(["migrate", "--to", "1", "--db", db]), 1, /not reversed/);
  });

  test("migrate into a folder that does not exist: exit 1 naming the folder", async () => {
    const dir = tempDir();
    assertOneLineError(await runCli(["migrate", "--db", join(dir, "no", "such", "x.db")]), 1, /folder .* does not exist/);
  });

  test("a non-SQLite file: one-line error, exit 1, the file untouched", async () => {
    const dir = tempDir();
    const file = join(dir, "notes.db");
    const content = "company_id,external_id\n" + "this is not a database\n".repeat(300);
    writeFileSync(file, content);
    for (const args of [["migrate"], ["migrate", "--status"], ["companies", "list"], ["companies", "add", "--id", "x", "--name", "X"], ["appointments", "list", "--json"]]) {
      const r = await runCli([...args, "--db", file]);
      assertOneLineError(r, 1, /not a SQLite database/);
    }
    const { readFileSync } = await import("node:fs");
    assert.equal(readFileSync(file, "utf8"), content);
  });

  test("a SQLite file made by another tool (its own companies table): one-line error naming the migration, nothing left behind", async () => {
    const db = tempDb();
    const d = openDb(db, { create: true });
    d.exec("CREATE TABLE companies (cnpj TEXT PRIMARY KEY)");
    d.close();
    const r = await runCli(["migrate", "--db", db]);
    assertOneLineError(r, 1, /migration 001_initial_schema failed .*rolled back: table companies already exists.*another --db/);
    withDb(db, (x) => {
      assert.deepEqual(recorded(x), []);
      assert.deepEqual(columns(x, "companies"), ["cnpj"]);
      assert.equal(columns(x, "appointments").length, 0);
    });
  });

  test("a folder passed as --db: one-line error, exit 1", async () => {
    const dir = tempDir();
    for (const args of [["migrate"], ["companies", "list"]]) assertOneLineError(await runCli([...args, "--db", dir]), 1, /folder/);
  });
});

describe("every other command on a database that is missing, empty or outdated", () => {
  const commands: string[][] = [
    ["companies", "list"],
    ["companies", "list", "--json"],
    ["companies", "add", "--id", "c1", "--name", "C"],
    ["appointments", "list"],
    ["appointments", "add", "--company", "c1", "--external-id", "1", "--client-name", "Ana", "--client-phone", "11999990000",
      "--start", "2026-11-25T14:00", "--end", "2026-11-25T15:00", "--allow-followup", "yes"],
    ["appointments", "import", "-"],
  ];
  const input = "company_id,external_id,client_name,client_phone,start_time,end_time,allow_followup\n";

  test("missing file: exit 1 with the migrate hint, and the file is not created", async () => {
    const dir = tempDir();
    const db = join(dir, "missing.db");
    for (const args of commands) {
      const r = await runCli([...args, "--db", db], { input });
      assertOneLineError(r, 1, /no database at .*secretaria migrate/);
    }
    const { existsSync } = await import("node:fs");
    assert.equal(existsSync(db), false);
  });

  test("an empty file, a file with no migration applied, and a v2.3 (version 1) file: run `secretaria migrate`", async () => {
    const empty = join(tempDir(), "empty.db");
    writeFileSync(empty, "");
    const none = tempDb();
    assert.equal((await runCli(["migrate", "--to", "0", "--db", none])).code, 0);
    const v1 = tempDb();
    assert.equal((await runCli(["migrate", "--to", "1", "--db", v1])).code, 0);
    for (const [db, state] of [[empty, /not initialised/], [none, /not initialised/], [v1, /at migration 1 of/]] as const) {
      for (const args of commands) {
        const r = await runCli([...args, "--db", db], { input });
        assertOneLineError(r, 1, state);
        assert.match(r.stderr, /run `secretaria migrate/);
      }
    }
  });
});

describe("concurrent migrate", () => {
  test("4 processes on one fresh file, 3 rounds: all succeed, each migration recorded and applied exactly once", async () => {
    for (let round = 0; round < 3; round++) {
      const db = tempDb();
      const results = await Promise.all([0, 1, 2, 3].map(() => runCli(["migrate", "--json", "--db", db])));
      for (const r of results) assert.equal(r.code, 0, `round ${round}: ${r.stderr}`);
      const applied = results.flatMap((r) => (JSON.parse(r.stdout) as { applied: string[] }).applied).sort();
      assert.deepEqual(applied, KNOWN.map((m) => m.name), `round ${round}: each migration applied by exactly one process`);
      withDb(db, (d) => {
        assert.deepEqual(recorded(d).map((r) => r.version), KNOWN.map((m) => m.version));
        assert.ok(columns(d, "appointments").includes("allow_followup"));
        assert.ok(indexes(d).includes("appointments_followup_due"));
        assertMigrated(d, db);
      });
    }
  });
});

describe("migrator API", () => {
  function migrationsDir(files: Record<string, string>): string {
    const dir = tempDir();
    for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
    return dir;
  }

  test("each migration runs in its own transaction: a failing one leaves no trace, the earlier ones stay", () => {
    const dir = migrationsDir({
      "001_a.sql": "CREATE TABLE a (x INTEGER);",
      "002_b.sql": "CREATE TABLE b (x INTEGER);\nINSERT INTO nope VALUES (1);",
    });
    const known = loadMigrations(dir);
    const path = tempDb();
    const db = openDb(path, { create: true });
    try {
      assert.throws(() => migrate(db, path, {}, known), /nope/);
      assert.deepEqual(recorded(db).map((r) => r.version), [1]);
      assert.ok(columns(db, "a").length === 1);
      assert.equal(columns(db, "b").length, 0, "table b rolled back");
      assert.deepEqual(migrationStatus(db, path, known).map((s) => s.status), ["applied", "pending"]);
    } finally {
      db.close();
    }
  });

  test("files must be numbered without gaps; CRLF and LF give the same checksum", () => {
    assert.throws(() => loadMigrations(migrationsDir({ "001_a.sql": "SELECT 1;", "003_c.sql": "SELECT 1;" })), /without gaps/);
    const lf = loadMigrations(migrationsDir({ "001_a.sql": "SELECT 1;\nSELECT 2;\n" }));
    const crlf = loadMigrations(migrationsDir({ "001_a.sql": "SELECT 1;\r\nSELECT 2;\r\n" }));
    assert.equal(lf[0]?.checksum, crlf[0]?.checksum);
  });

  test("the shipped migrations are 001 (pre-v2.4) then 002 (v2.4)", () => {
    assert.ok(LATEST >= 2);
    assert.match(KNOWN[0]?.name ?? "", /^001_/);
    assert.doesNotMatch(KNOWN[0]?.sql ?? "", /allow_followup/);
    assert.match(KNOWN[1]?.sql ?? "", /allow_followup/);
  });

  test("migrate --to 0 creates only the bookkeeping table", () => {
    const path = tempDb();
    mkdirSync(join(path, ".."), { recursive: true });
    const db = migratedDb(path, { to: 0 });
    try {
      assert.deepEqual(recorded(db), []);
      assert.throws(() => assertMigrated(db, path), /not initialised.*secretaria migrate/);
    } finally {
      db.close();
    }
  });
});
