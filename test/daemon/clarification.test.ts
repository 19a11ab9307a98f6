import { test, describe } from "node:test";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { buildHttpApp } from "../../src/daemon/http-server.js";
import { webhookRoutes, WEBHOOK_PATH } from "../../src/daemon/webhook-routes.js";
import { CLARIFY_QUESTION } from "../../src/domain/clarification.js";
import { FEEDBACK_REPLY, NEGATIVE_REPLY, POSITIVE_REPLY_HEADER } from "../../src/domain/messages.js";
import { silentLogger } from "../../src/logger.js";
import { createReplyService } from "../../src/services/reply-service.js";
import { computeStats } from "../../src/services/stats-service.js";
import { getAppointment } from "../../src/store/appointments.js";
import { listFollowups, STATUS_FILTER_STATES } from "../../src/store/followup-queries.js";
import { PHONE, addSentFollowup, auditActions, recordingSender, replyFixture, type ReplyFixture } from "../helpers/reply-fixtures.js";

const TOKEN = "whk-clarify-3b7e";
const T = { timeout: 30_000 };

/** The real webhook on 127.0.0.1 in front of the real reply service. */
async function serve(f: ReplyFixture) {
  const sender = recordingSender();
  const service = createReplyService({ store: f.db, clock: f.clock.now, logger: silentLogger, sender });
  const app = await buildHttpApp({ routes: [webhookRoutes({ service, token: TOKEN, logger: silentLogger })], logger: silentLogger });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}${WEBHOOK_PATH}?token=${TOKEN}`;
  let n = 0;
  return {
    sender,
    close: () => app.close(),
    async say(text: string): Promise<number> {
      f.clock.advance(60_000);
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ number: PHONE, body: text, messageId: `C${++n}` }) });
      await res.text();
      return res.status;
    },
  };
}

async function inbound(f: ReplyFixture) {
  return f.db.all<{ body: string; intent: string | null; rule: string | null; outcome: string }>("SELECT body, intent, rule, outcome FROM inbound_messages ORDER BY id");
}

describe("ask once when unsure (through the webhook)", () => {
  test("an unclear reply gets the question once; the follow-up waits (pending); \"1\" then offers slots", T, async (t) => {
    const f = await replyFixture();
    t.after(() => f.db.close());
    const id = await addSentFollowup(f, { externalId: "Q-1" });
    const s = await serve(f);
    t.after(() => s.close());

    assert.equal(await s.say("🤔"), 200);
    assert.deepEqual(s.sender.sent.map((m) => m.body), [CLARIFY_QUESTION]);
    let row = (await getAppointment(f.db, id))!;
    assert.equal(row.followup_status, "sent");
    assert.equal(row.followup_response, null);
    assert.ok(row.followup_clarification_asked_at);
    // Visible in the list (and so the API, which shares it) and pending in stats.
    const { items } = await listFollowups(f.db, { statuses: STATUS_FILTER_STATES.pending, sort: "-end", limit: 10, offset: 0 });
    assert.equal(items.find((i) => i.id === id)?.followup_awaiting_clarification, 1);
    const stats = await computeStats(f.db, { days: 30, now: f.clock.now() });
    assert.equal(stats.pending, 1);
    assert.equal(stats.positive + stats.negative + stats.feedback, 0);

    assert.equal(await s.say("1"), 200);
    row = (await getAppointment(f.db, id))!;
    assert.equal(row.followup_status, "positive");
    assert.equal(row.followup_response, "positive");
    assert.ok(row.followup_offered_slots);
    assert.equal(s.sender.sent.length, 2);
    assert.ok(s.sender.sent[1]!.body.startsWith(POSITIVE_REPLY_HEADER), s.sender.sent[1]!.body);
    const { items: after } = await listFollowups(f.db, { statuses: null, sort: "-end", limit: 10, offset: 0 });
    assert.equal(after.find((i) => i.id === id)?.followup_awaiting_clarification, 0);

    assert.deepEqual(await inbound(f), [
      { body: "🤔", intent: "followup_feedback", rule: "emoji-feedback", outcome: "clarification_asked" },
      { body: "1", intent: "followup_positive", rule: "choice-1", outcome: "positive" },
    ]);
    const actions = (await auditActions(f.db, id)).map((a) => a.action);
    const since = actions.indexOf("followup_clarification_asked");
    assert.deepEqual(actions.slice(since), [
      "followup_clarification_asked", "followup_bot_reply", "followup_response", "followup_bot_reply",
    ]);
  });

  test("\"dois\" declines; a second unclear answer is kept as feedback (never asked twice)", T, async (t) => {
    const f = await replyFixture();
    t.after(() => f.db.close());
    const a = await addSentFollowup(f, { externalId: "Q-2" });
    const s = await serve(f);
    t.after(() => s.close());
    await s.say("hmm");
    await s.say("dois");
    assert.equal((await getAppointment(f.db, a))!.followup_response, "negative");
    assert.deepEqual(s.sender.sent.map((m) => m.body), [CLARIFY_QUESTION, NEGATIVE_REPLY]);

    const b = await addSentFollowup(f, { externalId: "Q-3", sentAt: f.clock.now().toISOString() });
    await s.say("?");
    await s.say("kkkk");
    const row = (await getAppointment(f.db, b))!;
    assert.equal(row.followup_response, "feedback");
    assert.deepEqual(s.sender.sent.slice(2).map((m) => m.body), [CLARIFY_QUESTION, FEEDBACK_REPLY]);
    const fb = await f.db.all<{ text: string }>("SELECT text FROM feedback_events WHERE appointment_id = ?", [b]);
    assert.deepEqual(fb.map((r) => r.text), ["kkkk"]);
    assert.equal((await inbound(f)).at(-1)?.rule, "second-doubt");
  });

  test("a clear reply is not asked about; the unmatched message keeps its rule", T, async (t) => {
    const f = await replyFixture();
    t.after(() => f.db.close());
    const id = await addSentFollowup(f, { externalId: "Q-4" });
    const s = await serve(f);
    t.after(() => s.close());
    await s.say("Não, obrigado");
    assert.equal((await getAppointment(f.db, id))!.followup_response, "negative");
    await s.say("oi?"); // nothing open any more: recorded, unmatched, not asked
    assert.deepEqual(s.sender.sent.map((m) => m.body), [NEGATIVE_REPLY]);
    assert.deepEqual((await inbound(f)).map((r) => [r.outcome, r.rule]), [["negative", "explicit-no"], ["unmatched", "fallback-feedback"]]);
  });
});
