import { DateTime } from "luxon";
import { UsageError, UserError } from "../errors.js";
import { renderTable, truncate } from "../render/table.js";
import { oneLine, stripControl } from "../render/safe-text.js";
import { mixedZones, utcOffset } from "../render/followup-format.js";
import { csvStyle, cutNote, listFormat, MAX_PAGE_ROWS, toCsvText, type ListOutputOptions } from "../render/list-output.js";
import { count } from "../render/plural.js";
import type { AppointmentRow, AppointmentSource } from "../store/appointments.js";
import {
  addManualAppointment, aliasesOf, APPOINTMENT_SOURCES, appointmentByRef, getAppointment, listAppointments, validateAppointment, type RawAppointment,
} from "../services/appointment-service.js";
import { companyFilter, getCompany, listCompanies } from "../services/company-service.js";
import { getImportMapping, importStream, openImportSource, type ImportReading, type ImportSummary } from "../services/import-service.js";
import { parseEncodingOption } from "../services/import-decode.js";
import { parseMapOption, type ColumnMapping } from "../domain/import-mapping.js";
import type { Q } from "../store/store.js";
import { commandContext, intOption, openMigrated, print, printJson, type GlobalOptions } from "./context.js";

export interface AppointmentsAddOptions extends GlobalOptions {
  company?: string;
  externalId?: string;
  clientName?: string;
  clientPhone?: string;
  start?: string;
  end?: string;
  allowFollowup?: string;
  status?: string;
  json?: boolean;
}

const FIELDS: { key: keyof AppointmentsAddOptions; flag: string; label: string }[] = [
  { key: "company", flag: "--company", label: "Company id" },
  { key: "externalId", flag: "--external-id", label: "External id (the id in your agenda)" },
  { key: "clientName", flag: "--client-name", label: "Client name" },
  { key: "clientPhone", flag: "--client-phone", label: "Client WhatsApp (+55 11 99999-0000)" },
  { key: "start", flag: "--start", label: "Start (YYYY-MM-DD HH:MM, local time)" },
  { key: "end", flag: "--end", label: "End (YYYY-MM-DD HH:MM, local time)" },
  { key: "allowFollowup", flag: "--allow-followup", label: "Consent to the WhatsApp follow-up (yes/no)" },
];

/** On a terminal, asks for what is missing; elsewhere a missing flag is a usage error. */
async function completeInteractively(o: AppointmentsAddOptions, companyIds: string[]): Promise<AppointmentsAddOptions> {
  const missing = FIELDS.filter((f) => o[f.key] === undefined);
  if (!missing.length) return o;
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new UsageError(`missing ${missing.map((f) => f.flag).join(", ")} (prompts only run on a terminal)`);
  }
  const { default: inquirer } = await import("inquirer");
  const answers: Record<string, unknown> = {};
  for (const f of missing) {
    if (f.key === "company" && companyIds.length) {
      answers[f.key] = (await inquirer.prompt([{ type: "list", name: "v", message: f.label, choices: companyIds }])).v;
    } else if (f.key === "allowFollowup") {
      answers[f.key] = (await inquirer.prompt([{ type: "confirm", name: "v", message: f.label, default: false }])).v ? "yes" : "no";
    } else {
      answers[f.key] = (await inquirer.prompt([{ type: "input", name: "v", message: f.label, validate: (v: string) => (v.trim() ? true : "required") }])).v;
    }
  }
  return { ...o, ...answers };
}

export async function runAppointmentsAdd(o: AppointmentsAddOptions): Promise<void> {
  const ctx = commandContext(o);
  const db = await openMigrated(ctx);
  try {
    const companies = await listCompanies(db);
    const full = await completeInteractively(o, companies.map((c) => c.id));
    const raw: RawAppointment = {
      company_id: full.company, external_id: full.externalId, client_name: full.clientName, client_phone: full.clientPhone,
      start_time: full.start, end_time: full.end, allow_followup: full.allowFollowup, status: full.status ?? "booked",
    };
    const v = validateAppointment(raw, (id) => companies.find((c) => c.id === id));
    if (!v.ok) throw new UsageError(v.problems.map(asFlags).join("; "));
    const { result, id } = await addManualAppointment(db, ctx.clock, v.data, v.company);
    const row = (await getAppointment(db, id)) as AppointmentRow;
    if (o.json) return printJson(publicAppointment(row));
    print(`${result} appointment ${row.id} (${oneLine(row.external_id)}) for ${oneLine(row.client_name)}: ${describeFollowup(row, v.company.timezone)}`);
  } finally {
    await db.close();
  }
}

const FLAG_OF_COLUMN: Record<string, string> = {
  company_id: "--company", external_id: "--external-id", client_name: "--client-name", client_phone: "--client-phone",
  start_time: "--start", end_time: "--end", allow_followup: "--allow-followup", status: "--status",
};

/** Validation speaks in columns (shared with import); on the command line, name the flag to fix. */
function asFlags(problem: string): string {
  return problem.replace(/\b(company_id|external_id|client_name|client_phone|start_time|end_time|allow_followup|status)\b/g, (c) => FLAG_OF_COLUMN[c] ?? c);
}

export function describeFollowup(row: AppointmentRow, zone: string): string {
  switch (row.followup_status) {
    case "scheduled":
      return `follow-up scheduled for ${localTime(row.followup_next_scheduled, zone)}`;
    case "skipped":
      return `no follow-up (${{ no_consent: "no consent", cancelled: "cancelled", expired: "too late: more than 12 h past due", opted_out: "the client opted out (do-not-contact list)" }[row.followup_skip_reason ?? "no_consent"]})`;
    default:
      return `follow-up ${row.followup_status}`;
  }
}

export function localTime(isoText: string | null, zone: string): string {
  if (!isoText) return "—";
  return DateTime.fromISO(isoText, { zone }).toFormat("yyyy-MM-dd HH:mm");
}

const SOURCE_LABEL: Record<string, string> = { import: "import", whatsapp: "booked over WhatsApp", manual: "added by hand", api: "API" };

export function publicAppointment(r: AppointmentRow) {
  return {
    id: r.id, company_id: r.company_id, external_id: r.external_id, client_name: r.client_name, client_phone: r.client_phone,
    start_time: r.start_time, end_time: r.end_time, status: r.status, allow_followup: r.allow_followup === 1,
    followup_status: r.followup_status, followup_skip_reason: r.followup_skip_reason,
    followup_next_scheduled: r.followup_next_scheduled, followup_sent_at: r.followup_sent_at,
    followup_response: r.followup_response, followup_attempts: r.followup_attempts, followup_last_error: r.followup_last_error,
    source: r.source,
  };
}

export interface AppointmentsImportOptions extends GlobalOptions {
  skipInvalid?: boolean;
  json?: boolean;
  encoding?: string;
  /** --map, repeatable: "client_name=Paciente,start_time=Data+Hora". */
  map?: string[];
  company?: string;
  saveMap?: boolean;
}

export async function runAppointmentsImport(o: AppointmentsImportOptions, file: string): Promise<void> {
  const ctx = commandContext(o);
  const db = await openMigrated(ctx);
  try {
    const { reading, notes } = await importReading(db, o);
    const source = openImportSource(file);
    const name = source.name;
    // A bar only for files big enough to wait for (by bytes read), on a terminal, not under --json.
    const progress = process.stderr.isTTY && (source.size ?? 0) >= 1 << 20 && !o.json;
    const summary = await importStream(db, source, {
      skipInvalid: !!o.skipInvalid, clock: ctx.clock, reading, saveMapping: !!o.saveMap,
      encoding: o.encoding === undefined ? "auto" : parseEncodingOption(o.encoding),
      onProgress: progress ? (done, total) => drawProgress(done, total) : undefined,
    });
    if (progress) process.stderr.write("\n");
    summary.notes.unshift(...notes);
    // Notes and errors quote the file's cells (names, phones as the clinic typed them): control-stripped.
    if (!o.json) for (const n of summary.notes) process.stderr.write(`note: ${oneLine(n)}\n`);
    const shown = summary.errors.slice(0, 50);
    for (const e of shown) process.stderr.write(`${stripControl(e)}\n`);
    if (summary.errors.length > shown.length) process.stderr.write(`… and ${summary.errors.length - shown.length} more invalid rows\n`);
    const refused = summary.invalid > 0 && !o.skipInvalid;
    if (o.json) printJson({ ...summary, imported: !refused });
    else if (!refused) {
      const optedOut = summary.followups.opted_out ? `, ${summary.followups.opted_out} not followed up (opted out)` : "";
      print(`${name}: ${summary.inserted} inserted, ${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.invalid} invalid${optedOut}${linkedSummary(summary)}`);
      print(followupSummary(summary));
      // "In the past" is only a problem when nothing was scheduled: an appointment that ended an hour ago is followed up now.
      if (summary.all_past && summary.followups.scheduled === 0) {
        process.stderr.write("warning: every appointment in this file is in the past: no follow-up goes out for them (an old export? check the dates, or SECRETARIA_NOW)\n");
      }
      if (o.saveMap && reading.mapping) print(`saved this mapping for company ${reading.company}: the next import with --company ${reading.company} uses it`);
    }
    if (refused) {
      throw new UserError(`${name}: ${count(summary.invalid, "invalid row")} (listed above), nothing imported: fix them, or pass --skip-invalid to import the ${summary.rows - summary.invalid} valid rows`);
    }
  } finally {
    await db.close();
  }
}

/** ", 2 linked to existing appointments (booked over WhatsApp)": the same client at the same time under another id. */
function linkedSummary(s: ImportSummary): string {
  if (!s.linked) return "";
  const how = s.linked_whatsapp === s.linked ? "booked over WhatsApp" : s.linked_whatsapp ? `${s.linked_whatsapp} booked over WhatsApp` : "same client and time";
  return `, ${s.linked} linked to existing appointments (${how})`;
}

/** "follow-ups: 3 scheduled, 1 already past (expired), 2 without consent, 2 cancelled". */
function followupSummary(s: ImportSummary): string {
  const f = s.followups;
  const parts = [`${f.scheduled} scheduled`];
  if (f.expired) parts.push(`${f.expired} already past (expired)`);
  if (f.no_consent) parts.push(`${f.no_consent} without consent`);
  if (f.cancelled) parts.push(`${f.cancelled} cancelled`);
  if (f.already_handled) parts.push(`${f.already_handled} already sent or answered`);
  const dup = s.duplicates ? ` (${count(s.duplicates, "repeated line")} counted once)` : "";
  return `follow-ups: ${parts.join(", ")}${dup}`;
}

/**
 * How to read the file's columns: --map (repeatable), else the saved mapping of --company;
 * --save-map keeps --map for --company. An unknown --company is an error now, not per row.
 */
async function importReading(db: Q, o: AppointmentsImportOptions): Promise<{ reading: ImportReading; notes: string[] }> {
  let mapping: ColumnMapping | undefined;
  for (const m of o.map ?? []) mapping = parseMapOption(m, mapping);
  const notes: string[] = [];
  if (o.saveMap && (!mapping || o.company === undefined)) {
    throw new UsageError("--save-map needs --map and --company: it keeps that mapping for that company's next imports");
  }
  if (o.company !== undefined) {
    if (!(await getCompany(db, o.company))) throw new UserError(`unknown company "${o.company}": see secretaria companies list`);
    if (!mapping) {
      const saved = await getImportMapping(db, o.company);
      if (saved) {
        mapping = saved as ColumnMapping;
        notes.push(`using the mapping saved for ${o.company}: ${Object.entries(saved).map(([k, v]) => `${k}=${v.join("+")}`).join(",")}`);
      }
    }
  }
  return { reading: { ...(mapping ? { mapping } : {}), ...(o.company !== undefined ? { company: o.company } : {}) }, notes };
}

let lastDrawn = -1;
function drawProgress(done: number, total: number): void {
  const width = 30;
  const filled = total ? Math.min(width, Math.round((done / total) * width)) : width;
  const percent = total ? Math.min(100, Math.floor((done / total) * 100)) : 100;
  if (percent === lastDrawn) return;
  lastDrawn = percent;
  process.stderr.write(`\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${percent}% read`);
}

export async function runAppointmentsList(o: GlobalOptions & ListOutputOptions & { company?: string; from?: string; to?: string; search?: string; source?: string; limit?: string; page?: string; showPhones?: boolean }): Promise<void> {
  const format = listFormat(o);
  if (o.source !== undefined && !(APPOINTMENT_SOURCES as readonly string[]).includes(o.source)) {
    throw new UsageError(`--source must be one of ${APPOINTMENT_SOURCES.join(", ")} (got "${o.source}")`);
  }
  const source = o.source as AppointmentSource | undefined;
  const style = csvStyle(o);
  const ctx = commandContext(o);
  const db = await openMigrated(ctx, { readonly: true });
  try {
    const limit = intOption("--limit", o.limit, 50, 1, MAX_PAGE_ROWS);
    const page = intOption("--page", o.page, 1, 1);
    const company = await companyFilter(db, o.company);
    const zone = company?.timezone ?? "America/Sao_Paulo";
    const day = (flag: string, v?: string) => {
      if (v === undefined) return undefined;
      const d = DateTime.fromISO(v, { zone });
      if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || !d.isValid) throw new UsageError(`${flag} must be a date like 2026-11-25 (got "${v}")`);
      return d.toUTC().toISO() ?? undefined;
    };
    const { rows, total } = await listAppointments(db, {
      companyId: o.company, source, from: day("--from", o.from), to: day("--to", o.to), search: o.search, limit, offset: (page - 1) * limit,
    });
    if (format === "json" || format === "csv") {
      const items = rows.map(publicAppointment);
      if (format === "json") printJson(items);
      else process.stdout.write(toCsvText(Object.keys(items[0] ?? publicAppointment({} as AppointmentRow)), items, style));
      const pages = Math.ceil(total / limit);
      const rest = `--page 1 to ${pages} hold them all${page < pages ? ` (next: --page ${page + 1})` : ""}`;
      if (rows.length < total) process.stderr.write(`${cutNote({ page, limit, shown: rows.length, total, noun: (n) => count(n, "appointment"), rest })}\n`);
      return;
    }
    if (!total && source) return print(`no appointments from ${source}${source === "whatsapp" ? " (none booked by the bot yet)" : ""}`);
    if (!total) return print("no appointments match: import some with `secretaria appointments import FILE`");
    const zones = new Map((await listCompanies(db)).map((c) => [c.id, c.timezone]));
    const zoneOf = (r: AppointmentRow) => zones.get(r.company_id) ?? zone;
    const withZone = mixedZones(rows.map(zoneOf));
    print(
      renderTable(
        ["id", "company", "client", "start", "status", "follow-up", ...(source ? [] : ["source"])],
        rows.map((r) => [
          r.id, truncate(r.company_id, 12), truncate(r.client_name, 18), `${localTime(r.start_time, zoneOf(r))}${withZone ? utcOffset(r.start_time, zoneOf(r)) : ""}`,
          r.status, truncate(r.followup_status === "skipped" ? `skipped (${r.followup_skip_reason})` : r.followup_status, 22),
          ...(source ? [] : [r.source]),
        ]),
      ),
    );
    const last = Math.min(total, page * limit);
    print(`${(page - 1) * limit + 1}–${last} of ${total}${last < total ? ` (next: --page ${page + 1})` : ""}`);
  } finally {
    await db.close();
  }
}

export async function runAppointmentsCancel(o: GlobalOptions & { company?: string; json?: boolean }, externalId: string): Promise<void> {
  if (!o.company) throw new UsageError("--company is required: the external id is the one in that company's agenda");
  const ctx = commandContext(o);
  const db = await openMigrated(ctx);
  try {
    const { cancelAppointment } = await import("../services/cancel-service.js");
    const r = await cancelAppointment(db, o.company, externalId, ctx.clock);
    if (o.json) return printJson({ ...publicAppointment(r.row), changed: r.changed });
    const zone = (await getCompany(db, o.company))?.timezone ?? "America/Sao_Paulo";
    if (!r.changed) return print(`appointment ${r.row.id} (${externalId}) was already cancelled: ${describeFollowup(r.row, zone)}`);
    const followup = r.followupBefore === "scheduled" ? "its follow-up is unscheduled" : describeFollowup(r.row, zone);
    print(`cancelled appointment ${r.row.id} (${oneLine(externalId)}) for ${oneLine(r.row.client_name)}: ${followup}`);
  } finally {
    await db.close();
  }
}

/** `appointments show 42` (row id) or `appointments show A-1001 [--company C]` (external id). */
export async function runAppointmentsShow(o: GlobalOptions & { company?: string; json?: boolean; showPhones?: boolean }, ref: string): Promise<void> {
  const ctx = commandContext(o);
  const db = await openMigrated(ctx, { readonly: true });
  try {
    const row = await appointmentByRef(db, ref, o.company);
    if (o.json) return printJson(publicAppointment(row));
    const zone = (await getCompany(db, row.company_id))?.timezone ?? "America/Sao_Paulo";
    const { maskPhone } = await import("../domain/phone.js");
    const lines: [string, string][] = [
      ["appointment", `${row.id} (external id ${oneLine(row.external_id)})`],
      ["company", row.company_id],
      ["client", `${oneLine(row.client_name)}, ${o.showPhones ? row.client_phone : maskPhone(row.client_phone)}`],
      ["time", `${localTime(row.start_time, zone)} – ${localTime(row.end_time, zone).slice(11)} (${zone})`],
      ["status", row.status],
      ["source", SOURCE_LABEL[row.source] ?? row.source],
      ["consent", row.allow_followup === 1 ? "yes" : "no"],
      ["follow-up", describeFollowup(row, zone)],
    ];
    const aliases = await aliasesOf(db, row.id);
    if (aliases.length) lines.splice(1, 0, ["linked ids", aliases.join(", ")]);
    if (row.followup_sent_at) lines.push(["sent", localTime(row.followup_sent_at, zone)]);
    if (row.followup_response) lines.push(["answer", row.followup_response]);
    if (row.followup_last_error) lines.push(["last error", oneLine(row.followup_last_error)]);
    for (const [k, v] of lines) print(`${k.padEnd(12)}${v}`);
    print(`history: secretaria audit list --appointment ${row.id}`);
  } finally {
    await db.close();
  }
}
