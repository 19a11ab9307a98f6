import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { iso } from "../../src/clock.js";
import { healthRoutes } from "../../src/daemon/health-routes.js";
import { startHttpServer, type RunningHttpServer } from "../../src/daemon/http-server.js";
import { DaemonMetrics, METRIC, failureReason } from "../../src/daemon/metrics.js";
import { silentLogger } from "../../src/logger.js";
import { writeAudit } from "../../src/store/audit.js";
import { followupCounters as counterRows, METRICS_SQL } from "../../src/store/metrics-queries.js";
import { openStore } from "../../src/store/open.js";
import type { Q, Store } from "../../src/store/store.js";
import { migratedDb, ON_POSTGRES, runCli, tempDb } from "../helpers/cli.js";
import { parseExposition, request, valueOf, valuesBy, type Exposition } from "../helpers/exposition.js";
import { buildScenario, WHATICKET_TOKEN, type Scenario } from "../helpers/followup-scenario.js";

const T = { timeout: 60_000 };

async function serve(db: Store, metrics: DaemonMetrics, clock: () => Date): Promise<RunningHttpServer> {
  return startHttpServer({
    host: "127.0.0.1",
    port: 0,
    logger: silentLogger,
    routes: [healthRoutes({ store: db, metrics, clock, tickIntervalSeconds: 60 })],
  });
}

async function scrape(server: RunningHttpServer): Promise<Exposition> {
  const res = await request(`${server.url}/metrics`);
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parseExposition(res.text);
}

/**
 * The same counters straight from the audit rows: sends per company; answers per company and
 * response (payload.response, parsed here so the query is the same on both engines).
 */
async function countersFromAudit(db: Q) {
  const rows = await db.all<{ company_id: string | null; action: string; payload: string }>(
    "SELECT company_id, action, payload FROM audit_log WHERE action IN ('followup_sent', 'followup_response') ORDER BY id",
  );
  const sent: Record<string, number> = {};
  const byResponse: Record<string, Record<string, number>> = { positive: {}, negative: {}, feedback: {} };
  for (const r of rows) {
    const company = r.company_id ?? "";
    if (r.action === "followup_sent") sent[company] = (sent[company] ?? 0) + 1;
    else {
      const response = (JSON.parse(r.payload) as { response?: string }).response ?? "";
      if (byResponse[response]) byResponse[response][company] = (byResponse[response][company] ?? 0) + 1;
    }
  }
  return { sent, positive: byResponse.positive!, negative: byResponse.negative!, feedback: byResponse.feedback! };
}

/** Drops zero entries: the exposition shows every known company at 0, the audit only companies with rows. */
const nonZero = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).filter(([, n]) => n !== 0));

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
  let dbB: Store | null = null;

  before(async () => {
    s = await buildScenario({ observe: (db, clock) => (first = new DaemonMetrics({ store: db, clock: clock.now, tickIntervalSeconds: 60 })) });
    serverA = await serve(s.db, first, s.clock.now);
  });
  after(async () => {
    await serverA?.close();
    await serverB?.close();
    await dbB?.close();
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
    // Exactly what the audit log holds (the counters are kept from it by a trigger).
    const audit = await countersFromAudit(s.db);
    assert.deepEqual({ sent: nonZero(c.sent), positive: nonZero(c.positive), negative: nonZero(c.negative), feedback: nonZero(c.feedback) }, audit);
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

  test("a restart (new registry and connection on the same database) shows the same numbers", T, async () => {
    dbB = await openStore(s.dbPath);
    const restarted = new DaemonMetrics({ store: dbB, tickIntervalSeconds: 60 });
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
    const r = await runCli(["followups", "resend", String(s.ids.clinicaUnanswered), "--yes", "--force", "--db", s.dbPath], {
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
    assert.deepEqual(nonZero(followupCounters(await scrape(serverA)).sent), (await countersFromAudit(s.db)).sent);
  });
});

describe("the counters table, kept by the audit trigger", () => {
  test("every followup_sent / followup_response audit row is counted once, other actions are not; the scrape reads the small table only", T, async (t) => {
    const db = await migratedDb(tempDb());
    t.after(() => db.close());
    const at = "2026-03-10T12:00:00.000Z";
    await db.run("INSERT INTO companies (id, name) VALUES ('a', 'A'), ('b', 'B')");
    await writeAudit(db, { action: "followup_sent", appointment_id: 1, company_id: "a", created_at: at });
    await writeAudit(db, { action: "followup_sent", appointment_id: 2, company_id: "b", created_at: at });
    await writeAudit(db, { action: "followup_failed", appointment_id: 3, company_id: "a", created_at: at });
    await writeAudit(db, { action: "followup_response", appointment_id: 1, company_id: "a", payload: { response: "positive", feedback: null }, created_at: at });

    const m = new DaemonMetrics({ store: db, defaultMetrics: false, stateCacheMs: 0 });
    const read = async () => parseExposition(await m.metrics());
    let e = await read();
    assert.deepEqual(valuesBy(e, METRIC.sent, "company"), { a: 1, b: 1 });
    assert.deepEqual(valuesBy(e, METRIC.positive, "company"), { a: 1, b: 0 });
    // Nothing new: the same values (a scrape never counts a row twice).
    e = await read();
    assert.deepEqual(valuesBy(e, METRIC.sent, "company"), { a: 1, b: 1 });

    await writeAudit(db, { action: "followup_sent", appointment_id: 1, company_id: "a", payload: { resend: true }, created_at: at });
    await writeAudit(db, { action: "appointment_created", appointment_id: 9, company_id: "a", created_at: at });
    await writeAudit(db, { action: "followup_response", appointment_id: 2, company_id: "b", payload: { response: "negative", feedback: null }, created_at: at });
    await writeAudit(db, { action: "followup_response", appointment_id: 4, company_id: "b", payload: { response: "feedback", feedback: "ótimo" }, created_at: at });
    // A company that is not (or no longer) in the companies table still counts.
    await writeAudit(db, { action: "followup_sent", appointment_id: 5, company_id: "gone", created_at: at });
    // Written inside a transaction that rolls back: neither the audit row nor its count stays.
    await assert.rejects(
      db.tx(async (tx) => {
        await writeAudit(tx, { action: "followup_sent", appointment_id: 6, company_id: "a", created_at: at });
        throw new Error("rolled back");
      }),
      /rolled back/,
    );
    e = await read();
    assert.deepEqual(valuesBy(e, METRIC.sent, "company"), { a: 2, b: 1, gone: 1 });
    assert.deepEqual(valuesBy(e, METRIC.negative, "company"), { a: 0, b: 1 });
    assert.deepEqual(valuesBy(e, METRIC.replies, "intent", { company: "b" }), { followup_negative: 1, followup_feedback: 1 });

    // The table agrees with the audit rows, row for row.
    const audit = await countersFromAudit(db);
    assert.deepEqual(audit, { sent: { a: 2, b: 1, gone: 1 }, positive: { a: 1 }, negative: { b: 1 }, feedback: { b: 1 } });
    const rows = (await counterRows(db)).map((r) => `${r.company_id}|${r.action}|${r.response}|${r.n}`).sort();
    assert.deepEqual(rows, [
      "a|followup_response|positive|1",
      "a|followup_sent||2",
      "b|followup_response|feedback|1",
      "b|followup_response|negative|1",
      "b|followup_sent||1",
      "gone|followup_sent||1",
    ]);

    // The plans: the counters read their own table, never the audit log; states scan one covering index.
    if (ON_POSTGRES) {
      // PostgreSQL plans by statistics (a seq scan wins on tables this small), so the index is checked with seq scans off.
      const plan = (sql: string) =>
        db.tx(async (tx) => {
          await tx.exec("SET LOCAL enable_seqscan = off");
          return (await tx.all<{ "QUERY PLAN": string }>(`EXPLAIN ${sql}`)).map((r) => r["QUERY PLAN"]).join(" | ");
        });
      const counters = await plan(METRICS_SQL.followupCounters);
      assert.match(counters, /followup_counters/);
      assert.doesNotMatch(counters, /audit_log/);
      assert.match(await plan(METRICS_SQL.stateCounts), /Index Only Scan using appointments_company_status_end/);
    } else {
      const plan = async (sql: string) => (await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)).map((r) => r.detail).join(" | ");
      const counters = await plan(METRICS_SQL.followupCounters);
      assert.match(counters, /followup_counters/);
      assert.doesNotMatch(counters, /audit_log/);
      assert.match(await plan(METRICS_SQL.stateCounts), /COVERING INDEX appointments_company_status_end/);
      assert.doesNotMatch(await plan(METRICS_SQL.stateCounts), /TEMP B-TREE/);
    }
  });

  test("follow-ups by state are cached for stateCacheMs; a broken database keeps the last values and is counted", T, async () => {
    const path = tempDb();
    const db = await migratedDb(path);
    await db.run("INSERT INTO companies (id, name) VALUES ('a', 'A')");
    const insert = (externalId: string) =>
      db.run(
        "INSERT INTO appointments (company_id, external_id, client_name, client_phone, start_time, end_time, followup_status) VALUES ('a', ?, 'X', '5511999990000', '2026-03-10T10:00:00Z', '2026-03-10T11:00:00Z', 'scheduled')",
        [externalId],
      );
    await insert("e1");
    const cached = new DaemonMetrics({ store: db, defaultMetrics: false, stateCacheMs: 60_000 });
    const fresh = new DaemonMetrics({ store: db, defaultMetrics: false, stateCacheMs: 0 });
    assert.equal(valueOf(parseExposition(await cached.metrics()), METRIC.byState, { company: "a", state: "scheduled" }), 1);
    await insert("e2");
    assert.equal(valueOf(parseExposition(await cached.metrics()), METRIC.byState, { company: "a", state: "scheduled" }), 1, "within the cache time");
    assert.equal(valueOf(parseExposition(await fresh.metrics()), METRIC.byState, { company: "a", state: "scheduled" }), 2);

    await db.close();
    const e = parseExposition(await fresh.metrics());
    assert.equal(valueOf(e, METRIC.byState, { company: "a", state: "scheduled" }), 2, "last values kept");
    assert.ok((valueOf(e, METRIC.scrapeErrors) ?? 0) >= 1, "the scrape that failed counts itself");
  });
});

test("failure reasons are bounded labels", () => {
  assert.equal(failureReason({ kind: "permanent", status: 400, error: "HTTP 400 ERR_WAPP_INVALID_CONTACT", durationMs: 1 }), "http_400");
  assert.equal(failureReason({ kind: "transient", error: "timeout after 10000 ms", durationMs: 1 }), "timeout");
  assert.equal(failureReason({ kind: "transient", error: "ECONNREFUSED", durationMs: 1 }), "network");
  assert.equal(failureReason({ kind: "config", status: 0, error: "Whaticket token is empty", durationMs: 0 }), "configuration");
  assert.equal(failureReason({ kind: "permanent", status: 0, error: "ERR_INVALID_NUMBER (no digits; not sent)", durationMs: 0 }), "invalid_number");
});
