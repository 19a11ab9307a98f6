import cron from "node-cron";
import type { WriteHealth } from "./write-health.js";
import type { Clock } from "../clock.js";
import { pingDatabase } from "../services/metrics-service.js";
import { daemonsSeen } from "../services/status-service.js";
import type { Store } from "../store/store.js";
import type { HttpRoutes } from "./http-server.js";
import type { DaemonMetrics } from "./metrics.js";

/**
 * `GET /metrics` (Prometheus text exposition) and `GET /healthz` (for systemd, load balancers
 * and uptime checks): 200 while the database answers and the daemon ticked within three
 * schedule intervals, else 503.
 */

/**
 * A daemon is stalled after this many schedule intervals without progress: a successful tick, or
 * a Whaticket exchange (a tick draining a rate-limited backlog can last longer than three intervals).
 */
export const STALLED_AFTER_INTERVALS = 3;

/**
 * The longest gap between two runs of a cron schedule, in seconds, over its next 1000 runs
 * (a week and more for office-hours schedules): "three intervals" must tolerate the night and the
 * weekend of `*\/5 9-18 * * 1-5`. 60 for the default `* * * * *`.
 */
export function scheduleIntervalSeconds(expr: string): number {
  const task = cron.createTask(expr, () => {});
  try {
    const runs = task.getNextRuns(1000);
    let gap = 0;
    for (let i = 1; i < runs.length; i++) gap = Math.max(gap, runs[i]!.getTime() - runs[i - 1]!.getTime());
    return gap > 0 ? gap / 1000 : 60;
  } finally {
    void task.destroy();
  }
}

export interface HealthRoutesOptions {
  store: Store;
  /** This daemon's id (its lease owner). */
  owner?: string;
  /** SECRETARIA_NOW is set: the clock is frozen, retries and expiry do not move. */
  simulatedClock?: boolean;
  metrics: DaemonMetrics;
  clock: Clock;
  /** The gap between two scheduled ticks, in seconds (60 for the default `* * * * *`). */
  tickIntervalSeconds: number;
  /** This daemon's last write outcome: a failing one makes /healthz 503 with database "write_failing". */
  writeHealth?: WriteHealth;
  /** When the daemon started: before its first tick it is healthy for three intervals from here. Default: now. */
  startedAt?: Date;
}

export type HealthStatus = "ok" | "starting" | "stalled" | "database_unreachable" | "database_write_failing";

export interface HealthReport {
  status: HealthStatus;
  database: "ok" | "unreachable" | "write_failing";
  /** While the daemon's most recent write failed: when and why (the message of the error). */
  write_error?: { at: string; error: string };
  /** The last tick that finished without error (UTC ISO-8601), null before the first. */
  last_tick_at: string | null;
  last_tick_age_seconds: number | null;
  /** The last Whaticket exchange of this daemon (any outcome), null before the first. */
  last_send_at: string | null;
  /** This daemon's id, and every daemon on the database seen within three of its intervals. */
  daemon: string | null;
  daemons: Array<{ id: string; host: string; pid: number; last_tick_at: string | null; heartbeat_at: string; alive: boolean }>;
  /** "simulated" when SECRETARIA_NOW froze this daemon's clock. */
  clock: "system" | "simulated";
}

/** A read that does not answer within this long counts as an unreachable database: /healthz itself must answer promptly. */
const PING_TIMEOUT_MS = 2_000;

function withTimeout<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** The health verdict at `now`. Pure apart from the database reads. */
export async function healthReport(opts: HealthRoutesOptions & { startedAt: Date }, now: Date): Promise<{ httpStatus: 200 | 503; body: HealthReport }> {
  const databaseOk = await withTimeout(pingDatabase(opts.store), PING_TIMEOUT_MS, false);
  const rows = databaseOk ? await withTimeout(daemonsSeen(opts.store, now).catch(() => []), PING_TIMEOUT_MS, []) : [];
  const daemons = rows.map((d) => ({ id: d.id, host: d.host, pid: d.pid, last_tick_at: d.last_tick_at, heartbeat_at: d.heartbeat_at, alive: d.alive }));
  const last = opts.metrics.lastSuccessfulTickAt();
  const lastSend = opts.metrics.lastSendResultAt();
  const age = last ? Math.max(0, (now.getTime() - last.getTime()) / 1000) : null;
  const limit = STALLED_AFTER_INTERVALS * opts.tickIntervalSeconds;
  const progress = Math.max(last?.getTime() ?? 0, lastSend?.getTime() ?? 0, opts.startedAt.getTime());
  const stalled = (now.getTime() - progress) / 1000 > limit;
  let status: HealthStatus;
  const writeFailure = databaseOk ? (opts.writeHealth?.current() ?? null) : null;
  if (!databaseOk) status = "database_unreachable";
  else if (writeFailure) status = "database_write_failing";
  else if (stalled) status = "stalled";
  else status = last ? "ok" : "starting";
  return {
    httpStatus: status === "ok" || status === "starting" ? 200 : 503,
    body: {
      status,
      database: !databaseOk ? "unreachable" : writeFailure ? "write_failing" : "ok",
      ...(writeFailure ? { write_error: { at: writeFailure.at.toISOString(), error: writeFailure.error } } : {}),
      last_tick_at: last ? last.toISOString() : null,
      last_tick_age_seconds: age === null ? null : Math.round(age * 10) / 10,
      last_send_at: lastSend ? lastSend.toISOString() : null,
      daemon: opts.owner ?? null,
      daemons,
      clock: opts.simulatedClock ? "simulated" : "system",
    },
  };
}

export function healthRoutes(opts: HealthRoutesOptions): HttpRoutes {
  const withStart = { ...opts, startedAt: opts.startedAt ?? opts.clock() };
  return (app) => {
    app.get("/metrics", async (_req, reply) => {
      const text = await opts.metrics.metrics();
      return reply.header("Content-Type", opts.metrics.contentType).header("Cache-Control", "no-store").send(text);
    });
    app.get("/healthz", async (_req, reply) => {
      const { httpStatus, body } = await healthReport(withStart, opts.clock());
      return reply.code(httpStatus).header("Cache-Control", "no-store").send(body);
    });
  };
}
