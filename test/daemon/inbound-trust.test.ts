import { test, describe } from "node:test";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { buildHttpApp } from "../../src/daemon/http-server.js";
import { EVOLUTION_WEBHOOK_PATH, gatewayWebhookRoutes } from "../../src/daemon/gateway-webhook-routes.js";
import { webhookRoutes, WEBHOOK_PATH } from "../../src/daemon/webhook-routes.js";
import { normalizePhone } from "../../src/domain/phone.js";
import { silentLogger } from "../../src/logger.js";
import { saveCompany } from "../../src/services/company-service.js";
import { createReplyService } from "../../src/services/reply-service.js";
import { getAppointment } from "../../src/store/appointments.js";
import { addSentFollowup, recordingSender, replyFixture, type ReplyFixture } from "../helpers/reply-fixtures.js";

/**
 * Inbound trust (issue 13, points 6 and 7): foreign numbers as gateways post them, old and replayed
 * messages, id-less redeliveries, long texts and non-text answers, through the real HTTP routes of
 * Whaticket and Evolution API with the real reply service.
 */

const TOKEN = "whk-INBOUND-5b2e-SECRET-0123456789";
const T = { timeout: 30_000 };

interface Rig {
  f: ReplyFixture;
  sent: { phone: string; body: string }[];
  whaticket(body: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  evolution(body: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
}

async function rig(t: { after(fn: () => Promise<void> | void): void }): Promise<Rig> {
  const f = await replyFixture();
  await saveCompany(f.db, { id: "odonto", name: "Odonto Sul", gateway: "evolution", evolutionUrl: "http://127.0.0.1:9", evolutionApiKey: "evo-key", evolutionInstance: "odonto" }, f.clock.now);
  const sender = recordingSender();
  const service = createReplyService({ store: f.db, clock: f.clock.now, logger: silentLogger, sender });
  const app = await buildHttpApp({
    routes: [webhookRoutes({ service, token: TOKEN, logger: silentLogger }), ...gatewayWebhookRoutes({ store: f.db, service, token: TOKEN, logger: silentLogger })],
    logger: silentLogger,
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  t.after(async () => {
    await app.close();
    await f.db.close();
  });
  const post = (path: string) => async (body: unknown) => {
    const res = await fetch(`${url}${path}?token=${TOKEN}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, json: JSON.parse(text) as Record<string, unknown> };
  };
  return { f, sent: sender.sent, whaticket: post(WEBHOOK_PATH), evolution: post(EVOLUTION_WEBHOOK_PATH) };
}

function evolutionUpsert(jid: string, id: string, message: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    event: "messages.upsert", instance: "odonto",
    data: { key: { remoteJid: jid, fromMe: false, id }, pushName: "Cliente", message, messageType: Object.keys(message)[0], ...extra },
  };
}

describe("point 7: foreign numbers as gateways post them", () => {
  test("Whaticket posts a Portuguese and a US number without '+': 200 and matched to the follow-up imported as +351 / +1", T, async (t) => {
    const r = await rig(t);
    const pt = await addSentFollowup(r.f, { externalId: "PT-1", phone: normalizePhone("+351 912 345 678")! });
    const us = await addSentFollowup(r.f, { externalId: "US-1", phone: normalizePhone("+1 (202) 555-0123")! });
    let a = await r.whaticket({ number: "351912345678", body: "Não, obrigado", messageId: "WT-PT" });
    assert.equal(a.status, 200, JSON.stringify(a.json));
    assert.equal(a.json.matched, true);
    assert.equal(a.json.appointment_id, pt);
    assert.equal((await getAppointment(r.f.db, pt))!.followup_response, "negative");
    a = await r.whaticket({ number: "12025550123", body: "não quero, obrigado", messageId: "WT-US" });
    assert.equal(a.status, 200, JSON.stringify(a.json));
    assert.equal(a.json.appointment_id, us);
    assert.deepEqual(r.sent.map((m) => m.phone), ["351912345678", "12025550123"]);
  });

  test("Brazilian numbers keep their rules: the ninth digit matches both ways; a number without a DDD is still 400", T, async (t) => {
    const r = await rig(t);
    const br = await addSentFollowup(r.f, { externalId: "BR-1", phone: "5511999990000" });
    const a = await r.whaticket({ number: "551199990000", body: "Não, obrigado", messageId: "WT-BR" });
    assert.equal(a.json.appointment_id, br);
    const bad = await r.whaticket({ number: "5510999990000", body: "sim" });
    assert.equal(bad.status, 400);
    assert.match(String(bad.json.error), /not a phone number/);
  });

  test("Evolution: a foreign JID matches the imported follow-up", T, async (t) => {
    const r = await rig(t);
    const pt = await addSentFollowup(r.f, { externalId: "PT-2", phone: normalizePhone("+351 912 345 678")!, companyId: "odonto" });
    const a = await r.evolution(evolutionUpsert("351912345678@s.whatsapp.net", "EV-PT", { conversation: "Não, obrigado" }));
    assert.equal(a.status, 200, JSON.stringify(a.json));
    assert.equal(a.json.appointment_id, pt);
    assert.equal((await getAppointment(r.f.db, pt))!.followup_response, "negative");
  });
});
