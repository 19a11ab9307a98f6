import { performance } from "node:perf_hooks";
import { Agent, errors as undiciErrors, type Dispatcher } from "undici";
import { classifyResponse, type OutgoingMessage, type SendOutcome, type WhaticketGateway, type WhaticketTarget } from "./whaticket.js";

export interface WhaticketClientOptions {
  /** Deadline in ms until Whaticket's answer (connect + send + status line). Default 10 000. */
  timeoutMs?: number;
  /** Concurrent connections per Whaticket host; size it from the daemon's concurrency. Default 64. */
  maxSockets?: number;
  /**
   * Idle keep-alive connections are closed after this many ms. Kept below Node/Express's 5 s server
   * keep-alive so we do not reuse a socket the server is closing (a spurious ECONNRESET). Default 4 000.
   */
  idleSocketMs?: number;
  /** Sent as User-Agent. */
  userAgent?: string;
}

const SEND_PATH = "/api/messages/send";
/** Forks answer a small JSON; anything much larger is not a Whaticket answer and must not fill memory. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
/**
 * Once a 2xx status line has arrived the message is delivered: the body (a message id at most)
 * gets this long, and a slow, broken or oversized body never turns the delivery into a retry.
 */
const SENT_BODY_MS = 2_000;

interface Endpoint {
  origin: string;
  path: string;
}

/**
 * The real gateway: undici over a keep-alive pool per Whaticket origin, shared by every company.
 * The hot path does per message only what differs per message: endpoints and headers are built
 * once per base URL and token.
 */
export class WhaticketClient implements WhaticketGateway {
  private readonly timeoutMs: number;
  private readonly agent: Agent;
  private readonly userAgent: string;
  private readonly endpoints = new Map<string, Endpoint | null>();
  private readonly headers = new Map<string, Record<string, string>>();

  constructor(options: WhaticketClientOptions = {}) {
    this.timeoutMs = positiveOr(options.timeoutMs, 10_000);
    this.userAgent = options.userAgent ?? "secretaria";
    this.agent = new Agent({
      connections: positiveOr(options.maxSockets, 64),
      keepAliveTimeout: positiveOr(options.idleSocketMs, 4_000),
      keepAliveMaxTimeout: positiveOr(options.idleSocketMs, 4_000),
      pipelining: 1,
      connect: { timeout: this.timeoutMs },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      maxResponseSize: MAX_RESPONSE_BYTES,
    });
  }

  private endpoint(base: string): Endpoint | null {
    let e = this.endpoints.get(base);
    if (e === undefined) {
      const url = sendEndpoint(base);
      e = url ? { origin: new URL(url).origin, path: new URL(url).pathname + new URL(url).search } : null;
      if (this.endpoints.size > 1000) this.endpoints.clear();
      this.endpoints.set(base, e);
    }
    return e;
  }

  private headersFor(token: string): Record<string, string> {
    let h = this.headers.get(token);
    if (!h) {
      h = { "content-type": "application/json", accept: "application/json, text/plain, */*", "user-agent": this.userAgent, authorization: `Bearer ${token}` };
      if (this.headers.size > 1000) this.headers.clear();
      this.headers.set(token, h);
    }
    return h;
  }

  async send(target: WhaticketTarget, msg: OutgoingMessage): Promise<SendOutcome> {
    const started = performance.now();
    const elapsed = (): number => Math.round((performance.now() - started) * 1000) / 1000;

    const endpoint = this.endpoint(target.url);
    if (!endpoint) {
      return { kind: "config", status: 0, error: "invalid Whaticket URL: expected http(s)://host[:port][/path]", durationMs: elapsed() };
    }
    const token = target.token.trim();
    if (token === "") {
      return { kind: "config", status: 0, error: "Whaticket token is empty", durationMs: elapsed() };
    }
    const number = msg.number.replace(/\D/g, "");
    if (number === "") {
      return { kind: "permanent", status: 0, error: "ERR_INVALID_NUMBER (no digits; not sent)", durationMs: elapsed() };
    }
    const payload: { number: string; body: string; whatsappId?: string } = { number, body: msg.body };
    const whatsappId = target.whatsappId == null ? "" : String(target.whatsappId).trim();
    if (whatsappId !== "") payload.whatsappId = whatsappId;

    let res: Dispatcher.ResponseData;
    try {
      res = await this.agent.request({
        origin: endpoint.origin,
        path: endpoint.path,
        method: "POST",
        headers: this.headersFor(token),
        body: JSON.stringify(payload),
      });
    } catch (err) {
      const error = isTimeout(err) ? `timeout after ${this.timeoutMs} ms` : describeNetworkError(err);
      return { kind: "transient", error: redact(error, token), durationMs: elapsed() };
    }
    const status = res.statusCode;
    const delivered = status >= 200 && status < 300;
    // A delivered message stays delivered whatever happens to its body.
    const text = await readBody(res.body, delivered ? SENT_BODY_MS : this.timeoutMs).catch(() => (delivered ? "" : null));
    if (text === null) {
      return { kind: "transient", status, error: redact(`HTTP ${status} (answer unreadable)`, token), durationMs: elapsed() };
    }
    const retryAfter = res.headers["retry-after"];
    const classified = classifyResponse(status, text, typeof retryAfter === "string" ? retryAfter : null, new Date());
    const outcome = { ...classified, durationMs: elapsed() } as SendOutcome;
    if ("error" in outcome) outcome.error = redact(outcome.error, token);
    return outcome;
  }

  async close(): Promise<void> {
    await this.agent.destroy().catch(() => undefined);
  }
}

/** The body as text within `ms`; rejects on a timeout, a broken connection or more than MAX_RESPONSE_BYTES. */
async function readBody(body: AsyncIterable<Buffer> & { destroy(err?: Error): unknown }, ms: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  const read = (async () => {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) throw new Error("response too large");
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString("utf8");
  })();
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("body timeout")), ms);
  });
  try {
    return await Promise.race([read, limit]);
  } catch (err) {
    body.destroy();
    read.catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

function isTimeout(err: unknown): boolean {
  return (
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    /TIMEOUT/.test(errorCode(err) ?? "")
  );
}

/** `{base}/api/messages/send`; a base that already ends with that path is used as is. Null when not http(s). */
export function sendEndpoint(baseUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  const path = url.pathname.replace(/\/+$/, "");
  url.pathname = path.endsWith(SEND_PATH) ? path : `${path}${SEND_PATH}`;
  return url.toString();
}

/**
 * A short name for a failure before any HTTP answer. Built from error codes only: client errors
 * may carry the request (headers with the token), so their message and fields are never echoed.
 */
export function describeNetworkError(err: unknown): string {
  const code = errorCode(err);
  if (code === "ERR_BAD_RESPONSE" || code === "ERR_BAD_REQUEST") {
    // axios used these for a local failure such as an oversized answer; say what, not the message.
    const message = err instanceof Error ? err.message : "";
    return message.includes("maxContentLength") ? "response too large" : code;
  }
  if (code === "UND_ERR_RES_EXCEEDED_MAX_SIZE") return "response too large";
  // undici's own names for a dropped connection read like Node's.
  if (code === "UND_ERR_SOCKET" || code === "UND_ERR_CLOSED") return "ECONNRESET (socket closed)";
  if (code) return code;
  return "network error";
}

function errorCode(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = err;
  // The code may sit on the error, on its cause, or on the first error of an AggregateError (happy eyeballs).
  while (current !== null && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    const c = (current as { code?: unknown }).code;
    if (typeof c === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(c)) return c;
    const errors = (current as { errors?: unknown }).errors;
    current = Array.isArray(errors) && errors.length > 0 ? errors[0] : (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Defence in depth: whatever the other side echoes, the token does not reach logs or the database. */
function redact(text: string, token: string): string {
  return token.length >= 4 && text.includes(token) ? text.split(token).join("***") : text;
}

function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}
