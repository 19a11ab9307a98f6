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
    private readonly kind: string,
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
}

const MAX_REQUEST_BYTES = 256 * 1024;

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
