import type { Clock } from "../clock.js";
import { parseBusinessHours } from "../domain/hours.js";
import { bookingConfirmationMessage, slotSuggestionsMessage, slotTakenMessage } from "../domain/messages.js";
import { findFreeSlots, parseSlotChoice } from "../domain/slots.js";
import type { AppointmentRow } from "../store/appointments.js";
import { writeAudit, type AuditAction } from "../store/audit.js";
import type { CompanyRow } from "../store/companies.js";
import { getAppointment } from "../store/appointments.js";
import { bookedIntervals, isSlotFree, lockAgenda, offeredSlotsOf, setBookedAppointment, setOfferedSlots } from "../store/replies.js";
import type { Q } from "../store/store.js";
import { appointmentSaver } from "./appointment-service.js";
import { queueBookingDelivery } from "./booking-webhook-service.js";

/**
 * The `agenda.book` flow after a positive reply: offer the next free slots, read the client's
 * choice, book it as a new appointment. Runs inside the caller's transaction (the reply
 * service's), which holds the company's agenda lock while it books, so a slot is booked at most once.
 */

export const DEFAULT_SLOT_COUNT = 3;
/** How far ahead slots are searched (findFreeSlots' own default horizon). */
const HORIZON_DAYS = 21;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface BookingOptions {
  /** How many slots to offer (default 3). */
  slotCount?: number;
}

/** The external id of the appointment booked from follow-up `id`: deterministic, so a replay cannot book twice. */
export function bookedExternalId(followupId: number): string {
  return `followup-${followupId}`;
}

function durationMs(a: Pick<AppointmentRow, "start_time" | "end_time">): number {
  const ms = new Date(a.end_time).getTime() - new Date(a.start_time).getTime();
  // A corrupt row must not produce a zero-length search; an hour is the common appointment.
  return ms > 0 ? ms : 60 * 60 * 1000;
}

/** The next free slots as long as the appointment that ended, inside the company's hours, none overlapping its agenda. */
export async function searchSlots(q: Q, company: CompanyRow, followup: AppointmentRow, now: Date, opts: BookingOptions = {}): Promise<Date[]> {
  const busy = await bookedIntervals(q, company.id, now, new Date(now.getTime() + (HORIZON_DAYS + 1) * DAY_MS));
  return findFreeSlots({
    after: now,
    durationMinutes: Math.round(durationMs(followup) / 60_000),
    businessHours: parseBusinessHours(company.business_hours),
    timezone: company.timezone,
    busy,
    count: opts.slotCount ?? DEFAULT_SLOT_COUNT,
    horizonDays: HORIZON_DAYS,
  });
}

export interface SlotOffer {
  slots: Date[];
  /** The bot's answer: the suggestions, or the "no free slots, we will contact you" text. */
  message: string;
}

/**
 * Searches and stores the slots to offer. With none free the follow-up is left without offered
 * slots (closed as positive: the team takes over, as the message says).
 */
export async function offerSlots(q: Q, company: CompanyRow, followup: AppointmentRow, now: Date, opts: BookingOptions = {}): Promise<SlotOffer> {
  const slots = await searchSlots(q, company, followup, now, opts);
  await setOfferedSlots(q, followup.id, slots, now.toISOString());
  return { slots, message: slotSuggestionsMessage(slots, company.timezone) };
}

export type ChoiceResult =
  | { kind: "not_a_choice"; offered: Date[] }
  | {
      kind: "booked";
      slot: Date;
      end: Date;
      booked_appointment_id: number;
      external_id: string;
      followup_status: string;
      message: string;
      /** The audit rows written (appointment_created, agenda_booked). */
      audits: Array<{ id: number; action: AuditAction }>;
    }
  /** The chosen slot was booked meanwhile (or has passed): fresh suggestions were stored and are in `message`. */
  | { kind: "slot_taken"; slot: Date; slots: Date[]; message: string };

/**
 * Reads the reply as a choice among the offered slots ("1", "a primeira", "terça 14h") and books
 * it: a new appointment for the same client, as long as the one that ended, with consent carried
 * over and its own follow-up scheduled by the usual rules. Audits `agenda_booked` on the
 * follow-up and `appointment_created` on the new appointment.
 */
export async function bookChosenSlot(
  t: Q,
  clock: Clock,
  company: CompanyRow,
  followup: AppointmentRow,
  text: string,
  opts: BookingOptions = {},
): Promise<ChoiceResult> {
  const now = clock();
  const nowIso = now.toISOString();
  const offered = offeredSlotsOf(followup);
  const index = parseSlotChoice(text, offered, company.timezone);
  if (index === null) return { kind: "not_a_choice", offered };
  const slot = offered[index]!;
  const end = new Date(slot.getTime() + durationMs(followup));

  await lockAgenda(t, company.id);
  if (slot.getTime() <= now.getTime() || !(await isSlotFree(t, company.id, slot, end))) {
    const fresh = await offerSlots(t, company, followup, now, opts);
    return { kind: "slot_taken", slot, slots: fresh.slots, message: slotTakenMessage(fresh.slots, company.timezone) };
  }

  const externalId = bookedExternalId(followup.id);
  const saved = await appointmentSaver(t, clock)(
    {
      company_id: company.id,
      external_id: externalId,
      client_name: followup.client_name,
      client_phone: followup.client_phone,
      start_time: slot.toISOString(),
      end_time: end.toISOString(),
      status: "booked",
      allow_followup: followup.allow_followup === 1,
      source: "whatsapp",
    },
    company,
  );
  await setBookedAppointment(t, followup.id, saved.id, nowIso);
  const booked = (await getAppointment(t, saved.id))!;
  // The clinic's booking webhook, if any: queued in this transaction, POSTed by the daemon's tick.
  if (saved.result === "inserted") await queueBookingDelivery(t, company, booked, followup, nowIso);
  const createdAction: AuditAction = saved.result === "inserted" ? "appointment_created" : "appointment_updated";
  const createdId = await writeAudit(t, {
    // "updated" only if an operator imported an appointment under this very external id meanwhile.
    action: createdAction,
    appointment_id: saved.id,
    company_id: company.id,
    payload: { external_id: externalId, source: "agenda.book", from_appointment_id: followup.id },
    created_at: nowIso,
  });
  const bookedAuditId = await writeAudit(t, {
    action: "agenda_booked",
    appointment_id: followup.id,
    company_id: company.id,
    payload: {
      booked_appointment_id: saved.id,
      external_id: externalId,
      start_time: slot.toISOString(),
      end_time: end.toISOString(),
      option: index + 1,
      followup_status: booked.followup_status,
      followup_next_scheduled: booked.followup_next_scheduled,
    },
    created_at: nowIso,
  });
  return {
    kind: "booked",
    slot,
    end,
    booked_appointment_id: saved.id,
    external_id: externalId,
    followup_status: booked.followup_status,
    message: bookingConfirmationMessage(slot, company.timezone),
    audits: [
      { id: createdId, action: createdAction },
      { id: bookedAuditId, action: "agenda_booked" },
    ],
  };
}
