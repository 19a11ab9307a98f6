import { renderTable } from "../render/table.js";
import { systemStatus } from "../services/status-service.js";
import { commandContext, openMigrated, print, printJson, type GlobalOptions } from "./context.js";
import { count } from "../render/plural.js";

function age(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

/** `secretaria status`: daemons, backlog, recent sends, paused companies, webhook/API — from the database. */
export async function runStatus(o: GlobalOptions & { json?: boolean }): Promise<void> {
  const ctx = commandContext(o);
  const db = await openMigrated(ctx, { readonly: true });
  try {
    const s = await systemStatus(db, ctx.clock());
    if (o.json) return printJson(s);
    if (!s.daemons.length) print("daemons: none seen in the last 24 h (start one with `secretaria daemon`)");
    else {
      print(
        renderTable(
          ["daemon", "host", "pid", "last tick", "age", "alive", "webhook", "api"],
          s.daemons.map((d) => [
            d.id.slice(0, 8), d.host, d.pid, d.last_tick_at ? d.last_tick_at.slice(0, 19).replace("T", " ") + "Z" : "—", age(d.tick_age_s),
            d.alive ? "yes" : "no", d.webhook_on ? "on" : "off", d.api_on ? "on" : "off",
          ]),
        ),
      );
      if (!s.daemons.some((d) => d.alive)) print("warning: no daemon is alive: follow-ups are not being sent");
    }
    print(`backlog due now: ${count(s.backlog_due_now, "follow-up")}`);
    print(`sent in the last hour: ${s.sent_last_hour}`);
    if (!s.paused.length) print("paused companies: none");
    for (const p of s.paused) print(`paused: ${p.id} since ${p.since ?? "?"}: ${p.reason}`);
    print(`webhook: ${s.webhook_on ? "on" : "off"}; API: ${s.api_on ? "on" : "off"}`);
  } finally {
    await db.close();
  }
}
