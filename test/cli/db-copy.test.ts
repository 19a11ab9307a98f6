/**
 * `secretaria db copy`: a SQLite database (the demo's: companies, follow-ups in every state,
 * replies, feedback, audit) moved into an empty PostgreSQL database keeps every row.
 * Needs a PostgreSQL cluster: runs in the suite's PostgreSQL pass.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { openStore } from "../../src/store/open.js";
import { ON_POSTGRES, runCli, tempPgDb, tempSqliteDb } from "../helpers/cli.js";

const NEEDS_PG = ON_POSTGRES ? false : "needs PostgreSQL (the suite's PostgreSQL pass, SECRETARIA_TEST_PG_URL)";
/** Every table of the schema but the old database's daemons (the counters are compared apart). */
async function tables(file: string): Promise<string[]> {
  const store = await openStore(file);
  try {
    return (await store.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('daemons', 'followup_counters') ORDER BY name")).map((r) => r.name);
  } finally {
    await store.close();
  }
}

async function counts(location: string, names: string[]): Promise<Record<string, number>> {
  const store = await openStore(location);
  try {
    const out: Record<string, number> = {};
    for (const t of names) out[t] = (await store.get<{ n: number }>(`SELECT count(*) AS n FROM ${t}`))!.n;
    return out;
  } finally {
    await store.close();
  }
}

test("db copy: every row of a SQLite database lands in PostgreSQL; stats, lists and counters agree; a second copy is refused", { skip: NEEDS_PG }, async () => {
  const file = tempSqliteDb();
  const demo = await runCli(["demo", "--fast", "--db", file], { timeoutMs: 120_000 });
  assert.equal(demo.code, 0, demo.stderr);
  const url = tempPgDb();
  const secret = new URL(url).password;

  const copy = await runCli(["db", "copy", "--from", file, "--to", url]);
  assert.equal(copy.code, 0, copy.stderr);
  assert.match(copy.stdout, /every table's row count matches/);
  if (secret) assert.ok(!copy.stdout.includes(secret) && !copy.stderr.includes(secret), "the URL's password is never printed");

  const names = await tables(file);
  assert.ok(names.length >= 8, names.join(", "));
  assert.deepEqual(await counts(url, names), await counts(file, names));
  for (const args of [["stats", "--json"], ["followups", "list", "--status", "all", "--limit", "500", "--json"], ["audit", "list", "--limit", "1000", "--json"]]) {
    const [a, b] = await Promise.all([runCli(["--db", file, ...args]), runCli(["--db", url, ...args])]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(JSON.parse(b.stdout), JSON.parse(a.stdout), `${args.join(" ")} differs after the copy`);
  }
  // The release-note counters are rebuilt on the target from the copied audit rows.
  const [src, dst] = [await openStore(file), await openStore(url)];
  try {
    const q = "SELECT company_id, action, response, n FROM followup_counters ORDER BY company_id, action, response";
    assert.deepEqual(await dst.all(q), await src.all(q));
    // New rows get new ids after the copied ones.
    const max = (await dst.get<{ m: number }>("SELECT max(id) AS m FROM audit_log"))!.m;
    const next = await dst.get<{ id: number }>("INSERT INTO audit_log (action, payload, created_at) VALUES ('company_saved', '{}', '2026-01-01T00:00:00.000Z') RETURNING id");
    assert.ok(next!.id > max);
  } finally {
    await src.close();
    await dst.close();
  }

  const again = await runCli(["db", "copy", "--from", file, "--to", url]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^secretaria: the target .* is not empty/);
});

test("db copy: bad arguments are one line with exit 2", async () => {
  const missing = await runCli(["db", "copy", "--from", tempSqliteDb()]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^secretaria: --to is required/);
  const notPg = await runCli(["db", "copy", "--from", tempSqliteDb(), "--to", "/tmp/other.db"]);
  assert.equal(notPg.code, 2);
  assert.match(notPg.stderr, /--to must be a postgres:\/\//);
});
