import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { healthRoutes } from "../../src/daemon/health-routes.js";
import { startHttpServer, type RunningHttpServer } from "../../src/daemon/http-server.js";
import { DaemonMetrics } from "../../src/daemon/metrics.js";
import { silentLogger } from "../../src/logger.js";
import { REPO_ROOT, tempDir } from "../helpers/cli.js";
import { parseExposition, request } from "../helpers/exposition.js";
import { buildScenario, type Scenario } from "../helpers/followup-scenario.js";

/**
 * The deploy files checked with the real tools: `promtool check metrics` on a live /metrics,
 * `promtool check rules` and `promtool test rules` on deploy/prometheus/, the Grafana dashboard's
 * queries parsed by promtool, and every metric they use present in the exposition.
 * promtool comes from Debian's `prometheus` package (.ci/run installs it). Without it: a failure
 * on CI, a skip with the reason elsewhere.
 */

const T = { timeout: 120_000 };
const DEPLOY = join(REPO_ROOT, "deploy");
const RULES = join(DEPLOY, "prometheus", "secretaria.rules.yml");
const RULES_TEST = join(DEPLOY, "prometheus", "secretaria.rules.test.yml");
const DASHBOARD = join(DEPLOY, "grafana", "secretaria-dashboard.json");

function promtoolMissing(): string | null {
  const r = spawnSync("promtool", ["--version"], { encoding: "utf8", timeout: 10_000 });
  if (!r.error && r.status === 0) return null;
  const why = "promtool is not on PATH: install Debian's `prometheus` package (apt-get install --no-install-recommends prometheus)";
  if (process.env.CI) assert.fail(`${why}; CI must run the promtool checks`);
  return why;
}
const missing = promtoolMissing();
if (missing) console.log(`skipping the promtool checks: ${missing}`);
const withPromtool = { ...T, skip: missing ?? false };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs promtool with a time bound, feeding `input` on stdin. */
function promtool(args: string[], input = "", cwd = REPO_ROOT): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn("promtool", args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`promtool ${args.join(" ")} did not finish in 60 s`));
    }, 60_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(input);
  });
}

/** Metric names a PromQL expression refers to (secretaria_*, plus the few default ones the rules use). */
function metricNames(expr: string): string[] {
  // Recorded names (level:metric:ops) contain metric-like parts: match whole names only.
  return [...new Set(expr.match(/(?<![\w:])(?:secretaria|process|nodejs)_[a-z0-9_]+(?![\w:])/g) ?? [])];
}

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}

function dashboardExprs(): { title: string; expr: string }[] {
  const d = JSON.parse(readFileSync(DASHBOARD, "utf8")) as { panels: Panel[] };
  return d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));
}

function ruleExprs(): { record?: string; alert?: string; expr: string }[] {
  // The rules file is small, regular YAML: pull each rule's name and (block) expr without a YAML parser.
  const text = readFileSync(RULES, "utf8");
  const out: { record?: string; alert?: string; expr: string }[] = [];
  const re = /- (record|alert): (\S+)\n\s+expr: (\|\n((?:\s{10}.*\n|\s*\n)+)|(.*)\n)/g;
  for (const m of text.matchAll(re)) {
    const expr = (m[4] ?? m[5] ?? "").trim();
    out.push({ [m[1] as "record" | "alert"]: m[2], expr });
  }
  return out;
}

describe("Prometheus and Grafana files against the real tools", () => {
  let s: Scenario;
  let server: RunningHttpServer;
  let exposition = "";

  before(async () => {
    let metrics!: DaemonMetrics;
    s = await buildScenario({ observe: (db, clock) => (metrics = new DaemonMetrics({ store: db, clock: clock.now, tickIntervalSeconds: 60 })) });
    server = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      logger: silentLogger,
      routes: [healthRoutes({ store: s.db, metrics, clock: s.clock.now, tickIntervalSeconds: 60 })],
    });
    const res = await request(`${server.url}/metrics`);
    assert.equal(res.status, 200);
    exposition = res.text;
  });
  after(async () => {
    await server?.close();
    await s?.close();
  });

  test("promtool check metrics accepts the live /metrics exposition (no lint problems)", withPromtool, async () => {
    const r = await promtool(["check", "metrics"], exposition);
    assert.equal(r.code, 0, `promtool check metrics:\n${r.stdout}${r.stderr}`);
    assert.equal(`${r.stdout}${r.stderr}`.trim(), "");
  });

  test("promtool check rules accepts the rules file", withPromtool, async () => {
    const r = await promtool(["check", "rules", RULES]);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /SUCCESS: \d+ rules found/);
  });

  test("promtool test rules: the recording rules compute the release notes' numbers and every alert fires and stays quiet", withPromtool, async () => {
    const r = await promtool(["test", "rules", RULES_TEST]);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /SUCCESS/);
    // Every alert of the rules file has a test case.
    const tests = readFileSync(RULES_TEST, "utf8");
    for (const rule of ruleExprs().filter((x) => x.alert)) assert.match(tests, new RegExp(`alertname: ${rule.alert}\\b`), `${rule.alert} has no test`);
  });

  test("the release notes' queries are recorded", () => {
    const rules = ruleExprs();
    const daily = rules.find((r) => r.record === "secretaria:appointment_followups_sent:rate1d");
    assert.equal(daily?.expr, "sum(rate(secretaria_appointment_followups_sent_total[1d]))");
    const ratio = rules.find((r) => r.record === "company:secretaria_appointment_followups_positive_ratio:7d");
    assert.match(ratio?.expr ?? "", /sum by \(company\)[\s\S]*secretaria_appointment_followups_positive_total\[7d\][\s\S]*clamp_min/);
  });

  test("every query of the Grafana dashboard parses (promtool) and the dashboard is valid JSON", withPromtool, async () => {
    const exprs = dashboardExprs();
    assert.ok(exprs.length >= 10);
    // Each query as a recording rule: promtool parses them all ($company → a regex that matches all).
    const yaml = [
      "groups:",
      "  - name: dashboard",
      "    rules:",
      ...exprs.flatMap((e, i) => [`      - record: dashboard:query_${i}`, `        expr: ${JSON.stringify(e.expr.replace(/\$company/g, ".*"))}`]),
      "",
    ].join("\n");
    const file = join(tempDir(), "dashboard.rules.yml");
    writeFileSync(file, yaml);
    const r = await promtool(["check", "rules", file]);
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
  });

  test("every metric the rules and the dashboard use is exported by /metrics (or recorded by the rules)", () => {
    const { types } = parseExposition(exposition);
    const exported = new Set<string>();
    for (const [family, type] of types) {
      exported.add(family);
      if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) exported.add(`${family}${suffix}`);
    }
    const recorded = new Set(ruleExprs().flatMap((r) => (r.record ? [r.record] : [])));
    const used = [...ruleExprs().map((r) => r.expr), ...dashboardExprs().map((d) => d.expr)].flatMap(metricNames);
    const unknown = [...new Set(used)].filter((n) => !exported.has(n) && !recorded.has(n));
    assert.deepEqual(unknown, []);
    for (const name of recorded) assert.ok(dashboardExprs().some((d) => d.expr.includes(name)), `the dashboard shows ${name}`);
  });

  test("the systemd unit and the env example carry what the service needs", () => {
    const unit = readFileSync(join(DEPLOY, "secretaria.service"), "utf8");
    for (const line of [
      /^Restart=on-failure$/m,
      /^EnvironmentFile=\/etc\/secretaria\/secretaria\.env$/m,
      /^StateDirectory=secretaria$/m,
      // The database comes from SECRETARIA_DB (a SQLite default the env file may override with a URL): no --db.
      /^Environment=SECRETARIA_DB=\/var\/lib\/secretaria\/secretaria\.db$/m,
      /^ExecStartPre=\S+\/secretaria migrate$/m,
      /^ExecStart=\S+\/secretaria daemon --host 127\.0\.0\.1 --port 9464$/m,
      /^User=secretaria$/m,
      /^NoNewPrivileges=yes$/m,
      /^ProtectSystem=strict$/m,
    ]) {
      assert.match(unit, line);
    }
    assert.doesNotMatch(unit, /^MemoryDenyWriteExecute=yes/m, "V8's JIT needs W+X pages");
    const env = readFileSync(join(DEPLOY, "secretaria.env.example"), "utf8");
    for (const v of ["WHATICKET_URL", "WHATICKET_TOKEN", "SECRETARIA_WEBHOOK_TOKEN", "SECRETARIA_API_TOKEN"]) assert.match(env, new RegExp(`^${v}=`, "m"));
    // No real secret in the example.
    assert.match(env, /^WHATICKET_TOKEN=$/m);
    assert.match(env, /^SECRETARIA_API_TOKEN=$/m);
  });
});
