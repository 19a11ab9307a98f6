import { test, describe } from "node:test";
import assert from "node:assert/strict";
import type { FastifyInstance } from "fastify";
import type { AddressInfo } from "node:net";
import { buildHttpApp } from "../../src/daemon/http-server.js";
import { createScheduler } from "../../src/daemon/scheduler.js";
import { parseWebhookBody, tokenMatches, webhookRoutes, WEBHOOK_PATH } from "../../src/daemon/webhook-routes.js";
import { POSITIVE_REPLY_HEADER } from "../../src/domain/messages.js";
import { startFakeWhaticket } from "../../src/gateway/fake-whaticket.js";
import { WhaticketClient } from "../../src/gateway/whaticket-client.js";
import { createLogger, silentLogger, type Logger } from "../../src/logger.js";
import { createReplyService, whaticketReplySender, type ReplySender } from "../../src/services/reply-service.js";
import { bookedExternalId } from "../../src/services/booking-service.js";
import { findByExternalId, getAppointment } from "../../src/store/appointments.js";
import {
  PHONE, addAppointment, addSentFollowup, auditActions, recordingSender, replyFixture, tablesChecksum, type ReplyFixture,
} from "../helpers/reply-fixtures.js";

const TOKEN = "whk-SECRET-4d1f0b9a-0123456789";
const T = { timeout: 30_000 };

interface Served {
  url: string;
  app: FastifyInstance;
  post(body: unknown, opts?: { token?: string | null; raw?: boolean; headers?: Record<string, string> }): Promise<{ status: number; json: Record<string, unknown> }>;
  close(): Promise<void>;
}

async function serve(f: ReplyFixture, opts: { sender?: ReplySender; token?: string | null; logger?: Logger } = {}): Promise<Served> {
  const logger = opts.logger ?? silentLogger;
  const service = createReplyService({ store: f.db, clock: f.clock.now, logger, sender: opts.sender ?? recordingSender() });
  const app = await buildHttpApp({ routes: [webhookRoutes({ service, token: opts.token === undefined ? TOKEN : opts.token, logger })], logger });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    url,
    app,
    async post(body, o = {}) {
      const token = o.token === undefined ? TOKEN : o.token;
      const res = await fetch(`${url}${WEBHOOK_PATH}${token === null ? "" : `?token=${encodeURIComponent(token)}`}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...o.headers },
        body: o.raw ? (body as string) : JSON.stringify(body),
      });
      const text = await res.text();
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        json = { raw: text };
      }
      return { status: res.status, json };
    },
    close: () => app.close(),
  };
}

function baileys(text: string, id: string, jid = `${PHONE}@s.whatsapp.net`, extra: Record<string, unknown> = {}) {
  return { key: { remoteJid: jid, fromMe: false, id }, message: { conversation: text }, messageTimestamp: 1796067000, pushName: "Ana", ...extra };
}

describe("parseWebhookBody (pure)", () => {
  test("the plain Whaticket body", () => {
    assert.deepEqual(parseWebhookBody({ number: "5511999990000", body: "Sim", messageId: "M1" }), [
      { kind: "message", phone: PHONE, text: "Sim", messageId: "M1" },
    ]);
    assert.deepEqual(parseWebhookBody({ number: "+55 (11) 99999-0000", body: "Sim" }), [{ kind: "message", phone: PHONE, text: "Sim", messageId: null }]);
    assert.deepEqual(parseWebhookBody({ number: `${PHONE}@c.us`, body: "oi", messageId: 77 }), [{ kind: "message", phone: PHONE, text: "oi", messageId: "77" }]);
    assert.deepEqual(parseWebhookBody('{"number":"5511999990000","body":"Sim"}'), [{ kind: "message", phone: PHONE, text: "Sim", messageId: null }]);
  });

  test("the Baileys message object, plain or extended text, wrapped in data/msg or a list", () => {
    const sentAt = new Date("2026-11-30T19:30:00.000Z"); // messageTimestamp
    assert.deepEqual(parseWebhookBody(baileys("Sim", "3EB0A")), [{ kind: "message", phone: PHONE, text: "Sim", messageId: "3EB0A", sentAt }]);
    const ext = { key: { remoteJid: `${PHONE}@s.whatsapp.net`, fromMe: false, id: "X" }, message: { extendedTextMessage: { text: "quero sim" } } };
    assert.deepEqual(parseWebhookBody(ext), [{ kind: "message", phone: PHONE, text: "quero sim", messageId: "X" }]);
    assert.deepEqual(parseWebhookBody({ event: "messages.upsert", data: baileys("a", "D1") })[0], { kind: "message", phone: PHONE, text: "a", messageId: "D1", sentAt });
    assert.deepEqual(parseWebhookBody({ data: { messages: [baileys("a", "D1"), baileys("b", "D2")] } }).length, 2);
    assert.deepEqual(parseWebhookBody([baileys("a", "L1")])[0], { kind: "message", phone: PHONE, text: "a", messageId: "L1", sentAt });
    assert.deepEqual(parseWebhookBody({ msg: baileys("a", "W1") })[0], { kind: "message", phone: PHONE, text: "a", messageId: "W1", sentAt });
    const button = { key: { remoteJid: `${PHONE}@s.whatsapp.net`, id: "B" }, message: { buttonsResponseMessage: { selectedDisplayText: "✅ Sim, quero marcar" } } };
    assert.deepEqual(parseWebhookBody(button)[0], { kind: "message", phone: PHONE, text: "✅ Sim, quero marcar", messageId: "B" });
    const ephemeral = { key: { remoteJid: `${PHONE}@s.whatsapp.net`, id: "E" }, message: { ephemeralMessage: { message: { conversation: "não" } } } };
    assert.deepEqual(parseWebhookBody(ephemeral)[0], { kind: "message", phone: PHONE, text: "não", messageId: "E" });
  });

  test("fromMe, groups, broadcasts and content-less messages are ignored; a voice note is recorded as one", () => {
    assert.deepEqual(parseWebhookBody({ ...baileys("x", "1"), key: { remoteJid: `${PHONE}@s.whatsapp.net`, fromMe: true, id: "1" } }), [{ kind: "ignored", reason: "fromMe" }]);
    assert.deepEqual(parseWebhookBody({ number: PHONE, body: "x", fromMe: true }), [{ kind: "ignored", reason: "fromMe" }]);
    assert.deepEqual(parseWebhookBody(baileys("x", "1", "120363025@g.us")), [{ kind: "ignored", reason: "group" }]);
    assert.deepEqual(parseWebhookBody(baileys("x", "1", "status@broadcast")), [{ kind: "ignored", reason: "broadcast" }]);
    assert.deepEqual(parseWebhookBody({ key: { remoteJid: `${PHONE}@s.whatsapp.net`, id: "1" }, message: { audioMessage: { seconds: 3, ptt: true } } }), [
      { kind: "message", phone: PHONE, text: "[mensagem de voz]", messageId: "1", media: "voice" },
    ]);
    assert.deepEqual(parseWebhookBody({ key: { remoteJid: `${PHONE}@s.whatsapp.net`, id: "1" }, message: { protocolMessage: { type: 0 } } }), [{ kind: "ignored", reason: "no_text" }]);
    // A LID chat with the phone beside it is read; without it there is no phone to match.
    assert.deepEqual(parseWebhookBody({ key: { remoteJid: "1234@lid", senderPn: `${PHONE}@s.whatsapp.net`, id: "1" }, message: { conversation: "sim" } })[0], {
      kind: "message", phone: PHONE, text: "sim", messageId: "1",
    });
    assert.deepEqual(parseWebhookBody(baileys("x", "1", "1234@lid")), [{ kind: "ignored", reason: "no_phone" }]);
  });

  test("missing or wrong fields are invalid with a reason", () => {
    const reason = (v: unknown) => {
      const items = parseWebhookBody(v);
      assert.equal(items.length, 1, JSON.stringify(items));
      assert.equal(items[0]!.kind, "invalid", JSON.stringify(items));
      return (items[0] as { reason: string }).reason;
    };
    assert.match(reason({ body: "sim" }), /number is missing/);
    assert.match(reason({ number: PHONE }), /not a message|body/);
    assert.match(reason({ number: PHONE, body: "   " }), /body is missing/);
    assert.match(reason({ number: "abc", body: "sim" }), /not a phone number/);
    assert.match(reason({ number: PHONE, body: "sim", messageId: { a: 1 } }), /messageId/);
    assert.match(reason({ key: { remoteJid: `${PHONE}@s.whatsapp.net` }, message: { conversation: "sim" } }), /key.id is missing/);
    assert.match(reason({ key: { id: "1" }, message: { conversation: "sim" } }), /remoteJid is missing/);
    assert.match(reason({ key: { remoteJid: "garbage", id: "1" }, message: { conversation: "sim" } }), /not a WhatsApp phone JID/);
    assert.match(reason({ key: { remoteJid: `${PHONE}@s.whatsapp.net`, id: "1" } }), /message is missing/);
    assert.match(reason("{not json"), /not JSON/);
    assert.match(reason(null), /empty body/);
    assert.match(reason(42), /expected a JSON object/);
    assert.match(reason([]), /empty list/);
    assert.match(reason({ hello: "world" }), /not a message/);
    let deep: unknown = { number: PHONE, body: "x" };
    for (let i = 0; i < 10; i++) deep = { data: deep };
    assert.match(reason(deep), /nested too deep/);
  });

  test("tokens compare in constant time on digests, any lengths", () => {
    assert.equal(tokenMatches("abc", "abc"), true);
    assert.equal(tokenMatches("abc", "abd"), false);
    assert.equal(tokenMatches("", "abc"), false);
    assert.equal(tokenMatches("a".repeat(1000), "abc"), false);
  });
});

describe("POST /webhooks/whaticket", () => {
  test("token: missing or wrong → 401; a Bearer header is not accepted; 401s logged per address, rate-limited, never the token", T, async (t) => {
    const f = await replyFixture();
    t.after(() => f.db.close());
    const lines: string[] = [];
    const s = await serve(f, { logger: createLogger({ write: (l) => lines.push(l) }) });
    t.after(() => s.close());
    assert.equal((await s.post({ number: PHONE, body: "sim" }, { token: null })).status, 401);
    const wrong = await s.post({ number: PHONE, body: "sim" }, { token: "nope" });
    assert.equal(wrong.status, 401);
    assert.ok(!JSON.stringify(wrong.json).includes(TOKEN));
    assert.equal((await s.post({ number: PHONE, body: "sim" }, { token: null, headers: { authorization: `Bearer ${TOKEN}` } })).status, 401);
    // Unauthenticated callers do not get their body parsed: 401 before 400/413.
    assert.equal((await s.post("{broken", { token: null, raw: true })).status, 401);
    const rejected = lines.filter((l) => l.includes("auth_rejected"));
    assert.equal(rejected.length, 1, lines.join("\n"));
    assert.match(rejected[0]!, /127\.0\.0\.1/);
    assert.match(rejected[0]!, /\/webhooks\/whaticket/);
    assert.ok(!lines.join("\n").includes(TOKEN));
    assert.equal((await s.post({ number: PHONE, body: "sim" }, {})).status, 200);
  });

  test("without a configured token the webhook stays closed (503) and says why in the log", T, async (t) => {
    const f = await replyFixture();
    t.after(() => f.db.close());
    const lines: string[] = [];
    const s = await serve(f, { token: null, logger: createLogger({ write: (l) => lines.push(l) }) });
    t.after(() => s.close());
    const r = await s.post({ number: PHONE, body: "sim" }, { token: "" });
    assert.equal(r.status, 503);
    assert.match(String(r.json.error), /SECRETARIA_WEBHOOK_TOKEN/);
    assert.ok(lines.some((l) => l.includes("webhook_disabled")), lines.join("\n"));
  });

  test("bad bodies: 400 with a reason, 413 over 64 KiB, never 500", T, async (t) => {
    const f = await replyFixture();
    t.after(() => f.db.close());
    await addSentFollowup(f, { externalId: "A-1" });
    const s = await serve(f);
    t.after(() => s.close());
    const before = await tablesChecksum(f.db);
    const bad = await s.post("{\"number\": \"5511", { raw: true });
    assert.equal(bad.status, 400);
    assert.ok(typeof bad.json.error === "string" && bad.json.error.length > 0);
    const missing = await s.post({ number: PHONE });
    assert.equal(missing.status, 400);
    assert.match(String(missing.json.error), /./);
    const big = await s.post({ number: PHONE, body: "x".repeat(70 * 1024), messageId: "big" });
    assert.equal(big.status, 413);
    const wrongType = await fetch(`${s.url}${WEBHOOK_PATH}?token=${TOKEN}`, { method: "POST", headers: { "content-type": "application/xml" }, body: "<a/>" });
    assert.equal(wrongType.status, 415);
    await wrongType.text();
    assert.equal(await tablesChecksum(f.db), before);
  });

  test("fromMe, groups: 200 and ignored, nothing stored", T, async (t) => {
    const f = await replyFixture();
    t.after(() => f.db.close());
    await addSentFollowup(f, { externalId: "A-1" });
    const sender = recordingSender();
    const s = await serve(f, { sender });
    t.after(() => s.close());
    const before = await tablesChecksum(f.db);
    const mine = await s.post({ key: { remoteJid: `${PHONE}@s.whatsapp.net`, fromMe: true, id: "F1" }, message: { conversation: "Que ótimo!" } });
    assert.deepEqual([mine.status, mine.json], [200, { ignored: "fromMe" }]);
    const group = await s.post(baileys("sim", "G1", "120363025@g.us"));
    assert.deepEqual([group.status, group.json], [200, { ignored: "group" }]);
    assert.equal(await tablesChecksum(f.db), before);
    assert.equal(sender.sent.length, 0);
  });

  test("the same delivery posted twice, and twice at once, changes state once", T, async (t) => {
    const f = await replyFixture();
    t.after(() => f.db.close());
    const id = await addSentFollowup(f, { externalId: "A-1" });
    const id2 = await addSentFollowup(f, { externalId: "B-1", phone: "5521988887777" });
    const sender = recordingSender();
    const s = await serve(f, { sender });
    t.after(() => s.close());
    const first = await s.post(baileys("não, obrigado", "DUP-1"));
    assert.equal(first.status, 200);
    assert.equal(first.json.duplicate, false);
    assert.equal(first.json.outcome, "negative");
    const before = await tablesChecksum(f.db);
    const second = await s.post(baileys("não, obrigado", "DUP-1"));
    assert.deepEqual([second.status, second.json.duplicate], [200, true]);
    assert.equal(await tablesChecksum(f.db), before);

    // Ten copies at once of another message: one applied.
    const body = baileys("não, obrigado", "DUP-2", "5521988887777@s.whatsapp.net");
    const all = await Promise.all(Array.from({ length: 10 }, () => s.post(body)));
    assert.ok(all.every((r) => r.status === 200));
    assert.equal(all.filter((r) => r.json.duplicate === false).length, 1);
    assert.equal(all.filter((r) => r.json.duplicate === true).length, 9);
    assert.equal(sender.sent.length, 2);
    for (const a of [id, id2]) {
      assert.equal((await auditActions(f.db, a)).filter((x) => x.action === "followup_response").length, 1);
    }
  });

  test("a list of messages answers per message", T, async (t) => {
    const f = await replyFixture();
    t.after(() => f.db.close());
    const s = await serve(f);
    t.after(() => s.close());
    const r = await s.post([baileys("oi", "L1"), { key: { remoteJid: `${PHONE}@s.whatsapp.net`, fromMe: true, id: "L2" } }, { nope: 1 }]);
    assert.equal(r.status, 200);
    const results = r.json.results as Array<Record<string, unknown>>;
    assert.equal(results.length, 3);
    assert.equal(results[0]!.matched, false);
    assert.deepEqual(results[1], { ignored: "fromMe" });
    assert.ok("error" in results[2]!);
  });
});

test("full cycle against the fake Whaticket: scheduled → sent → \"sim\" → slots → \"2\" → booked with its own follow-up", T, async () => {
  const fake = await startFakeWhaticket({ token: "wt-token" });
  const gateway = new WhaticketClient({ timeoutMs: 5_000 });
  const f = await replyFixture({ whaticketUrl: fake.url, whaticketToken: "wt-token", now: new Date("2026-11-30T17:59:00.000Z") });
  const defaults = { url: null, token: null };
  const scheduler = createScheduler({ store: f.db, gateway, clock: f.clock.now, whaticketDefaults: defaults, rateLimit: 0 });
  let served: Served | null = null;
  try {
    // Scheduled by the real saver: Monday 15:00 local end + 60 min.
    const id = await addAppointment(f, { externalId: "A-1" }, f.clock.now());
    assert.equal((await getAppointment(f.db, id))!.followup_status, "scheduled");
    assert.equal((await getAppointment(f.db, id))!.followup_next_scheduled, "2026-11-30T19:00:00.000Z");

    // Sent by the daemon's scheduler.
    f.clock.set(new Date("2026-11-30T19:00:30.000Z"));
    await scheduler.runOnce();
    assert.equal((await getAppointment(f.db, id))!.followup_status, "sent");
    assert.equal(fake.received.length, 1);
    assert.match(fake.received[0]!.body, /^Espero que tenha corrido tudo bem na reunião de hoje, Ana/);

    // "sim" through the webhook (the Baileys object Whaticket-SaaS posts).
    served = await serve(f, { sender: whaticketReplySender(gateway, defaults) });
    f.clock.set(new Date("2026-11-30T19:30:00.000Z"));
    const yes = await served.post({ data: baileys("sim", "3EB0-SIM") });
    assert.equal(yes.status, 200, JSON.stringify(yes.json));
    assert.equal(yes.json.response, "positive");
    assert.equal(fake.received.length, 2);
    assert.equal(fake.received[1]!.number, PHONE);
    assert.equal(fake.received[1]!.token, "wt-token");
    assert.ok(fake.received[1]!.body.startsWith(`${POSITIVE_REPLY_HEADER}\n1) terça, 01/12 às 09:00\n2) terça, 01/12 às 10:00\n3) terça, 01/12 às 11:00`), fake.received[1]!.body);

    // "2" (the plain body this time).
    f.clock.set(new Date("2026-11-30T19:35:00.000Z"));
    const two = await served.post({ number: PHONE, body: "2", messageId: "3EB0-DOIS" });
    assert.equal(two.status, 200, JSON.stringify(two.json));
    assert.equal(two.json.outcome, "booked");
    const booked = (await findByExternalId(f.db, "clinica", bookedExternalId(id)))!;
    assert.equal(booked.start_time, "2026-12-01T13:00:00.000Z");
    assert.equal(booked.followup_status, "scheduled");
    assert.equal(booked.followup_next_scheduled, "2026-12-01T15:00:00.000Z");
    assert.equal(fake.received.length, 3);
    assert.match(fake.received[2]!.body, /marcado para terça, 01\/12 às 10:00/);

    const actions = (await auditActions(f.db, id)).map((a) => a.action);
    assert.deepEqual(actions, ["followup_sent", "followup_response", "followup_bot_reply", "agenda_booked", "followup_bot_reply"]);
    assert.equal((await auditActions(f.db)).filter((a) => a.action === "followup_sent").length, 1, "bot replies are not follow-ups");

    // The booked appointment's own follow-up goes out when due, through the same scheduler.
    f.clock.set(new Date("2026-12-01T15:00:30.000Z"));
    await scheduler.runOnce();
    assert.equal((await getAppointment(f.db, booked.id))!.followup_status, "sent");
    assert.equal(fake.received.length, 4);
  } finally {
    await scheduler.stop();
    await served?.close();
    await gateway.close();
    await fake.stop();
    await f.db.close();
  }
});
