import { test } from "node:test";
import assert from "node:assert/strict";
import { ON_POSTGRES, migratedDb, tempDb } from "../helpers/cli.js";
import { FIRST_ANALYZE_AT } from "../../src/store/postgres/pg-store.js";
import { openStore } from "../../src/store/open.js";
import type { Q } from "../../src/store/store.js";

/**
 * An import writes thousands of rows of a table while looking each one up in it: on PostgreSQL a
 * generic plan cached while the table was empty scans the company's rows per row (60k rows: 137 s).
 * `tx(…, { growsTable: "appointments" })` plans each statement for its values at first, then
 * refreshes the table's statistics inside the transaction (they count its own rows) and lets the
 * plan cache reuse plans made on them (~3× cheaper a statement than planning each one).
 */
const skip = ON_POSTGRES ? false : "about PostgreSQL's plan cache";
const mode = async (q: Pick<Q, "get">) => (await q.get<{ plan_cache_mode: string }>("SHOW plan_cache_mode"))!.plan_cache_mode;

test("growsTable: custom plans inside that transaction only", { skip }, async () => {
  const db = await migratedDb(tempDb());
  try {
    assert.equal(await db.tx((t) => mode(t), { growsTable: "appointments" }), "force_custom_plan");
    assert.equal(await db.tx((t) => mode(t)), "auto");
    assert.equal(await mode(db), "auto", "SET LOCAL ends with its transaction: the pooled connection is back to auto");
  } finally {
    await db.close();
  }
});

test("growsTable: after enough statements the table is analyzed with the transaction's own rows, then plans are reused", { skip }, async () => {
  const db = await migratedDb(tempDb());
  try {
    await db.run("INSERT INTO companies (id, name) VALUES ('c', 'C')");
    const stats = (q: Pick<Q, "get">) => q.get<{ reltuples: number }>("SELECT reltuples::float8 AS reltuples FROM pg_class WHERE relname = 'appointments'");
    const seen = await db.tx(async (t) => {
      const before = { mode: await mode(t), tuples: (await stats(t))!.reltuples };
      for (let i = 0; i < FIRST_ANALYZE_AT; i++) {
        await t.insert(
          "INSERT INTO appointments (company_id, external_id, client_name, client_phone, start_time, end_time) VALUES (?, ?, 'Ana', '5511999990000', ?, ?)",
          ["c", `A-${i}`, "2026-11-25T12:00:00.000Z", "2026-11-25T13:00:00.000Z"],
        );
      }
      return { before, after: { mode: await mode(t), tuples: (await stats(t))!.reltuples } };
    }, { growsTable: "appointments" });
    assert.equal(seen.before.mode, "force_custom_plan");
    assert.ok(seen.before.tuples <= 0, `an empty, never analyzed table: ${seen.before.tuples}`);
    assert.equal(seen.after.mode, "auto");
    assert.ok(seen.after.tuples >= FIRST_ANALYZE_AT - 10, `ANALYZE counted the transaction's own rows: ${seen.after.tuples}`);
    await assert.rejects(db.tx(async () => 0, { growsTable: "appointments; DROP TABLE x" }), /not a table name/);
  } finally {
    await db.close();
  }
});

test("growsTable: ANALYZE never waits for a lock another transaction holds on the table; plans stay custom, the import goes on", { skip }, async () => {
  const location = tempDb();
  const db = await migratedDb(location);
  const other = await openStore(location);
  try {
    await db.run("INSERT INTO companies (id, name) VALUES ('c', 'C')");
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    // Another transaction holds the lock ANALYZE needs (another import that analyzed, a VACUUM).
    const holder = other.tx(async (t) => {
      await t.exec("LOCK TABLE appointments IN SHARE UPDATE EXCLUSIVE MODE");
      locked();
      await released;
    });
    await isLocked;
    // Bounded: were ANALYZE to wait for the lock, the holder lets go after 20 s and the assertions below fail.
    const timer = setTimeout(() => release(), 20_000);
    const t0 = Date.now();
    const after = await db.tx(async (t) => {
      for (let i = 0; i < FIRST_ANALYZE_AT + 5; i++) {
        await t.insert(
          "INSERT INTO appointments (company_id, external_id, client_name, client_phone, start_time, end_time) VALUES (?, ?, 'Ana', '5511999990000', ?, ?)",
          ["c", `L-${i}`, "2026-11-25T12:00:00.000Z", "2026-11-25T13:00:00.000Z"],
        );
      }
      return mode(t);
    }, { growsTable: "appointments" });
    const ms = Date.now() - t0;
    clearTimeout(timer);
    release();
    await holder;
    assert.equal(after, "force_custom_plan", "the ANALYZE was skipped: plans stay custom until the next doubling");
    assert.ok(ms < 15_000, `the import did not wait for the lock: ${ms} ms`);
    assert.equal((await db.get<{ n: number }>("SELECT count(*) AS n FROM appointments"))!.n, FIRST_ANALYZE_AT + 5, "every row committed");
  } finally {
    await other.close();
    await db.close();
  }
});
