import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Clock } from "../clock.js";
import { iso } from "../clock.js";
import { UsageError, UserError } from "../errors.js";
import { findLiveApiToken, getApiToken, insertApiToken, listApiTokens, revokeApiToken, touchApiToken, type ApiTokenRow } from "../store/api-tokens.js";
import { getCompany } from "../store/companies.js";
import type { Q } from "../store/store.js";

/**
 * API tokens for the agenda API and the panel (issue 13 point 3):
 *   - company tokens see and resend one company's follow-ups only;
 *   - operator tokens (in the table with no company, or SECRETARIA_API_TOKEN when set) see all.
 * A token is `sct_` + 32 random bytes in base64url, shown once; the database keeps its SHA-256.
 */

export const TOKEN_PREFIX = "sct_";
/** SECRETARIA_API_TOKEN shorter than this is refused (it would be guessable). */
export const MIN_ENV_TOKEN_LENGTH = 24;

export type TokenScope = { scope: "operator" } | { scope: "company"; companyId: string };

export function sha256Hex(s: string): string {
  return createHash("sha256").update(s, "utf8").digest("hex");
}

export function newTokenSecret(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
}

export async function createApiToken(q: Q, clock: Clock, o: { companyId: string | null; name?: string }): Promise<{ id: number; token: string }> {
  if (o.companyId !== null && !(await getCompany(q, o.companyId))) {
    throw new UsageError(`unknown company "${o.companyId}": see \`secretaria companies list\``);
  }
  const token = newTokenSecret();
  const id = await insertApiToken(q, { companyId: o.companyId, name: o.name?.trim() ?? "", sha256: sha256Hex(token), at: iso(clock()) });
  return { id, token };
}

export function listTokens(q: Q): Promise<ApiTokenRow[]> {
  return listApiTokens(q);
}

export async function revokeToken(q: Q, clock: Clock, id: number): Promise<ApiTokenRow> {
  const row = await getApiToken(q, id);
  if (!row) throw new UserError(`there is no token ${id}: see \`secretaria tokens list\``);
  if (row.revoked_at) throw new UserError(`token ${id} was already revoked at ${row.revoked_at}`);
  await revokeApiToken(q, id, iso(clock()));
  return (await getApiToken(q, id))!;
}

/** The SECRETARIA_API_TOKEN operator token, or null when unset; a UserError when set but too short. */
export function envOperatorToken(env: NodeJS.ProcessEnv): string | null {
  const t = env.SECRETARIA_API_TOKEN?.trim() ?? "";
  if (!t) return null;
  if (t.length < MIN_ENV_TOKEN_LENGTH) {
    throw new UserError(`SECRETARIA_API_TOKEN is shorter than ${MIN_ENV_TOKEN_LENGTH} characters: use a long random value, or create one with \`secretaria tokens create --operator\``);
  }
  return t;
}

/**
 * Who a presented token is: operator, one company, or nobody (null). The hash is looked up in
 * the table (an index lookup on a hash reveals nothing about the token), and the env token is
 * compared hash-to-hash in constant time.
 */
export async function verifyApiToken(q: Q, token: string | null | undefined, opts: { envToken?: string | null; clock?: Clock } = {}): Promise<TokenScope | null> {
  const given = token?.trim() ?? "";
  if (!given) return null;
  const hash = sha256Hex(given);
  if (opts.envToken) {
    if (timingSafeEqual(Buffer.from(hash, "hex"), Buffer.from(sha256Hex(opts.envToken), "hex"))) return { scope: "operator" };
  }
  if (!given.startsWith(TOKEN_PREFIX)) return null;
  const row = await findLiveApiToken(q, hash);
  if (!row || !timingSafeEqual(Buffer.from(row.token_sha256, "hex"), Buffer.from(hash, "hex"))) return null;
  if (opts.clock) await touchApiToken(q, row.id, iso(opts.clock())).catch(() => undefined);
  return row.company_id === null ? { scope: "operator" } : { scope: "company", companyId: row.company_id };
}
