/**
 * The floors each figure is compared with: the least a program must do for the same result,
 * run as `node -e` with plain better-sqlite3 / pg / node:http and nothing of secretaria loaded.
 * Each prints one JSON line on stdout.
 */
import { runNodeEval, type RunOptions, type RunResult } from "./processes.js";

/** `node -e 0`: starting node itself. */
export const NODE_ZERO = "0";

/**
 * The import floor: read the CSV, split it naively, and insert every row with one prepared
 * statement in one transaction, into the same schema (same indexes) with the same columns an
 * import writes (the follow-up plan replaced by constants).
 * argv: db csv
 */
export const IMPORT_FLOOR = `
const Database = require("better-sqlite3");
const fs = require("node:fs");
const [dbPath, csvPath] = process.argv.slice(1);
const db = new Database(dbPath);
db.pragma("busy_timeout = 15000"); db.pragma("journal_mode = WAL"); db.pragma("synchronous = NORMAL"); db.pragma("foreign_keys = ON");
const lines = fs.readFileSync(csvPath, "utf8").split("\\n");
const insert = db.prepare(\`INSERT INTO appointments (company_id, external_id, client_name, client_phone, start_time, end_time, status,
  allow_followup, followup_status, followup_skip_reason, followup_next_scheduled, followup_due_at, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'skipped', 'expired', NULL, NULL, ?, ?)\`);
const now = new Date().toISOString();
let rows = 0;
db.transaction(() => {
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (!line) continue;
    const f = line.split(",");
    insert.run(f[0], f[1], f[2], f[3], f[4], f[5], f[7] || "booked", f[6] === "true" ? 1 : 0, now, now);
    rows++;
  }
})();
db.close();
process.stdout.write(JSON.stringify({ rows }) + "\\n");
`;

export interface SqlStep {
  sql: string;
  params?: Record<string, unknown> | unknown[];
  /** "all" (default) or "get". */
  mode?: "all" | "get";
}

/**
 * The bare SQL of a view: open the file read-only, prepare and run each statement once, report
 * the time spent in SQLite (prepare + run) and the row counts. Parameters: an object (@name) or
 * an array (?), as the store takes them.
 * argv: db stepsJson
 */
export const SQL_FLOOR = `
const Database = require("better-sqlite3");
const [dbPath, stepsJson] = process.argv.slice(1);
const db = new Database(dbPath, { readonly: true, fileMustExist: true });
db.pragma("busy_timeout = 15000");
const steps = JSON.parse(stepsJson);
const t0 = performance.now();
const rows = steps.map((s) => {
  const st = db.prepare(s.sql);
  const args = Array.isArray(s.params) ? s.params : [s.params || {}];
  const r = s.mode === "get" ? st.get(...args) : st.all(...args);
  return Array.isArray(r) ? r.length : 1;
});
const sqlMs = performance.now() - t0;
db.close();
process.stdout.write(JSON.stringify({ sqlMs, rows }) + "\\n");
`;

/**
 * The fake Whaticket's own ceiling: POST the send route as fast as a keep-alive agent with
 * \`concurrency\` sockets allows, for at most maxRequests requests or maxMs.
 * argv: url token concurrency maxRequests maxMs
 */
export const HTTP_FLOOR = `
const http = require("node:http");
const [url, token, concurrencyArg, maxRequestsArg, maxMsArg] = process.argv.slice(1);
const concurrency = Number(concurrencyArg), maxRequests = Number(maxRequestsArg), maxMs = Number(maxMsArg);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const target = new URL("/api/messages/send", url);
const body = JSON.stringify({ number: "5511900000000", body: "Espero que tenha corrido tudo bem na reunião de hoje, Ana. 😊\\nGostaria de marcar o próximo encontro?\\n\\n✅ Sim, quero marcar\\n❌ Não, obrigado" });
let started = 0, done = 0, failed = 0;
const t0 = performance.now();
const deadline = t0 + maxMs;
function one() {
  return new Promise((resolve) => {
    const req = http.request(target, { method: "POST", agent, headers: { "Content-Type": "application/json", Authorization: "Bearer " + token, "Content-Length": Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on("end", () => { if (res.statusCode >= 200 && res.statusCode < 300) done++; else failed++; resolve(); });
    });
    req.on("error", () => { failed++; resolve(); });
    req.end(body);
  });
}
async function lane() {
  while (started < maxRequests && performance.now() < deadline) { started++; await one(); }
}
Promise.all(Array.from({ length: concurrency }, lane)).then(() => {
  const ms = performance.now() - t0;
  agent.destroy();
  process.stdout.write(JSON.stringify({ requests: done, failed, ms, rate: done / (ms / 1000) }) + "\\n");
});
`;

/**
 * The same ceiling with undici (the daemon's own HTTP client): a keep-alive Pool of
 * \`concurrency\` connections to the fake, \`concurrency\` lanes posting one request after another.
 * argv: url token concurrency maxRequests maxMs
 */
export const UNDICI_FLOOR = `
const { Pool } = require("undici");
const [url, token, concurrencyArg, maxRequestsArg, maxMsArg] = process.argv.slice(1);
const concurrency = Number(concurrencyArg), maxRequests = Number(maxRequestsArg), maxMs = Number(maxMsArg);
const pool = new Pool(new URL(url).origin, { connections: concurrency, pipelining: 1 });
const headers = { "content-type": "application/json", authorization: "Bearer " + token };
const body = JSON.stringify({ number: "5511900000000", body: "Espero que tenha corrido tudo bem na reunião de hoje, Ana. 😊\\nGostaria de marcar o próximo encontro?\\n\\n✅ Sim, quero marcar\\n❌ Não, obrigado" });
let started = 0, done = 0, failed = 0;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const deadline = t0 + maxMs;
async function lane() {
  while (started < maxRequests && performance.now() < deadline) {
    started++;
    try {
      const res = await pool.request({ path: "/api/messages/send", method: "POST", headers, body });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) done++; else failed++;
    } catch { failed++; }
  }
}
Promise.all(Array.from({ length: concurrency }, lane)).then(async () => {
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await pool.close();
  process.stdout.write(JSON.stringify({ requests: done, failed, ms, rate: done / (ms / 1000), cpuMs: (cpu.user + cpu.system) / 1000 }) + "\\n");
});
`;

/**
 * The peer the daemon is measured against: one BullMQ worker process (concurrency \`concurrency\`,
 * Redis on loopback) draining \`jobs\` jobs, each a POST of one message to the same fake through
 * undici's keep-alive Pool (the daemon's kind of client). The jobs are enqueued first (addBulk, as
 * the daemon's rows are due before it starts); the figure is jobs / (worker start → last job
 * completed), and the worker's CPU over that window. Completed jobs are removed (BullMQ's cheapest
 * setting). Redis's own CPU over the same window is read from /proc (reported apart).
 * argv: redisPort url token concurrency jobs redisPid
 */
export const BULLMQ_PEER = `
const { Queue, Worker } = require("bullmq");
const { Pool } = require("undici");
const [redisPort, url, token, concurrencyArg, jobsArg, redisPid] = process.argv.slice(1);
const concurrency = Number(concurrencyArg), jobs = Number(jobsArg);
const redisCpu = () => {
  try {
    const s = require("node:fs").readFileSync("/proc/" + redisPid + "/stat", "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch { return null; }
};
const connection = { host: "127.0.0.1", port: Number(redisPort), maxRetriesPerRequest: null };
const name = "burst" + process.pid;
const text = "Espero que tenha corrido tudo bem na reunião de hoje, Ana. 😊\\nGostaria de marcar o próximo encontro?\\n\\n✅ Sim, quero marcar\\n❌ Não, obrigado";
const headers = { "content-type": "application/json", authorization: "Bearer " + token };
(async () => {
  const queue = new Queue(name, { connection });
  await queue.obliterate({ force: true }).catch(() => {});
  for (let i = 0; i < jobs; i += 1000) {
    const n = Math.min(1000, jobs - i);
    await queue.addBulk(Array.from({ length: n }, (_, k) => ({
      name: "send", data: { number: "55" + String(7100000000 + i + k), body: text }, opts: { removeOnComplete: true, removeOnFail: true, attempts: 1 },
    })));
  }
  const pool = new Pool(new URL(url).origin, { connections: concurrency, pipelining: 1 });
  let done = 0, failed = 0, resolveAll;
  const all = new Promise((r) => (resolveAll = r));
  const cpu0 = process.cpuUsage();
  const redis0 = redisCpu();
  const t0 = performance.now();
  const worker = new Worker(name, async (job) => {
    const res = await pool.request({ path: "/api/messages/send", method: "POST", headers, body: JSON.stringify(job.data) });
    await res.body.dump();
    if (res.statusCode < 200 || res.statusCode >= 300) throw new Error("status " + res.statusCode);
  }, { connection, concurrency });
  worker.on("completed", () => { if (++done + failed === jobs) resolveAll(); });
  worker.on("failed", () => { if (done + ++failed === jobs) resolveAll(); });
  await all;
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const redis1 = redisCpu();
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  await pool.close();
  process.stdout.write(JSON.stringify({ done, failed, ms, rate: done / (ms / 1000), cpuMs: (cpu.user + cpu.system) / 1000,
    redisCpuMs: redis0 === null || redis1 === null ? null : redis1 - redis0 }) + "\\n");
})().catch((err) => { process.stderr.write(String(err && err.stack || err) + "\\n"); process.exit(1); });
`;

/**
 * A node process that loads better-sqlite3, opens the database and reads one row: the memory floor.
 * VmHWM, not resourceUsage().maxRSS: Linux carries ru_maxrss over fork and exec, so a child of a big
 * parent would report the parent's peak.
 * argv: db
 */
export const MEMORY_FLOOR = `
const Database = require("better-sqlite3");
const db = new Database(process.argv[1], { readonly: true });
db.prepare("SELECT count(*) AS n FROM companies").get();
db.close();
const hwm = /^VmHWM:\\s+(\\d+)/m.exec(require("node:fs").readFileSync("/proc/self/status", "utf8"));
process.stdout.write(JSON.stringify({ maxRssKb: hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS }) + "\\n");
`;

/**
 * The same floor for a daemon on PostgreSQL: node, the pg driver, a pool of one connection and one
 * query. The URL comes in BENCH_PG_URL (not argv: it holds a password).
 */
export const MEMORY_FLOOR_PG = `
const { Pool } = require("pg");
const pool = new Pool({ connectionString: process.env.BENCH_PG_URL, max: 1 });
pool.query("SELECT count(*) AS n FROM companies").then(() => pool.end()).then(() => {
  const hwm = /^VmHWM:\\s+(\\d+)/m.exec(require("node:fs").readFileSync("/proc/self/status", "utf8"));
  process.stdout.write(JSON.stringify({ maxRssKb: hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS }) + "\\n");
});
`;

/** Runs a floor script and parses its JSON line; throws with its stderr when it fails. */
export async function runFloor<T>(code: string, args: string[], opts: RunOptions = {}): Promise<{ run: RunResult; out: T }> {
  const run = await runNodeEval(code, args, opts);
  if (run.code !== 0) throw new Error(`baseline script failed (exit ${run.code}): ${run.stderr.slice(-800)}`);
  const line = run.stdout.trim().split("\n").pop() ?? "";
  return { run, out: JSON.parse(line) as T };
}
