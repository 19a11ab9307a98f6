import { UsageError } from "../errors.js";
import { DEFAULT_GRAPH_BASE } from "../gateway/cloud-client.js";
import {
  GATEWAY_KINDS, GATEWAY_SECRET_COLUMNS, companyUsingGatewayId, liftGatewayPause, saveCompanyGateway,
  type CompanyGatewayColumns, type GatewayKind,
} from "../store/company-gateways.js";
import type { CompanyRow } from "../store/companies.js";
import type { Q } from "../store/store.js";

export type GatewaySecret = (typeof GATEWAY_SECRET_COLUMNS)[number];

/**
 * `companies add --gateway …` and the settings each gateway needs. Flags not given keep the saved
 * value; the chosen gateway's required settings must be there after the merge.
 */

export interface GatewayOptions {
  gateway?: string;
  evolutionUrl?: string;
  evolutionApiKey?: string;
  evolutionInstance?: string;
  cloudPhoneNumberId?: string;
  cloudAccessToken?: string;
  cloudAppSecret?: string;
  cloudVerifyToken?: string;
  cloudTemplate?: string;
  cloudTemplateLanguage?: string;
  cloudGraphBase?: string;
}

export const DEFAULT_CLOUD_TEMPLATE_LANGUAGE = "pt_BR";

/** Merges the flags with the saved settings and checks them; a UsageError lists every problem in one line. */
export function validateGatewayOptions(o: GatewayOptions, existing?: CompanyRow): CompanyGatewayColumns {
  const problems: string[] = [];
  const pick = (flag: string | undefined, saved: string | null | undefined): string | null =>
    flag !== undefined ? flag.trim() || null : saved ?? null;

  const gateway = (o.gateway?.trim().toLowerCase() ?? existing?.gateway ?? "whaticket") as GatewayKind;
  if (!GATEWAY_KINDS.includes(gateway)) problems.push(`--gateway must be one of ${GATEWAY_KINDS.join(", ")} (got "${o.gateway}")`);

  const g: CompanyGatewayColumns = {
    gateway,
    evolution_url: pick(o.evolutionUrl, existing?.evolution_url)?.replace(/\/+$/, "") ?? null,
    evolution_api_key: pick(o.evolutionApiKey, existing?.evolution_api_key),
    evolution_instance: pick(o.evolutionInstance, existing?.evolution_instance),
    cloud_phone_number_id: pick(o.cloudPhoneNumberId, existing?.cloud_phone_number_id),
    cloud_access_token: pick(o.cloudAccessToken, existing?.cloud_access_token),
    cloud_app_secret: pick(o.cloudAppSecret, existing?.cloud_app_secret),
    cloud_verify_token: pick(o.cloudVerifyToken, existing?.cloud_verify_token),
    cloud_template_name: pick(o.cloudTemplate, existing?.cloud_template_name),
    cloud_template_language: pick(o.cloudTemplateLanguage, existing?.cloud_template_language),
    cloud_graph_base: pick(o.cloudGraphBase, existing?.cloud_graph_base)?.replace(/\/+$/, "") ?? null,
  };

  if (g.evolution_url && !isHttpUrl(g.evolution_url)) problems.push("--evolution-url must be an http(s) URL like https://evo.example.com.br");
  if (g.evolution_instance && (g.evolution_instance.length > 100 || /[/?#\s]/.test(g.evolution_instance))) {
    problems.push("--evolution-instance must be the instance name as created in Evolution (no spaces, '/', '?' or '#'; at most 100 characters)");
  }
  if (g.cloud_phone_number_id && !/^\d{5,30}$/.test(g.cloud_phone_number_id)) {
    problems.push("--cloud-phone-number-id must be the digits of the Phone number ID shown in Meta's WhatsApp > API Setup (not the phone number)");
  }
  if (g.cloud_template_name && !/^[a-z0-9_]{1,512}$/.test(g.cloud_template_name)) {
    problems.push("--cloud-template must be the approved template's name: lowercase letters, digits and '_' (e.g. followup_reuniao)");
  }
  if (g.cloud_template_language && !/^[a-z]{2,3}(_[A-Z]{2})?$/.test(g.cloud_template_language)) {
    problems.push("--cloud-template-language must be a language code like pt_BR or en_US");
  }
  if (g.cloud_graph_base && !isHttpUrl(g.cloud_graph_base)) problems.push(`--cloud-graph-base must be an http(s) URL (default ${DEFAULT_GRAPH_BASE})`);

  if (gateway === "evolution") {
    const missing = [
      g.evolution_url ? null : "--evolution-url",
      g.evolution_api_key ? null : "--evolution-api-key",
      g.evolution_instance ? null : "--evolution-instance",
    ].filter(Boolean);
    if (missing.length) problems.push(`--gateway evolution needs ${missing.join(", ")}`);
  }
  if (gateway === "cloud") {
    if (g.cloud_template_name && !g.cloud_template_language) g.cloud_template_language = DEFAULT_CLOUD_TEMPLATE_LANGUAGE;
    const missing = [
      g.cloud_phone_number_id ? null : "--cloud-phone-number-id",
      g.cloud_access_token ? null : "--cloud-access-token",
      g.cloud_app_secret ? null : "--cloud-app-secret (to verify the webhook's X-Hub-Signature-256)",
      g.cloud_verify_token ? null : "--cloud-verify-token (the one you type in Meta's webhook setup)",
      g.cloud_template_name ? null : "--cloud-template (the approved follow-up template's name)",
    ].filter(Boolean);
    if (missing.length) problems.push(`--gateway cloud needs ${missing.join(", ")}`);
  }
  if (problems.length) throw new UsageError(problems.join("; "));
  return g;
}

/** What may be shown and audited: the gateway, its non-secret settings, and whether each secret is set. */
export function publicGateway(c: Partial<CompanyGatewayColumns>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    gateway: c.gateway ?? "whaticket",
    evolution_url: c.evolution_url ?? null,
    evolution_instance: c.evolution_instance ?? null,
    cloud_phone_number_id: c.cloud_phone_number_id ?? null,
    cloud_template_name: c.cloud_template_name ?? null,
    cloud_template_language: c.cloud_template_language ?? null,
    cloud_graph_base: c.cloud_graph_base ?? null,
  };
  for (const k of GATEWAY_SECRET_COLUMNS) out[`${k}_set`] = !!c[k];
  return out;
}

/** Leaves a row without its gateway secrets (they are shown only as `<name>_set`). */
export function withoutGatewaySecrets<T extends Partial<CompanyGatewayColumns>>(c: T): Omit<T, (typeof GATEWAY_SECRET_COLUMNS)[number]> {
  const copy: Record<string, unknown> = { ...c };
  for (const k of GATEWAY_SECRET_COLUMNS) delete copy[k];
  return copy as Omit<T, (typeof GATEWAY_SECRET_COLUMNS)[number]>;
}

/** True when a saved setting the gateway sends with changed: a pause it caused is lifted. */
export function gatewaySettingsChanged(before: Partial<CompanyGatewayColumns> | undefined, after: CompanyGatewayColumns): boolean {
  if (!before) return false;
  return (Object.keys(after) as (keyof CompanyGatewayColumns)[]).some((k) => (before[k] ?? null) !== (after[k] ?? null) && !(k === "gateway" && before[k] === undefined));
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

/** validateGatewayOptions, plus: no other company may receive on the same Evolution instance or Cloud phone number id. */
export async function checkGatewaySettings(q: Q, o: GatewayOptions & { id: string }, existing?: CompanyRow): Promise<CompanyGatewayColumns> {
  const g = validateGatewayOptions(o, existing);
  if (g.gateway === "evolution" && g.evolution_instance) {
    const other = await companyUsingGatewayId(q, "evolution_instance", g.evolution_instance, o.id);
    if (other) throw new UsageError(`--evolution-instance ${g.evolution_instance} is already company ${other}'s: inbound messages could not tell the two apart; give each company its own instance`);
  }
  if (g.gateway === "cloud" && g.cloud_phone_number_id) {
    const other = await companyUsingGatewayId(q, "cloud_phone_number_id", g.cloud_phone_number_id, o.id);
    if (other) throw new UsageError(`--cloud-phone-number-id ${g.cloud_phone_number_id} is already company ${other}'s: each company needs its own business phone number`);
  }
  return g;
}

/** Writes the gateway columns; new settings lift a pause the old ones caused (as new Whaticket settings do). */
export async function saveGatewaySettings(q: Q, companyId: string, g: CompanyGatewayColumns, existing?: CompanyRow): Promise<void> {
  await saveCompanyGateway(q, companyId, g);
  if (gatewaySettingsChanged(existing, g)) await liftGatewayPause(q, companyId);
}

export function gatewaySecretsSet(c: Partial<CompanyGatewayColumns>): Record<`${GatewaySecret}_set`, boolean> {
  const out = {} as Record<`${GatewaySecret}_set`, boolean>;
  for (const k of GATEWAY_SECRET_COLUMNS) out[`${k}_set`] = !!c[k];
  return out;
}
