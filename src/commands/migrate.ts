import { count } from "../render/plural.js";
import { loadMigrations, migrate, migrationStatus } from "../store/migrator.js";
import { displayLocation, isPostgresUrl, openStore } from "../store/open.js";
import { commandContext, intOption, print, printJson, type GlobalOptions } from "./context.js";

export interface MigrateOptions extends GlobalOptions {
  status?: boolean;
  to?: string;
  json?: boolean;
}

export async function runMigrate(o: MigrateOptions): Promise<void> {
  const ctx = commandContext(o);
  const known = loadMigrations(isPostgresUrl(ctx.dbPath) ? "postgres" : "sqlite");
  const to = intOption("--to", o.to, known.length, 0, known.length);
  const where = displayLocation(ctx.dbPath);
  const db = await openStore(ctx.dbPath, { create: !o.status, poolSize: 2 });
  try {
    if (o.status) {
      const status = await migrationStatus(db, known);
      if (o.json) return printJson(status);
      for (const s of status) print(`${s.status === "applied" ? "applied" : "pending"}  ${s.name}${s.applied_at ? `  (${s.applied_at})` : ""}`);
      const pending = status.filter((s) => s.status === "pending").length;
      print(pending ? `${pending} pending: run \`secretaria migrate\` to apply` : "database is up to date");
      return;
    }
    const applied = await migrate(db, { to, now: ctx.clock }, known);
    if (o.json) return printJson({ database: where, applied: applied.map((m) => m.name) });
    if (applied.length === 0) print(`${where}: up to date, nothing to apply`);
    for (const m of applied) print(`applied ${m.name}`);
    if (applied.length) print(`${where}: ${count(applied.length, "migration")} applied`);
  } finally {
    await db.close();
  }
}
