import { clockFromEnv, type Clock } from "../clock.js";
import { resolveDbPath } from "../config.js";
import { UsageError } from "../errors.js";
import { openDb, type Db } from "../store/db.js";
import { assertMigrated } from "../store/migrator.js";

/** What every command gets from the global flags and the environment. */
export interface GlobalOptions {
  db?: string;
}

export interface CommandContext {
  dbPath: string;
  clock: Clock;
}

export function commandContext(g: GlobalOptions): CommandContext {
  return { dbPath: resolveDbPath(g.db), clock: clockFromEnv() };
}

/** Opens the database for a command other than migrate: it must exist and be fully migrated. */
export function openMigrated(ctx: CommandContext, opts: { readonly?: boolean } = {}): Db {
  const db = openDb(ctx.dbPath, { readonly: opts.readonly });
  try {
    assertMigrated(db, ctx.dbPath);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function print(line = ""): void {
  process.stdout.write(`${line}\n`);
}

/** Parses a whole-number flag, or throws a UsageError naming it. */
export function intOption(name: string, value: string | undefined, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new UsageError(`${name} must be a whole number from ${min} to ${max === Number.MAX_SAFE_INTEGER ? "up" : max} (got "${value}")`);
  }
  return n;
}
