import { UsageError } from "../errors.js";
import { renderTable } from "../render/table.js";
import { listCompanies } from "../store/companies.js";
import { publicCompany, saveCompany, type CompanyOptions } from "../services/company-service.js";
import { commandContext, openMigrated, print, printJson, type GlobalOptions } from "./context.js";
import { getCompany } from "../store/companies.js";

export interface CompaniesAddOptions extends GlobalOptions, Omit<CompanyOptions, "name"> {
  name?: string;
  json?: boolean;
}

export async function runCompaniesAdd(o: CompaniesAddOptions): Promise<void> {
  const ctx = commandContext(o);
  const db = await openMigrated(ctx);
  try {
    const existing = await getCompany(db, o.id);
    const name = o.name ?? existing?.name;
    if (!name) throw new UsageError(`--name is required to add company "${o.id}" (e.g. --name "Clínica Sol")`);
    const { company, result } = await saveCompany(db, { ...o, name }, ctx.clock);
    if (o.json) return printJson(publicCompany(company));
    print(`${result === "created" ? "added" : "updated"} company ${company.id} (${company.name}), ${company.timezone}`);
    print(`  business hours ${company.business_hours}; quiet hours ${company.quiet_hours}; follow-up ${company.followup_delay_minutes} min after the end; rate limit ${company.rate_limit ? `${company.rate_limit} msg/s` : "off"}`);
    print(`  whaticket ${company.whaticket_url ?? "(WHATICKET_URL)"}; token ${company.whaticket_token ? "set" : "(WHATICKET_TOKEN)"}${company.whatsapp_id ? `; connection ${company.whatsapp_id}` : ""}`);
  } finally {
    await db.close();
  }
}

export async function runCompaniesList(o: GlobalOptions & { json?: boolean }): Promise<void> {
  const ctx = commandContext(o);
  const db = await openMigrated(ctx, { readonly: true });
  try {
    const list = (await listCompanies(db)).map(publicCompany);
    if (o.json) return printJson(list);
    if (!list.length) return print("no companies yet: add one with `secretaria companies add --id ID --name NAME`");
    print(
      renderTable(
        ["id", "name", "timezone", "hours", "quiet", "delay", "rate", "whaticket"],
        list.map((c) => [
          c.id, c.name, c.timezone, c.business_hours, c.quiet_hours, `${c.followup_delay_minutes}m`,
          c.rate_limit ? `${c.rate_limit}/s` : "off",
          `${c.whaticket_url ?? "env"}${c.whaticket_token_set ? " 🔑" : ""}`,
        ]),
      ),
    );
  } finally {
    await db.close();
  }
}
