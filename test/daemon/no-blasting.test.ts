/**
 * Issue 13, point 1: a WhatsApp number is never put at risk. Bot answers are capped per
 * conversation, never answer our own texts, and go through the company's send budget; resends
 * within 12 hours of a send (or in quiet hours) are refused unless forced. Real HTTP, real database.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { buildHttpApp } from "../../src/daemon/http-server.js";
import { apiRoutes } from "../../src/daemon/api-routes.js";
import { startHttpServer } from "../../src/daemon/http-server.js";
import { webhookRoutes, WEBHOOK_PATH } from "../../src/daemon/webhook-routes.js";
import { silentLogger } from "../../src/logger.js";
import { buildFollowupMessage } from "../../src/services/followup-service.js";
import { BOT_REPLY_CAP, createReplyService } from "../../src/services/reply-service.js";
import { request } from "../helpers/exposition.js";
import { buildScenario } from "../helpers/followup-scenario.js";
import { PHONE, addSentFollowup, recordingSender, replyFixture } from "../helpers/reply-fixtures.js";

const T = { timeout: 120_000 };
const TOKEN = "whk-no-blasting-7c2e91d0a4b3";
const API_TOKEN = "api-no-blasting-token-3b8f1e6a";

async function webhook(f: Awaited<ReturnType<typeof replyFixture>>) {
  const sender = recordingSender();
  const service = createReplyService({ store: f.db, clock: f.clock.now, logger: silentLogger, sender });
  const app = await buildHttpApp({ routes: [webhookRoutes({ service, token: TOKEN, logger: silentLogger })], logger: silentLogger });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}${WEBHOOK_PATH}?token=${TOKEN}`;
  const post = async (body: unknown) => {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  return { sender, post, close: () => app.close() };
}

const suppressed = async (f: Awaited<ReturnType<typeof replyFixture>>) =>
  (await f.db.all<{ payload: string }>("SELECT payload FROM audit_log WHERE action = 'bot_reply_suppressed' ORDER BY id")).map(
    (r) => JSON.parse(r.payload) as { reason: string },
  );

describe("bot answers: capped per conversation, never to our own texts", () => {
  test("one delivery carrying 50 messages makes at most the cap of bot messages; the rest are recorded and audited", T, async () => {
    const f = await replyFixture();
    await f.db.run("UPDATE companies SET rate_limit = 50");
    await addSentFollowup(f, { externalId: "a1" });
    const w = await webhook(f);
    try {
      // A "sim" opens the slot offer; every further text is "not understood" and would get the options again.
      const messages = Array.from({ length: 50 }, (_, i) => ({ number: PHONE, body: i === 0 ? "Sim, quero marcar" : `e sábado${"?".repeat(i)}`, messageId: `M${i}` }));
      const r = await w.post(messages);
      assert.equal(r.status, 200);
      assert.ok(w.sender.sent.length <= BOT_REPLY_CAP, `sent ${w.sender.sent.length}`);
      assert.ok(w.sender.sent.length >= 1);
      const results = r.json.results as { bot_reply_delivery: string | null }[];
      assert.equal(results.length, 50);
      assert.equal(results.filter((x) => x.bot_reply_delivery === "sent").length, w.sender.sent.length);
      // Every message is stored; the held-back answers are in the audit with the reason.
      assert.equal((await f.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM inbound_messages"))!.n, 50);
      const held = await suppressed(f);
      assert.ok(held.length >= 50 - BOT_REPLY_CAP - 1, `suppressed ${held.length}`);
      assert.ok(held.every((h) => h.reason === "cap"));

      // 50 separate posts: still nothing more is sent within the hour.
      for (let i = 0; i < 50; i++) await w.post({ number: PHONE, body: `outra ${i}`, messageId: `P${i}` });
      assert.ok(w.sender.sent.length <= BOT_REPLY_CAP);

      // An hour later the conversation may be answered again.
      f.clock.advance(61 * 60_000);
      const later = await w.post({ number: PHONE, body: "qual?", messageId: "LATER" });
      assert.notEqual(later.json.bot_reply_delivery, "suppressed");
    } finally {
      await w.close();
      await f.db.close();
    }
  });

  test("loop guard: our own follow-up text or bot answer coming back is not answered", T, async () => {
    const f = await replyFixture();
    await f.db.run("UPDATE companies SET rate_limit = 0");
    await addSentFollowup(f, { externalId: "a1" });
    const w = await webhook(f);
    try {
      // The follow-up itself, sent minutes ago, echoed back (a gateway posting our own message).
      const row = (await f.db.get<{ client_name: string; client_phone: string; end_time: string; followup_sent_at: string }>("SELECT * FROM appointments WHERE external_id = 'a1'"))!;
      const sentAt = new Date(f.clock.now().getTime() - 2 * 60_000).toISOString();
      await f.db.run("UPDATE appointments SET followup_sent_at = ? WHERE external_id = 'a1'", [sentAt]);
      const followupText = buildFollowupMessage(row, f.company, new Date(sentAt)).body;
      const own = await w.post({ number: PHONE, body: followupText, messageId: "OWN" });
      assert.equal(own.json.outcome, "own_text");
      assert.equal(w.sender.sent.length, 0);

      const first = await w.post({ number: PHONE, body: "Sim, quero marcar", messageId: "S1" });
      assert.equal(first.json.bot_reply_delivery, "sent");
      const ours = w.sender.sent[0]!.body;
      const echo = await w.post({ number: PHONE, body: ours, messageId: "ECHO" });
      assert.equal(echo.status, 200);
      assert.equal(echo.json.outcome, "own_text");
      assert.equal(echo.json.bot_reply_delivery, null);
      assert.equal(w.sender.sent.length, 1);
      assert.deepEqual((await suppressed(f)).map((h) => h.reason), ["own_text", "own_text"]);
    } finally {
      await w.close();
      await f.db.close();
    }
  });
});

describe("resend: no double greeting", () => {
  test("10 API resends send once; the refusal says why; force=true sends anyway", T, async () => {
    const s = await buildScenario();
    const server = await startHttpServer({
      host: "127.0.0.1", port: 0, logger: silentLogger,
      routes: [apiRoutes({ store: s.db, clock: s.clock.now, gateway: s.gateway, whaticketDefaults: { url: null, token: null }, token: API_TOKEN, logger: silentLogger })],
    });
    const post = (path: string) => request(`${server.url}${path}`, { method: "POST", headers: { Authorization: `Bearer ${API_TOKEN}` } });
    try {
      const id = s.ids.clinicaUnanswered;
      // Sent 10 minutes ago: refused, with the reason and the way out.
      const early = await post(`/api/agenda/followups/${id}/resend`);
      assert.equal(early.status, 409);
      assert.match((early.json() as { error: string }).error, /less than 12 hours: pass --force \(CLI\) or force=true \(API\)/);

      s.clock.advance(13 * 3600_000);
      const before = s.fake.received.length;
      const answers = await Promise.all(Array.from({ length: 5 }, () => post(`/api/agenda/followups/${id}/resend`)));
      for (let i = 0; i < 5; i++) answers.push(await post(`/api/agenda/followups/${id}/resend`));
      assert.equal(s.fake.received.length - before, 1);
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409, 409, 409, 409, 409, 409, 409, 409, 409]);

      assert.equal((await post(`/api/agenda/followups/${id}/resend?force=maybe`)).status, 400);
      assert.equal((await post(`/api/agenda/followups/${id}/resend?forse=true`)).status, 400);
      const forced = await post(`/api/agenda/followups/${id}/resend?force=true`);
      assert.equal(forced.status, 200, forced.text);
      assert.equal(s.fake.received.length - before, 2);
    } finally {
      await server.close();
      await s.close();
    }
  });

  test("inside the company's quiet hours a resend is refused unless forced", T, async () => {
    const s = await buildScenario();
    try {
      const { resendFollowup, ResendRefusedError } = await import("../../src/services/followup-service.js");
      await s.db.run("UPDATE companies SET quiet_hours = '00:00-23:59', timezone = 'America/Sao_Paulo'");
      s.clock.advance(13 * 3600_000);
      const deps = { store: s.db, gateway: s.gateway, clock: s.clock.now, whaticketDefaults: { url: null, token: null } };
      await assert.rejects(resendFollowup(deps, s.ids.clinicaUnanswered), (e: unknown) => e instanceof ResendRefusedError && /quiet hours \(00:00-23:59/.test(e.message));
      const r = await resendFollowup(deps, s.ids.clinicaUnanswered, { force: true });
      assert.equal(r.outcome.kind, "sent");
    } finally {
      await s.close();
    }
  });
});
