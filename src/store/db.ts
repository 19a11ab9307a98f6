import Database from "better-sqlite3";
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UserError } from "../errors.js";

export type Db = Database.Database;

/** How long a writer waits for another process's lock before giving up. */
const BUSY_TIMEOUT_MS = 15_000;

/**
 * Opens the SQLite file with the pragmas every process needs: a busy timeout first
 * (so two processes switching a fresh file to WAL wait for each other), WAL so the
 * daemon and CLI commands read and write the same file at once, foreign keys on.
 */
export function openDb(path: string, opts: { create?: boolean; readonly?: boolean } = {}): Db {
  const file = resolve(path);
  if (!opts.create && !existsSync(file)) {
    throw new UserError(`no database at ${file}: run \`secretaria migrate --db ${path}\` to create it (or pass --db / set SECRETARIA_DB)`);
  }
  if (existsSync(file) && statSync(file).isDirectory()) {
    throw new UserError(`${file} is a folder, not a database file: pass a file path with --db (e.g. --db ${join(path, "secretaria.db")})`);
  }
  if (opts.create && !existsSync(dirname(file))) {
    throw new UserError(`cannot create the database ${file}: the folder ${dirname(file)} does not exist`);
  }
  let db: Db;
  try {
    db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: !opts.create });
  } catch (err) {
    throw new UserError(`cannot open the database ${file}: ${(err as Error).message}`);
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (!opts.readonly) db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
  } catch (err) {
    db.close();
    const code = (err as { code?: string }).code;
    if (code === "SQLITE_NOTADB") throw new UserError(`${file} is not a SQLite database: pass another --db path`);
    throw new UserError(`cannot open the database ${file}: ${(err as Error).message}`);
  }
  return db;
}

/** Runs fn in a transaction that takes the write lock at once (BEGIN IMMEDIATE), so reads inside it are not stale. */
export function immediate<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}
