import { DEFAULT_TIMEZONE } from "../domain/hours.js";
import { isLocalDate, localDayRange } from "../domain/local-days.js";
import { maskPhone } from "../domain/phone.js";
import { UsageError } from "../errors.js";
import { outputWidth, renderFittedTable } from "../render/fitted-table.js";
import { mixedZones, shortLocal } from "../render/followup-format.js";
import { csvStyle, cutNote, listFormat, MAX_PAGE_ROWS, toCsvText } from "../render/list-output.js";
import type { AuditRow, CreatedSince } from "../store/audit-queries.js";
import type { CompanyRow } from "../store/companies.js";
import { auditActions, listAudit } from "../services/audit-service.js";
import { commandContext, intOption, openMigrated, print, printJson, type GlobalOptions } from "./context.js";
import { companyFilter, listCompanies } from "../services/company-service.js";
import { count } from "../render/plural.js";

export interface AuditListOptions extends GlobalOptions {
  appointment?: string;
  action?: string;
  company?: string;
  since?: string;
  limit?: string;
  page?: string;
  json?: boolean;
  format?: string;
  csvDelimiter?: string;
  bom?: boolean;
  showPhones?: boolean;
}

export async function runAuditList(o: AuditListOptions): Promise<void> {
  const appointmentId = o.appointment === undefined ? undefined : intOption("--appointment", o.appointment, 0, 1);
  const limit = intOption("--limit", o.limit, 50, 1, MAX_PAGE_ROWS);
  const page = intOption("--page", o.page, 1, 1);
  const format = listFormat(o);
  const style = csvStyle(o);
  if (o.since !== undefined && !isLocalDate(o.since)) throw new UsageError(`--since must be a date like 2026-11-25 (got "${o.since}")`);

  const ctx = commandContext(o);
  const db = await openMigrated(ctx, { readonly: true });
  try {
    const companies = await listCompanies(db);
    const company = await companyFilter(db, o.company);
    const { rows, total } = await listAudit(db, {
      appointmentId, action: o.action, companyId: company?.id,
      since: o.since ? sinceBounds(o.since, company ? [company] : companies) : undefined,
      limit, offset: (page - 1) * limit,
    });
    if (format === "json" || format === "csv") {
      if (format === "json") printJson(rows.map(jsonEntry));
      else process.stdout.write(toCsvText(["id", "created_at", "action", "company_id", "appointment_id", "payload"], rows.map(jsonEntry), style));
      const pages = Math.ceil(total / limit);
      const rest = `--page 1 to ${pages} hold them all${page < pages ? ` (next: --page ${page + 1})` : ""}`;
      if (rows.length < total) process.stderr.write(`${cutNote({ page, limit, shown: rows.length, total, noun: (n) => count(n, "entry", "entries"), rest })}\n`);
      return;
    }
    if (!total) {
      const known = o.action ? await auditActions(db) : [];
      const hint = o.action && !known.includes(o.action) ? ` (actions recorded: ${known.join(", ") || "none yet"})` : "";
      print(`no audit entries match${hint}`);
      return;
    }
    const zones = new Map(companies.map((c) => [c.id, c.timezone]));
    const showCompany = !company && companies.length > 1;
    const columns = [
      { key: "id", header: "id", align: "right" as const },
      { key: "at", header: "at" },
      { key: "action", header: "action" },
      { key: "appt", header: "appt", align: "right" as const },
      { key: "company", header: "company", flex: 1, min: 6 },
      { key: "payload", header: "payload", flex: 4, min: 10 },
    ].filter((c) => c.key !== "company" || showCompany);
    const zoneOf = (r: AuditRow) => (r.company_id && zones.get(r.company_id)) || company?.timezone || DEFAULT_TIMEZONE;
    const withZone = mixedZones(rows.map(zoneOf));
    const table = rows.map((r) => {
      const cells: Record<string, string> = {
        id: String(r.id),
        at: shortLocal(r.created_at, zoneOf(r), withZone),
        action: r.action,
        appt: r.appointment_id === null ? "—" : String(r.appointment_id),
        company: r.company_id ?? "—",
        payload: compactPayload(r.payload, o.showPhones),
      };
      return columns.map((c) => cells[c.key] ?? "");
    });
    print(renderFittedTable(columns, table, outputWidth()));
    const first = (page - 1) * limit + 1;
    const last = Math.min(total, first + rows.length - 1);
    print(rows.length ? `${first}–${last} of ${count(total, "entry", "entries")}, newest first${last < total ? `; next page: --page ${page + 1}` : ""}` : `page ${page} is past the end: ${count(total, "entry", "entries")}`);
  } finally {
    await db.close();
  }
}

/** --since is a local date: each company's rows in its own zone, rows of no company in the default zone. */
function sinceBounds(since: string, companies: CompanyRow[]): CreatedSince[] {
  const zones = [...new Set(companies.map((c) => c.timezone))];
  if (zones.length <= 1) return [{ companyId: null, from: localDayRange(since, zones[0] ?? DEFAULT_TIMEZONE).start }];
  return [
    ...companies.map((c) => ({ companyId: c.id, from: localDayRange(since, c.timezone).start })),
    { companyId: null, from: localDayRange(since, DEFAULT_TIMEZONE).start },
  ];
}

function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // not JSON (written by hand?): shown as it is
  }
}

/** SPEC's `audit list --json` item: the payload as an object. */
function jsonEntry(r: AuditRow) {
  return { id: r.id, action: r.action, appointment_id: r.appointment_id, company_id: r.company_id, payload: parsePayload(r.payload), created_at: r.created_at };
}

/** One line: {"response":"positive","feedback":null} → response=positive feedback=null; phone numbers masked unless asked. */
export function compactPayload(text: string, showPhones = false): string {
  const value = parsePayload(text);
  if (value === null || typeof value !== "object" || Array.isArray(value)) return JSON.stringify(value);
  const parts = Object.entries(value as Record<string, unknown>).map(([k, v]) => {
    const shown = typeof v === "string" ? (!showPhones && /phone|number|jid/i.test(k) ? maskPhone(v) : v) : JSON.stringify(v);
    return `${k}=${shown}`;
  });
  return parts.length ? parts.join(" ") : "{}";
}
