import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { iso } from "../../src/clock.js";
import { healthRoutes } from "../../src/daemon/health-routes.js";
import { startHttpServer, type RunningHttpServer } from "../../src/daemon/http-server.js";
import { DaemonMetrics, METRIC, failureReason } from "../../src/daemon/metrics.js";
import { silentLogger } from "../../src/logger.js";
import { writeAudit } from "../../src/store/audit.js";
import { openDb, type Db } from "../../src/store/db.js";
import { auditCountsSince, METRICS_SQL } from "../../src/store/metrics-queries.js";
import { migratedDb, runCli, tempDb } from "../helpers/cli.js";
import { parseExposition, request, valueOf, valuesBy, type Exposition } from "../helpers/exposition.js";
import { buildScenario, WHATICKET_TOKEN, type Scenario } from "../helpers/followup-scenario.js";

const T = { timeout: 60_000 };

async function serve(db: Db, metrics: DaemonMetrics, clock: () => Date): Promise<RunningHttpServer> {
  return startHttpServer({
    host: "127.0.0.1",
    port: 0,
    logger: silentLogger,
    routes: [healthRoutes({ db, metrics, clock, tickIntervalSeconds: 60 })],
  });
}

async function scrape(server: RunningHttpServer): Promise<Exposition> {
  const res = await request(`${server.url}/metrics`);
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parseExposition(res.text);
}

/** The release-note counters and the replies, per company. */
function followupCounters(e: Exposition) {
  return {
    sent: valuesBy(e, METRIC.sent, "company"),
    positive: valuesBy(e, METRIC.positive, "company"),
    negative: valuesBy(e, METRIC.negative, "company"),
    feedback: valuesBy(e, METRIC.replies, "company", { intent: "followup_feedback" }),
  };
}

describe("/metrics: the follow-up counters come from the audit log", () => {
  let s: Scenario;
  let first: DaemonMetrics;
  let serverA: RunningHttpServer;
  let serverB: RunningHttpServer | null = null;
  let dbB: Db | null = null;

  before(async () => {
    s = await buildScenario({ observe: (db, clock) => (first = new DaemonMetrics({ db, clock: clock.now, tickIntervalSeconds: 60 })) });
    serverA = await serve(s.db, first, s.clock.now);
  });
  after(async () => {
    await serverA?.close();
    await serverB?.close();
    dbB?.close();
    await s?.close();
  });

  test("after N sends, M positive and K negative answers in two companies, each company shows exactly those numbers", T, async () => {
    const e = await scrape(serverA);
    const c = followupCounters(e);
    assert.deepEqual(c.sent, { clinica: 5, estudio: 3 });
    assert.deepEqual(c.positive, { clinica: 2, estudio: 1 });
    assert.deepEqual(c.negative, { clinica: 1, estudio: 2 });
    assert.deepEqual(c.feedback, { clinica: 1 });
    assert.deepEqual(valuesBy(e, METRIC.replies, "intent", { company: "clinica" }), { followup_positive: 2, followup_negative: 1, followup_feedback: 1 });
    assert.equal(e.types.get(METRIC.sent), "counter");
    assert.equal(e.types.get(METRIC.positive), "counter");
    assert.equal(e.types.get(METRIC.negative), "counter");

    // Follow-ups by state, zeros included.
    assert.deepEqual(valuesBy(e, METRIC.byState, "state", { company: "clinica" }), {
      scheduled: 1, sending: 0, sent: 1, positive: 2, negative: 1, feedback: 1, failed: 1, skipped: 0,
    });
    assert.deepEqual(valuesBy(e, METRIC.byState, "state", { company: "estudio" }), {
      scheduled: 1, sending: 0, sent: 0, positive: 1, negative: 2, feedback: 0, failed: 0, skipped: 0,
    });
    assert.equal(e.types.get(METRIC.byState), "gauge");
  });

  test("the daemon's own events: send latency, failures by reason, attempts, last successful tick", T, async () => {
    const e = await scrape(serverA);
    assert.equal(valueOf(e, METRIC.sendFailures, { company: "clinica", kind: "permanent", reason: "http_400" }), 1);
    assert.deepEqual(valuesBy(e, METRIC.sendAttempts, "outcome", { company: "clinica" }), { sent: 5, transient: 0, permanent: 1, config: 0 });
    assert.deepEqual(valuesBy(e, METRIC.sendAttempts, "outcome", { company: "estudio" }), { sent: 3, transient: 0, permanent: 0, config: 0 });
    assert.equal(valueOf(e, `${METRIC.sendDuration}_count`, { company: "clinica", outcome: "sent" }), 5);
    assert.equal(e.types.get(METRIC.sendDuration), "histogram");
    // The scenario's tick ran at 2026-03-10T12:00:00Z on the manual clock.
    assert.equal(valueOf(e, METRIC.lastTick), Date.parse("2026-03-10T12:00:00Z") / 1000);
    assert.equal(valueOf(e, METRIC.ticksFailed), 0);
    assert.equal(valueOf(e, METRIC.tickInterval), 60);
    assert.deepEqual(valuesBy(e, METRIC.companyPaused, "company"), { clinica: 0, estudio: 0 });
    assert.ok((valueOf(e, "process_cpu_user_seconds_total") ?? -1) >= 0, "default process metrics are exported");
    assert.ok(e.types.has("nodejs_heap_size_total_bytes"));
  });

  test("a restart (new registry and connection on the same file) shows the same numbers", T, async () => {
    dbB = openDb(s.dbPath);
    const restarted = new DaemonMetrics({ db: dbB, tickIntervalSeconds: 60 });
    serverB = await serve(dbB, restarted, s.clock.now);
    const e = await scrape(serverB);
    assert.deepEqual(followupCounters(e), followupCounters(await scrape(serverA)));
    assert.deepEqual(followupCounters(e).sent, { clinica: 5, estudio: 3 });
    // Process-local metrics start over: this process sent nothing and has not ticked yet.
    assert.equal(valueOf(e, METRIC.sendFailures, { company: "clinica", kind: "permanent", reason: "http_400" }), undefined);
    assert.equal(valueOf(e, METRIC.lastTick), 0);
  });

  test("a `followups resend` run by another process shows at the next scrape: sent is N+1", T, async () => {
    const before = followupCounters(await scrape(serverA));
    const received = s.fake.received.length;
    const r = await runCli(["followups", "resend", String(s.ids.clinicaUnanswered), "--yes", "--db", s.dbPath], {
      env: { SECRETARIA_NOW: iso(s.clock.now()) },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(s.fake.received.length, received + 1, "the resend reached the fake Whaticket");
    assert.ok(!r.stdout.includes(WHATICKET_TOKEN) && !r.stderr.includes(WHATICKET_TOKEN));
    for (const server of [serverA, serverB!]) {
      const c = followupCounters(await scrape(server));
      assert.deepEqual(c.sent, { clinica: before.sent.clinica! + 1, estudio: before.sent.estudio });
      assert.deepEqual(c.positive, before.positive);
      assert.deepEqual(c.negative, before.negative);
    }
  });
});

describe("incremental audit aggregation", () => {
  test("only rows past the cursor are added; other actions are ignored; the first read uses the indexes", T, async (t) => {
    const db = migratedDb(tempDb());
    t.after(() => db.close());
    const at = "2026-03-10T12:00:00.000Z";
    db.prepare("INSERT INTO companies (id, name) VALUES ('a', 'A'), ('b', 'B')").run();
    writeAudit(db, { action: "followup_sent", appointment_id: 1, company_id: "a", created_at: at });
    writeAudit(db, { action: "followup_sent", appointment_id: 2, company_id: "b", created_at: at });
    writeAudit(db, { action: "followup_failed", appointment_id: 3, company_id: "a", created_at: at });
    writeAudit(db, { action: "followup_response", appointment_id: 1, company_id: "a", payload: { response: "positive", feedback: null }, created_at: at });

    const m = new DaemonMetrics({ db, defaultMetrics: false, stateCacheMs: 0 });
    const read = async () => parseExposition(await m.metrics());
    let e = await read();
    assert.deepEqual(valuesBy(e, METRIC.sent, "company"), { a: 1, b: 1 });
    assert.deepEqual(valuesBy(e, METRIC.positive, "company"), { a: 1, b: 0 });
    // Nothing new: the same values (a scrape never counts a row twice).
    e = await read();
    assert.deepEqual(valuesBy(e, METRIC.sent, "company"), { a: 1, b: 1 });

    writeAudit(db, { action: "followup_sent", appointment_id: 1, company_id: "a", payload: { resend: true }, created_at: at });
    writeAudit(db, { action: "appointment_created", appointment_id: 9, company_id: "a", created_at: at });
    writeAudit(db, { action: "followup_response", appointment_id: 2, company_id: "b", payload: { response: "negative", feedback: null }, created_at: at });
    writeAudit(db, { action: "followup_response", appointment_id: 4, company_id: "b", payload: { response: "feedback", feedback: "ótimo" }, created_at: at });
    // A company that is not (or no longer) in the companies table still counts.
    writeAudit(db, { action: "followup_sent", appointment_id: 5, company_id: "gone", created_at: at });
    e = await read();
    assert.deepEqual(valuesBy(e, METRIC.sent, "company"), { a: 2, b: 1, gone: 1 });
    assert.deepEqual(valuesBy(e, METRIC.negative, "company"), { a: 0, b: 1 });
    assert.deepEqual(valuesBy(e, METRIC.replies, "intent", { company: "b" }), { followup_negative: 1, followup_feedback: 1 });

    // The plans: the first aggregate reads indexes only, later ones seek a rowid range, states scan one covering index.
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ after: 3, max: 10 }) as { detail: string }[]).map((r) => r.detail).join(" | ");
    assert.match(plan(METRICS_SQL.sendsUpTo), /COVERING INDEX audit_log_action/);
    assert.match(plan(METRICS_SQL.answersUpTo), /INDEX audit_log_response/);
    assert.match(plan(METRICS_SQL.followupAuditBetween), /INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/);
    assert.match(plan(METRICS_SQL.stateCounts), /COVERING INDEX appointments_company_status_end/);
    assert.doesNotMatch(plan(METRICS_SQL.stateCounts), /TEMP B-TREE/);
    assert.deepEqual(auditCountsSince(db, 1_000_000), { rows: [], lastId: 1_000_000 });
  });

  test("follow-ups by state are cached for stateCacheMs; a broken database keeps the last values and is counted", T, async () => {
    const path = tempDb();
    const db = migratedDb(path);
    db.prepare("INSERT INTO companies (id, name) VALUES ('a', 'A')").run();
    const insert = db.prepare(
      "INSERT INTO appointments (company_id, external_id, client_name, client_phone, start_time, end_time, followup_status) VALUES ('a', ?, 'X', '5511999990000', '2026-03-10T10:00:00Z', '2026-03-10T11:00:00Z', 'scheduled')",
    );
    insert.run("e1");
    const cached = new DaemonMetrics({ db, defaultMetrics: false, stateCacheMs: 60_000 });
    const fresh = new DaemonMetrics({ db, defaultMetrics: false, stateCacheMs: 0 });
    assert.equal(valueOf(parseExposition(await cached.metrics()), METRIC.byState, { company: "a", state: "scheduled" }), 1);
    insert.run("e2");
    assert.equal(valueOf(parseExposition(await cached.metrics()), METRIC.byState, { company: "a", state: "scheduled" }), 1, "within the cache time");
    assert.equal(valueOf(parseExposition(await fresh.metrics()), METRIC.byState, { company: "a", state: "scheduled" }), 2);

    db.close();
    const e = parseExposition(await fresh.metrics());
    assert.equal(valueOf(e, METRIC.byState, { company: "a", state: "scheduled" }), 2, "last values kept");
    assert.ok((valueOf(e, METRIC.scrapeErrors) ?? 0) >= 1);
  });
});

test("failure reasons are bounded labels", () => {
  assert.equal(failureReason({ kind: "permanent", status: 400, error: "HTTP 400 ERR_WAPP_INVALID_CONTACT", durationMs: 1 }), "http_400");
  assert.equal(failureReason({ kind: "transient", error: "timeout after 10000 ms", durationMs: 1 }), "timeout");
  assert.equal(failureReason({ kind: "transient", error: "ECONNREFUSED", durationMs: 1 }), "network");
  assert.equal(failureReason({ kind: "config", status: 0, error: "Whaticket token is empty", durationMs: 0 }), "configuration");
  assert.equal(failureReason({ kind: "permanent", status: 0, error: "ERR_INVALID_NUMBER (no digits; not sent)", durationMs: 0 }), "invalid_number");
});
