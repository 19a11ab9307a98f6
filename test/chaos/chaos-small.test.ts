/**
 * A small, bounded run of the chaos suite (bench/chaos.ts) in `npm test`: two daemons on one
 * database (this run's engine: a SQLite file, or a PostgreSQL database made on the test cluster),
 * a few hundred follow-ups, the fake Whaticket failing, holding and dropping requests, SIGKILLs
 * with restarts, and answers posted as concurrent duplicates. Every check of the full suite must hold.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatReport, runChaos } from "../../bench/lib/chaos-run.js";
import { ON_POSTGRES, TEST_ENGINE } from "../helpers/cli.js";

test("two daemons, SIGKILLs and faults: nothing lost, stuck or sent without consent; every duplicate from a kill; replies applied once", { timeout: 90_000 }, async (t) => {
  const report = await runChaos({
    rows: 300,
    noConsent: 20,
    daemons: 2,
    killEveryMs: 1500,
    concurrency: 16,
    minKills: 2,
    budgetMs: 45_000,
    seed: 11,
    // The admin URL of the test cluster (helpers/cli.ts checks it is set): the run makes its own database there and drops it.
    ...(ON_POSTGRES ? { pgUrl: process.env.SECRETARIA_TEST_PG_URL } : {}),
  });
  const printed = formatReport(report);
  t.diagnostic(`${report.engine}: ${report.kills} SIGKILLs, ${report.seconds.toFixed(1)} s`);
  for (const line of printed.split("\n")) if (line.trim()) t.diagnostic(line);
  assert.equal(report.engine, TEST_ENGINE, "the run used this suite's engine");
  assert.ok(report.kills >= 2, `expected at least 2 kills, got ${report.kills}\n${printed}`);
  for (const c of report.checks) assert.ok(c.ok, `${c.name}: ${c.value} (expected: ${c.expected}) ${c.detail ?? ""}\n${printed}`);
  assert.ok(Number(report.facts.replies_acknowledged) > 0, `no reply went through the webhook\n${printed}`);
});
