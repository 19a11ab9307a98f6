/**
 * When to try a follow-up again after Whaticket did not take it. Pure: the randomness is
 * injectable and no clock is read; callers add the delay to their own "now".
 *
 * Attempts are counted from 1 and only transient failures burn them: a config failure (wrong token,
 * WhatsApp disconnected) pauses without counting, a permanent one (bad number) fails at once.
 */

export type JitterMode = "equal" | "full" | "none";

export interface BackoffOptions {
  /** Delay around the first retry. Default 30 s. */
  baseMs?: number;
  /** Upper bound of any delay. Default 30 min. */
  maxMs?: number;
  /**
   * "equal" (default): uniformly between half and all of the exponential step, so retries spread out
   * but never fire at once; "full": between 0 and the step; "none": the step itself.
   */
  jitter?: JitterMode;
  /** Uniform in [0, 1). Default Math.random; tests inject their own. */
  random?: () => number;
}

export interface RetryPolicy extends BackoffOptions {
  /** Transient failures allowed before the follow-up is `failed`. */
  maxAttempts: number;
  /** How long a company waits after a config failure before its follow-ups are tried again. */
  pauseMs: number;
}

export const DEFAULT_BASE_MS = 30_000;
export const DEFAULT_MAX_MS = 30 * 60_000;

/** 8 attempts span about an hour (30 s, 1, 2, 4, 8, 16, 30 min): enough to ride out a Whaticket restart. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 8,
  baseMs: DEFAULT_BASE_MS,
  maxMs: DEFAULT_MAX_MS,
  jitter: "equal",
  pauseMs: 5 * 60_000,
});

/**
 * The wait after failed attempt number `attempt` (1 → about baseMs, then doubling, capped at maxMs),
 * with jitter so that a burst of failures does not come back as a burst.
 */
export function backoffDelayMs(attempt: number, opts: BackoffOptions = {}): number {
  const baseMs = nonNegativeOr(opts.baseMs, DEFAULT_BASE_MS);
  const maxMs = nonNegativeOr(opts.maxMs, DEFAULT_MAX_MS);
  const n = Number.isFinite(attempt) && attempt >= 1 ? Math.floor(attempt) : 1;
  // 2 ** 1100 is Infinity, which min() turns into the cap: no overflow for absurd attempt numbers.
  const step = Math.min(maxMs, baseMs * 2 ** (n - 1));
  const r = clampUnit((opts.random ?? Math.random)());
  switch (opts.jitter ?? "equal") {
    case "none":
      return Math.round(step);
    case "full":
      return Math.round(step * r);
    case "equal":
      return Math.round(step / 2 + (step / 2) * r);
  }
}

/** The part of a send outcome the retry policy looks at (SendOutcome from the gateway fits). */
export interface RetryableOutcome {
  kind: "sent" | "permanent" | "config" | "transient";
  retryAfterMs?: number;
}

/** True when a transient failure on attempt `attempt` leaves attempts to spend. */
export function shouldRetry(outcome: RetryableOutcome, attempt: number, maxAttempts: number): boolean {
  return outcome.kind === "transient" && attempt < maxAttempts;
}

/** The wait before the next try: the backoff, or the server's Retry-After when longer (still capped at maxMs). */
export function retryDelayMs(outcome: RetryableOutcome, attempt: number, opts: BackoffOptions = {}): number {
  const backoff = backoffDelayMs(attempt, opts);
  const retryAfter = outcome.retryAfterMs;
  if (retryAfter === undefined || !Number.isFinite(retryAfter) || retryAfter <= backoff) return backoff;
  return Math.round(Math.min(retryAfter, nonNegativeOr(opts.maxMs, DEFAULT_MAX_MS)));
}

export type DeliveryDecision =
  | { action: "done" }
  /** Retrying cannot help (permanent), or the attempts are spent (transient). */
  | { action: "fail"; exhausted: boolean }
  /** Try again after delayMs; the attempt counts. */
  | { action: "retry"; delayMs: number }
  /** The company's setup is wrong: try again after delayMs without counting the attempt. */
  | { action: "pause"; delayMs: number };

/**
 * What the delivery service does after attempt number `attempt` (1-based, counting this one)
 * ended with `outcome`.
 */
export function decideAfterSend(
  outcome: RetryableOutcome,
  attempt: number,
  policy: Pick<RetryPolicy, "maxAttempts"> & Partial<RetryPolicy> = DEFAULT_RETRY_POLICY,
): DeliveryDecision {
  switch (outcome.kind) {
    case "sent":
      return { action: "done" };
    case "permanent":
      return { action: "fail", exhausted: false };
    case "config":
      return { action: "pause", delayMs: nonNegativeOr(policy.pauseMs, DEFAULT_RETRY_POLICY.pauseMs) };
    case "transient":
      return shouldRetry(outcome, attempt, policy.maxAttempts)
        ? { action: "retry", delayMs: retryDelayMs(outcome, attempt, policy) }
        : { action: "fail", exhausted: true };
  }
}

function nonNegativeOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : fallback;
}

function clampUnit(r: number): number {
  if (!Number.isFinite(r) || r < 0) return 0;
  return r >= 1 ? 1 : r;
}
