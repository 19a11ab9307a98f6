import { bySql, type Q } from "./store.js";

/**
 * The booking webhook's settings (companies.booking_webhook_url / _secret, migration 009) and its
 * outbox (booking_deliveries): a row is written in the booking's own transaction, the daemon's
 * deliverer claims due rows with a short lease (several daemons: one POST each), POSTs outside
 * any transaction, then records the outcome.
 */

export type DeliveryStatus = "pending" | "delivered" | "failed";

export interface BookingDeliveryRow {
  id: number;
  company_id: string;
  appointment_id: number;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string;
  lease_expires_at: string | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

/** A claimed delivery with where to send it and the key to sign it (read at send time: the current settings). */
export interface ClaimedDelivery extends BookingDeliveryRow {
  url: string | null;
  secret: string | null;
}

export interface BookingWebhookSettings {
  booking_webhook_url: string | null;
  booking_webhook_secret: string | null;
}

export function getBookingWebhook(q: Q, companyId: string): Promise<BookingWebhookSettings | undefined> {
  return q.get<BookingWebhookSettings>("SELECT booking_webhook_url, booking_webhook_secret FROM companies WHERE id = ?", [companyId]);
}

export async function setBookingWebhook(q: Q, companyId: string, s: BookingWebhookSettings, nowIso: string): Promise<void> {
  await q.run("UPDATE companies SET booking_webhook_url = ?, booking_webhook_secret = ?, updated_at = ? WHERE id = ?", [
    s.booking_webhook_url, s.booking_webhook_secret, nowIso, companyId,
  ]);
}

/**
 * Queues `body` for appointment `appointmentId` if the company has a booking webhook now; inside
 * the booking's transaction. One row per appointment: a replayed booking queues nothing more.
 */
export async function enqueueBookingDelivery(q: Q, d: { company_id: string; appointment_id: number; body: string; created_at: string }): Promise<boolean> {
  const n = await q.run(
    `INSERT INTO booking_deliveries (company_id, appointment_id, body, next_attempt_at, created_at)
     SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM companies WHERE id = ? AND booking_webhook_url IS NOT NULL)
     ON CONFLICT (appointment_id) DO NOTHING`,
    [d.company_id, d.appointment_id, d.body, d.created_at, d.created_at, d.company_id],
  );
  return n > 0;
}

/** Due, pending and not held by another daemon. Index: booking_deliveries_due. */
const DUE = `status = 'pending' AND next_attempt_at <= @now AND (lease_expires_at IS NULL OR lease_expires_at <= @now)`;

/**
 * Takes up to `limit` pending deliveries due at `now` that no other daemon holds: leased until
 * `leaseUntil` (the lease is also the token the marks below check) and the attempt counted, in one
 * statement. PostgreSQL: the pick skips rows another daemon is claiming (FOR UPDATE SKIP LOCKED)
 * and the outer condition is re-checked on the locked row, as in the follow-up claim (followups.ts).
 */
export async function claimDueDeliveries(q: Q, now: string, leaseUntil: string, limit: number): Promise<ClaimedDelivery[]> {
  const pick = `SELECT id FROM booking_deliveries WHERE ${DUE} ORDER BY next_attempt_at, id LIMIT @limit`;
  const ids = await q.all<{ id: number }>(
    bySql(q, {
      sqlite: `UPDATE booking_deliveries SET lease_expires_at = @leaseUntil, attempts = attempts + 1 WHERE id IN (${pick}) RETURNING id`,
      postgres: `WITH picked AS MATERIALIZED (${pick} FOR UPDATE SKIP LOCKED)
                 UPDATE booking_deliveries SET lease_expires_at = @leaseUntil, attempts = attempts + 1
                  WHERE id IN (SELECT id FROM picked) AND ${DUE} RETURNING id`,
    }),
    { now, leaseUntil, limit },
  );
  if (!ids.length) return [];
  const params: Record<string, unknown> = {};
  const list = ids.map((r, i) => ((params[`i${i}`] = r.id), `@i${i}`)).join(", ");
  return q.all<ClaimedDelivery>(
    `SELECT d.*, c.booking_webhook_url AS url, c.booking_webhook_secret AS secret
       FROM booking_deliveries d JOIN companies c ON c.id = d.company_id WHERE d.id IN (${list}) ORDER BY d.next_attempt_at, d.id`,
    params,
  );
}

/** Delivered: the body (the client's name and phone) is not kept once it is not needed for a retry. Only while this lease holds. */
export async function markDelivered(q: Q, d: { id: number; lease: string }, nowIso: string): Promise<boolean> {
  return (
    (await q.run(
      "UPDATE booking_deliveries SET status = 'delivered', delivered_at = ?, body = '', lease_expires_at = NULL, last_error = NULL WHERE id = ? AND status = 'pending' AND lease_expires_at = ?",
      [nowIso, d.id, d.lease],
    )) === 1
  );
}

/**
 * Not delivered: try again at `nextIso` (`refund`: without using up the attempt the claim counted),
 * or (null) give up as failed. Only while this lease holds.
 */
export async function markNotDelivered(q: Q, d: { id: number; lease: string }, error: string, nextIso: string | null, refund = false): Promise<boolean> {
  const n =
    nextIso === null
      ? await q.run("UPDATE booking_deliveries SET status = 'failed', lease_expires_at = NULL, last_error = ? WHERE id = ? AND status = 'pending' AND lease_expires_at = ?", [error, d.id, d.lease])
      : await q.run(
          `UPDATE booking_deliveries SET next_attempt_at = ?, lease_expires_at = NULL, last_error = ?, attempts = attempts - ?
            WHERE id = ? AND status = 'pending' AND lease_expires_at = ?`,
          [nextIso, error, refund ? 1 : 0, d.id, d.lease],
        );
  return n === 1;
}

export interface DeliverySummary {
  pending: number;
  delivered: number;
  failed: number;
  /** The newest failure's error, for `companies show`. */
  last_error: string | null;
}

/** Index: booking_deliveries_company (company_id, status) (migration 011). */
export async function deliverySummary(q: Q, companyId: string): Promise<DeliverySummary> {
  const rows = await q.all<{ status: DeliveryStatus; n: number }>("SELECT status, count(*) AS n FROM booking_deliveries WHERE company_id = ? GROUP BY status", [companyId]);
  const out: DeliverySummary = { pending: 0, delivered: 0, failed: 0, last_error: null };
  for (const r of rows) out[r.status] = Number(r.n);
  const last = await q.get<{ last_error: string | null }>(
    "SELECT last_error FROM booking_deliveries WHERE company_id = ? AND last_error IS NOT NULL AND status <> 'delivered' ORDER BY id DESC LIMIT 1",
    [companyId],
  );
  out.last_error = last?.last_error ?? null;
  return out;
}
