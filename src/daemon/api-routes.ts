import { createHash, timingSafeEqual } from "node:crypto";
import { AuthFailureLog } from "./auth-failures.js";
import { awaitingClarification } from "../domain/clarification.js";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Clock } from "../clock.js";
import type { WhaticketDefaults } from "../config.js";
import type { WhaticketGateway } from "../gateway/whaticket.js";
import type { GatewaySet } from "../services/gateway-service.js";
import type { Logger } from "../logger.js";
import {
  FollowupNotFoundError, ResendFailedError, ResendRefusedError, resendFollowup,
} from "../services/followup-service.js";
import type { AppointmentRow } from "../store/appointments.js";
import { getAppointment } from "../services/appointment-service.js";
import { getCompany, listCompanies } from "../services/company-service.js";
import { isLocalDate } from "../domain/local-days.js";
import type { Store } from "../store/store.js";
import { verifyApiToken, type TokenScope } from "../services/token-service.js";
import type { FollowupItem, FollowupSort, StatusFilter } from "../store/followup-queries.js";
import { FOLLOWUP_SORTS, endRangesFor, listFollowups, STATUS_FILTER_STATES, STATUS_FILTERS } from "../services/followup-list-service.js";
import type { DaemonEvents } from "./events.js";
import type { HttpRoutes } from "./http-server.js";

/**
 * The agenda API of the release notes (the "Pós-Atendimento" panel's backend):
 *
 *   GET  /api/agenda/followups?company_id=...&status=all|positive|negative|pending&limit=&page=|offset=&sort=&search=
 *        → 200 {items, total, limit, offset}: `items` is exactly `followups list --json` for the same filters
 *   POST /api/agenda/followups/<id>/resend
 *        → 200 {followup, whaticket}; 404 unknown id; 409 {error: reason} when not allowed;
 *          502 when Whaticket did not take the message; 400 bad id
 *
 * `Authorization: Bearer <token>`: a token from `secretaria tokens create` (a company token sees and
 * resends its own company only: another company_id is 403, another company's follow-up 404) or
 * SECRETARIA_API_TOKEN (operator, when set; hashes compared in constant time). Every query parameter is checked:
 * an unknown one, a repeated one or a bad value is 400 with the reason.
 */

export const API_DEFAULT_LIMIT = 50;
export const API_MAX_LIMIT = 500;

export interface ApiRoutesOptions {
  store: Store;
  /** SECRETARIA_API_TOKEN, an operator token; null, undefined or blank = only the tokens table. */
  token: string | null | undefined;
  clock: Clock;
  gateway: WhaticketGateway;
  /** Evolution API / Cloud API clients for resends of companies on those gateways. */
  gateways?: Omit<GatewaySet, "whaticket">;
  whaticketDefaults: WhaticketDefaults;
  logger: Logger;
  /** Resends through the API are reported like the daemon's sends (latency and failure metrics). */
  events?: DaemonEvents;
}

/** The list request after validation. */
export interface FollowupListQuery {
  status: StatusFilter;
  companyId?: string;
  search?: string;
  /** Local dates (YYYY-MM-DD) on the appointment's end, in each company's zone, as `followups list --since/--until`. */
  since?: string;
  until?: string;
  sort: FollowupSort;
  limit: number;
  offset: number;
}

/** A 400 with its reason. */
export class ApiQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ApiQueryError";
  }
}

const LIST_PARAMS = ["company_id", "status", "limit", "page", "offset", "sort", "search", "since", "until"] as const;

/** Parses and checks the list's query string; throws ApiQueryError naming the parameter. */
export function parseListQuery(query: Record<string, unknown>): FollowupListQuery {
  const known = new Set<string>(LIST_PARAMS);
  const unknown = Object.keys(query).filter((k) => !known.has(k));
  if (unknown.length) throw new ApiQueryError(`unknown query parameter ${unknown.map((k) => `"${k}"`).join(", ")}: use ${LIST_PARAMS.join(", ")}`);
  const one = (name: string): string | undefined => {
    const v = query[name];
    if (v === undefined) return undefined;
    if (typeof v !== "string") throw new ApiQueryError(`${name} is given more than once`);
    return v;
  };
  const status = one("status") ?? "all";
  if (!(STATUS_FILTERS as readonly string[]).includes(status)) {
    throw new ApiQueryError(`status must be one of ${STATUS_FILTERS.join(", ")} (got "${status}")`);
  }
  const sort = one("sort") ?? "-end";
  if (!(FOLLOWUP_SORTS as readonly string[]).includes(sort)) {
    throw new ApiQueryError(`sort must be one of ${FOLLOWUP_SORTS.join(", ")} (got "${sort}")`);
  }
  const companyId = one("company_id");
  if (companyId !== undefined && companyId.trim() === "") throw new ApiQueryError("company_id is empty: pass a company id or leave it out");
  const search = one("search");
  const limit = wholeNumber("limit", one("limit"), API_DEFAULT_LIMIT, 1, API_MAX_LIMIT);
  const page = one("page");
  const offsetRaw = one("offset");
  if (page !== undefined && offsetRaw !== undefined) throw new ApiQueryError("pass page or offset, not both");
  const offset = page !== undefined ? (wholeNumber("page", page, 1, 1, 1_000_000) - 1) * limit : wholeNumber("offset", offsetRaw, 0, 0, Number.MAX_SAFE_INTEGER);
  const since = one("since");
  const until = one("until");
  for (const [name, v] of [["since", since], ["until", until]] as const) {
    if (v !== undefined && !isLocalDate(v)) throw new ApiQueryError(`${name} must be a date like 2026-11-25 (got "${v}")`);
  }
  if (since && until && since > until) throw new ApiQueryError(`since ${since} is after until ${until}`);
  return {
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    status: status as StatusFilter,
    sort: sort as FollowupSort,
    limit,
    offset,
    ...(companyId !== undefined ? { companyId: companyId.trim() } : {}),
    ...(search !== undefined && search.trim() !== "" ? { search } : {}),
  };
}

function wholeNumber(name: string, value: string | undefined, def: number, min: number, max: number): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) {
    throw new ApiQueryError(`${name} must be a whole number from ${min} to ${max === Number.MAX_SAFE_INTEGER ? "up" : max} (got "${value}")`);
  }
  return n;
}

/** The list page: the same query and rows as `followups list --json`. */
export async function listPage(store: Store, q: FollowupListQuery): Promise<{ items: FollowupItem[]; total: number; limit: number; offset: number }> {
  const company = q.companyId !== undefined ? await getCompany(store, q.companyId) : undefined;
  const { items, total } = await listFollowups(store, {
    statuses: STATUS_FILTER_STATES[q.status],
    companyId: q.companyId,
    endRanges: endRangesFor(q.since, q.until, company ? [company] : await listCompanies(store)),
    search: q.search,
    sort: q.sort,
    limit: q.limit,
    offset: q.offset,
  });
  return { items, total, limit: q.limit, offset: q.offset };
}

/** An appointment row in the list's JSON shape. */
function asItem(row: AppointmentRow): FollowupItem {
  return {
    id: row.id,
    company_id: row.company_id,
    client_name: row.client_name,
    client_phone: row.client_phone,
    end_time: row.end_time,
    followup_status: row.followup_status,
    followup_next_scheduled: row.followup_next_scheduled,
    followup_sent_at: row.followup_sent_at,
    followup_response: row.followup_response,
    followup_attempts: row.followup_attempts,
    followup_last_error: row.followup_last_error,
    followup_skip_reason: row.followup_skip_reason,
    followup_responded_at: row.followup_responded_at,
    followup_awaiting_clarification: awaitingClarification(row) ? 1 : 0,
    feedback_text: null,
    followup_non_text_reply: null,
  };
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}

/** Constant-time check of `Authorization: Bearer <token>` (hashing first makes the lengths equal). */
export function bearerMatches(header: string | undefined, expected: string): boolean {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
  const given = m?.[1] ?? "";
  const equal = timingSafeEqual(digest(given), digest(expected));
  return equal && given !== "";
}

/** The bearer token of an Authorization header, or "". */
export function bearerToken(header: string | undefined): string {
  return /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "")?.[1] ?? "";
}

export function apiRoutes(opts: ApiRoutesOptions): HttpRoutes {
  const token = opts.token?.trim() ?? "";
  const scopes = new WeakMap<FastifyRequest, TokenScope>();
  const authFailures = new AuthFailureLog(opts.logger);
  return (app) => {
    app.addHook("onRequest", async (req: FastifyRequest, reply: FastifyReply) => {
      const scope = await verifyApiToken(opts.store, bearerToken(req.headers.authorization), { envToken: token || null, clock: opts.clock });
      if (scope) scopes.set(req, scope);
      else {
        authFailures.record(req);
        return reply
          .code(401)
          .header("WWW-Authenticate", 'Bearer realm="secretaria"')
          .send({ error: "missing or wrong token: send Authorization: Bearer <token> (see `secretaria tokens create`)" });
      }
    });

    app.get("/api/agenda/followups", async (req, reply) => {
      let q: FollowupListQuery;
      try {
        q = parseListQuery(req.query as Record<string, unknown>);
      } catch (err) {
        if (err instanceof ApiQueryError) return reply.code(400).send({ error: err.message });
        throw err;
      }
      const scope = scopes.get(req)!;
      if (scope.scope === "company") {
        if (q.companyId !== undefined && q.companyId !== scope.companyId) {
          return reply.code(403).send({ error: `this token is for company "${scope.companyId}" only` });
        }
        q = { ...q, companyId: scope.companyId };
      }
      // As `followups list --company`: a company that does not exist is a mistake, not an empty list.
      if (q.companyId !== undefined && !(await getCompany(opts.store, q.companyId))) {
        return reply.code(400).send({ error: `unknown company_id "${q.companyId}": see \`secretaria companies list\`` });
      }
      return reply.header("Cache-Control", "no-store").send(await listPage(opts.store, q));
    });

    app.post("/api/agenda/followups/:id/resend", async (req, reply) => {
      const raw = (req.params as { id: string }).id;
      const id = Number(raw);
      if (!/^\d+$/.test(raw) || !Number.isSafeInteger(id) || id < 1) {
        return reply.code(400).send({ error: `the follow-up id must be a positive whole number (got "${raw}")` });
      }
      // force=true: send even within 12 hours of the last send or inside quiet hours (the refusal says which).
      const query = req.query as Record<string, unknown>;
      const unknown = Object.keys(query).filter((k) => k !== "force");
      if (unknown.length) return reply.code(400).send({ error: `resend takes only force=true (got ${unknown.join(", ")})` });
      if (query.force !== undefined && query.force !== "true" && query.force !== "false") {
        return reply.code(400).send({ error: "force must be true or false" });
      }
      const force = query.force === "true";
      const scope = scopes.get(req)!;
      if (scope.scope === "company") {
        // Another company's follow-up is answered like a missing one: its existence is not revealed.
        const row = await getAppointment(opts.store, id);
        if (!row || row.company_id !== scope.companyId) return reply.code(404).send({ error: `there is no follow-up ${id}` });
      }
      try {
        const result = await resendFollowup(
          { store: opts.store, gateway: opts.gateway, ...(opts.gateways ? { gateways: opts.gateways } : {}), clock: opts.clock, whaticketDefaults: opts.whaticketDefaults },
          id,
          { force },
        );
        report(opts, result.appointment.company_id, id, result.outcome, result.appointment.followup_attempts);
        opts.logger.info("api_resend", { appointment_id: id, result: "sent", ...(force ? { forced: true } : {}) });
        return reply.send({
          followup: asItem(result.appointment),
          whaticket: { status: result.outcome.status, ...(result.outcome.kind === "sent" && result.outcome.messageId ? { message_id: result.outcome.messageId } : {}) },
        });
      } catch (err) {
        if (err instanceof FollowupNotFoundError) return reply.code(404).send({ error: `there is no follow-up ${id}` });
        if (err instanceof ResendRefusedError) {
          opts.logger.warn("api_resend", { appointment_id: id, result: "refused", reason: err.reason });
          return reply.code(409).send({ error: err.reason });
        }
        if (err instanceof ResendFailedError) {
          if (err.outcome) {
            const row = await getAppointment(opts.store, id);
            if (row) report(opts, row.company_id, id, err.outcome, row.followup_attempts);
          }
          opts.logger.warn("api_resend", { appointment_id: id, result: "failed", error: err.message });
          return reply.code(502).send({ error: err.message });
        }
        throw err;
      }
    });
  };
}

function report(opts: ApiRoutesOptions, companyId: string, id: number, outcome: Parameters<DaemonEvents["onSendResult"]>[1], attempts: number): void {
  opts.events?.onSendResult(companyId, outcome, {
    appointmentId: id,
    attempt: attempts + 1,
    resend: true,
    // A failed resend leaves the row as it was; "failed" describes this exchange, not the row.
    result: outcome.kind === "sent" ? "sent" : "failed",
  });
}
