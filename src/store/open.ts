import { openPgStore, isPostgresUrl, redactUrl } from "./postgres/pg-store.js";
import { openSqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./store.js";

export { isPostgresUrl, redactUrl };

export interface OpenOptions {
  /** SQLite: create the file when missing (migrate, demo). PostgreSQL: the database must exist. */
  create?: boolean;
  readonly?: boolean;
  /** PostgreSQL pool size. */
  poolSize?: number;
}

/** `--db` / SECRETARIA_DB: a file path opens SQLite, a postgres:// or postgresql:// URL opens PostgreSQL. */
export async function openStore(location: string, opts: OpenOptions = {}): Promise<Store> {
  if (isPostgresUrl(location)) return openPgStore(location, { max: opts.poolSize });
  return openSqliteStore(location, { create: opts.create, readonly: opts.readonly });
}

/** What to print for --db: the path, or the URL without its password. */
export function displayLocation(location: string): string {
  return isPostgresUrl(location) ? redactUrl(location) : location;
}
