/**
 * Child processes for the benchmarks and the chaos suite: run one to completion with its wall
 * time and peak RSS, or keep one running in the background. Every child started here is
 * tracked so an interrupted run (Ctrl-C, an exception) kills exactly what it started.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const BIN = join(REPO_ROOT, "bin", "secretaria.js");

/** Variables a caller's shell could leak into a measured process and change what it does. */
const INHERITED_OUT = /^(SECRETARIA_|WHATICKET_|DEBUG$|NODE_OPTIONS$)/;

export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !INHERITED_OUT.test(k)) env[k] = v;
  env.NO_COLOR = "1";
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export function assertBuilt(): void {
  if (!existsSync(join(REPO_ROOT, "dist", "cli.js"))) throw new Error("dist/cli.js is missing: run `npm run build` first");
}

const live = new Set<ChildProcess>();

/** Kills (SIGKILL) every child this module started that is still running. */
export function killAllStarted(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  live.clear();
}

/** Registers a child started elsewhere (e.g. redis-server) so an interrupted run kills it too. */
export function track(child: ChildProcess): void {
  live.add(child);
  child.once("exit", () => live.delete(child));
}

/** The peak resident set (VmHWM) of a live process, in KiB; null when it is gone or /proc is not there. */
export function peakRssKb(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Wall time from spawn to exit, ms. */
  ms: number;
  /** Highest VmHWM seen while it ran (read every 25 ms and just before it exits), KiB; null if never read. */
  peakRssKb: number | null;
  stdout: string;
  /** The last 64 KiB of stderr (daemons log a line per message). */
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Kill and fail after this long. Default 5 min. */
  timeoutMs?: number;
  /** Sample VmHWM while it runs. Default false (sampling costs a little CPU). */
  sampleRss?: boolean;
  /** Keep stdout (default true); off for commands that print a lot. */
  keepStdout?: boolean;
}

const STDERR_TAIL = 64 * 1024;

/** Runs `command args` to completion. Rejects on timeout; a non-zero exit is returned, not thrown. */
export function runProcess(command: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 5 * 60_000;
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: opts.cwd ?? REPO_ROOT, env: cleanEnv(opts.env), stdio: ["ignore", "pipe", "pipe"] });
    track(child);
    let stdout = "";
    let stderr = "";
    let peak: number | null = null;
    const sample = () => {
      if (child.pid === undefined) return;
      const kb = peakRssKb(child.pid);
      if (kb !== null) peak = Math.max(peak ?? 0, kb);
    };
    const sampler = opts.sampleRss ? setInterval(sample, 25) : null;
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      if (opts.keepStdout !== false) stdout += d;
    });
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      if (stderr.length > 2 * STDERR_TAIL) stderr = stderr.slice(-STDERR_TAIL);
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} did not finish within ${timeoutMs} ms; stderr: ${stderr.slice(-500)}`));
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      if (sampler) clearInterval(sampler);
      reject(err);
    });
    // 'exit' fires before the pipes close: too late for /proc, so the sampler's last read stands.
    child.on("close", (code, signal) => {
      const ms = performance.now() - started;
      clearTimeout(timer);
      if (sampler) clearInterval(sampler);
      resolvePromise({ code, signal, ms, peakRssKb: peak, stdout, stderr: stderr.slice(-STDERR_TAIL) });
    });
  });
}

/** CPU time (user + sys, ms) of this process's children that have exited and been waited for (cutime + cstime of /proc/self/stat); null without /proc. */
export function childrenCpuMs(): number | null {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    // Fields after the command name (which may hold spaces): state is field 3; cutime and cstime are 16 and 17.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[13]) + Number(f[14])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** USER_HZ: the unit of /proc's CPU times (100 on every Linux this runs on). */
const CLOCK_TICKS = 100;

/** `node bin/secretaria.js ...args`. */
export function runCli(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  assertBuilt();
  return runProcess(process.execPath, [BIN, ...args], opts);
}

/** `node -e CODE ...args` (the bare baselines); `require` resolves from the repository's node_modules. */
export function runNodeEval(code: string, args: string[] = [], opts: RunOptions = {}): Promise<RunResult> {
  return runProcess(process.execPath, ["-e", code, "--", ...args], opts);
}

export interface Background {
  child: ChildProcess;
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines of stderr, for error messages. */
  tail(): string;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts `node bin/secretaria.js ...args` in the background; each stderr line goes to `onLine`. */
export function startCli(args: string[], opts: { env?: Record<string, string | undefined>; onLine?: (line: string) => void } = {}): Background {
  assertBuilt();
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: cleanEnv(opts.env), stdio: ["ignore", "ignore", "pipe"] });
  track(child);
  const lines: string[] = [];
  let partial = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    const parts = (partial + d).split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      if (lines.length > 200) lines.shift();
      opts.onLine?.(line);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on("close", (code, signal) => r({ code, signal })));
  return {
    child,
    pid: child.pid ?? -1,
    exited,
    tail: () => lines.slice(-20).join("\n"),
    kill(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** Resolves with the first value `probe` returns that is not undefined, polling every `everyMs`; rejects after timeoutMs. */
export async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 30_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
