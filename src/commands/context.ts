import { clockFromEnv, type Clock } from "../clock.js";
import { resolveDbPath } from "../config.js";
import { UsageError } from "../errors.js";
import { assertMigrated } from "../store/migrator.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/store.js";

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

/** Opens the database (a SQLite file or a PostgreSQL URL) for a command other than migrate: it must exist and be fully migrated. */
export async function openMigrated(ctx: CommandContext, opts: { readonly?: boolean } = {}): Promise<Store> {
  const store = await openStore(ctx.dbPath, { readonly: opts.readonly, poolSize: 2 });
  try {
    await assertMigrated(store);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
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
