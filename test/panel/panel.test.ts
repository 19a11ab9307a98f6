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
const PAGE = 4;

/**
 * The three texts with the lowest contrast against their background, relative to WCAG AA's minimum
 * (4.5:1; 3:1 for large text). Plain JavaScript run in the page (tsx would add helpers the page lacks).
 */
const WORST_CONTRASTS = `(() => {
  const rgba = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lin = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  const lum = (c) => 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
  const background = (e) => {
    for (; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const found = [];
  for (const e of document.querySelectorAll("body *")) {
    const own = [...e.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join("").trim();
    if (!own || e.getClientRects().length === 0) continue;
    const st = getComputedStyle(e);
    if (st.visibility === "hidden" || st.display === "none") continue;
    const [a, b] = [lum(rgba(e instanceof SVGElement ? st.fill : st.color)), lum(background(e))].sort((x, y) => y - x);
    const size = parseFloat(st.fontSize), bold = Number(st.fontWeight) >= 700;
    found.push({ ratio: (a + 0.05) / (b + 0.05), need: size >= 24 || (bold && size >= 18.66) ? 3 : 4.5, text: own.slice(0, 30) });
  }
  return found.sort((x, y) => x.ratio / x.need - y.ratio / y.need).slice(0, 3);
})()`;

type Browser = import("puppeteer-core").Browser;
type Page = import("puppeteer-core").Page;

describe("the /painel panel in Chromium", { skip: SKIP }, () => {
  let s: Scenario;
  let server: RunningHttpServer;
  let browser: Browser;
  let clinicaToken: string;
  let operatorToken: string;
  let estudioRowId: number;

  before(async () => {
    if (!CHROMIUM) throw new Error("CI=true and chromium is missing: install Debian's chromium package (.ci/run does)");
    s = await buildScenario();
    clinicaToken = (await createApiToken(s.db, s.clock.now, { companyId: "clinica" })).token;
    operatorToken = (await createApiToken(s.db, s.clock.now, { companyId: null })).token;
    estudioRowId = Number((await s.db.get<{ id: number }>("SELECT id FROM appointments WHERE company_id = 'estudio' ORDER BY id LIMIT 1"))!.id);
    server = await startHttpServer({
      host: "127.0.0.1", port: 0, logger: silentLogger,
      // Four rows a page: clinica's seven follow-ups make two pages.
      routes: [panelRoutes({ store: s.db, clock: s.clock.now, gateway: s.gateway, whaticketDefaults: { url: null, token: null }, logger: silentLogger, token: null, pageSize: PAGE })],
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
      const fit = await page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        table: Math.max(...[...document.querySelectorAll(".tablewrap")].map((w) => w.scrollWidth - w.clientWidth)),
        resend: Math.max(...[...document.querySelectorAll("tr[data-id] td.act a")].map((a) => a.getBoundingClientRect().right)),
      }));
      assert.ok(fit.page <= width, `no sideways scrolling of the page at ${width}px (scrollWidth ${fit.page})`);
      assert.ok(fit.table <= 1, `no table to swipe sideways at ${width}px (${fit.table}px hidden)`);
      assert.ok(fit.resend > 0 && fit.resend <= width, `every "Reenviar" within the screen at ${width}px (right edge ${fit.resend})`);
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
    const refusal = await page.$eval(".flash.err", (e) => e.textContent ?? "");
    assert.match(refusal, /^Reenvio recusado: o cliente já respondeu \(👍 positivo\): o ciclo está encerrado\.$/);
    assert.doesNotMatch(refusal, /--force|force=true/, "no CLI or API flag in the panel");
    await page.close();
  });

  test("a company token cannot see or resend another company's data", T, async () => {
    const page = await login(clinicaToken);
    const res = await page.goto(`${server.url}/painel?company=estudio`);
    assert.equal(res!.status(), 403);
    const other = await page.goto(`${server.url}/painel/reenviar/${estudioRowId}`);
    assert.equal(other!.status(), 404);
    const picker = await page.goto(`${server.url}/painel?company=estudio&status=all&page=1`);
    assert.equal(picker!.status(), 403);
    await page.goto(`${server.url}/painel`);
    assert.equal(await page.$("#f-company"), null, "no company picker for a company token");
    const cookie = (await page.cookies()).find((c) => c.name === "painel_sid")!;
    const csrf = await page.$eval("input[name=csrf]", (e) => (e as HTMLInputElement).value);
    const headers = { Cookie: `painel_sid=${cookie.value}`, "Content-Type": "application/x-www-form-urlencoded" };
    assert.equal((await request(`${server.url}/painel/export.csv?company=estudio`, { headers })).status, 403);
    const before = await getAppointment(s.db, estudioRowId);
    const sent = s.fake.received.length;
    const post = await request(`${server.url}/painel/reenviar/${estudioRowId}`, { method: "POST", headers, body: `csrf=${encodeURIComponent(csrf)}` });
    assert.equal(post.status, 404, "a resend of another company's follow-up, with a valid session and CSRF token");
    assert.equal(s.fake.received.length, sent);
    assert.deepEqual(await getAppointment(s.db, estudioRowId), before);
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

  test("an operator token: a company picker; all companies and each one equal `secretaria stats --json`", T, async () => {
    const env = { SECRETARIA_NOW: s.clock.now().toISOString() };
    const page = await login(operatorToken);
    assert.deepEqual(await page.$$eval("#f-company option", (os) => os.map((o) => (o as HTMLOptionElement).value)), ["", "clinica", "estudio"]);
    for (const company of ["", "estudio", "clinica"]) {
      if (company) {
        await page.select("#f-company", company);
        await Promise.all([page.waitForNavigation(), page.click("form.filters button[type=submit]")]);
      }
      const shown = await counters(page);
      const cli = await runCli(["stats", "--json", ...(company ? ["--company", company] : []), "--days", "30", "--db", s.dbPath], { env });
      assert.equal(cli.code, 0, cli.stderr);
      const want = JSON.parse(cli.stdout) as Record<string, number>;
      for (const k of ["positive", "negative", "feedback", "pending", "sent", "failed", "response_rate"]) assert.equal(shown[k], want[k], `${k} for "${company || "all"}"`);
      const owners = await page.$$eval("tbody tr[data-id]", (rows) => rows.map((r) => r.getAttribute("data-id")));
      const companies = new Set((await s.db.all<{ company_id: string }>(`SELECT company_id FROM appointments WHERE id IN (${owners.join(",")})`)).map((r) => r.company_id));
      assert.deepEqual([...companies].sort(), company ? [company] : ["clinica", "estudio"].filter((c) => companies.has(c)));
    }
    await page.close();
  });

  test("paging: four rows a page, the next page holds the rest; the CSV link downloads the page on screen", T, async () => {
    const page = await login(clinicaToken);
    const onScreen = () => page.$$eval("tbody tr[data-id]", (rows) => rows.map((r) => r.getAttribute("data-id")!));
    const pager = () => page.$eval("nav.pager", (e) => e.textContent ?? "");
    const csvIds = async () => {
      const href = await page.$eval("a[download]", (a) => (a as HTMLAnchorElement).href);
      const cookie = (await page.cookies()).find((c) => c.name === "painel_sid")!;
      const r = await request(href, { headers: { Cookie: `painel_sid=${cookie.value}` } });
      assert.equal(r.status, 200);
      return r.text.trim().split("\r\n").slice(1).map((l) => l.replace(/^\ufeff/, "").split(",")[0]!);
    };
    const total = Number((await s.db.get<{ n: number }>("SELECT count(*) AS n FROM appointments WHERE company_id = 'clinica'"))!.n);
    assert.ok(total > PAGE && total <= 2 * PAGE, `the scenario has ${total} clinica follow-ups`);
    const first = await onScreen();
    assert.equal(first.length, PAGE);
    assert.match(await pager(), /Página 1 de 2/);
    assert.deepEqual(await csvIds(), first);
    await Promise.all([page.waitForNavigation(), page.click("a[rel=next]")]);
    const second = await onScreen();
    assert.match(await pager(), /Página 2 de 2/);
    assert.equal(await page.$("a[rel=next]"), null);
    assert.equal(second.length, total - PAGE);
    assert.deepEqual(await csvIds(), second);
    assert.equal(new Set([...first, ...second]).size, total, "no row on both pages, none missing");
    await Promise.all([page.waitForNavigation(), page.click("a[rel=prev]")]);
    assert.deepEqual(await onScreen(), first);
    await page.close();
  });

  test("phones are masked unless 'Mostrar telefones' is ticked, in the table and in the CSV", T, async () => {
    const page = await login(clinicaToken);
    const full = /55119\d{8}/;
    assert.doesNotMatch(await page.$eval("table.list", (t) => t.textContent ?? ""), full);
    assert.match(await page.$eval("table.list", (t) => t.textContent ?? ""), /5511\*+\d{2}/);
    await page.click("#f-phones");
    await Promise.all([page.waitForNavigation(), page.click("form.filters button[type=submit]")]);
    assert.match(await page.$eval("table.list", (t) => t.textContent ?? ""), /\+55119\d{8}/);
    const href = await page.$eval("a[download]", (a) => (a as HTMLAnchorElement).href);
    assert.match(href, /phones=1/);
    const cookie = (await page.cookies()).find((c) => c.name === "painel_sid")!;
    assert.match((await request(href, { headers: { Cookie: `painel_sid=${cookie.value}` } })).text, full);
    await page.close();
  });

  test("the table shows each client's own answer (the words that decided it); \"Reenviar\" only on rows whose state allows it", T, async () => {
    const page = await login(clinicaToken);
    const idOf = async (ext: string) => Number((await s.db.get<{ id: number }>("SELECT id FROM appointments WHERE external_id = ?", [ext]))!.id);
    for (const [status, ext, text] of [["feedback", "clinica-4", "O atendimento foi excelente, só preciso de mais materiais."], ["negative", "clinica-3", "Não, obrigado"]] as const) {
      await page.select("#f-status", status);
      await Promise.all([page.waitForNavigation(), page.click("form.filters button[type=submit]")]);
      assert.equal(await page.$eval(`tr[data-id="${await idOf(ext)}"] td.answer`, (e) => e.textContent), text);
      // "Reenviar" only where the state allows it: feedback yes, an answered negative no.
      assert.equal(!!(await page.$(`tr[data-id="${await idOf(ext)}"] td.act a`)), status === "feedback", `Reenviar on a ${status} row`);
    }
    await page.select("#f-status", "scheduled");
    await Promise.all([page.waitForNavigation(), page.click("form.filters button[type=submit]")]);
    assert.equal(await page.$$eval("tr[data-id] td.act a", (as) => as.length), 0, "nothing to resend before the first send");
    await page.close();
  });

  test("cookies: HttpOnly, SameSite=Strict, Path=/painel, and Secure when the request came over HTTPS (X-Forwarded-Proto)", T, async () => {
    for (const https of [false, true]) {
      const h: Record<string, string> = https ? { "X-Forwarded-Proto": "https" } : {};
      const form = await request(`${server.url}/painel`, { headers: h });
      const loginCookie = form.headers.getSetCookie().find((c) => c.startsWith("painel_login="))!;
      const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)![1]!;
      const r = await request(`${server.url}/painel/login`, {
        method: "POST",
        headers: { ...h, Cookie: loginCookie.split(";")[0]!, "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ csrf, token: clinicaToken }).toString(),
      });
      assert.equal(r.status, 303, r.text);
      const sid = r.headers.getSetCookie().find((c) => c.startsWith("painel_sid="))!;
      for (const c of [loginCookie, sid]) {
        const attrs = c.split(";").map((a) => a.trim());
        for (const a of ["HttpOnly", "SameSite=Strict", "Path=/painel"]) assert.ok(attrs.includes(a), `${a} in ${c.split("=")[0]}`);
        assert.equal(attrs.includes("Secure"), https, `Secure ${https ? "behind" : "without"} HTTPS: ${c.split("=")[0]}`);
      }
    }
  });

  test("CSRF on the login form too: without the form's cookie or with another value, no session is opened", T, async () => {
    const form = await request(`${server.url}/painel`);
    const loginCookie = form.headers.getSetCookie().find((c) => c.startsWith("painel_login="))!.split(";")[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)![1]!;
    for (const [cookie, body] of [
      [null, { csrf, token: clinicaToken }],
      [loginCookie, { csrf: "wrong", token: clinicaToken }],
      [loginCookie, { token: clinicaToken }],
    ] as const) {
      const r = await request(`${server.url}/painel/login`, {
        method: "POST",
        headers: { ...(cookie ? { Cookie: cookie } : {}), "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(body).toString(),
      });
      assert.equal(r.status, 403, JSON.stringify({ cookie: !!cookie, csrf: "csrf" in body }));
      assert.ok(!r.headers.getSetCookie().some((c) => c.startsWith("painel_sid=")), "no session cookie");
    }
  });

  test("accessible: labelled controls, keyboard alone, contrast ≥ 4.5:1, the chart's text alternative equals `stats`", T, async () => {
    const page = await (await browser.createBrowserContext()).newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`${server.url}/painel`);
    const active = () => page.evaluate(() => {
      const e = document.activeElement as HTMLElement | null;
      return { id: e?.id ?? "", tag: e?.tagName ?? "", text: (e?.textContent ?? "").trim(), outline: e ? getComputedStyle(e).outlineStyle : "none" };
    });
    /** Tab until `want` holds (bounded), and return the focused element. */
    const tabTo = async (want: (a: Awaited<ReturnType<typeof active>>) => boolean) => {
      for (let i = 0; i < 80; i++) {
        await page.keyboard.press("Tab");
        const a = await active();
        if (want(a)) return a;
      }
      throw new Error("not reached with Tab");
    };
    // Log in with the keyboard alone.
    await tabTo((a) => a.id === "token");
    await page.keyboard.type(clinicaToken);
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    assert.ok(await page.$("#f-status"), "logged in");

    // Every control has an accessible name.
    const unnamed = await page.$$eval("input:not([type=hidden]), select, button, a[href], [tabindex]", (els) =>
      els.filter((e) => {
        const labels = (e as HTMLInputElement).labels;
        return !(labels && labels.length > 0) && !e.getAttribute("aria-label") && !e.getAttribute("aria-labelledby") && !(e.textContent ?? "").trim();
      }).map((e) => e.outerHTML.slice(0, 80)));
    assert.deepEqual(unnamed, []);

    // Open a row's "Reenviar" with the keyboard, with a visible focus ring, and cancel with the keyboard.
    const link = await tabTo((a) => a.tag === "A" && a.text === "Reenviar");
    assert.notEqual(link.outline, "none", "the focused link shows a focus ring");
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    assert.match(await page.content(), /Reenviar follow-up\?/);
    await tabTo((a) => a.tag === "A" && a.text === "Cancelar");
    await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
    assert.ok(await page.$("#f-status"), "back on the panel, nothing sent");

    // Text contrast (WCAG AA: 4.5:1, 3:1 for large text), every visible text on the page.
    const worst = (await page.evaluate(WORST_CONTRASTS)) as { ratio: number; need: number; text: string }[];
    for (const w of worst) assert.ok(w.ratio >= w.need, `contrast ${w.ratio.toFixed(2)}:1 < ${w.need}:1 for "${w.text}"`);

    // The chart: an image named by its title and description, with its values as a table equal to the CLI's.
    const chart = await page.$eval("svg[role=img]", (svg) => (svg.getAttribute("aria-labelledby") ?? "").split(" ").map((id) => document.getElementById(id)?.textContent ?? ""));
    assert.equal(chart.length, 2);
    assert.ok(chart.every((t) => t.trim().length > 0));
    const cli = await runCli(["stats", "--json", "--company", "clinica", "--days", "30", "--db", s.dbPath], { env: { SECRETARIA_NOW: s.clock.now().toISOString() } });
    const daily = (JSON.parse(cli.stdout) as { daily: { date: string; positive: number; negative: number }[] }).daily;
    const sum = (k: "positive" | "negative") => daily.reduce((n, d) => n + d[k], 0);
    assert.match(chart[1]!, new RegExp(`${sum("positive")} respostas positivas e ${sum("negative")} negativas`));
    const table = await page.$$eval("details table tbody tr", (rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent)));
    const dayPtBR = (iso: string) => iso.split("-").reverse().join("/");
    assert.deepEqual(table, daily.map((d) => [dayPtBR(d.date), String(d.positive), String(d.negative)]));
    await page.close();
  });
});
