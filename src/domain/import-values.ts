import { DateTime } from "luxon";
import type { AppointmentStatus } from "./lifecycle.js";
import { normalizePhone } from "./phone.js";

/**
 * Values as Brazilian clinic systems and Excel export them: "24/11/2026 14h30", "Agendado",
 * "Sim", "0XX92 99123-4567". Pure (luxon only does calendar arithmetic), I/O free.
 *
 * Every parser returns its value or a short English reason that reads after the column's name:
 * the importer writes `line ${n}: start_time ${reason}` →
 * `line 4: start_time "31/02/2026 14:00" is not a real date`.
 */
export type ValueResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): ValueResult<T> => ({ ok: true, value });
const bad = <T>(reason: string): ValueResult<T> => ({ ok: false, reason });

/**
 * Lower case, no accents, single spaces, no surrounding punctuation: "  Não  compareceu. " →
 * "nao compareceu". The key used to look words up in the tables below.
 */
export function foldWord(s: string): string {
  return s
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[\s\u00A0]+/g, " ")
    .trim()
    .replace(/^[\s.,;:!?"'()[\]]+|[\s.,;:!?"'()[\]]+$/g, "");
}

function quoted(raw: string): string {
  return JSON.stringify(raw.trim());
}

// ─── Dates and times ─────────────────────────────────────────────────────────────────────────

interface TimeOfDay {
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

interface Fields extends TimeOfDay {
  year: number;
  month: number;
  day: number;
}

/** 2026-11-24 (the rest of the text is the time). */
const ISO_DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})(?![\d/.-])/;
/** 24/11/2026, 24-11-2026, 24.11.2026, 24/11/26 (the rest of the text is the time). */
const BR_DATE = /^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/.-])/;
/** An ISO time with an offset after the date: T14:00-03:00, 17:00Z, " 17:00:00+00" (PostgreSQL). */
const ISO_TIME_OFFSET = /^(?:t|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(z|[+-]\d{2}(?::?\d{2})?)$/;
/** What may stand between the date and the time: "24/11/2026 14:00", "…, 14:00", "… - 14:00", "… às 14:00", "…T14:00". */
const DATE_TIME_GAP = /^(?:\s*,\s*|\s+-\s+|\s+(?:as|a)\s+|\s+|t)/;
/** 14:00, 14:00:00, 14:00h, 2:00 pm. */
const CLOCK_COLON = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:\s*(?:h|hs|hrs))?(?:\s*([ap])\.?\s*m\.?)?$/;
/** 14h, 14h30, 14 h 30, 14hs, 14h30min, 14.30. */
const CLOCK_H = /^(\d{1,2})\s*(?:h|hs|hrs|\.)\s*(?:(\d{2})\s*(?:min)?)?$/;
/** 2 pm. */
const CLOCK_AMPM = /^(\d{1,2})\s*([ap])\.?\s*m\.?$/;

const EXAMPLES = "like 24/11/2026 14:00 or 2026-11-24T14:00-03:00";

/** Lower case, single ASCII spaces, "às" → "as" (the only accent the formats use). */
function clean(raw: string): string {
  return raw.trim().replace(/[\s\u00A0]+/g, " ").toLowerCase().replace(/à/g, "a");
}

/** A wall-clock time: "14:00", "14h", "14h30", "2:30 pm"; null when it is none of these. */
function parseClock(text: string): TimeOfDay | null | "impossible" {
  let hour: number;
  let minute = 0;
  let second = 0;
  let millisecond = 0;
  let ampm: string | undefined;
  let m = CLOCK_COLON.exec(text);
  if (m) {
    hour = Number(m[1]);
    minute = Number(m[2]);
    second = m[3] ? Number(m[3]) : 0;
    millisecond = m[4] ? Math.floor(Number(`0.${m[4]}`) * 1000) : 0;
    ampm = m[5];
  } else if ((m = CLOCK_H.exec(text))) {
    // "14.30" is a clock, "14." is not.
    if (text.includes(".") && !m[2]) return null;
    hour = Number(m[1]);
    minute = m[2] ? Number(m[2]) : 0;
  } else if ((m = CLOCK_AMPM.exec(text))) {
    hour = Number(m[1]);
    ampm = m[2];
  } else {
    return null;
  }
  if (ampm) {
    if (hour < 1 || hour > 12) return "impossible";
    hour = (hour % 12) + (ampm === "p" ? 12 : 0);
  }
  if (hour > 23 || minute > 59 || second > 59) return "impossible";
  return { hour, minute, second, millisecond };
}

function offsetMinutes(text: string): number | null {
  if (text === "z") return 0;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(text);
  if (!m) return null;
  const hours = Number(m[2]);
  const minutes = m[3] ? Number(m[3]) : 0;
  if (hours > 14 || minutes > 59) return null;
  return (m[1] === "-" ? -1 : 1) * (hours * 60 + minutes);
}

const zoneOk = new Map<string, boolean>();

/** Whether luxon knows the IANA zone ("America/Manaus"); cached, zones come from a few companies. */
export function isKnownZone(zone: string): boolean {
  let known = zoneOk.get(zone);
  if (known === undefined) zoneOk.set(zone, (known = DateTime.now().setZone(zone).isValid));
  return known;
}

type Split = { date: { year: number; month: number; day: number }; clock: TimeOfDay | null; offset: number | null } | string;

/** The date, time and offset written in `raw`, or the reason they cannot be read ("" = unreadable). */
function split(raw: string): Split {
  const t = clean(raw);
  let date: { year: number; month: number; day: number };
  let m = ISO_DATE.exec(t);
  if (m) {
    date = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  } else if ((m = BR_DATE.exec(t))) {
    const yearText = m[4] ?? "";
    // Two-digit years are this century's, as Excel's short date format shows them ("24/11/26").
    date = { year: yearText.length === 2 ? 2000 + Number(yearText) : Number(yearText), month: Number(m[3]), day: Number(m[1]) };
  } else {
    return "";
  }
  let rest = t.slice(m[0].length);
  if (!rest) return { date, clock: null, offset: null };
  const iso = ISO_TIME_OFFSET.exec(rest);
  if (iso) {
    const clock = { hour: Number(iso[1]), minute: Number(iso[2]), second: iso[3] ? Number(iso[3]) : 0, millisecond: iso[4] ? Math.floor(Number(`0.${iso[4]}`) * 1000) : 0 };
    if (clock.hour > 23 || clock.minute > 59 || clock.second > 59) return "has an impossible time";
    const offset = offsetMinutes(iso[5] ?? "");
    if (offset === null) return "has an impossible UTC offset";
    return { date, clock, offset };
  }
  const gap = DATE_TIME_GAP.exec(rest);
  if (!gap) return "";
  rest = rest.slice(gap[0].length);
  const clock = parseClock(rest);
  if (clock === "impossible") return "has an impossible time";
  if (!clock) return "";
  return { date, clock, offset: null };
}

const DATE_PREFIX = /^\s*(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}([/.-])\d{1,2}\1(?:\d{4}|\d{2}))(?![\d/.-])/;

/**
 * One date-and-time text from cells that split it, e.g. the columns Data and Hora início:
 * ["24/11/2026", "14:00"] → "24/11/2026 14:00". Empty cells are left out. When the first cell
 * holds a time as well (a database's "2026-11-24 00:00:00", or the start's "24/11/2026 14:00"
 * reused for the end), only its date is kept; when a later cell holds a whole date and time, it
 * is used from there on ("Data" + "Início" where Início is already "24/11/2026 14:00").
 */
export function joinDateTime(parts: readonly string[]): string {
  const cells = parts.map((p) => p.trim()).filter(Boolean);
  for (let i = cells.length - 1; i > 0; i--) {
    if (DATE_PREFIX.test(cells[i] as string)) return cells.slice(i).join(" ");
  }
  const [first, ...rest] = cells;
  if (first === undefined) return "";
  if (!rest.length) return first;
  const date = DATE_PREFIX.exec(first);
  return [date ? date[0].trim() : first, ...rest].join(" ");
}

/** Whether day/month/year names a day of the Gregorian calendar (arithmetic: an import checks two dates per row). */
function isRealDate(year: number, month: number, day: number): boolean {
  if (!Number.isInteger(month) || !Number.isInteger(day) || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  return day <= days;
}

function dateProblem(date: { year: number; month: number; day: number }): string | null {
  const { year, month, day } = date;
  if (year < 1900 || year > 2199) return "has an implausible year";
  if (isRealDate(year, month, day)) return null;
  // 11/24/2026: a US-style export; say how dates are read rather than just "invalid".
  if (month > 12 && isRealDate(year, day, month)) return "is not a date: dates are read day/month/year";
  return "is not a real date";
}

/**
 * An appointment's date and time → UTC ISO ("2026-11-24T17:00:00.000Z"). Times without an offset
 * are the company's local time in `zone` (IANA, e.g. "America/Sao_Paulo"). Accepted:
 * "24/11/2026 14:00", "24/11/2026 14h", "24/11/2026 14h30", "24/11/2026 às 14:00",
 * "24/11/2026, 14:00:00", "24-11-2026 14:00", "24.11.26 2:00 PM", "2026-11-24 14:00",
 * "2026-11-24T14:00:00-03:00", "2026-11-24T17:00Z", "2026-11-24 17:00:00+00" (PostgreSQL).
 * Day/month/year always (Brazil): "11/24/2026" is refused, not read as November 24. A date
 * without a time is refused (an appointment needs its hour). A local time skipped by a DST
 * change (none in Brazil since 2019) moves forward by the gap, as luxon does.
 */
export function parseImportDateTime(raw: string, zone: string): ValueResult<string> {
  if (!raw.trim()) return bad("is empty");
  const s = split(raw);
  if (typeof s === "string") return bad(`${quoted(raw)} ${s || `is not a date and time ${EXAMPLES}`}`);
  const problem = dateProblem(s.date);
  if (problem) return bad(`${quoted(raw)} ${problem}`);
  if (!s.clock) return bad(`${quoted(raw)} has no time: write it ${EXAMPLES}`);
  return toUtc({ ...s.date, ...s.clock }, s.offset, zone, raw);
}

function toUtc(f: Fields, offset: number | null, zone: string, raw: string): ValueResult<string> {
  if (offset !== null) {
    const local = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second, f.millisecond);
    return ok(new Date(local - offset * 60_000).toISOString());
  }
  if (!isKnownZone(zone)) return bad(`${quoted(raw)} cannot be placed in time: the company's time zone "${zone}" is unknown`);
  const dt = DateTime.fromObject(f, { zone });
  if (!dt.isValid) return bad(`${quoted(raw)} is not a real date`);
  return ok(dt.toUTC().toISO() as string);
}

/**
 * An appointment's end, given its start (UTC ISO from parseImportDateTime). Everything
 * parseImportDateTime accepts, plus a bare time ("15:00", "15h", "15h30") meaning that time on
 * the start's local day in `zone` — for exports with a "Hora fim" column beside "Data". An end
 * not after the start is refused.
 */
export function parseImportEndTime(raw: string, zone: string, startUtc: string): ValueResult<string> {
  if (!raw.trim()) return bad("is empty");
  const clock = parseClock(clean(raw));
  let end: ValueResult<string>;
  if (clock === "impossible") return bad(`${quoted(raw)} has an impossible time`);
  if (clock) {
    if (!isKnownZone(zone)) return bad(`${quoted(raw)} cannot be placed in time: the company's time zone "${zone}" is unknown`);
    const day = DateTime.fromISO(startUtc, { zone });
    if (!day.isValid) return bad(`${quoted(raw)} is a time without a date, and the start is not valid`);
    end = toUtc({ year: day.year, month: day.month, day: day.day, ...clock }, null, zone, raw);
  } else {
    end = parseImportDateTime(raw, zone);
  }
  if (end.ok && Date.parse(end.value) <= Date.parse(startUtc)) return bad(`${quoted(raw)} is not after start_time`);
  return end;
}

// ─── Status ──────────────────────────────────────────────────────────────────────────────────

/**
 * Status words of Brazilian scheduling systems (folded: lower case, no accents).
 *
 * booked — the appointment stands or took place, so a follow-up is due: agendado, confirmado,
 * marcado, pendente/a confirmar (still expected), em espera/chegou/em atendimento (the patient is
 * there), realizado/atendido/concluído/finalizado/compareceu (it happened: exactly what a
 * follow-up is for).
 *
 * cancelled — no follow-up: cancelado, desmarcado, and also faltou/não compareceu/no-show (asking
 * "how was your appointment?" of someone who did not come is wrong), and remarcado/reagendado
 * (the row's time did not happen; systems give the new time its own row — if a system instead
 * moves the row itself, it shows it as agendado).
 */
export const STATUS_WORDS: Readonly<Record<string, AppointmentStatus>> = Object.freeze({
  ...Object.fromEntries(
    [
      "booked", "scheduled", "confirmed", "completed", "done", "attended",
      "agendado", "agendada", "confirmado", "confirmada", "marcado", "marcada",
      "pendente", "a confirmar", "aguardando", "aguardando confirmacao", "nao confirmado", "nao confirmada",
      "em espera", "aguardando atendimento", "chegou", "presente", "em atendimento", "em andamento",
      "realizado", "realizada", "atendido", "atendida", "concluido", "concluida", "finalizado", "finalizada",
      "compareceu",
    ].map((w) => [w, "booked" as const]),
  ),
  ...Object.fromEntries(
    [
      "cancelled", "canceled", "no-show", "no show", "noshow", "missed", "rescheduled",
      "cancelado", "cancelada", "desmarcado", "desmarcada", "cancelado pelo paciente", "cancelado pela clinica",
      "faltou", "falta", "falta justificada", "nao compareceu", "ausente", "nao veio",
      "remarcado", "remarcada", "reagendado", "reagendada", "excluido", "excluida",
    ].map((w) => [w, "cancelled" as const]),
  ),
});

/**
 * "Agendado" → booked, "Desmarcado" → cancelled (see STATUS_WORDS for every word and why);
 * empty → booked, as before this issue. `extra` adds or overrides words (folded keys), for a
 * system with its own vocabulary.
 */
export function parseAppointmentStatus(raw: string, extra?: Readonly<Record<string, AppointmentStatus>>): ValueResult<AppointmentStatus> {
  const key = foldWord(raw);
  if (!key) return ok("booked");
  const status = extra?.[key] ?? STATUS_WORDS[key];
  if (status) return ok(status);
  return bad(`${quoted(raw)} is not a status this import knows: booked (agendado, confirmado, realizado…) or cancelled (cancelado, desmarcado, faltou…)`);
}

// ─── Consent ─────────────────────────────────────────────────────────────────────────────────

const YES = new Set(["true", "t", "1", "yes", "y", "sim", "s", "x", "v", "verdadeiro", "ok", "aceita", "aceito", "autorizado", "autorizada", "autoriza", "✓", "✔", "☑", "✅"]);
const NO = new Set(["", "false", "f", "0", "no", "n", "nao", "falso", "-", "nao aceita", "nao aceito", "nao autorizado", "nao autorizada", "nao autoriza", "recusado", "recusou", "✗", "✘", "❌"]);

/**
 * Consent to WhatsApp follow-ups (LGPD): sim/s/yes/y/true/t/1/x/✓/aceita/autorizado → true;
 * não/nao/n/no/false/f/0/-/recusado and EMPTY → false. Empty is "no": consent must be given,
 * never assumed, and spreadsheets mark the consenting rows ("x") and leave the others blank.
 */
export function parseConsent(raw: string): ValueResult<boolean> {
  const key = foldWord(raw);
  // foldWord keeps a lone "-" (it is not surrounding punctuation of anything).
  if (YES.has(key)) return ok(true);
  if (NO.has(key)) return ok(false);
  return bad(`${quoted(raw)} is not a yes or no (sim/não, S/N, 1/0, true/false, x or empty)`);
}

// ─── Phones ──────────────────────────────────────────────────────────────────────────────────

/** "Cel:", "Tel.", "WhatsApp -" written before the number. */
const PHONE_LABEL = /^(?:cel(?:ular)?|tel(?:efone)?|fone|whats(?:app)?|wpp|zap|res(?:idencial)?|com(?:ercial)?)\s*[:.-]?\s*/i;
/** Several numbers in one cell: "(92) 99123-4567 / (92) 3234-5678". */
const PHONE_LIST = /\s*(?:[/;|,]|\s+ou\s+|\s+e\s+)\s*/i;

function onePhone(raw: string): string | null {
  let t = raw.trim().replace(PHONE_LABEL, "");
  // "0XX92 99123-4567", "(0xx92) …": the XX stands for the long-distance carrier: just the trunk 0.
  t = t.replace(/^(\(?)\s*0\s*xx\s*/i, "$10");
  return normalizePhone(t);
}

/** A Brazilian mobile: 55 + DDD + 9 digits starting with 9 (what WhatsApp reaches). */
function isMobile(digits: string): boolean {
  return /^55\d{2}9\d{8}$/.test(digits);
}

/**
 * A client's phone as Whaticket wants it (digits with the country code), from the ways clinic
 * systems store it: "(92) 99123-4567", "+55 92 99123-4567", "0XX92 99123-4567", "092991234567",
 * "Cel: 92 99123-4567". A cell with several numbers ("(92) 3234-5678 / (92) 99123-4567") gives the
 * first mobile, else the first number. Numbers Excel turned into "5.59299E+12" are refused with
 * a hint, since their digits are lost.
 */
export function parseImportPhone(raw: string): ValueResult<string> {
  const t = raw.trim();
  if (!t) return bad("is empty");
  if (/^\d(?:[.,]\d+)?e\+?\d+$/i.test(t)) {
    return bad(`${quoted(raw)} is a number Excel rounded (scientific notation): format the column as Text before exporting`);
  }
  const whole = onePhone(t);
  if (whole) return ok(whole);
  const phones = t.split(PHONE_LIST).filter(Boolean).map(onePhone);
  const valid = phones.filter((p): p is string => p !== null);
  if (phones.length > 1 && valid.length) return ok(valid.find(isMobile) ?? (valid[0] as string));
  return bad(`${quoted(raw)} is not a phone number (e.g. (92) 99123-4567 or +55 92 99123-4567)`);
}
