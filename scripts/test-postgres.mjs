#!/usr/bin/env node
// The suite's second run, on PostgreSQL: every test file again with SECRETARIA_TEST_ENGINE=postgres,
// each test making its own databases on the cluster at SECRETARIA_TEST_PG_URL (an admin URL; see
// scripts/pg-cluster.sh, which .ci/run starts). Without the URL the run is skipped with a note,
// except under CI, where a missing PostgreSQL is a failure.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const url = process.env.SECRETARIA_TEST_PG_URL;
if (!url) {
  const msg = "PostgreSQL run skipped: SECRETARIA_TEST_PG_URL is not set (start a throwaway cluster with `scripts/pg-cluster.sh start DIR` and export the URL it prints)";
  if (process.env.CI) {
    console.error(`error: ${msg}`);
    process.exit(1);
  }
  console.log(msg);
  process.exit(0);
}
// test/*/*.test.ts, as the SQLite run's shell glob gives them (Node 20's --test takes no globs).
const all = readdirSync("test", { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(join("test", d.name)).filter((f) => f.endsWith(".test.ts")).map((f) => join("test", d.name, f)))
  .sort();
const files = process.argv.slice(2);
const r = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=2", ...(files.length ? files : all)], {
  stdio: "inherit",
  env: { ...process.env, SECRETARIA_TEST_ENGINE: "postgres" },
});
process.exit(r.status ?? 1);
