import { UserError } from "../errors.js";
import { purgeInboundTexts } from "../store/retention.js";
import type { Store } from "../store/store.js";

/**
 * How long the daemon keeps what clients wrote. A reply matters while its follow-up is handled
 * and for support and disputes after it (default 180 days); a message no follow-up matched has
 * no purpose beyond a quick look by the operator (default 30 days). Set with
 * SECRETARIA_INBOUND_RETENTION_DAYS and SECRETARIA_UNMATCHED_RETENTION_DAYS (0 = keep forever).
 */
export interface InboundRetention {
  days: number;
  unmatchedDays: number;
}

export const DEFAULT_INBOUND_RETENTION: InboundRetention = { days: 180, unmatchedDays: 30 };
const DAY_MS = 86_400_000;

function daysFrom(env: NodeJS.ProcessEnv, name: string, def: number): number {
  const raw = env[name]?.trim();
  if (!raw) return def;
  if (!/^\d+$/.test(raw)) throw new UserError(`${name} must be a whole number of days (0 = keep forever), got "${raw}"`);
  return Number(raw);
}

export function inboundRetentionFromEnv(env: NodeJS.ProcessEnv = process.env): InboundRetention {
  return {
    days: daysFrom(env, "SECRETARIA_INBOUND_RETENTION_DAYS", DEFAULT_INBOUND_RETENTION.days),
    unmatchedDays: daysFrom(env, "SECRETARIA_UNMATCHED_RETENTION_DAYS", DEFAULT_INBOUND_RETENTION.unmatchedDays),
  };
}

/** Blanks the texts past their retention; returns how many messages were purged. */
export async function purgeExpiredInbound(store: Store, now: Date, r: InboundRetention): Promise<{ matched: number; unmatched: number }> {
  // 0 days = keep forever: a cut-off before any message.
  const cutoff = (days: number) => (days === 0 ? "0000" : new Date(now.getTime() - days * DAY_MS).toISOString());
  return store.tx((t) => purgeInboundTexts(t, { matchedBefore: cutoff(r.days), unmatchedBefore: cutoff(r.unmatchedDays) }));
}
