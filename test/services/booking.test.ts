import { test, describe, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { NEGATIVE_REPLY, NO_FREE_SLOTS_REPLY } from "../../src/domain/messages.js";
import { silentLogger } from "../../src/logger.js";
import { bookedExternalId, searchSlots } from "../../src/services/booking-service.js";
import { createReplyService } from "../../src/services/reply-service.js";
import { findByExternalId, getAppointment, type AppointmentRow } from "../../src/store/appointments.js";
import {
  PHONE, REPLY_AT, addAppointment, addSentFollowup, auditActions, recordingSender, replyFixture, tablesChecksum, type ReplyFixture,
} from "../helpers/reply-fixtures.js";

const MIN = 60_000;

/** The reply fixture, its database closed when the test ends. */
async function fixture(t: TestContext, opts: Parameters<typeof replyFixture>[0] = {}): Promise<ReplyFixture> {
  const f = await replyFixture(opts);
  t.after(() => f.db.close());
  return f;
}

async function setup(t: TestContext, opts: Parameters<typeof replyFixture>[0] = {}) {
  const f = await fixture(t, opts);
  const sender = recordingSender();
  const svc = createReplyService({ store: f.db, clock: f.clock.now, logger: silentLogger, sender });
  return { f, sender, svc };
}

async function row(f: ReplyFixture, id: number): Promise<AppointmentRow> {
  return (await getAppointment(f.db, id)) as AppointmentRow;
}

async function offered(f: ReplyFixture, id: number): Promise<string[]> {
  const raw = (await row(f, id)).followup_offered_slots;
  return raw ? (JSON.parse(raw) as string[]) : [];
}

describe("agenda.book: offering slots", () => {
  test("slots avoid the company's booked appointments, last as long as the appointment that ended, stay in business hours", async (t) => {
    const f = await fixture(t);
    // A 90-minute appointment; Tuesday 09:00-10:00 and 12:00-13:00 local are taken by other clients.
    const id = await addSentFollowup(f, { externalId: "A-1", start: "2026-11-30T16:30:00.000Z", end: "2026-11-30T18:00:00.000Z" });
    await addAppointment(f, { externalId: "B-1", phone: "5521988887777", start: "2026-12-01T12:00:00.000Z", end: "2026-12-01T13:00:00.000Z" }, REPLY_AT);
    await addAppointment(f, { externalId: "B-2", phone: "5521988887777", start: "2026-12-01T15:00:00.000Z", end: "2026-12-01T16:00:00.000Z" }, REPLY_AT);
    // A cancelled one does not block anything.
    await addAppointment(f, { externalId: "B-3", phone: "5521988887777", start: "2026-12-01T13:00:00.000Z", end: "2026-12-01T14:00:00.000Z", status: "cancelled" }, REPLY_AT);
    const slots = (await searchSlots(f.db, f.company, await row(f, id), REPLY_AT)).map((d) => d.toISOString());
    // Local: 10:00-11:30, 13:00-14:30 (12:00 would overlap 12:00-13:00), 14:30-16:00.
    assert.deepEqual(slots, ["2026-12-01T13:00:00.000Z", "2026-12-01T16:00:00.000Z", "2026-12-01T17:30:00.000Z"]);
  });

  test("no free slot in three weeks: the team-will-contact answer, and the follow-up is closed as positive", async (t) => {
    const { f, svc, sender } = await setup(t, { businessHours: "sun 09:00-09:30" });
    const id = await addSentFollowup(f, { externalId: "A-1" });
    const r = await svc.processInbound({ phone: PHONE, text: "sim, quero marcar" });
    assert.equal(r.response, "positive");
    assert.equal(r.bot_reply, NO_FREE_SLOTS_REPLY);
    assert.equal(sender.sent[0]!.body, NO_FREE_SLOTS_REPLY);
    assert.equal((await row(f, id)).followup_offered_slots, null);
    assert.equal((await svc.processInbound({ phone: PHONE, text: "1" })).matched, false, "nothing awaits a choice");
  });
});

describe("agenda.book: the client's choice", () => {
  test('"2" books the second slot: a new appointment with consent carried over and its own follow-up scheduled', async (t) => {
    const { f, svc, sender } = await setup(t);
    const id = await addSentFollowup(f, { externalId: "A-1" });
    await svc.processInbound({ phone: PHONE, text: "Sim, quero marcar" });
    f.clock.advance(10 * MIN);
    const r = await svc.processInbound({ phone: PHONE, text: "2", messageId: "choice-1" });
    assert.equal(r.outcome, "booked");
    assert.equal(r.intent, null, "a slot choice is not run through the classifier");
    assert.equal(r.response, null);
    const booked = (await findByExternalId(f.db, "clinica", bookedExternalId(id)))!;
    assert.equal(r.booked_appointment_id, booked.id);
    // Option 2 was Tuesday 10:00-11:00 local.
    assert.equal(booked.start_time, "2026-12-01T13:00:00.000Z");
    assert.equal(booked.end_time, "2026-12-01T14:00:00.000Z");
    assert.equal(booked.client_phone, PHONE);
    assert.equal(booked.client_name, "Ana Souza");
    assert.equal(booked.status, "booked");
    assert.equal(booked.allow_followup, 1);
    assert.equal(booked.followup_status, "scheduled");
    assert.equal(booked.followup_next_scheduled, "2026-12-01T15:00:00.000Z", "end + 60 min");
    assert.equal(r.bot_reply, "Prontinho! Seu próximo encontro está marcado para terça, 01/12 às 10:00. Até lá! 😊");
    assert.equal(sender.sent.at(-1)!.body, r.bot_reply);
    const original = await row(f, id);
    assert.equal(original.followup_booked_appointment_id, booked.id);
    assert.equal(original.followup_offered_slots, null);
    assert.equal(original.followup_response, "positive");
    const audits = (await auditActions(f.db, id)).map((a) => a.action);
    assert.deepEqual(audits, ["followup_sent", "followup_response", "followup_bot_reply", "agenda_booked", "followup_bot_reply"]);
    const bookedAudit = (await auditActions(f.db, id)).find((a) => a.action === "agenda_booked")!;
    assert.equal(bookedAudit.payload.booked_appointment_id, booked.id);
    assert.equal(bookedAudit.payload.start_time, "2026-12-01T13:00:00.000Z");
    assert.deepEqual((await auditActions(f.db, booked.id)).map((a) => a.action), ["appointment_created"]);
    // The choice is made: the follow-up is closed.
    assert.equal((await svc.processInbound({ phone: PHONE, text: "1" })).matched, false);
  });

  test("without consent on the original, the booked appointment gets no follow-up", async (t) => {
    const { f, svc } = await setup(t);
    const id = await addSentFollowup(f, { externalId: "A-1" });
    // Consent withdrawn after the follow-up went out.
    await f.db.run("UPDATE appointments SET allow_followup = 0 WHERE id = ?", [id]);
    await svc.processInbound({ phone: PHONE, text: "sim" });
    await svc.processInbound({ phone: PHONE, text: "1" });
    const booked = (await findByExternalId(f.db, "clinica", bookedExternalId(id)))!;
    assert.equal(booked.allow_followup, 0);
    assert.equal(booked.followup_status, "skipped");
    assert.equal(booked.followup_skip_reason, "no_consent");
  });

  for (const [text, expected] of [
    ["a primeira", "2026-12-01T12:00:00.000Z"],
    ["pode ser a última", "2026-12-01T14:00:00.000Z"],
    ["às 10h", "2026-12-01T13:00:00.000Z"],
    ["terça 11:00", "2026-12-01T14:00:00.000Z"],
    ["3️⃣", "2026-12-01T14:00:00.000Z"],
  ] as const) {
    test(`"${text}" picks ${expected}`, async (t) => {
      const { f, svc } = await setup(t);
      const id = await addSentFollowup(f, { externalId: "A-1" });
      await svc.processInbound({ phone: PHONE, text: "quero sim" });
      const r = await svc.processInbound({ phone: PHONE, text });
      assert.equal(r.outcome, "booked", JSON.stringify(r));
      assert.equal((await findByExternalId(f.db, "clinica", bookedExternalId(id)))!.start_time, expected);
    });
  }

  test("a slot taken meanwhile: fresh suggestions without it, then the new choice books", async (t) => {
    const { f, svc, sender } = await setup(t);
    const id = await addSentFollowup(f, { externalId: "A-1" });
    await svc.processInbound({ phone: PHONE, text: "sim" });
    // Someone else takes Tuesday 09:00 (option 1) from the front desk.
    await addAppointment(f, { externalId: "B-1", phone: "5521988887777", start: "2026-12-01T12:00:00.000Z", end: "2026-12-01T13:00:00.000Z" }, REPLY_AT);
    const r = await svc.processInbound({ phone: PHONE, text: "1" });
    assert.equal(r.outcome, "slot_taken");
    assert.match(r.bot_reply!, /^Poxa, esse horário acabou de ser preenchido/);
    assert.match(r.bot_reply!, /1\) terça, 01\/12 às 10:00\n2\) terça, 01\/12 às 11:00\n3\) terça, 01\/12 às 12:00/);
    assert.equal(sender.sent.at(-1)!.body, r.bot_reply);
    assert.deepEqual(await offered(f, id), ["2026-12-01T13:00:00.000Z", "2026-12-01T14:00:00.000Z", "2026-12-01T15:00:00.000Z"]);
    assert.equal(await findByExternalId(f.db, "clinica", bookedExternalId(id)), undefined);
    const again = await svc.processInbound({ phone: PHONE, text: "1" });
    assert.equal(again.outcome, "booked");
    assert.equal((await findByExternalId(f.db, "clinica", bookedExternalId(id)))!.start_time, "2026-12-01T13:00:00.000Z");
  });

  test("a slot that has passed by the time the client chooses is not booked: fresh suggestions", async (t) => {
    const { f, svc } = await setup(t);
    const id = await addSentFollowup(f, { externalId: "A-1" });
    await svc.processInbound({ phone: PHONE, text: "sim" });
    f.clock.set(new Date("2026-12-01T16:00:00.000Z")); // Tuesday 13:00 local: options 09-11h are gone
    const r = await svc.processInbound({ phone: PHONE, text: "1" });
    assert.equal(r.outcome, "slot_taken");
    assert.ok((await offered(f, id)).every((s) => new Date(s) > f.clock.now()));
  });

  test("a reply that is not a choice gets the options again and changes no state", async (t) => {
    const { f, svc } = await setup(t);
    const id = await addSentFollowup(f, { externalId: "A-1" });
    await svc.processInbound({ phone: PHONE, text: "sim" });
    const before = await tablesChecksum(f.db, { withInbound: false });
    const slots = await offered(f, id);
    const r = await svc.processInbound({ phone: PHONE, text: "vocês atendem sábado?" });
    assert.equal(r.outcome, "not_understood");
    assert.equal(
      r.bot_reply,
      "Não entendi qual horário você prefere. Responda com um número de 1 a 3.\n1) terça, 01/12 às 09:00\n2) terça, 01/12 às 10:00\n3) terça, 01/12 às 11:00",
    );
    assert.deepEqual(await offered(f, id), slots);
    // Only the bot-reply audit row was added.
    const added = (await auditActions(f.db, id)).slice(-1)[0]!;
    assert.equal(added.action, "followup_bot_reply");
    await f.db.run("DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)");
    assert.equal(await tablesChecksum(f.db, { withInbound: false }), before);
    assert.equal((await row(f, id)).followup_status, "positive");
  });

  test('a "no" while choosing closes the follow-up as negative; the trail keeps both answers', async (t) => {
    const { f, svc } = await setup(t);
    const id = await addSentFollowup(f, { externalId: "A-1" });
    await svc.processInbound({ phone: PHONE, text: "sim" });
    const r = await svc.processInbound({ phone: PHONE, text: "pensando melhor, não quero mais" });
    assert.equal(r.intent, "followup_negative");
    assert.equal(r.response, "negative");
    assert.equal(r.bot_reply, NEGATIVE_REPLY);
    const a = await row(f, id);
    assert.equal(a.followup_status, "negative");
    assert.equal(a.followup_response, "negative");
    assert.equal(a.followup_offered_slots, null);
    const responses = (await auditActions(f.db, id)).filter((x) => x.action === "followup_response").map((x) => x.payload.response);
    assert.deepEqual(responses, ["positive", "negative"]);
    assert.equal((await svc.processInbound({ phone: PHONE, text: "1" })).matched, false);
  });

  test("a choice past the 7-day window is unmatched (the offer expired with the follow-up)", async (t) => {
    const { f, svc } = await setup(t);
    await addSentFollowup(f, { externalId: "A-1" });
    await svc.processInbound({ phone: PHONE, text: "sim" });
    f.clock.advance(7 * 24 * 60 * MIN);
    assert.equal((await svc.processInbound({ phone: PHONE, text: "1" })).matched, false);
  });
});
