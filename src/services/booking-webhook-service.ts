import { companySecret, secretToStore } from "./company-secrets.js";
import { randomBytes } from "node:crypto";
import type { Clock } from "../clock.js";
import { UsageError, UserError } from "../errors.js";
import type { Logger } from "../logger.js";
import { stripControl } from "../render/safe-text.js";
import {
  MIN_SECRET_LENGTH, bookingPayload, bookingWebhookUrlProblem, classifyDeliveryStatus, deliveryHeaders, nextDeliveryAttempt, type DeliveryFailure,
} from "../domain/booking-webhook.js";
import { plainHttpWarning, urlCredentialsProblem } from "../domain/gateway-url.js";
import type { AppointmentRow } from "../store/appointments.js";
import { writeAudit } from "../store/audit.js";
import {
  claimDueDeliveries, enqueueBookingDelivery, getBookingWebhook, markDelivered, markNotDelivered, setBookingWebhook, type ClaimedDelivery,
} from "../store/booking-deliveries.js";
import type { CompanyRow } from "../store/companies.js";
import type { Q, Store } from "../store/store.js";

/**
 * The optional per-company booking webhook: settings (`companies add --booking-webhook`), the
 * outbox row written with each WhatsApp booking, and the deliverer the daemon runs each tick.
 */

/** The URL checked: credentials refused (they would be sent to whoever reads logs); plain http to another host warned about. */
export function checkBookingWebhookUrl(url: string): { url: string; warning: string | null } {
  const trimmed = url.trim();
  const problem = bookingWebhookUrlProblem(trimmed);
  if (problem) throw new UsageError(problem);
  if (urlCredentialsProblem("--booking-webhook", trimmed)) {
    throw new UsageError("--booking-webhook must not contain a user or password (user:pass@): bookings are signed with the webhook secret instead");
  }
  const http = plainHttpWarning("--booking-webhook", trimmed);
  const u = new URL(trimmed);
  const warning = http ? `--booking-webhook ${u.protocol}//${u.host} is plain http: clients' names and phones cross the network unencrypted; use https://` : null;
  return { url: trimmed, warning };
}

export interface BookingWebhookChange {
  /** The URL to POST to; null removes the webhook (and its secret); undefined keeps it. */
  url?: string | null;
  /** A secret given by file or standard input; otherwise one is generated when none is set. */
  secret?: string;
}

export interface BookingWebhookResult {
  url: string | null;
  /** Only when it was generated now: shown this once. */
  generatedSecret: string | null;
  secretSet: boolean;
}

/** A new signing secret: 32 random bytes as 64 hex digits. */
function newSigningSecret(): string {
  return randomBytes(32).toString("hex");
}

/**
 * The change's own mistakes, given the company's current URL (null for a new company): checked
 * before anything is saved, so `companies add` with a bad secret writes nothing.
 */
export function bookingWebhookChangeProblem(change: BookingWebhookChange, currentUrl: string | null): string | null {
  if (change.secret !== undefined && (change.secret.length < MIN_SECRET_LENGTH || /\s/.test(change.secret))) {
    return `the booking webhook secret must be one line of at least ${MIN_SECRET_LENGTH} characters without spaces (or leave it out: one is generated)`;
  }
  if (change.secret !== undefined && change.url === null) return "give either --no-booking-webhook or a booking webhook secret, not both";
  const url = change.url === undefined ? currentUrl : change.url;
  if (url === null && change.secret !== undefined) return "a booking webhook secret needs --booking-webhook URL";
  return null;
}

/** Sets or removes a company's booking webhook; audited (never the secret). */
export async function configureBookingWebhook(store: Store, companyId: string, change: BookingWebhookChange, clock: Clock): Promise<BookingWebhookResult> {
  const nowIso = clock().toISOString();
  return store.tx(async (t) => {
    const current = await getBookingWebhook(t, companyId);
    if (!current) throw new UserError(`unknown company "${companyId}": see secretaria companies list`);
    const problem = bookingWebhookChangeProblem(change, current.booking_webhook_url);
    if (problem) throw new UsageError(problem);
    const url = change.url === undefined ? current.booking_webhook_url : change.url;
    let generatedSecret: string | null = null;
    let secret: string | null = null;
    if (url !== null) {
      secret = change.secret ?? current.booking_webhook_secret;
      if (!secret) secret = generatedSecret = newSigningSecret();
    }
    // Encrypted at rest like the gateway secrets when SECRETARIA_SECRET_KEY is set (company-secrets.ts).
    const stored = secretToStore(companyId, "booking_webhook_secret", secret, current.booking_webhook_secret);
    await setBookingWebhook(t, companyId, { booking_webhook_url: url, booking_webhook_secret: stored }, nowIso);
    await writeAudit(t, {
      action: "company_saved", company_id: companyId,
      payload: { result: "updated", booking_webhook_url: url, booking_webhook_secret_set: secret !== null, secret_generated: generatedSecret !== null },
      created_at: nowIso,
    });
    return { url, generatedSecret, secretSet: secret !== null };
  });
}

/**
 * Queues the booking for the company's webhook, if it has one: called by the booking itself,
 * inside its transaction (the POST happens later, from the daemon's tick).
 */
export async function queueBookingDelivery(t: Q, company: CompanyRow, booked: AppointmentRow, from: AppointmentRow, nowIso: string): Promise<boolean> {
  const body = JSON.stringify(
    bookingPayload({
      booking_id: booked.id, external_id: booked.external_id, company_id: company.id,
      client_name: booked.client_name, client_phone: booked.client_phone, start_time: booked.start_time, end_time: booked.end_time,
      timezone: company.timezone, followup: { appointment_id: from.id, external_id: from.external_id }, created_at: nowIso,
    }),
  );
  return enqueueBookingDelivery(t, { company_id: company.id, appointment_id: booked.id, body, created_at: nowIso });
}

/** One POST: a status code, or the network error's text. Injected by tests only to count; the default is fetch (undici). */
export type WebhookPost = (url: string, headers: Record<string, string>, body: string, timeoutMs: number) => Promise<{ status: number } | { error: string }>;

export const fetchPost: WebhookPost = async (url, headers, body, timeoutMs) => {
  try {
    const res = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    // The answer's body is not read: a slow or huge one must not hold the tick.
    await res.body?.cancel().catch(() => undefined);
    return { status: res.status };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    return { error: e.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message) };
  }
};

export interface DeliverOptions {
  clock: Clock;
  logger: Logger;
  post?: WebhookPost;
  /** Deliveries per run (default 20). */
  limit?: number;
  /** Per POST (default 10 s). */
  timeoutMs?: number;
  /** How long a claimed delivery is held against other daemons (default 2 min; longer than timeoutMs). */
  leaseMs?: number;
  random?: () => number;
  /** Checked before each POST: the daemon is stopping. */
  shouldStop?: () => boolean;
}

export interface DeliverResult {
  delivered: number;
  retried: number;
  failed: number;
}

/**
 * POSTs the due deliveries (no transaction is open while a request is in flight): 2xx is
 * delivered; timeouts, network errors, 408/425/429 and 5xx are tried again with backoff until
 * MAX_DELIVERY_ATTEMPTS, then failed; another 4xx fails at once; a signing key this host cannot
 * read waits without using attempts. A company whose webhook was removed meanwhile fails its
 * pending deliveries at once.
 */
export async function deliverBookings(store: Store, o: DeliverOptions): Promise<DeliverResult> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const leaseMs = Math.max(o.leaseMs ?? 120_000, timeoutMs * 2);
  const result: DeliverResult = { delivered: 0, retried: 0, failed: 0 };
  // One at a time: a stop request is honoured between POSTs, and nothing is claimed that is not sent now.
  for (let n = 0; n < (o.limit ?? 20) && !o.shouldStop?.(); n++) {
    const now = o.clock();
    const lease = new Date(now.getTime() + leaseMs).toISOString();
    const [d] = await claimDueDeliveries(store, now.toISOString(), lease, 1);
    if (!d) break;
    const outcome = await postOne(d, o, timeoutMs);
    const at = o.clock();
    const held = { id: d.id, lease };
    if (outcome === "delivered") {
      await markDelivered(store, held, at.toISOString());
      result.delivered++;
      o.logger.info("booking_webhook_delivered", { company: d.company_id, delivery: d.id, attempt: d.attempts });
      continue;
    }
    // A local problem does not use up the attempt (the claim counted it).
    const next = nextDeliveryAttempt(d.attempts, outcome, at, o.random);
    await markNotDelivered(store, held, outcome.error, next ? next.toISOString() : null, outcome.kind === "local");
    if (next) result.retried++;
    else result.failed++;
    o.logger.warn(next ? "booking_webhook_retry" : "booking_webhook_failed", {
      company: d.company_id, delivery: d.id, attempt: d.attempts, error: outcome.error, kind: outcome.kind, ...(next ? { next_attempt_at: next.toISOString() } : {}),
    });
  }
  return result;
}

async function postOne(d: ClaimedDelivery, o: DeliverOptions, timeoutMs: number): Promise<"delivered" | DeliveryFailure> {
  // Removed on purpose: its pending deliveries fail at once.
  if (!d.url) return { kind: "permanent", error: "the company has no booking webhook any more (companies add --booking-webhook URL)" };
  let secret: string | null;
  try {
    secret = companySecret({ id: d.company_id, booking_webhook_secret: d.secret }, "booking_webhook_secret");
  } catch (err) {
    // The key is missing or another one: nothing is sent unsigned; tried again once the key is right.
    return { kind: "local", error: (err as Error).message };
  }
  if (!secret) return { kind: "local", error: "the company has no booking webhook secret (companies add --booking-webhook URL)" };
  const r = await (o.post ?? fetchPost)(d.url, deliveryHeaders(secret, d.id, d.body, o.clock()), d.body, timeoutMs);
  if ("error" in r) return { kind: "transient", error: stripControl(r.error).slice(0, 300) };
  return classifyDeliveryStatus(r.status) ?? "delivered";
}
