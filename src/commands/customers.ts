import { UsageError, UserError } from "../errors.js";
import { operatorPhone } from "../services/consent-service.js";
import { eraseCustomer, eraseScope, exportCustomer } from "../services/customer-service.js";
import { commandContext, openMigrated, print, printJson, type GlobalOptions } from "./context.js";
import { count } from "../render/plural.js";

/** `secretaria customers export|erase --phone P [--company C]`: a person's data under LGPD. */
export interface CustomersOptions extends GlobalOptions {
  phone?: string;
  company?: string;
  yes?: boolean;
  json?: boolean;
}

function phoneOf(o: CustomersOptions, sub: string): string {
  if (o.phone === undefined) throw new UsageError(`customers ${sub} needs --phone P (e.g. secretaria customers ${sub} --phone "+55 11 99999-0000")`);
  return operatorPhone(o.phone);
}

export async function runCustomersExport(o: CustomersOptions): Promise<void> {
  const phone = phoneOf(o, "export");
  const ctx = commandContext(o);
  const db = await openMigrated(ctx, { readonly: true });
  try {
    printJson(await exportCustomer(db, { phone, companyId: o.company }, ctx.clock()));
  } finally {
    await db.close();
  }
}

export async function runCustomersErase(o: CustomersOptions): Promise<void> {
  const phone = phoneOf(o, "erase");
  const interactive = !!process.stdin.isTTY && !!process.stdout.isTTY;
  if (!o.yes && !interactive) {
    throw new UsageError("erasing a person's data cannot be undone: pass --yes to confirm (prompts only run on a terminal); keep a copy first with secretaria customers export");
  }
  const ctx = commandContext(o);
  const db = await openMigrated(ctx);
  try {
    const where = o.company ? `company ${o.company}` : "every company";
    if (!o.yes) {
      const scope = await eraseScope(db, { phone, companyId: o.company });
      const { default: inquirer } = await import("inquirer");
      const { ok } = await inquirer.prompt<{ ok: boolean }>([{
        type: "confirm", name: "ok", default: false,
        message: `Erase ${phone} at ${where}: ${count(scope.appointments, "appointment")}, ${count(scope.inbound_messages, "message")}, ${scope.feedback_events} feedback, ${count(scope.audit_entries, "audit entry", "audit entries")}, ${count(scope.do_not_contact, "do-not-contact entry", "do-not-contact entries")}? This cannot be undone.`,
      }]);
      if (!ok) return print("nothing erased");
    }
    const r = await eraseCustomer(db, { phone, companyId: o.company }, ctx.clock());
    if (o.json) return printJson({ erased: r.counts, file_scrubbed: r.scrubError === null, scrub_error: r.scrubError });
    const c = r.counts;
    print(`erased ${phone} at ${where}: ${count(c.appointments, "appointment")} anonymised, ${count(c.inbound_messages, "message")} and ${c.feedback_events} feedback deleted, ${count(c.audit_entries, "audit entry", "audit entries")} stripped of personal data, ${count(c.do_not_contact, "do-not-contact entry", "do-not-contact entries")} deleted`);
    if (c.do_not_contact) print("note: the phone is no longer on the do-not-contact list; a new appointment with consent would be followed up");
    if (r.scrubError !== null) {
      throw new UserError(`the rows are erased, but the database file could not be rebuilt (${r.scrubError}): stop the daemon and run the same command again to clear the freed pages`);
    }
  } finally {
    await db.close();
  }
}
