import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../errors.js";
import { immediate, type Db } from "./db.js";

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

/** migrations/ sits beside src/ and dist/: two levels above this file in both layouts. */
export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "migrations");

let cache: Migration[] | null = null;

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  if (dir === MIGRATIONS_DIR && cache) return cache;
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
  if (dir === MIGRATIONS_DIR) cache = list;
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

function hasMigrationsTable(db: Db): boolean {
  return !!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
}

function appliedRows(db: Db): AppliedRow[] {
  if (!hasMigrationsTable(db)) return [];
  return db.prepare("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version").all() as AppliedRow[];
}

/** Refuses a database written by a newer binary, or whose applied migration files were edited since. */
function verify(applied: AppliedRow[], known: Migration[], dbPath: string): void {
  for (const row of applied) {
    const m = known.find((k) => k.version === row.version);
    if (!m) {
      throw new UserError(
        `the database ${dbPath} has migration ${row.name} that this secretaria does not know: it was written by a newer version; upgrade secretaria instead of using this one`,
      );
    }
    if (m.checksum !== row.checksum) {
      throw new UserError(
        `migration ${m.name} was changed after it was applied to ${dbPath} (checksum mismatch): restore migrations/${m.name}.sql as released and add a new migration for the change`,
      );
    }
  }
}

export function migrationStatus(db: Db, dbPath: string, known = loadMigrations()): MigrationStatus[] {
  const applied = appliedRows(db);
  verify(applied, known, dbPath);
  return known.map((m) => {
    const row = applied.find((a) => a.version === m.version);
    return { version: m.version, name: m.name, status: row ? "applied" : "pending", applied_at: row?.applied_at ?? null, checksum: m.checksum };
  });
}

/**
 * Applies pending migrations up to `to` (default: all), each in its own IMMEDIATE transaction
 * that re-checks, under the write lock, whether another process applied it first — so two
 * `migrate` runs on one file both succeed and every migration is applied exactly once.
 */
export function migrate(db: Db, dbPath: string, opts: { to?: number; now?: () => Date } = {}, known = loadMigrations()): Migration[] {
  const target = opts.to ?? known.length;
  if (!Number.isInteger(target) || target < 0 || target > known.length) {
    throw new UserError(`--to ${opts.to} is not a known migration: use a number from 0 to ${known.length}`);
  }
  const now = opts.now ?? (() => new Date());
  immediate(db, () => db.exec(CREATE_TABLE));
  const applied: Migration[] = [];
  const current = appliedRows(db);
  verify(current, known, dbPath);
  const highest = current.reduce((max, r) => Math.max(max, r.version), 0);
  if (highest > target) {
    throw new UserError(`the database ${dbPath} is already at migration ${highest}; migrations are not reversed (--to ${target} is below it)`);
  }
  for (const m of known) {
    if (m.version > target) break;
    let done: boolean;
    try {
      done = immediate(db, () => {
        const row = db.prepare("SELECT checksum FROM schema_migrations WHERE version = ?").get(m.version) as { checksum: string } | undefined;
        if (row) return false;
        db.exec(m.sql);
        db.prepare("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)").run(
          m.version, m.name, m.checksum, now().toISOString(),
        );
        return true;
      });
    } catch (err) {
      const msg = (err as Error).message;
      // E.g. a file whose tables were made by another tool ("table companies already exists").
      const hint = /already exists/.test(msg) ? ": the file has tables secretaria did not create; pass another --db" : "";
      throw new UserError(`migration ${m.name} failed on ${dbPath} and was rolled back: ${msg}${hint}`);
    }
    if (done) applied.push(m);
  }
  return applied;
}

/**
 * Every command but `migrate` needs the full schema: say what to run instead of failing on a missing column.
 */
export function assertMigrated(db: Db, dbPath: string, known = loadMigrations()): void {
  const applied = appliedRows(db);
  verify(applied, known, dbPath);
  if (applied.length < known.length) {
    const state = applied.length === 0 ? "is not initialised" : `is at migration ${applied.length} of ${known.length}`;
    throw new UserError(`the database ${dbPath} ${state}: run \`secretaria migrate --db ${dbPath}\` first`);
  }
}
