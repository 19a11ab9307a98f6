/**
 * Shared test helpers: run the built CLI as a subprocess, make temporary folders and
 * database files (removed when the test process exits), and open a database migrated
 * by the real migrator.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { migrate } from "../../src/store/migrator.js";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";

export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const BIN = join(REPO_ROOT, "bin", "secretaria.js");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Added to a cleaned copy of the environment (no SECRETARIA_*, WHATICKET_*, DEBUG from the caller's shell). */
  env?: Record<string, string>;
  /** Written to stdin, which is then closed (stdin is never a terminal). */
  input?: string;
  /** Working folder; default the repository root. */
  cwd?: string;
  /** Kill the process and fail after this long; default 60 s. */
  timeoutMs?: number;
  /** Extra arguments for node itself, before the script (e.g. ["--import", "./hook.mjs"]). */
  nodeArgs?: string[];
}

const INHERITED_OUT = /^(SECRETARIA_|WHATICKET_|DEBUG$|NODE_OPTIONS$)/;

/** Runs `node bin/secretaria.js ...args` and collects its exit code and output. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  if (!existsSync(join(REPO_ROOT, "dist", "cli.js"))) {
    return Promise.reject(new Error("dist/cli.js is missing: run `npm run build` before the CLI tests"));
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !INHERITED_OUT.test(k)) env[k] = v;
  Object.assign(env, { NO_COLOR: "1" }, opts.env);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), BIN, ...args], {
      cwd: opts.cwd ?? REPO_ROOT,
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`secretaria ${args.join(" ")} did not finish within ${timeoutMs} ms; stderr so far: ${stderr.slice(-500)}`));
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? (signal ? 128 : -1), stdout, stderr });
    });
    child.stdin.on("error", () => {}); // the CLI may exit before reading all of stdin
    child.stdin.end(opts.input ?? "");
  });
}

const made: string[] = [];
process.on("exit", () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A fresh empty folder under the OS temp dir, removed when the test process exits. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "secretaria-test-"));
  made.push(dir);
  return dir;
}

/**
 * The engine this run of the suite uses: SQLite always; PostgreSQL when SECRETARIA_TEST_ENGINE=postgres
 * (npm test runs the suite a second time so when SECRETARIA_TEST_PG_URL, an admin URL, is set).
 */
export const TEST_ENGINE: "sqlite" | "postgres" = process.env.SECRETARIA_TEST_ENGINE === "postgres" ? "postgres" : "sqlite";
export const ON_POSTGRES = TEST_ENGINE === "postgres";
/** For `{ skip: SQLITE_ONLY }` on tests of the SQLite file itself (permissions, WAL, file locks). */
export const SQLITE_ONLY = ON_POSTGRES ? "about the SQLite file itself; the PostgreSQL run covers the rest" : false;

const PG_ADMIN_URL = process.env.SECRETARIA_TEST_PG_URL ?? "";
if (ON_POSTGRES && !PG_ADMIN_URL) throw new Error("SECRETARIA_TEST_ENGINE=postgres needs SECRETARIA_TEST_PG_URL (an admin URL, see scripts/pg-cluster.sh)");
const pgDatabases: string[] = [];
process.on("exit", () => {
  if (!pgDatabases.length) return;
  const drops = pgDatabases.flatMap((d) => ["-c", `DROP DATABASE IF EXISTS ${d} WITH (FORCE)`]);
  try {
    execFileSync("psql", [PG_ADMIN_URL, "-q", ...drops], { stdio: "ignore", timeout: 30_000 });
  } catch {
    // a throwaway cluster: what is left goes with it
  }
});

/** A new, empty PostgreSQL database on the test cluster; its URL. Dropped when the test process exits. */
export function tempPgDb(): string {
  const name = `t_${process.pid}_${randomBytes(4).toString("hex")}`;
  execFileSync("psql", [PG_ADMIN_URL, "-q", "-c", `CREATE DATABASE ${name}`], { stdio: ["ignore", "ignore", "pipe"], timeout: 30_000 });
  pgDatabases.push(name);
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/** The path of a SQLite database file that does not exist yet, in its own temp folder. */
export function tempSqliteDb(): string {
  return join(tempDir(), "secretaria.db");
}

/** A database that does not exist yet for this run's engine: a SQLite file path, or the URL of a new empty PostgreSQL database. */
export function tempDb(): string {
  return ON_POSTGRES ? tempPgDb() : tempSqliteDb();
}

/** Opens (creating if needed) and migrates the database through the real migrator. */
export async function migratedDb(location: string, opts: { to?: number } = {}): Promise<Store> {
  const db = await openStore(location, { create: true, poolSize: 4 });
  try {
    await migrate(db, { to: opts.to, now: () => new Date("2026-01-01T00:00:00Z") });
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
