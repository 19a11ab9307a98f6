import { UsageError } from "../errors.js";
import { renderTable } from "../render/table.js";
import { listCompanies } from "../store/companies.js";
import { publicCompany, saveCompany, type CompanyOptions } from "../services/company-service.js";
import { commandContext, openMigrated, print, printJson, type GlobalOptions } from "./context.js";
import { getCompany, type CompanyRow } from "../store/companies.js";

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
    print(gatewayLine(company));
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
        ["id", "name", "timezone", "hours", "quiet", "delay", "rate", "gateway"],
        list.map((c) => [
          c.id, c.name, c.timezone, c.business_hours, c.quiet_hours, `${c.followup_delay_minutes}m`,
          c.rate_limit ? `${c.rate_limit}/s` : "off",
          gatewayCell(c),
        ]),
      ),
    );
  } finally {
    await db.close();
  }
}

/** The gateway and its non-secret settings; secrets only as set / not set. */
function gatewayLine(c: CompanyRow): string {
  switch (c.gateway ?? "whaticket") {
    case "evolution":
      return `  gateway evolution ${c.evolution_url ?? "?"}; instance ${c.evolution_instance ?? "?"}; apikey ${c.evolution_api_key ? "set" : "not set"}`;
    case "cloud":
      return `  gateway cloud (WhatsApp Cloud API) phone number id ${c.cloud_phone_number_id ?? "?"}; template ${c.cloud_template_name ?? "?"} (${c.cloud_template_language ?? "?"}); ` +
        `access token ${c.cloud_access_token ? "set" : "not set"}; app secret ${c.cloud_app_secret ? "set" : "not set"}; verify token ${c.cloud_verify_token ? "set" : "not set"}`;
    default:
      return `  whaticket ${c.whaticket_url ?? "(WHATICKET_URL)"}; token ${c.whaticket_token ? "set" : "(WHATICKET_TOKEN)"}${c.whatsapp_id ? `; connection ${c.whatsapp_id}` : ""}`;
  }
}

function gatewayCell(c: ReturnType<typeof publicCompany>): string {
  switch (c.gateway ?? "whaticket") {
    case "evolution":
      return `evolution ${c.evolution_instance ?? "?"}${c.evolution_api_key_set ? " 🔑" : ""}`;
    case "cloud":
      return `cloud ${c.cloud_phone_number_id ?? "?"}${c.cloud_access_token_set && c.cloud_app_secret_set ? " 🔑" : ""}`;
    default:
      return `whaticket ${c.whaticket_url ?? "env"}${c.whaticket_token_set ? " 🔑" : ""}`;
  }
}
