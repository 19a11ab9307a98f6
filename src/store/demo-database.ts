import { getDaemonState } from "./daemons.js";
import type { Q, Store } from "./store.js";

/** What a PostgreSQL database given to `demo --db` holds: no table, an earlier demo's tables, or anything else. */
export async function postgresDemoContents(q: Q): Promise<"empty" | "demo" | "other"> {
  const tables = await q.all<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()");
  if (!tables.length) return "empty";
  return (await getDaemonState(q).then((s) => s.demo === "1").catch(() => false)) ? "demo" : "other";
}

/** Drops every table of the current schema and the counters' trigger function, in one transaction (an earlier demo, made anew). */
export async function dropPostgresTables(store: Store): Promise<void> {
  await store.tx(async (t) => {
    const tables = await t.all<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()");
    for (const { name } of tables) await t.exec(`DROP TABLE IF EXISTS "${name.replaceAll('"', '""')}" CASCADE`);
    await t.exec("DROP FUNCTION IF EXISTS audit_log_followup_counters() CASCADE");
  });
}
