import { test } from "node:test";
import assert from "node:assert/strict";
import { ON_POSTGRES, migratedDb, tempDb } from "../helpers/cli.js";

/**
 * An import writes thousands of rows of a table while looking each one up in it: on PostgreSQL a
 * generic plan cached while the table was empty scans the company's rows per row (20k rows: 36.7 s
 * before, 12.8 s with custom plans). `tx(…, { growsTable: true })` plans each statement for its
 * values, for that transaction only.
 */
test("growsTable: custom plans inside that transaction only", { skip: ON_POSTGRES ? false : "about PostgreSQL's plan cache" }, async () => {
  const db = await migratedDb(tempDb());
  try {
    const mode = async (q: { get: typeof db.get }) => (await q.get<{ plan_cache_mode: string }>("SHOW plan_cache_mode"))!.plan_cache_mode;
    assert.equal(await db.tx((t) => mode(t), { growsTable: true }), "force_custom_plan");
    assert.equal(await db.tx((t) => mode(t)), "auto");
    assert.equal(await mode(db), "auto", "SET LOCAL ends with its transaction: the pooled connection is back to auto");
  } finally {
    await db.close();
  }
});
