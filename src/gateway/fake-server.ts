import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * What the three gateway fakes (Whaticket, Evolution API, Cloud API) share: a real HTTP server on
 * loopback, its sockets and timers (closed by stop(), held requests included), the request body
 * read with a size cap, answers after the configured latency, and the small JSON helpers. Each
 * fake keeps only its own routes, validation and answers.
 */
export abstract class FakeHttpServer {
  /** Distinct TCP connections accepted since start (or reset): shows whether clients keep sockets alive. */
  connectionsSeen = 0;

  private server: http.Server | null = null;
  private baseUrl: string | null = null;
  private stopping: Promise<void> | null = null;
  protected readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  protected constructor(
    /** The class name, for the errors of a misuse in a test. */
    protected readonly kind: string,
    private readonly listenOn: { host?: string; port?: number; latencyMs?: number },
  ) {}

  protected abstract handle(req: http.IncomingMessage, res: http.ServerResponse): void;

  /** Starts listening; returns the base URL (http://127.0.0.1:PORT). Calling it again returns the same URL. */
  async start(): Promise<string> {
    if (this.stopping) throw new Error(`${this.kind} was stopped; create a new one`);
    if (this.baseUrl) return this.baseUrl;
    const server = http.createServer((req, res) => this.handle(req, res));
    server.on("connection", (socket: Socket) => {
      this.connectionsSeen++;
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    // Clients in chaos tests break connections on purpose; that is not the fake's problem.
    server.on("clientError", (_err, socket) => socket.destroy());
    this.server = server;
    const host = this.listenOn.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.listenOn.port ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    this.baseUrl = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    return this.baseUrl;
  }

  /** The base URL; throws before start(). */
  get url(): string {
    if (!this.baseUrl) throw new Error(`${this.kind} is not started: await start() first`);
    return this.baseUrl;
  }

  /** Currently open TCP connections. */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** Closes the server and every socket, held ones included. Safe to call twice. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    const server = this.server;
    this.stopping = (async () => {
      for (const t of this.timers) clearTimeout(t);
      this.timers.clear();
      if (!server) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
      await closed;
    })();
    return this.stopping;
  }

  close(): Promise<void> {
    return this.stop();
  }

  setLatency(ms: number): void {
    this.listenOn.latencyMs = ms;
  }

  /** Reads the request body (null when it is over the cap), then calls `onBody`. */
  protected readBody(req: http.IncomingMessage, res: http.ServerResponse, onBody: (raw: string | null) => void): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on("end", () => onBody(size > MAX_REQUEST_BYTES ? null : Buffer.concat(chunks, size).toString("utf8")));
    req.on("error", () => res.destroy());
  }

  /** Runs `respond` after the configured latency (a timer stop() clears), or at once. */
  protected afterLatency(respond: () => void): void {
    const latency = this.listenOn.latencyMs ?? 0;
    if (latency <= 0) {
      respond();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      respond();
    }, latency);
    this.timers.add(timer);
  }

  /** Requests answered 2xx (respondWith counts them). */
  deliveredCount = 0;

  /** Answers `decision` after the latency: drop, hold (timeout), or the status with `bodyFor(status)`; `entry.status` records it. */
  protected respondWith(req: http.IncomingMessage, res: http.ServerResponse, decision: { failure: ProgrammedFailure; retryAfter?: string }, entry: { status: number }, bodyFor: (status: number) => unknown): void {
    this.afterLatency(() => {
      if (res.destroyed || res.writableEnded) return;
      if (decision.failure === "drop") {
        req.socket.destroy();
        return;
      }
      if (decision.failure === "timeout") return; // held: the client gives up, or stop() destroys the socket
      entry.status = decision.failure;
      if (decision.retryAfter !== undefined) res.setHeader("Retry-After", decision.retryAfter);
      if (decision.failure >= 200 && decision.failure < 300) this.deliveredCount++;
      reply(res, decision.failure, bodyFor(decision.failure));
    });
  }
}

const MAX_REQUEST_BYTES = 256 * 1024;

/** What a programmed failure answers: an HTTP status (with a body), or a broken exchange. */
export type ProgrammedFailure = number | "drop" | "timeout";

export interface ProgrammedFailOptions {
  /** How many requests this applies to. Default 1. */
  times?: number;
  /** Retry-After header value (seconds or an HTTP date). */
  retryAfter?: string | number;
}

export interface ProgrammedAnswer {
  failure: ProgrammedFailure;
  body?: unknown;
  retryAfter?: string;
}

/**
 * The programmable side the Evolution and Cloud API fakes share: failures for the next requests or
 * for one number, a revoked key, and per-number counters. Each fake decides its own answers.
 */
export abstract class ProgrammableFake extends FakeHttpServer {
  /** Requests that reached the send route, and those answered 2xx. */
  requestCount = 0;
  protected readonly nextFailures: ProgrammedAnswer[] = [];
  protected readonly numberFailures = new Map<string, ProgrammedAnswer>();
  protected rejectAll = false;
  private readonly countsByNumber = new Map<string, number>();

  /** The next request(s) answer `failure`: a status with `body` (default: the gateway's error for it), "drop" or "timeout". */
  failNext(failure: ProgrammedFailure, body?: unknown, opts: ProgrammedFailOptions = {}): void {
    const p = this.programmed(failure, body, opts);
    for (let i = 0; i < (opts.times ?? 1); i++) this.nextFailures.push(p);
  }

  /** Every send to this number answers `failure` until cleared or reset. */
  failNumber(number: string, failure: ProgrammedFailure, body?: unknown, opts: ProgrammedFailOptions = {}): void {
    this.numberFailures.set(digits(number), this.programmed(failure, body, opts));
  }

  /** When on, every request answers the gateway's 401 (a revoked key or token). */
  rejectTokens(on = true): void {
    this.rejectAll = on;
  }

  /** How many requests arrived for this number, whatever was answered. */
  countFor(number: string): number {
    return this.countsByNumber.get(digits(number)) ?? 0;
  }

  /** Counts one request for `number` (empty: counted in requestCount only). */
  protected countRequest(number: string): void {
    this.requestCount++;
    if (number !== "") this.countsByNumber.set(digits(number), (this.countsByNumber.get(digits(number)) ?? 0) + 1);
  }

  /** Forgets programmed failures and counters; options stay. */
  protected resetProgrammed(): void {
    this.nextFailures.length = 0;
    this.numberFailures.clear();
    this.countsByNumber.clear();
    this.rejectAll = false;
    this.requestCount = 0;
    this.deliveredCount = 0;
    this.connectionsSeen = this.sockets.size;
  }

  private programmed(failure: ProgrammedFailure, body: unknown, opts: ProgrammedFailOptions): ProgrammedAnswer {
    if (typeof failure === "number" && (!Number.isInteger(failure) || failure < 200 || failure > 599)) {
      throw new RangeError(`${this.kind}: status ${failure} is not an HTTP status between 200 and 599`);
    }
    const p: ProgrammedAnswer = { failure };
    if (body !== undefined) p.body = body;
    if (opts.retryAfter !== undefined) p.retryAfter = String(opts.retryAfter);
    return p;
  }
}

/** A JSON answer (a string payload goes out as text/plain; null as an empty body). */
export function reply(res: http.ServerResponse, status: number, payload: unknown): void {
  const text = payload === null ? "" : typeof payload === "string" ? payload : JSON.stringify(payload);
  res.statusCode = status;
  if (payload !== null) res.setHeader("Content-Type", typeof payload === "string" ? "text/plain; charset=utf-8" : "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.end(text);
}

export function bearerOf(header: string | undefined): string {
  if (!header) return "";
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  return m?.[1]?.trim() ?? "";
}

/** The parsed JSON, or undefined when it is not JSON. */
export function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function digits(number: string): string {
  return number.replace(/\D/g, "");
}
