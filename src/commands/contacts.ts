import { count } from "../render/plural.js";
import { maskPhone } from "../domain/phone.js";
import { UsageError } from "../errors.js";
import { csvStyle, listFormat, toCsvText, type ListOutputOptions } from "../render/list-output.js";
import { oneLine } from "../render/safe-text.js";
import { renderTable } from "../render/table.js";
import { contactEntries, operatorOptIn, operatorOptOut, operatorPhone } from "../services/consent-service.js";
import type { DoNotContactRow } from "../store/consent.js";
import { commandContext, openMigrated, print, printJson, type GlobalOptions } from "./context.js";

/** `secretaria contacts list|show|optout|optin`: the do-not-contact list (LGPD consent). */
export interface ContactsOptions extends GlobalOptions {
  company?: string;
  phone?: string;
  note?: string;
  json?: boolean;
  showPhones?: boolean;
}

function required(o: ContactsOptions, sub: string): { company: string; phone: string } {
  const missing = [o.company === undefined ? "--company C" : null, o.phone === undefined ? "--phone P" : null].filter(Boolean);
  if (missing.length) throw new UsageError(`contacts ${sub} needs ${missing.join(" and ")} (e.g. secretaria contacts ${sub} --company clinica --phone "+55 11 99999-0000")`);
  return { company: o.company!, phone: operatorPhone(o.phone!) };
}

const CONTACT_FIELDS = ["company_id", "phone", "since", "reason", "message", "message_id"] as const;

function entryJson(r: DoNotContactRow) {
  return { company_id: r.company_id, phone: r.phone, since: r.since, reason: r.reason, message: r.message, message_id: r.message_id };
}

/** The table masks phones like every other table (`--show-phones` unmasks); csv and json carry them whole. */
function table(rows: DoNotContactRow[], showPhones: boolean): string {
  return renderTable(
    ["company", "phone", "since (UTC)", "reason", "message"],
    rows.map((r) => [r.company_id, showPhones ? r.phone : maskPhone(r.phone), r.since.slice(0, 16).replace("T", " "), r.reason, oneLine(r.message ?? "").slice(0, 60)]),
  );
}

export async function runContactsList(o: ContactsOptions & ListOutputOptions): Promise<void> {
  const format = listFormat(o);
  const style = csvStyle(o);
  const ctx = commandContext(o);
  const db = await openMigrated(ctx, { readonly: true });
  try {
    const rows = await contactEntries(db, { companyId: o.company, phone: o.phone === undefined ? undefined : operatorPhone(o.phone) });
    if (format === "json") return printJson(rows.map(entryJson));
    if (format === "csv") return void process.stdout.write(toCsvText(CONTACT_FIELDS, rows.map(entryJson), style));
    if (!rows.length) return print(o.company ? `no phone on company ${o.company}'s do-not-contact list` : "the do-not-contact list is empty");
    print(table(rows, o.showPhones === true));
  } finally {
    await db.close();
  }
}

export async function runContactsShow(o: ContactsOptions): Promise<void> {
  const { company, phone } = required(o, "show");
  const ctx = commandContext(o);
  const db = await openMigrated(ctx, { readonly: true });
  try {
    const [row] = await contactEntries(db, { companyId: company, phone });
    if (o.json) return printJson({ company_id: company, phone, opted_out: !!row, entry: row ? entryJson(row) : null });
    if (!row) return print(`${phone} is not on company ${company}'s do-not-contact list: follow-ups go out when the appointment has consent`);
    print(`${row.phone} opted out of company ${company}'s messages since ${row.since} (${row.reason === "client_request" ? "the client asked" : "by the operator"})`);
    if (row.message) print(`message: ${oneLine(row.message)}`);
    print(`undo only at the client's request: secretaria contacts optin --company ${company} --phone ${row.phone}`);
  } finally {
    await db.close();
  }
}

export async function runContactsOptOut(o: ContactsOptions): Promise<void> {
  const { company, phone } = required(o, "optout");
  const ctx = commandContext(o);
  const db = await openMigrated(ctx);
  try {
    const r = await db.tx((t) => operatorOptOut(t, { companyId: company, phone, note: o.note ?? null, now: ctx.clock() }));
    if (o.json) return printJson({ added: r.added, skipped_followups: r.skipped, entry: entryJson(r.entry) });
    print(r.added ? `${phone} is on company ${company}'s do-not-contact list` : `${phone} was already on company ${company}'s do-not-contact list (since ${r.entry.since})`);
    if (r.skipped.length) print(`${count(r.skipped.length, "scheduled follow-up")} skipped (opted_out): ${r.skipped.join(", ")}`);
  } finally {
    await db.close();
  }
}

export async function runContactsOptIn(o: ContactsOptions): Promise<void> {
  const { company, phone } = required(o, "optin");
  const ctx = commandContext(o);
  const db = await openMigrated(ctx);
  try {
    const removed = await db.tx((t) => operatorOptIn(t, { companyId: company, phone, now: ctx.clock() }));
    if (o.json) return printJson({ removed: removed.map(entryJson) });
    if (!removed.length) return print(`${maskPhone(phone)} was not on company ${company}'s do-not-contact list: nothing changed`);
    print(`${phone} is off company ${company}'s do-not-contact list: follow-ups of its new or changed appointments schedule again (skipped ones stay skipped)`);
  } finally {
    await db.close();
  }
}
