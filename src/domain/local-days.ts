import { DateTime } from "luxon";

/**
 * Local calendar days of a company as UTC instant ranges, so SQL can bucket UTC-stored times by
 * the company's own days with plain range comparisons (index-friendly, and right across DST:
 * a day is 23, 24 or 25 hours long, and may not start at 00:00 where midnight is skipped).
 * Pure: the caller passes "now".
 */

/** One local day of one zone: [start, stop) in UTC ISO-8601 (the storage form of instants). */
export interface LocalDayRange {
  /** yyyy-MM-dd, the local date */
  date: string;
  start: string;
  stop: string;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Whether text is a real calendar date written yyyy-MM-dd. */
export function isLocalDate(text: string): boolean {
  return DATE_RE.test(text) && DateTime.fromISO(text, { zone: "UTC" }).isValid;
}

/** The first instant of a local date in a zone (luxon moves a skipped midnight to the first existing minute). */
export function localDayStart(date: string, zone: string): Date {
  return DateTime.fromISO(date, { zone }).startOf("day").toJSDate();
}

/** [start of `date`, start of the next local day) in UTC ISO-8601. */
export function localDayRange(date: string, zone: string): LocalDayRange {
  const start = DateTime.fromISO(date, { zone }).startOf("day");
  const stop = start.plus({ days: 1 }).startOf("day");
  return { date, start: iso(start), stop: iso(stop) };
}

/** The last `days` local days up to and including the local day of `now`, oldest first. */
export function lastLocalDays(now: Date, days: number, zone: string): LocalDayRange[] {
  const today = DateTime.fromJSDate(now, { zone }).startOf("day");
  const out: LocalDayRange[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const start = today.minus({ days: i }).startOf("day");
    out.push({ date: start.toISODate() ?? "", start: iso(start), stop: iso(start.plus({ days: 1 }).startOf("day")) });
  }
  return out;
}

function iso(dt: DateTime): string {
  return dt.toUTC().toISO() ?? "";
}
