import { DateTime } from "luxon";
import type { BusinessHours, Minute } from "./hours.js";

/**
 * Free-slot search for the `agenda.book` flow and reading the customer's choice.
 * Pure: "now" arrives as `after`, the agenda as `busy`.
 */

export interface Interval {
  start: Date;
  end: Date;
}

export interface FindFreeSlotsInput {
  after: Date;
  durationMinutes: number;
  businessHours: BusinessHours;
  timezone: string;
  busy: Interval[];
  /** How many suggestions (default 3). */
  count?: number;
  /** Candidate starts every `stepMinutes` of local time from each window's opening (default 30). */
  stepMinutes?: number;
  /** Search no further than this many days after `after` (default 21). */
  horizonDays?: number;
  /** Nothing starts sooner than this after `after` (default 60). */
  minLeadMinutes?: number;
}

const MINUTE_MS = 60_000;

/**
 * The next `count` free starts. A start qualifies when [start, start + duration) lies inside one
 * business-hours window of its local weekday and overlaps no busy interval (touching is fine).
 *
 * Candidates are the window's opening plus multiples of `stepMinutes`, in local wall time, so a
 * business that opens at 09:00 is offered 09:00, 09:30… on every day, DST or not. Local times that
 * do not exist (a spring-forward gap) are skipped. Suggestions never overlap each other: after
 * taking 09:00 for 60 minutes, the next one considered is 10:00.
 *
 * Busy intervals are sorted and merged once; candidates go forward in time, so one pointer sweeps
 * them: O(b log b + candidates).
 */
export function findFreeSlots(input: FindFreeSlotsInput): Date[] {
  const count = input.count ?? 3;
  const step = input.stepMinutes ?? 30;
  const horizonDays = input.horizonDays ?? 21;
  const lead = input.minLeadMinutes ?? 60;
  const { durationMinutes, timezone } = input;
  if (!(durationMinutes > 0) || !Number.isFinite(durationMinutes)) {
    throw new RangeError(`slot duration must be a positive number of minutes, got ${durationMinutes}`);
  }
  if (!(step > 0) || !Number.isInteger(step)) throw new RangeError(`slot step must be a positive whole number of minutes, got ${step}`);
  if (count <= 0 || horizonDays <= 0) return [];

  const start = DateTime.fromJSDate(input.after, { zone: timezone });
  if (!start.isValid) throw new RangeError(`"${timezone}" is not a valid IANA time zone`);
  const earliest = input.after.getTime() + lead * MINUTE_MS;
  const horizonEnd = start.plus({ days: horizonDays }).toMillis();
  const durationMs = durationMinutes * MINUTE_MS;
  const busy = mergeIntervals(input.busy);

  const out: Date[] = [];
  let b = 0;
  let notBefore = earliest;
  let day = DateTime.fromMillis(earliest, { zone: timezone }).startOf("day");

  while (out.length < count && day.toMillis() < horizonEnd) {
    for (const window of windowsOn(input.businessHours, day.weekday)) {
      const windowEnd = localInstant(day, window.end);
      for (let m = window.start; m + durationMinutes <= window.end; m += step) {
        const candidate = localInstant(day, m);
        if (candidate === null) continue; // falls in a DST gap
        if (candidate < notBefore) continue;
        if (candidate >= horizonEnd) return out;
        const candidateEnd = candidate + durationMs;
        // Wall-clock fit can still overrun in absolute time when DST ends inside the slot.
        if (windowEnd !== null && candidateEnd > windowEnd) break;
        while (b < busy.length && busy[b]!.end <= candidate) b++;
        if (b < busy.length && busy[b]!.start < candidateEnd) continue;
        out.push(new Date(candidate));
        if (out.length >= count) return out;
        notBefore = candidateEnd;
      }
    }
    day = day.plus({ days: 1 }).startOf("day");
  }
  return out;
}

/** The day's windows, overlaps merged, in order: candidates then move forward in time only. */
function windowsOn(hours: BusinessHours, weekday: number): Array<{ start: Minute; end: Minute }> {
  const today = hours
    .filter((w) => w.days.includes(weekday))
    .map((w) => ({ start: w.start, end: w.end }))
    .sort((x, y) => x.start - y.start);
  const merged: Array<{ start: Minute; end: Minute }> = [];
  for (const w of today) {
    const last = merged[merged.length - 1];
    if (last && w.start < last.end) last.end = Math.max(last.end, w.end);
    else merged.push({ ...w });
  }
  return merged;
}

/** Epoch ms of a local wall time on `day`, or null when that wall time does not exist there. */
function localInstant(day: DateTime, minute: Minute): number | null {
  if (minute >= 24 * 60) return day.plus({ days: 1 }).startOf("day").toMillis();
  const hour = Math.floor(minute / 60);
  const min = minute % 60;
  const dt = day.set({ hour, minute: min, second: 0, millisecond: 0 });
  if (dt.hour !== hour || dt.minute !== min || dt.day !== day.day) return null;
  return dt.toMillis();
}

function mergeIntervals(busy: Interval[]): Array<{ start: number; end: number }> {
  const sorted = busy
    .map((i) => ({ start: i.start.getTime(), end: i.end.getTime() }))
    .filter((i) => Number.isFinite(i.start) && Number.isFinite(i.end) && i.end > i.start)
    .sort((x, y) => x.start - y.start);
  const merged: Array<{ start: number; end: number }> = [];
  for (const i of sorted) {
    const last = merged[merged.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else merged.push(i);
  }
  return merged;
}

// ---------------------------------------------------------------------------------------------
// Reading the customer's choice

const WEEKDAY_WORDS: Record<string, number> = {
  segunda: 1, terca: 2, quarta: 3, quinta: 4, sexta: 5, sabado: 6, domingo: 7,
};

const ORDINAL_WORDS: Record<string, number> = {
  primeira: 1, primeiro: 1, segunda: 2, segundo: 2, terceira: 3, terceiro: 3,
  quarta: 4, quarto: 4, quinta: 5, quinto: 5, sexta: 6, sexto: 6,
  setima: 7, setimo: 7, oitava: 8, oitavo: 8, nona: 9, nono: 9, decima: 10, decimo: 10,
};

const NUMBER_WORDS: Record<string, number> = {
  dois: 2, duas: 2, tres: 3, quatro: 4, cinco: 5, seis: 6, sete: 7, oito: 8, nove: 9, dez: 10,
};

/** Words that mark the token after them as an option number: "opção um", "número 2". */
const OPTION_NOUNS = new Set(["opcao", "opcoes", "op", "numero", "num", "n", "alternativa", "sugestao", "horario"]);

/**
 * Words that may surround a choice without changing it. Any other word makes the reply free text
 * (null), so "vc tem horário na primeira semana do mês?" is not read as option 1.
 */
const FILLER = new Set([
  "a", "o", "as", "os", "na", "no", "em", "de", "do", "da", "e", "um", "uma",
  "pode", "podes", "ser", "podemos", "quero", "queria", "gostaria", "prefiro", "escolho", "fico", "com",
  "vou", "vamos", "pra", "para", "mim", "me", "eu", "marcar", "marca", "marque", "agendar", "agenda", "agende",
  "opcao", "opcoes", "op", "numero", "num", "n", "alternativa", "sugestao", "horario", "sim", "ok", "okay",
  "blz", "beleza", "perfeito", "perfeita", "otimo", "otima", "certo", "claro", "entao", "por", "favor", "pf",
  "pfv", "pfvr", "obrigado", "obrigada", "obg", "obgd", "obgda", "valeu", "essa", "esse", "este", "esta",
  "isso", "fica", "ficar", "melhor", "feira", "hora", "horas", "h", "dia", "seria", "show",
  "combinado", "fechado", "manda", "vai", "ai", "la",
]);

/** Local hours [from, to) that "de manhã", "à tarde", "à noite" cover. */
const PART_OF_DAY_HOURS = { manha: [0, 12], tarde: [12, 18], noite: [18, 24] } as const;

/** "a última": stands for the last offered slot until their number is known. */
const LAST = Number.POSITIVE_INFINITY;

/** Weekday names that are also ordinals: "segunda" is Monday or "the second one". */
const AMBIGUOUS = new Set(["segunda", "quarta", "quinta", "sexta"]);

interface ChoiceConstraints {
  indexes: Set<number>; // from "2", "opção 2", "a primeira" (1-based)
  weekdays: Set<number>;
  hour?: number;
  minute?: number;
  partOfDay?: "manha" | "tarde" | "noite";
  day?: number;
  month?: number;
  ambiguous: Array<{ ordinal: number; weekday: number }>;
}

/**
 * The 0-based index of the offered slot the reply picks, or null when the reply is not a choice
 * (the caller then reads it as ordinary text).
 *
 * Understands option numbers ("1", "2)", "3️⃣", "opção 2", "número dois"), ordinals ("a primeira",
 * "o segundo", "2ª", "a última") and the slot itself ("14h", "às 14:00", "terça 14h",
 * "dia 02/12 às 14:00", "2 da tarde", "quarta de manhã"), matched against the offered slots in the
 * company's local time; a bare "às 3" means 15:00 when no slot is at 03:00. Every
 * clue must point at the same single slot; numbers out of range, clues that match no slot or
 * several, and replies with words beyond a short list of fillers give null.
 *
 * "segunda" (also "quarta", "quinta", "sexta") is Monday or "second": followed by "feira", after
 * "na", or next to a time/date it is the weekday; after "a"/"o" or before "opção" it is the
 * ordinal. Bare, it is whichever reading matches an offered slot; if both readings match
 * different slots the reply is ambiguous and gives null, so the caller asks again.
 */
export function parseSlotChoice(text: string, offered: Date[], timezone: string): number | null {
  if (offered.length === 0 || text.length > 200) return null;
  const c = readConstraints(text);
  if (!c) return null;
  if (c.indexes.delete(LAST)) c.indexes.add(offered.length);

  const locals = offered.map((d) => DateTime.fromJSDate(d, { zone: timezone }));
  const all = locals.map((_, i) => i);
  const timeClues = c.hour !== undefined || c.day !== undefined || c.weekdays.size > 0 || c.partOfDay !== undefined;

  // Resolve "segunda"-like words.
  for (const amb of c.ambiguous) {
    if (timeClues) {
      c.weekdays.add(amb.weekday);
      continue;
    }
    const byOrdinal = amb.ordinal <= offered.length ? amb.ordinal - 1 : null;
    const byWeekday = all.filter((i) => locals[i]!.weekday === amb.weekday);
    if (byWeekday.length === 0 && byOrdinal !== null) c.indexes.add(amb.ordinal);
    else if (byOrdinal === null && byWeekday.length > 0) c.weekdays.add(amb.weekday);
    else if (byWeekday.length === 1 && byWeekday[0] === byOrdinal) c.indexes.add(amb.ordinal);
    else return null;
  }

  let candidates = all;
  if (c.indexes.size > 1) return null;
  for (const n of c.indexes) {
    if (n < 1 || n > offered.length) return null;
    candidates = [n - 1];
  }
  if (c.weekdays.size > 1) return null;
  for (const wd of c.weekdays) candidates = candidates.filter((i) => locals[i]!.weekday === wd);
  if (c.day !== undefined) {
    candidates = candidates.filter((i) => locals[i]!.day === c.day && (c.month === undefined || locals[i]!.month === c.month));
  }
  if (c.hour !== undefined) {
    const minute = c.minute ?? 0;
    const at = (h: number) => candidates.filter((i) => locals[i]!.hour === h && locals[i]!.minute === minute);
    let hour = c.hour;
    if ((c.partOfDay === "tarde" || c.partOfDay === "noite") && hour < 12) hour += 12;
    let byTime = at(hour);
    // "às 3" for 15:00: afternoon is what a business means when the morning has no such slot.
    if (byTime.length === 0 && c.partOfDay === undefined && hour >= 1 && hour < 12) byTime = at(hour + 12);
    candidates = byTime;
  } else if (c.partOfDay !== undefined) {
    const [from, to] = PART_OF_DAY_HOURS[c.partOfDay];
    candidates = candidates.filter((i) => locals[i]!.hour >= from && locals[i]!.hour < to);
  }
  if (c.indexes.size === 0 && !timeClues && c.ambiguous.length === 0) return null;
  return candidates.length === 1 ? candidates[0]! : null;
}

function normalise(text: string): string {
  return text
    .replace(/([0-9])\uFE0F?\u20E3/g, " $1 ") // keycap digits: 3️⃣
    .replace(/🔟/gu, " 10 ")
    .toLowerCase()
    .replace(/(\d)\s*[ºª°]/g, "$1o") // 2ª, 1º → ordinal tokens
    .replace(/\bn\s*[ºª°]/g, "n ")
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/[’`´']/g, "");
}

/** Pulls dates, times and option clues out of the reply; null when a word is not understood. */
function readConstraints(text: string): ChoiceConstraints | null {
  const c: ChoiceConstraints = { indexes: new Set(), weekdays: new Set(), ambiguous: [] };
  let s = normalise(text);
  const conflict = { found: false };
  const setTime = (h: number, m: number | undefined) => {
    if (h > 23 || (m !== undefined && m > 59)) conflict.found = true;
    if (c.hour !== undefined && (c.hour !== h || (c.minute ?? 0) !== (m ?? 0))) conflict.found = true;
    c.hour = h;
    c.minute = m;
  };
  const setDate = (d: number, m: number | undefined) => {
    if (d < 1 || d > 31 || (m !== undefined && (m < 1 || m > 12))) conflict.found = true;
    if (c.day !== undefined && c.day !== d) conflict.found = true;
    c.day = d;
    if (m !== undefined) c.month = m;
  };

  s = s.replace(/\b(\d{1,2})\/(\d{1,2})(?:\/\d{2,4})?\b/g, (_m, d: string, mo: string) => {
    setDate(Number(d), Number(mo));
    return " ";
  });
  s = s.replace(/\bdia\s+(\d{1,2})\b/g, (_m, d: string) => {
    setDate(Number(d), undefined);
    return " ";
  });
  s = s.replace(/\b(\d{1,2})\s*(?::|h)\s*(\d{2})\b/g, (_m, h: string, mi: string) => {
    setTime(Number(h), Number(mi));
    return " ";
  });
  // "2 da tarde", "às 3h da tarde", "14:00 da tarde" (its time was taken just above), "quarta de manhã".
  s = s.replace(
    /(?:\b(\d{1,2})(?:\s*(?:h|hs|hrs?|horas?))?\s+)?\b(?:da|de|pela|a|na)\s+(manha|tarde|noite)\b/g,
    (_m, h: string | undefined, part: "manha" | "tarde" | "noite") => {
      if (h !== undefined) setTime(Number(h), undefined);
      if (c.partOfDay !== undefined && c.partOfDay !== part) conflict.found = true;
      c.partOfDay = part;
      return " ";
    },
  );
  s = s.replace(/\b(\d{1,2})\s*(?:h|hs|hrs?|horas?)\b/g, (_m, h: string) => {
    setTime(Number(h), undefined);
    return " ";
  });
  // "às 14" is a time; "a 2" stays an option number.
  s = s.replace(/\bas\s+(\d{1,2})\b/g, (_m, h: string) => {
    setTime(Number(h), undefined);
    return " ";
  });
  if (conflict.found) return null;

  const words = s.split(/[^a-z0-9]+/).filter(Boolean);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const prev = words[i - 1];
    const next = words[i + 1];
    if (/^\d+$/.test(w)) {
      c.indexes.add(Number(w));
      continue;
    }
    const ord = /^(\d+)(o|a)$/.exec(w);
    if (ord) {
      c.indexes.add(Number(ord[1]));
      continue;
    }
    if (w === "ultima" || w === "ultimo") {
      c.indexes.add(LAST);
      continue;
    }
    if (NUMBER_WORDS[w] !== undefined) {
      c.indexes.add(NUMBER_WORDS[w]!);
      continue;
    }
    if ((w === "um" || w === "uma") && prev !== undefined && OPTION_NOUNS.has(prev)) {
      c.indexes.add(1);
      continue;
    }
    if (AMBIGUOUS.has(w)) {
      const weekday = WEEKDAY_WORDS[w]!;
      const ordinal = ORDINAL_WORDS[w]!;
      if (next === "feira" || prev === "na" || prev === "nessa" || prev === "nesta") c.weekdays.add(weekday);
      else if (prev === "a" || prev === "o" || (next !== undefined && OPTION_NOUNS.has(next))) c.indexes.add(ordinal);
      else c.ambiguous.push({ ordinal, weekday });
      continue;
    }
    if (WEEKDAY_WORDS[w] !== undefined) {
      c.weekdays.add(WEEKDAY_WORDS[w]!);
      continue;
    }
    if (ORDINAL_WORDS[w] !== undefined) {
      c.indexes.add(ORDINAL_WORDS[w]!);
      continue;
    }
    if (FILLER.has(w)) continue;
    return null;
  }
  return c;
}
