/**
 * The one storage interface. Everything outside src/store/ sees only this: a queryable handle
 * (`Q`), transactions (`tx`) and `close`. The repositories (companies.ts, appointments.ts,
 * followups.ts, …) are plain async functions of a `Q`, so the same function runs on the store
 * itself (autocommit) or inside a transaction (`store.tx(async (t) => getCompany(t, id))`).
 *
 * Two engines implement it: SQLite (sqlite/sqlite-store.ts, the embedded default) and
 * PostgreSQL (postgres/pg-store.ts). SQL is written once where both dialects agree; where they
 * do not, a repository picks the dialect's text with `bySql`.
 *
 * Parameters: `@name` with an object, or `?` with an array, on both engines.
 * Instants are UTC ISO-8601 TEXT on both (string order is time order); booleans are 0/1.
 */

export type Dialect = "sqlite" | "postgres";

/** Named (`@name` → an object's property) or positional (`?` → an array's items). */
export type Params = object;

export interface Q {
  readonly dialect: Dialect;
  all<T>(sql: string, params?: Params): Promise<T[]>;
  get<T>(sql: string, params?: Params): Promise<T | undefined>;
  /** Runs a statement that returns no rows; resolves to the number of rows it changed. */
  run(sql: string, params?: Params): Promise<number>;
  /**
   * Runs an INSERT of one row (no RETURNING clause) into a table keyed by `id`; resolves to the new
   * row's id. SQLite reads the rowid the insert assigned: `INSERT … RETURNING` makes SQLite keep a
   * statement journal of every index page the row touches (2.4× the insert's cost on appointments).
   */
  insert(sql: string, params?: Params): Promise<number>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface TxOptions {
  /**
   * A read-only snapshot: on SQLite a deferred transaction, which never waits for another
   * process's write lock (WAL); on PostgreSQL REPEATABLE READ, READ ONLY.
   */
  readOnly?: boolean;
  /**
   * The table a long transaction fills while querying it (an import): PostgreSQL plans statements
   * for their values until the table's statistics have been refreshed within the transaction (a
   * generic plan made while the table was still empty scans the company's rows per row: quadratic),
   * then reuses plans built on them. SQLite has no plan cache.
   */
  growsTable?: string;
}

export interface Store extends Q {
  /** Where the data lives, safe to print: a file path, or a URL without its password. */
  readonly location: string;
  /**
   * Runs fn in one transaction: committed when fn resolves, rolled back when it throws. On SQLite
   * the write lock is taken first (BEGIN IMMEDIATE) and waited for without blocking the event loop.
   * No network I/O inside fn: a transaction holds locks other daemons wait on.
   */
  tx<T>(fn: (t: Q) => Promise<T>, opts?: TxOptions): Promise<T>;
  close(): Promise<void>;
}

/** The SQL text for this engine, where the dialects differ. */
export function bySql(q: Q, sql: { sqlite: string; postgres: string }): string {
  return sql[q.dialect];
}

/** SQLite's LIKE ignores ASCII case; PostgreSQL's does not. */
export function caseInsensitiveLike(q: Q): "LIKE" | "ILIKE" {
  return q.dialect === "postgres" ? "ILIKE" : "LIKE";
}
