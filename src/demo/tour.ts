import type { ChalkInstance } from "chalk";
import { DateTime } from "luxon";
import { ManualClock } from "../clock.js";
import { formatSlotPtBR } from "../domain/messages.js";
import { maskPhone, normalizePhone } from "../domain/phone.js";
import { createScheduler } from "../daemon/scheduler.js";
import { noDaemonEvents, type DaemonEvents, type SendInfo } from "../daemon/events.js";
import { startHttpServer } from "../daemon/http-server.js";
import { WEBHOOK_PATH, webhookRoutes } from "../daemon/webhook-routes.js";
import { startFakeWhaticket, type FakeWhaticket } from "../gateway/fake-whaticket.js";
import type { SendOutcome } from "../gateway/whaticket.js";
import { WhaticketClient } from "../gateway/whaticket-client.js";
import { silentLogger } from "../logger.js";
import { renderFollowupTable } from "../commands/followups-list.js";
import { renderStats } from "../commands/stats.js";
import { describeFollowup } from "../commands/appointments.js";
import { appointmentSaver } from "../services/appointment-service.js";
import { saveCompany } from "../services/company-service.js";
import { createReplyService, whaticketReplySender } from "../services/reply-service.js";
import { computeStats } from "../services/stats-service.js";
import { findByExternalId, getAppointment, type AppointmentRow } from "../store/appointments.js";
import { getCompany, listCompanies, type CompanyRow } from "../store/companies.js";
import { setDaemonState } from "../store/daemons.js";
import { nextDueAt } from "../store/followups.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/store.js";
import { listFollowups } from "../store/followup-queries.js";
import { migrate } from "../store/migrator.js";
import {
  DEMO_COMPANIES, DEMO_DAY_AGENDA, DEMO_FAILS_ONCE, DEMO_REPLIES, DEMO_TOKEN, DEMO_WEBHOOK_TOKEN,
  atLocal, demoDay, demoHistory, type HistoryEntry,
} from "./scenario.js";

/**
 * The offline tour behind `secretaria demo`: the real migrations, services, scheduler, reply
 * service and webhook route, a fake Whaticket on 127.0.0.1 and a simulated clock that jumps from
 * one event to the next (as the daemon's once-a-minute tick would find them).
 */
export interface TourOptions {
  dbPath: string;
  /** No pauses between steps. */
  fast: boolean;
  realNow: Date;
  out: (line?: string) => void;
  color: ChalkInstance;
  width: number;
}

export interface TourSummary {
  sent: number;
  retried: number;
  replies: number;
  booked: number;
}

const HOME_ZONE = "America/Sao_Paulo";

interface SendEvent {
  companyId: string;
  outcome: SendOutcome;
  info: SendInfo;
}

export async function runTour(o: TourOptions): Promise<TourSummary> {
  const { out, color: c } = o;
  const pause = (ms: number) => (o.fast ? Promise.resolve() : new Promise<void>((r) => setTimeout(r, ms)));
  const day = demoDay(o.realNow, HOME_ZONE);
  const clock = new ManualClock(atLocal(day, "07:00", HOME_ZONE));
  const hhmm = (d: Date, zone = HOME_ZONE) => DateTime.fromJSDate(d, { zone }).toFormat("HH:mm");
  const summary: TourSummary = { sent: 0, retried: 0, replies: 0, booked: 0 };

  let db: Store | null = null;
  let fake: FakeWhaticket | null = null;
  const gateway = new WhaticketClient({ timeoutMs: 5_000 });
  let server: Awaited<ReturnType<typeof startHttpServer>> | null = null;
  try {
    // ── setup ────────────────────────────────────────────────────────────────────────────
    db = await openStore(o.dbPath, { create: true });
    const applied = await migrate(db, { now: clock.now });
    await setDaemonState(db, { demo: "1" }, clock.now().toISOString());
    fake = await startFakeWhaticket({ token: DEMO_TOKEN });
    out(c.bold("secretaria demo — o ciclo do follow-up, offline / the follow-up cycle, offline"));
    out(`database ${db.location} (${applied.map((m) => m.name).join(", ")} applied)`);
    out(`fake Whaticket listening on ${fake.url} (loopback only; nothing leaves this machine)`);
    for (const co of DEMO_COMPANIES) {
      await saveCompany(db, {
        id: co.id, name: co.name, timezone: co.timezone, whaticketUrl: fake.url, whaticketToken: DEMO_TOKEN,
        businessHours: co.businessHours, quietHours: "20:00-08:00",
        // The demo's clock jumps through a day in seconds: a real company keeps its rate limit (default 1 msg/s).
        rateLimit: "0",
      }, clock.now);
      out(`company ${c.bold(co.name)} (${co.id}), ${co.timezone}, business hours ${co.businessHours}, quiet hours 20:00-08:00`);
    }

    const replyService = createReplyService({ store: db, clock: clock.now, logger: silentLogger, sender: whaticketReplySender(gateway, { url: null, token: null }) });
    const sends: SendEvent[] = [];
    const events: DaemonEvents = { ...noDaemonEvents, onSendResult: (companyId, outcome, info) => sends.push({ companyId, outcome, info }) };
    const scheduler = createScheduler({
      store: db, gateway, clock: clock.now, logger: silentLogger, events,
      whaticketDefaults: { url: null, token: null }, concurrency: 4,
      // The demo's clock jumps; real daemons keep each company's rate limit (default 1 msg/s).
      rateLimit: 0,
    });

    // ── three weeks of history, so the report has something to show ───────────────────────
    const history = demoHistory(day);
    await playHistory(db, history, clock, scheduler, replyService);
    out(`history: ${history.length} appointments over the three weeks before ${day.toFormat("dd/MM")} replayed through the same engine`);
    fake.reset();
    sends.length = 0;

    // ── the demo day ────────────────────────────────────────────────────────────────────
    out();
    out(c.bold(`── ${day.setLocale("pt-BR").toFormat("cccc, dd/MM/yyyy")} — a agenda do dia / the day's agenda ──`));
    const companies = new Map((await listCompanies(db)).map((co) => [co.id, co]));
    const rows = new Map<string, AppointmentRow>();
    await db.tx(async (t) => {
      const save = appointmentSaver(t, clock.now);
      for (const a of DEMO_DAY_AGENDA) {
        const co = companies.get(a.company) as CompanyRow;
        const { id } = await save({
          company_id: a.company, external_id: a.externalId, client_name: a.client, client_phone: normalizePhone(a.phone) ?? a.phone,
          start_time: atLocal(day, a.start, co.timezone).toISOString(), end_time: atLocal(day, a.end, co.timezone).toISOString(),
          status: a.status, allow_followup: a.consent,
        }, co);
        rows.set(a.externalId, (await getAppointment(t, id)) as AppointmentRow);
      }
    });
    for (const a of DEMO_DAY_AGENDA) {
      const row = rows.get(a.externalId) as AppointmentRow;
      const co = companies.get(a.company) as CompanyRow;
      const span = `${hhmm(new Date(row.start_time))}–${hhmm(new Date(row.end_time))}`;
      out(`  ${span} ${pad(a.client, 16)} ${pad(co.name, 12)} → ${describeFollowup(row, HOME_ZONE)}  ${c.dim(`(${a.note})`)}`);
    }
    out(c.dim("  (times in São Paulo; Estúdio Lua is in Manaus, one hour behind: its 08:00 is 09:00 here)"));

    server = await startHttpServer({
      host: "127.0.0.1", port: 0, logger: silentLogger,
      routes: [webhookRoutes({ service: replyService, token: DEMO_WEBHOOK_TOKEN, logger: silentLogger })],
    });
    const nameOf = new Map<string, string>();
    for (const a of DEMO_DAY_AGENDA) nameOf.set(normalizePhone(a.phone) ?? a.phone, a.client);
    const failingPhone = normalizePhone(DEMO_DAY_AGENDA.find((a) => a.externalId === DEMO_FAILS_ONCE)?.phone ?? "") ?? "";
    fake.failNumber(failingPhone, 500, "ERR_INTERNAL");

    let seen = 0;
    const showMessages = () => {
      for (const m of fake!.received.slice(seen)) {
        if (m.status >= 200 && m.status < 300) out(bubble(`WhatsApp → ${nameOf.get(m.number) ?? "cliente"} (${maskPhone(m.number)})`, m.body, o.width));
      }
      seen = fake!.received.length;
    };

    const replies = DEMO_REPLIES.map((r) => ({ ...r, when: atLocal(day, r.at, HOME_ZONE) }));
    const end = atLocal(day.plus({ days: 1 }), "09:10", HOME_ZONE);
    let messageSeq = 0;
    for (let step = 0; step < 200; step++) {
      const due = await nextDueAt(db);
      // The daemon ticks once a minute: a follow-up due at 11:00:20 goes out at the 11:01 tick.
      const tickAt = due ? new Date(Math.ceil(Math.max(due.getTime(), clock.now().getTime() + 1) / 60_000) * 60_000) : null;
      const reply = replies[0];
      const next = [tickAt, reply?.when].filter((d): d is Date => !!d).sort((a, b) => a.getTime() - b.getTime())[0];
      if (!next || next.getTime() > end.getTime()) break;
      clock.set(next);
      if (reply && reply.when.getTime() === next.getTime()) {
        replies.shift();
        const row = rows.get(reply.externalId) as AppointmentRow;
        out();
        out(`${c.cyan(hhmm(next))} 💬 ${row.client_name} answers: “${reply.text}”`);
        const res = await fetch(`${server.url}${WEBHOOK_PATH}?token=${DEMO_WEBHOOK_TOKEN}`, {
          method: "POST", headers: { "content-type": "application/json" },
          body: JSON.stringify({ number: row.client_phone, body: reply.text, messageId: `demo-${++messageSeq}` }),
        });
        const answer = (await res.json()) as { intent?: string | null; response?: string | null; outcome?: string };
        summary.replies++;
        const after = (await getAppointment(db, row.id)) as AppointmentRow;
        const how = answer.intent ? `ContextEngine: ${answer.intent}` : "read as a slot choice";
        out(`      ${how} → followup_response=${after.followup_response ?? "—"}; webhook answered HTTP ${res.status}`);
        if (after.followup_booked_appointment_id && after.followup_booked_appointment_id !== row.followup_booked_appointment_id) {
          const booked = (await getAppointment(db, after.followup_booked_appointment_id)) as AppointmentRow;
          const co = (await getCompany(db, booked.company_id)) as CompanyRow;
          summary.booked++;
          out(`      📅 agenda.book: new appointment #${booked.id} on ${formatSlotPtBR(new Date(booked.start_time), co.timezone)} — ${describeFollowup(booked, HOME_ZONE)}`);
        }
        rows.set(reply.externalId, after);
        showMessages();
      } else {
        const before = sends.length;
        await scheduler.tick();
        for (const s of sends.slice(before)) {
          const row = (await getAppointment(db, s.info.appointmentId)) as AppointmentRow;
          out();
          if (s.info.result === "sent") {
            summary.sent++;
            const booked = row.external_id.startsWith("followup-") ? " (the meeting booked by WhatsApp this morning)" : "";
            out(`${c.cyan(hhmm(next))} 📤 follow-up to ${row.client_name} sent (attempt ${s.info.attempt}) — the appointment ended at ${hhmm(new Date(row.end_time))}${booked}`);
          } else if (s.info.result === "retry") {
            summary.retried++;
            fake.clearNumberFailure(failingPhone);
            const error = s.outcome.kind === "sent" ? "" : s.outcome.error;
            out(`${c.cyan(hhmm(next))} ${c.yellow("⚠")}  Whaticket answered ${error} for ${row.client_name}: transient, retry at ${DateTime.fromISO(row.followup_next_scheduled ?? next.toISOString(), { zone: HOME_ZONE }).toFormat("HH:mm:ss")} (attempt ${s.info.attempt} of 5 used; exponential backoff with jitter)`);
          } else {
            out(`${c.cyan(hhmm(next))} ${s.info.result} for ${row.client_name}`);
          }
          showMessages();
        }
      }
      await pause(250);
    }
    clock.set(end);
    await scheduler.stop();

    // ── the operator's view ────────────────────────────────────────────────────────────────
    out();
    out(c.bold("── secretaria stats — the response rate and the 30-day chart ──"));
    out(renderStats(await computeStats(db, { days: 30, now: clock.now() }), { color: c, width: o.width }));
    out();
    out(c.bold("── secretaria followups list — today's follow-ups ──"));
    const today = await listFollowups(db, {
      statuses: null, sort: "-end", limit: 12, offset: 0,
      endRanges: [{ companyId: null, from: atLocal(day, "00:00", HOME_ZONE).toISOString(), to: atLocal(day.plus({ days: 1 }), "00:00", HOME_ZONE).toISOString() }],
    });
    out(renderFollowupTable(today.items, { zones: new Map([...companies.values()].map((co) => [co.id, co.timezone])), showCompany: true, now: clock.now(), width: o.width }));
    return summary;
  } finally {
    await server?.close();
    await fake?.stop();
    await gateway.close();
    await db?.close();
  }
}

/** The weeks before the demo day, replayed quietly: appointments saved, follow-ups sent at the day's end, answers read. */
async function playHistory(
  db: Store,
  history: HistoryEntry[],
  clock: ManualClock,
  scheduler: ReturnType<typeof createScheduler>,
  replies: ReturnType<typeof createReplyService>,
): Promise<void> {
  const companies = new Map((await listCompanies(db)).map((co) => [co.id, co]));
  const days = new Map<string, HistoryEntry[]>();
  for (const h of history) {
    const key = DateTime.fromJSDate(h.start, { zone: HOME_ZONE }).toISODate() ?? "";
    days.set(key, [...(days.get(key) ?? []), h]);
  }
  let seq = 0;
  for (const [date, entries] of days) {
    const d = DateTime.fromISO(date, { zone: HOME_ZONE });
    clock.set(atLocal(d, "07:00", HOME_ZONE));
    await db.tx(async (t) => {
      const save = appointmentSaver(t, clock.now);
      for (const h of entries) {
        await save({
          company_id: h.company, external_id: h.externalId, client_name: h.client, client_phone: h.phone,
          start_time: h.start.toISOString(), end_time: h.end.toISOString(), status: "booked", allow_followup: h.consent,
        }, companies.get(h.company) as CompanyRow);
      }
    });
    clock.set(atLocal(d, "19:45", HOME_ZONE));
    await scheduler.runOnce();
    clock.set(atLocal(d, "20:30", HOME_ZONE));
    for (const h of entries) {
      if (!h.answer || !h.consent) continue;
      const row = await findByExternalId(db, h.company, h.externalId);
      if (row?.followup_status !== "sent") continue;
      await replies.processInbound({ phone: h.phone, text: h.answer, messageId: `history-${++seq}` });
    }
  }
}

function pad(text: string, width: number): string {
  const chars = [...text];
  return chars.length >= width ? chars.slice(0, width).join("") : text + " ".repeat(width - chars.length);
}

/** A message as the customer sees it on the phone. */
function bubble(title: string, body: string, width: number): string {
  const inner = Math.max(30, Math.min(70, width - 10));
  const lines = body.split("\n").flatMap((l) => wrap(l, inner));
  return [`      ┌─ ${title}`, ...lines.map((l) => `      │ ${l}`), "      └─"].join("\n");
}

function wrap(line: string, width: number): string[] {
  if ([...line].length <= width) return [line];
  const out: string[] = [];
  let cur = "";
  for (const word of line.split(" ")) {
    if (cur && [...`${cur} ${word}`].length > width) {
      out.push(cur);
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  if (cur) out.push(cur);
  return out;
}
