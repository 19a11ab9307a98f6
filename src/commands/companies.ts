import { count } from "../render/plural.js";
import { UsageError, UserError } from "../errors.js";
import { renderTable } from "../render/table.js";
import { csvStyle, listFormat, toCsvText, type ListOutputOptions } from "../render/list-output.js";
import { companyOverview, getCompany, listCompanies, publicCompany, saveCompany, type CompanyOptions } from "../services/company-service.js";
import { commandContext, openMigrated, print, printJson, type GlobalOptions } from "./context.js";
import type { CompanyRow } from "../store/companies.js";
import { whaticketFromEnv } from "../config.js";
import { plainHttpWarning } from "../domain/gateway-url.js";
import { missingCompanyTargetReason } from "../services/gateway-service.js";
import { processSecretKey, UNENCRYPTED_WARNING } from "../services/company-secrets.js";

export interface CompaniesAddOptions extends GlobalOptions, Omit<CompanyOptions, "name"> {
  name?: string;
  whaticketTokenFile?: string;
  /** A URL, or false for --no-booking-webhook. */
  bookingWebhook?: string | false;
  bookingWebhookSecretFile?: string;
  json?: boolean;
}

/** The text of a secret given by file (`flag PATH`) or on standard input (`-`), trimmed. */
async function readSecretText(flag: string, file: string): Promise<string> {
  if (file === "-") {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8").trim();
  }
  const { readFile } = await import("node:fs/promises");
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (err) {
    throw new UserError(`cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** `--whaticket-token-file PATH` or `--whaticket-token -` (standard input): the token off the command line. */
async function tokenFromOptions(o: CompaniesAddOptions): Promise<string | undefined> {
  const file = o.whaticketTokenFile;
  if (file !== undefined && o.whaticketToken !== undefined) throw new UsageError("give either --whaticket-token or --whaticket-token-file, not both");
  if (file === undefined && o.whaticketToken !== "-") return o.whaticketToken;
  const token = await readSecretText("--whaticket-token-file", file ?? "-");
  if (!token || /\s/.test(token)) throw new UsageError(`${file !== undefined ? `--whaticket-token-file ${file}` : "standard input"} must hold the token alone on one line`);
  return token;
}

export async function runCompaniesAdd(o: CompaniesAddOptions): Promise<void> {
  const ctx = commandContext(o);
  const db = await openMigrated(ctx);
  try {
    const existing = await getCompany(db, o.id);
    const name = o.name ?? existing?.name;
    if (!name) throw new UsageError(`--name is required to add company "${o.id}" (e.g. --name "Clínica Sol")`);
    const whaticketToken = await tokenFromOptions(o);
    const booking = await bookingWebhookFromOptions(o, existing?.booking_webhook_url ?? null);
    const { company, result } = await saveCompany(db, { ...o, name, ...(whaticketToken !== undefined ? { whaticketToken } : {}) }, ctx.clock);
    const webhook = booking ? await booking.apply(db, company.id, ctx.clock) : null;
    const http = company.whaticket_url && o.whaticketUrl !== undefined ? plainHttpWarning("--whaticket-url", company.whaticket_url) : null;
    if (http) process.stderr.write(`secretaria: warning: ${http}\n`);
    // Saved, but the daemon keeps it paused until it can send: say so now (stderr, not an error).
    const cannot = missingCompanyTargetReason(company, whaticketFromEnv(process.env));
    if (cannot) process.stderr.write(`secretaria: warning: ${cannot}; until then the daemon keeps this company paused\n`);
    const newSecret = [whaticketToken, o.evolutionApiKey, o.cloudAccessToken, o.cloudAppSecret, o.cloudVerifyToken].some((v) => v?.trim());
    if (newSecret && !processSecretKey()) process.stderr.write(`secretaria: warning: ${UNENCRYPTED_WARNING}\n`);
    const saved = webhook ? ((await getCompany(db, company.id)) as CompanyRow) : company;
    // The signing secret is shown this once (generated now); afterwards only "set".
    const once = webhook?.generatedSecret ? { booking_webhook_secret: webhook.generatedSecret } : {};
    if (o.json) return printJson({ ...publicCompany(saved), ...once });
    print(`${result === "created" ? "added" : "updated"} company ${company.id} (${company.name}), ${company.timezone}`);
    print(`  business hours ${company.business_hours}; quiet hours ${company.quiet_hours}; follow-up ${company.followup_delay_minutes} min after the end; rate limit ${company.rate_limit ? `${company.rate_limit} msg/s` : "off"}`);
    print(gatewayLine(company));
    if (webhook) print(bookingWebhookLine(saved));
    if (webhook?.generatedSecret) {
      print(`  booking webhook signing secret (shown only now: put it in the receiver, it verifies X-Secretaria-Signature): ${webhook.generatedSecret}`);
    }
  } finally {
    await db.close();
  }
}

export async function runCompaniesList(o: GlobalOptions & ListOutputOptions): Promise<void> {
  const format = listFormat(o);
  const style = csvStyle(o);
  const ctx = commandContext(o);
  const db = await openMigrated(ctx, { readonly: true });
  try {
    const rows = await listCompanies(db);
    const defaults = whaticketFromEnv(process.env);
    const list = rows.map((c) => ({ ...publicCompany(c), can_send: missingCompanyTargetReason(c, defaults) === null }));
    if (format === "json") return printJson(list);
    if (format === "csv") {
      const fields = ["id", "name", "timezone", "business_hours", "quiet_hours", "followup_delay_minutes", "rate_limit", "gateway", "whaticket_url", "paused_reason", "paused_at"];
      return void process.stdout.write(toCsvText(fields, list.map((c) => ({ ...c, gateway: c.gateway ?? "whaticket" })), style));
    }
    if (!list.length) return print("no companies yet: add one with `secretaria companies add --id ID --name NAME`");
    print(
      renderTable(
        ["id", "name", "timezone", "hours", "quiet", "delay", "rate", "gateway", "status"],
        list.map((c) => [
          c.id, c.name, c.timezone, c.business_hours, c.quiet_hours, `${c.followup_delay_minutes}m`,
          c.rate_limit ? `${c.rate_limit}/s` : "off",
          gatewayCell(c),
          statusCell(c),
        ]),
      ),
    );
    const paused = list.filter((c) => c.paused_reason).length;
    if (paused) print(`${paused} paused: nothing is sent for ${paused === 1 ? "it" : "them"} until the cause is fixed (secretaria companies show ID)`);
  } finally {
    await db.close();
  }
}

/** "ok", "paused: why" or "not configured" (cannot send with this environment's defaults). */
function statusCell(c: { paused_reason: string | null; can_send: boolean }): string {
  const short = (r: string) => (r.length > 40 ? `${r.slice(0, 39)}…` : r);
  if (c.paused_reason) return `paused: ${short(c.paused_reason)}`;
  return c.can_send ? "ok" : "not configured";
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

/** --booking-webhook URL / --no-booking-webhook / --booking-webhook-secret-file PATH|-: checked before anything is saved. */
async function bookingWebhookFromOptions(o: CompaniesAddOptions, currentUrl: string | null) {
  if (o.bookingWebhook === undefined && o.bookingWebhookSecretFile === undefined) return null;
  const { bookingWebhookChangeProblem, checkBookingWebhookUrl, configureBookingWebhook } = await import("../services/booking-webhook-service.js");
  let url: string | null | undefined;
  if (o.bookingWebhook === false) url = null;
  else if (o.bookingWebhook !== undefined) {
    const checked = checkBookingWebhookUrl(o.bookingWebhook);
    if (checked.warning) process.stderr.write(`secretaria: warning: ${checked.warning}\n`);
    url = checked.url;
  }
  let secret: string | undefined;
  const file = o.bookingWebhookSecretFile;
  if (file !== undefined) {
    if (file === "-" && o.whaticketToken === "-") throw new UsageError("standard input can hold one secret: give the Whaticket token or the booking webhook secret by file");
    secret = await readSecretText("--booking-webhook-secret-file", file);
  }
  const change = { ...(url !== undefined ? { url } : {}), ...(secret !== undefined ? { secret } : {}) };
  // Before the company is saved: a wrong secret must leave nothing half-written.
  const problem = bookingWebhookChangeProblem(change, currentUrl);
  if (problem) throw new UsageError(problem);
  return { apply: (db: Parameters<typeof configureBookingWebhook>[0], id: string, clock: Parameters<typeof configureBookingWebhook>[3]) => configureBookingWebhook(db, id, change, clock) };
}

function bookingWebhookLine(c: CompanyRow): string {
  if (!c.booking_webhook_url) return "  booking webhook: none (companies add --id ID --booking-webhook URL sends each WhatsApp booking there)";
  return `  booking webhook ${c.booking_webhook_url}; signing secret ${c.booking_webhook_secret ? "set" : "not set"}`;
}

/** `companies show ID`: every setting (secrets only as set / not set), pause, counts. */
export async function runCompaniesShow(o: GlobalOptions & { json?: boolean }, id: string): Promise<void> {
  const ctx = commandContext(o);
  const db = await openMigrated(ctx, { readonly: true });
  try {
    const { company, pending, mapping, deliveries } = await companyOverview(db, id);
    if (o.json) return printJson({ ...publicCompany(company), pending_followups: pending, import_mapping: mapping ?? null, booking_deliveries: deliveries });
    print(`company ${company.id} (${company.name}), ${company.timezone}`);
    print(`  business hours ${company.business_hours}; quiet hours ${company.quiet_hours}; follow-up ${company.followup_delay_minutes} min after the end; rate limit ${company.rate_limit ? `${company.rate_limit} msg/s` : "off"}`);
    print(gatewayLine(company));
    print(`  template ${company.followup_template ? JSON.stringify(company.followup_template) : "(the standard text)"}`);
    print(company.paused_reason ? `  PAUSED since ${company.paused_at ?? "?"}: ${company.paused_reason}` : "  not paused");
    print(`  ${count(pending, "follow-up")} still to be sent`);
    if (mapping) print(`  saved import mapping: ${Object.entries(mapping).map(([k, v]) => `${k}=${v.join("+")}`).join(",")}`);
    print(bookingWebhookLine(company));
    if (deliveries.pending + deliveries.delivered + deliveries.failed) {
      const last = deliveries.last_error ? ` (last error: ${deliveries.last_error})` : "";
      print(`  bookings sent to the webhook: ${deliveries.delivered} delivered, ${deliveries.pending} pending, ${deliveries.failed} failed${last}`);
    }
  } finally {
    await db.close();
  }
}

/** `companies remove ID [--force]`: refuses while follow-ups are pending; audited. */
export async function runCompaniesRemove(o: GlobalOptions & { force?: boolean; json?: boolean }, id: string): Promise<void> {
  const ctx = commandContext(o);
  const db = await openMigrated(ctx);
  try {
    const { removeCompany } = await import("../services/company-removal-service.js");
    const r = await removeCompany(db, id, { force: !!o.force, clock: ctx.clock });
    if (o.json) return printJson({ removed: id, ...r });
    const dropped = r.pending ? `, ${count(r.pending, "pending follow-up")} dropped` : "";
    print(`removed company ${id} and its ${count(r.appointments, "appointment")}${dropped} (the audit log keeps the history)`);
  } finally {
    await db.close();
  }
}
