import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { RateLimiter } from "../../src/daemon/rate-limiter.js";

function limiterAt(start = 1000) {
  let now = start;
  const limiter = new RateLimiter({ now: () => now });
  return { limiter, advance: (ms: number) => (now += ms) };
}

describe("RateLimiter (token bucket per company)", () => {
  test("1 msg/s: one now, the next after a second", () => {
    const { limiter, advance } = limiterAt();
    assert.equal(limiter.available("a", 1), 1);
    assert.equal(limiter.take("a", 1), true);
    assert.equal(limiter.available("a", 1), 0);
    assert.equal(limiter.take("a", 1), false);
    assert.equal(limiter.msUntilAvailable("a", 1), 1000);
    advance(400);
    assert.equal(limiter.msUntilAvailable("a", 1), 600);
    advance(600);
    assert.equal(limiter.available("a", 1), 1);
    assert.equal(limiter.msUntilAvailable("a", 1), 0);
  });

  test("the burst is one second's worth, and idle time does not pile up beyond it", () => {
    const { limiter, advance } = limiterAt();
    assert.equal(limiter.available("a", 5), 5);
    assert.equal(limiter.take("a", 5, 5), true);
    advance(60_000);
    assert.equal(limiter.available("a", 5), 5);
    assert.equal(limiter.take("a", 5, 6), false, "never more than the burst at once");
    assert.equal(limiter.available("a", 5), 5, "a refused take spends nothing");
  });

  test("fractional rates: 0.5 msg/s lets one through every two seconds", () => {
    const { limiter, advance } = limiterAt();
    assert.equal(limiter.take("a", 0.5), true);
    advance(1000);
    assert.equal(limiter.available("a", 0.5), 0);
    assert.equal(limiter.msUntilAvailable("a", 0.5), 1000);
    advance(1000);
    assert.equal(limiter.take("a", 0.5), true);
  });

  test("companies have their own buckets", () => {
    const { limiter } = limiterAt();
    assert.equal(limiter.take("a", 1), true);
    assert.equal(limiter.take("a", 1), false);
    assert.equal(limiter.take("b", 1), true, "a's empty bucket does not hold b back");
  });

  test("0 (or less) means no limit", () => {
    const { limiter } = limiterAt();
    assert.equal(limiter.available("a", 0), Infinity);
    for (let i = 0; i < 1000; i++) assert.equal(limiter.take("a", 0), true);
    assert.equal(limiter.msUntilAvailable("a", 0), 0);
    assert.equal(limiter.take("a", -1), true);
  });

  test("a changed rate starts a fresh, full bucket", () => {
    const { limiter } = limiterAt();
    assert.equal(limiter.take("a", 1), true);
    assert.equal(limiter.available("a", 1), 0);
    assert.equal(limiter.available("a", 10), 10);
  });

  test("a clock that goes backwards adds no tokens", () => {
    const { limiter, advance } = limiterAt();
    assert.equal(limiter.take("a", 1), true);
    advance(-5000);
    assert.equal(limiter.available("a", 1), 0);
  });
});
