import { lastLocalDays } from "../domain/local-days.js";
import type { Q } from "../store/store.js";
import { getCompany, listCompanies, type CompanyRow } from "../store/companies.js";
import { dailyCounts, stateCounts, type CompanyDayRange, type CompanyWindow } from "../store/stats.js";
import { UsageError } from "../errors.js";

/**
 * `stats` (and the panel's counters): the last N local days of each company, aggregated in SQL
 * (store/stats.ts) and shaped as SPEC's JSON.
 *
 * Definitions (each follow-up = one appointment, counted once):
 *   sent      its followup_sent_at falls in the window (a resend moves it, never doubles it)
 *   positive / negative / feedback   its followup_responded_at falls in the window (with that answer)
 *   pending   no answer yet: scheduled or being sent (any due time), or sent in the window and
 *             still awaiting a reply
 *   failed / skipped   in that state, the appointment ended in the window
 *   response_rate      (positive + negative + feedback) / sent, 0 when nothing was sent, 4 decimals.
 *             Like the release notes' PromQL panel it is a ratio of events in the window: a reply
 *             early in the window may answer a send from just before it.
 * Days are each company's own local days; with several companies the daily series adds up the
 * same local date across companies (so it may hold one more date when their "today" differs).
 */

export interface Counters {
  sent: number;
  pending: number;
  positive: number;
  negative: number;
  feedback: number;
  failed: number;
  skipped: number;
  response_rate: number;
}

export interface DailyStats {
  date: string;
  sent: number;
  positive: number;
  negative: number;
  feedback: number;
}

export interface CompanyStats extends Counters {
  company_id: string;
  name: string;
  timezone: string;
}

export interface StatsReport extends Counters {
  daily: DailyStats[];
  /** window length in local days */
  days: number;
  /** first and last local date of the window (over all companies shown) */
  since: string | null;
  until: string | null;
  company_id: string | null;
  companies: CompanyStats[];
}

export interface StatsOptions {
  companyId?: string;
  days: number;
  now: Date;
}

export function responseRate(c: Pick<Counters, "sent" | "positive" | "negative" | "feedback">): number {
  if (!c.sent) return 0;
  return Math.round(((c.positive + c.negative + c.feedback) / c.sent) * 10_000) / 10_000;
}

function zeroCounters(): Counters {
  return { sent: 0, pending: 0, positive: 0, negative: 0, feedback: 0, failed: 0, skipped: 0, response_rate: 0 };
}

export async function computeStats(q: Q, opts: StatsOptions): Promise<StatsReport> {
  let companies: CompanyRow[];
  if (opts.companyId) {
    const c = await getCompany(q, opts.companyId);
    if (!c) throw new UsageError(`unknown company "${opts.companyId}": see \`secretaria companies list\``);
    companies = [c];
  } else {
    companies = await listCompanies(q);
  }

  const dayRanges: CompanyDayRange[] = [];
  const windows: CompanyWindow[] = [];
  for (const c of companies) {
    const days = lastLocalDays(opts.now, opts.days, c.timezone);
    for (const d of days) dayRanges.push({ company_id: c.id, ...d });
    windows.push({ company_id: c.id, start: days[0]!.start, stop: days[days.length - 1]!.stop });
  }

  const perCompany = new Map<string, CompanyStats>(
    companies.map((c) => [c.id, { company_id: c.id, name: c.name, timezone: c.timezone, ...zeroCounters() }]),
  );
  const daily = new Map<string, DailyStats>();
  for (const d of dayRanges) {
    if (!daily.has(d.date)) daily.set(d.date, { date: d.date, sent: 0, positive: 0, negative: 0, feedback: 0 });
  }
  for (const r of await dailyCounts(q, dayRanges)) {
    const c = perCompany.get(r.company_id)!;
    const day = daily.get(r.date)!;
    for (const k of ["sent", "positive", "negative", "feedback"] as const) {
      c[k] += r[k];
      day[k] += r[k];
    }
  }
  for (const s of await stateCounts(q, windows)) {
    const c = perCompany.get(s.company_id)!;
    c.pending = s.queued + s.awaiting;
    c.failed = s.failed;
    c.skipped = s.skipped;
  }

  const total = zeroCounters();
  for (const c of perCompany.values()) {
    c.response_rate = responseRate(c);
    for (const k of ["sent", "pending", "positive", "negative", "feedback", "failed", "skipped"] as const) total[k] += c[k];
  }
  total.response_rate = responseRate(total);
  const series = [...daily.values()].sort((a, b) => a.date.localeCompare(b.date));
  return {
    ...total,
    daily: series,
    days: opts.days,
    since: series[0]?.date ?? null,
    until: series[series.length - 1]?.date ?? null,
    company_id: opts.companyId ?? null,
    companies: [...perCompany.values()],
  };
}

/** SPEC's `stats --json` keys first, then the extras (skipped, window, per company). */
export function statsJson(r: StatsReport) {
  return {
    sent: r.sent, pending: r.pending, positive: r.positive, negative: r.negative, feedback: r.feedback, failed: r.failed,
    response_rate: r.response_rate, daily: r.daily,
    skipped: r.skipped, days: r.days, since: r.since, until: r.until, company_id: r.company_id,
    companies: r.companies.map((c) => ({
      company_id: c.company_id, name: c.name, timezone: c.timezone, sent: c.sent, pending: c.pending, positive: c.positive,
      negative: c.negative, feedback: c.feedback, failed: c.failed, skipped: c.skipped, response_rate: c.response_rate,
    })),
  };
}
