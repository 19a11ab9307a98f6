/**
 * A throwaway redis-server for the BullMQ peer of the burst: Debian's package (installed with
 * apt-get when missing and the bench runs as root), started on a free loopback port with no
 * persistence, its working directory a temp folder, stopped (and the folder removed) at the end.
 * The child is tracked, so an interrupted run kills it with everything else.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { track } from "./processes.js";

export interface RedisServer {
  port: number;
  version: string;
  /** The server's process (its CPU is read from /proc). */
  pid: number;
  stop(): Promise<void>;
}

function redisVersion(): string | null {
  const r = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (r.status !== 0) return null;
  return /v=(\S+)/.exec(r.stdout)?.[1] ?? r.stdout.trim();
}

/** redis-server's version, installing Debian's package first when it is missing; or why it is not there. */
function ensureRedis(log: (msg: string) => void): { version: string } | { skipped: string } {
  const v = redisVersion();
  if (v) return { version: v };
  if (process.getuid?.() !== 0 || spawnSync("apt-get", ["--version"]).status !== 0) {
    return { skipped: "redis-server is not installed (apt-get install redis-server) and this run cannot install it" };
  }
  log("redis-server is missing: apt-get install -y redis-server (for the BullMQ peer)");
  const r = spawnSync("apt-get", ["install", "-y", "-q", "redis-server"], { encoding: "utf8", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, timeout: 5 * 60_000 });
  const after = redisVersion();
  if (after) return { version: after };
  const why = (r.stderr || r.stdout || "").trim().split("\n").pop() ?? "";
  return { skipped: `redis-server could not be installed (apt-get exited ${r.status}${why ? `: ${why}` : ""})` };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: "127.0.0.1", port });
    let data = "";
    sock.setTimeout(500, () => sock.destroy());
    sock.on("connect", () => sock.write("PING\r\n"));
    sock.on("data", (d) => {
      data += d.toString("utf8");
      if (data.includes("\r\n")) sock.end();
    });
    sock.on("close", () => resolve(data.startsWith("+PONG")));
    sock.on("error", () => resolve(false));
  });
}

/** Starts redis-server on 127.0.0.1 (no RDB, no AOF, temp dir); or says why it was skipped. */
export async function startRedis(log: (msg: string) => void): Promise<RedisServer | { skipped: string }> {
  const have = ensureRedis(log);
  if ("skipped" in have) return have;
  const dir = mkdtempSync(join(tmpdir(), "secretaria-bench-redis-"));
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--logfile", ""], {
    cwd: dir,
    stdio: ["ignore", "ignore", "pipe"],
  });
  track(child);
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr = (stderr + d).slice(-2000)));
  const exited = new Promise<void>((r) => child.once("close", () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const forced = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(forced);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      return { skipped: `redis-server did not start on 127.0.0.1:${port}: ${stderr.trim().split("\n").pop() ?? "no output"}` };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, version: have.version, pid: child.pid!, stop };
}
