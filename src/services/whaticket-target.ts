import type { WhaticketDefaults } from "../config.js";
import type { WhaticketTarget } from "../gateway/whaticket.js";
import type { CompanyRow } from "../store/companies.js";
import { companySecretOrNull, secretProblem } from "./company-secrets.js";

/**
 * The company's own URL/token/connection, each falling back to WHATICKET_URL / WHATICKET_TOKEN; null
 * when incomplete, or when its own token cannot be decrypted (missingTargetReason says why).
 */
export function resolveTarget(company: Pick<CompanyRow, "id" | "whaticket_url" | "whaticket_token" | "whatsapp_id">, defaults: WhaticketDefaults): WhaticketTarget | null {
  const url = company.whaticket_url?.trim() || defaults.url;
  // Its own token, decrypted (once per process); one that cannot be read never falls back to WHATICKET_TOKEN.
  const own = company.whaticket_token ? companySecretOrNull(company, "whaticket_token") : null;
  if (company.whaticket_token && own === null) return null;
  const token = own?.trim() || defaults.token;
  if (!url || !token) return null;
  return { url, token, whatsappId: company.whatsapp_id };
}

/** Why a company cannot send, naming both ways to fix it; null when it can. */
export function missingTargetReason(company: Pick<CompanyRow, "id" | "whaticket_url" | "whaticket_token">, defaults: WhaticketDefaults): string | null {
  const unreadable = secretProblem(company, ["whaticket_token"]);
  if (unreadable) return unreadable;
  const noUrl = !(company.whaticket_url?.trim() || defaults.url);
  const noToken = !(company.whaticket_token?.trim() || defaults.token);
  if (!noUrl && !noToken) return null;
  const id = company.id;
  if (noUrl && noToken) {
    return `company ${id} has no Whaticket URL and token: set WHATICKET_URL and WHATICKET_TOKEN, or run \`secretaria companies add --id ${id} --whaticket-url URL --whaticket-token TOKEN\``;
  }
  if (noUrl) return `company ${id} has no Whaticket URL: set WHATICKET_URL or run \`secretaria companies add --id ${id} --whaticket-url URL\``;
  return `company ${id} has no Whaticket token: set WHATICKET_TOKEN or run \`secretaria companies add --id ${id} --whaticket-token TOKEN\``;
}
