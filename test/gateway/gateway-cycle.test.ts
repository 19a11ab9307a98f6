import { test, describe } from "node:test";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { ManualClock } from "../../src/clock.js";
import { buildHttpApp } from "../../src/daemon/http-server.js";
import { createScheduler } from "../../src/daemon/scheduler.js";
import { daemonWebhookRoutes } from "../../src/daemon/webhook-routes.js";
import { CloudClient, FOLLOWUP_NO, FOLLOWUP_YES } from "../../src/gateway/cloud-client.js";
import { EvolutionClient } from "../../src/gateway/evolution-client.js";
import { cloudInboundButton, cloudInboundInteractive, cloudInboundText, postCloudInbound, startFakeCloudApi, type FakeCloudApi } from "../../src/gateway/fake-cloud-api.js";
import { startFakeEvolution, type FakeEvolution } from "../../src/gateway/fake-evolution.js";
import { startFakeWhaticket, type FakeWhaticket } from "../../src/gateway/fake-whaticket.js";
import { WhaticketClient } from "../../src/gateway/whaticket-client.js";
import { silentLogger } from "../../src/logger.js";
import { saveCompany, publicCompany } from "../../src/services/company-service.js";
import { ResendFailedError, resendFollowup, type ResendDeps } from "../../src/services/followup-service.js";
import { getAppointment } from "../../src/store/appointments.js";
import { getCompany } from "../../src/store/companies.js";
import type { Store } from "../../src/store/store.js";
import { migratedDb, tempDb } from "../helpers/cli.js";
import { phoneFor, seedDue, T0 } from "../helpers/daemon.js";

/**
 * The whole cycle through Evolution API and the WhatsApp Cloud API, each against its fake over
 * real HTTP on 127.0.0.1: the scheduler sends the follow-ups (Cloud: the template with two
 * quick-reply buttons), the daemon's webhook routes take the answers (Evolution: its
 * messages.upsert; Cloud: signed deliveries with button and list taps), and the bot's answers go
 * back through the same gateway (Cloud: the slot offer as an interactive list).
 */

const T = { timeout: 60_000 };
const WEBHOOK_TOKEN = "whk-GW-9a7c-SECRET-0123456789";
const EVO_KEY = "evo-KEY-3f9d-SECRET";
const CLOUD_TOKEN = "EAAG-cloud-TOKEN-SECRET";
const APP_SECRET = "app-secret-7e21-SECRET";
const VERIFY_TOKEN = "verify-tok-51b0";
const PHONE_NUMBER_ID = "106540352242922";

interface Rig {
  db: Store;
  clock: ManualClock;
  evo: FakeEvolution;
  cloud: FakeCloudApi;
  wt: FakeWhaticket;
  url: string;
  app: FastifyInstance;
  /** What a resend (CLI, API, panel) is handed: the same clients as the scheduler's. */
  resendDeps: ResendDeps;
  runOnce(): Promise<void>;
}

async function rig(t: { after(fn: () => Promise<void> | void): void }): Promise<Rig> {
  const db = await migratedDb(tempDb());
  const clock = new ManualClock(T0);
  const evo = await startFakeEvolution({ apiKeys: [EVO_KEY], instances: ["odonto"] });
  const cloud = await startFakeCloudApi({ accessTokens: [CLOUD_TOKEN], phoneNumberIds: [PHONE_NUMBER_ID], templates: [{ name: "followup_reuniao", language: "pt_BR" }] });
  const wt = await startFakeWhaticket({ token: "wt-token" });
  const at = () => clock.now();
  await saveCompany(db, { id: "odonto", name: "Odonto Sul", rateLimit: "0", gateway: "evolution", evolutionUrl: evo.url, evolutionApiKey: EVO_KEY, evolutionInstance: "odonto" }, at);
  await saveCompany(db, {
    id: "fisio", name: "Fisio Mar", rateLimit: "0", gateway: "cloud", cloudPhoneNumberId: PHONE_NUMBER_ID, cloudAccessToken: CLOUD_TOKEN,
    cloudAppSecret: APP_SECRET, cloudVerifyToken: VERIFY_TOKEN, cloudTemplate: "followup_reuniao", cloudGraphBase: cloud.url,
  }, at);
  await saveCompany(db, { id: "clinica", name: "Clínica Sol", rateLimit: "0", whaticketUrl: wt.url, whaticketToken: "wt-token" }, at);

  const gateways = { evolution: new EvolutionClient({ timeoutMs: 5_000 }), cloud: new CloudClient({ timeoutMs: 5_000 }) };
  const whaticket = new WhaticketClient({ timeoutMs: 5_000 });
  const defaults = { url: null, token: null };
  const scheduler = createScheduler({ store: db, gateway: whaticket, gateways, clock: clock.now, whaticketDefaults: defaults, rateLimit: 0 });
  const app = await buildHttpApp({
    routes: [daemonWebhookRoutes({ store: db, clock: clock.now, logger: silentLogger, env: { SECRETARIA_WEBHOOK_TOKEN: WEBHOOK_TOKEN }, gateway: whaticket, gateways, whaticketDefaults: defaults })],
    logger: silentLogger,
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  t.after(async () => {
    await app.close();
    await scheduler.stop();
    await whaticket.close();
    gateways.evolution.close();
    gateways.cloud.close();
    await Promise.all([evo.stop(), cloud.stop(), wt.stop()]);
    await db.close();
  });
  const resendDeps: ResendDeps = { store: db, gateway: whaticket, gateways, clock: clock.now, whaticketDefaults: defaults };
  return { db, clock, evo, cloud, wt, url, app, resendDeps, runOnce: async () => void (await scheduler.runOnce()) };
}

async function postJson(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

function evolutionUpsert(o: { phone: string; id: string; text?: string; fromMe?: boolean; lid?: boolean; group?: boolean; instance?: string }) {
  const key: Record<string, unknown> = o.lid
    ? { remoteJid: "129645121077325@lid", remoteJidAlt: `${o.phone}@s.whatsapp.net`, addressingMode: "lid", fromMe: !!o.fromMe, id: o.id }
    : { remoteJid: o.group ? "120363025246125486@g.us" : `${o.phone}@s.whatsapp.net`, fromMe: !!o.fromMe, id: o.id, addressingMode: "pn" };
  return {
    event: "messages.upsert", instance: o.instance ?? "odonto",
    data: { key, pushName: "Cliente", message: { conversation: o.text ?? "Sim" }, messageType: "conversation", messageTimestamp: 1795629600 },
    destination: "http://127.0.0.1/webhooks/evolution", date_time: "2026-11-25T15:00:00.000Z", sender: "5511900000000@s.whatsapp.net", server_url: "http://evo", apikey: "x",
  };
}

async function status(db: Store, id: number) {
  const row = (await getAppointment(db, id))!;
  return { status: row.followup_status, response: row.followup_response, booked: row.followup_booked_appointment_id };
}

describe("gateways: the whole cycle against each gateway's fake", () => {
  test("Evolution API: follow-up, positive by text (LID chat), slot chosen, booked; negative; feedback; fromMe/groups/duplicates", T, async (t) => {
    const r = await rig(t);
    const ids = await seedDue(r.db, { company: "odonto", n: 3, from: 0 });
    await r.runOnce();
    assert.equal(r.evo.received.length, 3, "three follow-ups through Evolution");
    for (const m of r.evo.received) {
      assert.equal(m.instance, "odonto");
      assert.equal(m.apiKey, EVO_KEY);
      assert.match(m.text, /Espero que tenha corrido tudo bem na reunião de hoje, Cliente\. 😊/);
    }
    assert.deepEqual(new Set(r.evo.received.map((m) => m.number)), new Set([phoneFor(0), phoneFor(1), phoneFor(2)]));
    assert.equal(r.cloud.received.length + r.wt.received.length, 0, "nothing through the other gateways");

    const hook = `${r.url}/webhooks/evolution?token=${WEBHOOK_TOKEN}`;
    assert.equal((await postJson(`${r.url}/webhooks/evolution?token=wrong`, evolutionUpsert({ phone: phoneFor(0), id: "E0" }))).status, 401);
    assert.deepEqual((await postJson(hook, evolutionUpsert({ phone: phoneFor(0), id: "E1", fromMe: true }))).json, { ignored: "fromMe" });
    assert.deepEqual((await postJson(hook, evolutionUpsert({ phone: phoneFor(0), id: "E2", group: true }))).json, { ignored: "group" });

    let a = await postJson(hook, evolutionUpsert({ phone: phoneFor(0), id: "E3", text: "Sim, quero marcar", lid: true }));
    assert.equal(a.status, 200);
    assert.equal(a.json.response, "positive");
    assert.equal((await postJson(hook, evolutionUpsert({ phone: phoneFor(0), id: "E3", text: "Sim, quero marcar", lid: true }))).json.duplicate, true);
    const offer = r.evo.received.at(-1)!;
    assert.equal(offer.number, phoneFor(0));
    assert.match(offer.text, /^Que ótimo! Veja abaixo algumas sugestões/);
    assert.match(offer.text, /\n1\) /);

    a = await postJson(hook, evolutionUpsert({ phone: phoneFor(0), id: "E4", text: "1" }));
    assert.equal(a.json.outcome, "booked");
    assert.match(r.evo.received.at(-1)!.text, /^Prontinho! Seu próximo encontro está marcado/);
    assert.notEqual((await status(r.db, ids[0]!)).booked, null);

    a = await postJson(hook, evolutionUpsert({ phone: phoneFor(1), id: "E5", text: "Não, obrigado" }));
    assert.equal(a.json.response, "negative");
    assert.equal(r.evo.received.at(-1)!.text, "Sem problemas! Ficamos à disposição quando quiser retomar.");
    a = await postJson(hook, evolutionUpsert({ phone: phoneFor(2), id: "E6", text: "O atendimento foi excelente, só preciso de mais materiais." }));
    assert.equal(a.json.response, "feedback");
    assert.equal(r.evo.received.at(-1)!.text, "Agradeço por compartilhar seu feedback!");
    assert.equal(r.evo.received.length, 7, "3 follow-ups + offer + confirmation + 2 answers");
  });

  test("Cloud API: template with two quick replies, FOLLOWUP_YES tap → interactive list (a redelivery applied once), SLOT_2 row → booked; FOLLOWUP_NO; text feedback; yes typed → list, \"1\" typed → booked", T, async (t) => {
    const r = await rig(t);
    const ids = await seedDue(r.db, { company: "fisio", n: 4, from: 10, clientName: (i) => (i === 10 ? "ana maria souza" : `Cliente ${i}`) });
    await r.runOnce();
    assert.equal(r.cloud.received.length, 4, "four templates through the Cloud API");
    const first = r.cloud.received.find((m) => m.to === phoneFor(10))!;
    assert.equal(first.type, "template");
    assert.equal(first.templateName, "followup_reuniao");
    assert.equal(first.templateLanguage, "pt_BR");
    assert.equal(first.token, CLOUD_TOKEN);
    const components = (first.body as { template: { components: { type: string; sub_type?: string; parameters: { text?: string; payload?: string }[] }[] } }).template.components;
    assert.deepEqual(components.find((c) => c.type === "body")!.parameters.map((p) => p.text), ["Ana", "de hoje"]);
    assert.deepEqual(components.filter((c) => c.type === "button").map((c) => [c.sub_type, c.parameters[0]!.payload]), [["quick_reply", FOLLOWUP_YES], ["quick_reply", FOLLOWUP_NO]]);

    const hook = `${r.url}/webhooks/whatsapp-cloud`;
    const tapYes = cloudInboundButton({ from: phoneFor(10), id: "wamid.Y1", payload: FOLLOWUP_YES, text: "✅ Sim, quero marcar", phoneNumberId: PHONE_NUMBER_ID });
    // Unsigned, wrongly signed, signed with another secret: 401, nothing applied.
    assert.equal((await postCloudInbound(hook, APP_SECRET, tapYes, { signature: null })).status, 401);
    assert.equal((await postCloudInbound(hook, APP_SECRET, tapYes, { signature: `sha256=${"0".repeat(64)}` })).status, 401);
    assert.equal((await postCloudInbound(hook, "another-app-secret", tapYes)).status, 401);
    assert.equal((await status(r.db, ids[0]!)).status, "sent");

    let d = await postCloudInbound(hook, APP_SECRET, tapYes);
    assert.equal(d.status, 200, d.body);
    let res = (JSON.parse(d.body) as { results: Record<string, unknown>[] }).results[0]!;
    assert.equal(res.response, "positive");
    assert.equal(res.intent, "followup_positive", "the button decided the intent");
    const list = r.cloud.received.at(-1)!;
    assert.equal(list.type, "interactive");
    const interactive = (list.body as { interactive: { type: string; action: { sections: { rows: { id: string; title: string }[] }[] } } }).interactive;
    assert.equal(interactive.type, "list");
    const rows = interactive.action.sections[0]!.rows;
    assert.ok(rows.length >= 2);
    assert.deepEqual(rows.map((x) => x.id), rows.map((_x, i) => `SLOT_${i + 1}`));
    // Meta redelivers: the same wamid is applied once, no second list.
    const sentBefore = r.cloud.received.length;
    d = await postCloudInbound(hook, APP_SECRET, tapYes);
    assert.equal((JSON.parse(d.body) as { results: Record<string, unknown>[] }).results[0]!.duplicate, true);
    assert.equal(r.cloud.received.length, sentBefore);

    d = await postCloudInbound(hook, APP_SECRET, cloudInboundInteractive({ from: phoneFor(10), id: "wamid.S2", kind: "list_reply", replyId: "SLOT_2", title: rows[1]!.title, phoneNumberId: PHONE_NUMBER_ID }));
    res = (JSON.parse(d.body) as { results: Record<string, unknown>[] }).results[0]!;
    assert.equal(res.outcome, "booked");
    const confirmation = r.cloud.received.at(-1)!;
    assert.equal(confirmation.type, "text");
    assert.match(confirmation.text ?? "", /^Prontinho!/);
    assert.ok((confirmation.text ?? "").includes(rows[1]!.title.split(" às ")[0]!), "the second slot was booked");

    d = await postCloudInbound(hook, APP_SECRET, cloudInboundButton({ from: phoneFor(11), id: "wamid.N1", payload: FOLLOWUP_NO, text: "❌ Não, obrigado", phoneNumberId: PHONE_NUMBER_ID }));
    assert.equal((JSON.parse(d.body) as { results: Record<string, unknown>[] }).results[0]!.response, "negative");
    d = await postCloudInbound(hook, APP_SECRET, cloudInboundText({ from: phoneFor(12), id: "wamid.F1", text: "O atendimento foi excelente, só preciso de mais materiais.", phoneNumberId: PHONE_NUMBER_ID }));
    assert.equal((JSON.parse(d.body) as { results: Record<string, unknown>[] }).results[0]!.response, "feedback");
    // Yes typed instead of tapped: the ContextEngine reads it, the list goes out; the slot typed as its number books.
    d = await postCloudInbound(hook, APP_SECRET, cloudInboundText({ from: phoneFor(13), id: "wamid.T1", text: "sim, pode marcar", phoneNumberId: PHONE_NUMBER_ID }));
    res = (JSON.parse(d.body) as { results: Record<string, unknown>[] }).results[0]!;
    assert.deepEqual([res.intent, res.response], ["followup_positive", "positive"]);
    assert.equal(r.cloud.received.at(-1)!.type, "interactive");
    assert.equal(r.cloud.received.at(-1)!.to, phoneFor(13));
    d = await postCloudInbound(hook, APP_SECRET, cloudInboundText({ from: phoneFor(13), id: "wamid.T2", text: "1", phoneNumberId: PHONE_NUMBER_ID }));
    assert.equal((JSON.parse(d.body) as { results: Record<string, unknown>[] }).results[0]!.outcome, "booked");
    assert.match(r.cloud.received.at(-1)!.text ?? "", /^Prontinho!/);
    const st = await Promise.all(ids.map((id) => status(r.db, id)));
    assert.deepEqual(st.map((x) => x.response), ["positive", "negative", "feedback", "positive"]);
    assert.deepEqual(st.map((x) => x.booked !== null), [true, false, false, true]);

    // A number that is not this company's (another phone_number_id): not applied.
    d = await postCloudInbound(hook, APP_SECRET, cloudInboundText({ from: phoneFor(12), id: "wamid.X1", text: "oi", phoneNumberId: "999999999" }));
    assert.match(d.body, /ignored/);
  });

  test("Cloud API: the GET verification handshake answers the challenge only for the company's verify token", T, async (t) => {
    const r = await rig(t);
    const ok = await fetch(`${r.url}/webhooks/whatsapp-cloud?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), "1158201444");
    const bad = await fetch(`${r.url}/webhooks/whatsapp-cloud?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1158201444`);
    assert.equal(bad.status, 403);
  });

  test("one process, three companies, three gateways: each follow-up goes out through its company's gateway", T, async (t) => {
    const r = await rig(t);
    await seedDue(r.db, { company: "odonto", n: 2, from: 20 });
    await seedDue(r.db, { company: "fisio", n: 2, from: 30 });
    await seedDue(r.db, { company: "clinica", n: 2, from: 40 });
    await r.runOnce();
    assert.deepEqual(r.evo.received.map((m) => m.number).sort(), [phoneFor(20), phoneFor(21)]);
    assert.deepEqual(r.cloud.received.map((m) => m.to).sort(), [phoneFor(30), phoneFor(31)]);
    assert.deepEqual(r.wt.received.map((m) => m.number).sort(), [phoneFor(40), phoneFor(41)]);
  });

  test("a refused Cloud API token pauses only that company, nothing burned; secrets never in the company's public view", T, async (t) => {
    const r = await rig(t);
    await saveCompany(r.db, { id: "fisio", name: "Fisio Mar", cloudAccessToken: "EAAG-expired" }, () => r.clock.now());
    const [id] = await seedDue(r.db, { company: "fisio", n: 1, from: 50 });
    await seedDue(r.db, { company: "odonto", n: 1, from: 51 });
    await r.runOnce();
    const fisio = (await getCompany(r.db, "fisio"))!;
    assert.ok(fisio.paused_reason, "paused");
    const row = (await getAppointment(r.db, id!))!;
    assert.equal(row.followup_status, "scheduled");
    assert.equal(row.followup_attempts, 0);
    assert.equal(r.evo.received.length, 1, "the Evolution company kept sending");
    const shown = JSON.stringify(publicCompany(fisio));
    for (const secret of ["EAAG-expired", APP_SECRET, VERIFY_TOKEN]) assert.ok(!shown.includes(secret), `${secret} not shown`);
    assert.match(shown, /"cloud_access_token_set":true/);
  });

  test("a resend goes through the company's own gateway (the Cloud API's template again, Evolution's text); a refusal names that gateway and its flag", T, async (t) => {
    const r = await rig(t);
    const [cloudId] = await seedDue(r.db, { company: "fisio", n: 1, from: 60 });
    const [evoId] = await seedDue(r.db, { company: "odonto", n: 1, from: 61 });
    await r.runOnce();
    assert.deepEqual([r.cloud.received.length, r.evo.received.length], [1, 1]);
    r.clock.advance(60 * 60_000);
    const again = { minHoursSinceSend: 0 };

    const cloudResend = await resendFollowup(r.resendDeps, cloudId!, again);
    assert.equal(cloudResend.outcome.kind, "sent");
    assert.equal(r.cloud.received.length, 2);
    assert.equal(r.cloud.received[1]!.type, "template", "outside the 24-hour window only the approved template may go");
    assert.equal(r.cloud.received[1]!.templateName, "followup_reuniao");
    await resendFollowup(r.resendDeps, evoId!, again);
    assert.equal(r.evo.received.length, 2);
    assert.match(r.evo.received[1]!.text, /Espero que tenha corrido tudo bem/);
    assert.equal(r.wt.received.length, 0, "nothing through Whaticket");

    await saveCompany(r.db, { id: "fisio", name: "Fisio Mar", cloudAccessToken: "EAAG-expired-0000" }, () => r.clock.now());
    r.clock.advance(60 * 60_000);
    await assert.rejects(resendFollowup(r.resendDeps, cloudId!, again), (err: unknown) => {
      assert.ok(err instanceof ResendFailedError, String(err));
      assert.match(err.message, /^The WhatsApp Cloud API refused company fisio's credentials or connection \(.+\): check the Cloud API access token.*--cloud-access-token TOKEN.*follow-up \d+ was not resent$/);
      assert.doesNotMatch(err.message, /Whaticket|EAAG-expired/);
      return true;
    });
    assert.equal((await getAppointment(r.db, cloudId!))!.followup_status, "sent", "the row is as it was");
  });

  test("Evolution's answers in the daemon are classified like Whaticket's: a number not on WhatsApp fails at once, a 500 is retried later, a refused key pauses only that company", T, async (t) => {
    const r = await rig(t);
    const [bad, flaky] = await seedDue(r.db, { company: "odonto", n: 2, from: 70 });
    r.evo.markNotOnWhatsApp(phoneFor(70));
    r.evo.failNumber(phoneFor(71), 500);
    await r.runOnce();
    const badRow = (await getAppointment(r.db, bad!))!;
    assert.deepEqual([badRow.followup_status, badRow.followup_attempts], ["failed", 1], "permanent: no retry");
    const flakyRow = (await getAppointment(r.db, flaky!))!;
    assert.deepEqual([flakyRow.followup_status, flakyRow.followup_attempts], ["scheduled", 1], "transient: tried again later");
    assert.ok(flakyRow.followup_next_scheduled! > r.clock.now().toISOString());

    r.evo.rejectTokens();
    const [paused] = await seedDue(r.db, { company: "odonto", n: 1, from: 72 });
    await seedDue(r.db, { company: "fisio", n: 1, from: 73 });
    await r.runOnce();
    assert.ok((await getCompany(r.db, "odonto"))!.paused_reason, "odonto paused");
    assert.equal((await getCompany(r.db, "fisio"))!.paused_reason, null, "the Cloud company is not");
    const pausedRow = (await getAppointment(r.db, paused!))!;
    assert.deepEqual([pausedRow.followup_status, pausedRow.followup_attempts], ["scheduled", 0], "nothing burned");
    assert.equal(r.cloud.received.length, 1, "the Cloud company kept sending");
  });
});
