/**
 * Consent that sticks (issue 14): an opt-out reply through the real webhook (HTTP on 127.0.0.1)
 * puts the phone on the company's do-not-contact list, skips its scheduled follow-ups, answers
 * once, and nothing later (import with consent, the daemon's claim and sweep, resend) contacts it
 * again until the client writes VOLTAR or the operator opts it back in. Both engines.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { buildHttpApp } from "../../src/daemon/http-server.js";
import { DaemonMetrics, METRIC } from "../../src/daemon/metrics.js";
import { webhookRoutes, WEBHOOK_PATH } from "../../src/daemon/webhook-routes.js";
import { OPT_IN_CONFIRMATION, OPT_OUT_CONFIRMATION } from "../../src/domain/messages.js";
import type { WhaticketGateway } from "../../src/gateway/whaticket.js";
import { silentLogger } from "../../src/logger.js";
import { operatorOptIn, operatorOptOut, contactEntries } from "../../src/services/consent-service.js";
import { ResendRefusedError, resendFollowup } from "../../src/services/followup-service.js";
import { importAppointments } from "../../src/services/import-service.js";
import { createReplyService } from "../../src/services/reply-service.js";
import { appointmentWriter, findByExternalId, getAppointment } from "../../src/store/appointments.js";
import { claimDue, sweepUnsendable } from "../../src/store/followups.js";
import { parseExposition } from "../helpers/exposition.js";
import {
  COMPANY, PHONE, REPLY_AT, addAppointment, addCompany, addSentFollowup, auditActions, recordingSender, replyFixture, type ReplyFixture,
} from "../helpers/reply-fixtures.js";

const TOKEN = "whk-consent-5b7e-0123456789ab";
const T = { timeout: 60_000 };
/** Wednesday 2026-12-02 14:00-15:00 in São Paulo: a later appointment, its follow-up scheduled. */
const LATER = { start: "2026-12-02T17:00:00.000Z", end: "2026-12-02T18:00:00.000Z" };
/** Thursday, same hours: another appointment (the same phone at LATER's start would be LATER's appointment). */
const NEXT = { start: "2026-12-03T17:00:00.000Z", end: "2026-12-03T18:00:00.000Z" };

async function serve(f: ReplyFixture) {
  const sender = recordingSender();
  const service = createReplyService({ store: f.db, clock: f.clock.now, logger: silentLogger, sender });
  const app = await buildHttpApp({ routes: [webhookRoutes({ service, token: TOKEN, logger: silentLogger })], logger: silentLogger });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}${WEBHOOK_PATH}?token=${TOKEN}`;
  return {
    sender,
    async post(body: string, messageId: string, phone = PHONE) {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ number: phone, body, messageId }) });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    },
    close: () => app.close(),
  };
}

async function dnc(f: ReplyFixture) {
  return f.db.all<{ company_id: string; phone: string; reason: string; message: string | null; message_id: string | null }>(
    "SELECT company_id, phone, reason, message, message_id FROM do_not_contact ORDER BY company_id",
  );
}

async function importOne(f: ReplyFixture, externalId: string, end = LATER.end, start = LATER.start) {
  return importAppointments(
    f.db,
    {
      records: [{ line: 2, raw: { company_id: COMPANY, external_id: externalId, client_name: "Ana Souza", client_phone: "+55 11 99999-0000", start_time: start, end_time: end, allow_followup: "true" } }],
      errors: [],
    },
    { file: "agenda.jsonl", format: "jsonl", skipInvalid: false, clock: f.clock.now },
  );
}

describe("opt-out through the webhook", () => {
  test("PARAR: on the list, scheduled follow-ups skipped, answer recorded negative, one confirmation, audited with the message id", T, async () => {
    const f = await replyFixture();
    await addCompany(f.db, "estudio", REPLY_AT);
    const open = await addSentFollowup(f, { externalId: "A1" });
    const later = await addAppointment(f, { externalId: "A2", ...LATER }, REPLY_AT);
    const elsewhere = await addAppointment(f, { externalId: "E1", companyId: "estudio", ...LATER }, REPLY_AT);
    assert.equal((await getAppointment(f.db, later))!.followup_status, "scheduled");
    const web = await serve(f);
    try {
      const r = await web.post("PARAR", "M-OPT-1");
      assert.equal(r.status, 200);
      assert.equal(r.json.outcome, "opted_out");
      assert.equal(r.json.response, "negative");
      assert.equal(r.json.bot_reply_delivery, "sent");
      assert.deepEqual(web.sender.sent, [{ company: COMPANY, phone: PHONE, body: OPT_OUT_CONFIRMATION }]);

      const a1 = (await getAppointment(f.db, open))!;
      assert.equal(a1.followup_status, "negative");
      assert.equal(a1.followup_response, "negative");
      const a2 = (await getAppointment(f.db, later))!;
      assert.equal(a2.followup_status, "skipped");
      assert.equal(a2.followup_skip_reason, "opted_out");
      assert.equal(a2.followup_next_scheduled, null);
      // The matched follow-up's company only.
      assert.equal((await getAppointment(f.db, elsewhere))!.followup_status, "scheduled");
      assert.deepEqual(await dnc(f), [{ company_id: COMPANY, phone: PHONE, reason: "client_request", message: "PARAR", message_id: "M-OPT-1" }]);

      const audit = await auditActions(f.db);
      const revoked = audit.filter((a) => a.action === "consent_revoked");
      assert.equal(revoked.length, 1);
      assert.equal(revoked[0]!.payload.message_id, "M-OPT-1");
      assert.equal(JSON.stringify(revoked[0]!.payload).includes(PHONE), false, "no phone in the audit payload");
      assert.deepEqual(audit.filter((a) => a.action === "followup_response").map((a) => [a.appointment_id, a.payload.response]), [[open, "negative"]]);
      assert.deepEqual(audit.filter((a) => a.action === "followup_skipped").map((a) => [a.appointment_id, a.payload.reason]), [[later, "opted_out"]]);
      const inbound = await f.db.get<{ outcome: string }>("SELECT outcome FROM inbound_messages WHERE message_id = 'M-OPT-1'");
      assert.equal(inbound!.outcome, "opted_out");

      // A redelivery of the same message: nothing again.
      const again = await web.post("PARAR", "M-OPT-1");
      assert.equal(again.json.duplicate, true);
      assert.equal(web.sender.sent.length, 1);

      // A later message, no follow-up open: every company holding the phone; estudio is new, clinica already there.
      const second = await web.post("pare de me mandar mensagem", "M-OPT-2");
      assert.equal(second.json.outcome, "opted_out");
      assert.equal(second.json.matched, false);
      assert.deepEqual(web.sender.sent.slice(1), [{ company: "estudio", phone: PHONE, body: OPT_OUT_CONFIRMATION }]);
      assert.equal((await getAppointment(f.db, elsewhere))!.followup_skip_reason, "opted_out");
      assert.deepEqual((await dnc(f)).map((r) => r.company_id), [COMPANY, "estudio"]);

      // Once on every list: a third request is stored but not answered.
      const third = await web.post("STOP", "M-OPT-3");
      assert.equal(third.json.outcome, "opted_out");
      assert.equal(third.json.bot_reply_delivery, null);
      assert.equal(web.sender.sent.length, 2);
      assert.equal((await auditActions(f.db)).filter((a) => a.action === "consent_revoked").length, 2);

      // The metric counts opt-outs per company, from durable state.
      const metrics = new DaemonMetrics({ store: f.db, defaultMetrics: false, stateCacheMs: 0 });
      const samples = parseExposition(await metrics.metrics()).samples.filter((s) => s.name === METRIC.optOuts);
      assert.deepEqual(Object.fromEntries(samples.map((s) => [s.labels.company, s.value])), { [COMPANY]: 1, estudio: 1 });
    } finally {
      await web.close();
      await f.db.close();
    }
  });

  test("after opting out: an import with consent is skipped as opted_out (counted), the claim and sweep never take it, resend refuses", T, async () => {
    const f = await replyFixture();
    const sentOne = await addSentFollowup(f, { externalId: "S1" });
    await addSentFollowup(f, { externalId: "S2", sentAt: "2026-11-30T18:00:00.000Z" });
    const web = await serve(f);
    try {
      assert.equal((await web.post("Não quero mais receber mensagens", "M-1")).json.outcome, "opted_out");
    } finally {
      await web.close();
    }
    try {
      const summary = await importOne(f, "NEW-1");
      assert.equal(summary.inserted, 1);
      assert.equal(summary.followups.opted_out, 1);
      assert.equal(summary.followups.scheduled, 0);
      const row = (await findByExternalId(f.db, COMPANY, "NEW-1"))!;
      assert.deepEqual([row.allow_followup, row.followup_status, row.followup_skip_reason], [1, "skipped", "opted_out"]);
      // A changed time re-plans it: still opted out.
      const edited = await importOne(f, "NEW-1", "2026-12-02T18:30:00.000Z");
      assert.equal(edited.updated, 1);
      assert.equal((await findByExternalId(f.db, COMPANY, "NEW-1"))!.followup_skip_reason, "opted_out");

      // A row left scheduled behind the service's back (an older process, a manual UPDATE): the claim refuses it, the sweep skips it.
      const due = new Date(REPLY_AT.getTime() - 60_000);
      const sneaky = await appointmentWriter.insert(
        f.db,
        { company_id: COMPANY, external_id: "RAW", client_name: "Ana Souza", client_phone: PHONE, start_time: "2026-11-30T16:00:00.000Z", end_time: "2026-11-30T17:00:00.000Z", status: "booked", allow_followup: true },
        { followup_status: "scheduled", followup_skip_reason: null, followup_next_scheduled: due, followup_due_at: due },
        REPLY_AT.toISOString(),
      );
      const now = REPLY_AT.toISOString();
      const claimed = await claimDue(f.db, { companyId: COMPANY, owner: "test", now, leaseUntil: new Date(REPLY_AT.getTime() + 60_000).toISOString(), expiryCutoff: new Date(REPLY_AT.getTime() - 12 * 3600_000).toISOString(), limit: 10 });
      assert.deepEqual(claimed, []);
      const swept = await sweepUnsendable(f.db, { now, expiryCutoff: new Date(REPLY_AT.getTime() - 12 * 3600_000).toISOString() }, async () => {});
      assert.deepEqual(swept.map((r) => [Number(r.id), r.followup_skip_reason]), [[sneaky, "opted_out"]]);

      // Resend (CLI and API share resendFollowup): refused with the reason, nothing sent.
      const gateway = { send: () => assert.fail("nothing may be sent") } as unknown as WhaticketGateway;
      const other = (await findByExternalId(f.db, COMPANY, "S1"))!.id === sentOne ? (await findByExternalId(f.db, COMPANY, "S2"))!.id : sentOne;
      const deps = { store: f.db, gateway, clock: f.clock.now, whaticketDefaults: { url: null, token: null } };
      for (const force of [false, true]) {
        await assert.rejects(resendFollowup(deps, other, { force }), (err: unknown) => {
          assert.ok(err instanceof ResendRefusedError);
          assert.match(err.message, /opted out.*do-not-contact/);
          return true;
        });
      }
    } finally {
      await f.db.close();
    }
  });

  test("cancelar is about the appointment, not an opt-out", T, async () => {
    const f = await replyFixture();
    await addSentFollowup(f, { externalId: "C1" });
    const web = await serve(f);
    try {
      const r = await web.post("cancelar", "M-C");
      assert.notEqual(r.json.outcome, "opted_out");
      assert.deepEqual(await dnc(f), []);
    } finally {
      await web.close();
      await f.db.close();
    }
  });
});

describe("opting back in", () => {
  test("VOLTAR: off every list, audited consent_granted, one confirmation; later follow-ups schedule, skipped ones stay skipped", T, async () => {
    const f = await replyFixture();
    await addCompany(f.db, "estudio", REPLY_AT);
    await addSentFollowup(f, { externalId: "V1" });
    const later = await addAppointment(f, { externalId: "V2", ...LATER }, REPLY_AT);
    await addAppointment(f, { externalId: "E1", companyId: "estudio", ...LATER }, REPLY_AT);
    const web = await serve(f);
    try {
      await web.post("PARAR", "M-1");
      await web.post("sair", "M-2");
      assert.equal((await dnc(f)).length, 2);
      const r = await web.post("VOLTAR", "M-3");
      assert.equal(r.json.outcome, "opted_in");
      assert.equal(r.json.bot_reply_delivery, "sent");
      assert.deepEqual(web.sender.sent.at(-1), { company: COMPANY, phone: PHONE, body: OPT_IN_CONFIRMATION });
      assert.equal(web.sender.sent.length, 3);
      assert.deepEqual(await dnc(f), []);
      assert.equal((await auditActions(f.db)).filter((a) => a.action === "consent_granted").length, 2);
      assert.equal((await getAppointment(f.db, later))!.followup_skip_reason, "opted_out", "already skipped stays skipped");
      const summary = await importOne(f, "V3", NEXT.end, NEXT.start);
      assert.equal(summary.followups.scheduled, 1);
      assert.equal((await findByExternalId(f.db, COMPANY, "V3"))!.followup_status, "scheduled");
      // VOLTAR from a phone on no list is an ordinary message.
      const plain = await web.post("VOLTAR", "M-4");
      assert.notEqual(plain.json.outcome, "opted_in");
    } finally {
      await web.close();
      await f.db.close();
    }
  });

  test("the operator: optout skips and audits, optin restores scheduling; unknown company is a user error", T, async () => {
    const f = await replyFixture();
    const later = await addAppointment(f, { externalId: "O1", ...LATER }, REPLY_AT);
    try {
      const out = await f.db.tx((t) => operatorOptOut(t, { companyId: COMPANY, phone: PHONE, note: "pediu por telefone", now: REPLY_AT }));
      assert.equal(out.added, true);
      assert.deepEqual(out.skipped, [later]);
      assert.equal(out.entry.reason, "operator");
      const again = await f.db.tx((t) => operatorOptOut(t, { companyId: COMPANY, phone: PHONE, now: REPLY_AT }));
      assert.equal(again.added, false);
      assert.equal((await contactEntries(f.db, { companyId: COMPANY })).length, 1);
      const removed = await f.db.tx((t) => operatorOptIn(t, { companyId: COMPANY, phone: PHONE, now: REPLY_AT }));
      assert.equal(removed.length, 1);
      const actions = (await auditActions(f.db)).map((a) => a.action).filter((a) => a.startsWith("consent_"));
      assert.deepEqual(actions, ["consent_revoked", "consent_granted"]);
      assert.equal((await importOne(f, "O2", NEXT.end, NEXT.start)).followups.scheduled, 1);
      await assert.rejects(operatorOptOut(f.db, { companyId: "nope", phone: PHONE, now: REPLY_AT }), /company "nope" does not exist/);

      // Consent flipped by a re-import: audited consent_changed, both ways.
      const raw = (allow: string) => ({ company_id: COMPANY, external_id: "O2", client_name: "Ana Souza", client_phone: PHONE, start_time: NEXT.start, end_time: NEXT.end, allow_followup: allow });
      for (const allow of ["false", "true"]) {
        await importAppointments(f.db, { records: [{ line: 2, raw: raw(allow) }], errors: [] }, { file: "a.jsonl", format: "jsonl", skipInvalid: false, clock: f.clock.now });
      }
      const changed = (await auditActions(f.db)).filter((a) => a.action === "consent_changed").map((a) => a.payload);
      assert.deepEqual(changed, [{ from: true, to: false }, { from: false, to: true }]);
    } finally {
      await f.db.close();
    }
  });
});

describe("retention of inbound texts", () => {
  test("texts past 180 days (matched) and 30 days (unmatched) are blanked; newer ones and the rows stay; 0 keeps forever", T, async () => {
    const { purgeExpiredInbound, inboundRetentionFromEnv } = await import("../../src/services/retention-service.js");
    const f = await replyFixture();
    const service = createReplyService({ store: f.db, clock: f.clock.now, logger: silentLogger, sender: recordingSender() });
    try {
      await addSentFollowup(f, { externalId: "R1" });
      await service.processInbound({ phone: PHONE, text: "adorei o atendimento", messageId: "R-matched" });
      await service.processInbound({ phone: "5511933332222", text: "quem é?", messageId: "R-unmatched" });
      const day = 86_400_000;
      const rows = async () => f.db.all<{ message_id: string; body: string; phone: string }>("SELECT message_id, body, phone FROM inbound_messages ORDER BY id");
      assert.deepEqual(inboundRetentionFromEnv({}), { days: 180, unmatchedDays: 30 });
      assert.throws(() => inboundRetentionFromEnv({ SECRETARIA_INBOUND_RETENTION_DAYS: "seis meses" }), /SECRETARIA_INBOUND_RETENTION_DAYS must be a whole number/);

      // 31 days later: only the unmatched one is past its time.
      assert.deepEqual(await purgeExpiredInbound(f.db, new Date(REPLY_AT.getTime() + 31 * day), { days: 180, unmatchedDays: 30 }), { matched: 0, unmatched: 1 });
      assert.deepEqual(await rows(), [{ message_id: "R-matched", body: "adorei o atendimento", phone: PHONE }, { message_id: "R-unmatched", body: "", phone: "" }]);
      assert.deepEqual(await f.db.all("SELECT text FROM feedback_events"), [{ text: "adorei o atendimento" }], "a matched text's copies stay with it");
      // Keep forever (0): nothing.
      assert.deepEqual(await purgeExpiredInbound(f.db, new Date(REPLY_AT.getTime() + 400 * day), { days: 0, unmatchedDays: 0 }), { matched: 0, unmatched: 0 });
      // 181 days later: the matched one too; the row and its message id stay (de-duplication).
      assert.deepEqual(await purgeExpiredInbound(f.db, new Date(REPLY_AT.getTime() + 181 * day), { days: 180, unmatchedDays: 30 }), { matched: 1, unmatched: 0 });
      assert.deepEqual((await rows()).map((r) => [r.message_id, r.body]), [["R-matched", ""], ["R-unmatched", ""]]);
      // Its copies go with it: the feedback kept for the operator and the audit row of the answer.
      assert.deepEqual(await f.db.all("SELECT text FROM feedback_events"), [{ text: "" }]);
      const answer = await f.db.get<{ payload: string }>("SELECT payload FROM audit_log WHERE action = 'followup_response'");
      assert.deepEqual(JSON.parse(answer!.payload), { response: "feedback", feedback: null });
      assert.equal((await f.db.get<{ response: string }>("SELECT followup_response AS response FROM appointments"))!.response, "feedback");
    } finally {
      await f.db.close();
    }
  });
});
