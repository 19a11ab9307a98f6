import http from "node:http";
import { randomBytes } from "node:crypto";
import { digits, isRecord, ProgrammableFake, reply, type ProgrammedAnswer, type ProgrammedFailure } from "./fake-server.js";

/**
 * A fake Evolution API v2 server: a real HTTP server on loopback speaking
 * `POST /message/sendText/{instance}` with the `apikey` header, answering like Evolution v2.3.6
 * (see evolution-client.ts for the sources): 201 with the stored message, 404 for an unknown
 * instance (checked before the key, like instanceExistsGuard), 401 for a missing or wrong key,
 * 400 `{response: {message: [{exists: false, jid, number}]}}` for a number not on WhatsApp.
 * Failures are programmable and every request is recorded.
 */

/** What a programmed failure answers: an HTTP status (with a body), or a broken exchange. */
export type FakeEvolutionFailure = ProgrammedFailure;

export interface FakeEvolutionOptions {
  /** Accepted `apikey` values (the global key or instance tokens). When unset any non-empty key is accepted. */
  apiKeys?: string[];
  /** Instances that exist. Default ["secretaria"]. */
  instances?: string[];
  /** Delay before answering, in ms. Default 0. */
  latencyMs?: number;
  port?: number;
  host?: string;
  /** Keep every request in `received`. Default true. */
  record?: boolean;
}

export interface FakeEvolutionRequest {
  instance: string;
  number: string;
  text: string;
  /** The `apikey` header the client sent (so tests can check it). */
  apiKey: string;
  at: number;
  /** What the fake answered; 0 when it dropped or held the request. */
  status: number;
}

const SEND_ROUTE = /^\/message\/sendText\/([^/]+)$/;

/** The error body Evolution's express handler writes (src/main.ts). */
export function evolutionErrorBody(status: number, message: unknown): object {
  return { status, error: http.STATUS_CODES[status] ?? "Internal Server Error", response: { message } };
}

export class FakeEvolution extends ProgrammableFake {
  readonly options: FakeEvolutionOptions;
  readonly received: FakeEvolutionRequest[] = [];
  private readonly notOnWhatsApp = new Set<string>();

  constructor(options: FakeEvolutionOptions = {}) {
    const own = { ...options };
    super("FakeEvolution", own);
    this.options = own;
  }

  /** This number is not on WhatsApp: 400 with `[{exists: false, jid, number}]`, as Evolution answers. */
  markNotOnWhatsApp(number: string): void {
    this.notOnWhatsApp.add(digits(number));
  }

  clearNumber(number: string): void {
    this.numberFailures.delete(digits(number));
    this.notOnWhatsApp.delete(digits(number));
  }

  /** Forgets requests and programmed failures; options stay. */
  reset(): void {
    this.received.length = 0;
    this.notOnWhatsApp.clear();
    this.resetProgrammed();
  }

  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const route = SEND_ROUTE.exec(path);
    if (!route || req.method !== "POST") {
      req.resume();
      reply(res, 404, evolutionErrorBody(404, [`Cannot ${req.method ?? "GET"} ${path}`]));
      return;
    }
    let instance: string;
    try {
      instance = decodeURIComponent(route[1]!);
    } catch {
      instance = route[1]!;
    }
    this.readBody(req, res, (raw) => this.answer(req, res, instance, raw));
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse, instance: string, raw: string | null): void {
    const header = req.headers.apikey;
    const apiKey = typeof header === "string" ? header : "";
    let parsed: unknown;
    try {
      parsed = raw === null ? undefined : (JSON.parse(raw) as unknown);
    } catch {
      parsed = undefined;
    }
    const fields = isRecord(parsed) ? parsed : {};
    const number = typeof fields.number === "string" ? fields.number : "";
    const text = typeof fields.text === "string" ? fields.text : "";
    const entry: FakeEvolutionRequest = { instance, number, text, apiKey, at: Date.now(), status: 0 };
    this.countRequest(number);
    if (this.options.record !== false) this.received.push(entry);

    const decision = this.decide(instance, apiKey, raw, parsed, number, text);
    this.respondWith(req, res, decision, entry, (status) => decision.body ?? evolutionErrorBody(status, defaultMessage(status)));
  }

  /** Order as Evolution: programmed failures, instance guard, apikey guard, validation, number check, send. */
  private decide(instance: string, apiKey: string, raw: string | null, parsed: unknown, number: string, text: string): ProgrammedAnswer {
    const next = this.nextFailures.shift();
    if (next) return next;
    const instances = this.options.instances ?? ["secretaria"];
    if (!instances.includes(instance)) return { failure: 404, body: evolutionErrorBody(404, [`The "${instance}" instance does not exist`]) };
    const keys = this.options.apiKeys;
    if (this.rejectAll || apiKey === "" || (keys !== undefined && !keys.includes(apiKey))) {
      return { failure: 401, body: evolutionErrorBody(401, "Unauthorized") };
    }
    if (raw === null) return { failure: 413, body: evolutionErrorBody(413, ["request entity too large"]) };
    if (!isRecord(parsed)) return { failure: 400, body: evolutionErrorBody(400, ["instance is not of a type(s) object"]) };
    if (!/^\d{8,15}$/.test(number)) return { failure: 400, body: evolutionErrorBody(400, ['"number" must be a phone number with the country code']) };
    if (text.trim() === "") return { failure: 400, body: evolutionErrorBody(400, ["Text is required"]) };
    const d = digits(number);
    const perNumber = this.numberFailures.get(d);
    if (perNumber) return perNumber;
    if (this.notOnWhatsApp.has(d)) {
      return { failure: 400, body: evolutionErrorBody(400, [{ jid: `${d}@s.whatsapp.net`, exists: false, number: d }]) };
    }
    const now = Math.floor(Date.now() / 1000);
    return {
      failure: 201,
      body: {
        key: { remoteJid: `${d}@s.whatsapp.net`, fromMe: true, id: `3EB0${randomBytes(8).toString("hex").toUpperCase()}` },
        pushName: "",
        status: "PENDING",
        message: { conversation: text },
        messageType: "conversation",
        messageTimestamp: now,
        instanceId: `fake-${instance}`,
        source: "unknown",
      },
    };
  }
}

export async function startFakeEvolution(opts: FakeEvolutionOptions = {}): Promise<FakeEvolution> {
  const fake = new FakeEvolution(opts);
  await fake.start();
  return fake;
}

function defaultMessage(status: number): unknown {
  if (status === 401) return "Unauthorized";
  if (status === 429) return ["rate-overlimit"];
  if (status >= 500) return "Internal Server Error";
  return ["Bad Request"];
}



