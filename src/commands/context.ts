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

/**
 * JSON on stdout. JSON.stringify escapes C0 controls but leaves DEL, C1 controls (U+009B is a CSI)
 * and bidi overrides raw; they are written as \u escapes too: the same JSON for a parser, inert on
 * a terminal (customer names and messages go through here).
 */
export function printJson(value: unknown): void {
  process.stdout.write(`${terminalSafeJson(JSON.stringify(value, null, 2))}\n`);
}

const RAW_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function terminalSafeJson(json: string): string {
  return json.replace(RAW_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
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
