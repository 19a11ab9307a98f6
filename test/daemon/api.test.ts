import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { iso } from "../../src/clock.js";
import { apiRoutes, bearerMatches, parseListQuery, ApiQueryError } from "../../src/daemon/api-routes.js";
import { DaemonEventHub } from "../../src/daemon/events.js";
import { healthRoutes } from "../../src/daemon/health-routes.js";
import { startHttpServer, type RunningHttpServer } from "../../src/daemon/http-server.js";
import { DaemonMetrics, METRIC } from "../../src/daemon/metrics.js";
import { createLogger, silentLogger } from "../../src/logger.js";
import { getAppointment } from "../../src/store/appointments.js";
import { runCli } from "../helpers/cli.js";
import { parseExposition, request, valueOf } from "../helpers/exposition.js";
import { buildScenario, WHATICKET_TOKEN, type Scenario } from "../helpers/followup-scenario.js";

const T = { timeout: 90_000 };
const API_TOKEN = "api-test-token-5f1c0e-long-enough";
const AUTH = { Authorization: `Bearer ${API_TOKEN}` };

interface ListPage {
  items: Record<string, unknown>[];
  total: number;
  limit: number;
  offset: number;
}

describe("agenda API", () => {
  let s: Scenario;
  let server: RunningHttpServer;
  let off: RunningHttpServer;
  let metrics: DaemonMetrics;
  const logLines: string[] = [];

  before(async () => {
    s = await buildScenario();
    const hub = new DaemonEventHub();
    metrics = new DaemonMetrics({ store: s.db, defaultMetrics: false });
    hub.subscribe(metrics);
    const common = { store: s.db, clock: s.clock.now, gateway: s.gateway, whaticketDefaults: { url: null, token: null }, events: hub };
    server = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      logger: silentLogger,
      routes: [
        apiRoutes({ ...common, token: API_TOKEN, logger: createLogger({ write: (l) => logLines.push(l) }) }),
        healthRoutes({ store: s.db, metrics, clock: s.clock.now, tickIntervalSeconds: 60 }),
      ],
    });
    off = await startHttpServer({ host: "127.0.0.1", port: 0, logger: silentLogger, routes: [apiRoutes({ ...common, token: "  ", logger: silentLogger })] });
  });
  after(async () => {
    await server?.close();
    await off?.close();
    await s?.close();
  });

  const get = (path: string, headers: Record<string, string> = AUTH) => request(`${server.url}${path}`, { headers });
  const post = (path: string, headers: Record<string, string> = AUTH) => request(`${server.url}${path}`, { method: "POST", headers });

  test("no SECRETARIA_API_TOKEN configured: that value is no token (401); only `tokens create` tokens open the API", T, async () => {
    for (const [method, path, status] of [["GET", "/api/agenda/followups", 401], ["POST", "/api/agenda/followups/1/resend", 401], ["GET", "/api/anything", 404]] as const) {
      const res = await request(`${off.url}${path}`, { method, headers: AUTH });
      assert.equal(res.status, status, `${method} ${path}`);
    }
  });

  test("401 without the token or with a wrong one; the token never shows in answers or logs", T, async () => {
    const attempts: Record<string, string>[] = [{}, { Authorization: "Bearer wrong" }, { Authorization: `Bearer ${API_TOKEN}x` }, { Authorization: API_TOKEN }, { Authorization: `Basic ${API_TOKEN}` }, { Authorization: "Bearer " }];
    for (const headers of attempts) {
      const res = await get("/api/agenda/followups?status=all", headers);
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
      assert.ok(!res.text.includes(API_TOKEN));
    }
    assert.equal((await post(`/api/agenda/followups/${s.ids.clinicaUnanswered}/resend`, {})).status, 401);
    assert.equal((await get("/api/agenda/followups", { Authorization: `bearer ${API_TOKEN}` })).status, 200, "the scheme is case-insensitive");
    assert.ok(!logLines.join("\n").includes(API_TOKEN));
    // The token guards the API only: /metrics and /healthz, registered beside it, stay open.
    assert.equal((await request(`${server.url}/metrics`)).status, 200);
    assert.equal((await request(`${server.url}/healthz`)).status, 200);
    assert.equal((await request(`${server.url}/api/unknown`)).status, 404);
  });

  test("400 with a reason for every bad query parameter", T, async () => {
    const cases: [string, RegExp][] = [
      ["status=bogus", /status must be one of all, scheduled, pending/],
      ["status=", /status must be one of/],
      ["limit=abc", /limit must be a whole number from 1 to 500/],
      ["limit=0", /limit must be a whole number/],
      ["limit=501", /limit must be a whole number/],
      ["page=0", /page must be a whole number/],
      ["offset=-1", /offset must be a whole number/],
      ["page=2&offset=10", /page or offset, not both/],
      ["status=all&status=pending", /status is given more than once/],
      ["sort=random", /sort must be one of/],
      ["company=clinica", /unknown query parameter "company"/],
      ["company_id=", /company_id is empty/],
      ["company_id=nope", /unknown company_id "nope"/],
      ["since=25/11/2026", /since must be a date like 2026-11-25/],
      ["since=2026-11-25&until=2026-11-01", /since 2026-11-25 is after until 2026-11-01/],
    ];
    for (const [qs, reason] of cases) {
      const res = await get(`/api/agenda/followups?${qs}`);
      assert.equal(res.status, 400, qs);
      assert.match((res.json() as { error: string }).error, reason, qs);
    }
  });

  test("the same rows and JSON as `followups list --json` (run as a subprocess) for the same filters", T, async () => {
    const cases: { qs: string; args: string[] }[] = [
      { qs: "", args: [] },
      { qs: "status=all", args: ["--status", "all"] },
      { qs: "status=pending", args: ["--status", "pending"] },
      { qs: "status=positive", args: ["--status", "positive"] },
      { qs: "status=negative&company_id=estudio", args: ["--status", "negative", "--company", "estudio"] },
      { qs: "company_id=clinica&status=pending", args: ["--company", "clinica", "--status", "pending"] },
      { qs: "status=all&limit=3&page=2", args: ["--status", "all", "--limit", "3", "--page", "2"] },
      { qs: "status=all&sort=client&search=a", args: ["--status", "all", "--sort", "client", "--search", "a"] },
      { qs: "since=2000-01-01&until=2100-12-31", args: ["--since", "2000-01-01", "--until", "2100-12-31"] },
    ];
    for (const c of cases) {
      const api = await get(`/api/agenda/followups${c.qs ? `?${c.qs}` : ""}`);
      assert.equal(api.status, 200, `${c.qs}: ${api.text}`);
      const page = api.json() as ListPage;
      const cli = await runCli(["followups", "list", "--json", "--db", s.dbPath, ...c.args], { env: { SECRETARIA_NOW: iso(s.clock.now()) } });
      assert.equal(cli.code, 0, cli.stderr);
      const rows = JSON.parse(cli.stdout) as unknown[];
      // Same rows, same fields in the same order.
      assert.equal(JSON.stringify(page.items), JSON.stringify(rows), c.qs);
      assert.ok(page.items.length > 0 || c.qs.includes("page=2"), `${c.qs} selects something`);
    }
    const all = (await get("/api/agenda/followups?status=all&limit=3&page=2")).json() as ListPage;
    assert.deepEqual({ total: all.total, limit: all.limit, offset: all.offset, n: all.items.length }, { total: 11, limit: 3, offset: 3, n: 3 });
    assert.deepEqual(
      Object.keys(all.items[0]!),
      ["id", "company_id", "client_name", "client_phone", "end_time", "followup_status", "followup_next_scheduled", "followup_sent_at",
        "followup_response", "followup_attempts", "followup_last_error", "followup_skip_reason", "followup_responded_at",
        "followup_awaiting_clarification", "feedback_text", "followup_non_text_reply"],
    );
    const pending = (await get("/api/agenda/followups?status=pending&company_id=clinica")).json() as ListPage;
    assert.deepEqual(pending.items.map((i) => i.followup_status).sort(), ["scheduled", "sent"]);
  });

  test("resend: 200 with the follow-up, 409 with the reason when not allowed, 404 unknown id, 400 bad id, 502 when Whaticket refuses", T, async () => {
    const received = s.fake.received.length;
    // Sent 10 minutes ago: a plain resend is refused (test/daemon/no-blasting.test.ts); force=true sends.
    const ok = await post(`/api/agenda/followups/${s.ids.clinicaUnanswered}/resend?force=true`);
    assert.equal(ok.status, 200, ok.text);
    const body = ok.json() as { followup: Record<string, unknown>; whaticket: { status: number } };
    assert.equal(body.followup.id, s.ids.clinicaUnanswered);
    assert.equal(body.followup.followup_status, "sent");
    assert.equal(body.followup.followup_sent_at, iso(s.clock.now()));
    assert.equal(body.whaticket.status, 200);
    assert.equal(s.fake.received.length, received + 1);
    assert.ok(!ok.text.includes(WHATICKET_TOKEN));

    const refused = await post(`/api/agenda/followups/${s.ids.clinicaPositive}/resend`);
    assert.equal(refused.status, 409);
    assert.deepEqual(refused.json(), { error: "the client already answered (positive): the cycle is closed" });
    const scheduled = await post(`/api/agenda/followups/${s.ids.clinicaScheduled}/resend`);
    assert.equal(scheduled.status, 409);
    assert.match((scheduled.json() as { error: string }).error, /has not been sent yet/);

    assert.equal((await post("/api/agenda/followups/999999/resend")).status, 404);
    for (const bad of ["abc", "0", "-1", "1.5", "99999999999999999999"]) {
      const res = await post(`/api/agenda/followups/${bad}/resend`);
      assert.equal(res.status, 400, bad);
      assert.match((res.json() as { error: string }).error, /positive whole number/);
    }

    // The failed follow-up's number is still refused by Whaticket: nothing changes, 502 with the reason.
    const before = (await getAppointment(s.db, s.ids.clinicaFailed))!;
    const failed = await post(`/api/agenda/followups/${s.ids.clinicaFailed}/resend`);
    assert.equal(failed.status, 502);
    assert.match((failed.json() as { error: string }).error, /ERR_WAPP_INVALID_CONTACT/);
    assert.equal((await getAppointment(s.db, s.ids.clinicaFailed))!.followup_status, before.followup_status);

    // Resends are counted like the daemon's sends: the durable counter and the process's attempts.
    const e = parseExposition(await metrics.metrics());
    assert.equal(valueOf(e, METRIC.sent, { company: "clinica" }), 6);
    assert.equal(valueOf(e, METRIC.sendAttempts, { company: "clinica", outcome: "sent" }), 1);
    assert.equal(valueOf(e, METRIC.sendAttempts, { company: "clinica", outcome: "permanent" }), 1);
  });
});

test("query parsing and the bearer check, without HTTP", () => {
  assert.deepEqual(parseListQuery({}), { status: "all", sort: "-end", limit: 50, offset: 0 });
  assert.deepEqual(parseListQuery({ company_id: " clinica ", status: "pending", limit: "10", page: "3", search: "ana" }), {
    status: "pending", sort: "-end", limit: 10, offset: 20, companyId: "clinica", search: "ana",
  });
  assert.deepEqual(parseListQuery({ offset: "7" }).offset, 7);
  assert.throws(() => parseListQuery({ status: ["all", "pending"] }), ApiQueryError);
  assert.equal(bearerMatches(`Bearer ${API_TOKEN}`, API_TOKEN), true);
  assert.equal(bearerMatches(`Bearer  ${API_TOKEN} `, API_TOKEN), true);
  assert.equal(bearerMatches(undefined, API_TOKEN), false);
  assert.equal(bearerMatches("Bearer", API_TOKEN), false);
  assert.equal(bearerMatches(`Bearer ${API_TOKEN.slice(0, -1)}`, API_TOKEN), false);
});
