import type { Q } from "./store.js";

/** Every column of `companies` that holds a secret (migrations 001, 007 and 009). */
export const SECRET_COLUMNS = ["whaticket_token", "evolution_api_key", "cloud_access_token", "cloud_app_secret", "cloud_verify_token", "booking_webhook_secret"] as const;
export type SecretColumn = (typeof SECRET_COLUMNS)[number];

/**
 * Rewrites one stored secret as given (already sealed by the caller: `secrets encrypt/rotate`).
 * Index: primary key.
 */
export async function setCompanySecret(q: Q, companyId: string, column: SecretColumn, value: string): Promise<void> {
  await q.run(`UPDATE companies SET ${column} = @value WHERE id = @id`, { value, id: companyId });
}
