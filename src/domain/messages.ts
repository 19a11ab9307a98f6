import { DateTime } from "luxon";
import { OPT_IN_KEYWORD, OPT_OUT_KEYWORD } from "./consent-words.js";
import { localDate } from "./hours.js";

/**
 * The bot's texts (pt-BR, fixed by the v2.4 release notes). Pure: every instant and
 * time zone comes in as an argument.
 */

export const POSITIVE_REPLY_HEADER = "Que ótimo! Veja abaixo algumas sugestões...";
export const NEGATIVE_REPLY = "Sem problemas! Ficamos à disposição quando quiser retomar.";
export const FEEDBACK_REPLY = "Agradeço por compartilhar seu feedback!";
export const SLOT_CHOICE_INSTRUCTION = "Responda com o número do horário escolhido.";
export const NO_FREE_SLOTS_REPLY =
  "Que ótimo! No momento não encontrei horários livres nas próximas semanas, " +
  "mas nossa equipe vai entrar em contato para combinar o próximo encontro. 😊";

export const TEMPLATE_MAX_CHARS = 1000;

/** Placeholders a company template may use; anything else in braces is left as written. */
export const TEMPLATE_PLACEHOLDERS = ["{nome}", "{quando}"] as const;

const WEEKDAYS_PT = ["segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo"] as const;

/** Titles people type into the name field; greeting "Dr." by itself would be odd. */
const TITLES = new Set(["sr", "sra", "srta", "dr", "dra", "prof", "profa"]);

/**
 * The first name to greet, or null when the field holds nothing usable (empty, digits, emoji).
 * "  ana maria souza " → "Ana"; "JOÃO" → "João"; "Dr. Pedro" → "Pedro"; "McKenzie" stays as typed.
 */
export function firstName(clientName: string | null | undefined): string | null {
  if (!clientName) return null;
  for (const raw of clientName.trim().split(/\s+/)) {
    // Keep letters, combining marks, apostrophes and hyphens inside the word ("D'Ávila", "Ana-Clara").
    const word = raw.replace(/^[^\p{L}]+|[^\p{L}\p{M}]+$/gu, "");
    if (!/\p{L}/u.test(word) || /\d/.test(word)) continue;
    if (TITLES.has(word.toLowerCase().replace(/\.$/, ""))) continue;
    return capitalise(word);
  }
  return null;
}

/** Title-cases a word typed all in one case; mixed case is the person's own spelling and is kept. */
function capitalise(word: string): string {
  const lower = word.toLocaleLowerCase("pt-BR");
  const upper = word.toLocaleUpperCase("pt-BR");
  if (word !== lower && word !== upper) return word;
  return lower.replace(/(^|[-'’])(\p{L})/gu, (_m, sep: string, ch: string) => sep + ch.toLocaleUpperCase("pt-BR"));
}

/**
 * "de hoje" when the message goes out on the local day the appointment ended, "de ontem" on the
 * next local day (quiet hours pushed it), "do dia 24/11" for anything older.
 */
export function whenPhrase(appointmentEnd: Date, sendAt: Date, timezone: string): string {
  const endDay = DateTime.fromISO(localDate(appointmentEnd, timezone), { zone: timezone });
  const sendDay = DateTime.fromISO(localDate(sendAt, timezone), { zone: timezone });
  const days = Math.round(sendDay.diff(endDay, "days").days);
  if (days <= 0) return "de hoje";
  if (days === 1) return "de ontem";
  const format = endDay.year === sendDay.year ? "dd/MM" : "dd/MM/yyyy";
  return `do dia ${endDay.toFormat(format)}`;
}

/**
 * The send day's local midnights, computed once per company and tick so that "de hoje / de ontem"
 * costs two comparisons per message instead of two calendar conversions.
 */
export interface SendDay {
  timezone: string;
  sendAt: Date;
  /** Local midnight of the send day, of the day before, and of the day after (epoch ms). */
  todayStartMs: number;
  yesterdayStartMs: number;
  tomorrowStartMs: number;
}

export function sendDayOf(sendAt: Date, timezone: string): SendDay {
  const today = DateTime.fromJSDate(sendAt, { zone: timezone }).startOf("day");
  return {
    timezone,
    sendAt,
    todayStartMs: today.toMillis(),
    yesterdayStartMs: today.minus({ days: 1 }).toMillis(),
    tomorrowStartMs: today.plus({ days: 1 }).toMillis(),
  };
}

/** whenPhrase for a message sent on `day` (at any instant of that local day). */
export function whenPhraseOn(appointmentEnd: Date, day: SendDay): string {
  const t = appointmentEnd.getTime();
  if (t >= day.todayStartMs) return "de hoje";
  if (t >= day.yesterdayStartMs) return "de ontem";
  return whenPhrase(appointmentEnd, day.sendAt, day.timezone);
}

export interface FollowupMessageInput {
  clientName: string | null | undefined;
  appointmentEnd: Date;
  sendAt: Date;
  timezone: string;
  /** A company's override with {nome} and {quando}; null/empty uses the release-notes text. */
  template?: string | null;
  /** The send day precomputed (sendDayOf(sendAt, timezone)), when many messages share it. */
  day?: SendDay;
}

export function followupMessage(input: FollowupMessageInput): string {
  const name = firstName(input.clientName);
  const day = input.day;
  const when = day && input.sendAt.getTime() >= day.todayStartMs && input.sendAt.getTime() < day.tomorrowStartMs
    ? whenPhraseOn(input.appointmentEnd, day)
    : whenPhrase(input.appointmentEnd, input.sendAt, input.timezone);
  if (input.template && input.template.trim() !== "") return fillTemplate(input.template, name, when);
  const greeting = name ? `, ${name}` : "";
  return (
    `Espero que tenha corrido tudo bem na reunião ${when}${greeting}. 😊\n` +
    "Gostaria de marcar o próximo encontro?\n" +
    "\n" +
    "✅ Sim, quero marcar\n" +
    "❌ Não, obrigado"
  );
}

function fillTemplate(template: string, name: string | null, when: string): string {
  let text = template;
  if (name) {
    text = text.replace(/\{\s*nome\s*\}/gi, name);
  } else {
    // Without a name, "Olá, {nome}!" should read "Olá!" rather than "Olá, !".
    text = text
      .replace(/(^|\n)[ \t]*\{\s*nome\s*\}[ \t]*[,!.]?[ \t]*/gi, "$1")
      .replace(/[ \t]*,?[ \t]*\{\s*nome\s*\}/gi, "");
  }
  return text.replace(/\{\s*quando\s*\}/gi, when);
}

/** An operator-facing reason the template cannot be used, or null when it is fine. */
export function validateTemplate(t: string): string | null {
  if (t.trim() === "") return "the follow-up template is empty: write the message text, e.g. \"Olá, {nome}! Como foi a reunião {quando}?\"";
  const length = [...t].length;
  if (length > TEMPLATE_MAX_CHARS) {
    return `the follow-up template has ${length} characters; the limit is ${TEMPLATE_MAX_CHARS}: shorten it`;
  }
  return null;
}

/** "terça, 02/12 às 14:00" in the company's zone. */
export function formatSlotPtBR(d: Date, timezone: string): string {
  const local = DateTime.fromJSDate(d, { zone: timezone });
  return `${WEEKDAYS_PT[local.weekday - 1]}, ${local.toFormat("dd/MM")} às ${local.toFormat("HH:mm")}`;
}

function numberedSlots(slots: Date[], timezone: string): string {
  return slots.map((s, i) => `${i + 1}) ${formatSlotPtBR(s, timezone)}`).join("\n");
}

/** The answer to a positive reply: header, numbered slots, how to choose. */
export function slotSuggestionsMessage(slots: Date[], timezone: string): string {
  if (slots.length === 0) return NO_FREE_SLOTS_REPLY;
  return `${POSITIVE_REPLY_HEADER}\n${numberedSlots(slots, timezone)}\n\n${SLOT_CHOICE_INSTRUCTION}`;
}

export function bookingConfirmationMessage(slot: Date, timezone: string): string {
  return `Prontinho! Seu próximo encontro está marcado para ${formatSlotPtBR(slot, timezone)}. Até lá! 😊`;
}

/** The chosen slot was booked by someone else meanwhile; `slots` are fresh suggestions. */
export function slotTakenMessage(slots: Date[], timezone: string): string {
  if (slots.length === 0) {
    return (
      "Poxa, esse horário acabou de ser preenchido e não encontrei outros horários livres nas próximas semanas. " +
      "Nossa equipe vai entrar em contato para combinar o próximo encontro."
    );
  }
  return (
    "Poxa, esse horário acabou de ser preenchido. 😕 Veja outras opções:\n" +
    `${numberedSlots(slots, timezone)}\n\n${SLOT_CHOICE_INSTRUCTION}`
  );
}

/** `n` = how many slots were offered. */
export function slotChoiceNotUnderstoodMessage(n: number): string {
  if (n <= 0) return "Não entendi qual horário você prefere. Nossa equipe vai entrar em contato para combinar.";
  if (n === 1) return "Não entendi qual horário você prefere. Responda com 1 para confirmar o horário sugerido.";
  return `Não entendi qual horário você prefere. Responda com um número de 1 a ${n}.`;
}

/** The one answer to an opt-out (WhatsApp policy: confirm, and say how to come back). */
export const OPT_OUT_CONFIRMATION = `Tudo certo, você não receberá mais mensagens. Para voltar a receber, responda ${OPT_IN_KEYWORD}.`;
/** The answer to an opt-in. */
export const OPT_IN_CONFIRMATION = `Pronto! Você voltará a receber nossas mensagens. Para parar, responda ${OPT_OUT_KEYWORD}.`;
