import type { ChalkInstance } from "chalk";
import { ManualClock } from "../clock.js";
import { maskPhone } from "../domain/phone.js";
import { createScheduler } from "../daemon/scheduler.js";
import { startHttpServer } from "../daemon/http-server.js";
import { daemonWebhookRoutes } from "../daemon/webhook-routes.js";
import { CloudClient, FOLLOWUP_NO, FOLLOWUP_YES } from "../gateway/cloud-client.js";
import { EvolutionClient } from "../gateway/evolution-client.js";
import { cloudInboundButton, cloudInboundInteractive, postCloudInbound, startFakeCloudApi, type FakeCloudApi } from "../gateway/fake-cloud-api.js";
import { startFakeEvolution, type FakeEvolution } from "../gateway/fake-evolution.js";
import { WhaticketClient } from "../gateway/whaticket-client.js";
import { silentLogger } from "../logger.js";
import { appointmentSaver } from "../services/appointment-service.js";
import { saveCompany } from "../services/company-service.js";
import { findByExternalId } from "../store/appointments.js";
import { getCompany, type CompanyRow } from "../store/companies.js";
import { setDaemonState } from "../store/daemons.js";
import { migrate } from "../store/migrator.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/store.js";
import { atLocal, demoDay, DEMO_WEBHOOK_TOKEN } from "./scenario.js";
import { count } from "../render/plural.js";

/**
 * `secretaria demo --gateway evolution|cloud`: the cycle through that gateway's fake on 127.0.0.1,
 * with the real clients, the real scheduler and the daemon's real webhook routes. On the Cloud API
 * the follow-up is the template with its two quick-reply buttons, the "yes" is a signed button
 * tap and the slot is picked from an interactive list; on Evolution the same cycle is text.
 */

export interface GatewayTourOptions {
  gateway: "evolution" | "cloud";
  dbPath: string;
  realNow: Date;
  out: (line?: string) => void;
  color: ChalkInstance;
}

const ZONE = "America/Sao_Paulo";
const COMPANY = "clinica-sol";
const EVO_KEY = "demo-evolution-key";
const CLOUD_TOKEN = "demo-cloud-token";
const APP_SECRET = "demo-app-secret";
const PHONE_NUMBER_ID = "106540352242922";
const TEMPLATE = { name: "followup_reuniao", language: "pt_BR" };
const ANA = { externalId: "SOL-1", name: "Ana Souza", phone: "5511987650001" };
const BRUNO = { externalId: "SOL-2", name: "Bruno Lima", phone: "5511987650002" };
/** The template body as submitted for approval (README); Meta fills {{1}} and {{2}}. */
export const CLOUD_TEMPLATE_BODY = "Espero que tenha corrido tudo bem na reunião {{2}}, {{1}}. 😊\nGostaria de marcar o próximo encontro?";

export async function runGatewayTour(o: GatewayTourOptions): Promise<{ sent: number; booked: number }> {
  const { out, color: c } = o;
  const day = demoDay(o.realNow, ZONE);
  const clock = new ManualClock(atLocal(day, "07:00", ZONE));
  let db: Store | null = null;
  let evo: FakeEvolution | null = null;
  let cloud: FakeCloudApi | null = null;
  const whaticket = new WhaticketClient({ timeoutMs: 5_000 });
  const gateways = { evolution: new EvolutionClient({ timeoutMs: 5_000 }), cloud: new CloudClient({ timeoutMs: 5_000 }) };
  let server: Awaited<ReturnType<typeof startHttpServer>> | null = null;
  try {
    db = await openStore(o.dbPath, { create: true });
    await migrate(db, { now: clock.now });
    await setDaemonState(db, { demo: "1" }, clock.now().toISOString());
    if (o.gateway === "evolution") {
      evo = await startFakeEvolution({ apiKeys: [EVO_KEY], instances: [COMPANY] });
      await saveCompany(db, { id: COMPANY, name: "Clínica Sol", rateLimit: "0", gateway: "evolution", evolutionUrl: evo.url, evolutionApiKey: EVO_KEY, evolutionInstance: COMPANY }, clock.now);
      out(c.bold("secretaria demo --gateway evolution — Evolution API v2, offline"));
      out(`fake Evolution API on ${evo.url} (POST /message/sendText/${COMPANY}, header apikey); webhook POST /webhooks/evolution`);
    } else {
      cloud = await startFakeCloudApi({ accessTokens: [CLOUD_TOKEN], phoneNumberIds: [PHONE_NUMBER_ID], templates: [TEMPLATE] });
      await saveCompany(db, {
        id: COMPANY, name: "Clínica Sol", rateLimit: "0", gateway: "cloud", cloudPhoneNumberId: PHONE_NUMBER_ID, cloudAccessToken: CLOUD_TOKEN,
        cloudAppSecret: APP_SECRET, cloudVerifyToken: "demo-verify", cloudTemplate: TEMPLATE.name, cloudTemplateLanguage: TEMPLATE.language, cloudGraphBase: cloud.url,
      }, clock.now);
      out(c.bold("secretaria demo --gateway cloud — WhatsApp Cloud API (Meta), offline"));
      out(`fake Graph API on ${cloud.url} (POST /v21.0/${PHONE_NUMBER_ID}/messages); signed webhook POST /webhooks/whatsapp-cloud`);
    }
    const company = (await getCompany(db, COMPANY)) as CompanyRow;
    const store = db;
    await db.tx(async (t) => {
      const save = appointmentSaver(t, clock.now);
      for (const [p, start, end] of [[ANA, "09:00", "10:00"], [BRUNO, "10:30", "11:30"]] as const) {
        await save({ company_id: COMPANY, external_id: p.externalId, client_name: p.name, client_phone: p.phone, start_time: atLocal(day, start, ZONE).toISOString(), end_time: atLocal(day, end, ZONE).toISOString(), status: "booked", allow_followup: true }, company);
      }
    });
    out(`agenda ${day.toFormat("dd/MM")}: 09:00 ${ANA.name}, 10:30 ${BRUNO.name} (both with LGPD consent)`);

    const defaults = { url: null, token: null };
    const scheduler = createScheduler({ store: db, gateway: whaticket, gateways, clock: clock.now, logger: silentLogger, whaticketDefaults: defaults, rateLimit: 0 });
    server = await startHttpServer({
      host: "127.0.0.1", port: 0, logger: silentLogger,
      routes: [daemonWebhookRoutes({ store: db, clock: clock.now, logger: silentLogger, env: { SECRETARIA_WEBHOOK_TOKEN: DEMO_WEBHOOK_TOKEN }, gateway: whaticket, gateways, whaticketDefaults: defaults })],
    });
    const base = server.url;

    clock.set(atLocal(day, "12:45", ZONE));
    await scheduler.runOnce();
    out();
    out(c.bold("12:45 📤 follow-ups sent"));
    let shown = 0;
    const show = () => {
      const fresh = (evo?.received ?? cloud!.received).slice(shown);
      shown += fresh.length;
      for (const m of fresh) for (const line of renderOutgoing(m, c)) out(line);
    };
    show();

    let seq = 0;
    const tap = async (who: typeof ANA, what: { button?: string; text?: string; row?: { id: string; title: string } }, label: string) => {
      clock.set(new Date(clock.now().getTime() + 5 * 60_000));
      let status: number;
      if (cloud) {
        // Dated by the demo's clock: a message dated before the follow-up would be recorded, not applied.
        const common = { from: who.phone, id: `wamid.DEMO${++seq}`, phoneNumberId: PHONE_NUMBER_ID, timestamp: Math.floor(clock.now().getTime() / 1000) };
        const payload = what.row
          ? cloudInboundInteractive({ ...common, kind: "list_reply", replyId: what.row.id, title: what.row.title })
          : cloudInboundButton({ ...common, payload: what.button!, text: label });
        status = (await postCloudInbound(`${base}/webhooks/whatsapp-cloud`, APP_SECRET, payload)).status;
      } else {
        const res = await fetch(`${base}/webhooks/evolution?token=${DEMO_WEBHOOK_TOKEN}`, {
          method: "POST", headers: { "content-type": "application/json" },
          body: JSON.stringify({ event: "messages.upsert", instance: COMPANY, data: { key: { remoteJid: `${who.phone}@s.whatsapp.net`, fromMe: false, id: `EVODEMO${++seq}` }, pushName: who.name, message: { conversation: what.text }, messageType: "conversation" } }),
        });
        status = res.status;
      }
      out();
      out(`${c.bold(`👆 ${who.name}`)} ${cloud ? "taps" : "answers"} ${c.cyan(`“${cloud ? label : what.text ?? label}”`)} → webhook answered HTTP ${status}${cloud ? " (X-Hub-Signature-256 verified)" : ""}`);
      show();
    };

    await tap(ANA, { button: FOLLOWUP_YES, text: "Sim, quero marcar" }, "✅ Sim, quero marcar");
    const offer = cloud?.received.at(-1);
    const rows = offer ? listRows(offer.body) : [];
    const second = rows[1] ?? rows[0];
    await tap(ANA, second ? { row: second } : { text: "2" }, second ? second.title : "2");
    await tap(BRUNO, { button: FOLLOWUP_NO, text: "Não, obrigado" }, "❌ Não, obrigado");

    const ana = await findRow(store, ANA.externalId);
    const bruno = await findRow(store, BRUNO.externalId);
    out();
    out(`${ANA.name}: ${ana.followup_response} → booked appointment #${ana.followup_booked_appointment_id ?? "—"}; ${BRUNO.name}: ${bruno.followup_response}`);
    const sent = (evo?.received ?? cloud!.received).length;
    out(`${count(sent, "message")} through ${o.gateway === "cloud" ? "the fake Cloud API" : "the fake Evolution API"}; nothing left this machine.`);
    await scheduler.stop();
    return { sent, booked: ana.followup_booked_appointment_id ? 1 : 0 };
  } finally {
    await server?.close();
    await whaticket.close();
    gateways.evolution.close();
    gateways.cloud.close();
    await evo?.stop();
    await cloud?.stop();
    await db?.close();
  }
}

async function findRow(db: Store, externalId: string) {
  return (await findByExternalId(db, COMPANY, externalId))!;
}

function listRows(body: unknown): { id: string; title: string }[] {
  const b = body as { interactive?: { action?: { sections?: { rows?: { id: string; title: string }[] }[] } } };
  return b.interactive?.action?.sections?.[0]?.rows ?? [];
}

/** A message as the customer's phone shows it: text, the template with its buttons, or the list. */
function renderOutgoing(m: { number?: string; to?: string; text?: string; type?: string; body?: unknown }, c: ChalkInstance): string[] {
  const to = maskPhone(m.number ?? m.to ?? "");
  const lines: string[] = [];
  const body = m.body as Record<string, unknown> | undefined;
  if (m.type === "template") {
    const t = body!.template as { name: string; language: { code: string }; components: { type: string; parameters: { text?: string; payload?: string }[] }[] };
    const params = t.components.find((x) => x.type === "body")?.parameters.map((p) => p.text ?? "") ?? [];
    const text = CLOUD_TEMPLATE_BODY.replace("{{1}}", params[0] ?? "").replace("{{2}}", params[1] ?? "");
    lines.push(`      ┌─ WhatsApp → ${to}  ${c.dim(`template ${t.name} (${t.language.code}), {{1}}=${params[0]}, {{2}}=${params[1]}`)}`);
    for (const l of text.split("\n")) lines.push(`      │ ${l}`);
    const payloads = t.components.filter((x) => x.type === "button").map((x) => x.parameters[0]?.payload);
    lines.push(`      │ ${c.green("[ ✅ Sim, quero marcar ]")}  ${c.red("[ ❌ Não, obrigado ]")}  ${c.dim(`payloads ${payloads.join(" / ")}`)}`);
  } else if (m.type === "interactive") {
    const i = body!.interactive as { body: { text: string }; action: { button: string; sections: { rows: { id: string; title: string }[] }[] } };
    lines.push(`      ┌─ WhatsApp → ${to}  ${c.dim("interactive list")}`);
    for (const l of i.body.text.split("\n")) lines.push(`      │ ${l}`);
    lines.push(`      │ ${c.cyan(`[ ☰ ${i.action.button} ]`)}`);
    for (const r of i.action.sections[0]?.rows ?? []) lines.push(`      │    ○ ${r.title}  ${c.dim(r.id)}`);
  } else {
    lines.push(`      ┌─ WhatsApp → ${to}`);
    for (const l of (m.text ?? "").split("\n")) lines.push(`      │ ${l}`);
  }
  lines.push("      └─");
  return lines;
}
