import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Clock } from "../clock.js";
import { iso } from "../clock.js";
import type { WhaticketDefaults } from "../config.js";
import { UserError } from "../errors.js";
import { formatQuietHours, isInQuietHours, moveOutOfQuietHours, parseQuietHours } from "../domain/hours.js";
import { resendRefusal } from "../domain/lifecycle.js";
import { followupMessage, type SendDay } from "../domain/messages.js";
import { decideAfterSend, DEFAULT_RETRY_POLICY, type BackoffOptions } from "../domain/retry.js";
import type { OutgoingMessage, SendOutcome, WhaticketGateway, WhaticketTarget } from "../gateway/whaticket.js";
import { missingTargetReason, resolveTarget } from "./whaticket-target.js";
import { followupContent, gatewayConfigFix, gatewayName, GatewayRouter, missingCompanyTargetReason, resolveCompanyTarget, type GatewaySet } from "./gateway-service.js";
import { getAppointment, type AppointmentRow } from "../store/appointments.js";
import { writeAudit } from "../store/audit.js";
import { findDoNotContact } from "../store/consent.js";
import { getCompany, type CompanyRow } from "../store/companies.js";
import type { Q, Store } from "../store/store.js";
import {
  abortResend, completeResend, leaseForResend, reserveSendSlots, markFailed, markSent, markSentBatch, pauseCompany, releaseClaim, rescheduleRetry,
  sweepUnsendable, unpauseCompany, type ClaimedRow, type SkippedRow,
} from "../store/followups.js";

/**
 * Sending one follow-up and recording what happened: the daemon's per-row work and
 * `followups resend` (CLI now, HTTP API later). SQL stays in store/followups.ts; the decisions
 * (retry, fail, pause) come from domain/retry.ts.
 */

export const DEFAULT_MAX_ATTEMPTS = 5;
/** Long enough for the send (10 s timeout) and the commit, short enough that a crash is recovered soon. */
export const DEFAULT_LEASE_MS = 2 * 60_000;

export interface RetrySettings extends BackoffOptions {
  /** Transient failures allowed before the follow-up is failed. Default 5. */
  maxAttempts: number;
  /** How long a paused company waits before one follow-up probes Whaticket again. Default 5 min. */
  pauseMs: number;
}

export function retrySettings(partial: Partial<RetrySettings> = {}): RetrySettings {
  return {
    ...DEFAULT_RETRY_POLICY,
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
    ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)),
  } as RetrySettings;
}

/** A lease owner id: which process holds a row (host:pid) plus a random part for each daemon or resend. */
export function leaseOwner(kind: "daemon" | "resend"): string {
  return `${kind}:${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
}

/**
 * The delivery claim: a batch of due follow-ups leased to `owner` (its own transaction, or inside
 * the caller's: the SQLite hot-path thread commits it with the outcomes that wait), and the lease's
 * other moves (given back, deferred past quiet hours, reclaimed after a crash, all given back on
 * stop) and the company's shared send budget. The SQL and its indexes are in store/followups.ts.
 */
export { claimDue, claimRows, deferClaim, reclaimExpiredLeases, releaseAllClaims, releaseClaim, reserveSendSlots } from "../store/followups.js";

/**
 * The tick's sweep: due follow-ups that can no longer be sent (12 h past due, consent withdrawn,
 * opted out, cancelled) become skipped with their reason, each audited `followup_skipped`, in one
 * transaction. Returns the rows it changed.
 */
export function sweepUnsendableFollowups(store: Store, now: Date, expiryMs: number): Promise<SkippedRow[]> {
  const at = iso(now);
  return sweepUnsendable(store, { now: at, expiryCutoff: iso(new Date(now.getTime() - expiryMs)) }, async (t, rows) => {
    for (const r of rows) {
      await writeAudit(t, { action: "followup_skipped", appointment_id: r.id, company_id: r.company_id, payload: { reason: r.followup_skip_reason }, created_at: at });
    }
  });
}

// ── Whaticket target (whaticket-target.ts; re-exported for existing callers) ─────────────────

export { missingTargetReason, resolveTarget } from "./whaticket-target.js";

/** The one line the daemon refuses to start with when some company cannot send; null when all can. */
export function missingWhaticketConfig(companies: CompanyRow[], defaults: WhaticketDefaults): string | null {
  const problems = companies.map((c) => missingTargetReason(c, defaults)).filter((p): p is string => p !== null);
  if (!problems.length) return null;
  const others = companies.filter((c) => missingTargetReason(c, defaults) !== null).slice(1).map((c) => c.id);
  return others.length ? `${problems[0]} (also: ${others.slice(0, 5).join(", ")}${others.length > 5 ? ", …" : ""})` : problems[0]!;
}

/** The follow-up text for this row, sent at `sendAt` (the release notes' text, or the company's template). */
export function buildFollowupMessage(
  row: Pick<AppointmentRow, "client_name" | "client_phone" | "end_time">,
  company: Pick<CompanyRow, "timezone" | "followup_template">,
  sendAt: Date,
  day?: SendDay,
): OutgoingMessage {
  return {
    number: row.client_phone,
    body: followupMessage({
      clientName: row.client_name,
      appointmentEnd: new Date(row.end_time),
      sendAt,
      timezone: company.timezone,
      template: company.followup_template,
      day,
    }),
  };
}

// ── Outcome → state ─────────────────────────────────────────────────────────────────────────

export type FollowupTransition =
  | { to: "sent" }
  | { to: "failed"; error: string; exhausted: boolean }
  | { to: "retry"; error: string; next: Date }
  /** The company's Whaticket setup is wrong: pause it, put the row back, burn nothing. */
  | { to: "paused"; error: string };

/**
 * What a send outcome does to a follow-up that had used `attemptsBefore` attempts. Pure.
 * 2xx → sent; a 4xx about the number → failed at once; 401/403 and connection errors → paused
 * (no attempt burned); 429/5xx/timeouts → retry with backoff until maxAttempts, then failed.
 */
export function followupTransition(outcome: SendOutcome, attemptsBefore: number, policy: RetrySettings, now: Date): FollowupTransition {
  const decision = decideAfterSend(outcome, attemptsBefore + 1, policy);
  const error = outcome.kind === "sent" ? "" : outcome.error;
  switch (decision.action) {
    case "done":
      return { to: "sent" };
    case "fail":
      return { to: "failed", error, exhausted: decision.exhausted };
    case "retry":
      return { to: "retry", error, next: new Date(now.getTime() + decision.delayMs) };
    case "pause":
      return { to: "paused", error };
  }
}

// ── Daemon send ─────────────────────────────────────────────────────────────────────────────

export interface DeliveryDeps {
  store: Store;
  gateway: WhaticketGateway;
  clock: Clock;
  whaticketDefaults: WhaticketDefaults;
  retry: RetrySettings;
}

export interface DeliveryReport {
  outcome: SendOutcome;
  transition: FollowupTransition;
  /** 1-based number of this attempt. */
  attempt: number;
  /** False when this daemon no longer held the row (its lease was taken over): nothing was recorded on the row. */
  recorded: boolean;
}

/** Sends one claimed follow-up (status 'sending', leased by `owner`) and records the outcome. Never throws for Whaticket trouble. */
export async function deliverClaimed(deps: DeliveryDeps, company: CompanyRow, row: ClaimedRow, owner: string): Promise<DeliveryReport> {
  const target = resolveTarget(company, deps.whaticketDefaults);
  const outcome: SendOutcome = target
    ? await safeSend(deps.gateway, target, buildFollowupMessage(row, company, deps.clock()))
    : { kind: "config", status: 0, error: missingTargetReason(company, deps.whaticketDefaults) ?? "no Whaticket target", durationMs: 0 };
  return recordOutcome(deps, company, row, owner, outcome);
}

/** A send outcome of a claimed row, with what it does to the row: ready to be recorded (alone or in a group commit). */
export interface PlannedOutcome {
  company: CompanyRow;
  row: ClaimedRow;
  owner: string;
  outcome: SendOutcome;
  transition: FollowupTransition;
  /** 1-based number of this attempt. */
  attempt: number;
  /** When it happened (UTC ISO-8601). */
  at: string;
}

export function planOutcome(retry: RetrySettings, company: CompanyRow, row: ClaimedRow, owner: string, outcome: SendOutcome, now: Date): PlannedOutcome {
  let transition = followupTransition(outcome, row.followup_attempts, retry, now);
  if (transition.to === "retry") {
    // A retry due inside quiet hours waits for their end (shown as such in `followups list`).
    transition = { ...transition, next: moveOutOfQuietHours(transition.next, company.timezone, parseQuietHours(company.quiet_hours)) };
  }
  return { company, row, owner, outcome, transition, attempt: row.followup_attempts + 1, at: iso(now) };
}

function sentPayload(p: PlannedOutcome): Record<string, unknown> {
  return {
    attempt: p.attempt,
    http_status: p.outcome.status,
    ...(p.outcome.kind === "sent" && p.outcome.messageId ? { message_id: p.outcome.messageId } : {}),
  };
}

/** Records one planned outcome inside the caller's transaction; false when this owner no longer held the row. */
export async function applyOutcome(t: Q, p: PlannedOutcome): Promise<boolean> {
  const { row, company, transition, at } = p;
  const ref = { id: row.id, owner: p.owner, now: at };
  switch (transition.to) {
    case "sent": {
      const ok = await markSent(t, ref);
      // The message went out either way; the audit trail (and the counters derived from it) must say so.
      await writeAudit(t, {
        action: "followup_sent", appointment_id: row.id, company_id: row.company_id,
        payload: { ...sentPayload(p), ...(ok ? {} : { lease_lost: true }) }, created_at: at,
      });
      if (company.paused_reason) await unpauseCompany(t, company.id);
      return ok;
    }
    case "failed": {
      const ok = await markFailed(t, { ...ref, error: transition.error });
      if (ok) {
        await writeAudit(t, {
          action: "followup_failed", appointment_id: row.id, company_id: row.company_id,
          payload: { attempt: p.attempt, error: transition.error, http_status: p.outcome.status ?? 0, exhausted: transition.exhausted },
          created_at: at,
        });
      }
      return ok;
    }
    case "retry":
      return rescheduleRetry(t, { ...ref, next: iso(transition.next), error: transition.error });
    case "paused":
      await pauseCompany(t, { companyId: company.id, reason: transition.error, now: at });
      return releaseClaim(t, { ...ref, error: transition.error });
  }
}

/**
 * The group commit: many outcomes in the caller's one transaction, each still conditional on its
 * lease. On PostgreSQL the deliveries (nearly all of them) are one statement; the rest go one by one.
 */
export async function applyOutcomes(t: Q, items: PlannedOutcome[]): Promise<boolean[]> {
  const results = new Array<boolean>(items.length).fill(false);
  const bulk: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const p = items[i]!;
    if (t.dialect === "postgres" && p.transition.to === "sent" && !p.company.paused_reason) bulk.push(i);
    else results[i] = await applyOutcome(t, p);
  }
  if (bulk.length) {
    const at = items[bulk[0]!]!.at;
    const done = await markSentBatch(
      t,
      bulk.map((i) => ({ id: items[i]!.row.id, owner: items[i]!.owner, companyId: items[i]!.row.company_id, payload: JSON.stringify(sentPayload(items[i]!)) })),
      at,
    );
    for (const i of bulk) results[i] = done.has(items[i]!.row.id);
  }
  return results;
}

/** Applies a send outcome to a claimed row: state, attempts, error, audit, company pause, in one transaction. */
export async function recordOutcome(deps: Omit<DeliveryDeps, "gateway">, company: CompanyRow, row: ClaimedRow, owner: string, outcome: SendOutcome): Promise<DeliveryReport> {
  const p = planOutcome(deps.retry, company, row, owner, outcome, deps.clock());
  const recorded = await deps.store.tx((t) => applyOutcome(t, p));
  return { outcome, transition: p.transition, attempt: p.attempt, recorded };
}

export async function safeSend(gateway: WhaticketGateway, target: WhaticketTarget, msg: OutgoingMessage): Promise<SendOutcome> {
  try {
    return await gateway.send(target, msg);
  } catch (err) {
    // The gateway promises not to throw; if it does anyway, retry later rather than lose the row.
    return { kind: "transient", error: `gateway error: ${(err as Error)?.name ?? "Error"}`, durationMs: 0 };
  }
}

// ── Resend ──────────────────────────────────────────────────────────────────────────────────

/** No appointment with this id (the API answers 404). */
export class FollowupNotFoundError extends UserError {
  constructor(readonly appointmentId: number) {
    super(`there is no appointment ${appointmentId}: see \`secretaria followups list --status all\``);
    this.name = "FollowupNotFoundError";
  }
}

/** The follow-up may not be resent; `reason` says why (the API answers 409). */
export class ResendRefusedError extends UserError {
  constructor(readonly appointmentId: number, readonly reason: string) {
    super(`cannot resend follow-up ${appointmentId}: ${reason}`);
    this.name = "ResendRefusedError";
  }
}

/** Whaticket did not take the resent message; the row is as it was, with the error kept (the API answers 502). */
export class ResendFailedError extends UserError {
  constructor(readonly appointmentId: number, readonly outcome: SendOutcome | null, message: string) {
    super(message);
    this.name = "ResendFailedError";
  }
}

export interface ResendDeps {
  store: Store;
  gateway: WhaticketGateway;
  /** Companies on Evolution API or the Cloud API resend through these (created for the call when absent). */
  gateways?: Omit<GatewaySet, "whaticket">;
  clock: Clock;
  whaticketDefaults: WhaticketDefaults;
  leaseMs?: number;
}

/** A resend within this many hours of the last send is refused unless forced (no double greeting). */
export const RESEND_MIN_HOURS = 12;
const FAR_FUTURE = "9999-12-31T23:59:59.999Z";
/** A resend waits at most this long for the company's send budget (shared with the daemons). */
const RESEND_BUDGET_WAIT_MS = 60_000;

export interface ResendOptions {
  /** Send even within RESEND_MIN_HOURS of the last send or inside quiet hours (`--force`, `force=true`). */
  force?: boolean;
  minHoursSinceSend?: number;
}

/**
 * Why a resend that the state allows should still wait, or null: the last send was less than
 * RESEND_MIN_HOURS ago, or it is the company's quiet hours. `--force` / `force=true` overrides.
 */
export function resendHoldFor(row: AppointmentRow, company: CompanyRow, now: Date, minHours = RESEND_MIN_HOURS): string | null {
  const force = "pass --force (CLI) or force=true (API) to send it anyway";
  if (row.followup_sent_at) {
    const ago = now.getTime() - new Date(row.followup_sent_at).getTime();
    if (ago >= 0 && ago < minHours * 3600_000) {
      const h = Math.floor(ago / 3600_000);
      const m = Math.floor((ago % 3600_000) / 60_000);
      return `it was sent ${h ? `${h} h ${m} min` : `${m} min`} ago, less than ${minHours} hours: ${force}`;
    }
  }
  const quiet = parseQuietHours(company.quiet_hours);
  if (isInQuietHours(now, company.timezone, quiet)) {
    return `it is company ${company.id}'s quiet hours (${formatQuietHours(quiet)}, ${company.timezone}): ${force}`;
  }
  return null;
}

export interface ResendResult {
  appointment: AppointmentRow;
  outcome: SendOutcome;
}

/** Why `row` cannot be resent now, or null. Adds to lifecycle's rule the cancelled appointment and a live lease. */
export function resendRefusalFor(row: AppointmentRow, now: Date, optedOut = false): string | null {
  if (!row.allow_followup) return resendRefusal(row.followup_status, false);
  if (row.status === "cancelled") return "the appointment was cancelled";
  if (optedOut) return OPTED_OUT_REFUSAL;
  const byState = resendRefusal(row.followup_status, true);
  if (byState) return byState;
  if (row.lease_expires_at && row.lease_expires_at >= iso(now)) return "it is being sent right now (another resend is in progress)";
  return null;
}

const OPTED_OUT_REFUSAL = "the client opted out: the phone is on the company's do-not-contact list (secretaria contacts optin to undo, only at the client's request)";

/** The follow-up's phone is on its company's do-not-contact list (resend refuses it; the SQL lease does too). */
export async function isPhoneOptedOut(q: Q, row: Pick<AppointmentRow, "company_id" | "client_phone">): Promise<boolean> {
  return (await findDoNotContact(q, [row.client_phone], row.company_id)).length > 0;
}

/**
 * Sends follow-up `id` again now (for sent, feedback or failed), shared by the CLI and the HTTP API.
 * A lease taken by a conditional update keeps two resends from both sending. On success the
 * follow-up is 'sent' awaiting a reply (answer and offered slots cleared) and audit
 * `followup_sent` carries {resend: true}. Throws FollowupNotFoundError, ResendRefusedError or ResendFailedError.
 */
export async function resendFollowup(deps: ResendDeps, id: number, opts: ResendOptions = {}): Promise<ResendResult> {
  const { store } = deps;
  const owner = leaseOwner("resend");
  const start = deps.clock();
  if (!opts.force) {
    const current = await getAppointment(store, id);
    if (!current) throw new FollowupNotFoundError(id);
    const refusal = resendRefusalFor(current, start, await isPhoneOptedOut(store, current));
    if (refusal) throw new ResendRefusedError(id, refusal);
    const owning = await getCompany(store, current.company_id);
    const hold = owning ? resendHoldFor(current, owning, start, opts.minHoursSinceSend) : null;
    if (hold) throw new ResendRefusedError(id, hold);
  }
  // The hold is checked again inside the lease's conditional update: a resend that finished between
  // the check above and this lease would otherwise let a second one through (no double greeting).
  const sentBefore = opts.force ? FAR_FUTURE : iso(new Date(start.getTime() - (opts.minHoursSinceSend ?? RESEND_MIN_HOURS) * 3600_000));
  const leased = await leaseForResend(store, { id, owner, now: iso(start), leaseUntil: iso(new Date(start.getTime() + (deps.leaseMs ?? DEFAULT_LEASE_MS))), sentBefore });
  if (!leased) {
    const row = await getAppointment(store, id);
    if (!row) throw new FollowupNotFoundError(id);
    throw new ResendRefusedError(id, resendRefusalFor(row, start, await isPhoneOptedOut(store, row)) ?? "its state changed meanwhile: try again");
  }
  const company = await getCompany(store, leased.company_id);
  const target = company ? resolveCompanyTarget(company, deps.whaticketDefaults) : null;
  if (!company || !target) {
    const reason = company ? missingCompanyTargetReason(company, deps.whaticketDefaults) : `company ${leased.company_id} does not exist`;
    await abortResend(store, { id, owner, now: iso(deps.clock()), error: reason ?? "no Whaticket target" });
    throw new ResendFailedError(id, null, `cannot resend follow-up ${id}: ${reason}`);
  }
  // The company's rate limit is one budget for every message it sends (daemons, bot answers, resends).
  if (company.rate_limit > 0) {
    const [slot] = await reserveSendSlots(store, { companyId: company.id, count: 1, rate: company.rate_limit, nowMs: Date.now(), horizonMs: RESEND_BUDGET_WAIT_MS });
    if (slot === undefined) {
      const reason = `company ${company.id}'s send budget (${company.rate_limit}/s) is taken for the next minute`;
      await abortResend(store, { id, owner, now: iso(deps.clock()), error: reason });
      throw new ResendFailedError(id, null, `cannot resend follow-up ${id} now: ${reason}; try again later`);
    }
    if (slot > Date.now()) await new Promise((r) => setTimeout(r, slot - Date.now()));
  }
  // Through the company's own gateway (the Cloud API sends its approved template with the buttons).
  const router = new GatewayRouter({ whaticket: deps.gateway, ...deps.gateways });
  const outcome = await router.sendFollowup(target, followupContent(leased, company, deps.clock())).finally(() => router.close());
  const at = iso(deps.clock());
  if (outcome.kind !== "sent") {
    await abortResend(store, { id, owner, now: at, error: outcome.error });
    throw new ResendFailedError(id, outcome, resendFailureMessage(id, company, outcome));
  }
  await store.tx(async (t) => {
    const ok = await completeResend(t, { id, owner, now: at });
    await writeAudit(t, {
      action: "followup_sent",
      appointment_id: id,
      company_id: leased.company_id,
      payload: {
        resend: true,
        previous_status: leased.followup_status,
        http_status: outcome.status,
        ...(outcome.messageId ? { message_id: outcome.messageId } : {}),
        ...(ok ? {} : { lease_lost: true }),
      },
      created_at: at,
    });
  });
  return { appointment: (await getAppointment(store, id)) as AppointmentRow, outcome };
}

function resendFailureMessage(id: number, company: CompanyRow, outcome: Exclude<SendOutcome, { kind: "sent" }>): string {
  const name = gatewayName(company);
  switch (outcome.kind) {
    case "config":
      return `${name} refused company ${company.id}'s credentials or connection (${outcome.error}): ${gatewayConfigFix(company)}; follow-up ${id} was not resent`;
    case "permanent":
      return `${name} refused follow-up ${id} (${outcome.error}): check the client's number; nothing was sent`;
    case "transient":
      return `${name} did not take follow-up ${id} (${outcome.error}): nothing was sent, try again later`;
  }
}
