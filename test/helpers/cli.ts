/**
 * Shared test helpers: run the built CLI as a subprocess, make temporary folders and
 * database files (removed when the test process exits), and open a database migrated
 * by the real migrator.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { openDb, type Db } from "../../src/store/db.js";
import { migrate } from "../../src/store/migrator.js";

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

/** The path of a database file that does not exist yet, in its own temp folder. */
export function tempDb(): string {
  return join(tempDir(), "secretaria.db");
}

/** Opens (creating if needed) and migrates the database through the real migrator. */
export function migratedDb(path: string, opts: { to?: number } = {}): Db {
  const db = openDb(path, { create: true });
  try {
    migrate(db, path, { to: opts.to, now: () => new Date("2026-01-01T00:00:00Z") });
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
