import type { Clock } from "../clock.js";
import { urlCredentialsProblem } from "../domain/gateway-url.js";
import { UsageError, UserError } from "../errors.js";
import {
  DEFAULT_BUSINESS_HOURS, DEFAULT_QUIET_HOURS, DEFAULT_TIMEZONE, formatBusinessHours, formatQuietHours,
  isValidTimeZone, parseBusinessHours, parseQuietHours,
} from "../domain/hours.js";
import type { SchedulingPolicy } from "../domain/lifecycle.js";
import { placeholderProblem } from "../domain/setup-checks.js";
import type { Q, Store } from "../store/store.js";
import { writeAudit } from "../store/audit.js";
import { getCompany, listCompanies, upsertCompany, type CompanyInput, type CompanyRow } from "../store/companies.js";
import { GATEWAY_SECRET_COLUMNS } from "../store/company-gateways.js";
import { countPendingFollowups } from "../store/status-queries.js";
import { getImportMapping } from "../store/import-mappings.js";
import { deliverySummary } from "../store/booking-deliveries.js";
import { secretToStore } from "./company-secrets.js";
import { checkGatewaySettings, gatewaySecretsSet, publicGateway, saveGatewaySettings, withoutGatewaySecrets, type GatewayOptions, type GatewaySecret } from "./gateway-settings.js";

export interface CompanyOptions extends GatewayOptions {
  id: string;
  name: string;
  timezone?: string;
  whaticketUrl?: string;
  whaticketToken?: string;
  whatsappId?: string;
  businessHours?: string;
  quietHours?: string;
  followupDelay?: string;
  rateLimit?: string;
  template?: string;
}

/** Validates every field and reports all problems together, each saying how to fix it. */
export function validateCompany(o: CompanyOptions, existing?: CompanyRow): CompanyInput {
  const problems: string[] = [];
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(o.id ?? "")) problems.push("--id must be a short id of letters, digits, '-', '_' or '.' (e.g. clinica-sol)");
  if (!o.name?.trim()) problems.push("--name must not be empty");
  const timezone = o.timezone ?? existing?.timezone ?? DEFAULT_TIMEZONE;
  if (!isValidTimeZone(timezone)) problems.push(`--timezone "${timezone}" is not an IANA time zone (e.g. America/Sao_Paulo, America/Manaus)`);
  let businessHours = existing?.business_hours ?? DEFAULT_BUSINESS_HOURS;
  if (o.businessHours !== undefined) {
    try {
      businessHours = formatBusinessHours(parseBusinessHours(o.businessHours));
    } catch (err) {
      problems.push(`--business-hours: ${(err as Error).message}`);
    }
  }
  let quietHours = existing?.quiet_hours ?? DEFAULT_QUIET_HOURS;
  if (o.quietHours !== undefined) {
    try {
      quietHours = formatQuietHours(parseQuietHours(o.quietHours));
    } catch (err) {
      problems.push(`--quiet-hours: ${(err as Error).message}`);
    }
  }
  let delay = existing?.followup_delay_minutes ?? 60;
  if (o.followupDelay !== undefined) {
    delay = Number(o.followupDelay);
    if (!/^\d+$/.test(o.followupDelay) || delay > 7 * 24 * 60) problems.push("--followup-delay must be whole minutes from 0 to 10080 (e.g. 60)");
  }
  let rate = existing?.rate_limit ?? 1;
  if (o.rateLimit !== undefined) {
    rate = Number(o.rateLimit);
    if (!/^\d+(\.\d+)?$/.test(o.rateLimit) || rate > 1000) problems.push("--rate-limit must be messages per second from 0 (off) to 1000 (e.g. 1 or 0.5)");
  }
  let url = o.whaticketUrl ?? existing?.whaticket_url ?? null;
  if (o.whaticketUrl !== undefined) {
    url = o.whaticketUrl.trim().replace(/\/+$/, "") || null;
    if (url && !isHttpUrl(url)) problems.push(`--whaticket-url must be an http(s) URL like https://whaticket.example.com.br`);
    const credentials = url ? urlCredentialsProblem("--whaticket-url", url) : null;
    if (credentials) problems.push(credentials);
  }
  if (o.template !== undefined && (!o.template.trim() || o.template.length > 1000)) problems.push("--template must be 1 to 1000 characters; use {nome} for the client's first name");
  const placeholders = o.template !== undefined ? placeholderProblem(o.template) : null;
  if (placeholders) problems.push(`--template: ${placeholders}`);
  if (problems.length) throw new UsageError(problems.join("; "));
  return {
    id: o.id,
    name: o.name.trim(),
    timezone,
    whaticket_url: url,
    whaticket_token: o.whaticketToken !== undefined ? o.whaticketToken.trim() || null : existing?.whaticket_token ?? null,
    whatsapp_id: o.whatsappId !== undefined ? o.whatsappId.trim() || null : existing?.whatsapp_id ?? null,
    business_hours: businessHours,
    quiet_hours: quietHours,
    followup_delay_minutes: delay,
    rate_limit: rate,
    followup_template: o.template !== undefined ? o.template : existing?.followup_template ?? null,
  };
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

/** Adds a company, or updates the given fields of an existing one (flags not given keep their value). */
export function saveCompany(store: Store, o: CompanyOptions, clock: Clock): Promise<{ company: CompanyRow; result: "created" | "updated" }> {
  const now = clock().toISOString();
  return store.tx(async (t) => {
    const existing = await getCompany(t, o.id);
    const input = validateCompany(o, existing);
    const gateway = await checkGatewaySettings(t, o, existing);
    // New secrets are stored sealed under SECRETARIA_SECRET_KEY when one is set (company-secrets.ts).
    input.whaticket_token = secretToStore(o.id, "whaticket_token", input.whaticket_token, existing?.whaticket_token);
    for (const column of GATEWAY_SECRET_COLUMNS) gateway[column] = secretToStore(o.id, column, gateway[column], existing?.[column]);
    const result = await upsertCompany(t, input, now);
    await saveGatewaySettings(t, o.id, gateway, existing);
    const { whaticket_token: _secret, ...shown } = input;
    await writeAudit(t, { action: "company_saved", company_id: input.id, payload: { result, ...shown, whaticket_token_set: !!input.whaticket_token, ...publicGateway(gateway) }, created_at: now });
    return { company: (await getCompany(t, o.id)) as CompanyRow, result };
  });
}

/** The company reads commands use as they are (the store answers; no rule to apply). */
export { getCompany, listCompanies };

/** `companies show`: the company with what is still to be sent, its saved import mapping and its booking deliveries. */
export async function companyOverview(q: Q, id: string) {
  const company = await getCompany(q, id);
  if (!company) throw new UserError(`unknown company "${id}": see secretaria companies list`);
  const [pending, mapping, deliveries] = [await countPendingFollowups(q, id), await getImportMapping(q, id), await deliverySummary(q, id)];
  return { company, pending, mapping, deliveries };
}

export async function requireCompany(q: Q, id: string): Promise<CompanyRow> {
  const c = await getCompany(q, id);
  if (!c) {
    const known = (await listCompanies(q)).map((k) => k.id);
    const hint = known.length ? `known: ${known.slice(0, 10).join(", ")}` : "none exists yet";
    throw new UserError(`unknown company "${id}" (${hint}): add it with \`secretaria companies add --id ${id} --name "..."\``);
  }
  return c;
}

/** A --company filter: undefined when not given, the company when known, else a usage error. */
export async function companyFilter(q: Q, id: string | undefined): Promise<CompanyRow | undefined> {
  if (id === undefined) return undefined;
  const c = await getCompany(q, id);
  if (!c) throw new UsageError(`unknown company "${id}": see \`secretaria companies list\``);
  return c;
}

export function schedulingPolicy(c: Pick<CompanyRow, "timezone" | "quiet_hours" | "followup_delay_minutes">): SchedulingPolicy {
  return { timezone: c.timezone, quietHours: parseQuietHours(c.quiet_hours), delayMinutes: c.followup_delay_minutes };
}

/** A company as shown to people and in --json: the token is never included, only whether one is set. */
export function publicCompany(c: CompanyRow): Omit<CompanyRow, "whaticket_token" | "booking_webhook_secret" | GatewaySecret> & { whaticket_token_set: boolean; booking_webhook_secret_set: boolean } & Record<`${GatewaySecret}_set`, boolean> {
  const { whaticket_token, booking_webhook_secret, ...rest } = withoutGatewaySecrets(c);
  return { ...rest, whaticket_token_set: !!whaticket_token, booking_webhook_secret_set: !!booking_webhook_secret, ...gatewaySecretsSet(c) };
}
