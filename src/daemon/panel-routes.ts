import { randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../clock.js";
import type { WhaticketDefaults } from "../config.js";
import type { WhaticketGateway } from "../gateway/whaticket.js";
import type { Logger } from "../logger.js";
import type { GatewaySet } from "../services/gateway-service.js";
import { confirmPage, csvOf, dashboardPage, loginPage, page, esc } from "../render/panel-html.js";
import { refusalPtBR } from "../render/panel-text.js";
import { FollowupNotFoundError, ResendFailedError, ResendRefusedError, resendFollowup } from "../services/followup-service.js";
import { computeStats } from "../services/stats-service.js";
import { verifyApiToken, type TokenScope } from "../services/token-service.js";
import type { AppointmentRow } from "../store/appointments.js";
import type { StatusFilter } from "../store/followup-queries.js";
import { getAppointment } from "../services/appointment-service.js";
import { listCompanies } from "../services/company-service.js";
import { STATUS_FILTERS } from "../services/followup-list-service.js";
import { latestAnswers } from "../services/inbox-service.js";
import type { Store } from "../store/store.js";
import { listPage } from "./api-routes.js";
import type { HttpRoutes } from "./http-server.js";

/**
 * The "Pós-Atendimento" panel at /painel (pt-BR, server-rendered): the same services as the CLI
 * and the API (computeStats for the counters and the chart, listPage for the table,
 * resendFollowup for "Reenviar"). Login with a token from `secretaria tokens create` (a company
 * token sees its company only; an operator token picks one) or SECRETARIA_API_TOKEN.
 * Sessions live in this process (lost on restart: log in again), 8 h; the cookie is HttpOnly,
 * SameSite=Strict, Secure behind HTTPS (X-Forwarded-Proto: https). Every POST carries the
 * session's CSRF token (the login form a double-submit cookie).
 */

export interface PanelRoutesOptions {
  store: Store;
  clock: Clock;
  gateway: WhaticketGateway;
  /** Evolution API / Cloud API clients for resends of companies on those gateways. */
  gateways?: Omit<GatewaySet, "whaticket">;
  whaticketDefaults: WhaticketDefaults;
  logger: Logger;
  /** SECRETARIA_API_TOKEN (operator), when set. */
  token?: string | null;
  /** Session lifetime; default 8 hours. */
  sessionMs?: number;
  /** Rows per page; default PANEL_PAGE_SIZE. */
  pageSize?: number;
}

interface Session {
  scope: TokenScope;
  csrf: string;
  expiresAt: number;
  flash?: { ok: boolean; text: string };
}

export const PANEL_PAGE_SIZE = 25;
const SID = "painel_sid";
const LOGIN_CSRF = "painel_login";

function cookies(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const isHttps = (req: FastifyRequest) => req.protocol === "https" || String(req.headers["x-forwarded-proto"] ?? "").split(",")[0]?.trim() === "https";

function cookie(req: FastifyRequest, name: string, value: string, maxAgeS: number): string {
  return `${name}=${encodeURIComponent(value)}; Path=/painel; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${isHttps(req) ? "; Secure" : ""}`;
}

function html(reply: FastifyReply, body: string, status = 200): FastifyReply {
  return reply
    .code(status)
    .header("Content-Type", "text/html; charset=utf-8")
    .header("Cache-Control", "no-store")
    .header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    .header("X-Content-Type-Options", "nosniff")
    .header("Referrer-Policy", "no-referrer")
    .send(body);
}

const errorPage = (title: string, text: string) =>
  page(title, `<main><h1 style="margin-top:1.5rem">${esc(title)}</h1><p>${esc(text)}</p><p><a href="/painel">Voltar ao painel</a></p></main>`);

interface Filters {
  companyId: string | null;
  status: StatusFilter;
  days: number;
  page: number;
  showPhones: boolean;
}

export function panelRoutes(opts: PanelRoutesOptions): HttpRoutes {
  const sessions = new Map<string, Session>();
  const ttl = opts.sessionMs ?? 8 * 3600_000;
  const pageSize = opts.pageSize ?? PANEL_PAGE_SIZE;
  const now = () => Date.now();

  const session = (req: FastifyRequest): { sid: string; s: Session } | null => {
    const sid = cookies(req)[SID];
    if (!sid) return null;
    const s = sessions.get(sid);
    if (!s) return null;
    if (s.expiresAt < now()) {
      sessions.delete(sid);
      return null;
    }
    return { sid, s };
  };

  /** Filters from the query; null company for "all" (operator only). A company token's own company is forced. */
  const filters = (q: Record<string, unknown>, scope: TokenScope): Filters | { forbidden: true } => {
    const str = (k: string) => (typeof q[k] === "string" ? (q[k] as string) : "");
    const status = (STATUS_FILTERS as readonly string[]).includes(str("status")) ? (str("status") as StatusFilter) : "all";
    const d = Number(str("days"));
    const days = Number.isInteger(d) && d >= 1 && d <= 366 ? d : 30;
    const p = Number(str("page"));
    const pageNo = Number.isInteger(p) && p >= 1 && p <= 1_000_000 ? p : 1;
    let companyId: string | null = str("company").trim() || null;
    if (scope.scope === "company") {
      if (companyId !== null && companyId !== scope.companyId) return { forbidden: true };
      companyId = scope.companyId;
    }
    return { companyId, status, days, page: pageNo, showPhones: str("phones") === "1" };
  };

  const queryOf = (f: Filters, operator: boolean) => (over: Record<string, string | number | null>) => {
    const p = new URLSearchParams();
    const v: Record<string, string | number | null> = {
      ...(operator && f.companyId ? { company: f.companyId } : {}), status: f.status, days: f.days, ...(f.showPhones ? { phones: 1 } : {}), page: f.page, ...over,
    };
    for (const [k, val] of Object.entries(v)) if (val !== null && !(k === "page" && val === 1)) p.set(k, String(val));
    const s = p.toString();
    return s ? `?${s}` : "";
  };

  const answersOf = async (items: { id: number }[]) =>
    new Map((await latestAnswers(opts.store, items.map((i) => i.id))).map((a) => [Number(a.appointment_id), a.body]));

  const checkCsrf = (req: FastifyRequest, s: Session): boolean => sameSecret((req.body as Record<string, string> | undefined)?.csrf, s.csrf);

  return (app) => {
    app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: 8 * 1024 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });

    const showLogin = (req: FastifyRequest, reply: FastifyReply, error?: string, status = 200) => {
      const csrf = randomBytes(24).toString("base64url");
      reply.header("Set-Cookie", cookie(req, LOGIN_CSRF, csrf, 3600));
      return html(reply, loginPage({ csrf, ...(error ? { error } : {}) }), status);
    };

    app.get("/painel/", async (_req, reply) => reply.redirect("/painel", 303));

    app.get("/painel", async (req, reply) => {
      const cur = session(req);
      if (!cur) return showLogin(req, reply);
      const f = filters(req.query as Record<string, unknown>, cur.s.scope);
      if ("forbidden" in f) return html(reply, errorPage("Acesso negado", "Este token dá acesso a uma única empresa."), 403);
      const operator = cur.s.scope.scope === "operator";
      const companies = (await listCompanies(opts.store)).map((c) => ({ id: c.id, name: c.name, timezone: c.timezone }));
      if (f.companyId && !companies.some((c) => c.id === f.companyId)) {
        return html(reply, errorPage("Empresa desconhecida", `Não há empresa "${f.companyId}".`), 404);
      }
      const at = opts.clock();
      const stats = await computeStats(opts.store, { ...(f.companyId ? { companyId: f.companyId } : {}), days: f.days, now: at });
      const chart = f.days === 30 ? stats.daily : (await computeStats(opts.store, { ...(f.companyId ? { companyId: f.companyId } : {}), days: 30, now: at })).daily;
      const list = await listPage(opts.store, {
        status: f.status, ...(f.companyId ? { companyId: f.companyId } : {}),
        ...(stats.since ? { since: stats.since } : {}), ...(stats.until ? { until: stats.until } : {}),
        sort: "-end", limit: pageSize, offset: (f.page - 1) * pageSize,
      });
      const flash = cur.s.flash;
      delete cur.s.flash;
      return html(reply, dashboardPage({
        csrf: cur.s.csrf, operator, companies: operator ? companies : companies.filter((c) => c.id === f.companyId),
        companyId: f.companyId, status: f.status, days: f.days, showPhones: f.showPhones, stats, chart,
        items: list.items, answers: await answersOf(list.items), total: list.total, page: f.page, limit: pageSize, ...(flash ? { flash } : {}), query: queryOf(f, operator),
      }));
    });

    app.post("/painel/login", async (req, reply) => {
      const body = (req.body ?? {}) as Record<string, string>;
      if (!sameSecret(body.csrf, cookies(req)[LOGIN_CSRF])) return showLogin(req, reply, "O formulário expirou: tente de novo.", 403);
      const scope = await verifyApiToken(opts.store, body.token, { envToken: opts.token ?? null, clock: opts.clock });
      if (!scope) {
        opts.logger.warn("panel_login", { result: "refused", address: req.ip });
        return showLogin(req, reply, "Token inválido ou revogado.", 401);
      }
      const sid = randomBytes(32).toString("base64url");
      sessions.set(sid, { scope, csrf: randomBytes(24).toString("base64url"), expiresAt: now() + ttl });
      for (const [k, s] of sessions) if (s.expiresAt < now()) sessions.delete(k);
      opts.logger.info("panel_login", { result: "ok", scope: scope.scope, ...(scope.scope === "company" ? { company_id: scope.companyId } : {}) });
      return reply.header("Set-Cookie", [cookie(req, SID, sid, Math.floor(ttl / 1000)), cookie(req, LOGIN_CSRF, "", 0)]).redirect("/painel", 303);
    });

    app.post("/painel/logout", async (req, reply) => {
      const cur = session(req);
      if (!cur) return reply.redirect("/painel", 303);
      if (!checkCsrf(req, cur.s)) return html(reply, errorPage("Pedido recusado", "Token CSRF ausente ou errado: recarregue a página."), 403);
      sessions.delete(cur.sid);
      return reply.header("Set-Cookie", cookie(req, SID, "", 0)).redirect("/painel", 303);
    });

    /** The follow-up if this session may see it, else null (another company's is "not found"). */
    const visible = async (scope: TokenScope, raw: string): Promise<AppointmentRow | null> => {
      if (!/^\d{1,15}$/.test(raw)) return null;
      const row = await getAppointment(opts.store, Number(raw));
      if (!row || (scope.scope === "company" && row.company_id !== scope.companyId)) return null;
      return row;
    };

    app.get("/painel/reenviar/:id", async (req, reply) => {
      const cur = session(req);
      if (!cur) return reply.redirect("/painel", 303);
      const f = filters(req.query as Record<string, unknown>, cur.s.scope);
      if ("forbidden" in f) return html(reply, errorPage("Acesso negado", "Este token dá acesso a uma única empresa."), 403);
      const item = await visible(cur.s.scope, (req.params as { id: string }).id);
      if (!item) return html(reply, errorPage("Não encontrado", "Este follow-up não existe."), 404);
      return html(reply, confirmPage({ csrf: cur.s.csrf, item, back: queryOf(f, cur.s.scope.scope === "operator")({}), showPhone: f.showPhones }));
    });

    app.post("/painel/reenviar/:id", async (req, reply) => {
      const cur = session(req);
      if (!cur) return html(reply, errorPage("Sessão expirada", "Entre de novo."), 401);
      if (!checkCsrf(req, cur.s)) return html(reply, errorPage("Pedido recusado", "Token CSRF ausente ou errado: recarregue a página."), 403);
      const f = filters(req.query as Record<string, unknown>, cur.s.scope);
      if ("forbidden" in f) return html(reply, errorPage("Acesso negado", "Este token dá acesso a uma única empresa."), 403);
      const item = await visible(cur.s.scope, (req.params as { id: string }).id);
      if (!item) return html(reply, errorPage("Não encontrado", "Este follow-up não existe."), 404);
      try {
        await resendFollowup({ store: opts.store, gateway: opts.gateway, ...(opts.gateways ? { gateways: opts.gateways } : {}), clock: opts.clock, whaticketDefaults: opts.whaticketDefaults }, item.id);
        cur.s.flash = { ok: true, text: `Follow-up de ${item.client_name} reenviado.` };
        opts.logger.info("panel_resend", { appointment_id: item.id, result: "sent" });
      } catch (err) {
        if (err instanceof ResendRefusedError) cur.s.flash = { ok: false, text: `Reenvio recusado: ${refusalPtBR(err.reason)}` };
        else if (err instanceof ResendFailedError || err instanceof FollowupNotFoundError) cur.s.flash = { ok: false, text: `Reenvio falhou: ${err.message}` };
        else throw err;
        opts.logger.warn("panel_resend", { appointment_id: item.id, result: "refused" });
      }
      return reply.redirect(`/painel${queryOf(f, cur.s.scope.scope === "operator")({})}`, 303);
    });

    app.get("/painel/export.csv", async (req, reply) => {
      const cur = session(req);
      if (!cur) return reply.code(401).send("faça login em /painel\n");
      const f = filters(req.query as Record<string, unknown>, cur.s.scope);
      if ("forbidden" in f) return reply.code(403).send("acesso negado\n");
      const stats = await computeStats(opts.store, { ...(f.companyId ? { companyId: f.companyId } : {}), days: f.days, now: opts.clock() });
      const list = await listPage(opts.store, {
        status: f.status, ...(f.companyId ? { companyId: f.companyId } : {}),
        ...(stats.since ? { since: stats.since } : {}), ...(stats.until ? { until: stats.until } : {}),
        sort: "-end", limit: pageSize, offset: (f.page - 1) * pageSize,
      });
      return reply
        .header("Content-Type", "text/csv; charset=utf-8")
        .header("Content-Disposition", `attachment; filename="follow-ups-${stats.until ?? "painel"}.csv"`)
        .header("Cache-Control", "no-store")
        .send(`\ufeff${csvOf(list.items, f.showPhones, await answersOf(list.items))}`);
    });
  };
}
