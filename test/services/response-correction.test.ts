import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { healthRoutes } from "../../src/daemon/health-routes.js";
import { startHttpServer } from "../../src/daemon/http-server.js";
import { DaemonMetrics, METRIC } from "../../src/daemon/metrics.js";
import { POSITIVE_REPLY_HEADER } from "../../src/domain/messages.js";
import { silentLogger } from "../../src/logger.js";
import { createReplyService } from "../../src/services/reply-service.js";
import { correctResponse } from "../../src/services/response-correction.js";
import { computeStats, statsJson } from "../../src/services/stats-service.js";
import { getAppointment } from "../../src/store/appointments.js";
import { openStore } from "../../src/store/open.js";
import { runCli } from "../helpers/cli.js";
import { parseExposition, request, valueOf } from "../helpers/exposition.js";
import { PHONE, addSentFollowup, auditActions, recordingSender, replyFixture } from "../helpers/reply-fixtures.js";

const T = { timeout: 60_000 };

describe("followups set-response (an operator corrects a misread reply)", () => {
  test("feedback → positive: slots offered and sent, audited; stats and /metrics agree", T, async (t) => {
    const f = await replyFixture();
    t.after(() => f.db.close());
    const id = await addSentFollowup(f, { externalId: "K-1" });
    const sender = recordingSender();
    const service = createReplyService({ store: f.db, clock: f.clock.now, logger: silentLogger, sender });
    await service.processInbound({ phone: PHONE, text: "A doutora foi ótima, quinta que vem dá?", messageId: "k1" });
    // (whatever the engine read, the operator knows the client wants to book)
    const before = (await getAppointment(f.db, id))!;
    const from = before.followup_response;
    assert.ok(from === "feedback" || from === "positive");
    if (from === "positive") await f.db.run("UPDATE appointments SET followup_status = 'feedback', followup_response = 'feedback', followup_offered_slots = NULL WHERE id = ?", [id]);

    const metrics = new DaemonMetrics({ store: f.db, defaultMetrics: false, stateCacheMs: 0 });
    const server = await startHttpServer({ host: "127.0.0.1", port: 0, logger: silentLogger, routes: [healthRoutes({ store: f.db, metrics, clock: f.clock.now, tickIntervalSeconds: 60 })] });
    t.after(() => server.close());
    const scrape = async () => parseExposition((await request(`${server.url}/metrics`)).text);
    const m0 = await scrape();
    const positive0 = valueOf(m0, METRIC.positive, { company: "clinica" }) ?? 0;

    f.clock.advance(60_000);
    const r = await correctResponse({ store: f.db, clock: f.clock.now, sender }, { id, response: "positive", send: true });
    assert.equal(r.from, "feedback");
    assert.equal(r.to, "positive");
    assert.equal(r.bot_reply_delivery, "sent");
    assert.ok(r.offered_slots.length > 0);
    assert.ok(sender.sent.at(-1)!.body.startsWith(POSITIVE_REPLY_HEADER));
    const row = (await getAppointment(f.db, id))!;
    assert.equal(row.followup_status, "positive");
    assert.equal(row.followup_response, "positive");
    assert.deepEqual(JSON.parse(row.followup_offered_slots!), r.offered_slots);

    const audit = await auditActions(f.db, id);
    const tail = audit.slice(-3);
    assert.deepEqual(tail.map((a) => a.action), ["followup_response", "response_corrected", "followup_bot_reply"]);
    assert.deepEqual(tail[0]!.payload, { response: "positive", feedback: null, corrected_by: "operator", previous: "feedback" });
    assert.equal(tail[1]!.payload.from, "feedback");

    // stats: the follow-up's current response; /metrics: the counter counts the correction as a response recorded,
    // and the per-state gauge is the current state, as stats.
    const stats = statsJson(await computeStats(f.db, { days: 30, now: f.clock.now() }));
    assert.equal(stats.positive, 1);
    assert.equal(stats.feedback, 0);
    const m1 = await scrape();
    assert.equal(valueOf(m1, METRIC.positive, { company: "clinica" }), positive0 + 1);
    assert.equal(valueOf(m1, METRIC.byState, { company: "clinica", state: "positive" }), stats.positive);
    assert.equal(valueOf(m1, METRIC.byState, { company: "clinica", state: "feedback" }), stats.feedback);

    // The client's next message chooses a slot, as after a real yes.
    f.clock.advance(60_000);
    const choice = await service.processInbound({ phone: PHONE, text: "1", messageId: "k2" });
    assert.equal(choice.outcome, "booked");
  });

  test("CLI: negative, feedback --text, --no-send; mistakes are one-line errors", T, async (t) => {
    const f = await replyFixture();
    const a = await addSentFollowup(f, { externalId: "K-2" });
    const b = await addSentFollowup(f, { externalId: "K-3", phone: "5511988887777" });
    const service = createReplyService({ store: f.db, clock: f.clock.now, logger: silentLogger, sender: recordingSender() });
    await service.processInbound({ phone: PHONE, text: "Sim", messageId: "c1" });
    await f.db.close();
    const db = f.dbPath;
    const env = { SECRETARIA_NOW: "2026-11-30T20:00:00.000Z" };

    const neg = await runCli(["--db", db, "followups", "set-response", String(a), "negative", "--json"], { env });
    assert.equal(neg.code, 0, neg.stderr);
    assert.deepEqual((JSON.parse(neg.stdout) as Record<string, unknown>).to, "negative");
    const again = await runCli(["--db", db, "followups", "set-response", String(a), "negative"], { env });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^secretaria: follow-up \d+ is already negative: nothing to correct\n$/);

    const fb = await runCli(["--db", db, "followups", "set-response", String(b), "feedback", "--text", "ligou e elogiou a equipe"], { env });
    assert.equal(fb.code, 0, fb.stderr);
    assert.match(fb.stdout, /no response → feedback/);

    const pos = await runCli(["--db", db, "followups", "set-response", String(b), "positive", "--no-send", "--json"], { env });
    assert.equal(pos.code, 0, pos.stderr);
    assert.equal((JSON.parse(pos.stdout) as Record<string, unknown>).bot_reply_delivery, "not_sent");
    // In words: the count of slots offered, no hand-made plural.
    const posText = await runCli(["--db", db, "followups", "set-response", String(a), "positive", "--no-send"], { env });
    assert.equal(posText.code, 0, posText.stderr);
    assert.match(posText.stdout, /negative → positive/);
    assert.match(posText.stdout, /^offered [1-9]\d* slots?; the client's next message chooses one$/m);
    assert.doesNotMatch(posText.stdout, /\(s\)/);

    const bad = await runCli(["--db", db, "followups", "set-response", String(b), "maybe"], { env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^secretaria: the response must be positive, negative or feedback \(got "maybe"\)\n$/);
    const missing = await runCli(["--db", db, "followups", "set-response", "999", "negative"], { env });
    assert.equal(missing.code, 1);

    const stats = await runCli(["--db", db, "stats", "--json"], { env });
    const s = JSON.parse(stats.stdout) as Record<string, number>;
    assert.deepEqual([s.positive, s.negative, s.feedback], [2, 0, 0]);
    const store = await openStore(db);
    t.after(() => store.close());
    const fbText = await store.all<{ text: string }>("SELECT text FROM feedback_events WHERE appointment_id = ?", [b]);
    assert.deepEqual(fbText.map((r) => r.text), ["ligou e elogiou a equipe"]);
    const corrected = await store.all<{ n: number }>("SELECT count(*) AS n FROM audit_log WHERE action = 'response_corrected'");
    assert.equal(Number(corrected[0]!.n), 4);
  });
});
