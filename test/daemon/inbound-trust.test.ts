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
import { listFollowups } from "../../src/store/followup-queries.js";
import { listInbound } from "../../src/store/inbox.js";
import { followupStory } from "../../src/services/followup-story.js";
import { renderFollowupTable } from "../../src/commands/followups-list.js";
import {
  PHONE, SENT_AT, addSentFollowup, auditActions, recordingSender, replyFixture, tablesChecksum, type ReplyFixture,
} from "../helpers/reply-fixtures.js";

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

/** Unix seconds of an ISO instant. */
const secs = (iso: string) => Date.parse(iso) / 1000;
/** protobufjs' Long, as some Baileys forks post messageTimestamp. */
const long = (iso: string) => ({ low: secs(iso), high: 0, unsigned: true });

function baileys(text: string, id: string, messageTimestamp: unknown) {
  return { key: { remoteJid: `${PHONE}@s.whatsapp.net`, fromMe: false, id }, message: { conversation: text }, messageTimestamp };
}

async function inbox(r: Rig) {
  return listInbound(r.f.db, { limit: 100, ascending: true });
}

describe("point 6: old and replayed messages", () => {
  test("a Baileys message dated weeks before the follow-up (Long timestamp) is recorded as older_than_followup and changes nothing", T, async (t) => {
    const r = await rig(t);
    const id = await addSentFollowup(r.f, { externalId: "OLD-1" });
    const evoId = await addSentFollowup(r.f, { externalId: "OLD-2", phone: "5521988887777", companyId: "odonto" });
    const before = await tablesChecksum(r.f.db, { withInbound: false });
    const old = await r.whaticket(baileys("Não, obrigado", "OLD-MSG-1", long("2026-11-09T12:00:00.000Z")));
    assert.equal(old.status, 200, JSON.stringify(old.json));
    assert.deepEqual([old.json.matched, old.json.outcome, old.json.response, old.json.duplicate], [true, "older_than_followup", null, false]);
    // Evolution, timestamp as a numeric string: the same.
    const evo = await r.evolution(evolutionUpsert("5521988887777@s.whatsapp.net", "OLD-MSG-2", { conversation: "Sim" }, { messageTimestamp: String(secs("2026-11-01T12:00:00.000Z")) }));
    assert.equal(evo.json.outcome, "older_than_followup");
    assert.equal(await tablesChecksum(r.f.db, { withInbound: false }), before, "the follow-up and the audit are untouched");
    assert.equal(r.sent.length, 0, "nothing answered");
    const row = (await getAppointment(r.f.db, id))!;
    assert.deepEqual([row.followup_status, row.followup_response], ["sent", null]);
    const stored = await inbox(r);
    assert.deepEqual(stored.map((m) => [m.message_id, m.outcome, m.appointment_id]), [["OLD-MSG-1", "older_than_followup", id], ["OLD-MSG-2", "older_than_followup", evoId]]);
  });

  test("within the 2-minute clock-skew margin, or without a timestamp, the message is applied as before", T, async (t) => {
    const r = await rig(t);
    const a = await addSentFollowup(r.f, { externalId: "SKEW-1" });
    const b = await addSentFollowup(r.f, { externalId: "SKEW-2", phone: "5521988887777" });
    const skewed = await r.whaticket(baileys("Não, obrigado", "SKEW-MSG", secs(SENT_AT) - 90));
    assert.equal(skewed.json.outcome, "negative");
    assert.equal((await getAppointment(r.f.db, a))!.followup_response, "negative");
    const none = await r.whaticket({ number: "5521988887777", body: "Não, obrigado", messageId: "NO-TS" });
    assert.equal(none.json.outcome, "negative");
    assert.equal((await getAppointment(r.f.db, b))!.followup_response, "negative");
  });

  test("an id-less redelivery (same phone, text and timestamp) is a duplicate: 200, nothing changes; ten at once apply once", T, async (t) => {
    const r = await rig(t);
    const id = await addSentFollowup(r.f, { externalId: "DUP-1" });
    await addSentFollowup(r.f, { externalId: "DUP-2", phone: "5521988887777" });
    const msg = { number: PHONE, body: "Não, obrigado", timestamp: secs("2026-11-30T19:20:00.000Z") };
    const first = await r.whaticket(msg);
    assert.deepEqual([first.status, first.json.outcome, first.json.duplicate], [200, "negative", false]);
    const before = await tablesChecksum(r.f.db);
    const again = await r.whaticket(msg);
    assert.deepEqual([again.status, again.json.outcome, again.json.duplicate], [200, "duplicate", true]);
    assert.equal(await tablesChecksum(r.f.db), before);
    assert.equal((await auditActions(r.f.db, id)).filter((x) => x.action === "followup_response").length, 1);

    const other = { number: "5521988887777", body: "O atendimento foi ótimo, obrigada pela paciência", timestamp: String(secs("2026-11-30T19:21:00.000Z")) };
    const all = await Promise.all(Array.from({ length: 10 }, () => r.whaticket(other)));
    assert.ok(all.every((x) => x.status === 200), JSON.stringify(all.map((x) => x.json)));
    assert.equal(all.filter((x) => x.json.duplicate === false).length, 1);
    assert.equal(all.filter((x) => x.json.outcome === "duplicate").length, 9);
    assert.equal(r.sent.length, 2, "one answer per message");
  });

  test("retention blanks an id-less message's text and its dedupe id with it; a WhatsApp id stays", T, async (t) => {
    const { purgeExpiredInbound } = await import("../../src/services/retention-service.js");
    const r = await rig(t);
    await addSentFollowup(r.f, { externalId: "RET-1" });
    await r.whaticket({ number: PHONE, body: "Adorei o atendimento", timestamp: secs("2026-11-30T19:20:00.000Z") });
    await r.whaticket({ number: PHONE, body: "obrigada", messageId: "WA-ID" });
    const ids = async () => (await inbox(r)).map((m) => m.message_id);
    const [dedupe] = await ids();
    assert.match(dedupe!, /^dedupe:[0-9a-f]{64}$/);
    await purgeExpiredInbound(r.f.db, new Date(Date.parse(SENT_AT) + 181 * 86_400_000), { days: 180, unmatchedDays: 30 });
    assert.deepEqual(await ids(), [null, "WA-ID"]);
    assert.deepEqual((await inbox(r)).map((m) => m.body), ["", ""]);
  });

  test("a text over 4,096 characters is stored cut and marked, and classified on the part kept", T, async (t) => {
    const r = await rig(t);
    const id = await addSentFollowup(r.f, { externalId: "LONG-1" });
    const head = "O atendimento foi ótimo, a sala estava agradável. ";
    const long = head + "muito bom mesmo ".repeat(400) + "mas não quero marcar outra";
    assert.ok(long.length > 6000);
    const res = await r.whaticket({ number: PHONE, body: long, messageId: "LONG-MSG" });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.response, "feedback", "the 'não quero' beyond 4,096 characters is not read");
    const [m] = await inbox(r);
    assert.ok(m!.body.startsWith(long.slice(0, 4096)), "the first part kept");
    assert.ok(m!.body.endsWith(`[truncated: ${long.length} characters in all]`), m!.body.slice(4090));
    assert.ok(m!.body.length < 4096 + 60);
    const feedback = await r.f.db.get<{ text: string }>("SELECT text FROM feedback_events WHERE appointment_id = ?", [id]);
    assert.ok(feedback!.text.length <= 4096);
  });
});

describe("point 6: answers that are not text", () => {
  test("a voice note (Whaticket mediaType ptt, Evolution audioMessage.ptt) is recorded, the follow-up flagged and left pending, nothing answered", T, async (t) => {
    const r = await rig(t);
    const wt = await addSentFollowup(r.f, { externalId: "VOICE-1" });
    const evo = await addSentFollowup(r.f, { externalId: "VOICE-2", phone: "5521988887777", companyId: "odonto" });
    const a = await r.whaticket({ number: PHONE, body: "", mediaType: "ptt", messageId: "WT-VOICE" });
    assert.equal(a.status, 200, JSON.stringify(a.json));
    assert.deepEqual([a.json.matched, a.json.outcome, a.json.response], [true, "non_text", null]);
    const b = await r.evolution(evolutionUpsert("5521988887777@s.whatsapp.net", "EV-STICKER", { stickerMessage: { isAnimated: false } }));
    assert.deepEqual([b.json.appointment_id, b.json.outcome], [evo, "non_text"]);
    assert.equal(r.sent.length, 0, "no \"não entendi\" to a voice note or a sticker");

    for (const [id, kind] of [[wt, "voice"], [evo, "sticker"]] as const) {
      const row = (await getAppointment(r.f.db, id))!;
      assert.deepEqual([row.followup_status, row.followup_response], ["sent", null], "still pending");
      const audit = (await auditActions(r.f.db, id)).filter((x) => x.action === "followup_non_text_reply");
      assert.equal(audit.length, 1);
      assert.equal(audit[0]!.payload.kind, kind);
    }
    assert.deepEqual((await inbox(r)).map((m) => [m.body, m.outcome, m.rule]), [["[mensagem de voz]", "non_text", "voice"], ["[figurinha]", "non_text", "sticker"]]);

    // followups list (JSON field and table) and followups show say so.
    const { items } = await listFollowups(r.f.db, { statuses: null, sort: "id", limit: 10, offset: 0 });
    assert.deepEqual(items.map((i) => [i.id, i.followup_non_text_reply]), [[wt, "voice"], [evo, "sticker"]]);
    const table = renderFollowupTable(items, { zones: new Map(), showCompany: true, now: r.f.clock.now(), width: 200 });
    assert.match(table, /answered with a voice note/);
    assert.match(table, /answered with a sticker/);
    const story = await followupStory(r.f.db, wt);
    assert.equal(story.followup.followup_non_text_reply, "voice");
    assert.ok(story.events.some((e) => e.action === "followup_non_text_reply" && /answered with a voice note/.test(e.detail)));

    // A text answer afterwards decides as usual and the flag goes.
    const yes = await r.whaticket({ number: PHONE, body: "Não, obrigado", messageId: "WT-AFTER" });
    assert.equal(yes.json.response, "negative");
    const after = await listFollowups(r.f.db, { statuses: null, sort: "id", limit: 10, offset: 0 });
    assert.deepEqual(after.items.map((i) => i.followup_non_text_reply), [null, "sticker"]);
  });

  test("an image with a caption is text; a deletion or a removed reaction is ignored; a Whaticket image named like a file is an image", T, async (t) => {
    const r = await rig(t);
    await addSentFollowup(r.f, { externalId: "IMG-1" });
    const caption = await r.whaticket({ key: { remoteJid: `${PHONE}@s.whatsapp.net`, id: "CAP" }, message: { imageMessage: { caption: "Não, obrigado" } } });
    assert.equal(caption.json.outcome, "negative");
    assert.deepEqual((await r.whaticket({ key: { remoteJid: `${PHONE}@s.whatsapp.net`, id: "DEL" }, message: { protocolMessage: { type: 0 } } })).json, { ignored: "no_text" });
    assert.deepEqual((await r.whaticket({ key: { remoteJid: `${PHONE}@s.whatsapp.net`, id: "REM" }, message: { reactionMessage: { text: "" } } })).json, { ignored: "no_text" });
    const file = await r.whaticket({ number: "5521988887777", body: "1700000000-foto.jpeg", mediaType: "image", messageId: "IMG-F" });
    assert.deepEqual([file.status, file.json.outcome], [200, "unmatched"]);
    const stored = (await inbox(r)).map((m) => [m.body, m.rule]);
    assert.deepEqual(stored.at(-1), ["[imagem]", "image"]);
  });
});
