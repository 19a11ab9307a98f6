import { DateTime, IANAZone } from "luxon";

/**
 * Business hours and quiet hours, read in a company's IANA time zone.
 * Pure: parsing and arithmetic only, no clock, no database.
 */

/** Minutes since local midnight. */
export type Minute = number;

export interface DayWindow {
  /** ISO weekdays, 1 = Monday … 7 = Sunday. */
  days: number[];
  start: Minute;
  end: Minute;
}

/** e.g. "mon-fri 09:00-18:00; sat 09:00-12:00" */
export type BusinessHours = DayWindow[];

/** A daily window in which nothing is sent; may wrap midnight (20:00-08:00). null = no quiet hours. */
export interface QuietHours {
  start: Minute;
  end: Minute;
}

const DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const DAY_ALIASES: Record<string, number> = {
  mon: 1, seg: 1, tue: 2, ter: 2, wed: 3, qua: 3, thu: 4, qui: 4, fri: 5, sex: 5, sat: 6, sab: 6, sun: 7, dom: 7,
};

export const DEFAULT_BUSINESS_HOURS = "mon-fri 09:00-18:00";
export const DEFAULT_QUIET_HOURS = "20:00-08:00";
export const DEFAULT_TIMEZONE = "America/Sao_Paulo";

/** "HH:MM" → minutes, or null. "24:00" is allowed as an end of day. */
export function parseClock(text: string): Minute | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min !== 0)) return null;
  return h * 60 + min;
}

export function formatClock(m: Minute): string {
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

function parseDays(spec: string): number[] | null {
  const days = new Set<number>();
  for (const part of spec.toLowerCase().split(",")) {
    const range = part.split("-").map((p) => p.trim());
    if (range.length === 1) {
      const d = DAY_ALIASES[range[0] ?? ""];
      if (!d) return null;
      days.add(d);
    } else if (range.length === 2) {
      const a = DAY_ALIASES[range[0] ?? ""];
      const b = DAY_ALIASES[range[1] ?? ""];
      if (!a || !b) return null;
      for (let d = a; ; d = (d % 7) + 1) {
        days.add(d);
        if (d === b) break;
      }
    } else return null;
  }
  return [...days].sort((x, y) => x - y);
}

/**
 * Parses business hours like "mon-fri 09:00-18:00" or "mon-fri 09:00-12:00,14:00-18:00; sat 09:00-12:00".
 * Throws an Error whose message says what is wrong (callers turn it into a UsageError).
 */
export function parseBusinessHours(text: string): BusinessHours {
  const windows: DayWindow[] = [];
  const segments = text.split(";").map((s) => s.trim()).filter(Boolean);
  if (segments.length === 0) throw new Error("business hours are empty");
  for (const seg of segments) {
    const m = /^([a-z,\- ]+?)\s+(\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2}(?:\s*,\s*\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2})*)$/i.exec(seg);
    if (!m) throw new Error(`"${seg}" is not like "mon-fri 09:00-18:00"`);
    const days = parseDays((m[1] ?? "").replace(/\s+/g, ""));
    if (!days) throw new Error(`"${m[1]}" is not a day or day range (use mon, tue, wed, thu, fri, sat, sun)`);
    for (const range of (m[2] ?? "").split(",")) {
      const [a, b] = range.split("-").map((x) => parseClock(x));
      if (a == null || b == null) throw new Error(`"${range.trim()}" is not a time range like 09:00-18:00`);
      if (b <= a) throw new Error(`"${range.trim()}" ends before it starts (business hours cannot cross midnight)`);
      windows.push({ days, start: a, end: b });
    }
  }
  return windows;
}

export function formatBusinessHours(bh: BusinessHours): string {
  return bh
    .map((w) => {
      const first = w.days[0] ?? 1;
      const last = w.days[w.days.length - 1] ?? first;
      const contiguous = w.days.length === last - first + 1;
      const names = contiguous && w.days.length > 1
        ? `${DAY_NAMES[first - 1]}-${DAY_NAMES[last - 1]}`
        : w.days.map((d) => DAY_NAMES[d - 1]).join(",");
      return `${names} ${formatClock(w.start)}-${formatClock(w.end)}`;
    })
    .join("; ");
}

/** Parses "20:00-08:00" (may wrap midnight); "off" or "" means no quiet hours. */
export function parseQuietHours(text: string): QuietHours | null {
  const t = text.trim().toLowerCase();
  if (t === "" || t === "off" || t === "none") return null;
  const parts = t.split("-");
  if (parts.length !== 2) throw new Error(`"${text}" is not a range like 20:00-08:00 (or "off")`);
  const start = parseClock(parts[0] ?? "");
  const end = parseClock(parts[1] ?? "");
  if (start == null || end == null) throw new Error(`"${text}" is not a range like 20:00-08:00 (or "off")`);
  if (start === end) throw new Error(`"${text}" is an empty range: use "off" for no quiet hours`);
  return { start, end: end === 24 * 60 ? 0 : end };
}

export function formatQuietHours(q: QuietHours | null): string {
  return q ? `${formatClock(q.start)}-${formatClock(q.end)}` : "off";
}

export function isValidTimeZone(zone: string): boolean {
  if (!zone || !/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return false;
  // IANAZone, not DateTime.now(): the domain never reads the clock.
  return IANAZone.isValidZone(zone);
}

function minuteOfDay(dt: DateTime): Minute {
  return dt.hour * 60 + dt.minute;
}

// One formatter per zone: building a DateTimeFormat costs far more than using one.
const wallFormats = new Map<string, Intl.DateTimeFormat | null>();
const DAY_MS = 86_400_000;

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/**
 * The local wall time of instant `ms` in `zone`, to the second, written as if it were UTC
 * (so wall - instant = the zone's offset), through a cached Intl formatter: what luxon computes
 * underneath, without building a DateTime. null when Intl cannot say (unknown zone, odd years).
 */
function wallTime(ms: number, zone: string): number | null {
  let f = wallFormats.get(zone);
  if (f === undefined) {
    try {
      f = IANAZone.isValidZone(zone)
        ? new Intl.DateTimeFormat("en-US", {
          timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
          hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", numberingSystem: "latn",
        })
        : null;
    } catch {
      f = null;
    }
    wallFormats.set(zone, f);
  }
  if (!f) return null;
  const t = f.format(ms); // "MM/DD/YYYY, HH:MM:SS"
  if (t.length !== 20) return null;
  const n = (i: number) => (t.charCodeAt(i) - 48) * 10 + (t.charCodeAt(i + 1) - 48);
  const month = n(0);
  const day = n(3);
  const year = n(6) * 100 + n(8);
  const hour = n(12);
  const minute = n(15);
  const second = n(18);
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= 31 && year >= 1000 && hour >= 0 && hour < 24 && minute >= 0 && minute < 60 && second >= 0 && second < 60)) return null;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** The zone's offset at `ms` in milliseconds, as luxon computes it (instant floored to the second). */
function offsetAt(ms: number, zone: string): number | null {
  const wall = wallTime(ms, zone);
  return wall === null ? null : wall - (ms - mod(ms, 1000));
}

function inWindow(m: Minute, quiet: QuietHours): boolean {
  return quiet.start < quiet.end ? m >= quiet.start && m < quiet.end : m >= quiet.start || m < quiet.end;
}

export function isInQuietHours(at: Date, zone: string, quiet: QuietHours | null): boolean {
  if (!quiet) return false;
  const wall = wallTime(at.getTime(), zone);
  const m = wall === null ? minuteOfDay(DateTime.fromJSDate(at, { zone })) : Math.floor(mod(wall, DAY_MS) / 60_000);
  return inWindow(m, quiet);
}

/**
 * The first instant at or after `at` that is outside the quiet hours, in the company's zone.
 * 19:30 with 20:00-08:00 stays 19:30; 21:10 becomes 08:00 the next day; 03:00 becomes 08:00 the same day.
 * DST: when the window's end does not exist that day (clocks jump over it) the result is the
 * instant of the jump; when it occurs twice (clocks go back) it is the first occurrence after `at`.
 */
export function moveOutOfQuietHours(at: Date, zone: string, quiet: QuietHours | null): Date {
  if (!quiet) return at;
  const fast = moveOutFast(at, zone, quiet);
  if (fast) return fast;
  if (!isInQuietHours(at, zone, quiet)) return at;
  const local = DateTime.fromJSDate(at, { zone });
  const m = minuteOfDay(local);
  // Which local day does the quiet window end on?
  const endsNextDay = quiet.start > quiet.end && m >= quiet.start;
  const day = endsNextDay ? local.plus({ days: 1 }) : local;
  let end = day.set({ hour: Math.floor(quiet.end / 60), minute: quiet.end % 60, second: 0, millisecond: 0 });
  if (minuteOfDay(end) !== quiet.end) {
    // In a DST gap luxon lands past the wall time by the gap's size: step back to the jump itself.
    const maxSteps = Math.abs(end.offset - end.minus({ days: 1 }).offset);
    for (let i = 0; i < maxSteps && end.minus({ minutes: 1 }).offset === end.offset; i++) end = end.minus({ minutes: 1 });
  } else {
    // An ambiguous wall time (clocks went back) has two instants: the earliest one not before `at`.
    const candidates = end.getPossibleOffsets().filter((c) => c.toMillis() >= at.getTime());
    end = candidates.reduce((a, b) => (b.toMillis() < a.toMillis() ? b : a), candidates[0] ?? end);
  }
  return end.toJSDate();
}

/**
 * moveOutOfQuietHours without luxon for the common case: outside the window, or inside it with
 * one and the same whole-minute offset at `at`, at the window's end and a day either side of it
 * (no DST change anywhere near), where luxon's answer is simply "that wall time at that offset".
 * Anything else returns null and takes the luxon path above.
 */
function moveOutFast(at: Date, zone: string, quiet: QuietHours): Date | null {
  const t = at.getTime();
  const wallAt = wallTime(t, zone);
  if (wallAt === null) return null;
  const m = Math.floor(mod(wallAt, DAY_MS) / 60_000);
  if (!inWindow(m, quiet)) return at;
  const offset = wallAt - (t - mod(t, 1000));
  if (offset % 60_000 !== 0) return null;
  const endsNextDay = quiet.start > quiet.end && m >= quiet.start;
  const wallEnd = wallAt - mod(wallAt, DAY_MS) + (endsNextDay ? DAY_MS : 0) + quiet.end * 60_000;
  const end = wallEnd - offset;
  if (end < t) return null;
  if (!steadyOffset(zone, wallEnd, offset)) return null;
  return new Date(end);
}

// (zone, wall end, offset) → whether the offset holds around it; a pure function of the zone's
// rules, and a day's agenda shares a few window ends: remembered, bounded.
const steadyCache = new Map<string, Map<number, boolean>>();

function steadyOffset(zone: string, wallEnd: number, offset: number): boolean {
  const check = () => offsetAt(wallEnd - offset, zone) === offset && offsetAt(wallEnd - DAY_MS, zone) === offset && offsetAt(wallEnd + DAY_MS, zone) === offset;
  const offsetMinutes = offset / 60_000;
  if (Math.abs(offsetMinutes) >= 2048) return check();
  // Both are whole minutes: pack them into one exact integer key (well under 2^53).
  const key = (wallEnd / 60_000) * 4096 + offsetMinutes + 2048;
  let byEnd = steadyCache.get(zone);
  if (!byEnd) steadyCache.set(zone, (byEnd = new Map()));
  let ok = byEnd.get(key);
  if (ok === undefined) {
    ok = check();
    if (byEnd.size >= 10_000) byEnd.clear();
    byEnd.set(key, ok);
  }
  return ok;
}

/** Local calendar date (yyyy-MM-dd) of an instant in a zone. */
export function localDate(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).toISODate() ?? "";
}
