import type http from "node:http";
import { seededRandom as mulberry32 } from "../domain/random.js";
import { bearerOf, digits, FakeHttpServer, isRecord, parseJson, reply } from "./fake-server.js";

/**
 * A fake Whaticket backend: a real HTTP server on loopback speaking `POST /api/messages/send`,
 * for the test suite, the `demo` command and the benchmarks. Failures are programmable
 * (next n requests, per number, seeded random faults) and every request is recorded.
 */

/** What a programmed failure answers: an HTTP status, or a broken exchange. */
export type FakeFailure = number | "drop" | "timeout";

export interface FakeFailureOptions {
  /** Retry-After header value (seconds, or an HTTP date), for 429/503. */
  retryAfter?: string | number;
}

export interface FaultRates {
  /** Probability per request of a 500 ERR_INTERNAL. */
  status500?: number;
  /** Probability per request of never answering (the socket is held until the client gives up or stop()). */
  timeout?: number;
  /** Probability per request of destroying the socket without an answer. */
  drop?: number;
}

export interface FakeWhaticketOptions {
  /** Expected bearer token; when unset any non-empty bearer is accepted. */
  token?: string;
  /** Delay before answering, in ms. Default 0. */
  latencyMs?: number;
  /** Answer 200 with an empty body like upstream Whaticket, instead of a fork's JSON message. Default false. */
  emptyBody?: boolean;
  /** Seed of the PRNG that drives setFaultRates. Default 1. */
  seed?: number;
  port?: number;
  host?: string;
  /** Keep every request in `received` (countFor and the counters work either way). Default true; benchmarks turn it off. */
  record?: boolean;
}

export interface ReceivedMessage {
  number: string;
  body: string;
  whatsappId?: string;
  /** The bearer token the client sent (so tests can check it). */
  token: string;
  /** Date.now() when the request was read. */
  at: number;
  /** What the fake answered; 0 when it dropped or held the request. */
  status: number;
}

interface ProgrammedFailure {
  failure: FakeFailure;
  errorCode?: string;
  retryAfter?: string;
}

const SEND_PATH = "/api/messages/send";

export class FakeWhaticket extends FakeHttpServer {
  readonly options: FakeWhaticketOptions;
  /** Every request that reached the send route, in arrival order (when `record` is on). */
  readonly received: ReceivedMessage[] = [];
  /** Requests that reached the send route, and those answered 2xx. */
  requestCount = 0;

  private readonly countsByNumber = new Map<string, number>();
  private readonly deliveredByNumber = new Map<string, number>();
  private readonly nextFailures: ProgrammedFailure[] = [];
  private readonly numberFailures = new Map<string, ProgrammedFailure>();
  private faultRates: Required<FaultRates> = { status500: 0, timeout: 0, drop: 0 };
  private rejectAll = false;
  private random: () => number;
  private nextId = 1;

  constructor(options: FakeWhaticketOptions = {}) {
    const own = { ...options };
    super("FakeWhaticket", own);
    this.options = own;
    this.random = mulberry32(options.seed ?? 1);
  }

  /** The next n requests answer `failure` (an HTTP status with `{"error": errorCode}`, "drop" or "timeout"). */
  failNext(n: number, failure: FakeFailure, errorCode?: string, opts: FakeFailureOptions = {}): void {
    const programmed = programmedFailure(failure, errorCode, opts);
    for (let i = 0; i < n; i++) this.nextFailures.push(programmed);
  }

  /** Every request for this number answers `failure` (e.g. 400 ERR_WAPP_INVALID_CONTACT), until reset or cleared. */
  failNumber(number: string, failure: FakeFailure, errorCode?: string, opts: FakeFailureOptions = {}): void {
    this.numberFailures.set(digits(number), programmedFailure(failure, errorCode, opts));
  }

  clearNumberFailure(number: string): void {
    this.numberFailures.delete(digits(number));
  }

  /** Per-request probabilities of random faults, drawn from the seeded PRNG (reproducible chaos). */
  setFaultRates(rates: FaultRates, seed?: number): void {
    this.faultRates = { status500: rates.status500 ?? 0, timeout: rates.timeout ?? 0, drop: rates.drop ?? 0 };
    if (seed !== undefined) this.random = mulberry32(seed);
  }

  /** When on, every request answers 401 (a revoked token). */
  rejectTokens(on = true): void {
    this.rejectAll = on;
  }

  /** How many requests arrived for this number, whatever was answered. */
  countFor(number: string): number {
    return this.countsByNumber.get(digits(number)) ?? 0;
  }

  /** How many requests for this number were answered 2xx (messages the customer would have received). */
  deliveredTo(number: string): number {
    return this.deliveredByNumber.get(digits(number)) ?? 0;
  }

  /** Forgets what was received and every programmed failure; options (token, latency) stay. */
  reset(): void {
    this.received.length = 0;
    this.countsByNumber.clear();
    this.deliveredByNumber.clear();
    this.nextFailures.length = 0;
    this.numberFailures.clear();
    this.faultRates = { status500: 0, timeout: 0, drop: 0 };
    this.rejectAll = false;
    this.requestCount = 0;
    this.deliveredCount = 0;
    this.connectionsSeen = this.sockets.size;
    this.random = mulberry32(this.options.seed ?? 1);
  }

  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== SEND_PATH) {
      req.resume();
      reply(res, 404, { error: "ERR_NOT_FOUND" });
      return;
    }
    if (req.method !== "POST") {
      req.resume();
      res.setHeader("Allow", "POST");
      reply(res, 405, { error: "ERR_METHOD_NOT_ALLOWED" });
      return;
    }
    this.readBody(req, res, (raw) => this.answer(req, res, raw));
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse, raw: string | null): void {
    const token = bearerOf(req.headers.authorization);
    const parsed = raw === null ? null : parseJson(raw);
    const fields = isRecord(parsed) ? parsed : {};
    const number = typeof fields.number === "string" ? fields.number : "";
    const body = typeof fields.body === "string" ? fields.body : "";
    const whatsappId =
      typeof fields.whatsappId === "string" || typeof fields.whatsappId === "number" ? String(fields.whatsappId) : undefined;

    const entry: ReceivedMessage = { number, body, token, at: Date.now(), status: 0 };
    if (whatsappId !== undefined) entry.whatsappId = whatsappId;
    this.requestCount++;
    if (number !== "") this.countsByNumber.set(number, (this.countsByNumber.get(number) ?? 0) + 1);
    if (this.options.record !== false) this.received.push(entry);

    const decision = this.decide(token, raw, parsed, number, body);
    this.respondWith(req, res, decision, entry, (status) => {
      if (status < 200 || status >= 300) return { error: decision.errorCode ?? defaultErrorCode(status) };
      this.deliveredByNumber.set(number, (this.deliveredByNumber.get(number) ?? 0) + 1);
      return this.options.emptyBody ? null : { id: `fake-${this.nextId++}`, ack: 0, fromMe: true, body, number, mediaType: "chat", timestamp: Math.floor(entry.at / 1000) };
    });
  }

  /** Order: programmed next failures, random faults, auth, validation, per-number failures, success. */
  private decide(token: string, raw: string | null, parsed: unknown, number: string, body: string): ProgrammedFailure {
    const next = this.nextFailures.shift();
    if (next) return next;
    const rates = this.faultRates;
    if (rates.drop > 0 || rates.timeout > 0 || rates.status500 > 0) {
      const r = this.random();
      if (r < rates.drop) return { failure: "drop" };
      if (r < rates.drop + rates.timeout) return { failure: "timeout" };
      if (r < rates.drop + rates.timeout + rates.status500) return { failure: 500, errorCode: "ERR_INTERNAL" };
    }
    if (this.rejectAll || token === "" || (this.options.token !== undefined && token !== this.options.token)) {
      return { failure: 401, errorCode: "ERR_SESSION_EXPIRED" };
    }
    if (raw === null) return { failure: 413, errorCode: "ERR_PAYLOAD_TOO_LARGE" };
    if (!isRecord(parsed)) return { failure: 400, errorCode: "ERR_INVALID_JSON" };
    if (!/^\d{8,15}$/.test(number)) return { failure: 400, errorCode: "ERR_INVALID_NUMBER" };
    if (body.trim() === "") return { failure: 400, errorCode: "ERR_INVALID_BODY" };
    const perNumber = this.numberFailures.get(number);
    if (perNumber) return perNumber;
    return { failure: 200 };
  }
}

/** Creates and starts a fake in one call. */
export async function startFakeWhaticket(opts: FakeWhaticketOptions = {}): Promise<FakeWhaticket> {
  const fake = new FakeWhaticket(opts);
  await fake.start();
  return fake;
}

function programmedFailure(failure: FakeFailure, errorCode: string | undefined, opts: FakeFailureOptions): ProgrammedFailure {
  if (typeof failure === "number" && (!Number.isInteger(failure) || failure < 200 || failure > 599)) {
    throw new RangeError(`FakeWhaticket: status ${failure} is not an HTTP status between 200 and 599`);
  }
  const p: ProgrammedFailure = { failure };
  if (errorCode !== undefined) p.errorCode = errorCode;
  if (opts.retryAfter !== undefined) p.retryAfter = String(opts.retryAfter);
  return p;
}

function defaultErrorCode(status: number): string {
  if (status === 401 || status === 403) return "ERR_SESSION_EXPIRED";
  if (status === 404) return "ERR_NOT_FOUND";
  if (status === 429) return "ERR_TOO_MANY_REQUESTS";
  if (status >= 500) return "ERR_INTERNAL";
  return "ERR_BAD_REQUEST";
}
