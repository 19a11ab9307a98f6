import { count } from "../render/plural.js";
import { UserError } from "../errors.js";
import { assertMigrated, migrate } from "../store/migrator.js";
import {
  advanceIdentities, copiedTables, insertRows, migrationHistory, readPage, rowCount, setMigrationAppliedAt, tableColumns,
} from "../store/copy.js";
import type { Store } from "../store/store.js";

/**
 * Moving to PostgreSQL: copies every row of a migrated database into an empty one (migrated here
 * first), from one snapshot of the source in one transaction on the target, keeping ids; the
 * row counts are checked table by table before it commits. The target's migration history keeps the source's dates with the target dialect's
 * checksums. A non-empty target is refused; a failed copy leaves the target as it was.
 */

export interface CopyReport {
  tables: Array<{ table: string; rows: number }>;
  /** followup_counters rebuilt on the target from the copied audit rows. */
  counters: number;
}

const PAGE = 500;

export async function copyDatabase(source: Store, target: Store, opts: { now: () => Date; onTable?: (table: string, rows: number) => void } = { now: () => new Date() }): Promise<CopyReport> {
  await assertMigrated(source);
  await migrate(target, { now: opts.now });
  const tables0 = await copiedTables(source);
  for (const { table } of tables0) {
    const n = await rowCount(target, table);
    if (n > 0) {
      throw new UserError(`the target ${target.location} is not empty (${table} has ${count(n, "row")}): copy into a new, empty database (CREATE DATABASE …)`);
    }
  }
  const tables: CopyReport["tables"] = [];
  // One snapshot of the source (a daemon may still be writing it) into one transaction on the target.
  await source.tx(
    async (src) => {
      const history = await migrationHistory(src);
      await target.tx(async (t) => {
        for (const { table, key } of tables0) {
          const columns = await tableColumns(src, table);
          const targetColumns = new Set(await tableColumns(t, table));
          const missing = columns.filter((c) => !targetColumns.has(c));
          if (missing.length) throw new UserError(`the target's ${table} lacks ${missing.join(", ")}: both databases must be at the same migration`);
          let after: unknown = null;
          let copied = 0;
          for (;;) {
            const rows = await readPage(src, table, key, columns, after, PAGE);
            if (!rows.length) break;
            for (let i = 0; i < rows.length; i += PAGE) await insertRows(t, table, columns, rows.slice(i, i + PAGE));
            copied += rows.length;
            after = key === "" ? true : rows[rows.length - 1]![key];
          }
          const expected = await rowCount(src, table);
          const written = await rowCount(t, table);
          if (copied !== expected || written !== expected) {
            throw new UserError(`copy check failed for ${table}: source ${expected} rows, copied ${copied}, target ${written}; nothing was written to the target`);
          }
          tables.push({ table, rows: copied });
          opts.onTable?.(table, copied);
        }
        await advanceIdentities(t);
        for (const h of history) await setMigrationAppliedAt(t, h.version, h.applied_at);
      });
    },
    { readOnly: true },
  );
  return { tables, counters: await rowCount(target, "followup_counters") };
}
