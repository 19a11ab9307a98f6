import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { ManualClock } from "../../src/clock.js";
import { Daemon } from "../../src/daemon/daemon.js";
import { healthRoutes, scheduleIntervalSeconds } from "../../src/daemon/health-routes.js";
import { startHttpServer, type RunningHttpServer } from "../../src/daemon/http-server.js";
import { DaemonMetrics, METRIC } from "../../src/daemon/metrics.js";
import { startFakeWhaticket } from "../../src/gateway/fake-whaticket.js";
import { silentLogger } from "../../src/logger.js";
import { listDaemons, markDaemonStopped, registerDaemon } from "../../src/store/daemons.js";
import { systemStatus } from "../../src/services/status-service.js";
import { saveCompany } from "../../src/services/company-service.js";
import type { Store } from "../../src/store/store.js";
import { migratedDb, tempDb } from "../helpers/cli.js";
import { parseExposition, request, valueOf, valuesBy } from "../helpers/exposition.js";

const T = { timeout: 30_000 };
const START = new Date("2026-03-10T12:00:00.000Z");
const summary = { sent: 0, retried: 0, failed: 0, paused: 0, expired: 0, skipped: 0, reclaimed: 0 };

interface Health {
  status: string;
  database: string;
  last_tick_at: string | null;
  last_tick_age_seconds: number | null;
  last_send_at: string | null;
  daemon: string | null;
  daemons: Array<{ id: string; host: string; pid: number; last_tick_at: string | null; heartbeat_at: string; alive: boolean }>;
  clock: "system" | "simulated";
}

/** What /healthz says when no daemon is registered on the database (the routes alone, in process). */
const NO_DAEMONS = { daemon: null, daemons: [], clock: "system" };

async function healthz(server: RunningHttpServer): Promise<{ status: number; body: Health }> {
  const res = await request(`${server.url}/healthz`);
  return { status: res.status, body: res.json() as Health };
}

describe("/healthz", () => {
  const opened: { db: Store; server: RunningHttpServer }[] = [];
  after(async () => {
    for (const o of opened) {
      await o.server.close();
      await o.db.close();
    }
  });

  async function setup(intervalSeconds = 60) {
    const db = await migratedDb(tempDb());
    const clock = new ManualClock(START);
    const metrics = new DaemonMetrics({ store: db, clock: clock.now, defaultMetrics: false });
    const server = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      logger: silentLogger,
      routes: [healthRoutes({ store: db, metrics, clock: clock.now, tickIntervalSeconds: intervalSeconds })],
    });
    opened.push({ db, server });
    return { db, clock, metrics, server };
  }

  test("starting → ok after a tick → 503 stalled after three intervals without one → ok again", T, async () => {
    const { clock, metrics, server } = await setup(60);
    let h = await healthz(server);
    assert.equal(h.status, 200);
    assert.deepEqual(h.body, { status: "starting", database: "ok", last_tick_at: null, last_tick_age_seconds: null, last_send_at: null, ...NO_DAEMONS });

    clock.advance(30_000);
    metrics.onTick(true, clock.now(), 12, summary);
    clock.advance(45_000);
    h = await healthz(server);
    assert.equal(h.status, 200);
    assert.deepEqual(h.body, { status: "ok", database: "ok", last_tick_at: "2026-03-10T12:00:30.000Z", last_tick_age_seconds: 45, last_send_at: null, ...NO_DAEMONS });
    assert.equal(h.body.last_tick_age_seconds, 45);

    // A failing tick is not progress.
    clock.advance(60_000);
    metrics.onTick(false, clock.now(), 5, summary);
    clock.advance(76_000); // 181 s since the last successful tick
    h = await healthz(server);
    assert.equal(h.status, 503);
    assert.equal(h.body.status, "stalled");
    assert.equal(h.body.last_tick_age_seconds, 181);

    metrics.onTick(true, clock.now(), 12, summary);
    h = await healthz(server);
    assert.equal(h.status, 200);
    assert.equal(h.body.status, "ok");
  });

  test("a long tick that keeps exchanging messages with Whaticket is not stalled", T, async () => {
    const { clock, metrics, server } = await setup(60);
    metrics.onTick(true, clock.now(), 12, summary);
    for (let i = 0; i < 10; i++) {
      clock.advance(60_000);
      metrics.onSendResult("clinica", { kind: "sent", status: 200, durationMs: 80 }, { appointmentId: i + 1, attempt: 1, resend: false, result: "sent" });
    }
    const h = await healthz(server);
    assert.equal(h.status, 200);
    assert.equal(h.body.last_tick_age_seconds, 600);
    assert.equal(h.body.last_send_at, "2026-03-10T12:10:00.000Z");
  });

  test("no tick within three intervals of the start is stalled", T, async () => {
    const { clock, server } = await setup(300);
    clock.advance(899_000);
    assert.equal((await healthz(server)).status, 200);
    clock.advance(2_000);
    const h = await healthz(server);
    assert.equal(h.status, 503);
    assert.equal(h.body.status, "stalled");
  });

  test("daemons on one database: /healthz, secretaria_daemon_up and `status` agree on who is alive, each by its own interval", T, async () => {
    // Seen by a daemon that ticks every second: another ticking every 5 minutes, heard from 4 minutes ago, is
    // alive (three of its own ticks: 15 minutes); one ticking every minute, heard from 200 s ago, is not
    // (three minutes); a stopped one is not.
    const { db, clock, metrics, server } = await setup(1);
    const base = { schedule: "* * * * *", http_url: null, webhook_on: 0, api_on: 0, simulated_clock: 0 };
    const ago = (s: number) => new Date(START.getTime() - s * 1000).toISOString();
    await registerDaemon(db, { ...base, id: "slow", host: "h1", pid: 1, started_at: ago(240), schedule: "*/5 * * * *", interval_s: 300 });
    await registerDaemon(db, { ...base, id: "late", host: "h2", pid: 2, started_at: ago(200), interval_s: 60 });
    await registerDaemon(db, { ...base, id: "gone", host: "h3", pid: 3, started_at: ago(30), interval_s: 60 });
    await markDaemonStopped(db, "gone", ago(10));
    metrics.onTick(true, clock.now(), 5, summary);
    const expected = { slow: true, late: false, gone: false };
    const h = await healthz(server);
    assert.deepEqual(Object.fromEntries(h.body.daemons.map((d) => [d.id, d.alive])), expected);
    const m = parseExposition((await request(`${server.url}/metrics`)).text);
    assert.deepEqual(
      { slow: valueOf(m, METRIC.daemonUp, { daemon: "slow", host: "h1" }), late: valueOf(m, METRIC.daemonUp, { daemon: "late", host: "h2" }), gone: valueOf(m, METRIC.daemonUp, { daemon: "gone", host: "h3" }) },
      { slow: 1, late: 0, gone: 0 },
    );
    const status = await systemStatus(db, clock.now());
    assert.deepEqual(Object.fromEntries(status.daemons.map((d) => [d.id, d.alive])), expected);
  });

  test("an unreachable database is 503; /metrics still answers", T, async () => {
    const { db, server } = await setup();
    await db.close();
    const h = await healthz(server);
    assert.equal(h.status, 503);
    assert.equal(h.body.status, "database_unreachable");
    assert.equal(h.body.database, "unreachable");
    assert.deepEqual(h.body.daemons, [], "no daemon list without a database");
    const m = await request(`${server.url}/metrics`);
    assert.equal(m.status, 200);
    assert.ok((valueOf(parseExposition(m.text), METRIC.scrapeErrors) ?? 0) >= 1);
  });
});

test("the schedule interval is the longest gap between runs", () => {
  assert.equal(scheduleIntervalSeconds("* * * * *"), 60);
  assert.equal(scheduleIntervalSeconds("*/5 * * * *"), 300);
  assert.equal(scheduleIntervalSeconds("*/10 * * * * *"), 10);
  assert.equal(scheduleIntervalSeconds("0 9 * * *"), 86_400);
});

test("the real daemon serves /healthz and /metrics on 127.0.0.1 and reports its first tick", T, async (t) => {
  const dbPath = tempDb();
  const db = await migratedDb(dbPath);
  const fake = await startFakeWhaticket({ token: "daemon-test-token" });
  t.after(() => fake.stop());
  await saveCompany(db, { id: "clinica", name: "Clínica", whaticketUrl: fake.url, whaticketToken: "daemon-test-token", quietHours: "off" }, () => START);
  await db.close();
  const clock = new ManualClock(START);
  const daemon = new Daemon({ dbPath, clock: clock.now, logger: silentLogger, env: {}, port: 0, host: "127.0.0.1" });
  t.after(() => daemon.stop());
  await daemon.start();
  const url = daemon.url!;
  // The first tick runs at once after start; wait for it (bounded).
  let h: { status: number; body: Health } | null = null;
  for (let i = 0; i < 100; i++) {
    const res = await request(`${url}/healthz`);
    h = { status: res.status, body: res.json() as Health };
    if (h.body.last_tick_at) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(h?.status, 200);
  assert.equal(h?.body.status, "ok");
  assert.equal(h?.body.last_tick_at, START.toISOString());
  // The daemon names itself and lists itself among the daemons on the database, alive, with its tick.
  assert.equal(h?.body.clock, "system");
  const id = h?.body.daemon;
  assert.ok(typeof id === "string" && id.length > 0, JSON.stringify(h?.body));
  assert.deepEqual(h?.body.daemons, [{ id, host: hostname(), pid: process.pid, last_tick_at: START.toISOString(), heartbeat_at: START.toISOString(), alive: true }]);
  const m = parseExposition((await request(`${url}/metrics`)).text);
  assert.equal(valueOf(m, METRIC.lastTick), START.getTime() / 1000);
  assert.equal(valueOf(m, METRIC.sent, { company: "clinica" }), 0);
  assert.equal(valueOf(m, METRIC.tickInterval), 60);
  assert.deepEqual(valuesBy(m, METRIC.daemonUp, "daemon", { host: hostname() }), { [id]: 1 });
  // The API is always on (scoped tokens can be created at any time): without a token it is 401.
  assert.equal((await request(`${url}/api/agenda/followups`)).status, 401);

  // Stopped: its row says so, and it no longer counts as alive.
  await daemon.stop();
  const after = await migratedDb(dbPath);
  try {
    const rows = await listDaemons(after, "2000-01-01T00:00:00.000Z");
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.id, id);
    assert.equal(rows[0]!.stopped_at, START.toISOString());
    assert.equal(rows[0]!.last_success_at, START.toISOString());
  } finally {
    await after.close();
  }
});
