import { bySql, type Q } from "./store.js";

/**
 * The table-level reads and writes of `secretaria db copy` (SQLite → PostgreSQL): tables in
 * foreign-key order, pages by key, multi-row inserts, identity sequences moved past the copied ids.
 * followup_counters is not copied: the trigger on audit_log rebuilds it as the audit rows arrive.
 * daemons is not copied: those processes belong to the old database.
 */

/** Tables with data, parents first; `key` orders the pages. */
export const COPIED_TABLES = [
  { table: "companies", key: "id" },
  { table: "appointments", key: "id" },
  { table: "feedback_events", key: "id" },
  { table: "audit_log", key: "id" },
  { table: "inbound_messages", key: "id" },
  { table: "daemon_state", key: "key" },
  { table: "send_budget", key: "company_id" },
] as const;

/** Tables whose integer id comes from an identity sequence on PostgreSQL. */
const IDENTITY_TABLES = ["appointments", "feedback_events", "audit_log", "inbound_messages"];

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
  for (const t of IDENTITY_TABLES) {
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
