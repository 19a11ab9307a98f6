import { bySql, type Q } from "./store.js";

/**
 * The table-level reads and writes of `secretaria db copy` (SQLite → PostgreSQL): tables in
 * foreign-key order, pages by key, multi-row inserts, identity sequences moved past the copied ids.
 * followup_counters is not copied: the trigger on audit_log rebuilds it as the audit rows arrive.
 * daemons is not copied: those processes belong to the old database.
 */

/** Not copied: the migration history (the target records its own), the counters (rebuilt by the trigger), the old database's daemons. */
const NOT_COPIED = new Set(["schema_migrations", "followup_counters", "daemons"]);
/** Parents first: every other table refers to these. */
const FIRST = ["companies", "appointments"];

/** Every table with data, parents first, each with the key that orders its pages (SQLite source). */
export async function copiedTables(q: Q): Promise<Array<{ table: string; key: string }>> {
  const names = (await q.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"))
    .map((r) => r.name)
    .filter((n) => !NOT_COPIED.has(n));
  const ordered = [...FIRST.filter((n) => names.includes(n)), ...names.filter((n) => !FIRST.includes(n))];
  const out: Array<{ table: string; key: string }> = [];
  for (const table of ordered) {
    const cols = await q.all<{ name: string; pk: number }>("SELECT name, pk FROM pragma_table_info(?) ORDER BY pk, cid", [table]);
    const pk = cols.filter((c) => c.pk > 0).map((c) => c.name);
    // A single-column key pages the table; others (small link tables) are read whole.
    out.push({ table, key: pk.length === 1 ? pk[0]! : "" });
  }
  return out;
}

/** Tables whose integer id comes from an identity sequence on PostgreSQL. */
async function identityTables(q: Q): Promise<string[]> {
  const rows = await q.all<{ t: string }>(
    "SELECT table_name AS t FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'",
  );
  return rows.map((r) => r.t);
}

export async function tableColumns(q: Q, table: string): Promise<string[]> {
  const rows = await q.all<{ name: string }>(
    bySql(q, {
      sqlite: "SELECT name FROM pragma_table_info(?) ORDER BY cid",
      postgres: "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
    }),
    [table],
  );
  return rows.map((r) => r.name);
}

export async function rowCount(q: Q, table: string): Promise<number> {
  return (await q.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))!.n;
}

/** One page of rows after `after` (null: from the start), in key order. */
export function readPage(q: Q, table: string, key: string, columns: string[], after: unknown, limit: number): Promise<Record<string, unknown>[]> {
  const cols = columns.join(", ");
  if (key === "") return after === null ? q.all(`SELECT ${cols} FROM ${table}`) : Promise.resolve([]);
  return after === null
    ? q.all(`SELECT ${cols} FROM ${table} ORDER BY ${key} LIMIT ?`, [limit])
    : q.all(`SELECT ${cols} FROM ${table} WHERE ${key} > ? ORDER BY ${key} LIMIT ?`, [after, limit]);
}

export async function insertRows(q: Q, table: string, columns: string[], rows: Record<string, unknown>[]): Promise<void> {
  if (!rows.length) return;
  const one = `(${columns.map(() => "?").join(", ")})`;
  const values = rows.flatMap((r) => columns.map((c) => r[c] ?? null));
  await q.run(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${rows.map(() => one).join(", ")}`, values);
}

/** PostgreSQL: the next generated id follows the largest copied one. */
export async function advanceIdentities(q: Q): Promise<void> {
  if (q.dialect !== "postgres") return;
  for (const t of await identityTables(q)) {
    await q.get(`SELECT setval(pg_get_serial_sequence('${t}', 'id'), GREATEST((SELECT max(id) FROM ${t}), 1), (SELECT max(id) FROM ${t}) IS NOT NULL)`);
  }
}

/** The migration history as recorded: version → applied_at. */
export async function migrationHistory(q: Q): Promise<Array<{ version: number; applied_at: string }>> {
  return q.all("SELECT version, applied_at FROM schema_migrations ORDER BY version");
}

export async function setMigrationAppliedAt(q: Q, version: number, appliedAt: string): Promise<void> {
  await q.run("UPDATE schema_migrations SET applied_at = ? WHERE version = ?", [appliedAt, version]);
}
