import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { assertMigrated, loadMigrations, migrate, migrationStatus, migrationsDir } from "../../src/store/migrator.js";
import { displayLocation, openStore } from "../../src/store/open.js";
import type { Q, Store } from "../../src/store/store.js";
import { ON_POSTGRES, SQLITE_ONLY, TEST_ENGINE, migratedDb, runCli, tempDb, tempDir, type CliResult } from "../helpers/cli.js";

const KNOWN = loadMigrations(TEST_ENGINE);
const LATEST = KNOWN.length;

async function withDb<T>(location: string, fn: (db: Store) => Promise<T>): Promise<T> {
  const db = await openStore(location);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** A table's column names in order; [] when the table does not exist. */
async function columns(db: Q, table: string): Promise<string[]> {
  const rows =
    db.dialect === "sqlite"
      ? await db.all<{ name: string }>(`PRAGMA table_info(${table})`)
      : await db.all<{ name: string }>(
          "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
          [table],
        );
  return rows.map((c) => c.name);
}

async function indexes(db: Q): Promise<string[]> {
  const rows =
    db.dialect === "sqlite"
      ? await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'")
      : await db.all<{ name: string }>("SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()");
  return rows.map((r) => r.name);
}

const recorded = (db: Q) => db.all<{ version: number; name: string; checksum: string }>("SELECT version, name, checksum FROM schema_migrations ORDER BY version");

/** PostgreSQL: the URL of a database on the test cluster that does not exist (and its name). */
function missingPgDb(): { url: string; name: string } {
  const u = new URL(process.env.SECRETARIA_TEST_PG_URL ?? "");
  const name = `t_missing_${process.pid}_${randomBytes(4).toString("hex")}`;
  u.pathname = `/${name}`;
  return { url: u.toString(), name };
}

async function pgDatabaseExists(name: string): Promise<boolean> {
  return withDb(process.env.SECRETARIA_TEST_PG_URL ?? "", async (admin) => !!(await admin.get("SELECT 1 AS ok FROM pg_database WHERE datname = ?", [name])));
}

/** One line on stderr, starting `secretaria: `, and nothing that looks like a raw SQLite or PostgreSQL error or a stack. */
function assertOneLineError(r: CliResult, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one stderr line, got: ${r.stderr}`);
  assert.match(lines[0] ?? "", /^secretaria: /);
  assert.match(lines[0] ?? "", pattern);
  assert.doesNotMatch(r.stderr, /SqliteError|SQLITE_|DatabaseError|\n\s+at /);
}

describe("migrate on a fresh database", () => {
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

    await withDb(db, async (d) => {
      assert.deepEqual((await recorded(d)).map((r) => r.version), KNOWN.map((m) => m.version));
      assert.deepEqual((await recorded(d)).map((r) => r.checksum), KNOWN.map((m) => m.checksum));
      if (d.dialect === "sqlite") {
        assert.equal((await d.get<{ journal_mode: string }>("PRAGMA journal_mode"))?.journal_mode, "wal");
        assert.equal((await d.get<{ foreign_keys: number }>("PRAGMA foreign_keys"))?.foreign_keys, 1);
      }
      // Foreign keys are enforced (SQLite: the pragma above; PostgreSQL: always).
      await assert.rejects(
        d.run("INSERT INTO appointments (company_id, external_id, client_name, client_phone, start_time, end_time) VALUES ('nope', 'x', 'x', 'x', 'x', 'x')"),
        /FOREIGN KEY|foreign key/,
      );
    });
  });

  test("--json: {database, applied: [names]}, then applied: []", async () => {
    const db = tempDb();
    const first = await runCli(["migrate", "--json", "--db", db]);
    assert.equal(first.code, 0, first.stderr);
    // The location as printed: the file path, or the URL without its password.
    assert.deepEqual(JSON.parse(first.stdout), { database: displayLocation(db), applied: KNOWN.map((m) => m.name) });
    const password = ON_POSTGRES ? new URL(db).password : "";
    if (password) assert.ok(!first.stdout.includes(password), "no password in the output");
    const second = await runCli(["migrate", "--json", "--db", db]);
    assert.deepEqual(JSON.parse(second.stdout), { database: displayLocation(db), applied: [] });
  });

  test("the v2.4 schema is complete: release-note columns, engine columns, due-scan index; 003's tables", async () => {
    const db = await migratedDb(tempDb());
    try {
      const cols = await columns(db, "appointments");
      for (const c of [
        "id", "company_id", "external_id", "client_name", "client_phone", "start_time", "end_time", "status",
        "allow_followup", "followup_sent_at", "followup_response", "followup_next_scheduled",
        "followup_status", "followup_attempts", "followup_last_error", "lease_owner", "lease_expires_at",
      ]) assert.ok(cols.includes(c), `appointments.${c}`);
      const companyCols = await columns(db, "companies");
      for (const c of ["quiet_hours", "followup_delay_minutes", "rate_limit", "timezone", "whaticket_url", "whaticket_token", "whatsapp_id", "business_hours"]) {
        assert.ok(companyCols.includes(c), `companies.${c}`);
      }
      for (const t of ["audit_log", "feedback_events", "inbound_messages", "daemons", "send_budget", "followup_counters"]) {
        assert.ok((await columns(db, t)).length > 0, t);
      }
      assert.ok((await indexes(db)).includes("appointments_followup_due"));
    } finally {
      await db.close();
    }
  });

  test("the due scan is an index seek, not a table scan", { skip: SQLITE_ONLY }, async () => {
    const db = await migratedDb(tempDb());
    try {
      const plan = await db.all<{ detail: string }>(
        "EXPLAIN QUERY PLAN SELECT id FROM appointments WHERE followup_status = 'scheduled' AND followup_next_scheduled <= ? ORDER BY followup_next_scheduled LIMIT 10",
        ["2026-01-01T00:00:00.000Z"],
      );
      assert.match(plan.map((p) => p.detail).join(" | "), /USING INDEX appointments_followup/);
    } finally {
      await db.close();
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
      assert.equal(s.checksum, KNOWN[i]?.checksum, "the checksum of this engine's file");
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
    await withDb(db, async (d) => assert.equal((await recorded(d)).length, 1));
  });

  test("--status on a missing database does not create it", async () => {
    if (ON_POSTGRES) {
      // A database is never created by secretaria on PostgreSQL: the error says to create it, then migrate.
      const { url, name } = missingPgDb();
      const r = await runCli(["migrate", "--status", "--db", url]);
      assertOneLineError(r, 1, /does not exist.*secretaria migrate/);
      assert.equal(await pgDatabaseExists(name), false);
      return;
    }
    const dir = tempDir();
    const r = await runCli(["migrate", "--status", "--db", join(dir, "none.db")]);
    assertOneLineError(r, 1, /secretaria migrate/);
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

    await withDb(db, async (d) => {
      assert.ok(!(await columns(d, "appointments")).includes("allow_followup"), "v2.3 shape has no allow_followup");
      assert.ok(!(await columns(d, "appointments")).includes("followup_status"));
      assert.ok(!(await columns(d, "companies")).includes("quiet_hours"));
      // Exactly the columns a v2.3 system knew.
      await d.run("INSERT INTO companies (id, name, timezone) VALUES (?, ?, ?)", ["clinica", "Clínica Sol", "America/Sao_Paulo"]);
      await d.run("INSERT INTO companies (id, name, timezone) VALUES (?, ?, ?)", ["estudio", "Estúdio Lua", "America/Manaus"]);
      const ins =
        "INSERT INTO appointments (id, company_id, external_id, client_name, client_phone, start_time, end_time, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
      for (let i = 1; i <= 50; i++) {
        await d.run(ins, [i, i % 2 ? "clinica" : "estudio", `V23-${i}`, `Cliente ${i}`, `55119999${String(i).padStart(5, "0")}`,
          "2026-11-20T13:00:00.000Z", "2026-11-20T14:00:00.000Z", i % 10 === 0 ? "cancelled" : "booked"]);
      }
      await d.run("INSERT INTO audit_log (action, appointment_id, company_id) VALUES ('appointment_created', 1, 'clinica')");
      await d.run("INSERT INTO feedback_events (appointment_id, text) VALUES (2, 'ótimo')");
    });

    const appointmentCols = "SELECT id, company_id, external_id, client_name, client_phone, start_time, end_time, status FROM appointments ORDER BY id";
    const before = await withDb(db, (d) => d.all(appointmentCols));

    const up = await runCli(["migrate", "--db", db]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /applied 002_/);
    assert.doesNotMatch(up.stdout, /applied 001_/);

    await withDb(db, async (d) => {
      assert.deepEqual(await d.all(appointmentCols), before);
      const follow = await d.all(
        "SELECT DISTINCT allow_followup, followup_status, followup_skip_reason, followup_next_scheduled, followup_sent_at, followup_response, followup_attempts FROM appointments",
      );
      assert.deepEqual(follow, [{
        allow_followup: 0, followup_status: "skipped", followup_skip_reason: "no_consent", followup_next_scheduled: null,
        followup_sent_at: null, followup_response: null, followup_attempts: 0,
      }]);
      const companies = await d.all("SELECT id, name, timezone, quiet_hours, followup_delay_minutes, business_hours FROM companies ORDER BY id");
      assert.deepEqual(companies, [
        { id: "clinica", name: "Clínica Sol", timezone: "America/Sao_Paulo", quiet_hours: "20:00-08:00", followup_delay_minutes: 60, business_hours: "mon-fri 09:00-18:00" },
        { id: "estudio", name: "Estúdio Lua", timezone: "America/Manaus", quiet_hours: "20:00-08:00", followup_delay_minutes: 60, business_hours: "mon-fri 09:00-18:00" },
      ]);
      assert.equal((await d.get<{ n: number }>("SELECT count(*) AS n FROM audit_log"))!.n, 1);
      assert.equal((await d.get<{ n: number }>("SELECT count(*) AS n FROM feedback_events"))!.n, 1);
      await assertMigrated(d);
    });

    // The upgraded rows are usable by the v2.4 commands.
    const list = await runCli(["appointments", "list", "--json", "--limit", "100", "--db", db]);
    assert.equal(list.code, 0, list.stderr);
    const rows = JSON.parse(list.stdout) as { external_id: string; allow_followup: boolean; followup_status: string }[];
    assert.equal(rows.length, 50);
    assert.ok(rows.every((r) => r.allow_followup === false && r.followup_status === "skipped"));
  });

  test("003 counts the audit trail's sends and answers from before the upgrade, then its trigger keeps counting", async () => {
    const db = tempDb();
    assert.equal((await runCli(["migrate", "--to", "2", "--db", db])).code, 0);
    const audit = "INSERT INTO audit_log (action, appointment_id, company_id, payload) VALUES (?, ?, ?, ?)";
    await withDb(db, async (d) => {
      await d.run(audit, ["followup_sent", 1, "clinica", "{}"]);
      await d.run(audit, ["followup_sent", 2, "clinica", '{"attempt":1}']);
      await d.run(audit, ["followup_sent", 3, "estudio", "{}"]);
      await d.run(audit, ["followup_response", 1, "clinica", '{"response":"positive","feedback":null}']);
      await d.run(audit, ["followup_response", 2, "clinica", '{"response":"feedback","feedback":"ok"}']);
      await d.run(audit, ["followup_failed", 4, "clinica", "{}"]);
    });
    const up = await runCli(["migrate", "--db", db]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /applied 003_/);
    const counters = (d: Q) => d.all("SELECT company_id, action, response, n FROM followup_counters ORDER BY company_id, action, response");
    await withDb(db, async (d) => {
      assert.deepEqual(await counters(d), [
        { company_id: "clinica", action: "followup_response", response: "feedback", n: 1 },
        { company_id: "clinica", action: "followup_response", response: "positive", n: 1 },
        { company_id: "clinica", action: "followup_sent", response: "", n: 2 },
        { company_id: "estudio", action: "followup_sent", response: "", n: 1 },
      ]);
      await d.run(audit, ["followup_sent", 5, "estudio", "{}"]);
      await d.run(audit, ["followup_response", 3, "estudio", '{"response":"negative","feedback":null}']);
      await d.run(audit, ["followup_response", 4, null, "{}"]);
      await d.run(audit, ["appointment_created", 6, "estudio", "{}"]);
      assert.deepEqual(await counters(d), [
        { company_id: "", action: "followup_response", response: "", n: 1 },
        { company_id: "clinica", action: "followup_response", response: "feedback", n: 1 },
        { company_id: "clinica", action: "followup_response", response: "positive", n: 1 },
        { company_id: "clinica", action: "followup_sent", response: "", n: 2 },
        { company_id: "estudio", action: "followup_response", response: "negative", n: 1 },
        { company_id: "estudio", action: "followup_sent", response: "", n: 2 },
      ]);
    });
  });
});

describe("refusals", () => {
  test("an applied migration whose checksum differs: exit 1, names the migration and the fix", async () => {
    const db = tempDb();
    assert.equal((await runCli(["migrate", "--db", db])).code, 0);
    await withDb(db, (d) => d.run("UPDATE schema_migrations SET checksum = ? WHERE version = 1", ["0".repeat(64)]));
    for (const args of [["migrate"], ["migrate", "--status"], ["companies", "list"]]) {
      const r = await runCli([...args, "--db", db]);
      assertOneLineError(r, 1, /001_initial_schema.*(changed|checksum)/);
      assert.match(r.stderr, new RegExp(`migrations/${TEST_ENGINE}/001_initial_schema\\.sql`), "the file of this engine");
    }
  });

  test("a migration unknown to this binary (version 99): exit 1, 'newer version'", async () => {
    const db = tempDb();
    assert.equal((await runCli(["migrate", "--db", db])).code, 0);
    await withDb(db, (d) => d.run("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (99, '099_from_the_future', 'x', '2030-01-01T00:00:00Z')"));
    for (const args of [["migrate"], ["migrate", "--status", "--json"], ["appointments", "list"]]) {
      const r = await runCli([...args, "--db", db]);
      assertOneLineError(r, 1, /099_from_the_future.*newer version/);
      assert.equal(r.stdout, "");
    }
    // Nothing was applied or removed.
    await withDb(db, async (d) => assert.deepEqual((await recorded(d)).map((r) => r.version), [...KNOWN.map((m) => m.version), 99]));
  });

  test("--to beyond the known migrations is a usage error; below the applied ones is refused", async () => {
    const db = tempDb();
    assertOneLineError(await runCli(["migrate", "--to", String(LATEST + 1), "--db", db]), 2, /--to/);
    assertOneLineError(await runCli(["migrate", "--to", "x", "--db", db]), 2, /--to/);
    assert.equal((await runCli(["migrate", "--db", db])).code, 0);
    assertOneLineError(await runCli(["migrate", "--to", "1", "--db", db]), 1, /not reversed/);
  });

  test("migrate into a folder that does not exist: exit 1 naming the folder", { skip: SQLITE_ONLY }, async () => {
    const dir = tempDir();
    assertOneLineError(await runCli(["migrate", "--db", join(dir, "no", "such", "x.db")]), 1, /folder .* does not exist/);
  });

  test("a non-SQLite file: one-line error, exit 1, the file untouched", { skip: SQLITE_ONLY }, async () => {
    const dir = tempDir();
    const file = join(dir, "notes.db");
    const content = "company_id,external_id\n" + "this is not a database\n".repeat(300);
    writeFileSync(file, content);
    for (const args of [["migrate"], ["migrate", "--status"], ["companies", "list"], ["companies", "add", "--id", "x", "--name", "X"], ["appointments", "list", "--json"]]) {
      const r = await runCli([...args, "--db", file]);
      assertOneLineError(r, 1, /not a SQLite database/);
    }
    assert.equal(readFileSync(file, "utf8"), content);
  });

  test("a database made by another tool (its own companies table): one-line error naming the migration, nothing left behind", async () => {
    const db = tempDb();
    const d = await openStore(db, { create: true });
    await d.exec("CREATE TABLE companies (cnpj TEXT PRIMARY KEY)");
    await d.close();
    const r = await runCli(["migrate", "--db", db]);
    // Each engine's own words for the clash.
    const clash = ON_POSTGRES ? /relation "companies" already exists/ : /table companies already exists/;
    assertOneLineError(r, 1, new RegExp(`migration 001_initial_schema failed .*rolled back: ${clash.source}.*another --db`));
    await withDb(db, async (x) => {
      assert.deepEqual(await recorded(x), []);
      assert.deepEqual(await columns(x, "companies"), ["cnpj"]);
      assert.equal((await columns(x, "appointments")).length, 0);
    });
  });

  test("a folder passed as --db: one-line error, exit 1", { skip: SQLITE_ONLY }, async () => {
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

  test("missing database: exit 1 with the migrate hint, and the database is not created", async () => {
    if (ON_POSTGRES) {
      const { url, name } = missingPgDb();
      for (const args of commands) {
        const r = await runCli([...args, "--db", url], { input });
        assertOneLineError(r, 1, /does not exist.*secretaria migrate/);
      }
      assert.equal(await pgDatabaseExists(name), false);
      return;
    }
    const dir = tempDir();
    const db = join(dir, "missing.db");
    for (const args of commands) {
      const r = await runCli([...args, "--db", db], { input });
      assertOneLineError(r, 1, /no database at .*secretaria migrate/);
    }
    assert.equal(existsSync(db), false);
  });

  test("an empty database, one with no migration applied, and a v2.3 (version 1) one: run `secretaria migrate`", async () => {
    // Empty: a zero-byte SQLite file, or a new PostgreSQL database with no tables.
    const empty = ON_POSTGRES ? tempDb() : join(tempDir(), "empty.db");
    if (!ON_POSTGRES) writeFileSync(empty, "");
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
  test("4 processes on one fresh database, 3 rounds: all succeed, each migration recorded and applied exactly once", async () => {
    for (let round = 0; round < 3; round++) {
      const db = tempDb();
      const results = await Promise.all([0, 1, 2, 3].map(() => runCli(["migrate", "--json", "--db", db])));
      for (const r of results) assert.equal(r.code, 0, `round ${round}: ${r.stderr}`);
      const applied = results.flatMap((r) => (JSON.parse(r.stdout) as { applied: string[] }).applied).sort();
      assert.deepEqual(applied, KNOWN.map((m) => m.name), `round ${round}: each migration applied by exactly one process`);
      await withDb(db, async (d) => {
        assert.deepEqual((await recorded(d)).map((r) => r.version), KNOWN.map((m) => m.version));
        assert.ok((await columns(d, "appointments")).includes("allow_followup"));
        assert.ok((await indexes(d)).includes("appointments_followup_due"));
        await assertMigrated(d);
      });
    }
  });
});

describe("migrator API", () => {
  function customMigrations(files: Record<string, string>): string {
    const dir = tempDir();
    for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
    return dir;
  }

  test("each migration runs in its own transaction: a failing one leaves no trace, the earlier ones stay", async () => {
    // Plain SQL both engines accept.
    const dir = customMigrations({
      "001_a.sql": "CREATE TABLE a (x INTEGER);",
      "002_b.sql": "CREATE TABLE b (x INTEGER);\nINSERT INTO nope VALUES (1);",
    });
    const known = loadMigrations(dir);
    const db = await openStore(tempDb(), { create: true });
    try {
      await assert.rejects(migrate(db, {}, known), /nope/);
      assert.deepEqual((await recorded(db)).map((r) => r.version), [1]);
      assert.ok((await columns(db, "a")).length === 1);
      assert.equal((await columns(db, "b")).length, 0, "table b rolled back");
      assert.deepEqual((await migrationStatus(db, known)).map((s) => s.status), ["applied", "pending"]);
    } finally {
      await db.close();
    }
  });

  test("files must be numbered without gaps; CRLF and LF give the same checksum", () => {
    assert.throws(() => loadMigrations(customMigrations({ "001_a.sql": "SELECT 1;", "003_c.sql": "SELECT 1;" })), /without gaps/);
    const lf = loadMigrations(customMigrations({ "001_a.sql": "SELECT 1;\nSELECT 2;\n" }));
    const crlf = loadMigrations(customMigrations({ "001_a.sql": "SELECT 1;\r\nSELECT 2;\r\n" }));
    assert.equal(lf[0]?.checksum, crlf[0]?.checksum);
  });

  test("the shipped migrations are 001 (pre-v2.4) then 002 (v2.4), on each engine", () => {
    for (const dialect of ["sqlite", "postgres"] as const) {
      const known = loadMigrations(dialect);
      assert.ok(known.length >= 2, dialect);
      assert.match(known[0]?.name ?? "", /^001_/, dialect);
      assert.doesNotMatch(known[0]?.sql ?? "", /allow_followup/, dialect);
      assert.match(known[1]?.sql ?? "", /allow_followup/, dialect);
    }
  });

  test("migrations/sqlite and migrations/postgres hold the same numbered file names", () => {
    const files = (dialect: "sqlite" | "postgres") => readdirSync(migrationsDir(dialect)).filter((f) => f.endsWith(".sql")).sort();
    const sqlite = files("sqlite");
    const postgres = files("postgres");
    assert.ok(sqlite.length >= 3);
    assert.deepEqual(postgres, sqlite);
    for (const f of sqlite) assert.match(f, /^\d{3}_[a-z0-9_]+\.sql$/, `${f}: a migration file name the loader reads`);
    const names = (dialect: "sqlite" | "postgres") => loadMigrations(dialect).map((m) => [m.version, m.name]);
    assert.deepEqual(names("postgres"), names("sqlite"));
    assert.equal(names("sqlite").length, sqlite.length, "every .sql file is a migration");
  });

  test("migrate --to 0 creates only the bookkeeping table", async () => {
    const db = await migratedDb(tempDb(), { to: 0 });
    try {
      assert.deepEqual(await recorded(db), []);
      await assert.rejects(assertMigrated(db), /not initialised.*secretaria migrate/);
      assert.equal((await columns(db, "companies")).length, 0);
    } finally {
      await db.close();
    }
  });
});
