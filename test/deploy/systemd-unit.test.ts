import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_SEND_TIMEOUT_MS, minimumStopSeconds, stopTimeoutFor } from "../../src/daemon/shutdown.js";
import { REPO_ROOT } from "../helpers/cli.js";

/**
 * deploy/secretaria.service agrees with the code: systemd's SIGKILL comes only after the daemon's
 * own stop wait (send timeout + margin) and the closing that follows.
 */

const unit = readFileSync(join(REPO_ROOT, "deploy", "secretaria.service"), "utf8");

/** The value of `key=` in the unit (the last one wins, as in systemd). */
function directive(key: string): string | undefined {
  const lines = unit.split("\n").filter((l) => l.startsWith(`${key}=`));
  return lines.at(-1)?.slice(key.length + 1).trim();
}

/** systemd time spans as used here: "30s", "1min 30s", "90" (seconds). */
function seconds(span: string): number {
  let total = 0;
  const re = /(\d+)\s*(min|s|m)?/g;
  let matched = "";
  for (const m of span.matchAll(re)) {
    total += Number(m[1]) * (m[2] === "min" || m[2] === "m" ? 60 : 1);
    matched += m[0];
  }
  assert.equal(matched.replace(/\s/g, ""), span.replace(/\s/g, ""), `a time span this test reads: ${span}`);
  return total;
}

test("TimeoutStopSec covers the daemon's stop wait for the send timeout the unit runs with", () => {
  const execStart = directive("ExecStart") ?? "";
  assert.match(execStart, /\bdaemon\b/);
  const flag = /--send-timeout[ =](\d+)/.exec(execStart);
  const sendTimeoutMs = flag ? Number(flag[1]) : DEFAULT_SEND_TIMEOUT_MS;
  const stopSec = seconds(directive("TimeoutStopSec") ?? "");
  assert.ok(stopTimeoutFor(sendTimeoutMs) > sendTimeoutMs, "the stop waits at least the send timeout");
  assert.ok(
    stopSec >= minimumStopSeconds(sendTimeoutMs),
    `TimeoutStopSec=${stopSec}s, the daemon may need ${minimumStopSeconds(sendTimeoutMs)}s (send timeout ${sendTimeoutMs} ms + stop and close margins)`,
  );
  assert.equal(directive("KillSignal"), "SIGTERM");
});
