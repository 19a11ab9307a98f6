import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { apiRoutes } from "../../src/daemon/api-routes.js";
import { startHttpServer, type RunningHttpServer } from "../../src/daemon/http-server.js";
import { silentLogger } from "../../src/logger.js";
import { createApiToken, envOperatorToken, revokeToken, verifyApiToken, TOKEN_PREFIX } from "../../src/services/token-service.js";
import { getAppointment } from "../../src/store/appointments.js";
import { runCli } from "../helpers/cli.js";
import { request } from "../helpers/exposition.js";
import { buildScenario, type Scenario } from "../helpers/followup-scenario.js";

const T = { timeout: 90_000 };

describe("scoped API tokens", () => {
  let s: Scenario;
  let server: RunningHttpServer;
  let clinicaToken: string;
  let operatorToken: string;

  before(async () => {
    s = await buildScenario();
    clinicaToken = (await createApiToken(s.db, s.clock.now, { companyId: "clinica", name: "recepção" })).token;
    operatorToken = (await createApiToken(s.db, s.clock.now, { companyId: null })).token;
    server = await startHttpServer({
      host: "127.0.0.1", port: 0, logger: silentLogger,
      routes: [apiRoutes({ store: s.db, token: null, clock: s.clock.now, gateway: s.gateway, whaticketDefaults: { url: null, token: null }, logger: silentLogger })],
    });
  });
  after(async () => {
    await server?.close();
    await s?.close();
  });
  const as = (token: string) => ({ Authorization: `Bearer ${token}` });

  test("tokens are sct_ + 43 base64url chars; verifyApiToken knows the scope; revoked and wrong tokens are null", T, async () => {
    assert.match(clinicaToken, new RegExp(`^${TOKEN_PREFIX}[A-Za-z0-9_-]{43}$`));
    assert.deepEqual(await verifyApiToken(s.db, clinicaToken), { scope: "company", companyId: "clinica" });
    assert.deepEqual(await verifyApiToken(s.db, operatorToken), { scope: "operator" });
    assert.equal(await verifyApiToken(s.db, `${clinicaToken}x`), null);
    assert.equal(await verifyApiToken(s.db, ""), null);
    const env = "an-operator-env-token-of-32-chars!";
    assert.deepEqual(await verifyApiToken(s.db, env, { envToken: env }), { scope: "operator" });
    assert.equal(await verifyApiToken(s.db, env), null, "the env token counts only when configured");
    const t = await createApiToken(s.db, s.clock.now, { companyId: "estudio" });
    await revokeToken(s.db, s.clock.now, t.id);
    assert.equal(await verifyApiToken(s.db, t.token), null);
    const stored = await s.db.all<Record<string, unknown>>("SELECT * FROM api_tokens");
    assert.ok(!JSON.stringify(stored).includes(clinicaToken.slice(4)), "only the hash is stored");
    assert.throws(() => envOperatorToken({ SECRETARIA_API_TOKEN: "short-token" }), /shorter than 24 characters/);
    assert.equal(envOperatorToken({}), null);
  });

  test("a company token lists only its company; another company_id is 403", T, async () => {
    const mine = await request(`${server.url}/api/agenda/followups?limit=500`, { headers: as(clinicaToken) });
    assert.equal(mine.status, 200);
    const items = (mine.json() as { items: { company_id: string }[] }).items;
    assert.ok(items.length > 0);
    assert.ok(items.every((i) => i.company_id === "clinica"));
    const other = await request(`${server.url}/api/agenda/followups?company_id=estudio`, { headers: as(clinicaToken) });
    assert.equal(other.status, 403);
    const all = await request(`${server.url}/api/agenda/followups?limit=500`, { headers: as(operatorToken) });
    assert.ok((all.json() as { items: { company_id: string }[] }).items.some((i) => i.company_id === "estudio"));
    assert.equal((await request(`${server.url}/api/agenda/followups`, { headers: as("sct_wrong") })).status, 401);
  });

  test("a company token cannot resend another company's follow-up (404, nothing sent); its own goes through", T, async () => {
    const estudio = await s.db.get<{ id: number }>("SELECT id FROM appointments WHERE company_id = 'estudio' ORDER BY id LIMIT 1");
    assert.ok(estudio);
    const before = await getAppointment(s.db, Number(estudio.id));
    const res = await request(`${server.url}/api/agenda/followups/${estudio.id}/resend`, { method: "POST", headers: as(clinicaToken) });
    assert.equal(res.status, 404);
    assert.deepEqual(await getAppointment(s.db, Number(estudio.id)), before);
    const own = await request(`${server.url}/api/agenda/followups/${s.ids.clinicaUnanswered}/resend`, { method: "POST", headers: as(clinicaToken) });
    assert.ok([200, 409].includes(own.status), own.text);
  });

  test("CLI: tokens create prints the token once, list never shows it, revoke works", T, async () => {
    const db = s.dbPath;
    const created = await runCli(["tokens", "create", "--company", "clinica", "--name", "balcão", "--db", db]);
    assert.equal(created.code, 0, created.stderr);
    const token = /sct_[A-Za-z0-9_-]{43}/.exec(created.stdout)?.[0];
    assert.ok(token);
    const list = await runCli(["tokens", "list", "--json", "--db", db]);
    assert.equal(list.code, 0, list.stderr);
    assert.ok(!list.stdout.includes(token));
    const rows = JSON.parse(list.stdout) as { id: number; name: string; scope: string }[];
    const row = rows.find((r) => r.name === "balcão")!;
    assert.equal(row.scope, "company");
    assert.deepEqual(await verifyApiToken(s.db, token), { scope: "company", companyId: "clinica" });
    const revoked = await runCli(["tokens", "revoke", String(row.id), "--db", db]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(await verifyApiToken(s.db, token), null);
    const bad = await runCli(["tokens", "create", "--company", "nope", "--db", db]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^secretaria: unknown company "nope"/);
    const both = await runCli(["tokens", "create", "--db", db]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--company ID .* or --operator/);
    const op = await runCli(["tokens", "create", "--operator", "--db", db]);
    assert.equal(op.code, 0);
  });
});
