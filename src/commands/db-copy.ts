import { UsageError } from "../errors.js";
import { copyDatabase } from "../services/copy-service.js";
import { displayLocation, isPostgresUrl, openStore } from "../store/open.js";
import { commandContext, print, printJson, type GlobalOptions } from "./context.js";
import { count } from "../render/plural.js";

export interface DbCopyOptions extends GlobalOptions {
  from?: string;
  to?: string;
  json?: boolean;
}

/** `secretaria db copy --from FILE --to URL`: an existing SQLite database into an empty PostgreSQL one. */
export async function runDbCopy(o: DbCopyOptions): Promise<void> {
  const ctx = commandContext(o);
  const from = o.from ?? o.db ?? ctx.dbPath;
  if (!o.to) throw new UsageError("--to is required: the PostgreSQL URL to copy into, e.g. --to postgres://secretaria:PASSWORD@db.example.com/secretaria");
  if (!isPostgresUrl(o.to)) throw new UsageError(`--to must be a postgres:// or postgresql:// URL (got ${displayLocation(o.to)})`);
  if (isPostgresUrl(from)) throw new UsageError("--from must be a SQLite database file: the copy moves a single-host database to PostgreSQL");
  const source = await openStore(from, { readonly: true });
  try {
    const target = await openStore(o.to, { poolSize: 2 });
    try {
      if (!o.json) print(`copying ${source.location} → ${target.location}`);
      const report = await copyDatabase(source, target, { now: ctx.clock, onTable: o.json ? undefined : (table, rows) => print(`  ${table.padEnd(17)} ${count(rows, "row")}`) });
      if (o.json) return printJson({ from: source.location, to: target.location, ...report });
      print(`done: every table's row count matches; counters rebuilt (${count(report.counters, "row")}).`);
      print(`next: point the daemons at it (SECRETARIA_DB=${target.location.replace(/:\*\*\*@/, ":PASSWORD@")}) and keep ${source.location} as a backup.`);
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}
