import type { ConsentRequest } from "../domain/consent-words.js";
import { OPT_IN_CONFIRMATION, OPT_OUT_CONFIRMATION } from "../domain/messages.js";
import { normalizePhone, phoneVariants } from "../domain/phone.js";
import { normalizeText } from "../domain/text-normalize.js";
import { UserError } from "../errors.js";
import { writeAudit } from "../store/audit.js";
import { getCompany, type CompanyRow } from "../store/companies.js";
import {
  addDoNotContact, companiesWithPhone, findDoNotContact, listDoNotContact, removeDoNotContact, skipScheduledForPhones,
  type DoNotContactRow,
} from "../store/consent.js";
import { findOpenFollowup, recordResponse, setInboundResult } from "../store/replies.js";
import type { Q } from "../store/store.js";
import type { ReplyResult } from "./reply-service.js";

/**
 * Consent that sticks (LGPD; WhatsApp business policy): a client who asks to stop ("PARAR") goes
 * on the company's do-not-contact list, and no follow-up reaches that phone again (the claim, the
 * sweep and resend check the list in SQL) until the client writes VOLTAR or the operator opts it
 * back in. Follow-ups skipped meanwhile stay skipped; later ones schedule again.
 *
 * The audit rows never carry the phone or the text: an erase must not have to rewrite them.
 */

const OWN_CONFIRMATIONS = new Set([OPT_OUT_CONFIRMATION, OPT_IN_CONFIRMATION].map((t) => normalizeText(t)));

/** The inbound message asking, as the reply service stored it. */
export interface ConsentMessage {
  phone: string;
  text: string;
  messageId: string | null;
  inboundId: number;
  /** Only this company (reply simulate --company). */
  companyId?: string;
}

/** What the reply service sends after commit: one confirmation, from one company's number. */
export interface ConsentHandled {
  company: CompanyRow | null;
  phone: string;
}

/**
 * Applies an opt-out or opt-in found in an inbound message, inside the reply's transaction.
 * Opt-out: the company of the matched follow-up, or (no follow-up open) every company that has the
 * phone. Opt-in: every company whose list holds the phone. Returns null when there is nothing to
 * do (a VOLTAR from a phone on no list): the message is then read as an ordinary reply.
 */
export async function applyConsentRequest(t: Q, kind: ConsentRequest, m: ConsentMessage, now: Date, result: ReplyResult): Promise<ConsentHandled | null> {
  // Our own confirmation coming back (a gateway echo) says "responda VOLTAR": never a request.
  if (OWN_CONFIRMATIONS.has(normalizeText(m.text))) return null;
  const nowIso = now.toISOString();
  const variants = phoneVariants(m.phone);
  const audit = async (action: "consent_revoked" | "consent_granted" | "followup_response" | "followup_skipped", appointmentId: number | null, companyId: string, payload: Record<string, unknown>) => {
    const id = await writeAudit(t, { action, appointment_id: appointmentId, company_id: companyId, payload, created_at: nowIso });
    result.changes.push({ table: "audit_log", action: "insert", id, values: { action, ...payload } });
  };
  const source = { source: "whatsapp", inbound_message_id: m.inboundId, message_id: m.messageId };

  if (kind === "opt_in") {
    const rows = await findDoNotContact(t, variants, m.companyId);
    if (rows.length === 0) return null;
    let first: DoNotContactRow | null = null;
    for (const row of rows) {
      const removed = await removeDoNotContact(t, row.company_id, [row.phone]);
      if (removed.length === 0) continue;
      first ??= row;
      await audit("consent_granted", null, row.company_id, source);
    }
    result.outcome = "opted_in";
    result.company_id = first?.company_id ?? null;
    await setInboundResult(t, m.inboundId, { appointment_id: null, intent: null, outcome: "opted_in" });
    if (!first) return { company: null, phone: m.phone };
    result.bot_reply = OPT_IN_CONFIRMATION;
    return { company: (await getCompany(t, first.company_id)) ?? null, phone: first.phone };
  }

  const open = await findOpenFollowup(t, variants, now, m.companyId);
  const targets = open
    ? [{ company_id: open.company_id, client_phone: open.client_phone }]
    : (await companiesWithPhone(t, variants)).filter((c) => m.companyId === undefined || c.company_id === m.companyId);
  let confirmFrom: { company_id: string; client_phone: string } | null = null;
  for (const target of targets) {
    const added = await addDoNotContact(t, {
      company_id: target.company_id, phone: target.client_phone, since: nowIso, reason: "client_request", message: m.text, message_id: m.messageId,
    });
    const skipped = await skipScheduledForPhones(t, target.company_id, phoneVariants(target.client_phone), nowIso);
    for (const id of skipped) await audit("followup_skipped", id, target.company_id, { reason: "opted_out" });
    if (!added) continue;
    result.changes.push({ table: "do_not_contact", action: "insert", id: null, values: { company_id: target.company_id } });
    await audit("consent_revoked", open?.id ?? null, target.company_id, { ...source, skipped });
    confirmFrom ??= target;
  }
  if (open) {
    result.matched = true;
    result.appointment_id = open.id;
    result.company_id = open.company_id;
    // The answer to the follow-up is still a no (release notes' followup_response), recorded once.
    if (await recordResponse(t, open.id, "negative", nowIso, open.followup_status)) {
      result.response = "negative";
      await audit("followup_response", open.id, open.company_id, { response: "negative", feedback: null, opted_out: true });
    }
  } else if (confirmFrom) {
    result.company_id = confirmFrom.company_id;
  }
  result.outcome = "opted_out";
  await setInboundResult(t, m.inboundId, { appointment_id: open?.id ?? null, intent: null, outcome: "opted_out" });
  // One confirmation: a second PARAR from a phone already on the list is not answered.
  if (!confirmFrom) return { company: null, phone: m.phone };
  result.bot_reply = OPT_OUT_CONFIRMATION;
  return { company: (await getCompany(t, confirmFrom.company_id)) ?? null, phone: confirmFrom.client_phone };
}

/** A phone typed by the operator, as appointments store it. */
export function operatorPhone(raw: string): string {
  const phone = normalizePhone(raw);
  if (!phone) throw new UserError(`--phone "${raw}" is not a phone number: write it with the area code, e.g. --phone "+55 11 99999-0000"`);
  return phone;
}

async function requireCompany(q: Q, id: string): Promise<CompanyRow> {
  const company = await getCompany(q, id);
  if (!company) throw new UserError(`company "${id}" does not exist: see secretaria companies list`);
  return company;
}

export interface OptOutResult {
  added: boolean;
  entry: DoNotContactRow;
  skipped: number[];
}

/** `contacts optout`: the operator puts a phone on the list (e.g. the client asked by phone). Audited consent_revoked. */
export async function operatorOptOut(q: Q, p: { companyId: string; phone: string; note?: string | null; now: Date }): Promise<OptOutResult> {
  await requireCompany(q, p.companyId);
  const nowIso = p.now.toISOString();
  const added = await addDoNotContact(q, { company_id: p.companyId, phone: p.phone, since: nowIso, reason: "operator", message: p.note ?? null, message_id: null });
  const skipped = await skipScheduledForPhones(q, p.companyId, phoneVariants(p.phone), nowIso);
  for (const id of skipped) await writeAudit(q, { action: "followup_skipped", appointment_id: id, company_id: p.companyId, payload: { reason: "opted_out" }, created_at: nowIso });
  if (added) await writeAudit(q, { action: "consent_revoked", company_id: p.companyId, payload: { source: "operator", skipped }, created_at: nowIso });
  const [entry] = await findDoNotContact(q, [p.phone], p.companyId);
  return { added, entry: entry!, skipped };
}

/** `contacts optin`: off the list (every variant of the number); future follow-ups schedule again. Audited consent_granted. */
export async function operatorOptIn(q: Q, p: { companyId: string; phone: string; now: Date }): Promise<DoNotContactRow[]> {
  await requireCompany(q, p.companyId);
  const removed = await removeDoNotContact(q, p.companyId, phoneVariants(p.phone));
  if (removed.length) await writeAudit(q, { action: "consent_granted", company_id: p.companyId, payload: { source: "operator" }, created_at: p.now.toISOString() });
  return removed;
}

export async function contactEntries(q: Q, p: { companyId?: string; phone?: string }): Promise<DoNotContactRow[]> {
  if (p.companyId !== undefined) await requireCompany(q, p.companyId);
  if (p.phone !== undefined) return findDoNotContact(q, phoneVariants(p.phone), p.companyId);
  return listDoNotContact(q, p.companyId);
}

/** Whether a company's follow-ups to this phone are blocked by its list (resend's refusal). */
export async function isOptedOut(q: Q, companyId: string, phone: string): Promise<boolean> {
  return (await findDoNotContact(q, [phone], companyId)).length > 0;
}
