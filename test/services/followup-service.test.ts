import { test, describe, before, after, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { fixedClock, iso } from "../../src/clock.js";
import { followupMessage } from "../../src/domain/messages.js";
import { FakeWhaticket, startFakeWhaticket } from "../../src/gateway/fake-whaticket.js";
import { WhaticketClient } from "../../src/gateway/whaticket-client.js";
import type { SendOutcome } from "../../src/gateway/whaticket.js";
import {
  FollowupNotFoundError, ResendFailedError, ResendRefusedError, buildFollowupMessage, followupTransition, missingTargetReason,
  missingWhaticketConfig, recordOutcome, resendFollowup, resolveTarget, retrySettings,
} from "../../src/services/followup-service.js";
import { getAppointment } from "../../src/store/appointments.js";
import { getCompany, type CompanyRow } from "../../src/store/companies.js";
import type { Store } from "../../src/store/store.js";
import { claimDue } from "../../src/store/followups.js";
import { migratedDb, tempDb } from "../helpers/cli.js";
import { addCompany, phoneFor, seedDue, T0, TOKEN } from "../helpers/daemon.js";

const NOW = T0;
const T = { timeout: 20_000 };
const policy = retrySettings({ maxAttempts: 5, random: () => 0.5 });
const out = {
  sent: { kind: "sent", status: 200, durationMs: 5 } as SendOutcome,
  invalid: { kind: "permanent", status: 400, error: "HTTP 400 ERR_WAPP_INVALID_CONTACT", durationMs: 5 } as SendOutcome,
  unauthorized: { kind: "config", status: 401, error: "HTTP 401 ERR_SESSION_EXPIRED", durationMs: 5 } as SendOutcome,
  busy: { kind: "transient", status: 500, error: "HTTP 500 ERR_INTERNAL", durationMs: 5 } as SendOutcome,
  timeout: { kind: "transient", error: "timeout after 10000 ms", durationMs: 10_000 } as SendOutcome,
};

describe("followupTransition: outcome → state (pure)", () => {
  test("2xx → sent", () => {
    assert.deepEqual(followupTransition(out.sent, 0, policy, NOW), { to: "sent" });
    assert.deepEqual(followupTransition(out.sent, 4, policy, NOW), { to: "sent" });
  });

  test("400 about the number → failed at once, whatever attempts are left", () => {
    assert.deepEqual(followupTransition(out.invalid, 0, policy, NOW), { to: "failed", error: "HTTP 400 ERR_WAPP_INVALID_CONTACT", exhausted: false });
  });

  test("401/403 → paused, never failed, however many attempts were used", () => {
    assert.deepEqual(followupTransition(out.unauthorized, 0, policy, NOW), { to: "paused", error: "HTTP 401 ERR_SESSION_EXPIRED" });
    assert.equal(followupTransition(out.unauthorized, 4, policy, NOW).to, "paused");
  });

  test("5xx and timeouts → retry with a growing, jittered delay, then failed at maxAttempts", () => {
    const delays: number[] = [];
    for (let used = 0; used < 4; used++) {
      const t = followupTransition(used % 2 ? out.timeout : out.busy, used, policy, NOW);
      assert.equal(t.to, "retry");
      if (t.to === "retry") delays.push(t.next.getTime() - NOW.getTime());
    }
    assert.deepEqual(delays, [22_500, 45_000, 90_000, 180_000], "30 s doubling, equal jitter at r=0.5");
    assert.deepEqual(followupTransition(out.busy, 4, policy, NOW), { to: "failed", error: "HTTP 500 ERR_INTERNAL", exhausted: true });
    const strict = retrySettings({ maxAttempts: 1 });
    assert.equal(followupTransition(out.busy, 0, strict, NOW).to, "failed");
  });

  test("jitter spreads retries between half and all of the step", () => {
    const low = followupTransition(out.busy, 0, retrySettings({ random: () => 0 }), NOW);
    const high = followupTransition(out.busy, 0, retrySettings({ random: () => 0.999 }), NOW);
    assert.ok(low.to === "retry" && high.to === "retry");
    assert.equal(low.next.getTime() - NOW.getTime(), 15_000);
    assert.ok(high.next.getTime() - NOW.getTime() > 29_000);
  });

  test("a longer Retry-After (429) is respected", () => {
    const t = followupTransition({ kind: "transient", status: 429, error: "HTTP 429", retryAfterMs: 120_000, durationMs: 1 }, 0, policy, NOW);
    assert.ok(t.to === "retry");
    assert.equal(t.next.getTime() - NOW.getTime(), 120_000);
  });
});

describe("Whaticket target and message", () => {
  const company = { id: "clinica-sol", whaticket_url: null, whaticket_token: null, whatsapp_id: null };
  test("the company's own settings win, each falls back to the environment on its own", () => {
    const env = { url: "https://env.example", token: "env-token" };
    assert.deepEqual(resolveTarget(company, env), { url: "https://env.example", token: "env-token", whatsappId: null });
    assert.deepEqual(resolveTarget({ ...company, whaticket_url: "https://own.example", whatsapp_id: "7" }, env), {
      url: "https://own.example",
      token: "env-token",
      whatsappId: "7",
    });
    assert.equal(resolveTarget(company, { url: "https://env.example", token: null }), null);
    assert.equal(resolveTarget({ ...company, whaticket_token: "t" }, { url: null, token: "x" }), null);
  });

  test("a company that cannot send: one line naming both ways to fix it", () => {
    const none = { url: null, token: null };
    const both = missingTargetReason(company, none)!;
    assert.match(both, /^company clinica-sol has no Whaticket URL and token: set WHATICKET_URL and WHATICKET_TOKEN, or run `secretaria companies add --id clinica-sol --whaticket-url URL --whaticket-token TOKEN`$/);
    assert.match(missingTargetReason({ ...company, whaticket_token: "t" }, none)!, /no Whaticket URL: set WHATICKET_URL or run `secretaria companies add --id clinica-sol --whaticket-url URL`/);
    assert.match(missingTargetReason({ ...company, whaticket_url: "https://x" }, none)!, /no Whaticket token: set WHATICKET_TOKEN/);
    assert.equal(missingTargetReason(company, { url: "https://x", token: "t" }), null);
    const rows = [{ ...company, id: "a" }, { ...company, id: "b" }, { ...company, id: "c", whaticket_url: "https://x", whaticket_token: "t" }] as CompanyRow[];
    const line = missingWhaticketConfig(rows, none)!;
    assert.ok(!line.includes("\n"));
    assert.match(line, /^company a has no Whaticket URL and token: .* \(also: b\)$/);
    assert.equal(missingWhaticketConfig(rows, { url: "https://x", token: "t" }), null);
  });

  test("the release notes' text with the first name; the company's template when set", () => {
    const row = { client_name: "ana maria souza", client_phone: "5511999990000", end_time: "2026-11-25T17:00:00.000Z" };
    const msg = buildFollowupMessage(row, { timezone: "America/Sao_Paulo", followup_template: null }, NOW);
    assert.equal(msg.number, "5511999990000");
    assert.equal(
      msg.body,
      "Espero que tenha corrido tudo bem na reunião de hoje, Ana. 😊\nGostaria de marcar o próximo encontro?\n\n✅ Sim, quero marcar\n❌ Não, obrigado",
    );
    const next = buildFollowupMessage(row, { timezone: "America/Sao_Paulo", followup_template: null }, new Date("2026-11-26T12:00:00Z"));
    assert.match(next.body, /reunião de ontem, Ana/);
    const custom = buildFollowupMessage(row, { timezone: "America/Sao_Paulo", followup_template: "Oi {nome}! Como foi a consulta {quando}?" }, NOW);
    assert.equal(custom.body, "Oi Ana! Como foi a consulta de hoje?");
  });
});

describe("recordOutcome on a real database", () => {
  test("sent: state, sent_at and the followup_sent audit together; config: company paused, nothing burned", async (t) => {
    const db = await migratedDb(tempDb());
    t.after(() => db.close());
    await addCompany(db, "a", { url: "http://127.0.0.1:9", token: "t" });
    const [sentId, pausedId] = await seedDue(db, { company: "a", n: 2 });
    const rows = await claimDue(db, { companyId: "a", owner: "o", now: iso(NOW), leaseUntil: iso(new Date(NOW.getTime() + 60_000)), expiryCutoff: "0", limit: 2 });
    const deps = { store: db, clock: fixedClock(NOW), whaticketDefaults: { url: null, token: null }, retry: policy };
    const company = (await getCompany(db, "a"))!;
    const r1 = await recordOutcome(deps, company, rows.find((r) => r.id === sentId)!, "o", { kind: "sent", status: 200, messageId: "M1", durationMs: 3 });
    assert.equal(r1.recorded, true);
    const sent = (await getAppointment(db, sentId!))!;
    assert.equal(sent.followup_status, "sent");
    assert.equal(sent.followup_sent_at, iso(NOW));
    const audit = await db.all<{ payload: string }>("SELECT action, appointment_id, company_id, payload FROM audit_log WHERE action = 'followup_sent'");
    assert.equal(audit.length, 1);
    assert.deepEqual(JSON.parse(audit[0]!.payload), { attempt: 1, http_status: 200, message_id: "M1" });

    const r2 = await recordOutcome(deps, company, rows.find((r) => r.id === pausedId)!, "o", out.unauthorized);
    assert.equal(r2.transition.to, "paused");
    const paused = (await getAppointment(db, pausedId!))!;
    assert.equal(paused.followup_status, "scheduled");
    assert.equal(paused.followup_attempts, 0);
    assert.equal((await getCompany(db, "a"))!.paused_reason, "HTTP 401 ERR_SESSION_EXPIRED");
  });
});

describe("resendFollowup", () => {
  let fake: FakeWhaticket;
  let gateway: WhaticketClient;
  let db: Store | undefined;
  let ids: number[];
  const store = () => db!;
  const set = (id: number, cols: string) => store().run(`UPDATE appointments SET ${cols} WHERE id = ?`, [id]);
  // force: these rows went out hours ago; the 12-hour and quiet-hours holds have their own test (test/daemon/no-blasting.test.ts).
  const resend = (id: number) => resendFollowup({ store: store(), gateway, clock: fixedClock(NOW), whaticketDefaults: { url: null, token: null } }, id, { force: true });

  before(async () => {
    fake = await startFakeWhaticket({ token: TOKEN });
    gateway = new WhaticketClient({ timeoutMs: 5000 });
  });
  after(async () => {
    await gateway.close();
    await fake.stop();
  });
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });
  beforeEach(async () => {
    fake.reset();
    db = await migratedDb(tempDb());
    await addCompany(db, "a", { url: fake.url, token: TOKEN });
    ids = await seedDue(db, { company: "a", n: 8, clientName: () => "Bruno Lima" });
    await set(ids[0]!, "followup_status = 'sent', followup_sent_at = '2026-11-25T10:00:00.000Z', followup_attempts = 1");
    await set(ids[1]!, "followup_status = 'feedback', followup_response = 'feedback', followup_responded_at = '2026-11-25T11:00:00.000Z', followup_sent_at = '2026-11-25T10:00:00.000Z'");
    await set(ids[2]!, "followup_status = 'failed', followup_last_error = 'HTTP 500', followup_attempts = 5");
    await set(ids[3]!, "followup_status = 'positive', followup_response = 'positive', followup_offered_slots = '[]'");
    await set(ids[4]!, "followup_status = 'negative', followup_response = 'negative'");
    await set(ids[5]!, "followup_status = 'sent', allow_followup = 0");
    await set(ids[6]!, "followup_status = 'sent', status = 'cancelled'");
    // ids[7] stays scheduled
  });

  test("sent, feedback and failed are resent: one POST each, awaiting a reply again, audit {resend: true}", T, async () => {
    for (const [k, id] of [ids[0]!, ids[1]!, ids[2]!].entries()) {
      const { appointment, outcome } = await resend(id);
      assert.equal(outcome.kind, "sent");
      assert.equal(appointment.followup_status, "sent");
      assert.equal(appointment.followup_response, null);
      assert.equal(appointment.followup_responded_at, null);
      assert.equal(appointment.followup_offered_slots, null);
      assert.equal(appointment.followup_sent_at, iso(NOW));
      assert.equal(appointment.lease_owner, null);
      assert.equal(fake.received.length, k + 1);
    }
    for (const m of fake.received) {
      assert.equal(m.token, TOKEN);
      assert.match(m.body, /Bruno/);
    }
    const audits = (await store().all<{ payload: string }>("SELECT payload FROM audit_log WHERE action = 'followup_sent' ORDER BY id")).map((r) => JSON.parse(r.payload));
    assert.equal(audits.length, 3);
    assert.deepEqual(audits.map((a) => [a.resend, a.previous_status]), [[true, "sent"], [true, "feedback"], [true, "failed"]]);
  });

  test("refused with the reason for scheduled, positive, negative, no consent and cancelled; zero POSTs", T, async () => {
    const cases: [number, RegExp][] = [
      [ids[7]!, /not been sent yet \(scheduled\)/],
      [ids[3]!, /already answered \(positive\)/],
      [ids[4]!, /already answered \(negative\)/],
      [ids[5]!, /no consent/],
      [ids[6]!, /cancelled/],
    ];
    for (const [id, reason] of cases) {
      await assert.rejects(resend(id), (err: unknown) => {
        assert.ok(err instanceof ResendRefusedError, String(err));
        assert.equal(err.appointmentId, id);
        assert.match(err.reason, reason);
        assert.equal(err.exitCode, 1);
        return true;
      });
    }
    await assert.rejects(resend(99_999), FollowupNotFoundError);
    assert.equal(fake.received.length, 0);
  });

  test("two resends at once: one sends, the other is refused", T, async () => {
    fake.setLatency(100);
    try {
      const results = await Promise.allSettled([resend(ids[0]!), resend(ids[0]!)]);
      assert.deepEqual(results.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
      const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      assert.ok(rejected.reason instanceof ResendRefusedError);
      assert.match(rejected.reason.reason, /being sent right now/);
      assert.equal(fake.received.length, 1);
    } finally {
      fake.setLatency(0);
    }
  });

  test("Whaticket failing: a clear error, the row as it was with the error kept", T, async () => {
    fake.failNext(1, 500);
    await assert.rejects(resend(ids[1]!), (err: unknown) => err instanceof ResendFailedError && /HTTP 500/.test(err.message) && /try again later/.test(err.message));
    let row = (await getAppointment(store(), ids[1]!))!;
    assert.equal(row.followup_status, "feedback");
    assert.equal(row.followup_response, "feedback");
    assert.equal(row.followup_last_error, "HTTP 500 ERR_INTERNAL");
    assert.equal(row.lease_owner, null);

    fake.rejectTokens();
    await assert.rejects(resend(ids[1]!), (err: unknown) => {
      assert.ok(err instanceof ResendFailedError);
      assert.match(err.message, /companies add --id a --whaticket-token/);
      assert.ok(!err.message.includes(TOKEN));
      return true;
    });
    fake.rejectTokens(false);
    row = (await getAppointment(store(), ids[1]!))!;
    assert.equal(row.followup_status, "feedback");
    assert.equal((await store().get<{ n: number }>("SELECT count(*) AS n FROM audit_log WHERE action = 'followup_sent'"))!.n, 0);
  });

  test("a company without a Whaticket target: refused to send, saying how to set it", T, async () => {
    await store().run("UPDATE companies SET whaticket_url = NULL");
    await assert.rejects(resend(ids[0]!), /has no Whaticket URL: set WHATICKET_URL or run `secretaria companies add --id a --whaticket-url URL`/);
    assert.equal(fake.received.length, 0);
    assert.equal((await getAppointment(store(), ids[0]!))!.lease_owner, null);
  });

  test("the message is the release notes' text for the client", T, async () => {
    await resend(ids[0]!);
    const row = (await getAppointment(store(), ids[0]!))!;
    assert.equal(fake.received[0]!.number, phoneFor(0));
    assert.equal(
      fake.received[0]!.body,
      followupMessage({ clientName: "Bruno Lima", appointmentEnd: new Date(row.end_time), sendAt: NOW, timezone: "America/Sao_Paulo" }),
    );
  });
});
