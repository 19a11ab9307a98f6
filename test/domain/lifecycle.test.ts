import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { DateTime } from "luxon";
import { parseQuietHours } from "../../src/domain/hours.js";
import {
  EXPIRY_MS, dueTime, isExpired, isPastSending, planFollowup, replanFollowup, resendRefusal,
  type ExistingFollowup, type FollowupInput, type FollowupStatus, type SchedulingPolicy,
} from "../../src/domain/lifecycle.js";

const SP = "America/Sao_Paulo";
const NY = "America/New_York";
const POLICY: SchedulingPolicy = { timezone: SP, quietHours: parseQuietHours("20:00-08:00"), delayMinutes: 60 };

function local(text: string, zone = SP): Date {
  const dt = DateTime.fromFormat(text, "yyyy-MM-dd HH:mm", { zone });
  assert.ok(dt.isValid, `bad test time ${text}`);
  return dt.toJSDate();
}

function show(d: Date | null, zone = SP): string | null {
  return d ? DateTime.fromJSDate(d, { zone }).toFormat("yyyy-MM-dd HH:mm ZZ") : null;
}

const booked = (end: Date, allow = true): FollowupInput => ({ allow_followup: allow, status: "booked", end_time: end });
/** "Now" well before every appointment in these tests, so nothing expires unless a test says so. */
const EARLY = new Date("2026-11-01T00:00:00Z");

describe("dueTime", () => {
  test("end + delay when that is outside quiet hours", () => {
    assert.equal(show(dueTime(local("2026-11-25 15:00"), POLICY)), "2026-11-25 16:00 -03:00");
    assert.equal(show(dueTime(local("2026-11-25 15:00"), { ...POLICY, delayMinutes: 0 })), "2026-11-25 15:00 -03:00");
    assert.equal(show(dueTime(local("2026-11-25 15:00"), { ...POLICY, delayMinutes: 90 })), "2026-11-25 16:30 -03:00");
  });

  test("ends 19:30 local, delay 60 → due 20:30 → moved to 08:00 local the next day", () => {
    assert.equal(show(dueTime(local("2026-11-25 19:30"), POLICY)), "2026-11-26 08:00 -03:00");
    assert.equal(dueTime(local("2026-11-25 19:30"), POLICY).toISOString(), "2026-11-26T11:00:00.000Z");
  });

  test("ends 18:59 → due 19:59, just before quiet hours, stays", () => {
    assert.equal(show(dueTime(local("2026-11-25 18:59"), POLICY)), "2026-11-25 19:59 -03:00");
  });

  test("ends 02:00 → due 03:00 → 08:00 the same day", () => {
    assert.equal(show(dueTime(local("2026-11-26 02:00"), POLICY)), "2026-11-26 08:00 -03:00");
  });

  test("due exactly 08:00 stays, due exactly 20:00 moves", () => {
    assert.equal(show(dueTime(local("2026-11-26 07:00"), POLICY)), "2026-11-26 08:00 -03:00");
    assert.equal(show(dueTime(local("2026-11-25 19:00"), POLICY)), "2026-11-26 08:00 -03:00");
  });

  test("an appointment ending 23:30 is due 00:30 the next day → 08:00 that day (midnight crossed by the delay)", () => {
    assert.equal(show(dueTime(local("2026-11-25 23:30"), POLICY)), "2026-11-26 08:00 -03:00");
  });

  test("no quiet hours: due at end + delay even at night", () => {
    assert.equal(show(dueTime(local("2026-11-25 23:30"), { ...POLICY, quietHours: null })), "2026-11-26 00:30 -03:00");
  });

  test("quiet hours are read in the company's zone: 19:30 in New York (a UTC-day later) behaves the same", () => {
    const ny: SchedulingPolicy = { ...POLICY, timezone: NY };
    assert.equal(show(dueTime(local("2026-11-25 19:30", NY), ny), NY), "2026-11-26 08:00 -05:00");
    assert.equal(show(dueTime(local("2026-11-25 18:00", NY), ny), NY), "2026-11-25 19:00 -05:00");
  });

  test("DST: the delay is real time; quiet hours end at local 08:00 on both sides of the change", () => {
    const ny: SchedulingPolicy = { ...POLICY, timezone: NY };
    // 2026-03-08 02:00 EST → 03:00 EDT. Ends 01:30 EST; +60 real minutes = 03:30 EDT (quiet) → 08:00 EDT.
    assert.equal(show(dueTime(local("2026-03-08 01:30", NY), ny), NY), "2026-03-08 08:00 -04:00");
    // Ends 07:30 EDT that morning → 08:30 EDT.
    assert.equal(show(dueTime(local("2026-03-08 07:30", NY), ny), NY), "2026-03-08 08:30 -04:00");
    // 2026-11-01 02:00 EDT → 01:00 EST. Ends 19:30 EDT on Oct 31 → 08:00 EST on Nov 1.
    assert.equal(show(dueTime(local("2026-10-31 19:30", NY), ny), NY), "2026-11-01 08:00 -05:00");
    // Ends at the first 01:30 (EDT): +60 min is 01:30 EST, still quiet → 08:00 EST.
    assert.equal(show(dueTime(new Date("2026-11-01T05:30:00Z"), ny), NY), "2026-11-01 08:00 -05:00");
    // Afternoon of the change day, outside quiet hours: 15:00 EST + 60 = 16:00 EST.
    assert.equal(show(dueTime(local("2026-11-01 15:00", NY), ny), NY), "2026-11-01 16:00 -05:00");
  });
});

describe("planFollowup", () => {
  test("consent and booked: scheduled at the due time, due_at recorded", () => {
    const plan = planFollowup(booked(local("2026-11-25 19:30")), POLICY, EARLY);
    assert.equal(plan.followup_status, "scheduled");
    assert.equal(plan.followup_skip_reason, null);
    assert.equal(plan.followup_next_scheduled?.toISOString(), "2026-11-26T11:00:00.000Z");
    assert.equal(plan.followup_due_at?.toISOString(), "2026-11-26T11:00:00.000Z");
  });

  test("no consent: never scheduled, whatever the dates", () => {
    for (const end of [local("2026-11-25 15:00"), local("2026-11-25 19:30"), local("2020-01-01 10:00")]) {
      const plan = planFollowup(booked(end, false), POLICY, EARLY);
      assert.deepEqual(plan, { followup_status: "skipped", followup_skip_reason: "no_consent", followup_next_scheduled: null, followup_due_at: null });
    }
  });

  test("cancelled: skipped as cancelled (also without consent)", () => {
    for (const allow of [true, false]) {
      const plan = planFollowup({ allow_followup: allow, status: "cancelled", end_time: local("2026-11-25 15:00") }, POLICY, EARLY);
      assert.equal(plan.followup_status, "skipped");
      assert.equal(plan.followup_skip_reason, "cancelled");
      assert.equal(plan.followup_next_scheduled, null);
    }
  });

  test("expired: due more than 12 h ago is skipped as expired; exactly 12 h is still scheduled", () => {
    const end = local("2026-11-25 15:00"); // due 16:00 local = 19:00Z
    const due = new Date("2026-11-25T19:00:00Z");
    const justIn = planFollowup(booked(end), POLICY, new Date(due.getTime() + EXPIRY_MS));
    assert.equal(justIn.followup_status, "scheduled");
    const late = planFollowup(booked(end), POLICY, new Date(due.getTime() + EXPIRY_MS + 1));
    assert.equal(late.followup_status, "skipped");
    assert.equal(late.followup_skip_reason, "expired");
    assert.equal(late.followup_next_scheduled, null);
    assert.equal(late.followup_due_at?.toISOString(), due.toISOString());
  });

  test("due in the past but within 12 h: scheduled (the daemon sends it at once)", () => {
    const plan = planFollowup(booked(local("2026-11-25 15:00")), POLICY, new Date("2026-11-25T23:00:00Z"));
    assert.equal(plan.followup_status, "scheduled");
  });

  test("expiry is measured from the quiet-hours-adjusted due time, not from end + delay", () => {
    // Ends 19:30 → due 08:00 next day (11:00Z). At 12:00Z the next day raw end+delay is 16.5 h old, the due time 1 h.
    const plan = planFollowup(booked(local("2026-11-25 19:30")), POLICY, new Date("2026-11-26T12:00:00Z"));
    assert.equal(plan.followup_status, "scheduled");
  });
});

describe("isExpired", () => {
  test("strictly more than 12 hours", () => {
    const due = new Date("2026-11-25T12:00:00Z");
    assert.equal(isExpired(due, new Date("2026-11-26T00:00:00Z")), false);
    assert.equal(isExpired(due, new Date("2026-11-26T00:00:00.001Z")), true);
    assert.equal(isExpired(due, new Date("2026-11-24T00:00:00Z")), false);
  });
});

describe("replanFollowup", () => {
  const end = local("2026-11-25 15:00");
  const existing = (status: FollowupStatus, over: Partial<ExistingFollowup> = {}): ExistingFollowup => ({
    followup_status: status, allow_followup: true, status: "booked", end_time: end, ...over,
  });

  test("nothing that matters changed → leave the follow-up alone", () => {
    assert.equal(replanFollowup(existing("scheduled"), booked(new Date(end)), POLICY, EARLY), null);
  });

  test("cancel before sending → skipped cancelled, unscheduled", () => {
    const plan = replanFollowup(existing("scheduled"), { ...booked(end), status: "cancelled" }, POLICY, EARLY);
    assert.equal(plan?.followup_status, "skipped");
    assert.equal(plan?.followup_skip_reason, "cancelled");
    assert.equal(plan?.followup_next_scheduled, null);
  });

  test("new end time before sending → rescheduled to the new end + delay", () => {
    const plan = replanFollowup(existing("scheduled"), booked(local("2026-11-25 17:00")), POLICY, EARLY);
    assert.equal(plan?.followup_status, "scheduled");
    assert.equal(show(plan?.followup_next_scheduled ?? null), "2026-11-25 18:00 -03:00");
  });

  test("new end time into the evening → rescheduled and moved out of quiet hours", () => {
    const plan = replanFollowup(existing("scheduled"), booked(local("2026-11-25 19:30")), POLICY, EARLY);
    assert.equal(show(plan?.followup_next_scheduled ?? null), "2026-11-26 08:00 -03:00");
  });

  test("consent withdrawn before sending → skipped no_consent", () => {
    const plan = replanFollowup(existing("scheduled"), booked(end, false), POLICY, EARLY);
    assert.equal(plan?.followup_skip_reason, "no_consent");
  });

  test("consent given later (a v2.3 row skipped as no_consent) → scheduled", () => {
    const plan = replanFollowup(existing("skipped", { allow_followup: false }), booked(end), POLICY, EARLY);
    assert.equal(plan?.followup_status, "scheduled");
  });

  test("un-cancelled before sending → scheduled again", () => {
    const plan = replanFollowup(existing("skipped", { status: "cancelled" }), booked(end), POLICY, EARLY);
    assert.equal(plan?.followup_status, "scheduled");
  });

  test("once sending, sent, answered or failed: no change whatever the edit", () => {
    for (const s of ["sending", "sent", "positive", "negative", "feedback", "failed"] as FollowupStatus[]) {
      assert.equal(replanFollowup(existing(s), booked(local("2026-11-25 17:00")), POLICY, EARLY), null, s);
      assert.equal(replanFollowup(existing(s), { ...booked(end), status: "cancelled" }, POLICY, EARLY), null, s);
      assert.equal(replanFollowup(existing(s), booked(end, false), POLICY, EARLY), null, s);
      assert.equal(isPastSending(s), true, s);
    }
    assert.equal(isPastSending("scheduled"), false);
    assert.equal(isPastSending("skipped"), false);
  });
});

describe("resendRefusal", () => {
  test("no consent is refused whatever the state", () => {
    for (const s of ["sent", "feedback", "failed"] as FollowupStatus[]) assert.match(resendRefusal(s, false) ?? "", /consent/);
  });

  test("sent, feedback and failed may be resent; the rest say why not", () => {
    for (const s of ["sent", "feedback", "failed"] as FollowupStatus[]) assert.equal(resendRefusal(s, true), null, s);
    for (const s of ["scheduled", "sending", "positive", "negative", "skipped"] as FollowupStatus[]) {
      assert.ok((resendRefusal(s, true) ?? "").length > 0, s);
    }
  });
});
