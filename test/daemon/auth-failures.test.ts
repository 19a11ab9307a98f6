import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { AuthFailureLog } from "../../src/daemon/auth-failures.js";
import { createLogger } from "../../src/logger.js";

describe("AuthFailureLog", () => {
  test("one line per address per minute; the next one counts the suppressed ones", () => {
    const lines: string[] = [];
    let now = 0;
    const log = new AuthFailureLog(createLogger({ format: "json", write: (l) => lines.push(l) }), 60_000, () => now);
    const req = (ip: string) => ({ ip, method: "POST", url: "/webhooks/whaticket?token=guess", routeOptions: { url: "/webhooks/whaticket" } }) as never;
    for (let i = 0; i < 5; i++) log.record(req("10.0.0.1"));
    log.record(req("10.0.0.2"));
    assert.equal(lines.length, 2);
    now = 61_000;
    log.record(req("10.0.0.1"));
    assert.equal(lines.length, 3);
    const last = JSON.parse(lines[2]!) as Record<string, unknown>;
    assert.equal(last.address, "10.0.0.1");
    assert.equal(last.route, "POST /webhooks/whaticket");
    assert.equal(last.suppressed, 4);
    assert.ok(!lines.join("\n").includes("guess"), "never the token");
  });
});
