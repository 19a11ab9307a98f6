import type { ChalkInstance } from "chalk";
import { renderStackedChart, terminalChalk } from "../render/chart.js";
import { outputWidth, renderFittedTable } from "../render/fitted-table.js";
import { computeStats, statsJson, type Counters, type StatsReport } from "../services/stats-service.js";
import { commandContext, intOption, openMigrated, print, printJson, type GlobalOptions } from "./context.js";
import { count, lastDays } from "../render/plural.js";

export interface StatsOptions extends GlobalOptions {
  company?: string;
  days?: string;
  json?: boolean;
}

export async function runStats(o: StatsOptions): Promise<void> {
  const ctx = commandContext(o);
  const days = intOption("--days", o.days, 30, 1, 366);
  const db = await openMigrated(ctx, { readonly: true });
  let report: StatsReport;
  try {
    report = await computeStats(db, { companyId: o.company, days, now: ctx.clock() });
  } finally {
    await db.close();
  }
  if (o.json) return printJson(statsJson(report));
  print(renderStats(report, { color: terminalChalk(), width: outputWidth(process.stdout, process.env, 80) }));
}

const pct = (rate: number) => `${(rate * 100).toFixed(1).replace(/\.0$/, "")}%`;

function ddmmyyyy(date: string | null): string {
  return date ? `${date.slice(8, 10)}/${date.slice(5, 7)}/${date.slice(0, 4)}` : "?";
}

/** The whole terminal view: title, counters, per-company table (all companies), chart. */
export function renderStats(r: StatsReport, out: { color: ChalkInstance; width: number }): string {
  const c = out.color;
  const scope = r.company_id ? `company ${r.company_id}` : r.companies.length === 1 ? `company ${r.companies[0]!.company_id}` : "all companies";
  const lines: string[] = [];
  lines.push(c.bold(`Follow-ups, ${lastDays(r.days)} (${ddmmyyyy(r.since)}–${ddmmyyyy(r.until)}), ${scope}`));
  if (!r.companies.length) {
    lines.push("no companies yet: add one with `secretaria companies add`");
    return lines.join("\n");
  }
  lines.push(counterLine(r, c));
  const answered = r.positive + r.negative + r.feedback;
  lines.push(
    `sent ${r.sent}   failed ${r.failed ? c.red(String(r.failed)) : "0"}   skipped ${r.skipped}   ` +
      // Nothing sent: no rate to speak of (not 0%).
      `response rate ${r.sent ? `${c.bold(pct(r.response_rate))} (${count(answered, "answer")} / ${r.sent} sent)` : "—"}`,
  );

  if (!r.company_id && r.companies.length > 1) {
    lines.push("");
    lines.push(
      renderFittedTable(
        [
          { header: "company", flex: 1, min: 8 }, { header: "sent", align: "right" }, { header: "👍", align: "right" },
          { header: "👎", align: "right" }, { header: "💬", align: "right" }, { header: "⏳", align: "right" },
          { header: "failed", align: "right" }, { header: "skipped", align: "right" }, { header: "rate", align: "right" },
        ],
        r.companies.map((s) => [
          s.company_id, String(s.sent), String(s.positive), String(s.negative), String(s.feedback), String(s.pending),
          String(s.failed), String(s.skipped), s.sent ? pct(s.response_rate) : "—",
        ]),
        out.width,
      ),
    );
  }

  lines.push("");
  const hasAnswers = r.daily.some((d) => d.positive + d.negative > 0);
  if (!hasAnswers) {
    lines.push(
      r.sent || r.feedback
        ? `no positive or negative answers in the ${lastDays(r.days)}: nothing to chart yet`
        : `no follow-ups sent or answered in the ${lastDays(r.days)}: nothing to chart yet` +
          (r.pending ? ` (${r.pending} pending; see \`secretaria followups list --status pending\`)` : ""),
    );
    return lines.join("\n");
  }
  lines.push("Positive and negative answers per day (stacked)");
  lines.push(
    renderStackedChart({
      dates: r.daily.map((d) => d.date),
      bottom: r.daily.map((d) => d.positive),
      top: r.daily.map((d) => d.positive + d.negative),
      width: out.width,
      color: c,
    }),
  );
  return lines.join("\n");
}

function counterLine(r: Counters, c: ChalkInstance): string {
  return [
    `👍 positive ${c.green(String(r.positive))}`,
    `👎 negative ${c.red(String(r.negative))}`,
    `💬 feedback ${c.cyan(String(r.feedback))}`,
    `⏳ pending ${c.yellow(String(r.pending))}`,
  ].join("   ");
}
