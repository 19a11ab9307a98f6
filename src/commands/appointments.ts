import { DateTime } from "luxon";
import { UsageError, UserError } from "../errors.js";
import { renderTable, truncate } from "../render/table.js";
import { getAppointment, listAppointments, type AppointmentRow } from "../store/appointments.js";
import { writeAudit } from "../store/audit.js";
import { listCompanies } from "../store/companies.js";
import { appointmentSaver, validateAppointment, type RawAppointment } from "../services/appointment-service.js";
import { companyFilter } from "../services/company-service.js";
import { importStream, openImportSource } from "../services/import-service.js";
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
      answers[f.key] = (await inquirer.prompt([{ type: "confirm", name: "v", message: f.label, default: true }])).v ? "yes" : "no";
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
    const { result, id } = await db.tx(async (t) => {
      const r = await appointmentSaver(t, ctx.clock)(v.data, v.company);
      if (r.result !== "unchanged") {
        await writeAudit(t, {
          action: r.result === "inserted" ? "appointment_created" : "appointment_updated",
          appointment_id: r.id, company_id: v.data.company_id, payload: { external_id: v.data.external_id }, created_at: ctx.clock().toISOString(),
        });
      }
      return r;
    });
    const row = (await getAppointment(db, id)) as AppointmentRow;
    if (o.json) return printJson(publicAppointment(row));
    print(`${result} appointment ${row.id} (${row.external_id}) for ${row.client_name}: ${describeFollowup(row, v.company.timezone)}`);
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
      return `no follow-up (${{ no_consent: "no consent", cancelled: "cancelled", expired: "too late: more than 12 h past due" }[row.followup_skip_reason ?? "no_consent"]})`;
    default:
      return `follow-up ${row.followup_status}`;
  }
}

export function localTime(isoText: string | null, zone: string): string {
  if (!isoText) return "—";
  return DateTime.fromISO(isoText, { zone }).toFormat("yyyy-MM-dd HH:mm");
}

export function publicAppointment(r: AppointmentRow) {
  return {
    id: r.id, company_id: r.company_id, external_id: r.external_id, client_name: r.client_name, client_phone: r.client_phone,
    start_time: r.start_time, end_time: r.end_time, status: r.status, allow_followup: r.allow_followup === 1,
    followup_status: r.followup_status, followup_skip_reason: r.followup_skip_reason,
    followup_next_scheduled: r.followup_next_scheduled, followup_sent_at: r.followup_sent_at,
    followup_response: r.followup_response, followup_attempts: r.followup_attempts, followup_last_error: r.followup_last_error,
  };
}

export async function runAppointmentsImport(o: GlobalOptions & { skipInvalid?: boolean; json?: boolean }, file: string): Promise<void> {
  const ctx = commandContext(o);
  const db = await openMigrated(ctx);
  try {
    const source = openImportSource(file);
    const name = source.name;
    // A bar only for files big enough to wait for (by bytes read), on a terminal, not under --json.
    const progress = process.stderr.isTTY && (source.size ?? 0) >= 1 << 20 && !o.json;
    const summary = await importStream(db, source, {
      skipInvalid: !!o.skipInvalid, clock: ctx.clock,
      onProgress: progress ? (done, total) => drawProgress(done, total) : undefined,
    });
    if (progress) process.stderr.write("\n");
    const shown = summary.errors.slice(0, 50);
    for (const e of shown) process.stderr.write(`${e}\n`);
    if (summary.errors.length > shown.length) process.stderr.write(`… and ${summary.errors.length - shown.length} more invalid rows\n`);
    const refused = summary.invalid > 0 && !o.skipInvalid;
    if (o.json) printJson({ ...summary, imported: !refused });
    else if (!refused) {
      print(`${name}: ${summary.inserted} inserted, ${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.invalid} invalid`);
    }
    if (refused) {
      throw new UserError(`${name}: ${summary.invalid} invalid row${summary.invalid === 1 ? "" : "s"} (listed above), nothing imported: fix them, or pass --skip-invalid to import the ${summary.rows - summary.invalid} valid rows`);
    }
  } finally {
    await db.close();
  }
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

export async function runAppointmentsList(o: GlobalOptions & { company?: string; from?: string; to?: string; search?: string; limit?: string; page?: string; json?: boolean }): Promise<void> {
  const ctx = commandContext(o);
  const db = await openMigrated(ctx, { readonly: true });
  try {
    const limit = intOption("--limit", o.limit, 50, 1, 10_000);
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
      companyId: o.company, from: day("--from", o.from), to: day("--to", o.to), search: o.search, limit, offset: (page - 1) * limit,
    });
    if (o.json) return printJson(rows.map(publicAppointment));
    if (!total) return print("no appointments match: import some with `secretaria appointments import FILE`");
    const zones = new Map((await listCompanies(db)).map((c) => [c.id, c.timezone]));
    print(
      renderTable(
        ["id", "company", "client", "start", "status", "follow-up"],
        rows.map((r) => [
          r.id, truncate(r.company_id, 12), truncate(r.client_name, 18), localTime(r.start_time, zones.get(r.company_id) ?? zone),
          r.status, truncate(r.followup_status === "skipped" ? `skipped (${r.followup_skip_reason})` : r.followup_status, 22),
        ]),
      ),
    );
    const last = Math.min(total, page * limit);
    print(`${(page - 1) * limit + 1}–${last} of ${total}${last < total ? ` (next: --page ${page + 1})` : ""}`);
  } finally {
    await db.close();
  }
}
