import type { WhaticketDefaults } from "../config.js";
import type { WhaticketTarget } from "../gateway/whaticket.js";
import type { CompanyRow } from "../store/companies.js";

/** The company's own URL/token/connection, each falling back to WHATICKET_URL / WHATICKET_TOKEN; null when incomplete. */
export function resolveTarget(company: Pick<CompanyRow, "whaticket_url" | "whaticket_token" | "whatsapp_id">, defaults: WhaticketDefaults): WhaticketTarget | null {
  const url = company.whaticket_url?.trim() || defaults.url;
  const token = company.whaticket_token?.trim() || defaults.token;
  if (!url || !token) return null;
  return { url, token, whatsappId: company.whatsapp_id };
}

/** Why a company cannot send, naming both ways to fix it; null when it can. */
export function missingTargetReason(company: Pick<CompanyRow, "id" | "whaticket_url" | "whaticket_token">, defaults: WhaticketDefaults): string | null {
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
