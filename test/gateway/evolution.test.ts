import { test, describe, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import type { SendOutcome } from "../../src/gateway/whaticket.js";
import { EvolutionClient, classifyEvolutionResponse, evolutionSendEndpoint, type EvolutionTarget } from "../../src/gateway/evolution-client.js";
import { parseEvolutionWebhook } from "../../src/gateway/evolution-inbound.js";
import { FakeEvolution, evolutionErrorBody, startFakeEvolution } from "../../src/gateway/fake-evolution.js";

// Distinctive, so a leak into any outcome is unmistakable.
const API_KEY = "evo-SECRET-8d1f2a77-never-log-me";
const NUMBER = "5511999990000";
const INSTANCE = "clinica-ana";
const T = { timeout: 20_000 };

function assertNoSecret(outcome: SendOutcome): void {
  const text = JSON.stringify(outcome);
  assert.ok(!text.includes(API_KEY), `key leaked: ${text}`);
  assert.ok(!text.includes("SECRET"), `key part leaked: ${text}`);
  assert.ok(!/apikey/i.test(text), `header leaked: ${text}`);
}

/** Evolution's answer for a number that is not on WhatsApp (BadRequestException(isWA) through main.ts). */
const NOT_ON_WHATSAPP = {
  status: 400,
  error: "Bad Request",
  response: { message: [{ exists: false, jid: "5511000000001@s.whatsapp.net", number: "5511000000001" }] },
};

describe("classifyEvolutionResponse (pure)", () => {
  test("2xx is sent with key.id as the message id", () => {
    const body = { key: { remoteJid: `${NUMBER}@s.whatsapp.net`, fromMe: true, id: "3EB0ABCDEF" }, status: "PENDING", messageType: "conversation" };
    assert.deepEqual(classifyEvolutionResponse(201, JSON.stringify(body)), { kind: "sent", status: 201, messageId: "3EB0ABCDEF" });
    assert.deepEqual(classifyEvolutionResponse(200, ""), { kind: "sent", status: 200 });
    assert.deepEqual(classifyEvolutionResponse(201, "{broken"), { kind: "sent", status: 201 });
  });

  test("a number that is not on WhatsApp is permanent", () => {
    assert.deepEqual(classifyEvolutionResponse(400, JSON.stringify(NOT_ON_WHATSAPP)), {
      kind: "permanent",
      status: 400,
      error: "HTTP 400 number is not on WhatsApp",
    });
    // Other validation errors too.
    assert.deepEqual(classifyEvolutionResponse(400, evolutionErrorBody(400, ["Text is required"])), {
      kind: "permanent",
      status: 400,
      error: "HTTP 400 Text is required",
    });
    assert.equal(classifyEvolutionResponse(422, { message: "x" }).kind, "permanent");
  });

  test("401/403, unknown instance (404) and redirects are config", () => {
    assert.deepEqual(classifyEvolutionResponse(401, evolutionErrorBody(401, "Unauthorized")), { kind: "config", status: 401, error: "HTTP 401 Unauthorized" });
    assert.equal(classifyEvolutionResponse(403, evolutionErrorBody(403, ["Missing global api key"])).kind, "config");
    const missing = classifyEvolutionResponse(404, evolutionErrorBody(404, ['The "x" instance does not exist']));
    assert.deepEqual(missing, { kind: "config", status: 404, error: 'HTTP 404 The "x" instance does not exist' });
    assert.equal(classifyEvolutionResponse(404, evolutionErrorBody(404, ["Cannot POST /message/sendText"])).kind, "config");
    assert.equal(classifyEvolutionResponse(301, "").kind, "config");
  });

  test("429, 5xx, 408 and passing Baileys errors are transient, Retry-After honoured", () => {
    assert.deepEqual(classifyEvolutionResponse(429, evolutionErrorBody(429, ["rate-overlimit"]), "12"), {
      kind: "transient",
      status: 429,
      error: "HTTP 429 rate-overlimit",
      retryAfterMs: 12_000,
    });
    const date = classifyEvolutionResponse(503, "", "Thu, 01 Jan 2026 00:00:30 GMT", new Date("2026-01-01T00:00:00Z"));
    assert.ok(date.kind === "transient" && date.retryAfterMs === 30_000);
    assert.equal(classifyEvolutionResponse(500, evolutionErrorBody(500, "Connection Closed")).kind, "transient");
    assert.equal(classifyEvolutionResponse(502, "<html>bad gateway</html>").kind, "transient");
    assert.equal((classifyEvolutionResponse(502, "<html>bad gateway</html>") as { error: string }).error, "HTTP 502");
    assert.equal(classifyEvolutionResponse(408, "").kind, "transient");
    assert.equal(classifyEvolutionResponse(400, evolutionErrorBody(400, ["Error: Connection Closed"])).kind, "transient");
    assert.equal(classifyEvolutionResponse(400, evolutionErrorBody(400, ["Error: Timed Out"])).kind, "transient");
  });

  test("error text is one bounded line", () => {
    const c = classifyEvolutionResponse(400, evolutionErrorBody(400, [`line1\nline2\u0000${"y".repeat(500)}`])) as { error: string };
    assert.ok(!c.error.includes("\n") && !c.error.includes("\u0000"));
    assert.ok(c.error.length <= 120, String(c.error.length));
  });

  test("evolutionSendEndpoint", () => {
    assert.equal(evolutionSendEndpoint("http://h:8080", "abc"), "http://h:8080/message/sendText/abc");
    assert.equal(evolutionSendEndpoint("https://h/evo//", "minha instância"), "https://h/evo/message/sendText/minha%20inst%C3%A2ncia");
    assert.equal(evolutionSendEndpoint("https://h/", "a/b"), "https://h/message/sendText/a%2Fb");
    assert.equal(evolutionSendEndpoint("ftp://h", "abc"), null);
    assert.equal(evolutionSendEndpoint("not a url", "abc"), null);
    assert.equal(evolutionSendEndpoint("http://h", "  "), null);
  });
});

describe("EvolutionClient against FakeEvolution over real HTTP", () => {
  let fake: FakeEvolution;
  let client: EvolutionClient;
  const target = (over: Partial<EvolutionTarget> = {}): EvolutionTarget => ({ url: `${fake.url}/`, apiKey: API_KEY, instance: INSTANCE, ...over });

  before(async () => {
    fake = await startFakeEvolution({ apiKeys: [API_KEY], instances: [INSTANCE, "minha instância"] });
    client = new EvolutionClient({ timeoutMs: 2_000, maxSockets: 8 });
  });
  after(async () => {
    client.close();
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    fake.setLatency(0);
  });

  test("201 is sent with the message id; the request carries apikey, instance, number and text", T, async () => {
    const outcome = await client.send(target(), { number: "+55 (11) 99999-0000", body: "Olá, Ana 😊" });
    assert.equal(outcome.kind, "sent");
    assert.equal(outcome.status, 201);
    assert.ok(outcome.kind === "sent" && /^3EB0[0-9A-F]{16}$/.test(outcome.messageId ?? ""), JSON.stringify(outcome));
    assert.equal(fake.received.length, 1);
    const got = fake.received[0]!;
    assert.deepEqual({ instance: got.instance, number: got.number, text: got.text, apiKey: got.apiKey, status: got.status }, {
      instance: INSTANCE,
      number: NUMBER,
      text: "Olá, Ana 😊",
      apiKey: API_KEY,
      status: 201,
    });
    const spaced = await client.send(target({ instance: "minha instância" }), { number: NUMBER, body: "x" });
    assert.equal(spaced.kind, "sent", "instance names are URL-encoded");
    assert.equal(fake.received[1]!.instance, "minha instância");
  });

  test("a number that is not on WhatsApp is permanent; others still go", T, async () => {
    fake.markNotOnWhatsApp("5511000000001");
    const bad = await client.send(target(), { number: "5511000000001", body: "x" });
    assert.deepEqual(bad, { kind: "permanent", status: 400, error: "HTTP 400 number is not on WhatsApp", durationMs: bad.durationMs });
    assert.equal((await client.send(target(), { number: NUMBER, body: "x" })).kind, "sent");
  });

  test("wrong, revoked or forbidden key is config, without the key in the outcome", T, async () => {
    const wrong = await client.send(target({ apiKey: "evo-SECRET-wrong" }), { number: NUMBER, body: "x" });
    assert.deepEqual([wrong.kind, wrong.status], ["config", 401]);
    assertNoSecret(wrong);
    fake.rejectTokens(true);
    const revoked = await client.send(target(), { number: NUMBER, body: "x" });
    assert.deepEqual([revoked.kind, revoked.status], ["config", 401]);
    assertNoSecret(revoked);
    fake.rejectTokens(false);
    fake.failNext(403, evolutionErrorBody(403, ["Forbidden"]));
    const forbidden = await client.send(target(), { number: NUMBER, body: "x" });
    assert.deepEqual([forbidden.kind, forbidden.status], ["config", 403]);
    assertNoSecret(forbidden);
  });

  test("an unknown instance is config 404 (checked before the key, as in Evolution)", T, async () => {
    const outcome = await client.send(target({ instance: "nao-existe", apiKey: "anything" }), { number: NUMBER, body: "x" });
    assert.equal(outcome.kind, "config");
    assert.equal(outcome.status, 404);
    assert.ok(outcome.kind === "config" && outcome.error.includes('"nao-existe" instance does not exist'), JSON.stringify(outcome));
  });

  test("429 with Retry-After, 500 and a closed WhatsApp connection are transient", T, async () => {
    fake.failNext(429, evolutionErrorBody(429, ["rate-overlimit"]), { retryAfter: 9 });
    const limited = await client.send(target(), { number: NUMBER, body: "x" });
    assert.ok(limited.kind === "transient", JSON.stringify(limited));
    assert.equal(limited.status, 429);
    assert.equal(limited.retryAfterMs, 9_000);

    fake.failNext(500, undefined, { times: 2 });
    const a = await client.send(target(), { number: NUMBER, body: "x" });
    const b = await client.send(target(), { number: NUMBER, body: "x" });
    assert.deepEqual([a.kind, a.status, b.kind, b.status], ["transient", 500, "transient", 500]);

    fake.failNumber(NUMBER, 400, evolutionErrorBody(400, ["Error: Connection Closed"]));
    const closed = await client.send(target(), { number: NUMBER, body: "x" });
    assert.deepEqual([closed.kind, closed.status], ["transient", 400]);
    assert.equal(fake.deliveredCount, 0);
  });

  test("a slow answer beyond the timeout is transient 'timeout'", T, async () => {
    const quick = new EvolutionClient({ timeoutMs: 200 });
    try {
      fake.setLatency(2_000);
      const outcome = await quick.send(target(), { number: NUMBER, body: "x" });
      assert.ok(outcome.kind === "transient" && outcome.error === "timeout after 200 ms", JSON.stringify(outcome));
      assert.equal(outcome.status, undefined);
      assertNoSecret(outcome);
    } finally {
      quick.close();
    }
  });

  test("a held request is transient and the client recovers; a dropped one is transient", T, async () => {
    const quick = new EvolutionClient({ timeoutMs: 200 });
    try {
      fake.failNext("timeout");
      const held = await quick.send(target(), { number: NUMBER, body: "x" });
      assert.ok(held.kind === "transient" && held.error.startsWith("timeout"), JSON.stringify(held));
      assert.equal((await quick.send(target(), { number: NUMBER, body: "x" })).kind, "sent");
      fake.failNext("drop");
      const dropped = await quick.send(target(), { number: NUMBER, body: "x" });
      assert.ok(dropped.kind === "transient" && /ECONNRESET|EPIPE|socket/i.test(dropped.error), JSON.stringify(dropped));
      assertNoSecret(dropped);
    } finally {
      quick.close();
    }
  });

  test("local problems are caught before any request", T, async () => {
    const cases: [Partial<EvolutionTarget>, string, string, SendOutcome["kind"]][] = [
      [{ url: "evo.local" }, NUMBER, "x", "config"],
      [{ apiKey: "  " }, NUMBER, "x", "config"],
      [{ instance: " " }, NUMBER, "x", "config"],
      [{}, "abc", "x", "permanent"],
      [{}, NUMBER, "   ", "permanent"],
    ];
    for (const [over, number, body, kind] of cases) {
      const outcome = await client.send(target(over), { number, body });
      assert.deepEqual([outcome.kind, outcome.status], [kind, 0], JSON.stringify({ over, outcome }));
    }
    assert.equal(fake.requestCount, 0);
  });

  test("a key echoed by the server is redacted", T, async () => {
    fake.failNext(400, evolutionErrorBody(400, [`invalid apikey ${API_KEY}`]));
    const outcome = await client.send(target(), { number: NUMBER, body: "x" });
    assert.equal(outcome.kind, "permanent");
    assert.ok(outcome.kind === "permanent" && outcome.error.includes("***"), JSON.stringify(outcome));
    assert.ok(!JSON.stringify(outcome).includes(API_KEY));
  });

  test("connection refused is transient ECONNREFUSED", T, async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const outcome = await client.send(target({ url: `http://127.0.0.1:${port}` }), { number: NUMBER, body: "x" });
    assert.ok(outcome.kind === "transient" && outcome.error === "ECONNREFUSED", JSON.stringify(outcome));
    assertNoSecret(outcome);
  });
});

describe("FakeEvolution over bare HTTP", () => {
  let fake: FakeEvolution;
  before(async () => {
    fake = await startFakeEvolution({ apiKeys: [API_KEY] });
  });
  after(async () => {
    await fake.close();
  });

  function post(path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
    return new Promise((resolve, reject) => {
      const req = http.request(`${fake.url}${path}`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown }));
      });
      req.setTimeout(3_000, () => req.destroy(new Error("timeout")));
      req.on("error", reject);
      req.end(body);
    });
  }

  test("answers with Evolution's shapes: 404 route, 404 instance, 401 key, 400 validation, 201 message", T, async () => {
    const route = await post("/message/sendMedia/secretaria", "{}", { apikey: API_KEY });
    assert.deepEqual(route, { status: 404, json: { status: 404, error: "Not Found", response: { message: ["Cannot POST /message/sendMedia/secretaria"] } } });
    const instance = await post("/message/sendText/outra", "{}");
    assert.equal(instance.status, 404, "instance guard runs before the key guard");
    const key = await post("/message/sendText/secretaria", JSON.stringify({ number: NUMBER, text: "x" }));
    assert.deepEqual(key, { status: 401, json: { status: 401, error: "Unauthorized", response: { message: "Unauthorized" } } });
    const invalid = await post("/message/sendText/secretaria", JSON.stringify({ number: NUMBER, text: "" }), { apikey: API_KEY });
    assert.deepEqual(invalid, { status: 400, json: { status: 400, error: "Bad Request", response: { message: ["Text is required"] } } });
    const ok = await post("/message/sendText/secretaria", JSON.stringify({ number: NUMBER, text: "oi" }), { apikey: API_KEY });
    assert.equal(ok.status, 201);
    const json = ok.json as { key: { remoteJid: string; fromMe: boolean; id: string }; message: { conversation: string } };
    assert.equal(json.key.remoteJid, `${NUMBER}@s.whatsapp.net`);
    assert.equal(json.key.fromMe, true);
    assert.equal(json.message.conversation, "oi");
    assert.equal(fake.countFor(NUMBER), 3, "every request that named the number is counted");
  });

  test("failNext rejects statuses outside 200..599", () => {
    assert.throws(() => fake.failNext(99), RangeError);
  });
});

describe("parseEvolutionWebhook", () => {
  /** A messages.upsert delivery as webhook.controller.ts emit() posts it, data from prepareMessage(). */
  const upsert = (key: Record<string, unknown>, message: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    event: "messages.upsert",
    instance: INSTANCE,
    data: {
      key: { remoteJid: `${NUMBER}@s.whatsapp.net`, fromMe: false, id: "3EB0C431C26A1916E07E", ...key },
      pushName: "Ana Souza",
      status: "DELIVERY_ACK",
      message,
      contextInfo: null,
      messageType: "conversation",
      messageTimestamp: 1717171717,
      instanceId: "6c4a6b9e-1f3a-4f1e-9d55-0c2a7f8e1b23",
      source: "android",
      ...extra,
    },
    destination: "https://secretaria.example/webhooks/evolution",
    date_time: "2026-03-10T14:00:00.000Z",
    sender: "5511988887777@s.whatsapp.net",
    server_url: "https://evo.example.com",
    apikey: "instance-token",
  });

  test("a plain message gives phone, text, id, timestamp, pushName and instance", () => {
    assert.deepEqual(parseEvolutionWebhook(upsert({}, { conversation: "Sim, quero marcar" })), {
      kind: "message",
      phone: NUMBER,
      text: "Sim, quero marcar",
      messageId: "3EB0C431C26A1916E07E",
      timestamp: 1717171717,
      pushName: "Ana Souza",
      instance: INSTANCE,
    });
    const ext = parseEvolutionWebhook(upsert({}, { extendedTextMessage: { text: "veja https://x.y" } }));
    assert.ok(ext.kind === "message" && ext.text === "veja https://x.y");
    const asText = parseEvolutionWebhook(JSON.stringify(upsert({}, { conversation: "oi" })));
    assert.ok(asText.kind === "message" && asText.text === "oi", "a raw JSON string is read too");
  });

  test("LID addressing: the phone comes from remoteJidAlt", () => {
    const lid = parseEvolutionWebhook(
      upsert({ remoteJid: "123456789012345@lid", remoteJidAlt: `${NUMBER}@s.whatsapp.net`, addressingMode: "lid" }, { conversation: "sim" }),
    );
    assert.ok(lid.kind === "message", JSON.stringify(lid));
    assert.equal(lid.phone, NUMBER);
    // addressingMode "pn": remoteJid is the phone, remoteJidAlt the LID.
    const pn = parseEvolutionWebhook(upsert({ remoteJid: `${NUMBER}@s.whatsapp.net`, remoteJidAlt: "123456789012345@lid", addressingMode: "pn" }, { conversation: "sim" }));
    assert.ok(pn.kind === "message" && pn.phone === NUMBER);
    // A LID without a phone beside it: nothing to match.
    assert.deepEqual(parseEvolutionWebhook(upsert({ remoteJid: "123456789012345@lid", addressingMode: "lid" }, { conversation: "sim" })), {
      kind: "ignored",
      reason: "no_phone",
    });
  });

  test("fromMe, groups, broadcasts, other events and content-less messages are ignored; voice notes, images, stickers are recorded", () => {
    assert.deepEqual(parseEvolutionWebhook(upsert({ fromMe: true }, { conversation: "oi" })), { kind: "ignored", reason: "fromMe" });
    assert.deepEqual(parseEvolutionWebhook(upsert({ remoteJid: "120363025246125486@g.us", participant: `${NUMBER}@s.whatsapp.net` }, { conversation: "oi" })), {
      kind: "ignored",
      reason: "group",
    });
    assert.deepEqual(parseEvolutionWebhook(upsert({ remoteJid: "status@broadcast" }, { conversation: "oi" })), { kind: "ignored", reason: "broadcast" });
    for (const event of ["messages.update", "connection.update", "send.message", "qrcode.updated"]) {
      assert.deepEqual(parseEvolutionWebhook({ ...upsert({}, { conversation: "oi" }), event }), { kind: "ignored", reason: "event" }, event);
    }
    assert.equal(parseEvolutionWebhook({ ...upsert({}, { conversation: "oi" }), event: "MESSAGES_UPSERT" }).kind, "message");
    const voice = parseEvolutionWebhook(upsert({}, { audioMessage: { seconds: 3, ptt: true } }, { messageType: "audioMessage" }));
    assert.ok(voice.kind === "message" && voice.media === "voice" && voice.text === "[mensagem de voz]", JSON.stringify(voice));
    for (const [message, media, text] of [
      [{ audioMessage: { seconds: 3 } }, "audio", "[áudio]"],
      [{ imageMessage: { mimetype: "image/jpeg" } }, "image", "[imagem]"],
      [{ stickerMessage: { isAnimated: false } }, "sticker", "[figurinha]"],
      [{ locationMessage: { degreesLatitude: -23.5 } }, "location", "[localização]"],
      [{ contactMessage: { displayName: "x" } }, "contact", "[contato]"],
      [{ reactionMessage: { text: "👍", key: { id: "X" } } }, "reaction", "[reação] 👍"],
      [{ viewOnceMessageV2: { message: { videoMessage: { seconds: 2 } } } }, "video", "[vídeo]"],
    ] as const) {
      const m = parseEvolutionWebhook(upsert({}, message));
      assert.ok(m.kind === "message" && m.media === media && m.text === text, JSON.stringify(m));
    }
    // An image with a caption is text; a removed reaction or a deletion is nothing.
    const caption = parseEvolutionWebhook(upsert({}, { imageMessage: { caption: "não, obrigado" } }));
    assert.ok(caption.kind === "message" && caption.media === undefined && caption.text === "não, obrigado");
    assert.deepEqual(parseEvolutionWebhook(upsert({}, { reactionMessage: { text: "", key: { id: "X" } } })), { kind: "ignored", reason: "no_text" });
    assert.deepEqual(parseEvolutionWebhook(upsert({}, { protocolMessage: { type: "REVOKE" } })), { kind: "ignored", reason: "no_text" });
    assert.deepEqual(parseEvolutionWebhook(upsert({}, undefined)), { kind: "ignored", reason: "no_text" });
  });

  test("button, template button and list answers give the label and the payload", () => {
    const button = parseEvolutionWebhook(upsert({}, { buttonsResponseMessage: { selectedButtonId: "FOLLOWUP_YES", selectedDisplayText: "✅ Sim, quero marcar" } }));
    assert.ok(button.kind === "message");
    assert.deepEqual([button.text, button.buttonPayload], ["✅ Sim, quero marcar", "FOLLOWUP_YES"]);
    const template = parseEvolutionWebhook(upsert({}, { templateButtonReplyMessage: { selectedId: "FOLLOWUP_NO", selectedDisplayText: "❌ Não, obrigado" } }));
    assert.ok(template.kind === "message" && template.buttonPayload === "FOLLOWUP_NO");
    const list = parseEvolutionWebhook(upsert({}, { listResponseMessage: { title: "Ter 12/03 14:00", singleSelectReply: { selectedRowId: "SLOT_2" } } }));
    assert.ok(list.kind === "message");
    assert.deepEqual([list.text, list.buttonPayload], ["Ter 12/03 14:00", "SLOT_2"]);
    const native = parseEvolutionWebhook(
      upsert({}, { interactiveResponseMessage: { body: { text: "Sim" }, nativeFlowResponseMessage: { name: "quick_reply", paramsJson: '{"id":"FOLLOWUP_YES"}' } } }),
    );
    assert.ok(native.kind === "message" && native.buttonPayload === "FOLLOWUP_YES" && native.text === "Sim");
    const ephemeral = parseEvolutionWebhook(upsert({}, { ephemeralMessage: { message: { extendedTextMessage: { text: "sumiu" } } } }));
    assert.ok(ephemeral.kind === "message" && ephemeral.text === "sumiu");
  });

  test("timestamps: number, numeric string, protobuf Long, milliseconds, absent", () => {
    const ts = (v: unknown): number | null => {
      const r = parseEvolutionWebhook(upsert({}, { conversation: "x" }, { messageTimestamp: v }));
      assert.ok(r.kind === "message");
      return r.timestamp;
    };
    assert.equal(ts(1717171717), 1717171717);
    assert.equal(ts("1717171717"), 1717171717);
    assert.equal(ts({ low: 1717171717, high: 0, unsigned: true }), 1717171717);
    assert.equal(ts(1717171717123), 1717171717);
    assert.equal(ts(undefined), null);
    assert.equal(ts("soon"), null);
    // Not a plausible message time (1970, year 2200): absent, as on the other gateways, not a date that would mark the reply as old.
    assert.equal(ts(5), null);
    assert.equal(ts(7258118400), null);
  });

  test("invalid input never throws and says why", () => {
    const hostile = {
      get event(): string {
        throw new Error("boom");
      },
    };
    const cyclic: Record<string, unknown> = { event: "messages.upsert" };
    cyclic.data = cyclic;
    const inputs: unknown[] = [
      undefined,
      null,
      42,
      "not json",
      "",
      [],
      {},
      { event: 7 },
      { event: "messages.upsert" },
      { event: "messages.upsert", data: [] },
      { event: "messages.upsert", data: "x" },
      { event: "messages.upsert", data: { message: { conversation: "x" } } },
      upsert({ remoteJid: undefined }, { conversation: "x" }),
      upsert({ remoteJid: "not-a-jid" }, { conversation: "x" }),
      upsert({ id: undefined }, { conversation: "x" }),
      upsert({ id: "x".repeat(300) }, { conversation: "x" }),
      upsert({}, "just a string"),
      hostile,
      cyclic,
      Buffer.from("{]"),
    ];
    for (const input of inputs) {
      let r: ReturnType<typeof parseEvolutionWebhook> | undefined;
      assert.doesNotThrow(() => {
        r = parseEvolutionWebhook(input);
      });
      assert.equal(r?.kind, "invalid", `${String(input)} → ${JSON.stringify(r)}`);
      assert.ok(r?.kind === "invalid" && r.reason.length > 0);
    }
  });
});
