import type { CompanyRow } from "./companies.js";
import type { Q } from "./store.js";

/**
 * The gateway columns of `companies` (migration 007). Kept apart from companies.ts so that the
 * company upsert stays as it is: a save writes the common columns there, then these here.
 */

export type GatewayKind = "whaticket" | "evolution" | "cloud";
export const GATEWAY_KINDS: readonly GatewayKind[] = ["whaticket", "evolution", "cloud"];

export interface CompanyGatewayColumns {
  gateway: GatewayKind;
  evolution_url: string | null;
  evolution_api_key: string | null;
  evolution_instance: string | null;
  cloud_phone_number_id: string | null;
  cloud_access_token: string | null;
  cloud_app_secret: string | null;
  cloud_verify_token: string | null;
  cloud_template_name: string | null;
  cloud_template_language: string | null;
  cloud_graph_base: string | null;
}

/** Columns that hold secrets: never printed, logged or audited; shown only as "set". */
export const GATEWAY_SECRET_COLUMNS = ["evolution_api_key", "cloud_access_token", "cloud_app_secret", "cloud_verify_token"] as const;

export async function saveCompanyGateway(q: Q, companyId: string, g: CompanyGatewayColumns): Promise<void> {
  await q.run(
    `UPDATE companies SET gateway = @gateway, evolution_url = @evolution_url, evolution_api_key = @evolution_api_key,
        evolution_instance = @evolution_instance, cloud_phone_number_id = @cloud_phone_number_id,
        cloud_access_token = @cloud_access_token, cloud_app_secret = @cloud_app_secret, cloud_verify_token = @cloud_verify_token,
        cloud_template_name = @cloud_template_name, cloud_template_language = @cloud_template_language,
        cloud_graph_base = @cloud_graph_base
     WHERE id = @id`,
    { ...g, id: companyId },
  );
}

/** The company on Evolution whose instance received an inbound message. */
export function companyByEvolutionInstance(q: Q, instance: string): Promise<CompanyRow | undefined> {
  return q.get<CompanyRow>("SELECT * FROM companies WHERE gateway = 'evolution' AND evolution_instance = ? ORDER BY id LIMIT 1", [instance]);
}

/** The company on the Cloud API that owns a business phone number id. */
export function companyByCloudPhoneNumberId(q: Q, phoneNumberId: string): Promise<CompanyRow | undefined> {
  return q.get<CompanyRow>("SELECT * FROM companies WHERE gateway = 'cloud' AND cloud_phone_number_id = ? ORDER BY id LIMIT 1", [phoneNumberId]);
}

/** Every company on the Cloud API (the GET handshake does not say which one it is for). */
export function cloudCompanies(q: Q): Promise<CompanyRow[]> {
  return q.all<CompanyRow>("SELECT * FROM companies WHERE gateway = 'cloud' ORDER BY id");
}

/** Another company whose inbound messages would carry the same instance / phone number id (null when none). */
export async function companyUsingGatewayId(q: Q, column: "evolution_instance" | "cloud_phone_number_id", value: string, exceptId: string): Promise<string | null> {
  const gateway = column === "evolution_instance" ? "evolution" : "cloud";
  const row = await q.get<{ id: string }>(`SELECT id FROM companies WHERE gateway = ? AND ${column} = ? AND id <> ? ORDER BY id LIMIT 1`, [gateway, value, exceptId]);
  return row?.id ?? null;
}

/** Lifts a pause: the settings it was caused by changed. */
export async function liftGatewayPause(q: Q, companyId: string): Promise<void> {
  await q.run("UPDATE companies SET paused_reason = NULL, paused_at = NULL WHERE id = ?", [companyId]);
}
