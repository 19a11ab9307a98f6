import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_SEND_TIMEOUT_MS, minimumStopSeconds, stopTimeoutFor } from "../../src/daemon/shutdown.js";
import { BIN, REPO_ROOT, tempDir } from "../helpers/cli.js";

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

/**
 * Issue 11: several hosts on one PostgreSQL database run this same unit with SECRETARIA_DB set to the URL in
 * the environment file (which overrides the unit's Environment= default). A --db in the commands would win
 * over that variable and keep each host on its own SQLite file, so neither the unit nor the drop-in passes one.
 */
test("the unit takes its database from SECRETARIA_DB: a SQLite default the environment file overrides, no --db in its commands", () => {
  const envLines = unit.split("\n").filter((l) => l.startsWith("Environment="));
  assert.ok(envLines.includes("Environment=SECRETARIA_DB=/var/lib/secretaria/secretaria.db"), envLines.join("\n"));
  assert.equal(directive("EnvironmentFile"), "/etc/secretaria/secretaria.env");
  const dropIn = readFileSync(join(REPO_ROOT, "deploy", "secretaria.service.d", "node-in-home.conf.example"), "utf8");
  const commands = [...unit.split("\n"), ...dropIn.split("\n")].filter((l) => /^ExecStart(Pre)?=\S/.test(l));
  assert.equal(commands.length, 4, commands.join("\n"));
  for (const c of commands) assert.doesNotMatch(c, /--db\b/, `${c}: a --db here overrides SECRETARIA_DB`);
  const example = readFileSync(join(REPO_ROOT, "deploy", "secretaria.env.example"), "utf8");
  assert.match(example, /^#SECRETARIA_DB=postgres:\/\/\S+$/m, "the environment file shows where the URL goes");
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  assert.match(readme, /in \/etc\/secretaria\/secretaria\.env, mode 0600/, "README names the unit's environment file");
});

/**
 * Issue 18: the systemd unit with Node under /home or /root. The drop-in example replaces the
 * unit's commands by node + the program by full path and relaxes ProtectHome to read-only;
 * `systemd-analyze verify` (offline, no systemd running) loads the unit with the drop-in and checks
 * that the commands exist. Without systemd-analyze: a skip with the reason.
 */
const DEPLOY = join(REPO_ROOT, "deploy");
const analyze = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8", timeout: 10_000 });
const missing = analyze.error || analyze.status !== 0 ? "systemd-analyze is not installed" : false;

test("the node-in-home drop-in: ProtectHome=read-only, ExecStartPre/ExecStart cleared then set to node + bin/secretaria.js", () => {
  const text = readFileSync(join(DEPLOY, "secretaria.service.d", "node-in-home.conf.example"), "utf8");
  assert.match(text, /^ProtectHome=read-only$/m);
  for (const key of ["ExecStartPre", "ExecStart"]) {
    assert.match(text, new RegExp(`^${key}=\\n${key}=\\S+/bin/node \\S+/bin/secretaria\\.js `, "m"), key);
  }
  assert.match(readFileSync(join(DEPLOY, "secretaria.service"), "utf8"), /node-in-home\.conf\.example/, "the unit points to it");
});

test("systemd-analyze verify: the unit plus the drop-in, with this machine's node and program, loads clean", { skip: missing }, () => {
  const dir = tempDir();
  copyFileSync(join(DEPLOY, "secretaria.service"), join(dir, "secretaria.service"));
  mkdirSync(join(dir, "secretaria.service.d"));
  const dropIn = readFileSync(join(DEPLOY, "secretaria.service.d", "node-in-home.conf.example"), "utf8")
    .replace(/=\/\S+\/bin\/node /g, `=${process.execPath} `)
    .replace(/ \/\S+\/lib\/node_modules\/secretaria\/bin\/secretaria\.js/g, ` ${BIN}`);
  assert.ok(dropIn.includes(`ExecStart=${process.execPath} ${BIN} daemon`));
  writeFileSync(join(dir, "secretaria.service.d", "node-in-home.conf"), dropIn);
  const env = { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` };
  const r = spawnSync("systemd-analyze", ["verify", "secretaria.service"], { cwd: dir, env, encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /not executable|Unknown (key|section)|Invalid/i);
  // Without the drop-in the same check fails on this machine's missing /usr/local/bin/secretaria (or passes where it is installed).
});
