import type { Clock } from "../clock.js";
import { classifyIntent, explainIntent, type Intent } from "../domain/intent.js";
import { CLARIFY_QUESTION, readFollowupReply } from "../domain/clarification.js";
import { FEEDBACK_REPLY, NEGATIVE_REPLY, formatSlotPtBR, slotChoiceNotUnderstoodMessage } from "../domain/messages.js";
import { detectConsentRequest } from "../domain/consent-words.js";
import { capInboundText, inboundDedupeKey, olderThanFollowup, type NonTextKind } from "../domain/inbound-message.js";
import { maskPhone, phoneVariants } from "../domain/phone.js";
import type { WhaticketDefaults } from "../config.js";
import type { SendOutcome, WhaticketGateway } from "../gateway/whaticket.js";
import type { Logger } from "../logger.js";
import type { AppointmentRow } from "../store/appointments.js";
import { writeAudit, type AuditAction } from "../store/audit.js";
import { getCompany, type CompanyRow } from "../store/companies.js";
import type { Q, Store } from "../store/store.js";
import {
  findOpenFollowup, followupSendInFlight, insertFeedback, insertInbound, recentBotReplies, recordResponse, setInboundResult,
  type FollowupResponse, type InboundOutcome,
} from "../store/replies.js";
import { reserveSendSlots } from "../store/followups.js";
import { markClarificationAsked } from "../store/inbox.js";
import { applyConsentRequest } from "./consent-service.js";
import { bookChosenSlot, offerSlots, type BookingOptions } from "./booking-service.js";
import { buildFollowupMessage, missingTargetReason, resolveTarget } from "./followup-service.js";

/**
 * Processing one inbound WhatsApp message (the ContextEngine's effects), shared by the webhook
 * and `reply simulate`:
 *
 *   1. in one write transaction: store the message (a repeated message id stops here: applied
 *      once), match the phone to its latest open follow-up, classify, record the response, run
 *      `agenda.book`, audit `followup_response`;
 *   2. after commit: send the bot's answer through Whaticket and audit it as `followup_bot_reply`.
 *      A failed send is logged and audited; the recorded response stands.
 *
 * Dry run: step 1 runs in a transaction that is rolled back, and nothing is sent.
 */

/** Sends the bot's answer to a client of a company. Never throws for HTTP/network outcomes. */
export interface ReplySender {
  send(company: CompanyRow, phone: string, body: string, offer?: { slots: Date[] }): Promise<SendOutcome>;
}

/**
 * The real sender: the gateway plus the company's target (its own settings, else WHATICKET_URL /
 * WHATICKET_TOKEN, resolved as the follow-up delivery does); no target is a `config` outcome, not an exception.
 */
export function whaticketReplySender(gateway: WhaticketGateway, defaults: WhaticketDefaults): ReplySender {
  return {
    async send(company, phone, body) {
      const target = resolveTarget(company, defaults);
      if (!target) {
        return { kind: "config", status: 0, error: missingTargetReason(company, defaults) ?? "no Whaticket target", durationMs: 0 };
      }
      return gateway.send(target, { number: phone, body });
    },
  };
}

export interface InboundInput {
  /** Digits with the country code (normalizePhone / phoneFromJid). */
  phone: string;
  text: string;
  /**
   * The WhatsApp message id: a repeated id is applied once. Absent: a message with a `sentAt` is
   * de-duplicated by phone + text + timestamp (inboundDedupeKey); without either, no de-duplication.
   */
  messageId?: string | null;
  /**
   * When the customer sent it (the gateway's timestamp). A message dated before the matched
   * follow-up went out (beyond CLOCK_SKEW_MARGIN_MS) is recorded as `older_than_followup` and not
   * applied. Absent: applied as it comes.
   */
  sentAt?: Date | null;
  /**
   * A voice note, image, sticker… (`text` is its label): recorded, never classified nor answered;
   * an open follow-up it answers gets `followup_non_text_reply` and shows "answered with a voice note".
   */
  media?: NonTextKind;
  /** When the message arrived; default the clock. */
  receivedAt?: Date;
  /** Only match follow-ups of this company (reply simulate --company). */
  companyId?: string;
  /** Gateway buttons: a tapped FOLLOWUP_YES / FOLLOWUP_NO decides the intent without the classifier. */
  intent?: Intent;
  /** Gateway list rows: a tapped SLOT_n chooses offered slot n (1-based) whatever the text says. */
  slotChoice?: number;
}

/** One row-level effect, for `reply simulate` and the webhook's answer. */
export interface Change {
  table: "appointments" | "inbound_messages" | "feedback_events" | "audit_log" | "do_not_contact";
  action: "insert" | "update";
  id: number | null;
  column?: string;
  from?: unknown;
  to?: unknown;
  /** Inserted values worth showing (e.g. the audit action, the booked slot). */
  values?: Record<string, unknown>;
}

/** `suppressed`: the per-conversation cap held the answer back (bot_reply_error says why); nothing sent. */
export type BotReplyDelivery = "sent" | "failed" | "dry_run" | "suppressed";

/** `reply simulate --json`: {matched, appointment_id, intent, response, bot_reply, changes} and a few more. */
export interface ReplyResult {
  matched: boolean;
  /** The message id was applied before: nothing changed, nothing was sent. */
  duplicate: boolean;
  appointment_id: number | null;
  company_id: string | null;
  /** The classifier's intent; null when not consulted (a slot choice, a duplicate). */
  intent: Intent | null;
  /** The response this message recorded on the follow-up, if any. */
  response: FollowupResponse | null;
  outcome: InboundOutcome | "duplicate";
  bot_reply: string | null;
  bot_reply_delivery: BotReplyDelivery | null;
  bot_reply_error: string | null;
  booked_appointment_id: number | null;
  inbound_message_id: number | null;
  changes: Change[];
}

export interface ReplyServiceDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  sender: ReplySender;
  /** Defaults to the ContextEngine's classifyIntent. */
  classify?: (text: string) => Intent;
  booking?: BookingOptions;
  /** At most this many bot answers per conversation (follow-up) in `botReplyWindowMs`; default BOT_REPLY_CAP. */
  botReplyCap?: number;
  botReplyWindowMs?: number;
}

export interface ReplyService {
  processInbound(input: InboundInput, opts?: { dryRun?: boolean }): Promise<ReplyResult>;
}

/** Text beyond this is still stored, but not read by the classifier (bounded work per message). */
const CLASSIFY_MAX_CHARS = 4000;

/**
 * No blasting: at most 3 bot answers per conversation (one follow-up, one phone) per hour. Further
 * messages are still recorded and applied (a "sim" still counts), but not answered; the audit gets
 * `bot_reply_suppressed` and the log a `bot_reply_suppressed` warning.
 */
export const BOT_REPLY_CAP = 3;
export const BOT_REPLY_WINDOW_MS = 60 * 60 * 1000;
/** Loop guard: an inbound text equal to one of our own messages of the last 10 minutes is an echo. */
export const OWN_TEXT_WINDOW_MS = 10 * 60 * 1000;
/** A reply waits at most this long for a follow-up to its phone being sent right now to be recorded. */
const SEND_IN_FLIGHT_WAIT_MS = 2_000;
/** A bot answer waits at most this long for the company's send budget; beyond it, it is not sent (failed). */
const BOT_REPLY_BUDGET_WAIT_MS = 60_000;

const RESPONSE_OF: Record<Intent, FollowupResponse> = {
  followup_positive: "positive",
  followup_negative: "negative",
  followup_feedback: "feedback",
};

class DryRunRollback extends Error {
  constructor(readonly result: Applied) {
    super("dry run");
  }
}

/** What step 1 decided: the result so far, and the answer to send after commit. */
interface Applied {
  result: ReplyResult;
  company: CompanyRow | null;
  phone: string;
  /** The bot's answer offers these slots (sent as a list where the gateway has one). */
  offeredSlots?: Date[];
  /** An opt-out/opt-in confirmation: sent even when no follow-up matched (consent-service.ts). */
  consent?: boolean;
}

export function createReplyService(deps: ReplyServiceDeps): ReplyService {
  const { store, clock, logger, sender } = deps;
  const classify = deps.classify ?? classifyIntent;

  async function apply(t: Q, input: InboundInput, now: Date): Promise<Applied> {
    const nowIso = now.toISOString();
    const changes: Change[] = [];
    const result: ReplyResult = {
      matched: false, duplicate: false, appointment_id: null, company_id: null, intent: null, response: null,
      outcome: "unmatched", bot_reply: null, bot_reply_delivery: null, bot_reply_error: null,
      booked_appointment_id: null, inbound_message_id: null, changes,
    };
    const audit = async (action: AuditAction, appointmentId: number, companyId: string, payload: Record<string, unknown>) => {
      const id = await writeAudit(t, { action, appointment_id: appointmentId, company_id: companyId, payload, created_at: nowIso });
      changes.push({ table: "audit_log", action: "insert", id, values: { action, ...payload } });
    };
    const update = (row: AppointmentRow, column: string, from: unknown, to: unknown) => {
      if (from !== to) changes.push({ table: "appointments", action: "update", id: row.id, column, from, to });
    };

    // Stored and classified: at most MAX_INBOUND_TEXT_CHARS, the stored body marked when cut.
    const capped = capInboundText(input.text);
    const inboundId = await insertInbound(t, {
      message_id: input.messageId ?? inboundDedupeKey({ phone: input.phone, text: input.text, sentAt: input.sentAt, companyId: input.companyId }),
      phone: input.phone,
      body: capped.stored,
      received_at: (input.receivedAt ?? now).toISOString(),
    });
    if (inboundId === null) {
      result.duplicate = true;
      result.outcome = "duplicate";
      return { result, company: null, phone: input.phone };
    }
    result.inbound_message_id = inboundId;
    changes.push({ table: "inbound_messages", action: "insert", id: inboundId, values: { message_id: input.messageId ?? null } });

    const text = capped.text.trim();
    // Consent first (consent-service.ts): "PARAR" / "VOLTAR" are never read as an answer or feedback.
    const consent = input.media ? null : detectConsentRequest(text.slice(0, CLASSIFY_MAX_CHARS));
    const handled = consent && (await applyConsentRequest(t, consent, { phone: input.phone, text, messageId: input.messageId ?? null, inboundId, companyId: input.companyId }, now, result));
    if (handled) return { result, company: handled.company, phone: handled.phone, consent: true };
    const row = await findOpenFollowup(t, phoneVariants(input.phone), now, input.companyId);
    const company = row ? ((await getCompany(t, row.company_id)) ?? null) : null;
    const intentOf = () => (result.intent = input.intent ?? classify(text.slice(0, CLASSIFY_MAX_CHARS)));
    // The deciding rule stored beside the intent (replies list); a button tap decides by itself.
    const ruleOf = (intent: Intent | null) =>
      intent === null ? null : input.intent !== undefined ? "button" : deps.classify ? null : explainIntent(text.slice(0, CLASSIFY_MAX_CHARS)).rule;
    let offeredSlots: Date[] | undefined;

    if (!row || !company) {
      if (!input.media) intentOf();
      await setInboundResult(t, inboundId, { appointment_id: null, intent: result.intent, outcome: "unmatched", rule: input.media ?? ruleOf(result.intent) });
      return { result, company: null, phone: input.phone };
    }
    result.matched = true;
    result.appointment_id = row.id;
    result.company_id = row.company_id;

    if (olderThanFollowup(input.sentAt, row.followup_sent_at)) {
      // A replayed or history-synced message, written before the follow-up existed: kept, not applied.
      result.outcome = "older_than_followup";
      await setInboundResult(t, inboundId, { appointment_id: row.id, intent: null, outcome: "older_than_followup", rule: input.media ?? null });
      return { result, company: null, phone: row.client_phone };
    }
    if (input.media) {
      // A voice note, image, sticker…: nothing to classify, and a "não entendi" to a sticker would be noise.
      // The follow-up stays open (pending) and is flagged for the operator, who listens and answers.
      result.outcome = "non_text";
      await setInboundResult(t, inboundId, { appointment_id: row.id, intent: null, outcome: "non_text", rule: input.media });
      await audit("followup_non_text_reply", row.id, row.company_id, { kind: input.media, inbound_message_id: inboundId });
      return { result, company: null, phone: row.client_phone };
    }

    const cap = deps.botReplyCap ?? BOT_REPLY_CAP;
    const capWindowMs = deps.botReplyWindowMs ?? BOT_REPLY_WINDOW_MS;
    const recent = await recentBotReplies(t, row.id, new Date(now.getTime() - Math.max(capWindowMs, OWN_TEXT_WINDOW_MS)).toISOString());
    if (isOwnText(text, row, company, recent, now)) {
      // Loop guard: our own message came back (a gateway echo, another bot): not a reply, never answered.
      result.outcome = "own_text";
      await setInboundResult(t, inboundId, { appointment_id: row.id, intent: null, outcome: "own_text" });
      await audit("bot_reply_suppressed", row.id, row.company_id, { reason: "own_text", inbound_message_id: inboundId });
      return { result, company: null, phone: row.client_phone };
    }

    const respond = async (response: FollowupResponse, feedback: string | null) => {
      await recordResponse(t, row.id, response, nowIso, row.followup_status);
      update(row, "followup_response", row.followup_response, response);
      update(row, "followup_status", row.followup_status, response);
      update(row, "followup_responded_at", row.followup_responded_at, nowIso);
      if (row.followup_offered_slots !== null) update(row, "followup_offered_slots", row.followup_offered_slots, null);
      result.response = response;
      await audit("followup_response", row.id, row.company_id, { response, feedback });
    };

    // Ask once when unsure (domain/clarification.ts): the first reply without evidence gets the "1 ou 2"
    // question instead of a guess; the reply after it is read as the answer.
    const reading = row.followup_status === "sent" && input.intent === undefined && !deps.classify
      ? readFollowupReply(row, text.slice(0, CLASSIFY_MAX_CHARS)) : null;
    let outcome: InboundOutcome;
    if (row.followup_status === "positive") {
      // Awaiting the slot choice: a choice books; a no closes; anything else gets the options again.
      // One instant for the whole message: the booking's timestamps match the response's.
      const choice = await bookChosenSlot(t, () => now, company, row, input.slotChoice !== undefined ? String(input.slotChoice) : text, deps.booking);
      if (choice.kind === "booked") {
        outcome = "booked";
        result.bot_reply = choice.message;
        result.booked_appointment_id = choice.booked_appointment_id;
        update(row, "followup_booked_appointment_id", null, choice.booked_appointment_id);
        update(row, "followup_offered_slots", row.followup_offered_slots, null);
        changes.push({
          table: "appointments", action: "insert", id: choice.booked_appointment_id,
          values: { external_id: choice.external_id, start_time: choice.slot.toISOString(), end_time: choice.end.toISOString(), followup_status: choice.followup_status },
        });
        for (const a of choice.audits) changes.push({ table: "audit_log", action: "insert", id: a.id, values: { action: a.action } });
      } else if (choice.kind === "slot_taken") {
        outcome = "slot_taken";
        result.bot_reply = choice.message;
        update(row, "followup_offered_slots", row.followup_offered_slots, slotsJson(choice.slots));
        offeredSlots = choice.slots;
      } else {
        const intent = intentOf();
        if (intent === "followup_negative") {
          // "não quero mais": the client's last word is no; the audit trail keeps the earlier yes.
          outcome = "negative";
          await respond("negative", null);
          result.bot_reply = NEGATIVE_REPLY;
        } else {
          outcome = "not_understood";
          result.bot_reply = notUnderstood(choice.offered, company.timezone);
          offeredSlots = choice.offered;
        }
      }
    } else if (reading?.ask) {
      outcome = "clarification_asked";
      result.intent = reading.intent;
      await markClarificationAsked(t, row.id, nowIso);
      update(row, "followup_clarification_asked_at", row.followup_clarification_asked_at ?? null, nowIso);
      await audit("followup_clarification_asked", row.id, row.company_id, { doubt: reading.ask, rule: reading.rule });
      result.bot_reply = CLARIFY_QUESTION;
    } else {
      const intent = reading ? (result.intent = reading.intent) : intentOf();
      const response = RESPONSE_OF[intent];
      outcome = response;
      if (response === "feedback") {
        const feedbackId = await insertFeedback(t, row.id, text, nowIso);
        changes.push({ table: "feedback_events", action: "insert", id: feedbackId, values: { appointment_id: row.id, feedback_type: "followup_text", text } });
        await respond("feedback", text);
        result.bot_reply = FEEDBACK_REPLY;
      } else if (response === "negative") {
        await respond("negative", null);
        result.bot_reply = NEGATIVE_REPLY;
      } else {
        await respond("positive", null);
        const offer = await offerSlots(t, company, { ...row, followup_status: "positive", followup_offered_slots: null }, now, deps.booking);
        update(row, "followup_offered_slots", null, slotsJson(offer.slots));
        result.bot_reply = offer.message;
        offeredSlots = offer.slots;
      }
    }
    result.outcome = outcome;
    await setInboundResult(t, inboundId, { appointment_id: row.id, intent: result.intent, outcome, rule: reading?.rule ?? ruleOf(result.intent) });
    const capSince = new Date(now.getTime() - capWindowMs).toISOString();
    const answered = recent.filter((r) => r.sent && r.created_at >= capSince).length;
    if (result.bot_reply !== null && answered >= cap) {
      const reason = `${answered} bot answers to this conversation in the last ${Math.round(capWindowMs / 60_000)} minutes (at most ${cap}): recorded, not answered`;
      result.bot_reply_delivery = "suppressed";
      result.bot_reply_error = reason;
      await audit("bot_reply_suppressed", row.id, row.company_id, { reason: "cap", cap, window_minutes: Math.round(capWindowMs / 60_000), inbound_message_id: inboundId });
      return { result, company: null, phone: row.client_phone };
    }
    return offeredSlots ? { result, company, phone: row.client_phone, offeredSlots } : { result, company, phone: row.client_phone };
  }

  /**
   * A reply racing its own follow-up: the gateway delivered it and the customer (or an
   * auto-responder) answered before the daemon's group commit recorded it as sent (milliseconds).
   * Matched now, the reply would find no open follow-up and stay unmatched for good; it waits,
   * bounded, for the send's outcome to be committed. No lock is held meanwhile.
   */
  async function waitForSendInFlight(input: InboundInput, now: Date): Promise<void> {
    const phones = phoneVariants(input.phone);
    const until = Date.now() + SEND_IN_FLIGHT_WAIT_MS;
    while ((await followupSendInFlight(store, phones, now, input.companyId)) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function processInbound(input: InboundInput, opts: { dryRun?: boolean } = {}): Promise<ReplyResult> {
    const now = clock();
    let applied: Applied;
    if (opts.dryRun) {
      try {
        await store.tx(async (t) => {
          throw new DryRunRollback(await apply(t, input, now));
        });
        throw new Error("unreachable: the dry-run transaction must roll back");
      } catch (err) {
        if (!(err instanceof DryRunRollback)) throw err;
        applied = err.result;
      }
    } else {
      await waitForSendInFlight(input, now);
      applied = await store.tx((t) => apply(t, input, now));
    }
    const { result, company } = applied;
    logger.info("reply_processed", {
      phone: maskPhone(input.phone), appointment_id: result.appointment_id, company: result.company_id,
      intent: result.intent, outcome: result.outcome, dry_run: opts.dryRun ? true : undefined,
      media: input.media, sent_at: input.sentAt ? input.sentAt.toISOString() : undefined,
    });
    if (result.bot_reply_delivery === "suppressed" || result.outcome === "own_text") {
      logger.warn("bot_reply_suppressed", {
        phone: maskPhone(input.phone), appointment_id: result.appointment_id, company: result.company_id,
        reason: result.outcome === "own_text" ? "own_text" : result.bot_reply_error,
      });
    }
    if (result.bot_reply === null || company === null || (result.appointment_id === null && !applied.consent)) return result;
    if (opts.dryRun) {
      result.bot_reply_delivery = "dry_run";
      return result;
    }

    // The answer goes to the number the follow-up went to (the one Whaticket knows), not the JID's variant.
    const outcome = await sendSafely(company, applied.phone, result.bot_reply, applied.offeredSlots);
    result.bot_reply_delivery = outcome.kind === "sent" ? "sent" : "failed";
    if (outcome.kind !== "sent") {
      result.bot_reply_error = outcome.error;
      logger.warn("bot_reply_failed", { appointment_id: result.appointment_id, company: company.id, phone: maskPhone(applied.phone), kind: outcome.kind, error: outcome.error });
    }
    const payload: Record<string, unknown> = {
      outcome: outcome.kind, status: outcome.status ?? null, reply_to: result.outcome, body: result.bot_reply,
      inbound_message_id: result.inbound_message_id, duration_ms: outcome.durationMs,
    };
    if (outcome.kind !== "sent") payload.error = outcome.error;
    else if (outcome.messageId !== undefined) payload.message_id = outcome.messageId;
    try {
      const at = clock().toISOString();
      const id = await writeAudit(store, { action: "followup_bot_reply", appointment_id: result.appointment_id, company_id: company.id, payload, created_at: at });
      result.changes.push({ table: "audit_log", action: "insert", id, values: { action: "followup_bot_reply", outcome: outcome.kind } });
    } catch (err) {
      // The response is committed and the answer is out; a missing audit row must not turn that into an error.
      logger.error("bot_reply_audit_failed", { appointment_id: result.appointment_id, error: (err as Error).message });
    }
    return result;
  }

  async function sendSafely(company: CompanyRow, phone: string, body: string, slots?: Date[]): Promise<SendOutcome> {
    const started = Date.now();
    try {
      // The company's rate limit is one budget for every message it sends (scheduler, bot, resend).
      if (company.rate_limit > 0) {
        const [slot] = await reserveSendSlots(store, { companyId: company.id, count: 1, rate: company.rate_limit, nowMs: Date.now(), horizonMs: BOT_REPLY_BUDGET_WAIT_MS });
        if (slot === undefined) {
          return { kind: "transient", error: `the company's send budget (${company.rate_limit}/s) is taken for the next minute: answer not sent`, durationMs: Date.now() - started };
        }
        if (slot > Date.now()) await new Promise((r) => setTimeout(r, slot - Date.now()));
      }
      return await (slots ? sender.send(company, phone, body, { slots }) : sender.send(company, phone, body));
    } catch (err) {
      return { kind: "transient", error: `send failed: ${(err as Error)?.message ?? String(err)}`, durationMs: Date.now() - started };
    }
  }

  return { processInbound };
}

/** Whitespace-insensitive equality with one of our own recent texts: a bot answer, or the follow-up itself. */
function isOwnText(
  text: string,
  row: AppointmentRow,
  company: CompanyRow,
  recent: { body: string | null; created_at: string }[],
  now: Date,
): boolean {
  const norm = (s: string) => s.replace(/\s+/g, " ").trim().toLowerCase();
  const t = norm(text);
  if (!t) return false;
  const since = new Date(now.getTime() - OWN_TEXT_WINDOW_MS).toISOString();
  if (recent.some((r) => r.body !== null && r.created_at >= since && norm(r.body) === t)) return true;
  if (row.followup_sent_at && row.followup_sent_at >= since) {
    return norm(buildFollowupMessage(row, company, new Date(row.followup_sent_at)).body) === t;
  }
  return false;
}

function slotsJson(slots: Date[]): string | null {
  return slots.length ? JSON.stringify(slots.map((s) => s.toISOString())) : null;
}

/** "Não entendi…" followed by the options still on offer. */
export function notUnderstood(offered: Date[], timezone: string): string {
  const list = offered.map((s, i) => `${i + 1}) ${formatSlotPtBR(s, timezone)}`).join("\n");
  return list ? `${slotChoiceNotUnderstoodMessage(offered.length)}\n${list}` : slotChoiceNotUnderstoodMessage(0);
}
