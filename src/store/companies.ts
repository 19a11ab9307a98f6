import type { CompanyGatewayColumns } from "./company-gateways.js";
import type { Q } from "./store.js";

/** The gateway columns (migration 007) are optional here so rows built by hand stay valid; a SELECT * has them all. */
export interface CompanyRow extends Partial<CompanyGatewayColumns> {
  id: string;
  name: string;
  timezone: string;
  whaticket_url: string | null;
  whaticket_token: string | null;
  whatsapp_id: string | null;
  business_hours: string;
  quiet_hours: string;
  followup_delay_minutes: number;
  rate_limit: number;
  followup_template: string | null;
  paused_reason: string | null;
  paused_at: string | null;
  /** Migration 009: where WhatsApp bookings are POSTed, and the HMAC key (a secret: never shown). */
  booking_webhook_url?: string | null;
  booking_webhook_secret?: string | null;
  created_at: string;
  updated_at: string;
}

export type CompanyInput = Omit<CompanyRow, "created_at" | "updated_at" | "paused_reason" | "paused_at" | "booking_webhook_url" | "booking_webhook_secret">;

export function getCompany(q: Q, id: string): Promise<CompanyRow | undefined> {
  return q.get<CompanyRow>("SELECT * FROM companies WHERE id = ?", [id]);
}

export function listCompanies(q: Q): Promise<CompanyRow[]> {
  return q.all<CompanyRow>("SELECT * FROM companies ORDER BY id");
}

/** Insert or update by id; returns whether the row was created. */
export async function upsertCompany(q: Q, c: CompanyInput, nowIso: string): Promise<"created" | "updated"> {
  const existed = !!(await q.get("SELECT 1 AS x FROM companies WHERE id = ?", [c.id]));
  await q.run(
    `INSERT INTO companies (id, name, timezone, whaticket_url, whaticket_token, whatsapp_id, business_hours, quiet_hours,
        followup_delay_minutes, rate_limit, followup_template, created_at, updated_at)
     VALUES (@id, @name, @timezone, @whaticket_url, @whaticket_token, @whatsapp_id, @business_hours, @quiet_hours,
        @followup_delay_minutes, @rate_limit, @followup_template, @now, @now)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, timezone = excluded.timezone, whaticket_url = excluded.whaticket_url,
        whaticket_token = excluded.whaticket_token, whatsapp_id = excluded.whatsapp_id, business_hours = excluded.business_hours,
        quiet_hours = excluded.quiet_hours, followup_delay_minutes = excluded.followup_delay_minutes,
        rate_limit = excluded.rate_limit, followup_template = excluded.followup_template, updated_at = excluded.updated_at,
        -- new Whaticket settings lift a pause caused by the old ones (401/403)
        paused_reason = CASE WHEN excluded.whaticket_url IS DISTINCT FROM companies.whaticket_url OR excluded.whaticket_token IS DISTINCT FROM companies.whaticket_token
          OR excluded.whatsapp_id IS DISTINCT FROM companies.whatsapp_id THEN NULL ELSE companies.paused_reason END,
        paused_at = CASE WHEN excluded.whaticket_url IS DISTINCT FROM companies.whaticket_url OR excluded.whaticket_token IS DISTINCT FROM companies.whaticket_token
          OR excluded.whatsapp_id IS DISTINCT FROM companies.whatsapp_id THEN NULL ELSE companies.paused_at END`,
    { ...c, now: nowIso },
  );
  return existed ? "updated" : "created";
}
