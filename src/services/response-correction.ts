import type { Clock } from "../clock.js";
import { UserError } from "../errors.js";
import { getAppointment, type AppointmentRow } from "../store/appointments.js";
import { writeAudit } from "../store/audit.js";
import { getCompany, type CompanyRow } from "../store/companies.js";
import { listInbound } from "../store/inbox.js";
import { insertFeedback, recordResponse, type FollowupResponse } from "../store/replies.js";
import type { Store } from "../store/store.js";
import { offerSlots, type BookingOptions } from "./booking-service.js";
import type { ReplySender } from "./reply-service.js";

/**
 * An operator corrects a misread reply (`followups set-response ID positive|negative|feedback`):
 * the follow-up gets the effects a real reply of that kind would have had —
 *   positive: free slots are offered and stored (the client's next message chooses one, as usual);
 *             the offer is sent through the gateway unless `send` is false;
 *   negative: the cycle ends (nothing is sent: the client already had an answer to their message);
 *   feedback: a feedback event with --text, else the client's last message.
 * Audited as `followup_response` {response, feedback, corrected_by: "operator", previous} — the same
 * action a real reply writes, so the durable counters (and /metrics' *_total) count a correction as
 * one more response recorded — plus `response_corrected` {from, to, feedback}. `stats` reads the
 * follow-ups' current response, so there a correction moves the follow-up from one count to the other.
 */

export interface CorrectionInput {
  id: number;
  response: FollowupResponse;
  /** The feedback text (feedback only); default the client's last message to this follow-up. */
  text?: string;
  /** Send the slot offer (positive) through the gateway; false only records it. */
  send: boolean;
}

export interface CorrectionResult {
  appointment_id: number;
  company_id: string;
  from: FollowupResponse | null;
  to: FollowupResponse;
  feedback: string | null;
  offered_slots: string[];
  bot_reply: string | null;
  bot_reply_delivery: "sent" | "failed" | "not_sent" | null;
  bot_reply_error: string | null;
}

/** States that have a reply to correct (or a missing one to set: sent, awaiting a reply). */
const CORRECTABLE = new Set(["sent", "positive", "negative", "feedback"]);

export async function correctResponse(
  deps: { store: Store; clock: Clock; sender?: ReplySender; booking?: BookingOptions },
  input: CorrectionInput,
): Promise<CorrectionResult> {
  const now = deps.clock();
  const at = now.toISOString();
  const { result, company, phone } = await deps.store.tx(async (t) => {
    const row = await getAppointment(t, input.id);
    if (!row) throw new UserError(`no appointment with id ${input.id}: see \`secretaria followups list\``);
    check(row, input);
    const company = (await getCompany(t, row.company_id)) as CompanyRow;
    const from = (row.followup_response as FollowupResponse | null) ?? null;
    let feedback: string | null = null;
    if (input.response === "feedback") {
      feedback = input.text?.trim() || (await lastClientText(t, row.id));
      if (!feedback) throw new UserError(`follow-up ${row.id} has no message from the client to keep as feedback: pass --text "what the client said"`);
    }
    if (!(await recordResponse(t, row.id, input.response, at, row.followup_status))) {
      throw new UserError(`follow-up ${row.id} changed while it was being corrected: run the command again`);
    }
    if (feedback !== null) await insertFeedback(t, row.id, feedback, at);
    let offered: Date[] = [];
    let message: string | null = null;
    if (input.response === "positive") {
      const offer = await offerSlots(t, company, { ...row, followup_status: "positive", followup_offered_slots: null }, now, deps.booking);
      offered = offer.slots;
      message = offer.message;
    }
    await writeAudit(t, {
      action: "followup_response", appointment_id: row.id, company_id: row.company_id, created_at: at,
      payload: { response: input.response, feedback, corrected_by: "operator", previous: from },
    });
    await writeAudit(t, {
      action: "response_corrected", appointment_id: row.id, company_id: row.company_id, created_at: at,
      payload: { from, to: input.response, feedback, offered_slots: offered.map((s) => s.toISOString()) },
    });
    const result: CorrectionResult = {
      appointment_id: row.id, company_id: row.company_id, from, to: input.response, feedback,
      offered_slots: offered.map((s) => s.toISOString()), bot_reply: message, bot_reply_delivery: null, bot_reply_error: null,
    };
    return { result, company, phone: row.client_phone };
  });

  if (result.bot_reply === null) return result;
  if (!input.send || !deps.sender) {
    result.bot_reply_delivery = "not_sent";
    return result;
  }
  // After commit, as the reply service does: a failed send leaves the correction recorded.
  const started = Date.now();
  const outcome = await deps.sender
    .send(company, phone, result.bot_reply)
    .catch((err: unknown) => ({ kind: "transient" as const, status: 0, error: `send failed: ${(err as Error)?.message ?? String(err)}`, durationMs: Date.now() - started }));
  result.bot_reply_delivery = outcome.kind === "sent" ? "sent" : "failed";
  if (outcome.kind !== "sent") result.bot_reply_error = outcome.error;
  await writeAudit(deps.store, {
    action: "followup_bot_reply", appointment_id: result.appointment_id, company_id: result.company_id, created_at: deps.clock().toISOString(),
    payload: {
      outcome: outcome.kind, status: outcome.status ?? null, reply_to: "operator_correction", body: result.bot_reply,
      duration_ms: outcome.durationMs, ...(outcome.kind !== "sent" ? { error: outcome.error } : {}),
    },
  });
  return result;
}

function check(row: AppointmentRow, input: CorrectionInput): void {
  if (!CORRECTABLE.has(row.followup_status) || !row.followup_sent_at) {
    throw new UserError(`follow-up ${row.id} is ${row.followup_status}: only a sent follow-up (awaiting or answered) has a reply to correct`);
  }
  if (row.followup_booked_appointment_id) {
    throw new UserError(
      `follow-up ${row.id} already booked appointment ${row.followup_booked_appointment_id}: cancel that appointment first if the client did not want it`,
    );
  }
  if (row.followup_response === input.response && input.response !== "feedback") {
    throw new UserError(`follow-up ${row.id} is already ${input.response}: nothing to correct`);
  }
}

async function lastClientText(q: Store | Parameters<typeof listInbound>[0], id: number): Promise<string | null> {
  const [last] = await listInbound(q, { appointmentId: id, limit: 1 });
  return last ? last.body : null;
}
