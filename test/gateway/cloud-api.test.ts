import { test, describe, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { createHmac } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { SendOutcome } from "../../src/gateway/whaticket.js";
import {
  CloudClient,
  FOLLOWUP_NO,
  FOLLOWUP_YES,
  buildInteractive,
  buildTemplate,
  classifyCloudResponse,
  cloudMessagesEndpoint,
  followupTemplateMessage,
  slotOfferMessage,
  type CloudTarget,
} from "../../src/gateway/cloud-client.js";
import { cloudVerificationChallenge, parseCloudWebhook, readCloudWebhook, signCloudPayload, verifyCloudSignature } from "../../src/gateway/cloud-inbound.js";
import {
  FakeCloudApi,
  cloudInboundButton,
  cloudInboundInteractive,
  cloudInboundText,
  cloudStatusUpdate,
  graphErrorBody,
  postCloudInbound,
  startFakeCloudApi,
} from "../../src/gateway/fake-cloud-api.js";

// Distinctive, so a leak into any outcome is unmistakable.
const TOKEN = "EAAG-SECRET-4b9e0c13-never-log-me";
const APP_SECRET = "app-secret-0f9d8c7b6a";
const PHONE_ID = "106540352242922";
const NUMBER = "5511999990000";
const TEMPLATE = { name: "followup_reuniao", language: "pt_BR" };
const T = { timeout: 20_000 };

function assertNoSecret(outcome: SendOutcome): void {
  const text = JSON.stringify(outcome);
  assert.ok(!text.includes(TOKEN), `token leaked: ${text}`);
  assert.ok(!text.includes("SECRET"), `token part leaked: ${text}`);
  assert.ok(!/authorization|bearer/i.test(text), `header leaked: ${text}`);
}

const graph = (code: number, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ error: { message: `(#${code}) title`, type: "OAuthException", code, error_data: { messaging_product: "whatsapp", details: "d" }, fbtrace_id: "Ax", ...extra } });

describe("classifyCloudResponse (pure)", () => {
  test("200 is sent with the wamid", () => {
    const body = { messaging_product: "whatsapp", contacts: [{ input: NUMBER, wa_id: NUMBER }], messages: [{ id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI4Qzc5QkNGNTc5NTMyMDU5QzEA" }] };
    assert.deepEqual(classifyCloudResponse(200, JSON.stringify(body)), { kind: "sent", status: 200, messageId: body.messages[0]!.id });
    assert.deepEqual(classifyCloudResponse(200, ""), { kind: "sent", status: 200 });
  });

  test("131047, 131026 and 100 are permanent; 100 with subcode 33 is config", () => {
    const reengage = classifyCloudResponse(400, graph(131047));
    assert.equal(reengage.kind, "permanent");
    assert.ok(reengage.kind === "permanent" && reengage.error.startsWith("HTTP 400 #131047 re-engagement required"), JSON.stringify(reengage));
    assert.deepEqual(classifyCloudResponse(400, graph(131026)), { kind: "permanent", status: 400, error: "HTTP 400 #131026 message undeliverable" });
    assert.equal(classifyCloudResponse(400, graph(100)).kind, "permanent");
    assert.equal(classifyCloudResponse(400, graph(100, { error_subcode: 33 })).kind, "config");
    assert.equal(classifyCloudResponse(400, graph(131009)).kind, "permanent");
  });

  test("rate limits (131056, 130429, 80007, 4) are transient whatever the status, Retry-After honoured", () => {
    for (const code of [131056, 130429, 80007, 4]) {
      const c = classifyCloudResponse(400, graph(code), "30");
      assert.ok(c.kind === "transient" && c.retryAfterMs === 30_000 && c.status === 400, `${code}: ${JSON.stringify(c)}`);
      assert.ok(c.error.includes(`#${code}`));
    }
    assert.equal(classifyCloudResponse(429, graph(130429)).kind, "transient");
  });

  test("auth and permission codes (190, 10, 200-299) and template errors (132xxx) are config", () => {
    assert.deepEqual(classifyCloudResponse(401, JSON.stringify({ error: { message: "Error validating access token", type: "OAuthException", code: 190 } })), {
      kind: "config",
      status: 401,
      error: "HTTP 401 #190 access token expired or invalid",
    });
    assert.equal(classifyCloudResponse(403, graph(10)).kind, "config");
    assert.equal(classifyCloudResponse(403, graph(200)).kind, "config");
    assert.equal(classifyCloudResponse(400, graph(294)).kind, "config");
    assert.equal(classifyCloudResponse(404, graph(132001)).kind, "config");
    assert.equal(classifyCloudResponse(400, graph(132000)).kind, "config");
  });

  test("131000, 131016 and 5xx are transient; unknown codes fall back to the status", () => {
    assert.equal(classifyCloudResponse(500, graph(131000)).kind, "transient");
    assert.equal(classifyCloudResponse(503, graph(131016)).kind, "transient");
    assert.deepEqual(classifyCloudResponse(502, "<html>Bad Gateway</html>"), { kind: "transient", status: 502, error: "HTTP 502" });
    assert.equal(classifyCloudResponse(400, graph(999999)).kind, "permanent");
    assert.equal(classifyCloudResponse(500, graph(999999)).kind, "transient");
    assert.equal(classifyCloudResponse(401, "").kind, "config");
    assert.equal(classifyCloudResponse(302, "").kind, "config");
    const unknown = classifyCloudResponse(400, graph(999999)) as { error: string };
    assert.equal(unknown.error, "HTTP 400 #999999 title");
  });

  test("error text is one bounded line", () => {
    const c = classifyCloudResponse(400, JSON.stringify({ error: { code: 999998, message: `(#999998) a\nb\u0000${"z".repeat(500)}` } })) as { error: string };
    assert.ok(!c.error.includes("\n") && !c.error.includes("\u0000"));
    assert.ok(c.error.length <= 120, String(c.error.length));
  });
});

describe("Cloud request builders (pure)", () => {
  test("the follow-up template: name, language, [first name, day text], FOLLOWUP_YES / FOLLOWUP_NO", () => {
    const msg = followupTemplateMessage({ number: NUMBER, firstName: "Ana", dayText: "de ontem" });
    assert.deepEqual(buildTemplate(TEMPLATE, msg), {
      type: "template",
      template: {
        name: "followup_reuniao",
        language: { policy: "deterministic", code: "pt_BR" },
        components: [
          { type: "body", parameters: [{ type: "text", text: "Ana" }, { type: "text", text: "de ontem" }] },
          { type: "button", sub_type: "quick_reply", index: "0", parameters: [{ type: "payload", payload: FOLLOWUP_YES }] },
          { type: "button", sub_type: "quick_reply", index: "1", parameters: [{ type: "payload", payload: FOLLOWUP_NO }] },
        ],
      },
    });
    const multiline = buildTemplate(TEMPLATE, { bodyParameters: ["Ana\nMaria\t", "de hoje"] }) as { template: { components: { parameters: { text: string }[] }[] } };
    assert.equal(multiline.template.components[0]!.parameters[0]!.text, "Ana Maria", "no newlines or tabs in template parameters");
    assert.equal(typeof buildTemplate(TEMPLATE, { bodyParameters: ["", "de hoje"] }), "string");
  });

  test("slot offers: reply buttons up to 3 short slots, else a list of SLOT_1..SLOT_n (n ≤ 10)", () => {
    const three = slotOfferMessage({ number: NUMBER, body: "Escolha:", slots: [{ title: "Seg 14:00" }, { title: "Ter 10:00" }, { title: "Qua 16:30" }] });
    assert.deepEqual(buildInteractive(three), {
      type: "interactive",
      interactive: {
        type: "button",
        body: { text: "Escolha:" },
        action: {
          buttons: [
            { type: "reply", reply: { id: "SLOT_1", title: "Seg 14:00" } },
            { type: "reply", reply: { id: "SLOT_2", title: "Ter 10:00" } },
            { type: "reply", reply: { id: "SLOT_3", title: "Qua 16:30" } },
          ],
        },
      },
    });
    const slots = Array.from({ length: 12 }, (_, i) => ({ title: `Dia ${i + 1} às 14:00 — sala de reuniões grande`, description: "Presencial" }));
    const list = slotOfferMessage({ number: NUMBER, body: "Que ótimo! Veja abaixo algumas sugestões...", slots, sectionTitle: "Horários" });
    const built = buildInteractive(list) as { interactive: { type: string; action: { button: string; sections: { title: string; rows: { id: string; title: string }[] }[] } } };
    assert.equal(built.interactive.type, "list");
    const rows = built.interactive.action.sections[0]!.rows;
    assert.equal(rows.length, 10, "capped at 10 rows");
    assert.deepEqual(rows.map((r) => r.id), Array.from({ length: 10 }, (_, i) => `SLOT_${i + 1}`));
    assert.ok(rows.every((r) => Array.from(r.title).length <= 24), "row titles cut to 24 characters");
    assert.equal(built.interactive.action.button, "Ver horários");
    const forcedList = buildInteractive(slotOfferMessage({ number: NUMBER, body: "x", slots: [{ title: "a" }], style: "list" })) as { interactive: { type: string } };
    assert.equal(forcedList.interactive.type, "list");
  });

  test("invalid interactive messages are refused before sending", () => {
    assert.equal(typeof buildInteractive({ kind: "buttons", number: NUMBER, body: "x", buttons: [] }), "string");
    const four = Array.from({ length: 4 }, (_, i) => ({ id: `B${i}`, title: "t" }));
    assert.equal(typeof buildInteractive({ kind: "buttons", number: NUMBER, body: "x", buttons: four }), "string");
    assert.equal(typeof buildInteractive({ kind: "list", number: NUMBER, body: "x", buttonText: "Ver", rows: [] }), "string");
    assert.equal(typeof buildInteractive({ kind: "list", number: NUMBER, body: " ", buttonText: "Ver", rows: [{ id: "a", title: "b" }] }), "string");
  });

  test("cloudMessagesEndpoint checks version, phone number id and base", () => {
    assert.equal(cloudMessagesEndpoint({ phoneNumberId: PHONE_ID }), `https://graph.facebook.com/v21.0/${PHONE_ID}/messages`);
    assert.equal(cloudMessagesEndpoint({ graphBase: "http://127.0.0.1:9/", version: "v20.0", phoneNumberId: PHONE_ID }), `http://127.0.0.1:9/v20.0/${PHONE_ID}/messages`);
    assert.ok(typeof cloudMessagesEndpoint({ version: "v19.0", phoneNumberId: PHONE_ID }) === "object");
    assert.ok(typeof cloudMessagesEndpoint({ version: "21", phoneNumberId: PHONE_ID }) === "object");
    assert.ok(typeof cloudMessagesEndpoint({ phoneNumberId: "../me" }) === "object");
    assert.ok(typeof cloudMessagesEndpoint({ graphBase: "graph.local", phoneNumberId: PHONE_ID }) === "object");
  });
});

describe("CloudClient against FakeCloudApi over real HTTP", () => {
  let fake: FakeCloudApi;
  let client: CloudClient;
  const target = (over: Partial<CloudTarget> = {}): CloudTarget => ({
    graphBase: fake.url,
    version: "v21.0",
    phoneNumberId: PHONE_ID,
    accessToken: TOKEN,
    followupTemplate: TEMPLATE,
    ...over,
  });

  before(async () => {
    fake = await startFakeCloudApi({ accessTokens: [TOKEN], phoneNumberIds: [PHONE_ID], templates: [TEMPLATE] });
    client = new CloudClient({ timeoutMs: 2_000, maxSockets: 8 });
  });
  after(async () => {
    client.close();
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    fake.setLatency(0);
  });

  test("free text goes as type text with the bearer token; the wamid comes back as messageId", T, async () => {
    const outcome = await client.send(target(), { number: "+55 (11) 99999-0000", body: "Sem problemas! Ficamos à disposição." });
    assert.equal(outcome.kind, "sent");
    assert.equal(outcome.status, 200);
    const got = fake.received[0]!;
    assert.ok(outcome.kind === "sent" && outcome.messageId === got.messageId && got.messageId?.startsWith("wamid."), JSON.stringify(outcome));
    assert.deepEqual(got.body, {
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: NUMBER,
      type: "text",
      text: { preview_url: false, body: "Sem problemas! Ficamos à disposição." },
    });
    assert.deepEqual([got.token, got.version, got.phoneNumberId], [TOKEN, "v21.0", PHONE_ID]);
  });

  test("the follow-up template is sent; an unknown template is config (#132001)", T, async () => {
    const ok = await client.sendTemplate(target(), followupTemplateMessage({ number: NUMBER, firstName: "Ana", dayText: "de hoje" }));
    assert.equal(ok.kind, "sent", JSON.stringify(ok));
    assert.deepEqual([fake.received[0]!.type, fake.received[0]!.templateName, fake.received[0]!.templateLanguage], ["template", "followup_reuniao", "pt_BR"]);
    const other = await client.sendTemplate(target({ followupTemplate: { name: "nao_aprovado", language: "pt_BR" } }), followupTemplateMessage({ number: NUMBER, firstName: "Ana", dayText: "de hoje" }));
    assert.deepEqual([other.kind, other.status], ["config", 404]);
    const none = await client.sendTemplate(target({ followupTemplate: undefined }), followupTemplateMessage({ number: NUMBER, firstName: "Ana", dayText: "de hoje" }));
    assert.deepEqual([none.kind, none.status], ["config", 0]);
    assert.equal(fake.requestCount, 2, "no request without a template");
  });

  test("interactive slot offers (list and buttons) are accepted by the fake", T, async () => {
    const slots = Array.from({ length: 5 }, (_, i) => ({ title: `Qui 1${i}/03 às 15:00`, description: "online" }));
    const list = await client.sendInteractive(target(), slotOfferMessage({ number: NUMBER, body: "Escolha um horário", slots }));
    assert.equal(list.kind, "sent", JSON.stringify(list));
    const buttons = await client.sendInteractive(target(), slotOfferMessage({ number: NUMBER, body: "Escolha", slots: [{ title: "Seg 14:00" }, { title: "Ter 09:00" }] }));
    assert.equal(buttons.kind, "sent", JSON.stringify(buttons));
    assert.deepEqual(fake.received.map((r) => r.type), ["interactive", "interactive"]);
    const bad = await client.sendInteractive(target(), { kind: "list", number: NUMBER, body: "x", buttonText: "Ver", rows: [] });
    assert.deepEqual([bad.kind, bad.status], ["permanent", 0]);
    assert.equal(fake.requestCount, 2);
  });

  test("outside the 24h window free text is permanent #131047 while the template still goes", T, async () => {
    fake.outsideWindow(NUMBER);
    const text = await client.send(target(), { number: NUMBER, body: "oi" });
    assert.equal(text.kind, "permanent");
    assert.ok(text.kind === "permanent" && text.error.includes("#131047"), JSON.stringify(text));
    const template = await client.sendTemplate(target(), followupTemplateMessage({ number: NUMBER, firstName: "Ana", dayText: "de hoje" }));
    assert.equal(template.kind, "sent");
  });

  test("an undeliverable number is permanent #131026", T, async () => {
    fake.markUndeliverable("5511000000001");
    const outcome = await client.sendTemplate(target(), followupTemplateMessage({ number: "5511000000001", firstName: "Ana", dayText: "de hoje" }));
    assert.deepEqual([outcome.kind, outcome.status], ["permanent", 400]);
    assert.ok(outcome.kind === "permanent" && outcome.error.includes("#131026"));
  });

  test("bad, revoked or unprivileged token and an unknown phone number id are config, without the token", T, async () => {
    const wrong = await client.send(target({ accessToken: "EAAG-SECRET-wrong" }), { number: NUMBER, body: "x" });
    assert.deepEqual([wrong.kind, wrong.status], ["config", 401]);
    assertNoSecret(wrong);
    fake.rejectTokens(true);
    const revoked = await client.send(target(), { number: NUMBER, body: "x" });
    assert.deepEqual([revoked.kind, revoked.status], ["config", 401]);
    assertNoSecret(revoked);
    fake.rejectTokens(false);
    fake.failNextWithCode(10);
    const permission = await client.send(target(), { number: NUMBER, body: "x" });
    assert.deepEqual([permission.kind, permission.status], ["config", 403]);
    const unknownId = await client.send(target({ phoneNumberId: "999" }), { number: NUMBER, body: "x" });
    assert.deepEqual([unknownId.kind, unknownId.status], ["config", 400]);
    assert.ok(unknownId.kind === "config" && unknownId.error.includes("phone number id"), JSON.stringify(unknownId));
  });

  test("rate limits are transient with Retry-After; 131000 and 503 too", T, async () => {
    fake.failNextWithCode(130429, { retryAfter: 30 });
    const limited = await client.send(target(), { number: NUMBER, body: "x" });
    assert.ok(limited.kind === "transient" && limited.retryAfterMs === 30_000 && limited.status === 400, JSON.stringify(limited));
    for (const code of [131056, 80007, 4, 131000, 131016]) {
      fake.failNextWithCode(code);
      const o = await client.send(target(), { number: NUMBER, body: "x" });
      assert.ok(o.kind === "transient" && o.error.includes(`#${code}`), `${code}: ${JSON.stringify(o)}`);
    }
    fake.failNext(503, "<html>Service Unavailable</html>");
    const html = await client.send(target(), { number: NUMBER, body: "x" });
    assert.deepEqual([html.kind, html.status], ["transient", 503]);
    assert.equal(fake.deliveredCount, 0);
  });

  test("timeouts, held and dropped requests are transient; the client recovers", T, async () => {
    const quick = new CloudClient({ timeoutMs: 200 });
    try {
      fake.setLatency(2_000);
      const slow = await quick.send(target(), { number: NUMBER, body: "x" });
      assert.ok(slow.kind === "transient" && slow.error === "timeout after 200 ms" && slow.status === undefined, JSON.stringify(slow));
      assertNoSecret(slow);
      fake.setLatency(0);
      fake.failNext("timeout");
      const held = await quick.send(target(), { number: NUMBER, body: "x" });
      assert.ok(held.kind === "transient" && held.error.startsWith("timeout"), JSON.stringify(held));
      fake.failNext("drop");
      const dropped = await quick.send(target(), { number: NUMBER, body: "x" });
      assert.ok(dropped.kind === "transient" && /ECONNRESET|EPIPE|socket/i.test(dropped.error), JSON.stringify(dropped));
      assert.equal((await quick.send(target(), { number: NUMBER, body: "x" })).kind, "sent");
    } finally {
      quick.close();
    }
  });

  test("local problems are caught before any request; an echoed token is redacted", T, async () => {
    const cases: [Partial<CloudTarget>, string, SendOutcome["kind"]][] = [
      [{ accessToken: " " }, NUMBER, "config"],
      [{ version: "v17.0" }, NUMBER, "config"],
      [{ phoneNumberId: "abc" }, NUMBER, "config"],
      [{ graphBase: "graph.local" }, NUMBER, "config"],
      [{}, "abc", "permanent"],
    ];
    for (const [over, number, kind] of cases) {
      const o = await client.send(target(over), { number, body: "x" });
      assert.deepEqual([o.kind, o.status], [kind, 0], JSON.stringify({ over, o }));
    }
    assert.equal(fake.requestCount, 0);
    fake.failNext(400, graphErrorBody(999001, { message: `bad token ${TOKEN}` }));
    const echoed = await client.send(target(), { number: NUMBER, body: "x" });
    assert.equal(echoed.kind, "permanent");
    assertNoSecret(echoed);
  });
});

describe("verifyCloudSignature", () => {
  const raw = Buffer.from(JSON.stringify(cloudInboundText({ from: NUMBER, text: "Olá 😊", id: "wamid.A" })), "utf8");
  const good = `sha256=${createHmac("sha256", APP_SECRET).update(raw).digest("hex")}`;

  test("accepts the HMAC-SHA256 of the raw bytes", () => {
    assert.equal(signCloudPayload(raw, APP_SECRET), good);
    assert.equal(verifyCloudSignature(raw, good, APP_SECRET), true);
    assert.equal(verifyCloudSignature(raw, good.toUpperCase().replace("SHA256=", "sha256="), APP_SECRET), true, "hex case does not matter");
  });

  test("refuses wrong, missing, malformed or wrong-length signatures", () => {
    assert.equal(verifyCloudSignature(raw, signCloudPayload(raw, "another-secret"), APP_SECRET), false, "wrong secret");
    assert.equal(verifyCloudSignature(Buffer.concat([raw, Buffer.from(" ")]), good, APP_SECRET), false, "body changed");
    assert.equal(verifyCloudSignature(raw, undefined, APP_SECRET), false, "missing");
    assert.equal(verifyCloudSignature(raw, "", APP_SECRET), false, "empty");
    assert.equal(verifyCloudSignature(raw, good.slice(0, -2), APP_SECRET), false, "too short");
    assert.equal(verifyCloudSignature(raw, `${good}00`, APP_SECRET), false, "too long");
    assert.equal(verifyCloudSignature(raw, good.replace("sha256=", ""), APP_SECRET), false, "no prefix");
    assert.equal(verifyCloudSignature(raw, good.replace("sha256=", "sha1="), APP_SECRET), false, "other algorithm");
    assert.equal(verifyCloudSignature(raw, `sha256=${"z".repeat(64)}`, APP_SECRET), false, "not hex");
    assert.equal(verifyCloudSignature(raw, good, ""), false, "no app secret configured");
  });
});

describe("cloudVerificationChallenge (GET handshake)", () => {
  const query = { "hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444" };

  test("echoes the challenge when mode and token match", () => {
    assert.equal(cloudVerificationChallenge(query, "verify-me"), "1158201444");
    assert.equal(cloudVerificationChallenge(new URLSearchParams(query), "verify-me"), "1158201444");
    assert.equal(cloudVerificationChallenge({ hub: { mode: "subscribe", verify_token: "verify-me", challenge: "42" } }, "verify-me"), "42");
  });

  test("null for a wrong token, another mode, a missing or odd challenge, or no configured token", () => {
    assert.equal(cloudVerificationChallenge(query, "other"), null);
    assert.equal(cloudVerificationChallenge({ ...query, "hub.mode": "unsubscribe" }, "verify-me"), null);
    assert.equal(cloudVerificationChallenge({ ...query, "hub.challenge": undefined }, "verify-me"), null);
    assert.equal(cloudVerificationChallenge({ ...query, "hub.challenge": "<script>" }, "verify-me"), null);
    assert.equal(cloudVerificationChallenge({ ...query, "hub.verify_token": ["verify-me", "x"] }, "verify-me"), null);
    assert.equal(cloudVerificationChallenge(query, ""), null);
    assert.equal(cloudVerificationChallenge(null, "verify-me"), null);
    assert.equal(cloudVerificationChallenge("hub.mode=subscribe", "verify-me"), null);
  });
});

describe("parseCloudWebhook", () => {
  test("a text message (Meta's sample shape)", () => {
    const body = {
      object: "whatsapp_business_account",
      entry: [
        {
          id: "102290129340398",
          changes: [
            {
              value: {
                messaging_product: "whatsapp",
                metadata: { display_phone_number: "15550783881", phone_number_id: PHONE_ID },
                contacts: [{ profile: { name: "Sheena Nelson" }, wa_id: "16505551234" }],
                messages: [{ from: "16505551234", id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=", timestamp: "1749416383", type: "text", text: { body: "Does it come in another color?" } }],
              },
              field: "messages",
            },
          ],
        },
      ],
    };
    assert.deepEqual(parseCloudWebhook(body), [
      {
        phone: "16505551234",
        messageId: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=",
        timestamp: 1749416383,
        text: "Does it come in another color?",
        type: "text",
        profileName: "Sheena Nelson",
        phoneNumberId: PHONE_ID,
      },
    ]);
    assert.equal(parseCloudWebhook(JSON.stringify(body)).length, 1, "a raw JSON string is read too");
    assert.equal(parseCloudWebhook(Buffer.from(JSON.stringify(body))).length, 1, "and a Buffer");
  });

  test("template quick reply: text and payload, with the context wamid", () => {
    const [item] = parseCloudWebhook(cloudInboundButton({ from: "+5511999990000", payload: FOLLOWUP_YES, text: "✅ Sim, quero marcar", id: "wamid.B", contextId: "wamid.OURS" }));
    assert.deepEqual(item && { phone: item.phone, text: item.text, buttonPayload: item.buttonPayload, type: item.type, contextMessageId: item.contextMessageId }, {
      phone: NUMBER,
      text: "✅ Sim, quero marcar",
      buttonPayload: FOLLOWUP_YES,
      type: "button",
      contextMessageId: "wamid.OURS",
    });
  });

  test("interactive button_reply and list_reply give the id as buttonPayload", () => {
    const [button] = parseCloudWebhook(cloudInboundInteractive({ from: NUMBER, kind: "button_reply", replyId: "SLOT_2", title: "Ter 09:00" }));
    assert.deepEqual([button?.type, button?.text, button?.buttonPayload], ["button_reply", "Ter 09:00", "SLOT_2"]);
    const [row] = parseCloudWebhook(cloudInboundInteractive({ from: NUMBER, kind: "list_reply", replyId: "SLOT_7", title: "Qui 14/03 15:00", description: "online" }));
    assert.deepEqual([row?.type, row?.text, row?.buttonPayload], ["list_reply", "Qui 14/03 15:00", "SLOT_7"]);
  });

  test("statuses and content-less messages are left out; stickers, reactions, voice notes are recorded; a batch keeps its order", () => {
    assert.deepEqual(parseCloudWebhook(cloudStatusUpdate({ recipient: NUMBER, messageId: "wamid.X", status: "read" })), []);
    const statusReading = readCloudWebhook(cloudStatusUpdate({ recipient: NUMBER, messageId: "wamid.X" }));
    assert.deepEqual([statusReading.valid, statusReading.statuses, statusReading.items.length], [true, 1, 0]);

    const batch = cloudInboundText({ from: NUMBER, text: "primeira", id: "wamid.1" }) as { entry: { changes: { value: { messages: unknown[] } }[] }[] };
    const messages = batch.entry[0]!.changes[0]!.value.messages;
    messages.push({ from: NUMBER, id: "wamid.2", timestamp: "1", type: "sticker", sticker: { id: "m" } });
    messages.push({ from: NUMBER, id: "wamid.3", timestamp: "2", type: "reaction", reaction: { message_id: "wamid.1", emoji: "👍" } });
    messages.push({ from: NUMBER, id: "wamid.4", timestamp: "3", type: "image", image: { id: "m", caption: "foto da sala" } });
    messages.push({ from: "not-a-phone", id: "wamid.5", timestamp: "4", type: "text", text: { body: "x" } });
    messages.push({ from: NUMBER, id: "wamid.6", timestamp: "5", type: "text", text: { body: "última" } });
    messages.push({ from: NUMBER, id: "wamid.7", timestamp: "6", type: "audio", audio: { id: "m", voice: true } });
    messages.push({ from: NUMBER, id: "wamid.8", timestamp: "7", type: "reaction", reaction: { message_id: "wamid.1", emoji: "" } });
    messages.push({ from: NUMBER, id: "wamid.9", timestamp: "8", type: "unsupported", errors: [{ code: 131051 }] });
    const reading = readCloudWebhook(batch);
    assert.deepEqual(reading.items.map((i) => [i.messageId, i.text, i.media ?? null]), [
      ["wamid.1", "primeira", null],
      ["wamid.2", "[figurinha]", "sticker"],
      ["wamid.3", "[reação] 👍", "reaction"],
      ["wamid.4", "foto da sala", null],
      ["wamid.6", "última", null],
      ["wamid.7", "[mensagem de voz]", "voice"],
    ]);
    assert.deepEqual(reading.skipped.map((s) => s.messageId), ["wamid.5", "wamid.8", "wamid.9"]);
  });

  test("invalid input never throws", () => {
    const hostile = {
      object: "whatsapp_business_account",
      get entry(): unknown {
        throw new Error("boom");
      },
    };
    const inputs: unknown[] = [undefined, null, 0, "", "{]", [], {}, { object: "page", entry: [] }, { entry: "x" }, { entry: [null, 1, { changes: [null, { value: 3 }] }] }, hostile];
    for (const input of inputs) {
      let items: unknown;
      assert.doesNotThrow(() => {
        items = parseCloudWebhook(input);
      });
      assert.deepEqual(items, [], String(input));
    }
    assert.equal(readCloudWebhook("{]").valid, false);
    assert.equal(readCloudWebhook({ object: "page", entry: [] }).valid, false);
    assert.equal(readCloudWebhook(hostile).valid, false);
    assert.equal(readCloudWebhook({ object: "whatsapp_business_account", entry: [] }).valid, true);
  });
});

describe("FakeCloudApi.postInbound delivers a signed webhook", () => {
  let fake: FakeCloudApi;
  let receiver: http.Server;
  let receiverUrl: string;
  const got: { raw: Buffer; signature: string | undefined }[] = [];

  before(async () => {
    fake = await startFakeCloudApi();
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const raw = Buffer.concat(chunks);
        const signature = req.headers["x-hub-signature-256"];
        got.push({ raw, signature: typeof signature === "string" ? signature : undefined });
        const ok = verifyCloudSignature(raw, typeof signature === "string" ? signature : undefined, APP_SECRET);
        res.writeHead(ok ? 200 : 401, { "Content-Type": "application/json" });
        res.end(JSON.stringify(ok ? { items: parseCloudWebhook(raw) } : { error: "bad signature" }));
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/cloud`;
  });
  after(async () => {
    await fake.close();
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  test("a button tap arrives signed and parses; a wrong or missing signature is refused", T, async () => {
    const tap = cloudInboundButton({ from: NUMBER, payload: FOLLOWUP_NO, text: "❌ Não, obrigado" });
    const delivered = await fake.postInbound(receiverUrl, APP_SECRET, tap);
    assert.equal(delivered.status, 200, delivered.body);
    const answer = JSON.parse(delivered.body) as { items: { buttonPayload: string; phone: string }[] };
    assert.deepEqual(answer.items.map((i) => [i.phone, i.buttonPayload]), [[NUMBER, FOLLOWUP_NO]]);
    assert.equal(got[0]!.signature, signCloudPayload(got[0]!.raw, APP_SECRET));

    assert.equal((await fake.postInbound(receiverUrl, "wrong-secret", tap)).status, 401);
    assert.equal((await postCloudInbound(receiverUrl, APP_SECRET, tap, { signature: null })).status, 401);
    assert.equal(got[2]!.signature, undefined);
  });

  test("an unreachable URL resolves with status 0 instead of throwing", T, async () => {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const r = await postCloudInbound(`http://127.0.0.1:${port}/x`, APP_SECRET, {}, { timeoutMs: 1_000 });
    assert.deepEqual([r.status, r.error], [0, "ECONNREFUSED"]);
    const bad = await postCloudInbound("not a url", APP_SECRET, {});
    assert.equal(bad.status, 0);
  });
});
