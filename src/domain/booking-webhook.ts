/**
 * The booking webhook's contract (pure: no clock, no network): what is POSTed to a clinic for
 * each appointment the bot booked over WhatsApp, how it is signed, and when a failed POST is tried
 * again. The README's "Bookings back to the clinic" documents the same.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { backoffDelayMs } from "./retry.js";

export const SIGNATURE_HEADER = "X-Secretaria-Signature";
export const TIMESTAMP_HEADER = "X-Secretaria-Timestamp";
export const DELIVERY_HEADER = "X-Secretaria-Delivery";
export const EVENT_HEADER = "X-Secretaria-Event";
export const BOOKING_EVENT = "booking.created";

/** POSTs a delivery gets before it is marked failed: about 8 hours with the backoff below. */
export const MAX_DELIVERY_ATTEMPTS = 10;
/** First retry after about a minute, doubling, at most 4 hours apart. */
const RETRY = { baseMs: 60_000, maxMs: 4 * 60 * 60_000 } as const;
/** A secret given by file or standard input must be at least this long (a generated one has 64 hex digits). */
export const MIN_SECRET_LENGTH = 24;

export interface BookingWebhookPayload {
  event: typeof BOOKING_EVENT;
  /** The booked appointment's row id (also in `secretaria appointments list --source whatsapp`). */
  booking_id: number;
  external_id: string;
  company_id: string;
  client_name: string;
  /** Digits with the country code, as stored (5511999990000). */
  client_phone: string;
  start_time: string;
  end_time: string;
  /** The company's time zone, to show start/end as the clinic's local time. */
  timezone: string;
  /** The appointment whose follow-up the client answered to book this one. */
  followup: { appointment_id: number; external_id: string };
  created_at: string;
}

export function bookingPayload(p: Omit<BookingWebhookPayload, "event">): BookingWebhookPayload {
  return { event: BOOKING_EVENT, ...p };
}

/** `sha256=<hex>`: HMAC-SHA256 with the secret over `<timestamp>.<raw body>`. */
export function signBody(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** What a receiver does (and the tests check): recompute and compare in constant time. */
export function verifySignature(secret: string, timestamp: string, body: string, signature: string): boolean {
  if (!/^\d+$/.test(timestamp)) return false;
  const expected = Buffer.from(signBody(secret, Number(timestamp), body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The headers of one POST; the delivery id stays the same on every retry (the receiver's idempotency key). */
export function deliveryHeaders(secret: string, deliveryId: number, body: string, now: Date): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    "content-type": "application/json",
    "user-agent": "secretaria-booking-webhook",
    [EVENT_HEADER.toLowerCase()]: BOOKING_EVENT,
    [DELIVERY_HEADER.toLowerCase()]: String(deliveryId),
    [TIMESTAMP_HEADER.toLowerCase()]: String(timestamp),
    [SIGNATURE_HEADER.toLowerCase()]: signBody(secret, timestamp, body),
  };
}

/**
 * How a POST ended, for what happens next: `transient` is retried with backoff (timeouts, network
 * errors, 408, 425, 429, 5xx); `permanent` fails at once (another 4xx or a 3xx: the receiver refuses
 * it, retrying for hours changes nothing); `local` is this host's problem (the signing key cannot be
 * read): tried again later without counting the attempt.
 */
export type DeliveryFailure = { kind: "transient" | "permanent" | "local"; error: string };

export function classifyDeliveryStatus(status: number): DeliveryFailure | null {
  if (status >= 200 && status < 300) return null;
  const error = `HTTP ${status}`;
  if (status === 408 || status === 425 || status === 429 || status >= 500) return { kind: "transient", error };
  return { kind: "permanent", error };
}

/** A local problem is looked at again after this long, whatever the attempts. */
export const LOCAL_RETRY_MS = 10 * 60_000;

/**
 * After failed attempt `attempt` ended with `failure`: the time of the next one, or null when the
 * delivery is failed for good (permanent, or every attempt used).
 */
export function nextDeliveryAttempt(attempt: number, failure: DeliveryFailure, now: Date, random: () => number = Math.random): Date | null {
  if (failure.kind === "local") return new Date(now.getTime() + LOCAL_RETRY_MS);
  if (failure.kind === "permanent" || attempt >= MAX_DELIVERY_ATTEMPTS) return null;
  return new Date(now.getTime() + backoffDelayMs(attempt, { ...RETRY, random }));
}

/** Why a URL cannot be a booking webhook (null: it can), and the plain-http warning. */
export function bookingWebhookUrlProblem(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `--booking-webhook "${url}" is not a URL: give e.g. https://agenda.clinica.com.br/secretaria/bookings`;
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") return `--booking-webhook must be an http(s) URL (got ${u.protocol}//)`;
  return null;
}
