import type { Q } from "./store.js";

/**
 * A company's saved import mapping (`appointments import --save-map`), as JSON: field → source
 * column names. Kept in daemon_state (migration 003, the database-wide key/value table) under
 * "import_mapping:<company id>", so no migration is needed; forgetImportMapping when the company goes.
 */
export type StoredMapping = Record<string, string[]>;

const key = (companyId: string) => `import_mapping:${companyId}`;

export async function getImportMapping(q: Q, companyId: string): Promise<StoredMapping | undefined> {
  const row = await q.get<{ value: string }>("SELECT value FROM daemon_state WHERE key = ?", [key(companyId)]);
  return row ? (JSON.parse(row.value) as StoredMapping) : undefined;
}

export async function saveImportMapping(q: Q, companyId: string, mapping: StoredMapping, at: string): Promise<void> {
  await q.run(
    `INSERT INTO daemon_state (key, value, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    [key(companyId), JSON.stringify(mapping), at],
  );
}

export async function forgetImportMapping(q: Q, companyId: string): Promise<void> {
  await q.run("DELETE FROM daemon_state WHERE key = ?", [key(companyId)]);
}
