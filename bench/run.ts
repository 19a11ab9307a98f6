/**
 * `npm run bench`: the performance figures of secretaria, each measured in one run against a
 * baseline measured in the same run (see bench/README.md for what each one means).
 *
 *   node --import tsx bench/run.ts [--quick] [--reps N] [--only cli,idle,views,metrics,burst,import] [--fresh] [--out FILE]
 *                                  [--pg URL | --no-pg] [--burst-configs 0x20,20x32]
 *
 * Every section runs on SQLite. The burst also runs on PostgreSQL, beside SQLite's: on the server
 * of --pg URL (or $SECRETARIA_BENCH_PG_URL; an admin URL: the run creates its own databases there
 * and drops them), else on a throwaway cluster it starts with scripts/pg-cluster.sh when the
 * PostgreSQL binaries are installed, else it is skipped with a note.
 *
 * Prints progress on stderr, the table on stdout, and writes bench/results.json (--quick:
 * bench/data/results-quick.json). Everything it starts (subprocesses, the fake Whaticket on
 * 127.0.0.1, a throwaway PostgreSQL cluster, databases on a given server) is stopped and its temp
 * files removed, also on Ctrl-C.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { isUserError } from "../src/errors.js";
import { FakeWhaticket } from "../src/gateway/fake-whaticket.js";
import { lastLocalDays } from "../src/domain/local-days.js";
import { listCompanies } from "../src/store/companies.js";
import { followupPageSql, STATUS_FILTER_STATES } from "../src/store/followup-queries.js";
import { METRICS_SQL } from "../src/store/metrics-queries.js";
import { openStore } from "../src/store/open.js";
import { DAILY_COUNTS_SQL, STATE_COUNTS_SQL } from "../src/store/stats.js";
import { bySql, type Q } from "../src/store/store.js";
import { BULLMQ_PEER, HTTP_FLOOR, IMPORT_FLOOR, UNDICI_FLOOR, MEMORY_FLOOR, MEMORY_FLOOR_PG, NODE_ZERO, SQL_FLOOR, runFloor, type SqlStep } from "./lib/baselines.js";
import { startDaemon, stopDaemon } from "./lib/daemon-process.js";
import { DATA_DIR, addDueFollowups, cachedAgenda, copyDb, emptyDbLike, exportCsv, pgBurstTemplate, removeDb, tickMs, type PgBurstTemplate } from "./lib/datasets.js";
import { measureStorePath } from "./lib/store-path.js";
import { figure, renderTable, summarize, targetText, withTarget, type Figure, type Summary } from "./lib/figures.js";
import { request } from "./lib/http.js";
import { PG_URL_ENV, dbTarget, dropDatabase, dropDatabasesOfThisRun, resolvePgServer, type PgServer } from "./lib/pg.js";
import { REPO_ROOT, childrenCpuMs, killAllStarted, peakRssKb, runCli, runNodeEval, type RunResult } from "./lib/processes.js";
import { startRedis, type RedisServer } from "./lib/redis.js";

/** The business clock of every run: a Wednesday, 12:00 in São Paulo (SECRETARIA_NOW). */
const NOW = new Date("2026-11-25T15:00:00.000Z");
const WHATICKET_TOKEN = "bench-token-not-secret";

const SECTIONS = ["cli", "idle", "views", "metrics", "burst", "import"] as const;
type Section = (typeof SECTIONS)[number];

interface Config {
  quick: boolean;
  big: number;
  small: number;
  burst: number;
  /** Repetitions per kind of measurement (the expensive ones fewer: the whole run must fit in 10 minutes). */
  reps: { cheap: number; metrics: number; burst: number; import: number; importFloor: number; httpFloor: number };
  /** `peer`: a BullMQ worker (Redis on loopback) drains the same burst, interleaved with the daemon's runs. */
  burstConfigs: { latencyMs: number; concurrency: number; reps?: number; peer?: boolean }[];
  /** The run stops adding optional repetitions (the second 1M import) past this many seconds. */
  budgetSeconds: number;
}

function config(quick: boolean, reps: number | undefined): Config {
  const r = (n: number) => reps ?? n;
  // 20 ms × 8 is bound by latency (20,000 / 400 per s = 50 s a run): one run of it keeps the whole bench under 10 minutes.
  // 0 ms × 20 is the comparison with BullMQ (its worker at concurrency 20): one more repetition, it is the headline.
  const burstConfigs = [
    { latencyMs: 0, concurrency: 20, peer: true, reps: quick ? undefined : r(3) },
    { latencyMs: 0, concurrency: 8 },
    { latencyMs: 0, concurrency: 32 },
    { latencyMs: 20, concurrency: 8, reps: quick || reps !== undefined ? undefined : 1 },
    { latencyMs: 20, concurrency: 32 },
  ];
  return quick
    ? { quick, big: 20_000, small: 2_000, burst: 2_000, reps: { cheap: r(3), metrics: r(2), burst: r(1), import: r(1), importFloor: r(1), httpFloor: r(1) }, burstConfigs, budgetSeconds: 540 }
    : { quick, big: 1_000_000, small: 10_000, burst: 20_000, reps: { cheap: r(5), metrics: r(3), burst: r(2), import: r(2), importFloor: r(3), httpFloor: r(3) }, burstConfigs, budgetSeconds: 540 };
}

const started = performance.now();
/** Set by the first SIGINT/SIGTERM: the cleanup runs, then the process exits 130. */
let interrupted = false;
function progress(msg: string): void {
  const s = Math.round((performance.now() - started) / 1000);
  process.stderr.write(`[${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}] ${msg}\n`);
}

const count = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));
const mib = (kb: number) => kb / 1024;

function ok(r: RunResult, what: string): RunResult {
  if (r.code !== 0) throw new Error(`${what} exited ${r.signal ?? r.code}: ${r.stderr.slice(-800)}`);
  return r;
}

/** Runs each job `reps` times, interleaved (a, b, c, a, b, c, …) so drift hits every job alike; one unmeasured warm-up each first. */
async function interleave<K extends string>(reps: number, jobs: Record<K, () => Promise<number>>, warmup = true): Promise<Record<K, Summary>> {
  const keys = Object.keys(jobs) as K[];
  const samples = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  if (warmup) for (const k of keys) await jobs[k]();
  for (let i = 0; i < reps; i++) for (const k of keys) samples[k].push(await jobs[k]());
  return Object.fromEntries(keys.map((k) => [k, summarize(samples[k])])) as Record<K, Summary>;
}

interface Context {
  cfg: Config;
  tmp: string;
  /** Read-mostly copy of the big agenda (views, idle tick, CLI start, /metrics). */
  bigDb: string;
  smallDb: string;
  /** The cached original, copied for runs that write. */
  bigSource: string;
  figures: Figure[];
  env: Record<string, string>;
  fake: FakeWhaticket | null;
  /** Measured with /metrics, reused by the burst's memory figures. */
  memoryFloor?: { label: string; unit: "MiB"; value: Summary };
  /** The PostgreSQL server the burst also runs on; null when skipped (`pgSkipped` says why). */
  pg: PgServer | null;
  pgSkipped?: string;
  /** The burst's PostgreSQL template database, while it exists (dropped by the section, or by the cleanup). */
  pgTemplate?: PgBurstTemplate | null;
  /** What the PostgreSQL part took to prepare, for results.json. */
  pgFacts: Record<string, unknown>;
  /** The redis-server of the BullMQ peer, while it runs. */
  redis?: RedisServer | null;
  /** What the BullMQ peer ran on, or why it was skipped, for results.json. */
  peerFacts: Record<string, unknown>;
}

// ── CLI start ───────────────────────────────────────────────────────────────────────────────

async function benchCli(ctx: Context): Promise<void> {
  progress(`CLI start: node -e 0, secretaria --help, followups list --limit 1 (${count(ctx.cfg.big)} rows) × ${ctx.cfg.reps.cheap}`);
  const s = await interleave(ctx.cfg.reps.cheap, {
    node: async () => ok(await runNodeEval(NODE_ZERO), "node -e 0").ms,
    help: async () => ok(await runCli(["--help"], { env: ctx.env }), "secretaria --help").ms,
    list: async () => ok(await runCli(["--db", ctx.bigDb, "followups", "list", "--limit", "1"], { env: ctx.env }), "followups list --limit 1").ms,
  });
  const base = { label: "node -e 0", unit: "ms" as const, value: s.node };
  ctx.figures.push(
    figure({ id: "cli.help", section: "CLI start", label: "secretaria --help", unit: "ms", value: s.help, baseline: base }),
    figure({ id: "cli.list1", section: "CLI start", label: `followups list --limit 1 (${count(ctx.cfg.big)})`, unit: "ms", value: s.list, baseline: base }),
  );
}

// ── Idle tick ───────────────────────────────────────────────────────────────────────────────

/** A cron schedule that never fires while the bench runs (January 1st, 00:00): a serving daemon then ticks once, at its start. */
const NEVER = "0 0 1 1 *";

/** Polls /healthz until the daemon's first tick has finished ("ok"). */
async function waitHealthy(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = await request(`${url}/healthz`);
    if (h.status === 200 && /"status":"ok"/.test(h.body)) return;
    if (Date.now() > deadline) throw new Error(`the daemon did not become healthy: ${h.status} ${h.body.slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The duration of a daemon's first (idle) pass, from its own tick histogram
 * (secretaria_tick_duration_seconds, 1 ms resolution): a serving daemon that ticks once at start.
 */
async function firstPassMs(ctx: Context, db: string): Promise<number> {
  const d = startDaemon({ db, env: ctx.env, args: ["--schedule", NEVER] });
  try {
    const url = await d.ready();
    await waitHealthy(url);
    const m = await request(`${url}/metrics`, { timeoutMs: 60_000 });
    const sum = /^secretaria_tick_duration_seconds_sum\{result="ok"\} (\S+)$/m.exec(m.body);
    const n = /^secretaria_tick_duration_seconds_count\{result="ok"\} (\S+)$/m.exec(m.body);
    if (!sum || !n || Number(n[1]) !== 1) throw new Error(`/metrics has no single ok tick: ${m.body.split("\n").filter((l) => l.includes("tick_duration_seconds_")).join("; ").slice(0, 400)}`);
    const attempts = [...m.body.matchAll(/^secretaria_followup_send_attempts_total\{[^}]*\} (\S+)$/gm)].reduce((n, a) => n + Number(a[1]), 0);
    if (attempts) throw new Error(`the idle daemon tried ${attempts} sends: nothing should be due`);
    return Number(sum[1]) * 1000;
  } finally {
    await stopDaemon(d);
  }
}

async function benchIdle(ctx: Context): Promise<void> {
  const { small, big } = ctx.cfg;
  const reps = ctx.cfg.reps.cheap;
  progress(`idle tick: daemon --once with nothing due, ${count(small)} vs ${count(big)} appointments × ${reps}; the pass itself from a serving daemon's tick histogram × ${reps}`);
  const once = async (which: "small" | "big") => {
    const db = which === "small" ? ctx.smallDb : ctx.bigDb;
    const r = ok(await runCli(["--db", db, "daemon", "--once"], { env: ctx.env }), `daemon --once (${which})`);
    if (!/sent=0\b/.test(r.stderr)) throw new Error(`daemon --once on the ${which} agenda sent something: nothing should be due (${r.stderr.slice(-300)})`);
    return r.ms;
  };
  const s = await interleave(reps, { small: () => once("small"), big: () => once("big") });
  const pass = await interleave(reps, { small: () => firstPassMs(ctx, ctx.smallDb), big: () => firstPassMs(ctx, ctx.bigDb) });
  ctx.figures.push(
    figure({
      id: "idle.once_wall", section: "idle tick", label: `daemon --once, nothing due, ${count(big)}`, unit: "ms", value: s.big,
      baseline: { label: count(small), unit: "ms", value: s.small }, note: "whole process (start, open, tick, close): flat means the due scan is an index seek",
    }),
    figure({
      id: "idle.pass", section: "idle tick", label: `the pass itself (tick histogram), ${count(big)}`, unit: "ms", value: pass.big,
      baseline: { label: count(small), unit: "ms", value: pass.small },
    }),
  );
}

// ── Views ───────────────────────────────────────────────────────────────────────────────────

function listSteps(q: Q): SqlStep[] {
  const { sql, countSql, params } = followupPageSql(q, { statuses: STATUS_FILTER_STATES.pending, sort: "-end", limit: 50, offset: 0 });
  const countParams = { ...params };
  delete countParams.limit;
  delete countParams.offset;
  return [
    { sql: "SELECT * FROM companies ORDER BY id" },
    { sql, params },
    { sql: countSql, params: countParams, mode: "get" },
  ];
}

/** The SQL `followups list --status pending --limit 50` and `stats` run, taken from the store's builders. */
async function viewSteps(dbPath: string): Promise<{ list: SqlStep[]; stats: SqlStep[] }> {
  const db = await openStore(dbPath, { readonly: true });
  try {
    return { list: listSteps(db), stats: await statsSteps(db) };
  } finally {
    await db.close();
  }
}

async function statsSteps(db: Q): Promise<SqlStep[]> {
  const days: { company_id: string; date: string; start: string; stop: string }[] = [];
  const windows: { company_id: string; start: string; stop: string }[] = [];
  for (const c of await listCompanies(db)) {
    const local = lastLocalDays(NOW, 30, c.timezone);
    for (const d of local) days.push({ company_id: c.id, ...d });
    windows.push({ company_id: c.id, start: local[0]!.start, stop: local[local.length - 1]!.stop });
  }
  return [
    { sql: "SELECT * FROM companies ORDER BY id" },
    { sql: bySql(db, DAILY_COUNTS_SQL), params: { days: JSON.stringify(days) } },
    { sql: bySql(db, STATE_COUNTS_SQL), params: { windows: JSON.stringify(windows) } },
  ];
}

async function benchViews(ctx: Context): Promise<void> {
  const n = count(ctx.cfg.big);
  progress(`views on ${n}: followups list --status pending --limit 50, stats, and their bare SQL × ${ctx.cfg.reps.cheap}`);
  const { list, stats } = await viewSteps(ctx.bigDb);
  const sqlMs: Record<"list" | "stats", number[]> = { list: [], stats: [] };
  const floor = async (which: "list" | "stats", steps: SqlStep[]) => {
    const { run, out } = await runFloor<{ sqlMs: number }>(SQL_FLOOR, [ctx.bigDb, JSON.stringify(steps)]);
    sqlMs[which].push(out.sqlMs);
    return run.ms;
  };
  const s = await interleave(ctx.cfg.reps.cheap, {
    list: async () => ok(await runCli(["--db", ctx.bigDb, "followups", "list", "--status", "pending", "--limit", "50"], { env: ctx.env }), "followups list").ms,
    listFloor: () => floor("list", list),
    stats: async () => ok(await runCli(["--db", ctx.bigDb, "stats"], { env: ctx.env }), "stats").ms,
    statsFloor: () => floor("stats", stats),
  });
  const reps = ctx.cfg.reps.cheap;
  const inProcess = (v: number[]) => summarize(v.slice(-reps)).median.toFixed(1);
  ctx.figures.push(
    figure({
      id: "views.list_pending", section: "views", label: `followups list --status pending --limit 50 (${n})`, unit: "ms", value: s.list,
      baseline: { label: "node -e, bare SQL", unit: "ms", value: s.listFloor }, note: `the SQL alone, in process: ${inProcess(sqlMs.list)} ms (median)`,
    }),
    figure({
      id: "views.stats", section: "views", label: `stats, 30 days (${n})`, unit: "ms", value: s.stats,
      baseline: { label: "node -e, bare SQL", unit: "ms", value: s.statsFloor }, note: `the SQL alone, in process: ${inProcess(sqlMs.stats)} ms (median)`,
    }),
  );
}

// ── /metrics and idle memory ────────────────────────────────────────────────────────────────

/** The SQL of a first scrape (METRICS_SQL, from the store): the counters, the states, the companies, the ping. */
function scrapeSteps(): SqlStep[] {
  return [
    { sql: METRICS_SQL.companyPauses },
    { sql: METRICS_SQL.followupCounters },
    { sql: METRICS_SQL.stateCounts },
    { sql: METRICS_SQL.ping, mode: "get" },
  ];
}

async function benchMetrics(ctx: Context): Promise<void> {
  const n = count(ctx.cfg.big);
  const reps = ctx.cfg.reps.metrics;
  progress(`/metrics on ${n}: daemon started ${reps} times, a first (cold) scrape and 5 later ones each; idle memory`);
  const cold: number[] = [];
  const warm: number[] = [];
  const idleRss: number[] = [];
  const afterScrapeRss: number[] = [];
  for (let i = 0; i < reps; i++) {
    const d = startDaemon({ db: ctx.bigDb, env: ctx.env });
    try {
      const url = await d.ready();
      // Healthy = the first tick (the idle pass) has finished.
      await waitHealthy(url);
      await new Promise((r) => setTimeout(r, 300));
      const idle = peakRssKb(d.pid);
      if (idle !== null) idleRss.push(mib(idle));
      const first = await request(`${url}/metrics`, { timeoutMs: 60_000 });
      if (first.status !== 200 || !first.body.includes("secretaria_appointment_followups_sent_total")) {
        throw new Error(`/metrics answered ${first.status}: ${first.body.slice(0, 300)}`);
      }
      cold.push(first.ms);
      for (let k = 0; k < 5; k++) warm.push((await request(`${url}/metrics`, { timeoutMs: 60_000 })).ms);
      const after = peakRssKb(d.pid);
      if (after !== null) afterScrapeRss.push(mib(after));
    } finally {
      await stopDaemon(d);
    }
  }
  const steps = scrapeSteps();
  const sqlMs: number[] = [];
  const floorRss: number[] = [];
  for (let i = 0; i < reps + 1; i++) {
    const { out } = await runFloor<{ sqlMs: number }>(SQL_FLOOR, [ctx.bigDb, JSON.stringify(steps)]);
    if (i > 0) sqlMs.push(out.sqlMs); // the first run warms the page cache
    const m = await runFloor<{ maxRssKb: number }>(MEMORY_FLOOR, [ctx.bigDb]);
    floorRss.push(mib(m.out.maxRssKb));
  }
  const sqlFloor = { label: "bare SQL of a scrape, in process", unit: "ms" as const, value: summarize(sqlMs) };
  const memFloor = { label: "node + better-sqlite3, one query", unit: "MiB" as const, value: summarize(floorRss) };
  ctx.figures.push(
    figure({ id: "metrics.cold", section: "views", label: `GET /metrics, first scrape after start (${n})`, unit: "ms", value: summarize(cold), baseline: sqlFloor }),
    figure({
      id: "metrics.warm", section: "views", label: `GET /metrics, later scrapes (${n})`, unit: "ms", value: summarize(warm), baseline: sqlFloor,
      note: "later scrapes reuse the state counts for 10 s (the counters are one small table, followup_counters): below the floor of a full recount",
    }),
  );
  if (idleRss.length) {
    ctx.figures.push(figure({ id: "memory.idle", section: "memory", label: `daemon peak RSS, idle after its first tick (${n})`, unit: "MiB", value: summarize(idleRss), baseline: memFloor }));
  }
  if (afterScrapeRss.length) {
    ctx.figures.push(figure({ id: "memory.after_scrapes", section: "memory", label: `daemon peak RSS, after 6 scrapes (${n})`, unit: "MiB", value: summarize(afterScrapeRss), baseline: memFloor }));
  }
  ctx.memoryFloor = memFloor;
}

// ── Burst ───────────────────────────────────────────────────────────────────────────────────

type Engine = "sqlite" | "postgres";
const ENGINE_NAME: Record<Engine, string> = { sqlite: "SQLite", postgres: "PostgreSQL" };

/**
 * One `daemon --once --rate-limit 0` draining the burst on `db` (a file, or a database URL);
 * throughput = rows / the pass's own duration (the daemon's `tick` line).
 */
async function drainOnce(ctx: Context, fake: FakeWhaticket, db: string, concurrency: number, what: string): Promise<{ rate: number; rssKb: number | null; cpuPerMsg: number | null; fakeCpuPerMsg: number }> {
  const { burst } = ctx.cfg;
  const target = dbTarget(db);
  const before = fake.deliveredCount;
  // The daemon's CPU (user + sys, whole process: start, open, the pass, close) from this process's
  // reaped children's times: nothing else of ours runs while it does (the fake is in process).
  const cpu0 = childrenCpuMs();
  // The fake gateway's CPU: this process's own while the daemon runs (it does little else meanwhile).
  const own0 = process.cpuUsage();
  const r = ok(
    await runCli([...target.args, "daemon", "--once", "--concurrency", String(concurrency), "--rate-limit", "0"], {
      env: { ...ctx.env, ...target.env }, sampleRss: true, timeoutMs: 10 * 60_000,
    }),
    `daemon --once burst (${what})`,
  );
  const delivered = fake.deliveredCount - before;
  if (delivered !== burst) throw new Error(`burst (${what}): the fake took ${delivered} messages, expected ${burst}; ${r.stderr.slice(-500)}`);
  const own = process.cpuUsage(own0);
  const cpu1 = childrenCpuMs();
  const cpuPerMsg = cpu0 !== null && cpu1 !== null ? (cpu1 - cpu0) / burst : null;
  const seconds = (tickMs(r.stderr) ?? r.ms) / 1000;
  progress(`  ${what}: ${Math.round(burst / seconds)} msg/s (pass ${seconds.toFixed(1)} s, process ${(r.ms / 1000).toFixed(1)} s${cpuPerMsg === null ? "" : `, CPU ${cpuPerMsg.toFixed(3)} ms/msg`})`);
  return { rate: burst / seconds, rssKb: r.peakRssKb, cpuPerMsg, fakeCpuPerMsg: (own.user + own.system) / 1000 / burst };
}

/** The BullMQ peer's redis-server (Debian's package, installed when missing); null with a printed note when it cannot run. */
async function startPeerRedis(ctx: Context): Promise<RedisServer | null> {
  const r = await startRedis(progress);
  if ("skipped" in r) {
    ctx.peerFacts.skipped = r.skipped;
    progress(`NOTE: the BullMQ comparison is skipped: ${r.skipped}`);
    return null;
  }
  ctx.redis = r;
  ctx.peerFacts = { redis: r.version, bullmq: bullmqVersion(), server: "127.0.0.1, no RDB/AOF, temp dir", jobs_enqueued_before_the_worker_starts: true };
  progress(`redis-server ${r.version} on 127.0.0.1:${r.port} (no persistence) for the BullMQ peer`);
  return r;
}

function bullmqVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", "bullmq", "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

/**
 * The write path alone (claim + record as sent, no HTTP), SQLite: bytes written and CPU per sent
 * follow-up with the group commit's transactions (40 claimed, 25 per outcome transaction, about what
 * the daemon commits at concurrency 20) against a transaction per outcome. Bytes written do not
 * depend on the machine's load, so they compare across runs and machines.
 */
async function storePathFigures(ctx: Context, template: string): Promise<{ cpuMsPerRow: number; bestCpuMsPerRow: number; bestRowsPerTx: number }> {
  const copy = join(ctx.tmp, "store-path.db");
  const once = async (group: number, claim = 40) => {
    copyDb(template, copy);
    try {
      return await measureStorePath(copy, NOW, { claim, group });
    } finally {
      removeDb(copy);
    }
  };
  progress("store path (claim + record as sent, no HTTP, SQLite): a transaction per outcome, then groups of 25");
  const single = await once(1);
  const grouped = await once(25);
  // The store's best case, for the CPU budget: 256 claimed and recorded per transaction (a crash window far wider than the daemon's).
  const best = await once(256, 256);
  progress(`  ${single.kbPerRow?.toFixed(1) ?? "?"} → ${grouped.kbPerRow?.toFixed(1) ?? "?"} KiB written per message; CPU ${single.cpuMsPerRow.toFixed(3)} → ${grouped.cpuMsPerRow.toFixed(3)} ms/msg`);
  if (single.kbPerRow !== null && grouped.kbPerRow !== null) {
    ctx.figures.push(
      figure({
        id: "store.sqlite.kib_per_msg", section: "store", engine: "sqlite", label: "bytes written per sent follow-up, claim 40, groups of 25, SQLite", unit: "KiB/msg",
        value: summarize([grouped.kbPerRow]), baseline: { label: "the same, a transaction per outcome", unit: "KiB/msg", value: summarize([single.kbPerRow]) },
        note: `CPU of the store path alone: ${grouped.cpuMsPerRow.toFixed(3)} ms/msg (a transaction per outcome: ${single.cpuMsPerRow.toFixed(3)}); ${grouped.rowsPerTx.toFixed(1)} rows per transaction`,
      }),
    );
  }
  return { cpuMsPerRow: grouped.cpuMsPerRow, bestCpuMsPerRow: best.cpuMsPerRow, bestRowsPerTx: best.rowsPerTx };
}

async function benchBurst(ctx: Context): Promise<void> {
  const { burst, big } = ctx.cfg;
  const fake = new FakeWhaticket({ record: false, token: WHATICKET_TOKEN });
  ctx.fake = fake;
  const url = await fake.start();
  progress(`burst: preparing ${count(burst)} due follow-ups in a copy of the ${count(big)} agenda`);
  const template = join(ctx.tmp, "burst-template.db");
  copyDb(ctx.bigSource, template);
  await addDueFollowups(template, burst, NOW, url);
  const run = join(ctx.tmp, "burst-run.db");
  const pg = ctx.pg;
  let pgTemplate: PgBurstTemplate | null = null;
  if (pg) {
    progress(`burst on PostgreSQL ${pg.version} at ${pg.display}: generating the ${count(big)} agenda and ${count(burst)} due follow-ups into a template database`);
    let last = 0;
    pgTemplate = await pgBurstTemplate(pg, {
      appointments: big, burst, now: NOW, whaticketUrl: url,
      onProgress: (done, all) => {
        if (done - last >= all / 5 || done === all) {
          last = done;
          progress(`  PostgreSQL agenda: ${count(done)}`);
        }
      },
    });
    ctx.pgTemplate = pgTemplate;
    ctx.pgFacts.generate_seconds = Math.round(pgTemplate.generateMs / 100) / 10;
    progress(`  PostgreSQL template ready (agenda generated in ${(pgTemplate.generateMs / 1000).toFixed(1)} s); each run works on a CREATE DATABASE … TEMPLATE copy`);
  }
  const storePath = await storePathFigures(ctx, template);
  const engines: Engine[] = pgTemplate ? ["sqlite", "postgres"] : ["sqlite"];
  const memory: { engine: Engine; tag: string; value: number[] }[] = [];
  const copyMs: number[] = [];

  /** One run on a fresh copy of the engine's template. */
  const drain = async (engine: Engine, concurrency: number, what: string) => {
    if (engine === "sqlite") {
      copyDb(template, run);
      try {
        return await drainOnce(ctx, fake, run, concurrency, what);
      } finally {
        removeDb(run);
      }
    }
    const t0 = performance.now();
    const copy = await pgTemplate!.copy();
    copyMs.push(performance.now() - t0);
    try {
      return await drainOnce(ctx, fake, copy.url, concurrency, what);
    } finally {
      await dropDatabase(pg!, copy.name);
    }
  };

  const redis = ctx.cfg.burstConfigs.some((c) => c.peer) ? await startPeerRedis(ctx) : null;
  /** One BullMQ worker process draining the burst through the same fake (see BULLMQ_PEER). */
  const peerOnce = async (concurrency: number, what: string) => {
    const before = fake.deliveredCount;
    const own0 = process.cpuUsage();
    const { out } = await runFloor<{ done: number; failed: number; rate: number; cpuMs: number; redisCpuMs: number | null }>(BULLMQ_PEER, [String(redis!.port), url, WHATICKET_TOKEN, String(concurrency), String(burst), String(redis!.pid)], { timeoutMs: 10 * 60_000 });
    const delivered = fake.deliveredCount - before;
    if (out.failed || delivered !== burst) throw new Error(`BullMQ peer (${what}): ${out.done} done, ${out.failed} failed, the fake took ${delivered}, expected ${burst}`);
    const own = process.cpuUsage(own0);
    const redisCpuPerMsg = out.redisCpuMs === null ? null : out.redisCpuMs / burst;
    progress(`  ${what}: ${Math.round(out.rate)} jobs/s, worker CPU ${(out.cpuMs / burst).toFixed(3)} ms/job${redisCpuPerMsg === null ? "" : `, Redis ${redisCpuPerMsg.toFixed(3)}`}`);
    return { rate: out.rate, cpuPerMsg: out.cpuMs / burst, redisCpuPerMsg, fakeCpuPerMsg: (own.user + own.system) / 1000 / burst };
  };

  for (const c of ctx.cfg.burstConfigs) {
    const { latencyMs, concurrency } = c;
    const reps = c.reps ?? ctx.cfg.reps.burst;
    const peer = c.peer && redis !== null;
    fake.setLatency(latencyMs);
    const tag = `${latencyMs} ms, concurrency ${concurrency}`;
    progress(`burst ${tag}: bare HTTP clients (node:http, undici) × ${ctx.cfg.reps.httpFloor}, daemon --once × ${reps}${pgTemplate ? " on each engine" : ""}${peer ? ", BullMQ worker" : ""}${pgTemplate || peer ? ", interleaved" : ""}`);
    const floorRates: Record<"http" | "undici", number[]> = { http: [], undici: [] };
    const clientCpu: number[] = [];
    for (let i = 0; i < ctx.cfg.reps.httpFloor + 1; i++) {
      const ms = i === 0 ? "1000" : "2000";
      for (const [kind, code] of [["http", HTTP_FLOOR], ["undici", UNDICI_FLOOR]] as const) {
        const { out } = await runFloor<{ rate: number; failed: number; requests: number; cpuMs?: number }>(code, [url, WHATICKET_TOKEN, String(concurrency), String(burst), ms]);
        if (out.failed) throw new Error(`the bare ${kind} client saw ${out.failed} failures from the fake`);
        if (i > 0) floorRates[kind].push(out.rate); // the first run warms the fake (JIT, sockets)
        if (i > 0 && out.cpuMs !== undefined && out.requests) clientCpu.push(out.cpuMs / out.requests);
      }
    }
    const rates: Record<Engine, number[]> = { sqlite: [], postgres: [] };
    const rss: Record<Engine, number[]> = { sqlite: [], postgres: [] };
    const cpu: Record<Engine, number[]> = { sqlite: [], postgres: [] };
    const peerRates: number[] = [];
    const peerCpu: number[] = [];
    /** CPU per message of what ran beside the daemon or the peer: the fake (this process), Redis. */
    const fakeCpu: number[] = [];
    const peerMachineCpu: number[] = [];
    for (let i = 0; i < reps; i++) {
      for (const engine of engines) {
        const r = await drain(engine, concurrency, `run ${i + 1}, ${ENGINE_NAME[engine]}`);
        rates[engine].push(r.rate);
        if (r.rssKb !== null) rss[engine].push(mib(r.rssKb));
        if (r.cpuPerMsg !== null) cpu[engine].push(r.cpuPerMsg);
        if (engine === "sqlite") fakeCpu.push(r.fakeCpuPerMsg);
      }
      if (peer) {
        const p = await peerOnce(concurrency, `run ${i + 1}, BullMQ worker`);
        peerRates.push(p.rate);
        peerCpu.push(p.cpuPerMsg);
        if (p.redisCpuPerMsg !== null) peerMachineCpu.push(p.cpuPerMsg + p.redisCpuPerMsg + p.fakeCpuPerMsg);
      }
    }
    const undici = summarize(floorRates.undici);
    const floor = { label: `bare undici keep-alive client, ${concurrency} connections`, unit: "msg/s" as const, value: undici };
    const httpNote = `bare node:http keep-alive Agent, ${concurrency} sockets: ${Math.round(summarize(floorRates.http).median)} msg/s (median)`;
    const ideal = latencyMs > 0 ? { label: `concurrency / latency`, unit: "msg/s" as const, value: summarize([(concurrency * 1000) / latencyMs]) } : null;
    const sqliteValue = summarize(rates.sqlite);
    const id = (engine: Engine) => `burst.${engine === "postgres" ? "pg." : ""}${latencyMs}ms.c${concurrency}`;
    for (const engine of engines) {
      const value = summarize(rates[engine]);
      ctx.figures.push(
        figure({
          id: `${id(engine)}.vs_fake`, section: "burst", engine, label: `${count(burst)} follow-ups, ${tag}, ${ENGINE_NAME[engine]}`, unit: "msg/s", value, baseline: floor,
          note: engine === "postgres" ? `PostgreSQL / SQLite (medians, same run): ${(value.median / sqliteValue.median).toFixed(2)}×` : httpNote,
        }),
      );
      if (peer && peerRates.length) {
        const f = figure({
          id: `${id(engine)}.vs_bullmq`, section: "burst", engine, label: `  same, ${ENGINE_NAME[engine]}, vs BullMQ`, unit: "msg/s", value,
          baseline: { label: `BullMQ worker, concurrency ${concurrency}, Redis ${redis!.version} on loopback`, unit: "msg/s", value: summarize(peerRates) },
        });
        ctx.figures.push(engine === "sqlite" ? withTarget(f, "ratio", ">=", 1.5) : f);
      }
    }
    if (ideal) {
      for (const engine of engines) {
        const f = figure({ id: `${id(engine)}.vs_ideal`, section: "burst", engine, label: `  same, ${ENGINE_NAME[engine]}, vs the ideal bound`, unit: "msg/s", value: summarize(rates[engine]), baseline: ideal });
        ctx.figures.push(concurrency === 32 && latencyMs === 20 ? withTarget(f, "ratio", ">=", 0.9) : f);
      }
      ctx.figures.push(figure({ id: `burst.${latencyMs}ms.c${concurrency}.undici.vs_ideal`, section: "burst", label: `  bare undici client, ${concurrency} connections, vs the ideal bound`, unit: "msg/s", value: undici, baseline: ideal }));
    }
    for (const engine of engines) {
      if (!cpu[engine].length) continue;
      const f = figure({
        id: `cpu.${engine === "postgres" ? "pg." : ""}${latencyMs}ms.c${concurrency}`, section: "CPU", engine,
        label: `daemon CPU per message, ${tag}, ${ENGINE_NAME[engine]}`, unit: "ms/msg", value: summarize(cpu[engine]),
        baseline: peer && peerCpu.length ? { label: "BullMQ worker CPU per job (the drain only; Redis not counted)", unit: "ms/msg", value: summarize(peerCpu) } : undefined,
        note: `user + sys of the whole daemon process (start, open, the pass, close) / messages${engine === "postgres" ? "; the server's CPU is not counted" : ""}`,
      });
      ctx.figures.push(engine === "sqlite" && peer ? withTarget(f, "value", "<=", 0.3) : f);
    }
    if (peer && peerRates.length && cpu.sqlite.length && clientCpu.length) {
      ctx.figures.push(cpuBudgetFigure({
        tag, concurrency, latencyMs, peerRate: summarize(peerRates).median, fake: summarize(fakeCpu).median, client: summarize(clientCpu).median,
        store: storePath.cpuMsPerRow, storeBest: storePath.bestCpuMsPerRow, storeBestRows: storePath.bestRowsPerTx, daemon: summarize(cpu.sqlite).median, peerMachine: peerMachineCpu.length ? summarize(peerMachineCpu).median : null,
      }));
    }
    for (const engine of engines) if (rss[engine].length) memory.push({ engine, tag, value: rss[engine] });
  }
  if (redis) {
    await redis.stop();
    ctx.redis = null;
  }
  removeDb(template);
  const memFloor = ctx.memoryFloor ?? { label: "node + better-sqlite3, one query", unit: "MiB" as const, value: summarize([mib((await runFloor<{ maxRssKb: number }>(MEMORY_FLOOR, [ctx.bigDb])).out.maxRssKb)]) };
  let pgMemFloor: typeof memFloor | null = null;
  if (pgTemplate) {
    const floorRss: number[] = [];
    for (let i = 0; i < ctx.cfg.reps.metrics; i++) {
      const m = await runFloor<{ maxRssKb: number }>(MEMORY_FLOOR_PG, [], { env: { BENCH_PG_URL: pgTemplate.url } });
      floorRss.push(mib(m.out.maxRssKb));
    }
    pgMemFloor = { label: "node + pg, one query", unit: "MiB", value: summarize(floorRss) };
    ctx.pgFacts.copy_seconds_median = Math.round(summarize(copyMs).median / 100) / 10;
    await pgTemplate.drop();
    ctx.pgTemplate = null;
  }
  for (const m of memory) {
    const pgRow = m.engine === "postgres";
    ctx.figures.push(
      figure({
        id: `memory.burst.${pgRow ? "pg." : ""}${m.tag.replace(/\D+/g, "_")}`, section: "memory", engine: m.engine,
        label: `daemon peak RSS during the burst, ${m.tag}${pgRow ? ", PostgreSQL (the daemon process only)" : ""}`, unit: "MiB",
        value: summarize(m.value), baseline: pgRow ? pgMemFloor! : memFloor,
      }),
    );
  }
  await fake.stop();
  ctx.fake = null;
}

/**
 * Whether 1.5× BullMQ's rate fits this machine at all. Every process of a burst shares its cores,
 * so at that rate each message may cost at most cores / (1.5 × BullMQ's rate) of CPU, all processes
 * together. Three parts of that no daemon can skip, each measured in this run: the fake gateway
 * answering (this process, while the daemon runs), a bare undici client posting (the HTTP floor's own
 * CPU), and SQLite's claim + record as sent (the store path, no HTTP). Their sum against the budget
 * says how much is left for everything else a daemon does (scheduling, message text, logging, GC,
 * handing rows between threads).
 */
function cpuBudgetFigure(m: {
  tag: string; concurrency: number; latencyMs: number; peerRate: number; fake: number; client: number;
  store: number; storeBest: number; storeBestRows: number; daemon: number; peerMachine: number | null;
}): Figure {
  const cores = availableParallelism();
  const budget = (cores * 1000) / (1.5 * m.peerRate);
  const floor = m.fake + m.client + m.storeBest;
  const ms = (v: number) => v.toFixed(3);
  const pct = (v: number) => `${Math.round((100 * v) / budget)}%`;
  const note = `budget ${ms(budget)} ms = ${cores} cores / (1.5 × ${Math.round(m.peerRate)} msg/s); floors: fake gateway ${ms(m.fake)} + bare undici client ${ms(m.client)} `
    + `+ SQLite claim and record in ${Math.round(m.storeBestRows)}-row transactions ${ms(m.storeBest)} = ${ms(floor)} (${pct(floor)} of the budget; `
    + `with the daemon's group size, ${ms(m.store)}: ${pct(m.fake + m.client + m.store)}); left for everything else a daemon does: ${ms(Math.max(0, budget - floor))}; `
    + `the daemon's measured CPU ${ms(m.daemon)} + the fake = ${ms(m.daemon + m.fake)}${m.peerMachine === null ? "" : `; BullMQ worker + Redis + the fake: ${ms(m.peerMachine)}`}`;
  progress(`  CPU budget at 1.5× BullMQ, ${m.tag}: ${note}`);
  return figure({
    id: `cpu.budget.${m.latencyMs}ms.c${m.concurrency}`, section: "CPU", engine: "sqlite",
    label: `CPU per message of the parts no daemon can skip, ${m.tag}, SQLite`, unit: "ms/msg", value: summarize([floor]),
    baseline: { label: "the whole machine's CPU per message at 1.5× BullMQ's rate", unit: "ms/msg", value: summarize([budget]) },
    note,
  });
}

// ── Import ──────────────────────────────────────────────────────────────────────────────────

async function benchImport(ctx: Context): Promise<void> {
  const n = count(ctx.cfg.big);
  progress(`import: writing the ${n}-row CSV`);
  const csv = join(ctx.tmp, "agenda.csv");
  const rows = await exportCsv(ctx.bigSource, csv);
  const template = join(ctx.tmp, "import-template.db");
  await emptyDbLike(ctx.bigSource, template, NOW);
  const target = join(ctx.tmp, "import-run.db");
  const importMs: number[] = [];
  const floorMs: number[] = [];
  const rss: number[] = [];
  const total = Math.max(ctx.cfg.reps.import, ctx.cfg.reps.importFloor);
  for (let i = 0; i < total; i++) {
    if (i < ctx.cfg.reps.importFloor) {
      copyDb(template, target);
      const { run, out } = await runFloor<{ rows: number }>(IMPORT_FLOOR, [target, csv], { timeoutMs: 10 * 60_000 });
      if (out.rows !== rows) throw new Error(`the import floor inserted ${out.rows} rows, expected ${rows}`);
      floorMs.push(run.ms);
      progress(`  bare insert ${i + 1}: ${(run.ms / 1000).toFixed(1)} s`);
    }
    if (i < ctx.cfg.reps.import) {
      const elapsed = (performance.now() - started) / 1000;
      const last = importMs[importMs.length - 1];
      if (last !== undefined && elapsed + last / 1000 > ctx.cfg.budgetSeconds) {
        progress(`  skipping import run ${i + 1}: it would end past the ${ctx.cfg.budgetSeconds} s budget`);
        continue;
      }
      copyDb(template, target);
      const r = ok(await runCli(["--db", target, "appointments", "import", csv], { env: ctx.env, sampleRss: true, timeoutMs: 10 * 60_000 }), "appointments import");
      // The generated agenda has a few rows with the same company, phone and start: the import links
      // them to the first (one appointment, issue 13) instead of inserting them. Every row is one or the other.
      const inserted = Number(/(\d+) inserted/.exec(r.stdout)?.[1] ?? NaN);
      const linked = Number(/(\d+) linked to existing/.exec(r.stdout)?.[1] ?? 0);
      if (inserted + linked !== rows) throw new Error(`appointments import did not take ${rows} rows: ${r.stdout.slice(0, 300)}`);
      importMs.push(r.ms);
      if (r.peakRssKb !== null) rss.push(mib(r.peakRssKb));
      progress(`  secretaria appointments import ${i + 1}: ${(r.ms / 1000).toFixed(1)} s`);
    }
  }
  removeDb(target);
  removeDb(template);
  rmSync(csv, { force: true });
  const value = summarize(importMs.map((ms) => ms / 1000));
  ctx.figures.push(
    figure({
      id: "import.csv", section: "import", label: `appointments import, ${n} CSV rows`, unit: "s", value,
      baseline: { label: "bare prepared insert, one transaction", unit: "s", value: summarize(floorMs.map((ms) => ms / 1000)) },
      note: `${Math.round(rows / value.median).toLocaleString("en")} rows/s; peak RSS ${rss.length ? Math.round(summarize(rss).median) : "?"} MiB`,
    }),
  );
}

// ── main ────────────────────────────────────────────────────────────────────────────────────

/** A wrong option: one line and exit 2, no stack. */
class UsageError extends Error {}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      reps: { type: "string" },
      only: { type: "string" },
      fresh: { type: "boolean", default: false },
      out: { type: "string" },
      pg: { type: "string" },
      "no-pg": { type: "boolean", default: false },
      "burst-configs": { type: "string" },
    },
  });
  const reps = values.reps === undefined ? undefined : Number(values.reps);
  if (reps !== undefined && !(Number.isInteger(reps) && reps >= 1 && reps <= 20)) throw new UsageError(`--reps must be a whole number from 1 to 20 (got "${values.reps}")`);
  const only = values.only ? (values.only.split(",").map((s) => s.trim()) as Section[]) : [...SECTIONS];
  for (const s of only) if (!SECTIONS.includes(s)) throw new UsageError(`--only: unknown section "${s}" (use ${SECTIONS.join(", ")})`);
  if (values.pg !== undefined && values["no-pg"]) throw new Error("--pg URL and --no-pg contradict each other: pass one");
  const cfg = config(values.quick, reps);
  if (values["burst-configs"] !== undefined) {
    // e.g. 0x20,20x32: latency ms × concurrency, a subset of the burst's configurations.
    const wanted = values["burst-configs"].split(",").map((s) => s.trim());
    const known = cfg.burstConfigs.map((c) => `${c.latencyMs}x${c.concurrency}`);
    for (const w of wanted) if (!known.includes(w)) throw new UsageError(`--burst-configs: unknown "${w}" (use ${known.join(", ")})`);
    cfg.burstConfigs = cfg.burstConfigs.filter((c) => wanted.includes(`${c.latencyMs}x${c.concurrency}`));
  }
  // A smoke run must not replace the full run's figures.
  const out = values.out ?? (cfg.quick ? join(DATA_DIR, "results-quick.json") : join(REPO_ROOT, "bench", "results.json"));

  const tmp = mkdtempSync(join(tmpdir(), "secretaria-bench-"));
  const ctx: Context = {
    cfg, tmp, bigDb: join(tmp, "big.db"), smallDb: join(tmp, "small.db"), bigSource: "", figures: [], fake: null,
    env: { SECRETARIA_NOW: NOW.toISOString(), WHATICKET_TOKEN }, pg: null, pgFacts: {}, peerFacts: {},
  };
  /** Stops what the run started: subprocesses, the fake, its databases on a given server (or the throwaway cluster), the temp folder. */
  const cleanup = async () => {
    killAllStarted();
    await ctx.redis?.stop().catch(() => {});
    await ctx.fake?.stop().catch(() => {});
    const pg = ctx.pg;
    if (pg && !pg.throwaway) await dropDatabasesOfThisRun(pg, "secretaria_bench").catch((err: Error) => progress(`could not drop this run's databases on ${pg.display}: ${err.message}`));
    await pg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping what the benchmark started and removing ${tmp}\n`);
    const bound = new Promise((r) => setTimeout(r, 60_000).unref());
    void Promise.race([cleanup().catch(() => {}), bound]).then(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    progress(`secretaria benchmarks${cfg.quick ? " (--quick)" : ""}: ${cpus().length} CPUs, node ${process.version}; temp files in ${tmp}`);
    if (!only.includes("burst")) ctx.pgSkipped = "the burst (the one section measured on PostgreSQL) is not in --only";
    else if (values["no-pg"]) ctx.pgSkipped = "--no-pg";
    else {
      const explicit = values.pg ?? process.env[PG_URL_ENV];
      try {
        const r = await resolvePgServer({ url: explicit, startCluster: true, log: progress });
        ctx.pg = r.server;
        ctx.pgSkipped = r.skipped;
      } catch (err) {
        // A URL given on purpose must work; a throwaway cluster that fails to start only costs its figures.
        if (explicit) throw err;
        ctx.pgSkipped = `the throwaway PostgreSQL cluster did not start: ${(err as Error).message.split("\n")[0]}`;
      }
      if (ctx.pg) progress(`PostgreSQL ${ctx.pg.version} (${ctx.pg.durability}) at ${ctx.pg.display}: the burst runs on it too`);
    }
    if (ctx.pgSkipped) progress(`PostgreSQL figures skipped: ${ctx.pgSkipped}`);

    for (const [size, target] of [[cfg.big, ctx.bigDb], [cfg.small, ctx.smallDb]] as const) {
      let last = 0;
      const agenda = await cachedAgenda(size, NOW, {
        fresh: values.fresh,
        onProgress: (done, all) => {
          if (done - last >= all / 10 || done === all) {
            last = done;
            progress(`  generating the ${count(all)} agenda: ${count(done)}`);
          }
        },
      });
      progress(agenda.generated ? `generated the ${count(size)} agenda in ${(agenda.generateMs / 1000).toFixed(1)} s (cached in bench/data/)` : `reusing the cached ${count(size)} agenda (bench/data/)`);
      if (size === cfg.big) ctx.bigSource = agenda.path;
      copyDb(agenda.path, target);
    }

    const run: Record<Section, (c: Context) => Promise<void>> = {
      cli: benchCli, idle: benchIdle, views: benchViews, metrics: benchMetrics, burst: benchBurst, import: benchImport,
    };
    for (const s of SECTIONS) if (only.includes(s)) await run[s](ctx);

    const seconds = (performance.now() - started) / 1000;
    const order = ["CLI start", "idle tick", "views", "burst", "CPU", "memory", "import"];
    ctx.figures.sort((a, b) => order.indexOf(a.section) - order.indexOf(b.section));
    const table = renderTable(ctx.figures);
    const pgNote = ctx.pg
      ? `PostgreSQL: ${ctx.pg.version} (${ctx.pg.durability}) at ${ctx.pg.display}; burst agenda generated there in ${ctx.pgFacts.generate_seconds ?? "?"} s, each run on a copy of it. SQLite: WAL, synchronous=NORMAL.`
      : `PostgreSQL figures skipped: ${ctx.pgSkipped ?? "?"}.${only.includes("burst") && !values["no-pg"] ? ` Pass --pg URL (or set ${PG_URL_ENV}), or install PostgreSQL for a throwaway cluster.` : ""}`;
    process.stdout.write(`\n${table}\n\nratio = median / median of the baseline measured in the same run; [min–max] over the runs. Total ${seconds.toFixed(0)} s.\n${pgNote}\n`);
    const targets = ctx.figures.filter((f) => f.target).map((f) => `  ${f.label.trim()}: ${targetText(f.target!, f.unit)}`);
    if (targets.length) process.stdout.write(`Targets (issue 12), medians of this run:\n${targets.join("\n")}\n`);
    const results = {
      when: new Date().toISOString(),
      quick: cfg.quick,
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? "?", memory_gib: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform },
      sizes: { big: cfg.big, small: cfg.small, burst: cfg.burst },
      reps: cfg.reps,
      business_clock: NOW.toISOString(),
      total_seconds: Math.round(seconds),
      postgres: ctx.pg
        ? { server: ctx.pg.display, version: ctx.pg.version, settings: ctx.pg.durability, throwaway_cluster: ctx.pg.throwaway, agenda: cfg.big, burst: cfg.burst, ...ctx.pgFacts }
        : { skipped: ctx.pgSkipped ?? null },
      bullmq_peer: ctx.peerFacts,
      targets: ctx.figures.filter((f) => f.target).map((f) => ({ id: f.id, label: f.label.trim(), median: f.target!.of === "ratio" ? f.ratio?.median : f.value.median, ...f.target })),
      figures: ctx.figures,
    };
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    progress(`wrote ${out}`);
  } finally {
    if (!interrupted) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      await cleanup();
    }
  }
}

main().catch((err) => {
  // After Ctrl-C the killed subprocesses fail the section in progress: that is the interruption, not an error.
  if (interrupted) return;
  const code = (err as { code?: string }).code ?? "";
  if (err instanceof UsageError || code.startsWith("ERR_PARSE_ARGS_")) {
    process.stderr.write(`bench: ${(err as Error).message} (the options are listed at the top of bench/run.ts and in bench/README.md)\n`);
    process.exitCode = 2;
    return;
  }
  if (isUserError(err)) {
    // The environment (a PostgreSQL server that does not answer, a database to migrate): secretaria's own one line.
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
