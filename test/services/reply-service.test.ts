import { test, describe, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { FEEDBACK_REPLY, NEGATIVE_REPLY, POSITIVE_REPLY_HEADER } from "../../src/domain/messages.js";
import { silentLogger } from "../../src/logger.js";
import { createReplyService, type ReplyServiceDeps } from "../../src/services/reply-service.js";
import { getAppointment, type AppointmentRow } from "../../src/store/appointments.js";
import { openStore } from "../../src/store/open.js";
import {
  PHONE, REPLY_AT, addCompany, addSentFollowup, auditActions, recordingSender, replyFixture, tablesChecksum, type ReplyFixture,
} from "../helpers/reply-fixtures.js";

/** The reply fixture, its database closed when the test ends. */
async function fixture(t: TestContext, opts: Parameters<typeof replyFixture>[0] = {}): Promise<ReplyFixture> {
  const f = await replyFixture(opts);
  t.after(() => f.db.close());
  return f;
}

function service(f: ReplyFixture, sender = recordingSender(), extra: Partial<ReplyServiceDeps> = {}) {
  return { sender, svc: createReplyService({ store: f.db, clock: f.clock.now, logger: silentLogger, sender, ...extra }) };
}

async function row(f: ReplyFixture, id: number): Promise<AppointmentRow> {
  return (await getAppointment(f.db, id)) as AppointmentRow;
}

function inbound(f: ReplyFixture) {
  return f.db.all<{
    message_id: string | null; phone: string; body: string; appointment_id: number | null; intent: string | null; outcome: string;
  }>("SELECT message_id, phone, body, appointment_id, intent, outcome FROM inbound_messages ORDER BY id");
}

describe("matching a phone to its open follow-up", () => {
  test("no follow-up for the phone: recorded as unmatched, nothing else changes, no answer", async (t) => {
    const f = await fixture(t);
    await addSentFollowup(f, { externalId: "A-1" });
    const before = await tablesChecksum(f.db, { withInbound: false });
    const { svc, sender } = service(f);
    const r = await svc.processInbound({ phone: "5521988887777", text: "sim, quero marcar", messageId: "m-1" });
    assert.equal(r.matched, false);
    assert.equal(r.outcome, "unmatched");
    assert.equal(r.bot_reply, null);
    assert.equal(sender.sent.length, 0);
    assert.equal(await tablesChecksum(f.db, { withInbound: false }), before);
    assert.deepEqual(await inbound(f), [{ message_id: "m-1", phone: "5521988887777", body: "sim, quero marcar", appointment_id: null, intent: r.intent, outcome: "unmatched" }]);
  });

  test("a follow-up sent more than 7 days ago, one not sent yet, and one already answered do not match", async (t) => {
    const f = await fixture(t);
    await addSentFollowup(f, { externalId: "old", sentAt: new Date(REPLY_AT.getTime() - 7 * 86_400_000 - 60_000).toISOString() });
    const scheduled = await addSentFollowup(f, { externalId: "sched", phone: "5521988887777" });
    await f.db.run("UPDATE appointments SET followup_status = 'scheduled', followup_sent_at = NULL WHERE id = ?", [scheduled]);
    const answered = await addSentFollowup(f, { externalId: "answered", phone: "5531977776666" });
    await f.db.run("UPDATE appointments SET followup_status = 'negative', followup_response = 'negative' WHERE id = ?", [answered]);
    const before = await tablesChecksum(f.db, { withInbound: false });
    const { svc, sender } = service(f);
    for (const phone of [PHONE, "5521988887777", "5531977776666"]) {
      const r = await svc.processInbound({ phone, text: "sim" });
      assert.equal(r.matched, false, phone);
    }
    assert.equal(sender.sent.length, 0);
    assert.equal(await tablesChecksum(f.db, { withInbound: false }), before);
  });

  test("within 7 days it matches; the latest open follow-up to that number wins", async (t) => {
    const f = await fixture(t);
    const older = await addSentFollowup(f, { externalId: "A-1", sentAt: new Date(REPLY_AT.getTime() - 6 * 86_400_000).toISOString() });
    const newer = await addSentFollowup(f, { externalId: "A-2" });
    const { svc } = service(f);
    const r = await svc.processInbound({ phone: PHONE, text: "não, obrigado" });
    assert.equal(r.appointment_id, newer);
    assert.equal((await row(f, older)).followup_status, "sent");
    // The older one is still open: the next message goes to it.
    const r2 = await svc.processInbound({ phone: PHONE, text: "não, obrigado" });
    assert.equal(r2.appointment_id, older);
  });

  test("a reply racing its own follow-up (delivered, its outcome not yet committed) waits for the commit and matches it", async (t) => {
    const f = await fixture(t);
    const id = await addSentFollowup(f, { externalId: "A-1" });
    const sentAt = (await row(f, id)).followup_sent_at;
    // The gateway has it, the daemon's group commit has not recorded it yet: still claimed, lease live.
    await f.db.run("UPDATE appointments SET followup_status = 'sending', followup_sent_at = NULL, lease_owner = 'd', lease_expires_at = ? WHERE id = ?",
      [new Date(REPLY_AT.getTime() + 60_000).toISOString(), id]);
    const { svc } = service(f);
    const pending = svc.processInbound({ phone: PHONE, text: "não, obrigado" });
    await new Promise((r) => setTimeout(r, 150));
    // The commit lands (what markSent writes).
    await f.db.run("UPDATE appointments SET followup_status = 'sent', followup_sent_at = ?, lease_owner = NULL, lease_expires_at = NULL WHERE id = ?", [sentAt, id]);
    const r = await pending;
    assert.equal(r.appointment_id, id, "matched to the follow-up it answers, not kept as unmatched");
    assert.equal(r.response, "negative");
    assert.equal((await row(f, id)).followup_status, "negative");
  });

  test("a send that stays in flight (a crashed daemon's live lease) delays a reply a bounded moment, then it is handled as before", async (t) => {
    const f = await fixture(t);
    const id = await addSentFollowup(f, { externalId: "A-1" });
    await f.db.run("UPDATE appointments SET followup_status = 'sending', followup_sent_at = NULL, lease_owner = 'd', lease_expires_at = ? WHERE id = ?",
      [new Date(REPLY_AT.getTime() + 60_000).toISOString(), id]);
    const { svc } = service(f);
    const r = await svc.processInbound({ phone: PHONE, text: "não, obrigado" });
    assert.equal(r.outcome, "unmatched");
    assert.equal((await row(f, id)).followup_status, "sending", "the claimed row is left to its daemon");
  });

  test("the number without the Brazilian ninth digit (old JIDs) matches, and the answer goes to the stored number", async (t) => {
    const f = await fixture(t);
    const id = await addSentFollowup(f, { externalId: "A-1" });
    const { svc, sender } = service(f);
    const r = await svc.processInbound({ phone: "551199990000", text: "Não, obrigado" });
    assert.equal(r.appointment_id, id);
    assert.deepEqual(sender.sent.map((s) => s.phone), [PHONE]);
  });

  test("--company restricts matching to that company", async (t) => {
    const f = await fixture(t);
    await addCompany(f.db, "outra", REPLY_AT);
    await addSentFollowup(f, { externalId: "A-1" });
    const { svc } = service(f);
    assert.equal((await svc.processInbound({ phone: PHONE, text: "não", companyId: "outra" })).matched, false);
    assert.equal((await svc.processInbound({ phone: PHONE, text: "não", companyId: "clinica" })).matched, true);
  });
});

describe("applying the intent", () => {
  test("negative: response and status negative, NEGATIVE_REPLY sent, audits followup_response and followup_bot_reply", async (t) => {
    const f = await fixture(t);
    const id = await addSentFollowup(f, { externalId: "A-1" });
    const { svc, sender } = service(f);
    const r = await svc.processInbound({ phone: PHONE, text: "Não, obrigado", messageId: "m-1" });
    assert.equal(r.intent, "followup_negative");
    assert.equal(r.response, "negative");
    assert.equal(r.bot_reply, NEGATIVE_REPLY);
    assert.equal(r.bot_reply_delivery, "sent");
    const a = await row(f, id);
    assert.equal(a.followup_response, "negative");
    assert.equal(a.followup_status, "negative");
    assert.equal(a.followup_responded_at, REPLY_AT.toISOString());
    assert.deepEqual(sender.sent, [{ company: "clinica", phone: PHONE, body: NEGATIVE_REPLY }]);
    const audits = await auditActions(f.db, id);
    assert.deepEqual(audits.map((x) => x.action), ["followup_sent", "followup_response", "followup_bot_reply"]);
    assert.deepEqual(audits[1]!.payload, { response: "negative", feedback: null });
    assert.equal(audits[2]!.payload.outcome, "sent");
    assert.equal((await auditActions(f.db)).filter((x) => x.action === "followup_sent").length, 1, "a bot reply is never followup_sent");
    assert.equal((await inbound(f))[0]!.outcome, "negative");
    assert.equal((await inbound(f))[0]!.appointment_id, id);
  });

  test("feedback: a feedback_events row with the text, response feedback, FEEDBACK_REPLY", async (t) => {
    const f = await fixture(t);
    const id = await addSentFollowup(f, { externalId: "A-1" });
    const { svc, sender } = service(f);
    const text = "O atendimento foi excelente, só preciso de mais materiais.";
    const r = await svc.processInbound({ phone: PHONE, text });
    assert.equal(r.intent, "followup_feedback");
    assert.equal(r.response, "feedback");
    assert.equal(r.bot_reply, FEEDBACK_REPLY);
    assert.equal(sender.sent[0]!.body, FEEDBACK_REPLY);
    const events = await f.db.all("SELECT appointment_id, feedback_type, text FROM feedback_events");
    assert.deepEqual(events, [{ appointment_id: id, feedback_type: "followup_text", text }]);
    assert.equal((await row(f, id)).followup_status, "feedback");
    const resp = (await auditActions(f.db, id)).find((x) => x.action === "followup_response")!;
    assert.deepEqual(resp.payload, { response: "feedback", feedback: text });
  });

  test("positive: response positive, 3 free slots offered in business hours and stored, numbered pt-BR list", async (t) => {
    const f = await fixture(t);
    const id = await addSentFollowup(f, { externalId: "A-1" });
    const { svc, sender } = service(f);
    const r = await svc.processInbound({ phone: PHONE, text: "Sim, quero marcar" });
    assert.equal(r.intent, "followup_positive");
    assert.equal(r.response, "positive");
    // Replied Monday 16:30 local: nothing fits today before 18:00 with an hour's lead; Tuesday from 09:00.
    assert.equal(
      r.bot_reply,
      `${POSITIVE_REPLY_HEADER}\n1) terça, 01/12 às 09:00\n2) terça, 01/12 às 10:00\n3) terça, 01/12 às 11:00\n\nResponda com o número do horário escolhido.`,
    );
    assert.equal(sender.sent[0]!.body, r.bot_reply);
    const a = await row(f, id);
    assert.equal(a.followup_status, "positive");
    assert.equal(a.followup_response, "positive");
    assert.deepEqual(JSON.parse(a.followup_offered_slots!), ["2026-12-01T12:00:00.000Z", "2026-12-01T13:00:00.000Z", "2026-12-01T14:00:00.000Z"]);
    assert.deepEqual((await auditActions(f.db, id)).find((x) => x.action === "followup_response")!.payload, { response: "positive", feedback: null });
  });

  test("after an answer the follow-up is closed: the next message is unmatched", async (t) => {
    const f = await fixture(t);
    await addSentFollowup(f, { externalId: "A-1" });
    const { svc, sender } = service(f);
    await svc.processInbound({ phone: PHONE, text: "não, obrigado" });
    const before = await tablesChecksum(f.db, { withInbound: false });
    const r = await svc.processInbound({ phone: PHONE, text: "obrigado!" });
    assert.equal(r.matched, false);
    assert.equal(sender.sent.length, 1);
    assert.equal(await tablesChecksum(f.db, { withInbound: false }), before);
  });
});

describe("sending the bot's answer", () => {
  test("a failed send is logged and audited; the recorded response stands", async (t) => {
    const f = await fixture(t);
    const id = await addSentFollowup(f, { externalId: "A-1" });
    const lines: string[] = [];
    const { createLogger } = await import("../../src/logger.js");
    const logger = createLogger({ write: (l) => lines.push(l) });
    const sender = recordingSender(() => ({ kind: "transient", status: 503, error: "HTTP 503 ERR_INTERNAL", durationMs: 3 }));
    const svc = createReplyService({ store: f.db, clock: f.clock.now, logger, sender });
    const r = await svc.processInbound({ phone: PHONE, text: "não, obrigado" });
    assert.equal(r.bot_reply_delivery, "failed");
    assert.equal(r.bot_reply_error, "HTTP 503 ERR_INTERNAL");
    assert.equal((await row(f, id)).followup_response, "negative");
    const bot = (await auditActions(f.db, id)).find((x) => x.action === "followup_bot_reply")!;
    assert.equal(bot.payload.outcome, "transient");
    assert.equal(bot.payload.error, "HTTP 503 ERR_INTERNAL");
    const warn = lines.find((l) => l.includes("bot_reply_failed"));
    assert.ok(warn, lines.join("\n"));
    assert.ok(!warn.includes(PHONE), "phones are masked in logs");
  });

  test("a sender that throws counts as a failed send, not an error of the message", async (t) => {
    const f = await fixture(t);
    const id = await addSentFollowup(f, { externalId: "A-1" });
    const { svc } = service(f, recordingSender(() => new Error("socket hang up")));
    const r = await svc.processInbound({ phone: PHONE, text: "não, obrigado" });
    assert.equal(r.bot_reply_delivery, "failed");
    assert.match(r.bot_reply_error!, /socket hang up/);
    assert.equal((await row(f, id)).followup_status, "negative");
  });
});

describe("idempotence and dry run", () => {
  test("a repeated message id is applied once: the second delivery is a duplicate and changes nothing", async (t) => {
    const f = await fixture(t);
    const id = await addSentFollowup(f, { externalId: "A-1" });
    const { svc, sender } = service(f);
    const first = await svc.processInbound({ phone: PHONE, text: "sim", messageId: "3EB0ABC" });
    assert.equal(first.duplicate, false);
    const before = await tablesChecksum(f.db);
    const again = await svc.processInbound({ phone: PHONE, text: "sim", messageId: "3EB0ABC" });
    assert.equal(again.duplicate, true);
    assert.equal(again.outcome, "duplicate");
    assert.deepEqual(again.changes, []);
    assert.equal(await tablesChecksum(f.db), before);
    assert.equal(sender.sent.length, 1);
    assert.equal((await auditActions(f.db, id)).filter((x) => x.action === "followup_response").length, 1);
  });

  test("two concurrent deliveries of the same id, from two connections in two threads: one applied", async (t) => {
    const f = await fixture(t);
    const id = await addSentFollowup(f, { externalId: "A-1" });
    const workerUrl = new URL("../helpers/reply-worker.ts", import.meta.url).href;
    // Workers do not inherit tsx from --import on Node 20: register it before loading the TypeScript worker.
    const bootstrap = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((m) => { m.register(); return import(${JSON.stringify(workerUrl)}); })`;
    const run = () =>
      new Promise<{ duplicates: number; applied: number }>((resolve, reject) => {
        const w = new Worker(bootstrap, { eval: true, workerData: { dbPath: f.dbPath, now: REPLY_AT.toISOString(), phone: PHONE, text: "não, obrigado", ids: ["dup-1", "dup-2", "dup-3"] } });
        w.once("message", resolve);
        w.once("error", reject);
      });
    const [a, b] = await Promise.all([run(), run()]);
    assert.equal(a.applied + b.applied, 3, JSON.stringify({ a, b }));
    assert.equal(a.duplicates + b.duplicates, 3);
    const check = await openStore(f.dbPath);
    try {
      const rows = (await check.get<{ n: number }>("SELECT count(*) AS n FROM inbound_messages WHERE message_id LIKE 'dup-%'"))!;
      assert.equal(rows.n, 3);
      const responses = (await check.get<{ n: number }>("SELECT count(*) AS n FROM audit_log WHERE action = 'followup_response' AND appointment_id = ?", [id]))!;
      assert.equal(responses.n, 1, "only the first message found the follow-up open");
    } finally {
      await check.close();
    }
  });

  test("dry run: the whole effect is computed, nothing is written and nothing is sent", async (t) => {
    const f = await fixture(t);
    const id = await addSentFollowup(f, { externalId: "A-1" });
    const before = await tablesChecksum(f.db);
    const { svc, sender } = service(f);
    const r = await svc.processInbound({ phone: PHONE, text: "Sim, quero marcar", messageId: "dry-1" }, { dryRun: true });
    assert.equal(r.matched, true);
    assert.equal(r.appointment_id, id);
    assert.equal(r.response, "positive");
    assert.ok(r.bot_reply?.startsWith(POSITIVE_REPLY_HEADER));
    assert.equal(r.bot_reply_delivery, "dry_run");
    assert.ok(r.changes.some((c) => c.table === "appointments" && c.column === "followup_status" && c.from === "sent" && c.to === "positive"));
    assert.equal(sender.sent.length, 0);
    assert.equal(await tablesChecksum(f.db), before);
    // The same id can still be applied for real afterwards.
    const real = await svc.processInbound({ phone: PHONE, text: "Sim, quero marcar", messageId: "dry-1" });
    assert.equal(real.duplicate, false);
    assert.equal((await row(f, id)).followup_status, "positive");
  });
});
