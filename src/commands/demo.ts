import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { UsageError, UserError } from "../errors.js";
import { terminalChalk } from "../render/chart.js";
import { outputWidth } from "../render/fitted-table.js";
import { isPostgresUrl } from "../store/open.js";
import { clearPostgresDemo, isDemoDatabase } from "../demo/fresh-database.js";
import { print, type GlobalOptions } from "./context.js";
import { count } from "../render/plural.js";

export interface DemoOptions extends GlobalOptions {
  fast?: boolean;
  /** whaticket (default: the full tour), evolution or cloud (the cycle through that gateway's fake). */
  gateway?: string;
}

/**
 * `secretaria demo`: the whole cycle offline. It only ever writes a fresh database: a temporary
 * folder by default (never ./secretaria.db, never SECRETARIA_DB), or --db PATH when that file
 * is new or an earlier demo's.
 */
export async function runDemo(o: DemoOptions): Promise<void> {
  const pg = !!o.db && isPostgresUrl(o.db);
  const dbPath = o.db ? (pg ? o.db : resolve(o.db)) : join(mkdtempSync(join(tmpdir(), "secretaria-demo-")), "demo.db");
  if (pg) await clearPostgresDemo(dbPath);
  else if (o.db && existsSync(dbPath)) {
    if (!(await isDemoDatabase(dbPath))) {
      throw new UserError(`${dbPath} exists and is not a demo database: the demo only writes new files; pass another --db path or leave --db out`);
    }
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${dbPath}${suffix}`, { force: true });
  }
  const started = Date.now();
  if (o.gateway !== undefined && o.gateway !== "whaticket") {
    if (o.gateway !== "evolution" && o.gateway !== "cloud") throw new UsageError(`--gateway must be whaticket, evolution or cloud (got "${o.gateway}")`);
    const { runGatewayTour } = await import("../demo/gateway-tour.js");
    const r = await runGatewayTour({ gateway: o.gateway, dbPath, realNow: new Date(), out: print, color: terminalChalk() });
    print(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${count(r.sent, "message")}, ${count(r.booked, "meeting")} booked. Set it up for real: README, "WhatsApp gateways".`);
    return;
  }
  const { runTour } = await import("../demo/tour.js");
  const summary = await runTour({ dbPath, fast: !!o.fast, realNow: new Date(), out: print, color: terminalChalk(), width: outputWidth(process.stdout, process.env, 80) });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const db = pg ? "\"$SECRETARIA_DB\"" : JSON.stringify(dbPath);
  print();
  print(`Done in ${seconds} s: ${count(summary.sent, "follow-up")} sent (${summary.retried} retried), ${count(summary.replies, "reply", "replies")} read, ${count(summary.booked, "meeting")} booked.`);
  print("");
  print("Explore the demo database:");
  if (pg) print("  export SECRETARIA_DB='postgres://…'   # the URL given to --db (not printed: it holds the password)");
  print(`  npx secretaria --db ${db} followups list --status pending`);
  print(`  npx secretaria --db ${db} stats --company clinica-sol`);
  print(`  npx secretaria --db ${db} audit list --limit 20`);
  print(`  npx secretaria --db ${db} reply simulate --phone 5511987650006 --text "quero marcar" --dry-run`);
  print("");
  print("Run it for real:");
  print("  npx secretaria migrate");
  print("  npx secretaria companies add --id minha-clinica --name 'Minha Clínica' --whaticket-url https://whaticket.example.com.br --whaticket-token \"$TOKEN\"");
  print("  npx secretaria appointments import agenda.csv");
  print("  SECRETARIA_WEBHOOK_TOKEN=... npx secretaria daemon     # see README: Run it as a service");
}
