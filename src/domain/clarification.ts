import { explainIntent, type Intent, type IntentDoubt } from "./intent.js";
import { normalizeText } from "./text-normalize.js";

/**
 * Asking once when unsure. When a reply to the follow-up carries no evidence (explainIntent's
 * `doubt`), the bot asks CLARIFY_QUESTION instead of guessing; the next reply decides:
 *   "1", "1️⃣", "um", "opção 1", "o 1"  → positive (slots are offered as for a yes)
 *   "2", "2️⃣", "dois", "opção 2"       → negative
 *   anything the ContextEngine reads with evidence ("quero marcar", "não, obrigado", a complaint) → its intent
 *   a second reply without evidence     → kept as feedback (never asked twice)
 */

export const CLARIFY_QUESTION = "Desculpe, não entendi 😊 Responda 1 para marcar o próximo encontro ou 2 se preferir não marcar agora.";

/** How the answer to the clarification question reads. */
export interface ClarificationReading {
  intent: Intent;
  /** "choice-1" / "choice-2" for the numbered answers, else the ContextEngine's rule; "second-doubt" when still unclear. */
  rule: string;
}

const ONE = /^(?:(?:opcao|opc|op|numero|no|n|o|a)\s+)?(?:1|um|uma|primeira|primeiro)(?:\s+(?:por favor|pfv|pf|obrigad[oa]|obg))?$/;
const TWO = /^(?:(?:opcao|opc|op|numero|no|n|o|a)\s+)?(?:2|dois|duas|segunda|segundo)(?:\s+(?:por favor|pfv|pf|obrigad[oa]|obg))?$/;

/** The numbered choice alone ("1", "opção 2", "dois"), or null. Keycap emoji read as their digit. */
export function numberedChoice(text: string): 1 | 2 | null {
  const n = normalizeText(text.replace(/([12])\uFE0F?\u20E3/gu, "$1")).trim();
  if (ONE.test(n)) return 1;
  if (TWO.test(n)) return 2;
  return null;
}

/** The answer to CLARIFY_QUESTION: a numbered choice, else the ContextEngine when it has evidence, else feedback. */
export function readClarification(text: string): ClarificationReading {
  const choice = numberedChoice(text);
  if (choice === 1) return { intent: "followup_positive", rule: "choice-1" };
  if (choice === 2) return { intent: "followup_negative", rule: "choice-2" };
  const e = explainIntent(text);
  if (e.doubt) return { intent: "followup_feedback", rule: "second-doubt" };
  return { intent: e.intent, rule: e.rule };
}

/**
 * Whether a follow-up awaits the answer to CLARIFY_QUESTION: still `sent`, and asked at or after its
 * last send (a resend starts the conversation over).
 */
export function awaitingClarification(row: {
  followup_status: string;
  followup_sent_at: string | null;
  followup_clarification_asked_at?: string | null;
}): boolean {
  const asked = row.followup_clarification_asked_at;
  return row.followup_status === "sent" && !!asked && !!row.followup_sent_at && asked >= row.followup_sent_at;
}

/** How a reply to a `sent` follow-up reads: its intent, the deciding rule, and whether to ask instead (first unclear reply). */
export interface FollowupReading {
  intent: Intent;
  rule: string;
  /** Non-null: ask CLARIFY_QUESTION rather than act (why the evidence is weak). */
  ask: IntentDoubt | null;
}

export function readFollowupReply(
  row: Parameters<typeof awaitingClarification>[0],
  text: string,
): FollowupReading {
  if (awaitingClarification(row)) return { ...readClarification(text), ask: null };
  const e = explainIntent(text);
  return { intent: e.intent, rule: e.rule, ask: e.doubt };
}
