import { count } from "../render/plural.js";
import { DateTime } from "luxon";
import { DEFAULT_TIMEZONE } from "../domain/hours.js";
import { isLocalDate, localDayRange } from "../domain/local-days.js";
import { UsageError } from "../errors.js";
import { compactPhone, mixedZones, utcOffset } from "../render/followup-format.js";
import { outputWidth, renderFittedTable, type FittedColumn } from "../render/fitted-table.js";
import { csvStyle, listFormat, type CsvStyle } from "../render/list-output.js";
import { oneLine, stripControl } from "../render/safe-text.js";
import { companyFilter, listCompanies } from "../services/company-service.js";
import { listInbound } from "../services/inbox-service.js";
import type { InboxRow } from "../store/inbox.js";
import { commandContext, intOption, openMigrated, print, printJson, type GlobalOptions } from "./context.js";

/**
 * `secretaria replies list`: the inbox. Every inbound message, matched to a follow-up or not,
 * newest first, with the intent and the ContextEngine rule that decided; customer text is shown
 * with control characters stripped (render/safe-text.ts) in every format.
 */

export interface RepliesListOptions extends GlobalOptions {
  company?: string;
  intent?: string;
  unmatched?: boolean;
  since?: string;
  until?: string;
  followUp?: string;
  limit?: string;
  json?: boolean;
  format?: string;
  csvDelimiter?: string;
  bom?: boolean;
  showPhones?: boolean;
}

const INTENTS = ["positive", "negative", "feedback"] as const;

/** `replies list --json` item (also the CSV header, in order). */
export interface InboxItem {
  id: number;
  received_at: string;
  received_local: string;
  company_id: string | null;
  appointment_id: number | null;
  client_name: string | null;
  phone: string;
  intent: string | null;
  rule: string | null;
  outcome: string;
  text: string;
}
const FIELDS = [
  "id", "received_at", "received_local", "company_id", "appointment_id", "client_name", "phone", "intent", "rule", "outcome", "text",
] as const satisfies readonly (keyof InboxItem)[];

export async function runRepliesList(o: RepliesListOptions): Promise<void> {
  const format = listFormat(o);
  const style = csvStyle(o);
  let intent: string | undefined;
  if (o.intent !== undefined) {
    const short = o.intent.toLowerCase().replace(/^followup_/, "");
    if (!(INTENTS as readonly string[]).includes(short)) throw new UsageError(`unknown --intent "${o.intent}": use positive, negative or feedback`);
    intent = `followup_${short}`;
  }
  for (const [flag, v] of [["--since", o.since], ["--until", o.until]] as const) {
    if (v !== undefined && !isLocalDate(v)) throw new UsageError(`${flag} must be a date like 2026-11-25 (got "${v}")`);
  }
  if (o.since && o.until && o.since > o.until) throw new UsageError(`--since ${o.since} is after --until ${o.until}`);
  const followUp = o.followUp === undefined ? undefined : intOption("--follow-up", o.followUp, 0, 1);
  if (o.unmatched && (followUp !== undefined || o.company !== undefined)) {
    throw new UsageError("--unmatched lists messages that matched no follow-up: it cannot be combined with --follow-up or --company");
  }
  const limit = intOption("--limit", o.limit, 100, 1, 10_000);

  const ctx = commandContext(o);
  const db = await openMigrated(ctx, { readonly: true });
  try {
    const company = await companyFilter(db, o.company);
    const companies = await listCompanies(db);
    const zones = new Map(companies.map((c) => [c.id, c.timezone]));
    // Dates are the company's local days; without --company, the zone all companies share (else São Paulo).
    const sharedZones = [...new Set(companies.map((c) => c.timezone))];
    const zone = company?.timezone ?? (sharedZones.length === 1 ? sharedZones[0]! : DEFAULT_TIMEZONE);
    const rows = await listInbound(db, {
      companyId: company?.id,
      intent,
      unmatched: o.unmatched,
      appointmentId: followUp,
      since: o.since ? localDayRange(o.since, zone).start : undefined,
      until: o.until ? localDayRange(o.until, zone).stop : undefined,
      limit,
    });
    const zoneOf = (r: InboxRow) => (r.company_id && zones.get(r.company_id)) || zone;
    const items = rows.map((r) => inboxItem(r, zoneOf(r)));
    if (format === "json") return printJson(items);
    if (format === "csv") return void process.stdout.write(toCsv(items, style));
    if (!items.length) return print("no inbound messages match");
    const withZone = mixedZones(rows.map(zoneOf));
    print(renderInbox(items, outputWidth(), o.showPhones, withZone ? rows.map((r) => utcOffset(r.received_at, zoneOf(r))) : undefined));
    print(`${count(items.length, "message")}${items.length === limit ? ` (the newest ${limit}; --limit N for more)` : ""}`);
  } finally {
    await db.close();
  }
}

export function inboxItem(r: InboxRow, zone: string): InboxItem {
  return {
    id: r.id,
    received_at: r.received_at,
    received_local: localTime(r.received_at, zone),
    company_id: r.company_id,
    appointment_id: r.appointment_id === null ? null : Number(r.appointment_id),
    client_name: r.client_name === null ? null : stripControl(r.client_name),
    phone: r.phone,
    intent: r.intent,
    rule: r.rule,
    outcome: r.outcome,
    text: stripControl(r.body),
  };
}

/** "2026-11-30 16:30" in the zone. */
export function localTime(iso: string, zone: string): string {
  const dt = DateTime.fromISO(iso, { zone });
  return dt.isValid ? dt.toFormat("yyyy-MM-dd HH:mm") : iso;
}

function csvCell(v: unknown, delimiter: string): string {
  if (v === null || v === undefined) return "";
  const s = String(v);
  // A leading =, +, - or @ would be a formula in a spreadsheet: quote it as text.
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return safe.includes(delimiter) || /["\r\n']/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(items: InboxItem[], style: CsvStyle = { delimiter: ",", bom: false }): string {
  const lines = [FIELDS.join(style.delimiter)];
  for (const i of items) lines.push(FIELDS.map((k) => csvCell(i[k], style.delimiter)).join(style.delimiter));
  return `${style.bom ? "\uFEFF" : ""}${lines.join("\r\n")}\r\n`;
}

/** offsets: one per item ("UTC-4") when the rows' zones differ, shown after the time. */
export function renderInbox(items: InboxItem[], width: number, showPhones = false, offsets?: string[]): string {
  const columns: FittedColumn[] = [
    { header: "time" },
    { header: "client", flex: 1, min: 8 },
    { header: "follow-up", align: "right" },
    { header: "intent" },
    { header: "rule" },
    { header: "text", flex: 4, min: 12 },
  ];
  const rows = items.map((i, n) => [
    offsets ? `${i.received_local}${offsets[n]}` : i.received_local,
    i.client_name ? oneLine(i.client_name) : showPhones ? i.phone : compactPhone(i.phone),
    i.appointment_id === null ? "—" : String(i.appointment_id),
    i.intent ? i.intent.replace(/^followup_/, "") : "—",
    i.outcome === "unmatched" ? `${i.rule ?? "—"} (unmatched)` : i.outcome === "clarification_asked" ? `${i.rule ?? "—"} (asked 1/2)`
      : i.outcome === "non_text" ? `${i.rule ?? "—"} (not text)` : i.outcome === "older_than_followup" ? "older than the follow-up" : (i.rule ?? "—"),
    oneLine(i.text),
  ]);
  return renderFittedTable(columns, rows, width);
}
