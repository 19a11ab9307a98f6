import { bySql, type Q } from "./store.js";

/**
 * Aggregates for `stats` and the panel, computed by SQLite (GROUP BY / count), never by loading
 * rows. Local days are given as UTC ranges per company (computed by the caller from each
 * company's time zone, DST included), passed as one JSON array and joined as a tiny table:
 * each (company, day) becomes one index range seek.
 *
 * Which time puts a follow-up in a day:
 *   sent      followup_sent_at       (the appointment once, at its latest send)
 *   answered  followup_responded_at  with its followup_response
 *   failed / skipped  end_time       (the appointment's own day)
 * Indexes (migration 002): appointments_company_sent (company_id, followup_sent_at),
 * appointments_company_response (company_id, followup_response, followup_responded_at),
 * appointments_company_status_end (company_id, followup_status, end_time, followup_sent_at).
 */

/** One local day of one company: [start, stop) in UTC ISO-8601. */
export interface CompanyDayRange {
  company_id: string;
  date: string;
  start: string;
  stop: string;
}

/** A company's whole window: [start, stop) in UTC ISO-8601. */
export interface CompanyWindow {
  company_id: string;
  start: string;
  stop: string;
}

export interface DailyCountRow {
  company_id: string;
  date: string;
  sent: number;
  positive: number;
  negative: number;
  feedback: number;
}

export interface StateCountRow {
  company_id: string;
  /** scheduled or being sent right now (any due time) */
  queued: number;
  /** sent in the window, no reply yet */
  awaiting: number;
  /** failed, appointment ended in the window */
  failed: number;
  /** skipped (no consent, cancelled, expired), appointment ended in the window */
  skipped: number;
}

const DAYS_CTE = `WITH days AS (
  SELECT value ->> '$.company_id' AS company_id, value ->> '$.date' AS date,
         value ->> '$.start' AS start, value ->> '$.stop' AS stop
  FROM json_each(@days))`;
const DAYS_CTE_PG = `WITH days AS (
  SELECT value ->> 'company_id' AS company_id, value ->> 'date' AS date,
         value ->> 'start' AS start, value ->> 'stop' AS stop
  FROM jsonb_array_elements(CAST(@days AS jsonb)) AS value)`;

// One row per (company, day); each count is an index range count (no rows read, no sorter).
const countIn = (where: string) =>
  `(SELECT count(*) FROM appointments a WHERE a.company_id = d.company_id AND ${where})`;
const answered = (response: string) =>
  countIn(`a.followup_response = '${response}' AND a.followup_responded_at >= d.start AND a.followup_responded_at < d.stop`);

const dailyBody = `
SELECT d.company_id, d.date,
  ${countIn("a.followup_sent_at >= d.start AND a.followup_sent_at < d.stop")} AS sent,
  ${answered("positive")} AS positive,
  ${answered("negative")} AS negative,
  ${answered("feedback")} AS feedback
FROM days d`;
export const DAILY_COUNTS_SQL = { sqlite: DAYS_CTE + dailyBody, postgres: DAYS_CTE_PG + dailyBody };

const WINDOWS_CTE = `WITH windows AS (
  SELECT value ->> '$.company_id' AS company_id, value ->> '$.start' AS start, value ->> '$.stop' AS stop
  FROM json_each(@windows))`;
const WINDOWS_CTE_PG = `WITH windows AS (
  SELECT value ->> 'company_id' AS company_id, value ->> 'start' AS start, value ->> 'stop' AS stop
  FROM jsonb_array_elements(CAST(@windows AS jsonb)) AS value)`;
const stateBody = `
SELECT w.company_id,
  (SELECT count(*) FROM appointments a WHERE a.company_id = w.company_id AND a.followup_status IN ('scheduled', 'sending')) AS queued,
  -- Unary + keeps the planner on (company, status, …, sent_at) instead of reading every row sent in the window.
  (SELECT count(*) FROM appointments a WHERE a.company_id = w.company_id AND a.followup_status = 'sent'
      AND /*+*/a.followup_sent_at >= w.start AND /*+*/a.followup_sent_at < w.stop) AS awaiting,
  (SELECT count(*) FROM appointments a WHERE a.company_id = w.company_id AND a.followup_status = 'failed'
      AND a.end_time >= w.start AND a.end_time < w.stop) AS failed,
  (SELECT count(*) FROM appointments a WHERE a.company_id = w.company_id AND a.followup_status = 'skipped'
      AND a.end_time >= w.start AND a.end_time < w.stop) AS skipped
FROM windows w`;
export const STATE_COUNTS_SQL = { sqlite: WINDOWS_CTE + stateBody.replaceAll("/*+*/", "+"), postgres: WINDOWS_CTE_PG + stateBody };

/** Sends and answers per company and local day, one row for every day given. */
export async function dailyCounts(q: Q, days: CompanyDayRange[]): Promise<DailyCountRow[]> {
  if (!days.length) return [];
  return q.all<DailyCountRow>(bySql(q, DAILY_COUNTS_SQL), { days: JSON.stringify(days) });
}

/** Pending, failed and skipped follow-ups per company (see StateCountRow for each window rule). */
export async function stateCounts(q: Q, windows: CompanyWindow[]): Promise<StateCountRow[]> {
  if (!windows.length) return [];
  return q.all<StateCountRow>(bySql(q, STATE_COUNTS_SQL), { windows: JSON.stringify(windows) });
}
