import { performance } from "node:perf_hooks";

/**
 * Per-company token buckets: `rate` messages per second, bursts of up to max(1, rate) messages
 * (one second's worth). Runs on a monotonic timer, not the injected Clock: SECRETARIA_NOW freezes
 * "now" for the data, but pacing real WhatsApp traffic needs real elapsed time.
 * A rate of 0 (or less) means no limit.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { rate: number; tokens: number; at: number }>();
  private readonly now: () => number;

  /** `now` returns monotonic milliseconds (default performance.now); tests drive it by hand. */
  constructor(opts: { now?: () => number } = {}) {
    this.now = opts.now ?? (() => performance.now());
  }

  /** Whole messages that may go out right now (Infinity when unlimited). */
  available(key: string, rate: number): number {
    if (!(rate > 0)) return Infinity;
    return Math.floor(this.refill(key, rate).tokens + 1e-9);
  }

  /** Spends n tokens; false (and nothing spent) when fewer are available. */
  take(key: string, rate: number, n = 1): boolean {
    if (!(rate > 0)) return true;
    const b = this.refill(key, rate);
    if (b.tokens + 1e-9 < n) return false;
    b.tokens = Math.max(0, b.tokens - n);
    return true;
  }

  /** Milliseconds until one message may go out (0 when one may now). */
  msUntilAvailable(key: string, rate: number): number {
    if (!(rate > 0)) return 0;
    const b = this.refill(key, rate);
    if (b.tokens + 1e-9 >= 1) return 0;
    return Math.ceil(((1 - b.tokens) / rate) * 1000);
  }

  private refill(key: string, rate: number): { rate: number; tokens: number; at: number } {
    const now = this.now();
    const capacity = Math.max(1, rate);
    let b = this.buckets.get(key);
    if (!b || b.rate !== rate) {
      // A new company, or its rate changed (companies add --rate-limit): start with a full bucket.
      b = { rate, tokens: capacity, at: now };
      this.buckets.set(key, b);
      return b;
    }
    const elapsed = Math.max(0, now - b.at);
    b.tokens = Math.min(capacity, b.tokens + (elapsed / 1000) * rate);
    b.at = now;
    return b;
  }
}
