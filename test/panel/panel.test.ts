import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { startHttpServer, type RunningHttpServer } from "../../src/daemon/http-server.js";
import { panelRoutes } from "../../src/daemon/panel-routes.js";
import { silentLogger } from "../../src/logger.js";
import { createApiToken } from "../../src/services/token-service.js";
import { getAppointment } from "../../src/store/appointments.js";
import { REPO_ROOT, runCli } from "../helpers/cli.js";
import { request } from "../helpers/exposition.js";
import { buildScenario, type Scenario } from "../helpers/followup-scenario.js";

/**
 * The /painel panel driven in a real headless Chromium (Debian's `chromium`, through
 * puppeteer-core). Without chromium the suite is skipped with the reason, except under CI=true
 * where it fails.
 */

const CHROMIUM = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => p && existsSync(p));
const SKIP = !CHROMIUM && process.env.CI !== "true" ? "chromium is not installed (apt-get install chromium); the panel's browser tests need it" : false;
const SHOTS = join(REPO_ROOT, ".tmp", "panel-screenshots");
const T = { timeout: 120_000 };

type Browser = import("puppeteer-core").Browser;
type Page = import("puppeteer-core").Page;

describe("the /painel panel in Chromium", { skip: SKIP }, () => {
  let s: Scenario;
  let server: RunningHttpServer;
  let browser: Browser;
  let clinicaToken: string;
  let estudioRowId: number;

  before(async () => {
    if (!CHROMIUM) throw new Error("CI=true and chromium is missing: install Debian's chromium package (.ci/run does)");
    s = await buildScenario();
    clinicaToken = (await createApiToken(s.db, s.clock.now, { companyId: "clinica" })).token;
    estudioRowId = Number((await s.db.get<{ id: number }>("SELECT id FROM appointments WHERE company_id = 'estudio' ORDER BY id LIMIT 1"))!.id);
    server = await startHttpServer({
      host: "127.0.0.1", port: 0, logger: silentLogger,
      routes: [panelRoutes({ store: s.db, clock: s.clock.now, gateway: s.gateway, whaticketDefaults: { url: null, token: null }, logger: silentLogger, token: null })],
    });
    const puppeteer = (await import("puppeteer-core")).default;
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
    mkdirSync(SHOTS, { recursive: true });
    console.log(`panel screenshots: ${SHOTS}`);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await s?.close();
  });

  /** A fresh browser context (its own cookies) per login. */
  async function login(token: string, width = 1280): Promise<Page> {
    const page = await (await browser.createBrowserContext()).newPage();
    await page.setViewport({ width, height: 900 });
    await page.goto(`${server.url}/painel`);
    await page.type("#token", token);
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    return page;
  }
  const counters = (page: Page) =>
    page.$$eval("[data-counter]", (els) => Object.fromEntries(els.map((e) => [e.getAttribute("data-counter"), Number(e.getAttribute("data-value"))])));

  test("a wrong token is refused; no session cookie is set", T, async () => {
    const page = await (await browser.createBrowserContext()).newPage();
    await page.goto(`${server.url}/painel`);
    await page.type("#token", "sct_not-a-real-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    assert.match(await page.$eval("[role=alert]", (e) => e.textContent ?? ""), /Token inválido/);
    assert.equal((await page.cookies()).some((c) => c.name === "painel_sid"), false);
    await page.close();
  });

  test("a company token: its counters equal `secretaria stats --json` for the same filters, at 390 px and 1280 px", T, async () => {
    const env = { SECRETARIA_NOW: s.clock.now().toISOString() };
    for (const days of [30, 7]) {
      const page = await login(clinicaToken);
      if (days !== 30) {
        await page.select("#f-days", String(days));
        await Promise.all([page.waitForNavigation(), page.click("form.filters button[type=submit]")]);
      }
      const shown = await counters(page);
      const cli = await runCli(["stats", "--json", "--company", "clinica", "--days", String(days), "--db", s.dbPath], { env });
      assert.equal(cli.code, 0, cli.stderr);
      const want = JSON.parse(cli.stdout) as Record<string, number>;
      for (const k of ["positive", "negative", "feedback", "pending", "sent", "failed", "response_rate"]) assert.equal(shown[k], want[k], `${k} over ${days} days`);
      const companies = await page.$$eval("tbody tr[data-id]", (rows) => rows.length);
      assert.ok(companies > 0);
      await page.close();
    }
    for (const width of [390, 1280]) {
      const page = await login(clinicaToken, width);
      await page.screenshot({ path: join(SHOTS, `painel-${width}.png`), fullPage: true });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `no sideways scrolling of the page at ${width}px (overflow ${overflow}px)`);
      await page.close();
    }
  });

  test("filter by status, then resend a pending follow-up: the row changes; a refusal shows its reason", T, async () => {
    const page = await login(clinicaToken);
    await page.select("#f-status", "pending");
    await Promise.all([page.waitForNavigation(), page.click("form.filters button[type=submit]")]);
    const statuses = await page.$$eval("tbody tr[data-id]", (rows) => rows.map((r) => r.getAttribute("data-status")));
    assert.ok(statuses.length > 0 && statuses.every((st) => ["scheduled", "sending", "sent"].includes(st!)), statuses.join(","));
    const id = s.ids.clinicaUnanswered;
    // Past the "recently sent" window of the resend rules (the same for CLI, API and panel).
    s.clock.advance(13 * 3600_000);
    const beforeRow = await getAppointment(s.db, id);
    const attemptsBefore = await page.$eval(`tr[data-id="${id}"] td.attempts`, (e) => e.textContent);
    await Promise.all([page.waitForNavigation(), page.click(`tr[data-id="${id}"] a`)]);
    assert.match(await page.content(), /Reenviar follow-up\?/);
    await Promise.all([page.waitForNavigation(), page.click("#confirm-resend")]);
    assert.match(await page.$eval(".flash", (e) => e.textContent ?? ""), /reenviado/);
    const afterRow = await getAppointment(s.db, id);
    assert.notEqual(afterRow!.followup_sent_at, null);
    assert.ok(s.fake.received.some((m) => m.number.length > 0), "the fake Whaticket got the message");
    const attemptsAfter = await page.$eval(`tr[data-id="${id}"] td.attempts`, (e) => e.textContent);
    assert.ok(afterRow!.followup_attempts !== beforeRow!.followup_attempts || afterRow!.followup_sent_at !== beforeRow!.followup_sent_at);
    assert.equal(attemptsAfter, String(afterRow!.followup_attempts), `was ${attemptsBefore}`);
    await page.screenshot({ path: join(SHOTS, "painel-after-resend-1280.png"), fullPage: true });
    // A positive follow-up cannot be resent: the panel shows the service's reason.
    await page.goto(`${server.url}/painel/reenviar/${s.ids.clinicaPositive}`);
    await Promise.all([page.waitForNavigation(), page.click("#confirm-resend")]);
    assert.match(await page.$eval(".flash.err", (e) => e.textContent ?? ""), /Reenvio recusado: .+/);
    await page.close();
  });

  test("a company token cannot see or resend another company's data", T, async () => {
    const page = await login(clinicaToken);
    const res = await page.goto(`${server.url}/painel?company=estudio`);
    assert.equal(res!.status(), 403);
    const other = await page.goto(`${server.url}/painel/reenviar/${estudioRowId}`);
    assert.equal(other!.status(), 404);
    await page.goto(`${server.url}/painel?status=all`);
    const companiesShown = await page.$$eval("tbody tr[data-id]", (rows) => rows.map((r) => r.getAttribute("data-id")));
    assert.ok(!companiesShown.includes(String(estudioRowId)));
    await page.close();
  });

  test("CSRF: a POST without or with a wrong CSRF token is refused (403) and sends nothing", T, async () => {
    const page = await login(clinicaToken);
    const cookie = (await page.cookies()).find((c) => c.name === "painel_sid")!;
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, "Strict");
    const sent = s.fake.received.length;
    const headers = { Cookie: `painel_sid=${cookie.value}`, "Content-Type": "application/x-www-form-urlencoded" };
    for (const body of ["", "csrf=wrong"]) {
      const r = await request(`${server.url}/painel/reenviar/${s.ids.clinicaUnanswered}`, { method: "POST", headers, body });
      assert.equal(r.status, 403, body);
      const out = await request(`${server.url}/painel/logout`, { method: "POST", headers, body });
      assert.equal(out.status, 403, `logout ${body}`);
    }
    assert.equal(s.fake.received.length, sent);
    // Logout with the page's own form ends the session.
    await Promise.all([page.waitForNavigation(), page.click("header form button")]);
    assert.ok(await page.$("#token"));
    const again = await request(`${server.url}/painel`, { headers: { Cookie: `painel_sid=${cookie.value}` } });
    assert.match(again.text, /id="token"/);
    await page.close();
  });

  test("CSV download of the current table", T, async () => {
    const page = await login(clinicaToken);
    const cookie = (await page.cookies()).find((c) => c.name === "painel_sid")!;
    const r = await request(`${server.url}/painel/export.csv?status=all`, { headers: { Cookie: `painel_sid=${cookie.value}` } });
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type") ?? "", /text\/csv/);
    const lines = r.text.trim().split("\r\n");
    assert.match(lines[0]!, /id,company_id,status,client_name,client_phone/);
    assert.ok(lines.slice(1).every((l) => l.split(",")[1] === "clinica"));
    assert.ok(!/55119\d{8}/.test(r.text), "phones masked unless asked");
    await page.close();
  });
});
