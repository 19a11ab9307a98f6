import { test, describe, before, after, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { ManualClock, iso } from "../../src/clock.js";
import { followupMessage } from "../../src/domain/messages.js";
import { Daemon } from "../../src/daemon/daemon.js";
import { DaemonEventHub } from "../../src/daemon/events.js";
import { createScheduler, type SchedulerDeps } from "../../src/daemon/scheduler.js";
import { FakeWhaticket, startFakeWhaticket } from "../../src/gateway/fake-whaticket.js";
import { WhaticketClient } from "../../src/gateway/whaticket-client.js";
import type { SendOutcome } from "../../src/gateway/whaticket.js";
import { createLogger } from "../../src/logger.js";
import { getAppointment } from "../../src/store/appointments.js";
import { getCompany } from "../../src/store/companies.js";
import { listDaemons, registerDaemon } from "../../src/store/daemons.js";
import { claimDue } from "../../src/store/followups.js";
import { openStore } from "../../src/store/open.js";
import type { Store } from "../../src/store/store.js";
import { migratedDb, tempDb } from "../helpers/cli.js";
import { addCompany, auditCount, phoneFor, seedDue, statusCounts, T0, TOKEN } from "../helpers/daemon.js";

const T = { timeout: 60_000 };
const MIN = 60_000;

describe("the delivery loop against the fake Whaticket (in process, real database)", () => {
  let fake: FakeWhaticket;
  let gateway: WhaticketClient;
  let db: Store;
  let path: string;
  let clock: ManualClock;
  let lines: string[];

  before(async () => {
    fake = await startFakeWhaticket({ token: TOKEN });
    gateway = new WhaticketClient({ timeoutMs: 5000 });
  });
  after(async () => {
    await gateway.close();
    await fake.stop();
  });
  beforeEach(async () => {
    fake.reset();
    fake.setLatency(0);
    path = tempDb();
    db = await migratedDb(path);
    clock = new ManualClock(T0);
    lines = [];
  });
  afterEach(() => db.close());

  function scheduler(over: Partial<SchedulerDeps> = {}) {
    return createScheduler({
      store: db,
      gateway,
      clock: clock.now,
      logger: createLogger({ format: "json", write: (l) => lines.push(l) }),
      whaticketDefaults: { url: null, token: null },
      concurrency: 8,
      retry: { random: () => 1 },
      ...over,
    });
  }
  const logged = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

  test("N due follow-ups → exactly N POSTs with the right number, body and token; N rows sent, N audits", T, async () => {
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN, whatsappId: "3" });
    const N = 60;
    const ids = await seedDue(db, { company: "clinica", n: N, clientName: (i) => `${["ana", "BRUNO", "carla maria", "Dr. davi"][i % 4]} silva` });
    await seedDue(db, { company: "clinica", n: 5, from: N, dueAt: new Date(T0.getTime() + 10 * MIN) }); // not due yet
    const events = new DaemonEventHub();
    const results: SendOutcome[] = [];
    const ticks: boolean[] = [];
    events.subscribe({ onSendResult: (_c, o) => results.push(o), onTick: (ok) => ticks.push(ok) });
    const s = scheduler({ events, owner: "delivery-test" });
    // The daemon registers its row before the first tick; the scheduler records each tick in it.
    await registerDaemon(db, {
      id: s.owner, host: "test-host", pid: 1, started_at: iso(new Date(T0.getTime() - MIN)), schedule: "* * * * *", interval_s: 60,
      http_url: null, webhook_on: 0, api_on: 0, simulated_clock: 1,
    });
    const r = await s.tick();
    assert.equal(r.ok, true);
    assert.equal(r.sent, N);
    assert.equal(fake.received.length, N);
    const byNumber = new Map(fake.received.map((m) => [m.number, m]));
    assert.equal(byNumber.size, N, "no number twice");
    for (const id of ids) {
      const row = (await getAppointment(db, id))!;
      assert.equal(row.followup_status, "sent");
      assert.equal(row.followup_sent_at, iso(T0));
      assert.equal(row.followup_attempts, 1);
      assert.equal(row.lease_owner, null);
      const m = byNumber.get(row.client_phone)!;
      assert.equal(m.token, TOKEN);
      assert.equal(m.whatsappId, "3");
      assert.equal(m.body, followupMessage({ clientName: row.client_name, appointmentEnd: new Date(row.end_time), sendAt: T0, timezone: "America/Sao_Paulo" }));
      assert.match(m.body, /^Espero que tenha corrido tudo bem na reunião de hoje, (Ana|Bruno|Carla|Davi)\. 😊\n/);
    }
    assert.equal(await auditCount(db, "followup_sent"), N);
    assert.deepEqual(await statusCounts(db), { sent: N, scheduled: 5 });
    assert.equal(results.length, N);
    assert.deepEqual(ticks, [true]);
    const [row] = await listDaemons(db, iso(new Date(T0.getTime() - MIN)));
    assert.deepEqual(
      { id: row?.id, heartbeat_at: row?.heartbeat_at, last_tick_at: row?.last_tick_at, last_success_at: row?.last_success_at, last_error: row?.last_error },
      { id: "delivery-test", heartbeat_at: iso(T0), last_tick_at: iso(T0), last_success_at: iso(T0), last_error: null },
    );
    for (const l of logged()) assert.ok(!JSON.stringify(l).includes(TOKEN));
    const sentLines = logged().filter((l) => l.event === "followup_sent");
    assert.equal(sentLines.length, N);
    assert.match(String(sentLines[0]!.phone), /^5511\*+\d\d$/, "phones are masked in logs");

    // Nothing is sent twice by a later tick.
    clock.advance(MIN);
    await scheduler({ events }).tick();
    assert.equal(fake.received.length, N);
  });

  test("500 then 200: retried after the backoff, then sent", T, async () => {
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN });
    const [id] = await seedDue(db, { company: "clinica", n: 1 });
    fake.failNext(1, 500);
    const s = scheduler();
    const r1 = await s.tick();
    assert.equal(r1.retried, 1);
    let row = (await getAppointment(db, id!))!;
    assert.equal(row.followup_status, "scheduled");
    assert.equal(row.followup_attempts, 1);
    assert.equal(row.followup_last_error, "HTTP 500 ERR_INTERNAL");
    assert.equal(row.followup_next_scheduled, iso(new Date(T0.getTime() + 30_000)));
    await s.tick();
    assert.equal(fake.received.length, 1, "not before the backoff");
    clock.advance(30_000);
    const r2 = await s.tick();
    assert.equal(r2.sent, 1);
    row = (await getAppointment(db, id!))!;
    assert.equal(row.followup_status, "sent");
    assert.equal(row.followup_attempts, 2);
    assert.equal(row.followup_last_error, null);
    assert.equal(fake.received.length, 2);
    assert.equal(await auditCount(db, "followup_sent"), 1);
  });

  test("transient failures up to --max-attempts, then failed with the last error kept", T, async () => {
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN });
    const [id] = await seedDue(db, { company: "clinica", n: 1 });
    fake.failNext(2, 503);
    fake.failNext(5, "drop");
    const s = scheduler({ retry: { maxAttempts: 3, random: () => 1 } });
    for (let i = 0; i < 3; i++) {
      await s.tick();
      clock.advance(10 * MIN);
    }
    const row = (await getAppointment(db, id!))!;
    assert.equal(row.followup_status, "failed");
    assert.equal(row.followup_attempts, 3);
    assert.match(row.followup_last_error!, /ECONNRESET|socket hang up|network|EPIPE/i);
    assert.equal(fake.received.length, 3);
    assert.equal(await auditCount(db, "followup_failed"), 1);
    await s.tick();
    assert.equal(fake.received.length, 3, "a failed follow-up is not tried again");
  });

  test("400 ERR_WAPP_INVALID_CONTACT: failed at once, the others still sent", T, async () => {
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN });
    const ids = await seedDue(db, { company: "clinica", n: 3 });
    fake.failNumber(phoneFor(1), 400, "ERR_WAPP_INVALID_CONTACT");
    const r = await scheduler().tick();
    assert.equal(r.failed, 1);
    assert.equal(r.sent, 2);
    const bad = (await getAppointment(db, ids[1]!))!;
    assert.equal(bad.followup_status, "failed");
    assert.equal(bad.followup_attempts, 1);
    assert.equal(bad.followup_last_error, "HTTP 400 ERR_WAPP_INVALID_CONTACT");
    assert.equal(fake.countFor(phoneFor(1)), 1);
    const line = logged().find((l) => l.event === "followup_failed")!;
    assert.equal(line.level, "error");
    assert.equal(line.reason, "permanent");
  });

  test("401: the company is paused, no attempt burned, one loud line; it resumes by itself once the token works", T, async () => {
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN });
    await addCompany(db, "outra", { url: fake.url, token: TOKEN });
    const ids = await seedDue(db, { company: "clinica", n: 5 });
    await seedDue(db, { company: "outra", n: 3, from: 100 });
    // Only clinica's token is revoked: the fake checks the token it expects.
    await db.run("UPDATE companies SET whaticket_token = 'revoked-token' WHERE id = 'clinica'");
    const paused: string[] = [];
    const events = new DaemonEventHub();
    events.subscribe({ onCompanyPaused: (c) => paused.push(c) });
    const s = scheduler({ events });
    const r = await s.tick();
    assert.equal(r.paused, 1);
    assert.equal(r.sent, 3, "the other company is not held back");
    for (const id of ids) {
      const row = (await getAppointment(db, id))!;
      assert.equal(row.followup_status, "scheduled");
      assert.equal(row.followup_attempts, 0, "no attempt burned");
      assert.equal(row.followup_next_scheduled, iso(new Date(T0.getTime() - MIN)), "due time unchanged");
    }
    assert.match((await getCompany(db, "clinica"))!.paused_reason!, /HTTP 401/);
    assert.deepEqual(paused, ["clinica"]);
    const loud = logged().filter((l) => l.event === "company_paused");
    assert.equal(loud.length, 1);
    assert.equal(loud[0]!.level, "error");
    assert.match(String(loud[0]!.fix), /secretaria companies add --id clinica --whaticket-token/);
    for (const l of lines) assert.ok(!l.includes("revoked-token") && !l.includes(TOKEN), l);

    // Paused: the next ticks send nothing for it.
    const before = fake.received.length;
    clock.advance(MIN);
    await s.tick();
    assert.equal(fake.received.length, before);

    // Token fixed on the Whaticket side; after the pause one probe goes, then the rest.
    await db.run("UPDATE companies SET whaticket_token = ? WHERE id = 'clinica'", [TOKEN]);
    clock.advance(5 * MIN);
    const r2 = await s.tick();
    assert.equal(r2.sent, 5);
    assert.equal((await getCompany(db, "clinica"))!.paused_reason, null);
    assert.ok(logged().some((l) => l.event === "company_resumed"));
  });

  test("allow_followup=false and cancelled: zero POSTs, ever; skipped with the reason", T, async () => {
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN });
    const noConsent = await seedDue(db, { company: "clinica", n: 3, allowFollowup: false });
    const cancelled = await seedDue(db, { company: "clinica", n: 2, from: 10, status: "cancelled" });
    const skipped: string[] = [];
    const events = new DaemonEventHub();
    events.subscribe({ onSkipped: (_c, reason, n) => skipped.push(`${reason}:${n}`) });
    const s = scheduler({ events });
    for (let i = 0; i < 3; i++) {
      await s.tick();
      clock.advance(10 * MIN);
    }
    assert.equal(fake.received.length, 0);
    for (const id of noConsent) assert.equal((await getAppointment(db, id))!.followup_skip_reason, "no_consent");
    for (const id of cancelled) assert.equal((await getAppointment(db, id))!.followup_skip_reason, "cancelled");
    assert.deepEqual(skipped.sort(), ["cancelled:2", "no_consent:3"]);
    assert.equal(await auditCount(db, "followup_skipped"), 5);
  });

  test("more than 12 h past due: skipped as expired, never sent", T, async () => {
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN });
    const [old] = await seedDue(db, { company: "clinica", n: 1, dueAt: new Date(T0.getTime() - 12 * 60 * MIN - 1000) });
    const [recent] = await seedDue(db, { company: "clinica", n: 1, from: 1, dueAt: new Date(T0.getTime() - 11 * 60 * MIN) });
    const r = await scheduler().tick();
    assert.equal(r.expired, 1);
    assert.equal(r.sent, 1);
    assert.equal((await getAppointment(db, old!))!.followup_status, "skipped");
    assert.equal((await getAppointment(db, old!))!.followup_skip_reason, "expired");
    assert.equal((await getAppointment(db, recent!))!.followup_status, "sent");
    assert.equal(fake.countFor(phoneFor(0)), 0);
  });

  test("crash recovery: a row left in 'sending' by a dead daemon is sent once its lease ran out", T, async () => {
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN });
    const [id] = await seedDue(db, { company: "clinica", n: 1 });
    await claimDue(db, { companyId: "clinica", owner: "dead", now: iso(T0), leaseUntil: iso(new Date(T0.getTime() + 2 * MIN)), expiryCutoff: "0", limit: 1 });
    const s = scheduler();
    await s.tick();
    assert.equal(fake.received.length, 0, "not while the lease holds");
    assert.equal((await getAppointment(db, id!))!.followup_status, "sending");
    clock.advance(3 * MIN);
    const r = await s.tick();
    assert.equal(r.reclaimed, 1);
    assert.equal((await getAppointment(db, id!))!.followup_status, "sent");
    assert.equal(fake.received.length, 1);
  });

  test("a queued row whose lease is nearly spent is given back and claimed afresh, never sent on a dying lease", T, async () => {
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN });
    await seedDue(db, { company: "clinica", n: 3 });
    const leaseMs = 100_000;
    const leftAtSend: number[] = [];
    // Each send takes 40 s of business time: the third row of the batch would go out with 20 s of its lease left.
    const slow = {
      async send(target: Parameters<WhaticketClient["send"]>[0], msg: Parameters<WhaticketClient["send"]>[1]) {
        const row = await db.get<{ lease_expires_at: string }>("SELECT lease_expires_at FROM appointments WHERE client_phone = ?", [msg.number]);
        leftAtSend.push(Date.parse(row!.lease_expires_at) - clock.now().getTime());
        clock.advance(40_000);
        return gateway.send(target, msg);
      },
      close: () => {},
    };
    const s = scheduler({ gateway: slow, concurrency: 1, leaseMs });
    assert.equal((await s.tick()).sent, 2);
    // The third went back to scheduled unsent, its attempt not counted; the next tick claims and sends it.
    assert.deepEqual(await statusCounts(db), { sent: 2, scheduled: 1 });
    assert.equal((await s.tick()).sent, 1);
    assert.equal(fake.received.length, 3, "each follow-up sent once");
    assert.equal(leftAtSend.length, 3);
    for (const left of leftAtSend) assert.ok(left >= leaseMs / 4, `sent with ${left} ms of its lease left`);
    assert.deepEqual(await statusCounts(db), { sent: 3 });
  });

  test("an overlapping tick does not start a second pass", T, async () => {
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN });
    await seedDue(db, { company: "clinica", n: 10 });
    fake.setLatency(150);
    const s = scheduler({ concurrency: 2 });
    const first = s.tick();
    const second = await s.tick();
    assert.equal(second.overlapped, true);
    assert.equal(second.sent, 0);
    assert.equal(s.busy, true);
    const r = await first;
    assert.equal(r.sent, 10);
    assert.equal(fake.received.length, 10);
    assert.equal(s.busy, false);
  });

  test("a company's rate limit does not hold back the others", T, async () => {
    await addCompany(db, "lenta", { url: fake.url, token: TOKEN, rate: 0.5 });
    await addCompany(db, "rapida", { url: fake.url, token: TOKEN, rate: 0 });
    await seedDue(db, { company: "lenta", n: 3, from: 0 });
    await seedDue(db, { company: "rapida", n: 20, from: 100 });
    const r = await scheduler({ concurrency: 4 }).tick();
    assert.equal(r.sent, 23);
    const order = fake.received.map((m) => (Number(m.number.slice(5)) < 100 ? "lenta" : "rapida"));
    const secondSlow = order.indexOf("lenta", order.indexOf("lenta") + 1);
    const lastFast = order.lastIndexOf("rapida");
    assert.ok(lastFast < secondSlow, `all of rapida went out while lenta waited for its rate: ${order.join(",")}`);
    const slow = fake.received.filter((m) => Number(m.number.slice(5)) < 100).map((m) => m.at);
    assert.ok(slow[2]! - slow[0]! >= 3500, "0.5 msg/s: three messages span about four seconds");
    // The budget lives in the database, for the rate-limited company only.
    const budget = await db.all<{ company_id: string; next_at_ms: number }>("SELECT company_id, next_at_ms FROM send_budget ORDER BY company_id");
    assert.deepEqual(budget.map((b) => b.company_id), ["lenta"]);
    assert.ok(budget[0]!.next_at_ms > slow[2]! && budget[0]!.next_at_ms <= slow[2]! + 2001, `next free instant 2 s after the last send: ${budget[0]!.next_at_ms - slow[2]!} ms`);
  });

  test("two schedulers on separate connections to one database never send the same follow-up twice", T, async () => {
    await addCompany(db, "a", { url: fake.url, token: TOKEN });
    await addCompany(db, "b", { url: fake.url, token: TOKEN });
    await seedDue(db, { company: "a", n: 600, from: 0 });
    await seedDue(db, { company: "b", n: 600, from: 1000 });
    const other = await openStore(path);
    try {
      const s1 = scheduler({ batchSize: 4 });
      const s2 = createScheduler({ store: other, gateway, clock: clock.now, whaticketDefaults: { url: null, token: null }, concurrency: 8, batchSize: 4 });
      const [r1, r2] = await Promise.all([s1.tick(), s2.tick()]);
      assert.equal(r1.sent + r2.sent, 1200);
      assert.ok(r1.sent > 0 && r2.sent > 0, `both worked: ${r1.sent} + ${r2.sent}`);
    } finally {
      await other.close();
    }
    assert.equal(fake.received.length, 1200);
    assert.equal(new Set(fake.received.map((m) => m.number)).size, 1200);
    assert.deepEqual(await statusCounts(db), { sent: 1200 });
    assert.equal(await auditCount(db, "followup_sent"), 1200);
  });

  test("stop(): no more claims, sends in flight finish and are recorded, nothing left in 'sending'", T, async () => {
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN });
    await seedDue(db, { company: "clinica", n: 40 });
    fake.setLatency(200);
    const s = scheduler({ concurrency: 4 });
    const pass = s.tick();
    while (fake.received.length < 4) await new Promise((r) => setTimeout(r, 5));
    await Promise.all([s.stop(), s.stop()]);
    const r = await pass;
    const counts = await statusCounts(db);
    assert.equal(counts.sending, undefined);
    assert.equal(counts.sent, r.sent);
    assert.equal(counts.sent, fake.deliveredCount, "every message Whaticket took is recorded as sent");
    assert.ok(counts.scheduled! > 0, "the rest waits for the next daemon");
    assert.equal((await s.tick()).sent, 0, "a stopped scheduler does not tick");
  });

  test("stop(): queued rows go back at once; a send unanswered at the deadline keeps its lease (not resent at once), nothing is written after", T, async () => {
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN });
    const ids = await seedDue(db, { company: "clinica", n: 6 });
    fake.failNext(2, "timeout"); // the first two requests reach the fake and are never answered
    const slowGateway = new WhaticketClient({ timeoutMs: 4000 });
    try {
      const s = scheduler({ gateway: slowGateway, concurrency: 2, stopTimeoutMs: 1500 });
      const pass = s.tick();
      while (fake.received.length < 2) await new Promise((r) => setTimeout(r, 5));
      const inFlight = new Set(fake.received.map((m) => m.number));
      const queued = ids.filter((_, i) => !inFlight.has(phoneFor(i)));
      assert.equal(queued.length, 4);
      let stopDone = false;
      const stopping = s.stop().then(() => (stopDone = true));
      // Claimed but never sent: back to scheduled while the stop still waits for the two in flight.
      for (let i = 0; i < 500; i++) {
        const back = await Promise.all(queued.map((id) => getAppointment(db, id)));
        if (back.every((r) => r!.followup_status === "scheduled" && r!.lease_owner === null)) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(stopDone, false, "the stop was still waiting for the sends in flight");
      for (const id of queued) assert.equal((await getAppointment(db, id))!.followup_status, "scheduled");
      await stopping;
      await pass;
      // Whaticket may have these two: they keep their lease (claimed again when it runs out), with the reason.
      const held = ids.filter((_, i) => inFlight.has(phoneFor(i)));
      for (const id of held) {
        const row = (await getAppointment(db, id))!;
        assert.equal(row.followup_status, "sending");
        assert.notEqual(row.lease_owner, null);
        assert.match(row.followup_last_error ?? "", /stopped while this send was in flight: outcome unknown/);
      }
      const unknown = logged().find((l) => l.event === "followups_outcome_unknown");
      assert.equal(unknown?.count, 2, JSON.stringify(logged()));
      assert.equal(fake.received.length, 2, "nothing else was sent");
      // The hung sends end in a timeout later: nothing is recorded on them.
      const before = JSON.stringify(await Promise.all(held.map((id) => getAppointment(db, id))));
      for (let i = 0; i < 1000 && logged().filter((l) => l.event === "followup_outcome_unrecorded").length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(logged().filter((l) => l.event === "followup_outcome_unrecorded").length, 2);
      assert.equal(JSON.stringify(await Promise.all(held.map((id) => getAppointment(db, id)))), before);
      assert.equal(logged().filter((l) => l.level === "error").length, 0, JSON.stringify(logged()));
      // After the lease: claimed again and sent once more (at most one duplicate each).
      clock.set(new Date(T0.getTime() + 3 * MIN));
      const again = await scheduler({ gateway: slowGateway }).tick();
      assert.equal(again.reclaimed, 2);
      assert.deepEqual(await statusCounts(db), { sent: 6 });
    } finally {
      await slowGateway.close();
    }
  });

  test("a company without any Whaticket target (added while running) is paused, not failed", T, async () => {
    await addCompany(db, "sem", {});
    const [id] = await seedDue(db, { company: "sem", n: 1 });
    const r = await scheduler().tick();
    assert.equal(r.paused, 1);
    assert.equal((await getAppointment(db, id!))!.followup_status, "scheduled");
    assert.match((await getCompany(db, "sem"))!.paused_reason!, /set WHATICKET_URL/);
    assert.equal(fake.received.length, 0);
  });

  test("Daemon: start and stop are safe to call twice (and stop before start); the first tick runs at once", T, async () => {
    await addCompany(db, "clinica", { url: fake.url, token: TOKEN });
    await seedDue(db, { company: "clinica", n: 3 });
    const unused = new Daemon({ dbPath: path, clock: clock.now, logger: createLogger({ write: () => {} }) });
    await unused.stop();
    await unused.stop();

    const events = new DaemonEventHub();
    const ticks: boolean[] = [];
    events.subscribe({ onTick: (ok) => ticks.push(ok) });
    const daemon = new Daemon({
      dbPath: path,
      clock: clock.now,
      logger: createLogger({ format: "json", write: (l) => lines.push(l) }),
      env: {},
      port: 0,
      rateLimit: 0,
      events,
    });
    await Promise.all([daemon.start(), daemon.start()]);
    assert.match(daemon.url!, /^http:\/\/127\.0\.0\.1:\d+$/);
    while (ticks.length === 0) await new Promise((r) => setTimeout(r, 10));
    assert.equal(fake.received.length, 3);
    await Promise.all([daemon.stop(), daemon.stop()]);
    await daemon.stopped;
    assert.equal(logged().filter((l) => l.event === "daemon_started").length, 1);
    assert.equal(logged().filter((l) => l.event === "daemon_stopped").length, 1);
    // One daemon row (the one never started registered nothing): its tick succeeded, and it is marked stopped.
    const rows = await listDaemons(db, iso(new Date(T0.getTime() - MIN)));
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.equal(rows[0]!.last_tick_at, iso(T0));
    assert.equal(rows[0]!.last_success_at, iso(T0));
    assert.equal(rows[0]!.last_error, null);
    assert.equal(rows[0]!.stopped_at, iso(T0));
    assert.equal(rows[0]!.simulated_clock, 0);
    assert.throws(() => new Daemon({ dbPath: path, clock: clock.now, logger: createLogger(), schedule: "61 * * * *" }), /--schedule "61 \* \* \* \*" is not a cron expression/);
  });
});
