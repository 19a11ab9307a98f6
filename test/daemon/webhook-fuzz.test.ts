import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { buildHttpApp } from "../../src/daemon/http-server.js";
import { webhookRoutes, WEBHOOK_PATH } from "../../src/daemon/webhook-routes.js";
import { phoneVariants } from "../../src/domain/phone.js";
import { silentLogger } from "../../src/logger.js";
import { createReplyService } from "../../src/services/reply-service.js";
import { PHONE, addSentFollowup, recordingSender, replyFixture, tablesChecksum } from "../helpers/reply-fixtures.js";
import { seededRandom as mulberry32 } from "../../src/domain/random.js";

/**
 * Throws a few thousand random, truncated, mistyped and oversized bodies at the webhook (seeded,
 * so a failure replays): every answer is 2xx/4xx, the server stays up, and no row changes
 * (messages from unknown phones may only add `unmatched` inbound rows).
 */

const TOKEN = "fuzz-token-0123456789";
const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
const REQUESTS = 3000;
const CONCURRENCY = 16;
const TIME_BUDGET_MS = 90_000;


const KNOWN = new Set([...phoneVariants(PHONE), ...phoneVariants("5521988887777")]);
const WORDS = ["key", "remoteJid", "fromMe", "id", "message", "conversation", "extendedTextMessage", "text", "number", "body", "messageId", "data", "messages", "msg", "pushName", "messageTimestamp", "__proto__", "constructor", "event"];
const TEXTS = ["sim", "não", "2", "a primeira", "quero marcar", "✅ Sim, quero marcar", "❌", "", " ", "\u0000", "😀".repeat(50), "x".repeat(3000), "'; DROP TABLE appointments; --"];

function fuzzer(rand: () => number) {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const unknownPhone = (): string => {
    for (;;) {
      const p = `55${pick(["11", "21", "31", "47", "85"])}9${String(10_000_000 + int(89_999_999))}`;
      if (!KNOWN.has(p)) return p;
    }
  };
  const randomValue = (depth: number): unknown => {
    switch (int(depth > 3 ? 6 : 9)) {
      case 0: return null;
      case 1: return rand() < 0.5;
      case 2: return pick([0, -1, 1e308, 5547900001111, Number.MAX_SAFE_INTEGER, 3.14]);
      case 3: return pick(TEXTS);
      case 4: return pick([`${unknownPhone()}@s.whatsapp.net`, "120363@g.us", "status@broadcast", "x@lid", unknownPhone(), "@", ""]);
      case 5: return String.fromCharCode(...Array.from({ length: int(20) }, () => int(0x3000)));
      case 6: return Array.from({ length: int(4) }, () => randomValue(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = int(5); i >= 0; i--) o[pick(WORDS)] = randomValue(depth + 1);
        return o;
      }
    }
  };
  const validLooking = (): unknown => {
    const phone = unknownPhone();
    const id = `FZ${int(1e9)}`;
    const text = pick(TEXTS.slice(0, 6));
    switch (int(5)) {
      case 0: return { number: phone, body: text, messageId: id };
      case 1: return { key: { remoteJid: `${phone}@s.whatsapp.net`, fromMe: false, id }, message: { conversation: text }, messageTimestamp: 1796067000, pushName: "X" };
      case 2: return { data: { key: { remoteJid: `${phone}@s.whatsapp.net`, id }, message: { extendedTextMessage: { text } } } };
      case 3: return [{ number: phone, body: text, messageId: id }, { key: { remoteJid: `${PHONE}@s.whatsapp.net`, fromMe: true, id } }];
      // Known phones only where they must be ignored: our own messages, group chats.
      default: return rand() < 0.5
        ? { key: { remoteJid: `${PHONE}@s.whatsapp.net`, fromMe: true, id }, message: { conversation: "sim" } }
        : { key: { remoteJid: "120363@g.us", participant: `${PHONE}@s.whatsapp.net`, fromMe: false, id }, message: { conversation: "sim" } };
    }
  };
  /** One request: body bytes and content type (null = no header). */
  return (): { body: Buffer; contentType: string | null; label: string } => {
    const r = rand();
    if (r < 0.15) return { body: Buffer.from(Array.from({ length: int(300) }, () => int(256))), contentType: pick(["application/json", null, "text/plain"]), label: "bytes" };
    if (r < 0.35) {
      const full = JSON.stringify(validLooking());
      return { body: Buffer.from(full.slice(0, int(full.length))), contentType: "application/json", label: "truncated" };
    }
    if (r < 0.6) return { body: Buffer.from(JSON.stringify(randomValue(0)) ?? "null"), contentType: pick(["application/json", "application/json", "text/plain"]), label: "random-json" };
    if (r < 0.85) return { body: Buffer.from(JSON.stringify(validLooking())), contentType: pick(["application/json", "application/json; charset=utf-8", "text/plain"]), label: "valid-looking" };
    if (r < 0.9) {
      const filler = "x".repeat(64 * 1024 + int(64 * 1024));
      return { body: Buffer.from(JSON.stringify({ number: unknownPhone(), body: filler, messageId: "big" })), contentType: "application/json", label: "oversized" };
    }
    if (r < 0.95) return { body: Buffer.from(`${"[".repeat(int(5000))}`), contentType: "application/json", label: "nesting" };
    return { body: Buffer.from(pick(["", "null", "true", "0", '""', "{}", "[]", '{"number":null}', '{"key":null}', '{"data":[]}'])), contentType: "application/json", label: "edge" };
  };
}

function post(port: number, agent: http.Agent, body: Buffer, contentType: string | null): Promise<number | string> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { "content-length": body.length };
    if (contentType) headers["content-type"] = contentType;
    const req = http.request({ host: "127.0.0.1", port, path: `${WEBHOOK_PATH}?token=${TOKEN}`, method: "POST", headers, agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", (e) => resolve(`response error: ${e.message}`));
    });
    req.on("error", (e) => resolve(`request error: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    req.end(body);
  });
}

test(`fuzz: ${REQUESTS} random bodies (seed ${SEED}) get only 2xx/4xx, the server stays up, no row changes`, { timeout: 180_000 }, async () => {
  const f = await replyFixture();
  await addSentFollowup(f, { externalId: "A-1" });
  await addSentFollowup(f, { externalId: "B-1", phone: "5521988887777" });
  const sender = recordingSender();
  const service = createReplyService({ store: f.db, clock: f.clock.now, logger: silentLogger, sender });
  const app = await buildHttpApp({ routes: [webhookRoutes({ service, token: TOKEN, logger: silentLogger })], logger: silentLogger });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  try {
    const before = await tablesChecksum(f.db, { withInbound: false });
    const inboundBefore = (await f.db.get<{ m: number | null }>("SELECT max(id) AS m FROM inbound_messages"))?.m ?? 0;
    const next = fuzzer(mulberry32(SEED));
    const statuses = new Map<string, number>();
    const bad: string[] = [];
    const started = Date.now();
    let sent = 0;
    const workers = Array.from({ length: CONCURRENCY }, async () => {
      while (sent < REQUESTS && Date.now() - started < TIME_BUDGET_MS) {
        sent++;
        const { body, contentType, label } = next();
        const status = await post(port, agent, body, contentType);
        const key = `${label} ${status}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (typeof status !== "number" || status < 200 || status >= 500 || (status >= 300 && status < 400)) {
          if (bad.length < 10) bad.push(`${label} → ${status}: ${body.subarray(0, 200).toString("utf8")}`);
        }
      }
    });
    await Promise.all(workers);
    const summary = [...statuses.entries()].sort().map(([k, n]) => `${k}: ${n}`).join(", ");
    console.log(`fuzz: ${sent} requests in ${Date.now() - started} ms; ${summary}`);
    assert.ok(sent >= 1000, `only ${sent} requests within the time budget`);
    assert.deepEqual(bad, [], "every answer is 2xx or 4xx");

    // Still up and still correct.
    const ok = await post(port, agent, Buffer.from(JSON.stringify({ number: "5547912345678", body: "oi", messageId: "after-fuzz" })), "application/json");
    assert.equal(ok, 200);
    assert.equal(await tablesChecksum(f.db, { withInbound: false }), before, "no appointment, audit, feedback or company row changed");
    const added = await f.db.all<{ outcome: string; appointment_id: number | null; phone: string }>("SELECT outcome, appointment_id, phone FROM inbound_messages WHERE id > ?", [inboundBefore]);
    assert.ok(added.length > 0, "valid-looking messages were recorded");
    assert.ok(added.every((r) => r.outcome === "unmatched" && r.appointment_id === null && !KNOWN.has(r.phone)), "only unmatched inbound rows from unknown phones");
    assert.equal(sender.sent.length, 0, "no answer was sent");
  } finally {
    agent.destroy();
    await app.close();
    await f.db.close();
  }
});
