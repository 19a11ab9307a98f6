import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../errors.js";
import { bySql, type Dialect, type Q, type Store } from "./store.js";

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationStatus {
  version: number;
  name: string;
  status: "applied" | "pending";
  applied_at: string | null;
  checksum: string;
}

/**
 * migrations/ sits beside src/ and dist/: two levels above this file in both layouts. One folder
 * per dialect, same numbers and names (a test holds them to it); a database records the checksum
 * of its own dialect's file.
 */
export const MIGRATIONS_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "migrations");
export const migrationsDir = (dialect: Dialect): string => join(MIGRATIONS_ROOT, dialect);

const cache = new Map<string, Migration[]>();

export function loadMigrations(dirOrDialect: string = "sqlite"): Migration[] {
  const dir = dirOrDialect === "sqlite" || dirOrDialect === "postgres" ? migrationsDir(dirOrDialect) : dirOrDialect;
  const hit = cache.get(dir);
  if (hit) return hit;
  const files = readdirSync(dir).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
  const list = files.map((file) => {
    const sql = readFileSync(join(dir, file), "utf8");
    return {
      version: Number(file.slice(0, 3)),
      name: file.replace(/\.sql$/, ""),
      sql,
      checksum: createHash("sha256").update(sql.replace(/\r\n/g, "\n")).digest("hex"),
    };
  });
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migrations must be numbered 001, 002, … without gaps; found ${m.name}`);
  });
  cache.set(dir, list);
  return list;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
  applied_at: string;
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  checksum   TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

/** PostgreSQL: one advisory lock key for every `migrate` on the database, whichever host runs it. */
const MIGRATE_LOCK = "SELECT pg_advisory_xact_lock(73570001)";

async function hasMigrationsTable(q: Q): Promise<boolean> {
  const row = await q.get<{ ok: unknown }>(
    bySql(q, {
      sqlite: "SELECT 1 AS ok FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
      postgres: "SELECT to_regclass('schema_migrations') IS NOT NULL AS ok",
    }),
  );
  return !!row?.ok;
}

async function appliedRows(q: Q): Promise<AppliedRow[]> {
  if (!(await hasMigrationsTable(q))) return [];
  return q.all<AppliedRow>("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version");
}

/** Refuses a database written by a newer binary, or whose applied migration files were edited since. */
function verify(applied: AppliedRow[], known: Migration[], where: string, dialect: Dialect): void {
  for (const row of applied) {
    const m = known.find((k) => k.version === row.version);
    if (!m) {
      throw new UserError(
        `the database ${where} has migration ${row.name} that this secretaria does not know: it was written by a newer version; upgrade secretaria instead of using this one`,
      );
    }
    if (m.checksum !== row.checksum) {
      throw new UserError(
        `migration ${m.name} was changed after it was applied to ${where} (checksum mismatch): restore migrations/${dialect}/${m.name}.sql as released and add a new migration for the change`,
      );
    }
  }
}

export async function migrationStatus(store: Store, known = loadMigrations(store.dialect)): Promise<MigrationStatus[]> {
  const applied = await appliedRows(store);
  verify(applied, known, store.location, store.dialect);
  return known.map((m) => {
    const row = applied.find((a) => a.version === m.version);
    return { version: m.version, name: m.name, status: row ? "applied" : "pending", applied_at: row?.applied_at ?? null, checksum: m.checksum };
  });
}

/**
 * Applies pending migrations up to `to` (default: all), each in its own transaction that
 * re-checks, under the write lock (SQLite) or the migrate advisory lock (PostgreSQL), whether
 * another process applied it first — so `migrate` run from several processes or hosts at once
 * applies every migration exactly once.
 */
export async function migrate(store: Store, opts: { to?: number; now?: () => Date } = {}, known = loadMigrations(store.dialect)): Promise<Migration[]> {
  const target = opts.to ?? known.length;
  if (!Number.isInteger(target) || target < 0 || target > known.length) {
    throw new UserError(`--to ${opts.to} is not a known migration: use a number from 0 to ${known.length}`);
  }
  const now = opts.now ?? (() => new Date());
  const lock = async (t: Q) => {
    if (t.dialect === "postgres") await t.get(MIGRATE_LOCK);
  };
  await store.tx(async (t) => {
    await lock(t);
    await t.exec(CREATE_TABLE);
  });
  const current = await appliedRows(store);
  verify(current, known, store.location, store.dialect);
  const highest = current.reduce((max, r) => Math.max(max, r.version), 0);
  if (highest > target) {
    throw new UserError(`the database ${store.location} is already at migration ${highest}; migrations are not reversed (--to ${target} is below it)`);
  }
  const applied: Migration[] = [];
  for (const m of known) {
    if (m.version > target) break;
    let done: boolean;
    try {
      done = await store.tx(async (t) => {
        await lock(t);
        const row = await t.get("SELECT checksum FROM schema_migrations WHERE version = ?", [m.version]);
        if (row) return false;
        await t.exec(m.sql);
        await t.run("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)", [
          m.version, m.name, m.checksum, now().toISOString(),
        ]);
        return true;
      });
    } catch (err) {
      if (err instanceof UserError) throw err;
      const msg = (err as Error).message;
      // E.g. a database whose tables were made by another tool ("table companies already exists").
      const hint = /already exists/.test(msg) ? ": the database has tables secretaria did not create; pass another --db" : "";
      throw new UserError(`migration ${m.name} failed on ${store.location} and was rolled back: ${msg}${hint}`);
    }
    if (done) applied.push(m);
  }
  return applied;
}

/**
 * Every command but `migrate` needs the full schema: say what to run instead of failing on a missing column.
 */
export async function assertMigrated(store: Store, known = loadMigrations(store.dialect)): Promise<void> {
  const applied = await appliedRows(store);
  verify(applied, known, store.location, store.dialect);
  if (applied.length < known.length) {
    const state = applied.length === 0 ? "is not initialised" : `is at migration ${applied.length} of ${known.length}`;
    throw new UserError(`the database ${store.location} ${state}: run \`secretaria migrate --db ${store.location}\` first`);
  }
}
