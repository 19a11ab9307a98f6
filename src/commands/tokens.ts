import { UsageError } from "../errors.js";
import { csvStyle, listFormat, toCsvText, type ListOutputOptions } from "../render/list-output.js";
import { renderTable } from "../render/table.js";
import { createApiToken, listTokens, revokeToken } from "../services/token-service.js";
import { commandContext, openMigrated, print, printJson, type GlobalOptions } from "./context.js";

/** `secretaria tokens create|list|revoke`: API and panel tokens (stored hashed, shown once). */

export interface TokensCreateOptions extends GlobalOptions {
  company?: string;
  operator?: boolean;
  name?: string;
  json?: boolean;
}

export async function runTokensCreate(o: TokensCreateOptions): Promise<void> {
  if (!!o.company === !!o.operator) throw new UsageError("pass --company ID (one company's data) or --operator (every company), not both");
  const ctx = commandContext(o);
  const db = await openMigrated(ctx);
  try {
    const { id, token } = await createApiToken(db, ctx.clock, { companyId: o.company ?? null, ...(o.name !== undefined ? { name: o.name } : {}) });
    if (o.json) return printJson({ id, company_id: o.company ?? null, name: o.name ?? "", token });
    print(`created token ${id} for ${o.company ? `company ${o.company}` : "the operator (every company)"}; it is shown only this once:`);
    print(token);
  } finally {
    await db.close();
  }
}

export async function runTokensList(o: GlobalOptions & ListOutputOptions): Promise<void> {
  const format = listFormat(o);
  const style = csvStyle(o);
  const ctx = commandContext(o);
  const db = await openMigrated(ctx, { readonly: true });
  try {
    const rows = (await listTokens(db)).map((r) => ({
      id: r.id, company_id: r.company_id, scope: r.company_id === null ? "operator" : "company", name: r.name,
      created_at: r.created_at, last_used_at: r.last_used_at, revoked_at: r.revoked_at,
    }));
    if (format === "json") return printJson(rows);
    if (format === "csv") return void process.stdout.write(toCsvText(["id", "company_id", "scope", "name", "created_at", "last_used_at", "revoked_at"], rows, style));
    if (!rows.length) return print("no tokens yet: create one with `secretaria tokens create --company ID`");
    print(renderTable(["id", "scope", "company", "name", "created", "last used", "revoked"],
      rows.map((r) => [String(r.id), r.scope, r.company_id ?? "-", r.name || "-", r.created_at, r.last_used_at ?? "-", r.revoked_at ?? "-"])));
  } finally {
    await db.close();
  }
}

export async function runTokensRevoke(o: GlobalOptions, idRaw: string): Promise<void> {
  if (!/^\d+$/.test(idRaw) || Number(idRaw) < 1) throw new UsageError(`the token id must be a positive whole number (got "${idRaw}"): see \`secretaria tokens list\``);
  const ctx = commandContext(o);
  const db = await openMigrated(ctx);
  try {
    const row = await revokeToken(db, ctx.clock, Number(idRaw));
    print(`revoked token ${row.id}${row.company_id ? ` (company ${row.company_id})` : " (operator)"}`);
  } finally {
    await db.close();
  }
}
