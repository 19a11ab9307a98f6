import { nonTextAnswer } from "../render/followup-format.js";
import { stripControl } from "../render/safe-text.js";
import { getAppointment, type AppointmentRow } from "../store/appointments.js";
import { listAudit } from "../store/audit-queries.js";
import { listInbound } from "../store/inbox.js";
import type { Q } from "../store/store.js";
import { awaitingClarification } from "../domain/clarification.js";
import { UserError } from "../errors.js";

/**
 * One follow-up's whole story in time order (`followups show ID`): what the client wrote
 * (inbound_messages), what was sent to them (audit followup_sent / followup_bot_reply), the state
 * changes (followup_response, clarification, bookings) and the rest of its audit trail.
 * Customer text is control-stripped here, once, for every renderer.
 */

export type StoryKind = "inbound" | "outbound" | "state" | "audit";

export interface StoryEvent {
  at: string;
  kind: StoryKind;
  /** The audit action, or "message" for an inbound message. */
  action: string;
  /** Words exchanged: the client's message, or the bot's answer. */
  text: string | null;
  /** A short explanation: intent and rule, delivery outcome, the state reached. */
  detail: string;
  /** The audit entry's or inbound message's id. */
  ref: number;
}

export interface FollowupStory {
  /** followup_non_text_reply: as `followups list` (store/followup-queries.ts NON_TEXT_REPLY). */
  followup: AppointmentRow & { followup_awaiting_clarification: boolean; followup_non_text_reply: string | null };
  events: StoryEvent[];
}

/** At most this many inbound messages and audit entries are read (a story is short; a loop is not). */
const STORY_MAX = 1000;

export async function followupStory(q: Q, id: number): Promise<FollowupStory> {
  const row = await getAppointment(q, id);
  if (!row) throw new UserError(`no appointment with id ${id}: see \`secretaria followups list\``);
  const inbound = await listInbound(q, { appointmentId: id, ascending: true, limit: STORY_MAX });
  const { rows: audit } = await listAudit(q, { appointmentId: id, limit: STORY_MAX, offset: 0 });
  const events: StoryEvent[] = [];
  for (const m of inbound) {
    const how = [m.intent?.replace(/^followup_/, ""), m.rule ? `(${m.rule})` : null, `→ ${m.outcome}`].filter(Boolean).join(" ");
    events.push({ at: m.received_at, kind: "inbound", action: "message", text: stripControl(m.body), detail: how, ref: Number(m.id) });
  }
  for (const a of [...audit].reverse()) events.push(auditEvent(a.id, a.action, a.created_at, parsePayload(a.payload)));
  // Time order; at one instant the client's message comes before what it caused, audit entries by id.
  const rank = (e: StoryEvent) => (e.kind === "inbound" ? 0 : 1);
  events.sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : rank(x) - rank(y) || x.ref - y.ref));
  return { followup: { ...row, followup_awaiting_clarification: awaitingClarification(row), followup_non_text_reply: nonTextReply(row, inbound) }, events };
}

/** TS twin of NON_TEXT_REPLY: the kind of the open follow-up's last answer when it was not text. */
function nonTextReply(row: AppointmentRow, inbound: { received_at: string; outcome: string; rule: string | null }[]): string | null {
  const open = row.followup_status === "sent" || (row.followup_status === "positive" && row.followup_booked_appointment_id === null);
  if (!open || !row.followup_sent_at) return null;
  const since = row.followup_sent_at;
  const answers = inbound.filter((m) => m.received_at >= since && m.outcome !== "own_text" && m.outcome !== "older_than_followup");
  const last = answers.at(-1);
  return last?.outcome === "non_text" ? last.rule : null;
}

function parsePayload(p: string): Record<string, unknown> {
  try {
    const v = JSON.parse(p) as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function str(v: unknown): string | null {
  return typeof v === "string" ? stripControl(v) : null;
}

function auditEvent(id: number, action: string, at: string, p: Record<string, unknown>): StoryEvent {
  const base = { at, action, ref: Number(id) };
  switch (action) {
    case "followup_sent":
      return { ...base, kind: "outbound", text: null, detail: p.resend ? `follow-up sent again (was ${String(p.previous_status ?? "?")})` : "follow-up sent" };
    case "followup_bot_reply":
      return { ...base, kind: "outbound", text: str(p.body), detail: `bot answer: ${String(p.outcome ?? "?")}${p.error ? ` (${str(p.error)})` : ""}` };
    case "followup_response": {
      const by = p.corrected_by ? ` (corrected by ${String(p.corrected_by)})` : "";
      return { ...base, kind: "state", text: str(p.feedback), detail: `→ ${String(p.response ?? "?")}${by}` };
    }
    case "response_corrected":
      return { ...base, kind: "state", text: null, detail: `operator corrected ${String(p.from ?? "none")} → ${String(p.to ?? "?")}` };
    case "followup_non_text_reply":
      return { ...base, kind: "state", text: null, detail: `${nonTextAnswer(String(p.kind ?? ""))}: still open, for the operator to answer` };
    case "followup_clarification_asked":
      return { ...base, kind: "state", text: null, detail: `asked to answer 1 or 2 (${String(p.doubt ?? "unclear")})` };
    default:
      return { ...base, kind: "audit", text: null, detail: stripControl(JSON.stringify(p)) };
  }
}
