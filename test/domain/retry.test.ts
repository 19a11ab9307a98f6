import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  backoffDelayMs,
  decideAfterSend,
  DEFAULT_MAX_MS,
  DEFAULT_RETRY_POLICY,
  retryDelayMs,
  shouldRetry,
} from "../../src/domain/retry.js";

const mid = (): number => 0.5;
const low = (): number => 0;
const high = (): number => 0.999999;

describe("backoffDelayMs", () => {
  test("doubles from the base without jitter", () => {
    const opts = { baseMs: 1000, maxMs: 1_000_000, jitter: "none" as const };
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((a) => backoffDelayMs(a, opts)),
      [1000, 2000, 4000, 8000, 16000],
    );
  });

  test("defaults: attempt 1 is about 30 s, capped at 30 min", () => {
    assert.equal(backoffDelayMs(1, { jitter: "none" }), 30_000);
    assert.equal(backoffDelayMs(2, { jitter: "none" }), 60_000);
    assert.equal(backoffDelayMs(7, { jitter: "none" }), 30 * 60_000);
    assert.equal(backoffDelayMs(50, { jitter: "none" }), DEFAULT_MAX_MS);
    assert.equal(backoffDelayMs(5000, { jitter: "none" }), DEFAULT_MAX_MS, "no overflow to Infinity");
  });

  test("equal jitter stays within [step/2, step]", () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const step = Math.min(DEFAULT_MAX_MS, 30_000 * 2 ** (attempt - 1));
      const lo = backoffDelayMs(attempt, { random: low });
      const hi = backoffDelayMs(attempt, { random: high });
      assert.equal(lo, step / 2);
      assert.ok(hi <= step && hi > step * 0.99, `attempt ${attempt}: ${hi} vs ${step}`);
      assert.equal(backoffDelayMs(attempt, { random: mid }), Math.round(step * 0.75));
    }
  });

  test("full jitter stays within [0, step]", () => {
    assert.equal(backoffDelayMs(3, { baseMs: 100, jitter: "full", random: low }), 0);
    assert.equal(backoffDelayMs(3, { baseMs: 100, jitter: "full", random: mid }), 200);
    assert.ok(backoffDelayMs(3, { baseMs: 100, jitter: "full", random: high }) <= 400);
  });

  test("many random draws never leave the bounds", () => {
    for (let i = 0; i < 1000; i++) {
      const d = backoffDelayMs(1 + (i % 15));
      assert.ok(d >= 15_000 && d <= DEFAULT_MAX_MS, String(d));
    }
  });

  test("nonsense inputs fall back to sane values", () => {
    assert.equal(backoffDelayMs(0, { jitter: "none" }), 30_000);
    assert.equal(backoffDelayMs(-3, { jitter: "none" }), 30_000);
    assert.equal(backoffDelayMs(Number.NaN, { jitter: "none" }), 30_000);
    assert.equal(backoffDelayMs(1, { random: () => 7 }), 30_000, "random clamped to [0, 1]");
    assert.equal(backoffDelayMs(1, { random: () => Number.NaN }), 15_000);
    assert.equal(backoffDelayMs(3, { baseMs: -1, jitter: "none" }), 120_000);
  });
});

describe("retry decisions", () => {
  test("only transient failures are retried, and only while attempts remain", () => {
    assert.equal(shouldRetry({ kind: "transient" }, 1, 3), true);
    assert.equal(shouldRetry({ kind: "transient" }, 2, 3), true);
    assert.equal(shouldRetry({ kind: "transient" }, 3, 3), false);
    assert.equal(shouldRetry({ kind: "permanent" }, 1, 3), false);
    assert.equal(shouldRetry({ kind: "config" }, 1, 3), false);
    assert.equal(shouldRetry({ kind: "sent" }, 1, 3), false);
  });

  test("Retry-After wins when longer than the backoff, capped at maxMs", () => {
    const opts = { baseMs: 1000, maxMs: 60_000, jitter: "none" as const };
    assert.equal(retryDelayMs({ kind: "transient" }, 1, opts), 1000);
    assert.equal(retryDelayMs({ kind: "transient", retryAfterMs: 500 }, 1, opts), 1000);
    assert.equal(retryDelayMs({ kind: "transient", retryAfterMs: 20_000 }, 1, opts), 20_000);
    assert.equal(retryDelayMs({ kind: "transient", retryAfterMs: 10_000_000 }, 1, opts), 60_000);
  });

  test("decideAfterSend maps every outcome kind", () => {
    const policy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 3, jitter: "none" as const };
    assert.deepEqual(decideAfterSend({ kind: "sent" }, 1, policy), { action: "done" });
    assert.deepEqual(decideAfterSend({ kind: "permanent" }, 1, policy), { action: "fail", exhausted: false });
    assert.deepEqual(decideAfterSend({ kind: "config" }, 1, policy), { action: "pause", delayMs: DEFAULT_RETRY_POLICY.pauseMs });
    assert.deepEqual(decideAfterSend({ kind: "transient" }, 1, policy), { action: "retry", delayMs: 30_000 });
    assert.deepEqual(decideAfterSend({ kind: "transient" }, 2, policy), { action: "retry", delayMs: 60_000 });
    assert.deepEqual(decideAfterSend({ kind: "transient" }, 3, policy), { action: "fail", exhausted: true });
    assert.deepEqual(decideAfterSend({ kind: "transient", retryAfterMs: 90_000 }, 1, policy), { action: "retry", delayMs: 90_000 });
  });
});
