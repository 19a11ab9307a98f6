/**
 * PostgreSQL for the benchmarks and the chaos suite: a server given by URL (an admin URL: the
 * suites create their own databases there and drop them), or a throwaway cluster started with
 * scripts/pg-cluster.sh when the PostgreSQL binaries are installed (never installed from here).
 * Everything talks to the server through the store (src/store/open.ts), so no psql is needed.
 */
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isPostgresUrl, openStore, redactUrl } from "../../src/store/open.js";
import { REPO_ROOT } from "./processes.js";

/** The environment variable both suites read when no URL is passed. */
export const PG_URL_ENV = "SECRETARIA_BENCH_PG_URL";

const CLUSTER_SCRIPT = join(REPO_ROOT, "scripts", "pg-cluster.sh");

/**
 * The newest /usr/lib/postgresql/N/bin with initdb and pg_ctl (where scripts/pg-cluster.sh looks),
 * or null: then a throwaway cluster cannot be started without installing PostgreSQL, which the
 * suites never do by themselves.
 */
export function pgBinDir(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(a) - Number(b));
  for (const v of versions.reverse()) {
    const bin = join(root, v, "bin");
    if (existsSync(join(bin, "pg_ctl")) && existsSync(join(bin, "initdb"))) return bin;
  }
  return null;
}

export interface PgServer {
  /** Admin URL: databases are created and dropped through it. Holds a password: never print it (use `display`). */
  adminUrl: string;
  /** The URL without its password. */
  display: string;
  /** True when this process started the cluster (and stops it). */
  throwaway: boolean;
  /** server_version, e.g. "15.14 (Debian 15.14-0+deb12u1)". */
  version: string;
  /** The settings that decide what a commit costs (fsync, synchronous_commit), for the reports. */
  durability: string;
  /** Stops a throwaway cluster and removes its folder; nothing for a server given by URL. Safe to call twice. */
  stop(): Promise<void>;
}

async function serverVersion(url: string): Promise<{ version: string; durability: string }> {
  const store = await openStore(url, { poolSize: 1 });
  try {
    const row = await store.get<{ version: string; fsync: string; sc: string }>(
      "SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sc",
    );
    return { version: row?.version ?? "?", durability: `fsync=${row?.fsync ?? "?"}, synchronous_commit=${row?.sc ?? "?"}` };
  } finally {
    await store.close();
  }
}

/** A server given by URL: checked to answer, never stopped by us. */
export async function connectPgServer(url: string): Promise<PgServer> {
  if (!isPostgresUrl(url)) throw new Error(`not a PostgreSQL URL: ${url} (expected postgres://user:password@host:port/database)`);
  const v = await serverVersion(url);
  return { adminUrl: url, display: redactUrl(url), throwaway: false, version: v.version, durability: v.durability, stop: async () => {} };
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: "utf8", killSignal: "SIGKILL" }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(new Error(`${cmd} ${args.join(" ")} failed: ${err.message}\n${stderr.slice(-1500)}`), { stderr }));
      else resolve({ stdout, stderr });
    });
  });
}

/**
 * Starts a loopback-only cluster in a new temp folder with scripts/pg-cluster.sh, and registers
 * its stop for when this process exits (also after an exception). Throws when the binaries are
 * missing: the script would install them, which is not ours to do.
 */
export async function startThrowawayCluster(log: (line: string) => void = () => {}): Promise<PgServer> {
  if (!pgBinDir()) throw new Error("the PostgreSQL binaries are not installed (/usr/lib/postgresql/*/bin)");
  const dir = mkdtempSync(join(tmpdir(), "secretaria-pg-"));
  let stopped = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    try {
      execFileSync("bash", [CLUSTER_SCRIPT, "stop", dir], { stdio: "ignore", timeout: 60_000 });
    } catch {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  process.once("exit", stopSync);
  log(`starting a throwaway PostgreSQL cluster in ${dir}`);
  let url: string;
  try {
    url = (await run("bash", [CLUSTER_SCRIPT, "start", dir], 120_000)).stdout.trim();
    if (!isPostgresUrl(url)) throw new Error(`scripts/pg-cluster.sh printed no URL (${readLog(dir)})`);
  } catch (err) {
    stopSync();
    throw err;
  }
  const v = await serverVersion(url).catch(async (err: unknown) => {
    stopSync();
    throw err;
  });
  return {
    adminUrl: url,
    display: `${redactUrl(url)} (throwaway cluster in ${dir})`,
    throwaway: true,
    version: v.version,
    durability: v.durability,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off("exit", stopSync);
      await run("bash", [CLUSTER_SCRIPT, "stop", dir], 60_000).catch(() => rmSync(dir, { recursive: true, force: true }));
    },
  };
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, "server.log"), "utf8").slice(-500);
  } catch {
    return "no server log";
  }
}

/**
 * The server to use: `url` (--pg / --db), else $SECRETARIA_BENCH_PG_URL, else a throwaway cluster
 * when `startCluster` and the binaries are there. `skipped` says why there is none.
 */
export async function resolvePgServer(o: { url?: string; startCluster: boolean; log?: (line: string) => void }): Promise<{ server: PgServer | null; skipped?: string }> {
  const url = o.url ?? process.env[PG_URL_ENV];
  if (url) return { server: await connectPgServer(url) };
  if (!o.startCluster) return { server: null, skipped: "PostgreSQL not requested" };
  if (!pgBinDir()) {
    return {
      server: null,
      skipped: `no PostgreSQL URL (--pg URL or ${PG_URL_ENV}) and no PostgreSQL binaries in /usr/lib/postgresql to start a throwaway cluster`,
    };
  }
  return { server: await startThrowawayCluster(o.log) };
}

const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A database name of our own on a shared server: prefix, pid and a random tail. */
export function uniqueDbName(prefix: string): string {
  const name = `${prefix}_${process.pid}_${randomBytes(3).toString("hex")}`;
  if (!NAME.test(name)) throw new Error(`not a valid database name: ${name}`);
  return name;
}

/** The URL of database `name` on the server of `adminUrl`. */
export function databaseUrl(adminUrl: string, name: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function onServer<T>(adminUrl: string, fn: (exec: (sql: string) => Promise<void>) => Promise<T>): Promise<T> {
  const admin = await openStore(adminUrl, { poolSize: 1 });
  try {
    return await fn((sql) => admin.exec(sql));
  } finally {
    await admin.close();
  }
}

/**
 * Creates database `name` (empty, or a copy of `template`, which must have no open connection:
 * what the copies of the SQLite file are for the runs that write) and returns its URL.
 */
export async function createDatabase(server: PgServer, name: string, template?: string): Promise<string> {
  if (!NAME.test(name) || (template !== undefined && !NAME.test(template))) throw new Error(`not a valid database name: ${name} / ${template}`);
  try {
    await onServer(server.adminUrl, (exec) => exec(`CREATE DATABASE ${name}${template === undefined ? "" : ` TEMPLATE ${template}`}`));
  } catch (err) {
    if ((err as { code?: string }).code === "42501") {
      throw new Error(`the role in ${server.display} may not create databases: the suites make (and drop) their own, so give them a role with CREATEDB`);
    }
    throw err;
  }
  return databaseUrl(server.adminUrl, name);
}

/** Drops database `name`, closing its connections first (PostgreSQL 13+). Missing is fine. */
export async function dropDatabase(server: PgServer, name: string): Promise<void> {
  if (!NAME.test(name)) throw new Error(`not a valid database name: ${name}`);
  await onServer(server.adminUrl, (exec) => exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/**
 * Drops every database this process made on the server with uniqueDbName(`${prefix}…`) (the
 * cleanup after an interruption, when a run's own drop did not happen).
 */
export async function dropDatabasesOfThisRun(server: PgServer, prefix: string): Promise<string[]> {
  const admin = await openStore(server.adminUrl, { poolSize: 1 });
  try {
    const mine = new RegExp(`^${prefix}(_[a-z]+)*_${process.pid}_[0-9a-f]+$`);
    const names = (await admin.all<{ name: string }>("SELECT datname AS name FROM pg_database")).map((r) => r.name).filter((n) => NAME.test(n) && mine.test(n));
    for (const name of names) await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    return names;
  } finally {
    await admin.close();
  }
}

/**
 * How a subprocess is pointed at a database: a file by --db, a URL by SECRETARIA_DB (so its
 * password stays out of the process list).
 */
export function dbTarget(location: string): { args: string[]; env: Record<string, string> } {
  return isPostgresUrl(location) ? { args: [], env: { SECRETARIA_DB: location } } : { args: ["--db", location], env: {} };
}
