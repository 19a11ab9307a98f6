import { isLocalDate } from "../domain/local-days.js";
import { UsageError } from "../errors.js";
import { terminalChalk } from "../render/chart.js";
import { csvStyle, cutNote, MAX_PAGE_ROWS, toCsvText, type CsvStyle } from "../render/list-output.js";
import { oneLine, stripControl } from "../render/safe-text.js";
import { outputWidth, renderFittedTable, type FittedColumn } from "../render/fitted-table.js";
import { compactPhone, mixedZones, nonTextAnswer, relativeTime, shortLocal, statusLabel } from "../render/followup-format.js";
import type { FollowupItem, FollowupSort, StatusFilter } from "../store/followup-queries.js";
import { FOLLOWUP_SORTS, KEYSET_SORTS, STATUS_FILTERS, STATUS_FILTER_STATES, endRangesFor, followupPages, listFollowups } from "../services/followup-list-service.js";
import { DEFAULT_TIMEZONE } from "../domain/hours.js";
import { commandContext, intOption, openMigrated, print, printJson, terminalSafeJson, type GlobalOptions } from "./context.js";
import { companyFilter, listCompanies } from "../services/company-service.js";
import { count } from "../render/plural.js";

export interface FollowupsListOptions extends GlobalOptions {
  status?: string;
  company?: string;
  since?: string;
  until?: string;
  search?: string;
  limit?: string;
  page?: string;
  sort?: string;
  json?: boolean;
  format?: string;
  csvDelimiter?: string;
  bom?: boolean;
  all?: boolean;
  showPhones?: boolean;
}

const FORMATS = ["table", "json", "csv"] as const;
type Format = (typeof FORMATS)[number];

/** SPEC's `followups list --json` fields, in order (then the two extras). */
const JSON_FIELDS = [
  "id", "company_id", "client_name", "client_phone", "end_time", "followup_status", "followup_next_scheduled",
  "followup_sent_at", "followup_response", "followup_attempts", "followup_last_error", "followup_skip_reason", "followup_responded_at",
  "followup_awaiting_clarification", "feedback_text", "followup_non_text_reply",
] as const satisfies readonly (keyof FollowupItem)[];

const SKIP_REASON: Record<string, string> = { no_consent: "no consent", cancelled: "cancelled", expired: "expired (12 h past due)" };

export async function runFollowupsList(o: FollowupsListOptions): Promise<void> {
  const status = (o.status ?? "all").toLowerCase();
  if (!(STATUS_FILTERS as readonly string[]).includes(status)) {
    throw new UsageError(`unknown --status "${o.status}": use one of ${STATUS_FILTERS.join(", ")} (pending = scheduled or sent, no answer yet)`);
  }
  const sort = o.sort ?? "-end";
  if (!(FOLLOWUP_SORTS as readonly string[]).includes(sort)) {
    throw new UsageError(`unknown --sort "${o.sort}": use one of ${FOLLOWUP_SORTS.join(", ")} (a leading - reverses)`);
  }
  const format: Format = o.json ? "json" : ((o.format ?? "table").toLowerCase() as Format);
  if (!FORMATS.includes(format)) throw new UsageError(`unknown --format "${o.format}": use table, json or csv`);
  if (o.all && (o.limit !== undefined || o.page !== undefined)) throw new UsageError("--all lists every row: leave out --limit and --page");
  if (o.all && !(KEYSET_SORTS as readonly string[]).includes(sort)) {
    throw new UsageError(`--all exports in --sort ${KEYSET_SORTS.join(", ")} order (the others would re-sort every remaining row for each page): sort the file afterwards, or use --limit/--page`);
  }
  if (o.all && format === "table") {
    throw new UsageError("--all is for exports: add --format csv or --format json (a table of every row would not fit a screen; --page N pages it)");
  }
  const limit = intOption("--limit", o.limit, 50, 1, MAX_PAGE_ROWS);
  const page = intOption("--page", o.page, 1, 1);
  for (const [flag, v] of [["--since", o.since], ["--until", o.until]] as const) {
    if (v !== undefined && !isLocalDate(v)) throw new UsageError(`${flag} must be a date like 2026-11-25 (got "${v}")`);
  }
  if (o.since && o.until && o.since > o.until) throw new UsageError(`--since ${o.since} is after --until ${o.until}`);

  const ctx = commandContext(o);
  const db = await openMigrated(ctx, { readonly: true });
  try {
    const companies = await listCompanies(db);
    const company = await companyFilter(db, o.company);
    const filter = {
      statuses: STATUS_FILTER_STATES[status as StatusFilter],
      companyId: company?.id,
      endRanges: endRangesFor(o.since, o.until, company ? [company] : companies),
      search: o.search,
      sort: sort as FollowupSort,
    };
    if (o.all) return await exportAll(followupPages(db, filter), format === "json" ? "json" : "csv", csvStyle(o));
    const { items, total } = await listFollowups(db, { ...filter, limit, offset: (page - 1) * limit });

    if (format === "json" || format === "csv") {
      if (format === "json") printJson(items.map(jsonItem));
      else process.stdout.write(toCsv(items, csvStyle(o)));
      // On stderr, so the data stays parseable; only when rows were left out.
      if (items.length < total) {
        const rest = "pass --all for every row";
        process.stderr.write(`${cutNote({ page, limit, shown: items.length, total, noun: (n) => count(n, "follow-up"), rest })}\n`);
      }
      return;
    }

    if (!total) {
      print(`no follow-ups match${status !== "all" ? ` --status ${status}` : ""}${o.company ? ` in ${o.company}` : ""}${o.search || o.since || o.until ? " and the filters given" : ""}`);
      return;
    }
    const zones = new Map(companies.map((c) => [c.id, c.timezone]));
    const showCompany = !company && companies.length > 1;
    print(renderFollowupTable(items, { zones, showCompany, now: ctx.clock(), width: outputWidth(), showPhones: o.showPhones }));
    const first = (page - 1) * limit + 1;
    const last = Math.min(total, first + items.length - 1);
    const more = last < total ? `; next page: --page ${page + 1}, every row: --all --format csv` : "";
    print(items.length ? `${first}–${last} of ${count(total, "follow-up")}${more}` : `page ${page} is past the end: ${count(total, "follow-up")} (${count(Math.ceil(total / limit), "page")} of ${limit})`);
  } finally {
    await db.close();
  }
}

/** Writes pages as they come, waiting for stdout to drain: memory holds one page, whatever the total. */
async function exportAll(pages: AsyncIterable<FollowupItem[]>, format: "json" | "csv", style: CsvStyle): Promise<void> {
  const out = process.stdout;
  const write = async (text: string) => {
    if (!out.write(text)) await new Promise<void>((resolve) => out.once("drain", resolve));
  };
  if (format === "csv") {
    await write(toCsv([], style));
    for await (const page of pages) await write(toCsv(page, { delimiter: style.delimiter, bom: false }).replace(/^[^\r\n]*\r\n/, ""));
    return;
  }
  let n = 0;
  // The same text as printJson of the whole array (terminal-safe the same way): "[", items indented by two, "]".
  for await (const page of pages) {
    const text = page.map((i) => JSON.stringify(jsonItem(i), null, 2).replace(/^/gm, "  ")).join(",\n");
    await write(terminalSafeJson(`${n ? ",\n" : "[\n"}${text}`));
    n += page.length;
  }
  await write(n ? "\n]\n" : "[]\n");
}

function jsonItem(i: FollowupItem) {
  return Object.fromEntries(JSON_FIELDS.map((k) => [k, k === "feedback_text" && i[k] !== null ? stripControl(i[k]) : i[k]]));
}


export function toCsv(items: FollowupItem[], style: CsvStyle = { delimiter: ",", bom: false }): string {
  const rows = items.map((i) => ({ ...i, feedback_text: i.feedback_text !== null ? stripControl(i.feedback_text) : null }));
  return toCsvText(JSON_FIELDS, rows, style);
}

export function renderFollowupTable(
  items: FollowupItem[],
  opts: { zones: Map<string, string>; showCompany: boolean; now: Date; width: number; showPhones?: boolean },
): string {
  const columns: (FittedColumn & { key: string })[] = [
    { key: "id", header: "id", align: "right" },
    { key: "client", header: "client", flex: 3, min: 8 },
    { key: "phone", header: "phone" },
    { key: "company", header: "company", flex: 1, min: 7 },
    { key: "end", header: "ended" },
    { key: "status", header: "status" },
    { key: "sent", header: "sent" },
    { key: "next", header: "next" },
    { key: "att", header: "att", align: "right" },
    { key: "error", header: "error", flex: 2, min: 5 }, // the last error, or why it was skipped
    { key: "feedback", header: "feedback", flex: 4, min: 12 }, // what the client wrote (feedback rows)
  ];
  const anyFeedback = items.some((i) => i.feedback_text);
  const zoneOf = (i: FollowupItem) => opts.zones.get(i.company_id) ?? DEFAULT_TIMEZONE;
  const withZone = mixedZones(items.map(zoneOf));
  const shown = columns.filter((c) => (c.key !== "company" || opts.showCompany) && (c.key !== "feedback" || anyFeedback));
  const rows = items.map((i) => {
    const zone = zoneOf(i);
    const cells: Record<string, string> = {
      id: String(i.id),
      client: i.client_name,
      phone: opts.showPhones ? i.client_phone : compactPhone(i.client_phone),
      company: i.company_id,
      end: shortLocal(i.end_time, zone, withZone),
      status: i.followup_non_text_reply ? `${statusLabel(i.followup_status)} (${nonTextAnswer(i.followup_non_text_reply)})`
        : i.followup_awaiting_clarification ? `${statusLabel(i.followup_status)} (asked 1/2)` : statusLabel(i.followup_status),
      sent: relativeTime(i.followup_sent_at, opts.now),
      next: relativeTime(i.followup_next_scheduled, opts.now),
      att: String(i.followup_attempts),
      error: i.followup_last_error ?? (i.followup_status === "skipped" && i.followup_skip_reason ? SKIP_REASON[i.followup_skip_reason] ?? i.followup_skip_reason : ""),
      feedback: i.feedback_text ? oneLine(i.feedback_text) : "",
    };
    return shown.map((c) => cells[c.key] ?? "");
  });
  const color = terminalChalk();
  const statusCol = shown.findIndex((c) => c.key === "status");
  return renderFittedTable(shown, rows, opts.width, (cell, r, col) => {
    if (col !== statusCol) return cell;
    const s = items[r]!.followup_status;
    if (s === "positive") return color.green(cell);
    if (s === "negative" || s === "failed") return color.red(cell);
    if (s === "feedback") return color.cyan(cell);
    if (s === "skipped") return color.dim(cell);
    return color.yellow(cell);
  });
}
