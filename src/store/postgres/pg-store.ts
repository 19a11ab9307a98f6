import { createHash } from "node:crypto";
import pg from "pg";
import { UserError } from "../../errors.js";
import type { Params, Q, Store, TxOptions } from "../store.js";

/**
 * The PostgreSQL engine (13+), through a `pg` pool. Several daemons on several hosts share one
 * database: claims use FOR UPDATE SKIP LOCKED, migrations an advisory lock, and every shared
 * budget or counter lives in a table. Statements are written with `@name` / `?` parameters like
 * SQLite's and turned into `$n` here, once per statement text.
 */

// int8 (ids, count(*)) and numeric as JS numbers: every value this schema holds fits in a double.
pg.types.setTypeParser(20, (v: string) => Number.parseInt(v, 10));
pg.types.setTypeParser(1700, (v: string) => Number.parseFloat(v));

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The URL with its password replaced: safe in output, logs and errors. */
export function redactUrl(location: string): string {
  try {
    const u = new URL(location);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return location.replace(/\/\/([^:/@]*):[^@/]*@/, "//$1:***@");
  }
}

interface Converted {
  text: string;
  /** Parameter names in $n order (named form), or null for positional `?`. */
  names: string[] | null;
  /** A prepared-statement name, one per statement text: PostgreSQL parses and plans it once per connection. */
  name: string;
}

const converted = new Map<string, Converted>();

/** `@name` / `?` → `$n`, skipping string literals, quoted identifiers and comments. */
export function toPositional(sql: string): Converted {
  const cached = converted.get(sql);
  if (cached) return cached;
  let out = "";
  const names: string[] = [];
  let positional = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end === -1 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === "@" && /[A-Za-z_]/.test(sql[i + 1] ?? "")) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_]/.test(sql[j]!)) j++;
      const name = sql.slice(i + 1, j);
      let n = names.indexOf(name);
      if (n === -1) n = names.push(name) - 1;
      out += `$${n + 1}`;
      i = j;
    } else if (c === "?") {
      out += `$${++positional}`;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  const result = { text: out, names: names.length ? names : null, name: `s${createHash("sha1").update(out).digest("hex").slice(0, 20)}` };
  if (converted.size > 1000) converted.clear();
  converted.set(sql, result);
  return result;
}

function values(conv: Converted, params: Params | undefined): unknown[] {
  if (params === undefined) return [];
  if (Array.isArray(params)) return params.map(toPg);
  const obj = params as Record<string, unknown>;
  return (conv.names ?? []).map((n) => {
    if (!(n in obj)) throw new Error(`missing SQL parameter @${n}`);
    return toPg(obj[n]);
  });
}

/** Booleans are stored 0/1 on both engines. */
const toPg = (v: unknown): unknown => (typeof v === "boolean" ? (v ? 1 : 0) : v === undefined ? null : v);

/** Errors of retryable kind: the transaction is run again from the start. */
const RETRYABLE = new Set(["40001", "40P01"]);

/** Connection, authentication and disk problems as one line a person can act on; anything else unchanged. */
export function pgUserError(err: unknown, where: string): unknown {
  const e = err as { code?: string; message?: string };
  const code = e?.code;
  if (code === "ECONNREFUSED") return new UserError(`cannot connect to PostgreSQL at ${where}: connection refused; is the server running and listening there? (check --db / SECRETARIA_DB)`);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new UserError(`cannot connect to PostgreSQL at ${where}: unknown host (check --db / SECRETARIA_DB)`);
  if (code === "ETIMEDOUT" || /timeout exceeded when trying to connect/i.test(e?.message ?? "")) {
    return new UserError(`cannot connect to PostgreSQL at ${where}: timed out (check the host, port and firewall)`);
  }
  if (code === "28P01" || code === "28000") return new UserError(`PostgreSQL refused the login at ${where}: check the user and password in the URL`);
  if (code === "3D000") return new UserError(`the database in ${where} does not exist: create it first (createdb, or CREATE DATABASE) and run \`secretaria migrate\``);
  if (code === "53100") return new UserError(`the PostgreSQL server at ${where} is out of disk space: free space on it and try again (nothing was written)`);
  if (code === "53300") return new UserError(`the PostgreSQL server at ${where} has no free connections: raise max_connections or run fewer daemons`);
  if (code === "57P01" || code === "57P03") return new UserError(`the PostgreSQL server at ${where} is shutting down or starting up: try again in a moment`);
  if (code === "25006") return new UserError(`the PostgreSQL server at ${where} is read-only (a standby?): point --db at the primary`);
  return err;
}

class PgQ implements Q {
  readonly dialect = "postgres" as const;
  constructor(private readonly client: pg.Pool | pg.PoolClient, private readonly where: string) {}
  /** Called after each statement (a transaction that grows a table: GrowingTableQ). */
  protected async ran(): Promise<void> {}

  private async query<T>(sql: string, params?: Params): Promise<pg.QueryResult<T & pg.QueryResultRow>> {
    const conv = toPositional(sql);
    try {
      // Parameterised statements are prepared (named): the hot path and imports run the same few thousands of times.
      const vals = values(conv, params);
      const r = await this.client.query<T & pg.QueryResultRow>(vals.length ? { name: conv.name, text: conv.text, values: vals } : conv.text);
      await this.ran();
      return r;
    } catch (err) {
      throw pgUserError(err, this.where);
    }
  }
  async all<T>(sql: string, params?: Params): Promise<T[]> {
    return (await this.query<T>(sql, params)).rows;
  }
  async get<T>(sql: string, params?: Params): Promise<T | undefined> {
    return (await this.query<T>(sql, params)).rows[0];
  }
  async run(sql: string, params?: Params): Promise<number> {
    return (await this.query(sql, params)).rowCount ?? 0;
  }
  async insert(sql: string, params?: Params): Promise<number> {
    return (await this.query<{ id: number }>(`${sql} RETURNING id`, params)).rows[0]!.id;
  }
  async exec(sql: string): Promise<void> {
    try {
      await this.client.query(sql);
    } catch (err) {
      throw pgUserError(err, this.where);
    }
  }
}

/** The first ANALYZE of a growing table after this many statements, then at each doubling. */
export const FIRST_ANALYZE_AT = 2_000;

/**
 * A transaction that writes many rows of a table while querying it (an import). PostgreSQL's
 * generic plan for a prepared statement is made from the table's statistics, which an uncommitted
 * import does not update: made while the table was still empty, it may pick any index that matches
 * (the external-id lookup took (company_id, start_time) and read every row of the company: quadratic;
 * 60k rows took 137 s). So: custom plans (planned for each call's values: ~3× the time of a reused
 * plan) until FIRST_ANALYZE_AT statements have run, then ANALYZE of the table (it counts the
 * transaction's own rows; the plans made on the old statistics are dropped) and plans reused; ANALYZE
 * again at every doubling, so the statistics keep up with the table.
 */
class GrowingTableQ extends PgQ {
  private statements = 0;
  private nextAnalyze = FIRST_ANALYZE_AT;
  private analyzing = false;
  constructor(private readonly conn: pg.PoolClient, where: string, private readonly table: string) {
    super(conn, where);
    if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`growsTable: not a table name: ${table}`);
  }
  async begin(): Promise<void> {
    await this.conn.query("SET LOCAL plan_cache_mode = force_custom_plan");
  }
  protected override async ran(): Promise<void> {
    if (this.analyzing || ++this.statements < this.nextAnalyze) return;
    this.nextAnalyze *= 2;
    this.analyzing = true;
    try {
      // ANALYZE holds its lock on the table until this transaction ends, and waits for anyone
      // holding it (another import's transaction, a VACUUM): never wait here, skip to the next
      // doubling instead (the savepoint keeps the transaction usable when the lock is refused).
      await this.conn.query("SAVEPOINT secretaria_analyze");
      try {
        await this.conn.query("SET LOCAL lock_timeout = '100ms'");
        await this.conn.query(`ANALYZE ${this.table}`);
        await this.conn.query("SET LOCAL lock_timeout = DEFAULT");
        await this.conn.query("RELEASE SAVEPOINT secretaria_analyze");
      } catch (err) {
        if ((err as { code?: string }).code !== "55P03") throw err;
        await this.conn.query("ROLLBACK TO SAVEPOINT secretaria_analyze");
        return;
      }
      await this.conn.query("SET LOCAL plan_cache_mode = auto");
    } finally {
      this.analyzing = false;
    }
  }
}

class PgStore extends PgQ implements Store {
  private closed = false;
  constructor(private readonly pool: pg.Pool, readonly location: string) {
    super(pool, location);
  }

  async tx<T>(fn: (t: Q) => Promise<T>, opts: TxOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        throw pgUserError(err, this.location);
      }
      try {
        await client.query(opts.readOnly ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN");
        let q: PgQ = new PgQ(client, this.location);
        if (opts.growsTable) {
          const growing = new GrowingTableQ(client, this.location, opts.growsTable);
          await growing.begin();
          q = growing;
        }
        const result = await fn(q);
        await client.query("COMMIT");
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        const code = (err as { code?: string }).code;
        if (code && RETRYABLE.has(code) && attempt < 5) continue;
        throw pgUserError(err, this.location);
      } finally {
        client.release();
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

export interface PgOpenOptions {
  /** Connections in the pool. Default 10. */
  max?: number;
}

/** Opens a pool and checks that the server answers, so a wrong URL fails here with one clear line. */
export async function openPgStore(url: string, opts: PgOpenOptions = {}): Promise<Store> {
  const where = redactUrl(url);
  let pool: pg.Pool;
  try {
    pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
  } catch (err) {
    throw new UserError(`the PostgreSQL URL ${where} is not valid: ${(err as Error).message.replaceAll(url, where)}`);
  }
  // An idle connection dropped by the server must not crash the process; the next query reconnects.
  pool.on("error", () => {});
  try {
    await pool.query("SELECT 1");
  } catch (err) {
    await pool.end().catch(() => {});
    const mapped = pgUserError(err, where);
    if (mapped instanceof UserError) throw mapped;
    throw new UserError(`cannot use PostgreSQL at ${where}: ${(err as Error).message}`);
  }
  return new PgStore(pool, where);
}
