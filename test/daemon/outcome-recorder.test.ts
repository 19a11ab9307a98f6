import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { iso } from "../../src/clock.js";
import { inProcessHotPath } from "../../src/daemon/hot-path.js";
import { OutcomeRecorder } from "../../src/daemon/outcome-recorder.js";
import type { SendOutcome } from "../../src/gateway/whaticket.js";
import { silentLogger } from "../../src/logger.js";
import { planOutcome, retrySettings } from "../../src/services/followup-service.js";
import { getCompany } from "../../src/store/companies.js";
import { claimDue } from "../../src/store/followups.js";
import type { Store } from "../../src/store/store.js";
import { migratedDb, tempDb } from "../helpers/cli.js";
import { addCompany, seedDue, T0 } from "../helpers/daemon.js";

const sent: SendOutcome = { kind: "sent", status: 200, durationMs: 1 };
const policy = retrySettings({ maxAttempts: 5, random: () => 0.5 });

/** The real store, counting the transactions it is asked for. */
function counting(store: Store): { store: Store; txs: () => number } {
  let n = 0;
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "tx") {
        return (fn: Parameters<Store["tx"]>[0], opts?: Parameters<Store["tx"]>[1]) => {
          n++;
          return target.tx(fn, opts);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store: wrapped, txs: () => n };
}

async function claimed(n: number) {
  const db = await migratedDb(tempDb());
  await addCompany(db, "a", { url: "http://127.0.0.1:9", token: "t" });
  await seedDue(db, { company: "a", n });
  const rows = await claimDue(db, {
    companyId: "a", owner: "o", now: iso(T0), leaseUntil: iso(new Date(T0.getTime() + 60_000)), expiryCutoff: "0", limit: n,
  });
  const company = (await getCompany(db, "a"))!;
  return { db, rows, plan: (i: number) => planOutcome(policy, company, rows[i]!, "o", sent, T0) };
}

describe("group commit of send outcomes", () => {
  test("outcomes finished within the window are one transaction, each row still conditional on its lease", async () => {
    const { db, rows, plan } = await claimed(6);
    try {
      // One row lost its lease meanwhile (taken over): its outcome is not written on it.
      await db.run("UPDATE appointments SET lease_owner = 'other' WHERE id = ?", [rows[5]!.id]);
      const c = counting(db);
      // Sends finishing on different turns of the event loop, all within the window (flushAt ends it).
      const recorder = new OutcomeRecorder(inProcessHotPath(c.store), silentLogger, { windowMs: 10 * 60_000, flushAt: 6 });
      const pending: Promise<boolean>[] = [];
      for (let i = 0; i < rows.length; i++) {
        pending.push(recorder.record(plan(i)));
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setTimeout(r, 1));
      }
      assert.deepEqual(await Promise.all(pending), [true, true, true, true, true, false]);
      assert.equal(c.txs(), 1, "six outcomes finished on six turns: one transaction");
      const states = await db.all<{ followup_status: string; n: number }>("SELECT followup_status, count(*) AS n FROM appointments GROUP BY followup_status ORDER BY followup_status");
      assert.deepEqual(states, [{ followup_status: "sending", n: 1 }, { followup_status: "sent", n: 5 }]);
      assert.equal(recorder.backlog, 0);
    } finally {
      await db.close();
    }
  });

  test("reaching flushAt commits at once, without waiting for the window", async () => {
    const { db, plan } = await claimed(4);
    try {
      const c = counting(db);
      // A window far longer than the test's timeout: only flushAt can get these recorded.
      const recorder = new OutcomeRecorder(inProcessHotPath(c.store), silentLogger, { windowMs: 10 * 60_000, flushAt: 2 });
      assert.deepEqual(await Promise.all([recorder.record(plan(0)), recorder.record(plan(1))]), [true, true]);
      assert.deepEqual(await Promise.all([recorder.record(plan(2)), recorder.record(plan(3))]), [true, true]);
      assert.equal(c.txs(), 2);
      await recorder.drain();
    } finally {
      await db.close();
    }
  });

  test("drain() commits what waits for the window", async () => {
    const { db, plan } = await claimed(1);
    try {
      const recorder = new OutcomeRecorder(inProcessHotPath(db), silentLogger, { windowMs: 10 * 60_000, flushAt: 10 });
      const p = recorder.record(plan(0));
      await recorder.drain();
      assert.equal(await p, true);
      assert.equal((await db.get<{ s: string }>("SELECT followup_status AS s FROM appointments"))!.s, "sent");
    } finally {
      await db.close();
    }
  });
});
