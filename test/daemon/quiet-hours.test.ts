/**
 * No message goes out inside a company's quiet hours, whatever path it takes: a retry whose
 * backoff ends in them, a lease reclaimed from a crashed daemon, a paused company's backlog, a
 * rate-limited batch that straddles their start. Quiet hours here: 20:00–07:00 in São Paulo
 * (UTC−3), on Wednesday 25/11/2026.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { iso, ManualClock } from "../../src/clock.js";
import { createScheduler } from "../../src/daemon/scheduler.js";
import { startFakeWhaticket, type FakeWhaticket } from "../../src/gateway/fake-whaticket.js";
import type { WhaticketGateway } from "../../src/gateway/whaticket.js";
import { WhaticketClient } from "../../src/gateway/whaticket-client.js";
import { silentLogger } from "../../src/logger.js";
import { saveCompany } from "../../src/services/company-service.js";
import { pauseCompany } from "../../src/store/followups.js";
import type { Store } from "../../src/store/store.js";
import { migratedDb, tempDb } from "../helpers/cli.js";
import { phoneFor, seedDue } from "../helpers/daemon.js";

const TOKEN = "quiet-hours-token";
const at = (s: string) => new Date(s);
/** 07:00 in São Paulo the next morning: where every deferred send lands. */
const MORNING = "2026-11-26T10:00:00.000Z";

interface World {
  db: Store;
  fake: FakeWhaticket;
  clock: ManualClock;
  client: WhaticketClient;
  scheduler(gateway?: WhaticketGateway): ReturnType<typeof createScheduler>;
  delivered(): number;
  close(): Promise<void>;
}

async function world(now: string, opts: { rate?: number } = {}): Promise<World> {
  const db = await migratedDb(tempDb());
  const fake = await startFakeWhaticket({ token: TOKEN });
  const clock = new ManualClock(at(now));
  const client = new WhaticketClient({ timeoutMs: 5_000 });
  await saveCompany(db, { id: "c", name: "Clínica", whaticketUrl: fake.url, whaticketToken: TOKEN, quietHours: "20:00-07:00", rateLimit: String(opts.rate ?? 0) }, clock.now);
  return {
    db, fake, clock, client,
    scheduler: (gateway = client) =>
      createScheduler({ store: db, gateway, clock: clock.now, logger: silentLogger, whaticketDefaults: { url: null, token: null }, concurrency: 4, retry: { jitter: "none" } }),
    delivered: () => fake.received.filter((m) => m.status >= 200 && m.status < 300).length,
    async close() {
      await client.close();
      await fake.stop();
      await db.close();
    },
  };
}

const rowsOf = (db: Store) =>
  db.all<{ id: number; followup_status: string; followup_next_scheduled: string | null }>(
    "SELECT id, followup_status, followup_next_scheduled FROM appointments ORDER BY id",
  );

describe("quiet hours hold on every path", () => {
  test("a retry whose backoff ends after 20:00 waits for 07:00, and nothing is sent in between", async () => {
    const w = await world("2026-11-25T22:59:50.000Z"); // 19:59:50
    try {
      await seedDue(w.db, { company: "c", n: 1, dueAt: at("2026-11-25T22:59:00.000Z") });
      w.fake.failNext(1, 500, "ERR_INTERNAL");
      const s = w.scheduler();
      const first = await s.tick();
      assert.equal(first.retried, 1);
      assert.deepEqual((await rowsOf(w.db)).map((r) => [r.followup_status, r.followup_next_scheduled]), [["scheduled", MORNING]]);
      for (const t of ["2026-11-25T23:00:30.000Z", "2026-11-26T03:00:00.000Z", "2026-11-26T09:59:59.000Z"]) {
        w.clock.set(at(t));
        await s.tick();
      }
      assert.equal(w.delivered(), 0, "sent inside quiet hours");
      w.clock.set(at("2026-11-26T10:00:30.000Z"));
      const morning = await s.tick();
      assert.equal(morning.sent, 1);
      assert.equal(w.delivered(), 1);
      await s.stop();
    } finally {
      await w.close();
    }
  });

  test("a lease reclaimed from a crashed daemon during quiet hours is sent at 07:00, not at once", async () => {
    const w = await world("2026-11-25T23:30:00.000Z"); // 20:30
    try {
      const [id] = await seedDue(w.db, { company: "c", n: 1, dueAt: at("2026-11-25T22:30:00.000Z") });
      await w.db.run("UPDATE appointments SET followup_status = 'sending', lease_owner = 'daemon:dead', lease_expires_at = ? WHERE id = ?", [
        "2026-11-25T22:40:00.000Z", id,
      ]);
      const s = w.scheduler();
      const night = await s.tick();
      assert.equal(night.reclaimed, 1);
      assert.equal(night.sent, 0);
      assert.equal(w.delivered(), 0, "a reclaimed row went out inside quiet hours");
      w.clock.set(at("2026-11-26T10:00:30.000Z"));
      assert.equal((await s.tick()).sent, 1);
      await s.stop();
    } finally {
      await w.close();
    }
  });

  test("a paused company's backlog is not probed inside quiet hours; it goes out in the morning", async () => {
    const w = await world("2026-11-25T23:30:00.000Z"); // 20:30, the pause ran out at 19:05
    try {
      await seedDue(w.db, { company: "c", n: 3, dueAt: at("2026-11-25T22:30:00.000Z") });
      await pauseCompany(w.db, { companyId: "c", reason: "HTTP 401", now: "2026-11-25T22:00:00.000Z" });
      const s = w.scheduler();
      await s.tick();
      assert.equal(w.fake.received.length, 0, "a probe went out inside quiet hours");
      w.clock.set(at("2026-11-26T10:00:30.000Z"));
      await s.tick();
      assert.equal(w.delivered(), 3);
      await s.stop();
    } finally {
      await w.close();
    }
  });

  test("a rate-limited batch claimed at 19:59:58 stops at 20:00: the rest waits for 07:00", async () => {
    const w = await world("2026-11-25T22:59:58.000Z", { rate: 2 });
    try {
      await seedDue(w.db, { company: "c", n: 4, dueAt: at("2026-11-25T22:59:00.000Z") });
      // The clock reaches 20:00:01 as soon as the first message is out (the batch waits for its budget).
      const gateway: WhaticketGateway = {
        async send(target, msg) {
          const r = await w.client.send(target, msg);
          w.clock.set(at("2026-11-25T23:00:01.000Z"));
          return r;
        },
        close: () => undefined,
      };
      const s = w.scheduler(gateway);
      const tick = await s.tick();
      assert.equal(tick.sent, 1);
      assert.equal(w.delivered(), 1);
      const rows = await rowsOf(w.db);
      assert.deepEqual(rows.filter((r) => r.followup_status === "sent").length, 1);
      assert.deepEqual(
        rows.filter((r) => r.followup_status !== "sent").map((r) => [r.followup_status, r.followup_next_scheduled]),
        [["scheduled", MORNING], ["scheduled", MORNING], ["scheduled", MORNING]],
      );
      assert.deepEqual(w.fake.received.map((m) => m.number), [phoneFor(0)]);
      await s.stop();
    } finally {
      await w.close();
    }
  });

  test("the claim itself refuses a company in quiet hours (a due row stays scheduled, untouched)", async () => {
    const w = await world("2026-11-26T01:00:00.000Z"); // 22:00
    try {
      await seedDue(w.db, { company: "c", n: 2, dueAt: at("2026-11-25T22:50:00.000Z") });
      const s = w.scheduler();
      const r = await s.runOnce();
      assert.equal(r.sent, 0);
      assert.deepEqual((await rowsOf(w.db)).map((x) => x.followup_status), ["scheduled", "scheduled"]);
      assert.equal(iso(w.clock.now()), "2026-11-26T01:00:00.000Z");
      await s.stop();
    } finally {
      await w.close();
    }
  });
});
