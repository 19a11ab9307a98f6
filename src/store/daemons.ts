import type { Q } from "./store.js";

/**
 * Each daemon's own row (migration 003): who runs, where, since when, its last tick. Written by
 * the daemon itself, read by /healthz, /metrics and `secretaria status` from any host.
 * daemon_state keeps the few database-wide markers (the demo's).
 */

export interface DaemonRow {
  id: string;
  host: string;
  pid: number;
  started_at: string;
  heartbeat_at: string;
  last_tick_at: string | null;
  last_success_at: string | null;
  last_error: string | null;
  schedule: string | null;
  interval_s: number;
  http_url: string | null;
  webhook_on: number;
  api_on: number;
  simulated_clock: number;
  stopped_at: string | null;
}

export type DaemonStart = Pick<DaemonRow, "id" | "host" | "pid" | "started_at" | "schedule" | "interval_s" | "http_url" | "webhook_on" | "api_on" | "simulated_clock">;

export async function registerDaemon(q: Q, d: DaemonStart): Promise<void> {
  await q.run(
    `INSERT INTO daemons (id, host, pid, started_at, heartbeat_at, schedule, interval_s, http_url, webhook_on, api_on, simulated_clock)
     VALUES (@id, @host, @pid, @started_at, @started_at, @schedule, @interval_s, @http_url, @webhook_on, @api_on, @simulated_clock)
     ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, http_url = excluded.http_url, stopped_at = NULL`,
    d,
  );
}

/** A tick ended (ok or not), or a heartbeat while serving (tick fields undefined). */
export async function recordDaemonTick(q: Q, id: string, p: { at: string; tickAt?: string; ok?: boolean; error?: string | null }): Promise<void> {
  if (p.tickAt === undefined) {
    await q.run("UPDATE daemons SET heartbeat_at = ? WHERE id = ?", [p.at, id]);
    return;
  }
  await q.run(
    `UPDATE daemons SET heartbeat_at = @at, last_tick_at = @tickAt,
            last_success_at = CASE WHEN @ok = 1 THEN @tickAt ELSE last_success_at END,
            last_error = CASE WHEN @ok = 1 THEN NULL ELSE @error END
      WHERE id = @id`,
    { id, at: p.at, tickAt: p.tickAt, ok: p.ok ? 1 : 0, error: p.error ?? null },
  );
}

export async function markDaemonStopped(q: Q, id: string, at: string): Promise<void> {
  await q.run("UPDATE daemons SET stopped_at = ?, heartbeat_at = ? WHERE id = ?", [at, at, id]);
}

/** Every daemon seen since `since` (UTC ISO-8601), newest heartbeat first. */
export function listDaemons(q: Q, since: string): Promise<DaemonRow[]> {
  return q.all<DaemonRow>("SELECT * FROM daemons WHERE heartbeat_at >= ? ORDER BY heartbeat_at DESC, id", [since]);
}

/** Rows of daemons not seen for a long time go (a restart gets a new id every time). */
export function forgetDaemons(q: Q, before: string): Promise<number> {
  return q.run("DELETE FROM daemons WHERE heartbeat_at < ?", [before]);
}

export async function setDaemonState(q: Q, values: Record<string, string>, now: string): Promise<void> {
  for (const [k, v] of Object.entries(values)) {
    await q.run(
      `INSERT INTO daemon_state (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [k, v, now],
    );
  }
}

export async function getDaemonState(q: Q): Promise<Record<string, string>> {
  const rows = await q.all<{ key: string; value: string }>("SELECT key, value FROM daemon_state");
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}
