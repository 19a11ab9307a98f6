import { listDaemons, type DaemonRow } from "../store/daemons.js";
import { listCompanies } from "../store/companies.js";
import { countAuditSince, countDueNow } from "../store/status-queries.js";
import type { Q } from "../store/store.js";

export interface DaemonStatus {
  id: string;
  host: string;
  pid: number;
  started_at: string;
  last_tick_at: string | null;
  /** Seconds since the last tick (or since it started, before its first tick). */
  tick_age_s: number;
  heartbeat_at: string;
  alive: boolean;
  webhook_on: boolean;
  api_on: boolean;
  http_url: string | null;
  last_error: string | null;
}

export interface SystemStatus {
  now: string;
  daemons: DaemonStatus[];
  backlog_due_now: number;
  sent_last_hour: number;
  paused: { id: string; name: string; reason: string; since: string | null }[];
  webhook_on: boolean;
  api_on: boolean;
}

/** A daemon is alive when not stopped and heard from within three ticks (at least three minutes). */
export function isAlive(d: DaemonRow, now: Date): boolean {
  if (d.stopped_at) return false;
  const limit = Math.max(3 * (d.interval_s || 60), 180) * 1000;
  return now.getTime() - Date.parse(d.heartbeat_at) <= limit;
}

/**
 * Every daemon heard from in the last day, each with whether it is alive by its own interval: the one
 * list `status`, `/healthz` and `secretaria_daemon_up` show (a daemon ticking every 5 minutes is not dead to
 * one ticking every minute).
 */
export async function daemonsSeen(q: Q, now: Date): Promise<(DaemonRow & { alive: boolean })[]> {
  const rows = await listDaemons(q, new Date(now.getTime() - 24 * 3600_000).toISOString());
  return rows.map((d) => ({ ...d, alive: isAlive(d, now) }));
}

/**
 * What `secretaria status` shows, all from the database: daemons seen in the last day (host, pid,
 * last tick and its age, alive), the backlog due now, sends in the last hour (audit), paused
 * companies and why, and whether a live daemon serves the webhook or the API.
 */
export async function systemStatus(q: Q, now: Date): Promise<SystemStatus> {
  const nowIso = now.toISOString();
  const rows = await daemonsSeen(q, now);
  const daemons = rows.map((d): DaemonStatus => ({
    id: d.id, host: d.host, pid: d.pid, started_at: d.started_at, last_tick_at: d.last_tick_at,
    tick_age_s: Math.max(0, Math.round((now.getTime() - Date.parse(d.last_tick_at ?? d.started_at)) / 1000)),
    heartbeat_at: d.heartbeat_at, alive: d.alive, webhook_on: d.webhook_on === 1, api_on: d.api_on === 1,
    http_url: d.http_url, last_error: d.last_error,
  }));
  const paused = (await listCompanies(q))
    .filter((c) => c.paused_reason)
    .map((c) => ({ id: c.id, name: c.name, reason: c.paused_reason as string, since: c.paused_at }));
  const live = daemons.filter((d) => d.alive);
  return {
    now: nowIso, daemons,
    backlog_due_now: await countDueNow(q, nowIso),
    sent_last_hour: await countAuditSince(q, "followup_sent", new Date(now.getTime() - 3600_000).toISOString()),
    paused,
    webhook_on: live.some((d) => d.webhook_on),
    api_on: live.some((d) => d.api_on),
  };
}
