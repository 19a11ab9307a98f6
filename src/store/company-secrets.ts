import type { Q } from "./store.js";

/** The columns of `companies` that hold a secret (migrations 001, 007 and 009). */
const SECRET_COLUMNS = new Set(["whaticket_token", "evolution_api_key", "cloud_access_token", "cloud_app_secret", "cloud_verify_token", "booking_webhook_secret"]);

/**
 * Rewrites one stored secret as given (already sealed by the caller: `secrets encrypt/rotate`).
 * Index: primary key.
 */
export async function setCompanySecret(q: Q, companyId: string, column: string, value: string): Promise<void> {
  if (!SECRET_COLUMNS.has(column)) throw new Error(`not a secret column: ${column}`);
  await q.run(`UPDATE companies SET ${column} = @value WHERE id = @id`, { value, id: companyId });
}
