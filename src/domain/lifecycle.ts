import { moveOutOfQuietHours, type QuietHours } from "./hours.js";

/**
 * The follow-up lifecycle (SPEC "Follow-up lifecycle"), as pure functions of data and a clock.
 *
 *   scheduled → sending (claimed) → sent → positive | negative | feedback
 *             ↘ failed              ↘ skipped (no_consent | cancelled | expired | opted_out)
 */
export type FollowupStatus = "scheduled" | "sending" | "sent" | "positive" | "negative" | "feedback" | "failed" | "skipped";
/** opted_out: the phone is on the company's do-not-contact list (the client asked to stop). */
export type SkipReason = "no_consent" | "cancelled" | "expired" | "opted_out";
export type AppointmentStatus = "booked" | "cancelled";

export const FOLLOWUP_STATUSES: readonly FollowupStatus[] = [
  "scheduled", "sending", "sent", "positive", "negative", "feedback", "failed", "skipped",
];

/** A follow-up that could not go out within this long after its due time is skipped as expired. */
export const EXPIRY_MS = 12 * 60 * 60 * 1000;

export interface SchedulingPolicy {
  timezone: string;
  quietHours: QuietHours | null;
  delayMinutes: number;
}

export interface FollowupInput {
  allow_followup: boolean;
  status: AppointmentStatus;
  end_time: Date;
  /** The phone is on the company's do-not-contact list: stronger than allow_followup. */
  opted_out?: boolean;
}

/** The follow-up columns an appointment gets when it is created or its data changes before sending. */
export interface FollowupPlan {
  followup_status: "scheduled" | "skipped";
  followup_skip_reason: SkipReason | null;
  followup_next_scheduled: Date | null;
  followup_due_at: Date | null;
}

/** end + delay, moved forward out of the company's quiet hours (in its time zone). */
export function dueTime(endTime: Date, policy: SchedulingPolicy): Date {
  const raw = new Date(endTime.getTime() + policy.delayMinutes * 60_000);
  return moveOutOfQuietHours(raw, policy.timezone, policy.quietHours);
}

export function isExpired(dueAt: Date, now: Date): boolean {
  return now.getTime() - dueAt.getTime() > EXPIRY_MS;
}

export function planFollowup(input: FollowupInput, policy: SchedulingPolicy, now: Date): FollowupPlan {
  if (input.status === "cancelled") return skipped("cancelled", null);
  if (!input.allow_followup) return skipped("no_consent", null);
  if (input.opted_out) return skipped("opted_out", null);
  const due = dueTime(input.end_time, policy);
  // Importing last month's agenda must not greet anyone about "a reunião de hoje".
  if (isExpired(due, now)) return skipped("expired", due);
  return { followup_status: "scheduled", followup_skip_reason: null, followup_next_scheduled: due, followup_due_at: due };
}

function skipped(reason: SkipReason, due: Date | null): FollowupPlan {
  return { followup_status: "skipped", followup_skip_reason: reason, followup_next_scheduled: null, followup_due_at: due };
}

/** Once a follow-up is in flight or has gone out, appointment edits no longer touch it. */
export function isPastSending(status: FollowupStatus): boolean {
  return status !== "scheduled" && status !== "skipped";
}

export interface ExistingFollowup extends FollowupInput {
  followup_status: FollowupStatus;
}

/**
 * What an edit of an existing appointment does to its follow-up: null = leave the follow-up
 * columns as they are (already sent, or nothing that matters changed), else the new plan
 * (cancel before sending unschedules, a new end time reschedules, consent given schedules).
 */
export function replanFollowup(existing: ExistingFollowup, next: FollowupInput, policy: SchedulingPolicy, now: Date): FollowupPlan | null {
  if (isPastSending(existing.followup_status)) return null;
  const same =
    existing.allow_followup === next.allow_followup &&
    existing.status === next.status &&
    existing.end_time.getTime() === next.end_time.getTime();
  if (same) return null;
  return planFollowup(next, policy, now);
}

/** Statuses `followups resend` accepts: awaiting a reply, feedback given, or failed. */
export function resendRefusal(status: FollowupStatus, allowFollowup: boolean): string | null {
  if (!allowFollowup) return "the client gave no consent to follow-ups (allow_followup is false)";
  switch (status) {
    case "sent":
    case "feedback":
    case "failed":
      return null;
    case "scheduled":
      return "it has not been sent yet (scheduled): the daemon sends it when due";
    case "sending":
      return "it is being sent right now";
    case "positive":
    case "negative":
      return `the client already answered (${status}): the cycle is closed`;
    case "skipped":
      return "it was skipped (no consent, cancelled, expired or opted out)";
  }
}
