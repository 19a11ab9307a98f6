import Database from "better-sqlite3";
import { AsyncLocalStorage } from "node:async_hooks";
import { closeSync, existsSync, openSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UserError } from "../../errors.js";
import type { Params, Q, Store, TxOptions } from "../store.js";

/**
 * The SQLite engine: one better-sqlite3 connection per process, WAL, foreign keys on.
 *
 * better-sqlite3 is synchronous, so a statement that waits for another process's write lock
 * would freeze the event loop (webhook, /healthz, metrics). The connection's busy timeout is
 * therefore 0: a busy answer comes back at once and is retried here after an async sleep, up to
 * the lock timeout. Transactions are async (`tx(async (t) => …)`): one at a time per connection,
 * behind a gate; statements outside a transaction wait for the open one to end, then run.
 */

/** How long a statement or transaction waits for another process's lock. SECRETARIA_LOCK_TIMEOUT_MS overrides. */
const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

export interface SqliteOpenOptions {
  create?: boolean;
  readonly?: boolean;
  lockTimeoutMs?: number;
}

/** One transaction at a time per connection; the holder is handed over in order. */
class Gate {
  private held = false;
  private waiters: Array<() => void> = [];
  get busy(): boolean {
    return this.held;
  }
  acquire(): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.held = false;
  }
}

const CHECK_TX = process.env.SECRETARIA_CHECK_TX === "1" || process.env.NODE_TEST_CONTEXT !== undefined;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code === "SQLITE_LOCKED");
}

/** The environment's problems as one line a person can act on; anything else is returned unchanged (a bug). */
export function sqliteUserError(err: unknown, file: string): unknown {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== "string" || !code.startsWith("SQLITE_")) return err;
  if (code.startsWith("SQLITE_FULL")) return new UserError(`the disk holding ${file} is full: free some space and run the command again (nothing was written)`);
  if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") {
    return new UserError(`${file} is damaged or not a SQLite database: restore it from a backup (sqlite3 ${file} ".recover" may save what is left)`);
  }
  if (code.startsWith("SQLITE_READONLY")) return new UserError(`cannot write to ${file}: check that this user may write the file and its folder`);
  if (code.startsWith("SQLITE_IOERR")) return new UserError(`input/output error on ${file} (${code}): check the disk and the file system`);
  if (code.startsWith("SQLITE_CANTOPEN")) return new UserError(`cannot open ${file}: check that the file and its folder exist and are readable`);
  return err;
}

function lockTimeoutError(file: string, ms: number): UserError {
  return new UserError(
    `the database ${file} stayed locked by another process for ${Math.round(ms / 1000)} s: wait for the other secretaria command (an import?) to finish and try again, or raise SECRETARIA_LOCK_TIMEOUT_MS`,
  );
}

export function openSqliteStore(path: string, opts: SqliteOpenOptions = {}): Store {
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
  // The file holds Whaticket tokens and customers' phones: created 0600, and SQLite gives its
  // -wal and -shm files the same mode.
  if (opts.create && !existsSync(file)) {
    try {
      closeSync(openSync(file, "a", 0o600));
    } catch (err) {
      throw new UserError(`cannot create the database ${file}: ${(err as Error).message}`);
    }
  }
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: true });
  } catch (err) {
    throw new UserError(`cannot open the database ${file}: ${(err as Error).message}`);
  }
  const envTimeout = Number(process.env.SECRETARIA_LOCK_TIMEOUT_MS);
  const lockTimeoutMs = opts.lockTimeoutMs ?? (Number.isFinite(envTimeout) && envTimeout > 0 ? envTimeout : DEFAULT_LOCK_TIMEOUT_MS);
  try {
    db.pragma("busy_timeout = 0");
    if (!opts.readonly) {
      // Two processes switching a fresh file to WAL at once: one may see SQLITE_BUSY; retry briefly.
      const until = Date.now() + 5_000;
      for (;;) {
        try {
          db.pragma("journal_mode = WAL");
          break;
        } catch (err) {
          if (!isBusy(err) || Date.now() > until) throw err;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        }
      }
    }
    db.pragma("synchronous = NORMAL");
    // A checkpoint every 10,000 WAL pages (≈40 MiB) instead of 1,000: a burst of sends rewrites the
    // same index pages commit after commit, and each checkpoint copies and fsyncs them (measured in
    // the bench: about a tenth of the daemon's CPU at the default). Readers are unaffected.
    if (!opts.readonly) db.pragma("wal_autocheckpoint = 10000");
    db.pragma("foreign_keys = ON");
  } catch (err) {
    db.close();
    const mapped = sqliteUserError(err, file);
    if (mapped instanceof UserError) throw mapped;
    throw new UserError(`cannot open the database ${file}: ${(err as Error).message}`);
  }
  return new SqliteStore(db, file, lockTimeoutMs);
}

type Statement = Database.Statement;

/** Runs statements on the connection, without the gate: the store's own methods and the transaction handle share it. */
class SqliteRunner {
  private readonly cache = new Map<string, Statement>();
  constructor(readonly db: Database.Database, readonly file: string) {}

  stmt(sql: string): Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      if (this.cache.size > 500) this.cache.clear();
      this.cache.set(sql, s);
    }
    return s;
  }
  all<T>(sql: string, params?: Params): T[] {
    const s = this.stmt(sql);
    return (params === undefined ? s.all() : Array.isArray(params) ? s.all(...params) : s.all(params)) as T[];
  }
  get<T>(sql: string, params?: Params): T | undefined {
    const s = this.stmt(sql);
    return (params === undefined ? s.get() : Array.isArray(params) ? s.get(...params) : s.get(params)) as T | undefined;
  }
  run(sql: string, params?: Params): number {
    const s = this.stmt(sql);
    return (params === undefined ? s.run() : Array.isArray(params) ? s.run(...params) : s.run(params)).changes;
  }
  insert(sql: string, params?: Params): number {
    const s = this.stmt(sql);
    return Number((params === undefined ? s.run() : Array.isArray(params) ? s.run(...params) : s.run(params)).lastInsertRowid);
  }
  exec(sql: string): void {
    this.db.exec(sql);
  }
}

/** The handle a transaction's function gets: statements run directly on the connection the transaction holds. */
class SqliteTx implements Q {
  readonly dialect = "sqlite" as const;
  constructor(private readonly r: SqliteRunner) {}
  private wrap<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(sqliteUserError(err, this.r.file));
    }
  }
  all<T>(sql: string, params?: Params): Promise<T[]> {
    return this.wrap(() => this.r.all<T>(sql, params));
  }
  get<T>(sql: string, params?: Params): Promise<T | undefined> {
    return this.wrap(() => this.r.get<T>(sql, params));
  }
  run(sql: string, params?: Params): Promise<number> {
    return this.wrap(() => this.r.run(sql, params));
  }
  insert(sql: string, params?: Params): Promise<number> {
    return this.wrap(() => this.r.insert(sql, params));
  }
  exec(sql: string): Promise<void> {
    return this.wrap(() => this.r.exec(sql));
  }
}

class SqliteStore implements Store {
  readonly dialect = "sqlite" as const;
  readonly location: string;
  private readonly r: SqliteRunner;
  private readonly gate = new Gate();
  /**
   * Catches a deadlock a developer can write (the store used inside its own transaction waits for
   * the gate that transaction holds). Only under the test runner or SECRETARIA_CHECK_TX=1: an
   * AsyncLocalStorage installs promise hooks for the whole process, measured at about a twentieth
   * of the daemon's CPU on the delivery path.
   */
  private readonly inTx = CHECK_TX ? new AsyncLocalStorage<true>() : null;
  private closed = false;

  constructor(private readonly db: Database.Database, file: string, private readonly lockTimeoutMs: number) {
    this.location = file;
    this.r = new SqliteRunner(db, file);
  }

  /**
   * A statement outside any transaction: runs at once when no transaction is open, else after it.
   * A busy answer (another process holds the write lock) is retried after a sleep, without
   * holding the gate, so this process's other work goes on meanwhile.
   */
  private async auto<T>(fn: () => T): Promise<T> {
    if (this.inTx?.getStore()) throw new Error("the store was used inside its own transaction: use the transaction's handle (t) instead");
    const deadline = Date.now() + this.lockTimeoutMs;
    let delay = 1;
    for (;;) {
      const gated = this.gate.busy;
      if (gated) await this.gate.acquire();
      try {
        if (this.closed) throw new UserError(`the database ${this.location} is closed`);
        return fn();
      } catch (err) {
        if (!isBusy(err)) throw sqliteUserError(err, this.location);
        if (Date.now() > deadline) throw lockTimeoutError(this.location, this.lockTimeoutMs);
      } finally {
        if (gated) this.gate.release();
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 50);
    }
  }

  all<T>(sql: string, params?: Params): Promise<T[]> {
    return this.auto(() => this.r.all<T>(sql, params));
  }
  get<T>(sql: string, params?: Params): Promise<T | undefined> {
    return this.auto(() => this.r.get<T>(sql, params));
  }
  run(sql: string, params?: Params): Promise<number> {
    return this.auto(() => this.r.run(sql, params));
  }
  insert(sql: string, params?: Params): Promise<number> {
    return this.auto(() => this.r.insert(sql, params));
  }
  exec(sql: string): Promise<void> {
    return this.auto(() => this.r.exec(sql));
  }

  async tx<T>(fn: (t: Q) => Promise<T>, opts: TxOptions = {}): Promise<T> {
    if (this.inTx?.getStore()) throw new Error("nested transaction: use the outer transaction's handle");
    const deadline = Date.now() + this.lockTimeoutMs;
    let delay = 1;
    for (;;) {
      await this.gate.acquire();
      if (this.closed) {
        this.gate.release();
        throw new UserError(`the database ${this.location} is closed`);
      }
      try {
        this.db.exec(opts.readOnly ? "BEGIN" : "BEGIN IMMEDIATE");
        break;
      } catch (err) {
        this.gate.release();
        if (!isBusy(err)) throw sqliteUserError(err, this.location);
        if (Date.now() > deadline) throw lockTimeoutError(this.location, this.lockTimeoutMs);
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 50);
    }
    try {
      const result = await (this.inTx ? this.inTx.run(true, () => fn(new SqliteTx(this.r))) : fn(new SqliteTx(this.r)));
      this.db.exec("COMMIT");
      return result;
    } catch (err) {
      if (this.db.open && this.db.inTransaction) {
        try {
          this.db.exec("ROLLBACK");
        } catch {
          // the transaction is already gone (SQLite rolled it back itself on a full disk or I/O error)
        }
      }
      throw sqliteUserError(err, this.location);
    } finally {
      this.gate.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let an open transaction finish first.
    await this.gate.acquire();
    this.closed = true;
    try {
      if (this.db.open) this.db.close();
    } finally {
      this.gate.release();
    }
  }
}
