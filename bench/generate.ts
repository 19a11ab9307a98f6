/**
 * Synthetic data at scale, for benchmarks and the views' query plans:
 *
 *   node --import tsx bench/generate.ts --db /tmp/big.db --appointments 1000000 [--companies 5] [--days 90] [--seed 1]
 *        [--now 2026-11-25T15:00:00Z] [--force]
 *   node --import tsx bench/generate.ts --db postgres://user:pw@127.0.0.1:5432/bench --appointments 1000000 …
 *
 * Migrates the database with the real migrator, then writes companies and appointments spread over
 * the last `days` days (plus two days ahead), in the order a real agenda grows (ids follow time),
 * with a realistic mix of follow-up states, and the audit rows the release notes ask for
 * (followup_sent {}, followup_response {response, feedback}) plus feedback events. Deterministic for
 * a seed and `now`: both engines get the same rows.
 *
 * SQLite: a new file (--force replaces one), one prepared insert per row in transactions of 50,000.
 * PostgreSQL: an existing database (createdb first) without secretaria's tables (--force drops
 * them), loaded in bulk: one INSERT … SELECT FROM unnest(column arrays) per table and batch, then
 * VACUUM ANALYZE, as autovacuum would leave a database that size.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { migrate, migrationsDir } from "../src/store/migrator.js";
import { displayLocation, isPostgresUrl, openStore } from "../src/store/open.js";
import type { Dialect, Q, Store } from "../src/store/store.js";
import { seededRandom as rng } from "../src/domain/random.js";

export interface GenerateOptions {
  /** A SQLite file path, or the postgres:// URL of an existing database. */
  db: string;
  appointments: number;
  companies?: number;
  days?: number;
  seed?: number;
  now?: Date;
  /** Replace an existing file, or drop secretaria's tables in the PostgreSQL database (default: refuse). */
  force?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface GenerateSummary {
  /** The file, or the URL without its password. */
  db: string;
  engine: Dialect;
  appointments: number;
  companies: number;
  days: number;
  now: string;
  byStatus: Record<string, number>;
  auditRows: number;
  feedbackEvents: number;
  ms: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Companies cycle through these; the UTC offset only places appointments in business hours. */
const COMPANY_TEMPLATES = [
  { id: "clinica-sol", name: "Clínica Sol", timezone: "America/Sao_Paulo", offsetHours: -3 },
  { id: "advocacia-lima", name: "Advocacia Lima", timezone: "America/Manaus", offsetHours: -4 },
  { id: "estudio-lua", name: "Estúdio Lua", timezone: "America/Recife", offsetHours: -3 },
  { id: "odonto-porto", name: "Odonto Porto", timezone: "Europe/Lisbon", offsetHours: 0 },
  { id: "psico-acre", name: "Psicologia Acre", timezone: "America/Rio_Branco", offsetHours: -5 },
];

const FIRST = ["Ana", "Bruno", "Carla", "Diego", "Eduarda", "Felipe", "Gabriela", "Henrique", "Isabela", "João", "Karina", "Lucas",
  "Mariana", "Nicolas", "Olívia", "Pedro", "Quésia", "Rafael", "Sofia", "Thiago", "Úrsula", "Vitor", "Yasmin", "Zeca"];
const LAST = ["Souza", "Silva", "Oliveira", "Santos", "Pereira", "Lima", "Carvalho", "Ferreira", "Rodrigues", "Almeida", "Costa",
  "Gomes", "Martins", "Araújo", "Barbosa", "Ribeiro", "Alves", "Monteiro", "Cardoso", "Teixeira"];
const DDD = [11, 21, 31, 41, 51, 61, 71, 81, 85, 92, 27, 48];
const FEEDBACK = ["O atendimento foi excelente, só preciso de mais materiais.", "Gostei muito, obrigado!",
  "A recepção demorou um pouco.", "Poderiam mandar o resumo por e-mail?", "Tudo ótimo."];
const ERRORS = ["ERR_WAPP_INVALID_CONTACT", "timeout of 10000ms exceeded", "Request failed with status code 502", "ERR_CHECK_NUMBER"];


const iso = (ms: number) => new Date(ms).toISOString();

const APPOINTMENT_COLUMNS = [
  "id", "company_id", "external_id", "client_name", "client_phone", "start_time", "end_time", "status", "allow_followup",
  "followup_status", "followup_skip_reason", "followup_due_at", "followup_next_scheduled", "followup_sent_at", "followup_response",
  "followup_responded_at", "followup_attempts", "followup_last_error", "created_at", "updated_at",
] as const;
/** PostgreSQL types of APPOINTMENT_COLUMNS, for the unnest() of the bulk load. */
const APPOINTMENT_PG_TYPES = ["bigint", "text", "text", "text", "text", "text", "text", "text", "integer",
  "text", "text", "text", "text", "text", "text", "text", "integer", "text", "text", "text"] as const;
const AUDIT_COLUMNS = ["action", "appointment_id", "company_id", "payload", "created_at"] as const;
const AUDIT_PG_TYPES = ["text", "bigint", "text", "text", "text"] as const;
const FEEDBACK_COLUMNS = ["appointment_id", "text", "created_at"] as const;
const FEEDBACK_PG_TYPES = ["bigint", "text", "text"] as const;

const INSERT_APPOINTMENT = `INSERT INTO appointments (${APPOINTMENT_COLUMNS.join(", ")}) VALUES (${APPOINTMENT_COLUMNS.map(() => "?").join(", ")})`;
const INSERT_AUDIT = "INSERT INTO audit_log (action, appointment_id, company_id, payload, created_at) VALUES (?, ?, ?, ?, ?)";
const INSERT_FEEDBACK = "INSERT INTO feedback_events (appointment_id, feedback_type, text, created_at) VALUES (?, 'followup_text', ?, ?)";
const INSERT_COMPANY = `INSERT INTO companies (id, name, timezone, whaticket_url, business_hours, quiet_hours, followup_delay_minutes, rate_limit, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'mon-fri 09:00-18:00', '20:00-08:00', 60, 1, ?, ?)`;

/** INSERT … SELECT FROM unnest(one array per column): a whole batch in one statement; `constants` fill the other columns. */
function bulkInsert(table: string, columns: readonly string[], types: readonly string[], constants: Record<string, string> = {}): string {
  const fixed = Object.entries(constants);
  return `INSERT INTO ${table} (${[...columns, ...fixed.map(([c]) => c)].join(", ")})
    SELECT u.*${fixed.map(([, v]) => `, ${v}`).join("")} FROM unnest(${types.map((t) => `?::${t}[]`).join(", ")}) AS u`;
}

/** Where the generated rows go, one batch (one transaction) at a time. */
interface Writer {
  appointment(values: unknown[]): Promise<unknown>;
  audit(values: unknown[]): Promise<unknown>;
  feedback(values: unknown[]): Promise<unknown>;
}

interface Sink {
  start(): Promise<void>;
  batch(fill: (w: Writer) => Promise<void>): Promise<void>;
  finish(): Promise<void>;
}

/** SQLite: each row through its prepared statement, in the batch's transaction (the order of the old generator). */
function sqliteSink(store: Store): Sink {
  return {
    // Bulk load: durability does not matter for a file we can regenerate.
    start: () => store.exec("PRAGMA synchronous = OFF; PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;"),
    batch: (fill) =>
      store.tx((t) =>
        fill({
          appointment: (v) => t.run(INSERT_APPOINTMENT, v),
          audit: (v) => t.run(INSERT_AUDIT, v),
          feedback: (v) => t.run(INSERT_FEEDBACK, v),
        }),
      ),
    finish: () => store.exec("PRAGMA wal_checkpoint(TRUNCATE)"),
  };
}

/** PostgreSQL: the batch gathered in column arrays, then one INSERT … SELECT FROM unnest(…) per table. */
function pgSink(store: Store): Sink {
  /** The loaded tables' indexes (other than their keys), dropped during the load and built again after it from their own definitions. */
  let indexes: { name: string; def: string }[] = [];
  let pending: Promise<void> = Promise.resolve();
  const columns = (n: number) => Array.from({ length: n }, () => [] as unknown[]);
  const push = (cols: unknown[][], v: unknown[]) => {
    v.forEach((x, i) => cols[i]!.push(x));
    return Promise.resolve();
  };
  return {
    // The server writes one batch while the next one is generated: at most one batch in flight.
    async batch(fill) {
      const a = columns(APPOINTMENT_COLUMNS.length);
      const l = columns(AUDIT_COLUMNS.length);
      const f = columns(FEEDBACK_COLUMNS.length);
      await fill({ appointment: (v) => push(a, v), audit: (v) => push(l, v), feedback: (v) => push(f, v) });
      await pending;
      pending = store.tx(async (t) => {
        await t.run(bulkInsert("appointments", APPOINTMENT_COLUMNS, APPOINTMENT_PG_TYPES), a);
        if (l[0]!.length) await t.run(bulkInsert("audit_log", AUDIT_COLUMNS, AUDIT_PG_TYPES), l);
        if (f[0]!.length) await t.run(bulkInsert("feedback_events", FEEDBACK_COLUMNS, FEEDBACK_PG_TYPES, { feedback_type: "'followup_text'" }), f);
      });
      // Rejections are taken by the next batch or by finish(); never left unhandled meanwhile.
      pending.catch(() => {});
    },
    async start() {
      // The counters' trigger upserts one row per company for every audit row: thousands of versions
      // of the same row in one transaction is quadratic on PostgreSQL. Off during the load, the
      // counters are then counted once, as migration 003 does for an existing audit log.
      await store.exec("ALTER TABLE audit_log DISABLE TRIGGER audit_log_followup_counters");
      // A bulk load builds secondary indexes once at the end (a sort each) instead of a million random inserts into each.
      indexes = await store.all<{ name: string; def: string }>(
        `SELECT indexname AS name, indexdef AS def FROM pg_indexes
          WHERE schemaname = current_schema() AND tablename IN ('appointments', 'audit_log', 'feedback_events')
            AND indexname NOT IN (SELECT conname FROM pg_constraint) ORDER BY indexname`,
      );
      for (const ix of indexes) await store.exec(`DROP INDEX ${ix.name}`);
    },
    async finish() {
      await pending;
      await store.tx(async (t) => {
        await t.run("DELETE FROM followup_counters");
        await t.run(`INSERT INTO followup_counters (company_id, action, response, n)
          SELECT COALESCE(company_id, ''), action,
                 CASE WHEN action = 'followup_response' THEN COALESCE(payload::jsonb ->> 'response', '') ELSE '' END, count(*)
            FROM audit_log WHERE action IN ('followup_sent', 'followup_response') GROUP BY 1, 2, 3`);
      });
      await store.exec("ALTER TABLE audit_log ENABLE TRIGGER audit_log_followup_counters");
      await store.exec("SET maintenance_work_mem = '256MB'");
      for (const ix of indexes) await store.exec(ix.def);
      // The ids were given explicitly: the identity must continue after them (later inserts, the burst's rows).
      await store.get("SELECT setval(pg_get_serial_sequence('appointments', 'id'), (SELECT max(id) FROM appointments))");
      await store.exec("VACUUM ANALYZE");
    },
  };
}

/** secretaria's tables and functions on PostgreSQL, from its migrations (for --force). */
function pgObjects(): { tables: string[]; functions: string[] } {
  const dir = migrationsDir("postgres");
  const sql = readdirSync(dir).filter((f) => f.endsWith(".sql")).map((f) => readFileSync(join(dir, f), "utf8")).join("\n");
  const names = (re: RegExp) => [...sql.matchAll(re)].map((m) => m[1]!.toLowerCase());
  return { tables: ["schema_migrations", ...names(/CREATE TABLE (?:IF NOT EXISTS )?([a-z_][a-z0-9_]*)/gi)], functions: names(/CREATE (?:OR REPLACE )?FUNCTION ([a-z_][a-z0-9_]*)/gi) };
}

async function preparePg(store: Store, force: boolean): Promise<void> {
  const { tables, functions } = pgObjects();
  const present = await store.all<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename = ANY(?::text[])", [tables]);
  if (!present.length) return;
  if (!force) throw new Error(`${store.location} already holds secretaria's tables (${present.map((r) => r.name).join(", ")}): pass --force to drop them`);
  await store.exec(`DROP TABLE IF EXISTS ${tables.join(", ")} CASCADE`);
  for (const f of functions) await store.exec(`DROP FUNCTION IF EXISTS ${f}() CASCADE`);
}

async function openTarget(opts: GenerateOptions): Promise<Store> {
  if (isPostgresUrl(opts.db)) {
    const store = await openStore(opts.db, { poolSize: 2 });
    try {
      await preparePg(store, !!opts.force);
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }
  const file = resolve(opts.db);
  if (existsSync(file)) {
    if (!opts.force) throw new Error(`${file} exists: pass --force to replace it`);
    for (const suffix of ["", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
  }
  return openStore(file, { create: true });
}

export async function generate(opts: GenerateOptions): Promise<GenerateSummary> {
  const t0 = performance.now();
  const total = opts.appointments;
  const companyCount = Math.max(1, opts.companies ?? 5);
  const days = Math.max(1, opts.days ?? 90);
  const now = opts.now ?? new Date();
  const random = rng(opts.seed ?? 1);

  const store = await openTarget(opts);
  try {
    await migrate(store, { now: () => now });
    const sink = store.dialect === "sqlite" ? sqliteSink(store) : pgSink(store);
    await sink.start();

    const companies = Array.from({ length: companyCount }, (_, i) => {
      const t = COMPANY_TEMPLATES[i % COMPANY_TEMPLATES.length]!;
      const round = Math.floor(i / COMPANY_TEMPLATES.length);
      return round ? { ...t, id: `${t.id}-${round + 1}`, name: `${t.name} ${round + 1}` } : t;
    });
    const created = iso(now.getTime() - (days + 30) * DAY);
    await store.tx(async (t: Q) => {
      for (const c of companies) await t.run(INSERT_COMPANY, [c.id, c.name, c.timezone, "http://127.0.0.1:9/whaticket", created, created]);
    });

    const byStatus: Record<string, number> = {};
    let auditRows = 0;
    let feedbackEvents = 0;
    // Appointments from `days` ago to two days ahead, in time order (ids grow with time, as in a real agenda).
    const firstDay = Math.floor((now.getTime() - days * DAY) / DAY) * DAY;
    const spanDays = days + 2;
    const clientsPerCompany = Math.max(10, Math.floor(total / companyCount / 4));

    const writeOne = async (w: Writer, i: number) => {
      const company = companies[Math.floor(random() * companies.length)]!;
      const day = firstDay + Math.floor((i / total) * spanDays) * DAY;
      // 08:00–18:45 local, quarter hours; then back to UTC with the company's (approximate) offset.
      const localMinute = 8 * 60 + Math.floor(random() * 44) * 15;
      const start = day + localMinute * MINUTE - company.offsetHours * HOUR;
      const end = start + [30, 45, 60, 60, 90][Math.floor(random() * 5)]! * MINUTE;
      const client = Math.floor(random() * clientsPerCompany);
      const name = `${FIRST[client % FIRST.length]} ${LAST[Math.floor(client / FIRST.length) % LAST.length]}`;
      const phone = `55${DDD[client % DDD.length]}9${String(10_000_000 + ((client * 7919 + company.id.length * 104_729) % 89_999_999)).slice(-8)}`;

      let status = "booked";
      let allow = 1;
      let fstatus = "scheduled";
      let skip: string | null = null;
      const due = end + HOUR;
      let dueAt: string | null = iso(due);
      let next: string | null = null;
      let sentAt: number | null = null;
      let response: string | null = null;
      let respondedAt: number | null = null;
      let attempts = 0;
      let lastError: string | null = null;

      const r = random();
      if (r < 0.08) {
        allow = 0;
        fstatus = "skipped";
        skip = "no_consent";
        dueAt = null;
      } else if (r < 0.1) {
        status = "cancelled";
        fstatus = "skipped";
        skip = "cancelled";
        dueAt = null;
      } else if (due > now.getTime()) {
        fstatus = "scheduled";
        next = iso(due);
      } else {
        const r2 = random();
        if (r2 < 0.01) {
          fstatus = "skipped";
          skip = "expired";
        } else if (r2 < 0.03) {
          fstatus = "failed";
          lastError = ERRORS[Math.floor(random() * ERRORS.length)]!;
          attempts = lastError.startsWith("ERR_") ? 1 : 5;
        } else {
          sentAt = due + Math.floor(random() * 90_000);
          attempts = random() < 0.03 ? 2 : 1;
          fstatus = "sent";
          if (random() < 0.85) {
            // Most answer within minutes, some hours later, a few the next day.
            const delay = Math.floor(Math.exp(random() * Math.log(36 * 60)) * MINUTE);
            if (sentAt + delay <= now.getTime()) {
              respondedAt = sentAt + delay;
              const r3 = random();
              response = r3 < 0.55 ? "positive" : r3 < 0.8 ? "negative" : "feedback";
              fstatus = response;
            }
          }
        }
      }
      byStatus[fstatus] = (byStatus[fstatus] ?? 0) + 1;
      const id = i + 1;
      await w.appointment([
        id, company.id, `G-${id}`, name, phone, iso(start), iso(end), status, allow, fstatus, skip, dueAt, next,
        sentAt === null ? null : iso(sentAt), response, respondedAt === null ? null : iso(respondedAt), attempts, lastError,
        iso(Math.min(start - DAY, now.getTime())), iso(respondedAt ?? sentAt ?? Math.min(start - DAY, now.getTime())),
      ]);
      if (sentAt !== null) {
        await w.audit(["followup_sent", id, company.id, "{}", iso(sentAt)]);
        auditRows++;
      }
      if (respondedAt !== null && response) {
        const feedback = response === "feedback" ? FEEDBACK[Math.floor(random() * FEEDBACK.length)]! : null;
        await w.audit(["followup_response", id, company.id, JSON.stringify({ response, feedback }), iso(respondedAt)]);
        auditRows++;
        if (feedback) {
          await w.feedback([id, feedback, iso(respondedAt)]);
          feedbackEvents++;
        }
      }
    };

    const BATCH = 50_000;
    for (let from = 0; from < total; from += BATCH) {
      const to = Math.min(total, from + BATCH);
      await sink.batch(async (w) => {
        for (let i = from; i < to; i++) await writeOne(w, i);
      });
      opts.onProgress?.(to, total);
    }
    await sink.finish();
    return {
      db: displayLocation(store.dialect === "sqlite" ? store.location : opts.db), engine: store.dialect, appointments: total,
      companies: companies.length, days, now: iso(now.getTime()), byStatus, auditRows, feedbackEvents, ms: Math.round(performance.now() - t0),
    };
  } finally {
    await store.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      db: { type: "string" },
      appointments: { type: "string", default: "100000" },
      companies: { type: "string", default: "5" },
      days: { type: "string", default: "90" },
      seed: { type: "string", default: "1" },
      now: { type: "string" },
      force: { type: "boolean", default: false },
    },
  });
  if (!values.db) throw new Error("pass --db PATH (the SQLite file to create) or --db postgres://… (an existing database)");
  const whole = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min} (got "${v}")`);
    return n;
  };
  const now = values.now ? new Date(values.now) : new Date();
  if (Number.isNaN(now.getTime())) throw new Error(`--now must be an ISO-8601 instant (got "${values.now}")`);
  const progress = process.stderr.isTTY
    ? (done: number, all: number) => process.stderr.write(`\rgenerating ${done}/${all}`)
    : undefined;
  const summary = await generate({
    db: values.db, appointments: whole("appointments", values.appointments, 1), companies: whole("companies", values.companies, 1),
    days: whole("days", values.days, 1), seed: whole("seed", values.seed, 0), now, force: values.force, onProgress: progress,
  });
  if (progress) process.stderr.write("\n");
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`generate: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
}
