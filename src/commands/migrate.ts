import { openDb } from "../store/db.js";
import { loadMigrations, migrate, migrationStatus } from "../store/migrator.js";
import { commandContext, intOption, print, printJson, type GlobalOptions } from "./context.js";

export interface MigrateOptions extends GlobalOptions {
  status?: boolean;
  to?: string;
  json?: boolean;
}

export async function runMigrate(o: MigrateOptions): Promise<void> {
  const ctx = commandContext(o);
  const known = loadMigrations();
  const to = intOption("--to", o.to, known.length, 0, known.length);
  const db = openDb(ctx.dbPath, { create: !o.status });
  try {
    if (o.status) {
      const status = migrationStatus(db, ctx.dbPath, known);
      if (o.json) return printJson(status);
      for (const s of status) print(`${s.status === "applied" ? "applied" : "pending"}  ${s.name}${s.applied_at ? `  (${s.applied_at})` : ""}`);
      const pending = status.filter((s) => s.status === "pending").length;
      print(pending ? `${pending} pending: run \`secretaria migrate\` to apply` : "database is up to date");
      return;
    }
    const applied = migrate(db, ctx.dbPath, { to, now: ctx.clock }, known);
    if (o.json) return printJson({ database: ctx.dbPath, applied: applied.map((m) => m.name) });
    if (applied.length === 0) print(`${ctx.dbPath}: up to date, nothing to apply`);
    for (const m of applied) print(`applied ${m.name}`);
    if (applied.length) print(`${ctx.dbPath}: ${applied.length} migration${applied.length === 1 ? "" : "s"} applied`);
  } finally {
    db.close();
  }
}
