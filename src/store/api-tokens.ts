import type { Q } from "./store.js";

/**
 * Scoped API tokens (migration 008): company_id NULL = operator-wide. Only the SHA-256 (hex) of
 * a token is stored; the token itself is printed once by `tokens create`.
 */

export interface ApiTokenRow {
  id: number;
  company_id: string | null;
  name: string;
  token_sha256: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export async function insertApiToken(q: Q, t: { companyId: string | null; name: string; sha256: string; at: string }): Promise<number> {
  return q.insert("INSERT INTO api_tokens (company_id, name, token_sha256, created_at) VALUES (?, ?, ?, ?)", [t.companyId, t.name, t.sha256, t.at]);
}

export async function listApiTokens(q: Q): Promise<ApiTokenRow[]> {
  const rows = await q.all<ApiTokenRow>("SELECT * FROM api_tokens ORDER BY id");
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

/** The live (not revoked) token with this hash, if any. */
export async function findLiveApiToken(q: Q, sha256: string): Promise<ApiTokenRow | undefined> {
  const r = await q.get<ApiTokenRow>("SELECT * FROM api_tokens WHERE token_sha256 = ? AND revoked_at IS NULL", [sha256]);
  return r ? { ...r, id: Number(r.id) } : undefined;
}

export async function touchApiToken(q: Q, id: number, at: string): Promise<void> {
  await q.run("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", [at, id]);
}

/** Revokes a live token; false when there is no such live token. */
export async function revokeApiToken(q: Q, id: number, at: string): Promise<boolean> {
  return (await q.run("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [at, id])) > 0;
}

export async function getApiToken(q: Q, id: number): Promise<ApiTokenRow | undefined> {
  const r = await q.get<ApiTokenRow>("SELECT * FROM api_tokens WHERE id = ?", [id]);
  return r ? { ...r, id: Number(r.id) } : undefined;
}
