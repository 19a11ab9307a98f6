/**
 * A small real world for the metrics, health and API tests: two companies on a fake Whaticket,
 * appointments saved by the appointment service, sent by the delivery scheduler (one tick) and
 * answered through the reply service — the same code paths (and audit rows) as the daemon.
 *
 *   clinica: 6 follow-ups due, 5 sent (1 number refused: failed), answers 2 positive, 1 negative, 1 feedback
 *   estudio: 3 follow-ups due, 3 sent, answers 1 positive, 2 negative
 *   one more appointment per company ends later (still scheduled).
 */
import { ManualClock } from "../../src/clock.js";
import type { DaemonEvents } from "../../src/daemon/events.js";
import { createScheduler } from "../../src/daemon/scheduler.js";
import { startFakeWhaticket, type FakeWhaticket } from "../../src/gateway/fake-whaticket.js";
import { WhaticketClient } from "../../src/gateway/whaticket-client.js";
import { silentLogger } from "../../src/logger.js";
import { appointmentSaver } from "../../src/services/appointment-service.js";
import { saveCompany } from "../../src/services/company-service.js";
import { createReplyService, whaticketReplySender } from "../../src/services/reply-service.js";
import { getCompany } from "../../src/store/companies.js";
import type { Q, Store } from "../../src/store/store.js";
import { migratedDb, tempDb } from "./cli.js";

export const WHATICKET_TOKEN = "scenario-whaticket-token";
/** Tuesday 2026-03-10 12:00 UTC = 09:00 in São Paulo: outside quiet hours, inside business hours. */
export const SCENARIO_NOW = new Date("2026-03-10T12:00:00.000Z");

export interface Scenario {
  dbPath: string;
  db: Store;
  clock: ManualClock;
  fake: FakeWhaticket;
  gateway: WhaticketClient;
  /** Appointment ids by role. */
  ids: {
    /** clinica's follow-up that is sent and unanswered (resendable). */
    clinicaUnanswered: number;
    /** clinica's follow-up whose number Whaticket refused (failed). */
    clinicaFailed: number;
    /** clinica's positive one (not resendable). */
    clinicaPositive: number;
    /** A follow-up still scheduled (not resendable). */
    clinicaScheduled: number;
  };
  expected: {
    sent: Record<string, number>;
    positive: Record<string, number>;
    negative: Record<string, number>;
    feedback: Record<string, number>;
  };
  close(): Promise<void>;
}

const phone = (company: number, n: number) => `55119${company}${String(n).padStart(7, "0")}`;

/** `observe` gets the database before the tick and returns the observer of the scheduler's events (e.g. the metrics). */
export async function buildScenario(opts: { observe?: (db: Store, clock: ManualClock) => DaemonEvents } = {}): Promise<Scenario> {
  const dbPath = tempDb();
  const db = await migratedDb(dbPath);
  const clock = new ManualClock(SCENARIO_NOW);
  const fake = await startFakeWhaticket({ token: WHATICKET_TOKEN });
  const gateway = new WhaticketClient({ timeoutMs: 5_000 });
  try {
    for (const [id, name] of [["clinica", "Clínica Sol"], ["estudio", "Estúdio Lua"]] as const) {
      await saveCompany(db, { id, name, whaticketUrl: fake.url, whaticketToken: WHATICKET_TOKEN, quietHours: "off", rateLimit: "0" }, clock.now);
    }
    const ended = new Date(SCENARIO_NOW.getTime() - 2 * 3600_000);
    const later = new Date(SCENARIO_NOW.getTime() + 3 * 3600_000);
    const ids: Record<string, number> = {};
    const add = async (t: Q, company: "clinica" | "estudio", ci: number, n: number, name: string, end = ended) => {
      const c = (await getCompany(t, company))!;
      const { id } = await appointmentSaver(t, clock.now)(
        {
          company_id: company,
          external_id: `${company}-${n}`,
          client_name: name,
          client_phone: phone(ci, n),
          start_time: new Date(end.getTime() - 3600_000).toISOString(),
          end_time: end.toISOString(),
          status: "booked",
          allow_followup: true,
        },
        c,
      );
      ids[`${company}-${n}`] = id;
      return id;
    };
    await db.tx(async (t) => {
      const names = ["Ana Souza", "Bruno Lima", "Carla Dias", "Davi Rocha", "Eva Nunes", "Fábio Reis"];
      for (const [i, name] of names.entries()) await add(t, "clinica", 1, i + 1, name);
      for (const [i, name] of ["Gabi Alves", "Hugo Melo", "Iris Prado"].entries()) await add(t, "estudio", 2, i + 1, name);
      await add(t, "clinica", 1, 7, "Júlia Costa", later);
      await add(t, "estudio", 2, 4, "Kauã Pires", later);
    });

    // clinica-6's number does not exist on WhatsApp: a permanent failure, never a send.
    fake.failNumber(phone(1, 6), 400, "ERR_WAPP_INVALID_CONTACT");
    const scheduler = createScheduler({
      store: db,
      gateway,
      clock: clock.now,
      logger: silentLogger,
      events: opts.observe?.(db, clock),
      whaticketDefaults: { url: null, token: null },
      concurrency: 4,
      rateLimit: 0,
    });
    const tick = await scheduler.tick();
    await scheduler.stop();
    if (!tick.ok || tick.sent !== 8 || tick.failed !== 1) throw new Error(`scenario tick: expected 8 sent and 1 failed, got ${JSON.stringify(tick)}`);

    // Answers arrive 10 minutes later, through the same service as the webhook.
    clock.advance(10 * 60_000);
    const replies = createReplyService({ store: db, clock: clock.now, logger: silentLogger, sender: whaticketReplySender(gateway, { url: null, token: null }) });
    const answers: [number, number, string][] = [
      [1, 1, "Sim, quero marcar"],
      [1, 2, "Sim, quero marcar"],
      [1, 3, "Não, obrigado"],
      [1, 4, "O atendimento foi excelente, só preciso de mais materiais."],
      [2, 1, "Sim, quero marcar"],
      [2, 2, "Não, obrigado"],
      [2, 3, "Não, obrigado"],
    ];
    const expectedResponse = (text: string) => (text.startsWith("Sim") ? "positive" : text.startsWith("Não") ? "negative" : "feedback");
    for (const [ci, n, text] of answers) {
      const r = await replies.processInbound({ phone: phone(ci, n), text, messageId: `msg-${ci}-${n}` });
      if (r.response !== expectedResponse(text)) {
        throw new Error(`scenario reply "${text}" from ${ci}-${n}: expected ${expectedResponse(text)}, got ${JSON.stringify({ matched: r.matched, response: r.response, intent: r.intent })}`);
      }
    }
    return {
      dbPath,
      db,
      clock,
      fake,
      gateway,
      ids: {
        clinicaUnanswered: ids["clinica-5"]!,
        clinicaFailed: ids["clinica-6"]!,
        clinicaPositive: ids["clinica-1"]!,
        clinicaScheduled: ids["clinica-7"]!,
      },
      expected: {
        sent: { clinica: 5, estudio: 3 },
        positive: { clinica: 2, estudio: 1 },
        negative: { clinica: 1, estudio: 2 },
        feedback: { clinica: 1, estudio: 0 },
      },
      async close() {
        await gateway.close();
        await fake.stop();
        await db.close();
      },
    };
  } catch (err) {
    await gateway.close();
    await fake.stop();
    await db.close();
    throw err;
  }
}
