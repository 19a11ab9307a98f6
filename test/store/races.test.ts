/**
 * The store's contract under concurrency, with two real connections to one database (two
 * processes' worth: separate SQLite connections, or separate PostgreSQL pools under READ
 * COMMITTED): claims, slot bookings, the shared rate budget and the counters.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { iso } from "../../src/clock.js";
import { silentLogger } from "../../src/logger.js";
import { createReplyService } from "../../src/services/reply-service.js";
import { writeAudit } from "../../src/store/audit.js";
import { claimDue, reserveSendSlots } from "../../src/store/followups.js";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";
import { migratedDb, tempDb } from "../helpers/cli.js";
import { addCompany, seedDue, T0 } from "../helpers/daemon.js";
import { addSentFollowup, recordingSender, replyFixture, REPLY_AT } from "../helpers/reply-fixtures.js";

async function twoConnections(): Promise<{ a: Store; b: Store; location: string; close(): Promise<void> }> {
  const location = tempDb();
  const a = await migratedDb(location);
  const b = await openStore(location, { poolSize: 4 });
  return { a, b, location, close: async () => void (await Promise.all([a.close(), b.close()])) };
}

describe("two connections at once", () => {
  test("claims: 600 due rows drained by two claimers, every row claimed exactly once", async () => {
    const { a, b, close } = await twoConnections();
    try {
      await addCompany(a, "c", { url: "http://127.0.0.1:9", token: "t" });
      const ids = await seedDue(a, { company: "c", n: 600 });
      const now = iso(T0);
      const claimer = async (store: Store, owner: string) => {
        const got: number[] = [];
        for (let round = 0; round < 200; round++) {
          const rows = await claimDue(store, {
            companyId: "c", owner, now, leaseUntil: iso(new Date(T0.getTime() + 60_000)), expiryCutoff: iso(new Date(T0.getTime() - 12 * 3600_000)), limit: 7,
          });
          if (!rows.length) break;
          // A daemon sends between two claims: give the other connection its turn at the lock.
          await new Promise((r) => setTimeout(r, 1));
          for (const r of rows) got.push(r.id);
        }
        return got;
      };
      const [x, y] = await Promise.all([claimer(a, "daemon-a"), claimer(b, "daemon-b")]);
      const both = [...x, ...y];
      assert.equal(new Set(both).size, both.length, "a row was claimed twice");
      assert.deepEqual([...both].sort((p, q) => p - q), [...ids].sort((p, q) => p - q));
      assert.ok(x.length > 0 && y.length > 0, `both claimers got rows (${x.length} / ${y.length})`);
      const owners = await a.all<{ lease_owner: string; n: number }>(
        "SELECT lease_owner, count(*) AS n FROM appointments WHERE followup_status = 'sending' GROUP BY lease_owner ORDER BY lease_owner",
      );
      assert.deepEqual(owners, [{ lease_owner: "daemon-a", n: x.length }, { lease_owner: "daemon-b", n: y.length }]);
    } finally {
      await close();
    }
  });

  test("two customers choosing the same free slot at once: exactly one booking, the other is offered fresh slots", async () => {
    const f = await replyFixture();
    const other = await openStore(f.dbPath, { poolSize: 4 });
    try {
      const slot = "2026-12-01T13:00:00.000Z"; // Tuesday 10:00 in São Paulo, inside business hours
      const ids: number[] = [];
      for (const [i, phone] of ["5511988880001", "5511988880002"].entries()) {
        const id = await addSentFollowup(f, { externalId: `race-${i}`, phone });
        await f.db.run("UPDATE appointments SET followup_status = 'positive', followup_response = 'positive', followup_offered_slots = ? WHERE id = ?", [
          JSON.stringify([slot]), id,
        ]);
        ids.push(id);
      }
      const svc = (store: Store) => createReplyService({ store, clock: () => REPLY_AT, logger: silentLogger, sender: recordingSender() });
      const [r1, r2] = await Promise.all([
        svc(f.db).processInbound({ phone: "5511988880001", text: "1", messageId: "race-1" }),
        svc(other).processInbound({ phone: "5511988880002", text: "1", messageId: "race-2" }),
      ]);
      assert.deepEqual([r1.outcome, r2.outcome].sort(), ["booked", "slot_taken"]);
      const booked = await f.db.all<{ start_time: string }>("SELECT start_time FROM appointments WHERE external_id LIKE 'followup-%' AND status = 'booked'");
      assert.deepEqual(booked, [{ start_time: slot }]);
      const loser = r1.outcome === "slot_taken" ? r1 : r2;
      assert.match(loser.bot_reply ?? "", /1\)/, "the customer who lost the race gets new suggestions");
    } finally {
      await other.close();
      await f.db.close();
    }
  });

  test("the rate budget is one per company: 40 sends reserved from two connections at 5/s are 200 ms apart", async () => {
    const { a, b, close } = await twoConnections();
    try {
      const nowMs = Date.parse("2026-11-25T18:00:00.000Z");
      const reserve = async (store: Store) => {
        const out: number[] = [];
        for (let i = 0; i < 10; i++) out.push(...(await reserveSendSlots(store, { companyId: "c", count: 2, rate: 5, nowMs, horizonMs: Infinity })));
        return out;
      };
      const [x, y] = await Promise.all([reserve(a), reserve(b)]);
      const all = [...x, ...y].sort((p, q) => p - q);
      assert.equal(all.length, 40);
      for (let i = 1; i < all.length; i++) assert.ok(all[i]! - all[i - 1]! >= 200 - 1e-6, `slots ${i - 1} and ${i} are ${all[i]! - all[i - 1]!} ms apart`);
      // Any window of one second holds at most 5 of them.
      for (const start of all) assert.ok(all.filter((t) => t >= start && t < start + 1000).length <= 5);
      // Nothing is reserved beyond the horizon: a second company is independent.
      const other = await reserveSendSlots(a, { companyId: "d", count: 3, rate: 1, nowMs, horizonMs: 1500 });
      assert.deepEqual(other, [nowMs, nowMs + 1000]);
    } finally {
      await close();
    }
  });

  test("counters: audit rows written by two connections at once are counted exactly once, and a reader never sees them go down", async () => {
    const { a, b, close } = await twoConnections();
    try {
      const writer = async (store: Store, tag: string) => {
        for (let i = 0; i < 30; i++) {
          await store.tx(async (t) => {
            for (let k = 0; k <= i % 3; k++) {
              await writeAudit(t, { action: "followup_sent", company_id: "c", appointment_id: null, payload: { tag }, created_at: iso(T0) });
            }
            if (i % 4 === 0) {
              await writeAudit(t, { action: "followup_response", company_id: "c", payload: { response: i % 8 === 0 ? "positive" : "negative" }, created_at: iso(T0) });
            }
          });
        }
      };
      let last = 0;
      let reading = true;
      const reader = (async () => {
        while (reading) {
          const row = await a.get<{ n: number }>("SELECT n FROM followup_counters WHERE company_id = 'c' AND action = 'followup_sent'");
          const n = row?.n ?? 0;
          assert.ok(n >= last, `the sent counter went from ${last} down to ${n}`);
          last = n;
          await new Promise((r) => setImmediate(r));
        }
      })();
      await Promise.all([writer(a, "a"), writer(b, "b")]);
      reading = false;
      await reader;
      const counters = await a.all<{ action: string; response: string; n: number }>(
        "SELECT action, response, n FROM followup_counters WHERE company_id = 'c' ORDER BY action, response",
      );
      const audit = await a.all<{ action: string; response: string; n: number }>(
        `SELECT action, CASE WHEN action = 'followup_response' THEN CASE WHEN payload LIKE '%positive%' THEN 'positive' ELSE 'negative' END ELSE '' END AS response,
                count(*) AS n FROM audit_log WHERE company_id = 'c' GROUP BY 1, 2 ORDER BY 1, 2`,
      );
      assert.deepEqual(counters, audit);
      assert.equal(counters.find((r) => r.action === "followup_sent")?.n, 2 * (10 * 1 + 10 * 2 + 10 * 3));
    } finally {
      await close();
    }
  });
});
