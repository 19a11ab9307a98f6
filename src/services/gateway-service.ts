import type { WhaticketDefaults } from "../config.js";
import { firstName, followupMessage, formatSlotPtBR, sendDayOf, whenPhraseOn, type SendDay } from "../domain/messages.js";
import { CloudClient, followupTemplateMessage, slotOfferMessage, type CloudGateway, type CloudTarget } from "../gateway/cloud-client.js";
import { EvolutionClient, type EvolutionGateway, type EvolutionTarget } from "../gateway/evolution-client.js";
import type { OutgoingMessage, SendOutcome, WhaticketGateway, WhaticketTarget } from "../gateway/whaticket.js";
import type { AppointmentRow } from "../store/appointments.js";
import type { GatewayKind } from "../store/company-gateways.js";
/** Which company an inbound gateway webhook is for (Cloud API phone number id, Evolution instance). */
export { cloudCompanies, companyByCloudPhoneNumberId, companyByEvolutionInstance } from "../store/company-gateways.js";
import { listCompanies, type CompanyRow } from "../store/companies.js";
import { pauseCompany, unpauseCompany } from "../store/followups.js";
import type { Q } from "../store/store.js";
import type { Logger } from "../logger.js";
import { missingTargetReason, resolveTarget } from "./whaticket-target.js";
import { companySecretOrNull, secretProblem } from "./company-secrets.js";
import type { ReplySender } from "./reply-service.js";

/**
 * Which WhatsApp gateway a company sends through, and how each kind of message goes out on it.
 * Every path answers the same SendOutcome classes (sent / permanent / config / transient), so
 * consent, quiet hours, the rate budget, retries, pauses, audit and metrics stay the caller's and
 * apply alike to Whaticket, Evolution API and the Cloud API.
 *
 * - follow-up: the text on Whaticket and Evolution; the company's approved template with the
 *   first name, "de hoje / de ontem" and the two quick-reply buttons on the Cloud API;
 * - slot offer: the text with numbered slots, or an interactive list (rows SLOT_1..n) on the Cloud API;
 * - any other answer: free text.
 */

export type RoutedTarget =
  | { gateway: "whaticket"; whaticket: WhaticketTarget }
  | { gateway: "evolution"; evolution: EvolutionTarget }
  | { gateway: "cloud"; cloud: CloudTarget };

export function gatewayOf(company: Pick<CompanyRow, "gateway">): GatewayKind {
  return company.gateway ?? "whaticket";
}

/** The company's target on its gateway (Whaticket falls back to WHATICKET_URL / WHATICKET_TOKEN); null when incomplete. */
export function resolveCompanyTarget(company: CompanyRow, defaults: WhaticketDefaults): RoutedTarget | null {
  switch (gatewayOf(company)) {
    case "whaticket": {
      const t = resolveTarget(company, defaults);
      return t ? { gateway: "whaticket", whaticket: t } : null;
    }
    case "evolution": {
      const url = company.evolution_url?.trim();
      const apiKey = companySecretOrNull(company, "evolution_api_key")?.trim();
      const instance = company.evolution_instance?.trim();
      return url && apiKey && instance ? { gateway: "evolution", evolution: { url, apiKey, instance } } : null;
    }
    case "cloud": {
      const phoneNumberId = company.cloud_phone_number_id?.trim();
      const accessToken = companySecretOrNull(company, "cloud_access_token")?.trim();
      if (!phoneNumberId || !accessToken) return null;
      const cloud: CloudTarget = { phoneNumberId, accessToken };
      if (company.cloud_graph_base) cloud.graphBase = company.cloud_graph_base;
      if (company.cloud_template_name && company.cloud_template_language) {
        cloud.followupTemplate = { name: company.cloud_template_name, language: company.cloud_template_language };
      }
      return { gateway: "cloud", cloud };
    }
  }
}

/** Why a company cannot send on its gateway, naming the flags that fix it; null when it can. */
export function missingCompanyTargetReason(company: CompanyRow, defaults: WhaticketDefaults): string | null {
  const id = company.id;
  switch (gatewayOf(company)) {
    case "whaticket":
      return missingTargetReason(company, defaults);
    case "evolution": {
      const unreadable = secretProblem(company, ["evolution_api_key"]);
      if (unreadable) return unreadable;
      const missing = [
        company.evolution_url?.trim() ? null : "--evolution-url URL",
        company.evolution_api_key?.trim() ? null : "--evolution-api-key KEY",
        company.evolution_instance?.trim() ? null : "--evolution-instance NAME",
      ].filter((m): m is string => m !== null);
      return missing.length ? `company ${id} uses Evolution API but lacks settings: run \`secretaria companies add --id ${id} ${missing.join(" ")}\`` : null;
    }
    case "cloud": {
      const unreadable = secretProblem(company, ["cloud_access_token"]);
      if (unreadable) return unreadable;
      const missing = [
        company.cloud_phone_number_id?.trim() ? null : "--cloud-phone-number-id ID",
        company.cloud_access_token?.trim() ? null : "--cloud-access-token TOKEN",
      ].filter((m): m is string => m !== null);
      return missing.length ? `company ${id} uses the WhatsApp Cloud API but lacks settings: run \`secretaria companies add --id ${id} ${missing.join(" ")}\`` : null;
    }
  }
}

/** The one line the daemon refuses to start with when some company cannot send; null when all can. */
export function missingGatewayConfig(companies: CompanyRow[], defaults: WhaticketDefaults): string | null {
  const problems = companies.map((c) => ({ id: c.id, reason: missingCompanyTargetReason(c, defaults) })).filter((p) => p.reason !== null);
  if (!problems.length) return null;
  const others = problems.slice(1).map((p) => p.id);
  return others.length ? `${problems[0]!.reason} (also: ${others.slice(0, 5).join(", ")}${others.length > 5 ? ", …" : ""})` : problems[0]!.reason;
}

/** The gateway's name in operator messages. */
export function gatewayName(company: Pick<CompanyRow, "gateway">): string {
  return { whaticket: "Whaticket", evolution: "Evolution API", cloud: "The WhatsApp Cloud API" }[gatewayOf(company)];
}

/** What the operator should check when the gateway refused the company's setup. */
export function gatewayConfigFix(company: CompanyRow): string {
  const id = company.id;
  switch (gatewayOf(company)) {
    case "whaticket":
      return `check the Whaticket token and WhatsApp connection: secretaria companies add --id ${id} --whaticket-token TOKEN (or WHATICKET_TOKEN)`;
    case "evolution":
      return `check the Evolution URL, API key and instance (connected?): secretaria companies add --id ${id} --evolution-api-key KEY --evolution-instance NAME`;
    case "cloud":
      return `check the Cloud API access token, phone number id and approved template: secretaria companies add --id ${id} --cloud-access-token TOKEN --cloud-template NAME`;
  }
}

/** A follow-up with what the Cloud API template needs besides the text. */
export interface FollowupContent extends OutgoingMessage {
  /** {{1}}: the client's first name ("cliente" when the name holds none). */
  firstName: string;
  /** {{2}}: "de hoje", "de ontem" or "do dia dd/MM". */
  dayText: string;
}

export function followupContent(
  row: Pick<AppointmentRow, "client_name" | "client_phone" | "end_time">,
  company: Pick<CompanyRow, "timezone" | "followup_template">,
  sendAt: Date,
  day?: SendDay,
): FollowupContent {
  const end = new Date(row.end_time);
  const body = followupMessage({ clientName: row.client_name, appointmentEnd: end, sendAt, timezone: company.timezone, template: company.followup_template, day });
  const sendDay = day && sendAt.getTime() >= day.todayStartMs && sendAt.getTime() < day.tomorrowStartMs ? day : sendDayOf(sendAt, company.timezone);
  return { number: row.client_phone, body, firstName: firstName(row.client_name) ?? "cliente", dayText: whenPhraseOn(end, sendDay) };
}

export interface SlotOfferContent extends OutgoingMessage {
  slots: Date[];
  timezone: string;
}

export interface GatewaySet {
  whaticket: WhaticketGateway;
  evolution?: EvolutionGateway;
  cloud?: CloudGateway;
}

/**
 * Sends through the gateway a target names. Evolution and Cloud clients not handed in are created
 * on first use and closed by close(); the ones handed in belong to the caller.
 */
export class GatewayRouter {
  private evolution: EvolutionGateway | null;
  private cloud: CloudGateway | null;
  private readonly owned: { close(): Promise<void> | void }[] = [];

  constructor(private readonly gateways: GatewaySet) {
    this.evolution = gateways.evolution ?? null;
    this.cloud = gateways.cloud ?? null;
  }

  sendFollowup(target: RoutedTarget, msg: FollowupContent): Promise<SendOutcome> {
    if (target.gateway === "cloud") {
      return safely(() => this.cloudGateway().sendTemplate(target.cloud, followupTemplateMessage({ number: msg.number, firstName: msg.firstName, dayText: msg.dayText })));
    }
    return this.sendText(target, { number: msg.number, body: msg.body });
  }

  sendText(target: RoutedTarget, msg: OutgoingMessage): Promise<SendOutcome> {
    const plain = { number: msg.number, body: msg.body };
    switch (target.gateway) {
      case "whaticket":
        return safely(() => this.gateways.whaticket.send(target.whaticket, plain));
      case "evolution":
        return safely(() => this.evolutionGateway().send(target.evolution, plain));
      case "cloud":
        return safely(() => this.cloudGateway().send(target.cloud, plain));
    }
  }

  /** Inside the 24-hour window the Cloud API shows the slots as an interactive list; elsewhere the numbered text. */
  sendSlotOffer(target: RoutedTarget, msg: SlotOfferContent): Promise<SendOutcome> {
    if (target.gateway !== "cloud" || msg.slots.length === 0) return this.sendText(target, msg);
    const header = msg.body.split("\n")[0]!.trim();
    const offer = slotOfferMessage({
      number: msg.number,
      body: `${header}\nToque em "Ver horários" e escolha um.`,
      slots: msg.slots.map((s) => ({ title: formatSlotPtBR(s, msg.timezone) })),
      style: "list",
      sectionTitle: "Horários livres",
    });
    return safely(() => this.cloudGateway().sendInteractive(target.cloud, offer));
  }

  async close(): Promise<void> {
    for (const g of this.owned.splice(0)) await g.close();
  }

  private evolutionGateway(): EvolutionGateway {
    if (!this.evolution) this.owned.push((this.evolution = new EvolutionClient()));
    return this.evolution;
  }

  private cloudGateway(): CloudGateway {
    if (!this.cloud) this.owned.push((this.cloud = new CloudClient()));
    return this.cloud;
  }
}

/** The gateways promise not to throw; if one does anyway, retry later rather than lose the row. */
async function safely(send: () => Promise<SendOutcome>): Promise<SendOutcome> {
  try {
    return await send();
  } catch (err) {
    return { kind: "transient", error: `gateway error: ${(err as Error)?.name ?? "Error"}`, durationMs: 0 };
  }
}

/** The bot's answers through each company's own gateway; slot offers as a list on the Cloud API. */
export function gatewayReplySender(router: GatewayRouter, defaults: WhaticketDefaults): ReplySender {
  return {
    async send(company, phone, body, offer) {
      const target = resolveCompanyTarget(company, defaults);
      if (!target) return { kind: "config", status: 0, error: missingCompanyTargetReason(company, defaults) ?? "no gateway target", durationMs: 0 };
      if (offer && offer.slots.length > 0) return router.sendSlotOffer(target, { number: phone, body, slots: offer.slots, timezone: company.timezone });
      return router.sendText(target, { number: phone, body });
    },
  };
}

/**
 * A pause reason written for missing gateway settings or a secret that cannot be decrypted (so a
 * restart with the settings or the key in place lifts it).
 */
const CONFIG_PAUSE = /^company \S+ (has no |uses .* but lacks settings)|^company \S+'s .* (is encrypted but|was encrypted with another key|does not decrypt|is stored in a form)/;

/**
 * At a daemon's start: each company without a usable gateway target is paused with the reason (logged once);
 * one paused for that reason earlier whose settings are now complete (e.g. WHATICKET_URL set) is
 * resumed. Returns the ids paused.
 */
export async function pauseUnconfiguredCompanies(store: Q, defaults: WhaticketDefaults, now: string, logger: Logger): Promise<string[]> {
  const paused: string[] = [];
  for (const c of await listCompanies(store)) {
    const reason = missingCompanyTargetReason(c, defaults);
    if (reason) {
      if (c.paused_reason !== reason) await pauseCompany(store, { companyId: c.id, reason, now });
      logger.warn("company_paused", { company: c.id, reason });
      paused.push(c.id);
    } else if (c.paused_reason && CONFIG_PAUSE.test(c.paused_reason)) {
      await unpauseCompany(store, c.id);
      logger.info("company_resumed", { company: c.id, reason: "gateway settings complete" });
    }
  }
  return paused;
}
