import { DEFAULT_TIMEZONE } from "../domain/hours.js";
import type { FollowupStatus } from "../domain/lifecycle.js";
import { localDayRange } from "../domain/local-days.js";
import type { CompanyRow } from "./companies.js";
import type { AppointmentRow } from "./appointments.js";
import { caseInsensitiveLike, type Q } from "./store.js";

/**
 * The follow-up list (`followups list`, the panel's table): filters, sort, one page and the
 * total count. Indexes it relies on (migration 002):
 *   appointments_followup_status_end (followup_status, end_time)  — --status, newest first
 *   appointments_end (end_time)                                   — --status all, newest first
 *   appointments_company_status_end (company_id, followup_status, end_time) — --company [--status]
 * The page is chosen on ids first (the index covers status, end_time and id), then only those
 * rows are read, so a 100,000-row status costs an index scan, not 100,000 row reads.
 */

export const STATUS_FILTERS = ["all", "scheduled", "pending", "sent", "positive", "negative", "feedback", "failed", "skipped"] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

/**
 * The states each filter selects. `pending` = no answer yet, as in the panel: waiting to be sent
 * (scheduled), being sent right now (sending: a claimed scheduled row) or sent and awaiting a reply.
 */
export const STATUS_FILTER_STATES: Record<StatusFilter, readonly FollowupStatus[] | null> = {
  all: null,
  scheduled: ["scheduled"],
  pending: ["scheduled", "sending", "sent"],
  sent: ["sent"],
  positive: ["positive"],
  negative: ["negative"],
  feedback: ["feedback"],
  failed: ["failed"],
  skipped: ["skipped"],
};

export const FOLLOWUP_SORTS = ["-end", "end", "next", "-next", "sent", "-sent", "client", "-client", "id", "-id"] as const;
export type FollowupSort = (typeof FOLLOWUP_SORTS)[number];

/** ORDER BY per sort key; every one ends on id so pages are stable. NULLs (not sent, nothing next) go last. */
const ORDER_BY: Record<FollowupSort, string> = {
  "-end": "end_time DESC, id DESC",
  end: "end_time ASC, id ASC",
  next: "followup_next_scheduled IS NULL, followup_next_scheduled ASC, id ASC",
  "-next": "followup_next_scheduled IS NULL, followup_next_scheduled DESC, id DESC",
  sent: "followup_sent_at IS NULL, followup_sent_at ASC, id ASC",
  "-sent": "followup_sent_at IS NULL, followup_sent_at DESC, id DESC",
  client: "/*nocase*/client_name ASC, id ASC",
  "-client": "/*nocase*/client_name DESC, id DESC",
  id: "id ASC",
  "-id": "id DESC",
};

/** An end_time range [from, to) in UTC ISO-8601, for one company (its own local days) or for all. */
export interface EndTimeRange {
  companyId: string | null;
  from?: string;
  to?: string;
}

export interface FollowupListFilter {
  /** null = every state */
  statuses: readonly FollowupStatus[] | null;
  companyId?: string;
  /** Several ranges are OR-ed (one per company, each in its own time zone). */
  endRanges?: EndTimeRange[];
  /** Part of the client's name, or digits of the phone. */
  search?: string;
  sort: FollowupSort;
  limit: number;
  offset: number;
}

/** SPEC's `followups list --json` item, plus the skip reason and the reply time. */
export type FollowupItem = Pick<
  AppointmentRow,
  | "id" | "company_id" | "client_name" | "client_phone" | "end_time" | "followup_status" | "followup_next_scheduled"
  | "followup_sent_at" | "followup_response" | "followup_attempts" | "followup_last_error" | "followup_skip_reason"
  | "followup_responded_at"
> & {
  /** 1 while the bot's "Responda 1 ou 2" question is unanswered (status stays sent: pending), else 0. */
  followup_awaiting_clarification: number;
  /** The client's feedback (the latest feedback_events text) when the status is feedback, else null. */
  feedback_text: string | null;
  /**
   * The open follow-up's last answer was not text: its kind (voice, audio, image, sticker…; shown as
   * "answered with a voice note"), else null. The follow-up stays pending until the operator acts.
   */
  followup_non_text_reply: string | null;
};

/** SQL twin of domain/clarification.ts awaitingClarification (ISO instants compare as text). */
export const AWAITING_CLARIFICATION = `CASE WHEN followup_status = 'sent' AND followup_clarification_asked_at IS NOT NULL
  AND followup_clarification_asked_at >= followup_sent_at THEN 1 ELSE 0 END`;

/**
 * The kind of the client's last message since the follow-up went out, when it was not text
 * (inbound_messages.outcome 'non_text', rule = kind) and the follow-up is still open; echoes and
 * messages older than the follow-up do not count. Index inbound_messages_appointment.
 */
export const NON_TEXT_REPLY = `CASE WHEN followup_status = 'sent'
    OR (followup_status = 'positive' AND followup_booked_appointment_id IS NULL) THEN
  (SELECT CASE WHEN i.outcome = 'non_text' THEN i.rule END FROM inbound_messages i
    WHERE i.appointment_id = appointments.id AND i.received_at >= appointments.followup_sent_at
      AND i.outcome NOT IN ('own_text', 'older_than_followup')
    ORDER BY i.received_at DESC, i.id DESC LIMIT 1) END`;

const ITEM_COLUMNS = `id, company_id, client_name, client_phone, end_time, followup_status, followup_next_scheduled,
  followup_sent_at, followup_response, followup_attempts, followup_last_error, followup_skip_reason, followup_responded_at,
  ${AWAITING_CLARIFICATION} AS followup_awaiting_clarification,
  CASE WHEN followup_status = 'feedback' THEN (SELECT f.text FROM feedback_events f WHERE f.appointment_id = appointments.id
    ORDER BY f.id DESC LIMIT 1) END AS feedback_text,
  ${NON_TEXT_REPLY} AS followup_non_text_reply`;

function whereClause(q: Q, f: FollowupListFilter): { sql: string; params: Record<string, unknown> } {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (f.statuses) {
    const names = f.statuses.map((s, i) => {
      params[`st${i}`] = s;
      return `@st${i}`;
    });
    where.push(names.length === 1 ? `followup_status = ${names[0]}` : `followup_status IN (${names.join(", ")})`);
  }
  if (f.companyId) {
    where.push("company_id = @companyId");
    params.companyId = f.companyId;
  }
  if (f.endRanges?.length) {
    const alternatives = f.endRanges.map((r, i) => {
      const terms: string[] = [];
      if (r.companyId !== null) {
        // Unary +: no per-company index scans for the OR (whole companies); the end_time envelope below is the seek.
        terms.push(`${q.dialect === "sqlite" ? "+" : ""}company_id = @rc${i}`);
        params[`rc${i}`] = r.companyId;
      }
      if (r.from) {
        terms.push(`end_time >= @rf${i}`);
        params[`rf${i}`] = r.from;
      }
      if (r.to) {
        terms.push(`end_time < @rt${i}`);
        params[`rt${i}`] = r.to;
      }
      return terms.length ? `(${terms.join(" AND ")})` : "TRUE";
    });
    where.push(alternatives.length === 1 ? alternatives[0]! : `(${alternatives.join(" OR ")})`);
    if (alternatives.length > 1) {
      // The envelope of all the ranges, as plain terms: lets the end_time index narrow the scan before the OR.
      const froms = f.endRanges.map((r) => r.from);
      const tos = f.endRanges.map((r) => r.to);
      if (froms.every((v): v is string => !!v)) {
        params.envFrom = froms.reduce((a, b) => (a < b ? a : b));
        where.push("end_time >= @envFrom");
      }
      if (tos.every((v): v is string => !!v)) {
        params.envTo = tos.reduce((a, b) => (a > b ? a : b));
        where.push("end_time < @envTo");
      }
    }
  }
  const search = f.search?.trim();
  if (search) {
    const escaped = search.replace(/[\\%_]/g, (c) => `\\${c}`);
    params.name = `%${escaped}%`;
    const digits = search.replace(/\D/g, "");
    // Phones are stored as digits: "(11) 99999-0000" finds 5511999990000.
    if (digits.length >= 3 && /^[\d\s+().-]+$/.test(search)) {
      params.phone = `%${digits}%`;
      where.push(`(client_name ${caseInsensitiveLike(q)} @name ESCAPE '\\' OR client_phone LIKE @phone)`);
    } else {
      where.push(`client_name ${caseInsensitiveLike(q)} @name ESCAPE '\\'`);
    }
  }
  return { sql: where.length ? `WHERE ${where.join(" AND ")}` : "", params };
}

/** The SQL of one page, exposed for EXPLAIN QUERY PLAN in benchmarks. */
export function followupPageSql(q: Q, f: FollowupListFilter): { sql: string; countSql: string; params: Record<string, unknown> } {
  const { sql: where, params } = whereClause(q, f);
  const order = ORDER_BY[f.sort].replace("/*nocase*/client_name", q.dialect === "sqlite" ? "client_name COLLATE NOCASE" : "lower(client_name)");
  const sql = `SELECT ${ITEM_COLUMNS} FROM appointments
    WHERE id IN (SELECT id FROM appointments ${where} ORDER BY ${order} LIMIT @limit OFFSET @offset)
    ORDER BY ${order}`;
  const countSql = `SELECT count(*) AS n FROM appointments ${where}`;
  return { sql, countSql, params: { ...params, limit: f.limit, offset: f.offset } };
}

export async function listFollowups(q: Q, f: FollowupListFilter): Promise<{ items: FollowupItem[]; total: number }> {
  const { sql, countSql, params } = followupPageSql(q, f);
  const items = await q.all<FollowupItem>(sql, params);
  const countParams = { ...params };
  delete countParams.limit;
  delete countParams.offset;
  const { n } = (await q.get<{ n: number }>(countSql, countParams))!;
  return { items, total: n };
}

/**
 * --since / --until are local dates of the company; without --company each company's rows are
 * read in its own zone (one OR-ed range per company when their zones differ).
 */
export function endRangesFor(since: string | undefined, until: string | undefined, companies: CompanyRow[]): EndTimeRange[] | undefined {
  if (!since && !until) return undefined;
  const zones = [...new Set(companies.map((c) => c.timezone))];
  const range = (companyId: string | null, zone: string): EndTimeRange => ({
    companyId,
    from: since ? localDayRange(since, zone).start : undefined,
    to: until ? localDayRange(until, zone).stop : undefined,
  });
  if (zones.length <= 1) return [range(null, zones[0] ?? DEFAULT_TIMEZONE)];
  return companies.map((c) => range(c.id, c.timezone));
}

/** One sort key of the keyset: a never-NULL SQL expression, its direction, and the same value read from a row. */
interface SortKey {
  sql: (q: Q) => string;
  /** The parameter's side of the comparison (PostgreSQL folds case on both sides). */
  param?: (q: Q, name: string) => string;
  desc: boolean;
  value: (i: FollowupItem) => unknown;
}

const nullsLast = (col: "followup_next_scheduled" | "followup_sent_at"): SortKey => ({
  sql: () => `CASE WHEN ${col} IS NULL THEN 1 ELSE 0 END`, desc: false, value: (i) => (i[col] === null ? 1 : 0),
});
const instant = (col: "end_time" | "followup_next_scheduled" | "followup_sent_at", desc: boolean): SortKey => ({
  sql: () => (col === "end_time" ? col : `COALESCE(${col}, '')`), desc, value: (i) => i[col] ?? "",
});
const byId = (desc: boolean): SortKey => ({ sql: () => "id", desc, value: (i) => i.id });
const byClient = (desc: boolean): SortKey => ({
  sql: (q) => (q.dialect === "sqlite" ? "client_name COLLATE NOCASE" : "lower(client_name)"),
  param: (q, name) => (q.dialect === "sqlite" ? name : `lower(${name})`),
  desc,
  value: (i) => i.client_name,
});

/** The same orders as ORDER_BY, as keys a page can resume after. */
const SORT_KEYS: Record<FollowupSort, SortKey[]> = {
  "-end": [instant("end_time", true), byId(true)],
  end: [instant("end_time", false), byId(false)],
  next: [nullsLast("followup_next_scheduled"), instant("followup_next_scheduled", false), byId(false)],
  "-next": [nullsLast("followup_next_scheduled"), instant("followup_next_scheduled", true), byId(true)],
  sent: [nullsLast("followup_sent_at"), instant("followup_sent_at", false), byId(false)],
  "-sent": [nullsLast("followup_sent_at"), instant("followup_sent_at", true), byId(true)],
  client: [byClient(false), byId(false)],
  "-client": [byClient(true), byId(true)],
  id: [byId(false)],
  "-id": [byId(true)],
};

/** The SQL of the page after `after` (the previous page's last row; none for the first page), for --all. */
export function followupKeysetSql(q: Q, f: Omit<FollowupListFilter, "limit" | "offset">, pageSize: number, after?: FollowupItem) {
  const { sql: where, params } = whereClause(q, { ...f, limit: 0, offset: 0 });
  const keys = SORT_KEYS[f.sort];
  const order = keys.map((k) => `${k.sql(q)} ${k.desc ? "DESC" : "ASC"}`).join(", ");
  const terms: string[] = where ? [where.replace(/^WHERE /, "")] : [];
  if (after) {
    // (k0, k1, …) strictly after the last row, key by key in each key's direction.
    const p = keys.map((k, i) => {
      params[`k${i}`] = k.value(after);
      return k.param ? k.param(q, `@k${i}`) : `@k${i}`;
    });
    const alternatives = keys.map((k, i) => {
      const equal = keys.slice(0, i).map((e, j) => `${e.sql(q)} = ${p[j]}`);
      return `(${[...equal, `${k.sql(q)} ${k.desc ? "<" : ">"} ${p[i]}`].join(" AND ")})`;
    });
    terms.push(`(${alternatives.join(" OR ")})`);
  }
  const sql = `SELECT ${ITEM_COLUMNS} FROM appointments ${terms.length ? `WHERE ${terms.join(" AND ")}` : ""}
    ORDER BY ${order} LIMIT @limit`;
  return { sql, params: { ...params, limit: pageSize } };
}

/**
 * The sorts an index serves page after page (appointments_end, appointments_company_status_end,
 * the primary key): the only ones `--all` takes. The others lead with an expression (NULLs last, a
 * case-folded name) no index holds, so every page would sort all the remaining rows again
 * (measured: client order over 200k rows 6.8 s against 0.2 s for -end).
 */
export const KEYSET_SORTS = ["end", "-end", "id", "-id"] as const satisfies readonly FollowupSort[];

/**
 * Every matching follow-up, page by page (`followups list --all`): each page resumes after the
 * previous page's last row (keyset), so memory holds one page, and with a KEYSET_SORTS order the
 * cost of a page does not grow with its position (no OFFSET); a row is neither read twice nor
 * skipped while the daemon changes other rows (a row whose own sort key changes mid-export may
 * move, as in any live list).
 */
export async function* followupPages(q: Q, f: Omit<FollowupListFilter, "limit" | "offset">, pageSize = 500): AsyncGenerator<FollowupItem[]> {
  let after: FollowupItem | undefined;
  for (;;) {
    const { sql, params } = followupKeysetSql(q, f, pageSize, after);
    const page = await q.all<FollowupItem>(sql, params);
    if (page.length) yield page;
    if (page.length < pageSize) return;
    after = page[page.length - 1];
  }
}
