/**
 * `npm run chaos`: K daemons on one database drain due follow-ups while the fake Whaticket
 * fails, holds and drops requests, a daemon is SIGKILLed every few seconds, and answers arrive
 * through the webhook in concurrent duplicates. Prints its checks; exits 1 when one fails.
 *
 *   node --import tsx bench/chaos.ts [--rows 5000] [--daemons 3] [--kill-every 4000] [--seed 7] [--break-lease] [--keep]
 *                                    [--db postgres://… | --pg]
 *
 * The database is a SQLite file in a temp folder, or with --db URL a database the run creates on
 * that PostgreSQL server (an admin URL; dropped at the end), or with --pg one on the server of
 * $SECRETARIA_BENCH_PG_URL, else on a throwaway cluster started (and stopped) with
 * scripts/pg-cluster.sh.
 *
 * --break-lease runs the daemons with SECRETARIA_UNSAFE_NO_LEASE=1 (their claims ignore leases):
 * the checks must then fail, which shows they can.
 */
import { parseArgs } from "node:util";
import { isPostgresUrl } from "../src/store/open.js";
import { formatReport, runChaos } from "./lib/chaos-run.js";
import { PG_URL_ENV, resolvePgServer, type PgServer } from "./lib/pg.js";
import { killAllStarted } from "./lib/processes.js";

function whole(name: string, v: string | undefined, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max} (got "${v}")`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      rows: { type: "string" },
      daemons: { type: "string" },
      "kill-every": { type: "string" },
      seed: { type: "string" },
      "break-lease": { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      db: { type: "string" },
      pg: { type: "boolean", default: false },
    },
  });
  if (values.db !== undefined && !isPostgresUrl(values.db)) {
    throw new Error(`--db takes a postgres:// URL (the server the run makes its database on); without it the run uses a SQLite file in a temp folder (got "${values.db}")`);
  }
  if (values.db !== undefined && values.pg) throw new Error("--db URL and --pg contradict each other: pass one");
  const started = Date.now();
  const log = (line: string) => process.stderr.write(`[${String(Math.round((Date.now() - started) / 1000)).padStart(3)} s] ${line}\n`);
  // First signal: stop the run and clean up (daemons, fake, temp folder); second: kill the daemons and leave.
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!abort.signal.aborted) {
      process.stderr.write(`\n${signal}: stopping the run and what it started\n`);
      abort.abort();
      return;
    }
    killAllStarted();
    process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const breakLease = values["break-lease"];
  const options = {
    rows: whole("rows", values.rows, 5000, 10, 100_000),
    daemons: whole("daemons", values.daemons, 3, 2, 8),
    killEveryMs: whole("kill-every", values["kill-every"], 4000, 500, 60_000),
    seed: whole("seed", values.seed, 7, 0, 2 ** 31),
  };
  let pg: PgServer | null = null;
  if (values.db !== undefined || values.pg) {
    const r = await resolvePgServer({ url: values.db, startCluster: true, log });
    if (!r.server) throw new Error(`--pg: ${r.skipped ?? "no PostgreSQL"}; pass --db postgres://… or set ${PG_URL_ENV}`);
    pg = r.server;
    log(`PostgreSQL ${pg.version} at ${pg.display}: the run makes its own database there`);
    if (pg.throwaway && values.keep) log("--keep: the database goes with the throwaway cluster when the run ends; use --db URL on a server of your own to keep it");
  }
  if (breakLease) log("FAULT INJECTION: the daemons run with SECRETARIA_UNSAFE_NO_LEASE=1 (claims ignore leases); the checks are expected to FAIL");
  let report;
  try {
    report = await runChaos({ ...options, breakLease, keep: values.keep, signal: abort.signal, log, pgUrl: pg?.adminUrl });
  } finally {
    await pg?.stop();
  }
  process.stdout.write(`\nchaos on ${report.engine === "postgres" ? "PostgreSQL" : "SQLite"}: ${report.kills} SIGKILLs, ${report.businessMinutes.toFixed(0)} business minutes, ${report.seconds.toFixed(0)} s\n`);
  process.stdout.write(`${formatReport(report)}\n`);
  if (report.dir) process.stdout.write(`  kept: ${report.dir}\n`);
  if (report.keptDatabase) process.stdout.write(`  kept database: ${report.keptDatabase}\n`);
  process.stdout.write(`\n${report.ok ? "PASS: every check holds" : `FAIL: ${report.checks.filter((c) => !c.ok).map((c) => c.name).join("; ")}`}\n`);
  return report.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    killAllStarted();
    const interrupted = (err as Error).message === "interrupted";
    process.stderr.write(interrupted ? "chaos: interrupted, everything it started is stopped\n" : `chaos: ${(err as Error).stack ?? err}\n`);
    process.exitCode = interrupted ? 130 : 2;
  },
);
