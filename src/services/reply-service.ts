import type { Clock } from "../clock.js";
import { classifyIntent, type Intent } from "../domain/intent.js";
import { FEEDBACK_REPLY, NEGATIVE_REPLY, formatSlotPtBR, slotChoiceNotUnderstoodMessage } from "../domain/messages.js";
import { maskPhone, phoneVariants } from "../domain/phone.js";
import type { WhaticketDefaults } from "../config.js";
import type { SendOutcome, WhaticketGateway } from "../gateway/whaticket.js";
import type { Logger } from "../logger.js";
import type { AppointmentRow } from "../store/appointments.js";
import { writeAudit, type AuditAction } from "../store/audit.js";
import { getCompany, type CompanyRow } from "../store/companies.js";
import type { Q, Store } from "../store/store.js";
import {
  findOpenFollowup, insertFeedback, insertInbound, recordResponse, setInboundResult,
  type FollowupResponse, type InboundOutcome,
} from "../store/replies.js";
import { bookChosenSlot, offerSlots, type BookingOptions } from "./booking-service.js";
import { missingTargetReason, resolveTarget } from "./followup-service.js";

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
  send(company: CompanyRow, phone: string, body: string): Promise<SendOutcome>;
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
  /** The WhatsApp message id: a repeated id is applied once. Absent: no de-duplication. */
  messageId?: string | null;
  /** When the message arrived; default the clock. */
  receivedAt?: Date;
  /** Only match follow-ups of this company (reply simulate --company). */
  companyId?: string;
}

/** One row-level effect, for `reply simulate` and the webhook's answer. */
export interface Change {
  table: "appointments" | "inbound_messages" | "feedback_events" | "audit_log";
  action: "insert" | "update";
  id: number | null;
  column?: string;
  from?: unknown;
  to?: unknown;
  /** Inserted values worth showing (e.g. the audit action, the booked slot). */
  values?: Record<string, unknown>;
}

export type BotReplyDelivery = "sent" | "failed" | "dry_run";

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
}

export interface ReplyService {
  processInbound(input: InboundInput, opts?: { dryRun?: boolean }): Promise<ReplyResult>;
}

/** Text beyond this is still stored, but not read by the classifier (bounded work per message). */
const CLASSIFY_MAX_CHARS = 4000;

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

    const inboundId = await insertInbound(t, {
      message_id: input.messageId ?? null,
      phone: input.phone,
      body: input.text,
      received_at: (input.receivedAt ?? now).toISOString(),
    });
    if (inboundId === null) {
      result.duplicate = true;
      result.outcome = "duplicate";
      return { result, company: null, phone: input.phone };
    }
    result.inbound_message_id = inboundId;
    changes.push({ table: "inbound_messages", action: "insert", id: inboundId, values: { message_id: input.messageId ?? null } });

    const text = input.text.trim();
    const row = await findOpenFollowup(t, phoneVariants(input.phone), now, input.companyId);
    const company = row ? ((await getCompany(t, row.company_id)) ?? null) : null;
    const intentOf = () => (result.intent = classify(text.slice(0, CLASSIFY_MAX_CHARS)));

    if (!row || !company) {
      intentOf();
      await setInboundResult(t, inboundId, { appointment_id: null, intent: result.intent, outcome: "unmatched" });
      return { result, company: null, phone: input.phone };
    }
    result.matched = true;
    result.appointment_id = row.id;
    result.company_id = row.company_id;

    const respond = async (response: FollowupResponse, feedback: string | null) => {
      await recordResponse(t, row.id, response, nowIso, row.followup_status);
      update(row, "followup_response", row.followup_response, response);
      update(row, "followup_status", row.followup_status, response);
      update(row, "followup_responded_at", row.followup_responded_at, nowIso);
      if (row.followup_offered_slots !== null) update(row, "followup_offered_slots", row.followup_offered_slots, null);
      result.response = response;
      await audit("followup_response", row.id, row.company_id, { response, feedback });
    };

    let outcome: InboundOutcome;
    if (row.followup_status === "positive") {
      // Awaiting the slot choice: a choice books; a no closes; anything else gets the options again.
      // One instant for the whole message: the booking's timestamps match the response's.
      const choice = await bookChosenSlot(t, () => now, company, row, text, deps.booking);
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
        }
      }
    } else {
      const intent = intentOf();
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
      }
    }
    result.outcome = outcome;
    await setInboundResult(t, inboundId, { appointment_id: row.id, intent: result.intent, outcome });
    return { result, company, phone: row.client_phone };
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
      applied = await store.tx((t) => apply(t, input, now));
    }
    const { result, company } = applied;
    logger.info("reply_processed", {
      phone: maskPhone(input.phone), appointment_id: result.appointment_id, company: result.company_id,
      intent: result.intent, outcome: result.outcome, dry_run: opts.dryRun ? true : undefined,
    });
    if (result.bot_reply === null || company === null || result.appointment_id === null) return result;
    if (opts.dryRun) {
      result.bot_reply_delivery = "dry_run";
      return result;
    }

    // The answer goes to the number the follow-up went to (the one Whaticket knows), not the JID's variant.
    const outcome = await sendSafely(company, applied.phone, result.bot_reply);
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

  async function sendSafely(company: CompanyRow, phone: string, body: string): Promise<SendOutcome> {
    const started = Date.now();
    try {
      return await sender.send(company, phone, body);
    } catch (err) {
      return { kind: "transient", error: `send failed: ${(err as Error)?.message ?? String(err)}`, durationMs: Date.now() - started };
    }
  }

  return { processInbound };
}

function slotsJson(slots: Date[]): string | null {
  return slots.length ? JSON.stringify(slots.map((s) => s.toISOString())) : null;
}

/** "Não entendi…" followed by the options still on offer. */
export function notUnderstood(offered: Date[], timezone: string): string {
  const list = offered.map((s, i) => `${i + 1}) ${formatSlotPtBR(s, timezone)}`).join("\n");
  return list ? `${slotChoiceNotUnderstoodMessage(offered.length)}\n${list}` : slotChoiceNotUnderstoodMessage(0);
}
