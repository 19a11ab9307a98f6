import http from "node:http";
import https from "node:https";
import { performance } from "node:perf_hooks";
import axios, { type AxiosInstance } from "axios";
import { classifyResponse, type OutgoingMessage, type SendOutcome, type WhaticketGateway, type WhaticketTarget } from "./whaticket.js";

export interface WhaticketClientOptions {
  /** Whole-request deadline in ms (connect + send + answer). Default 10 000. */
  timeoutMs?: number;
  /** Concurrent sockets per Whaticket host; size it from the daemon's concurrency. Default 64. */
  maxSockets?: number;
  /**
   * Idle keep-alive sockets are closed after this many ms. Kept below Node/Express's 5 s server
   * keep-alive so we do not reuse a socket the server is closing (a spurious ECONNRESET). Default 4 000.
   */
  idleSocketMs?: number;
  /** Sent as User-Agent. */
  userAgent?: string;
}

const SEND_PATH = "/api/messages/send";
/** Forks answer a small JSON; anything much larger is not a Whaticket answer and must not fill memory. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/** The real gateway: axios over keep-alive agents, one pool per client shared by every company. */
export class WhaticketClient implements WhaticketGateway {
  private readonly timeoutMs: number;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly axios: AxiosInstance;

  constructor(options: WhaticketClientOptions = {}) {
    this.timeoutMs = positiveOr(options.timeoutMs, 10_000);
    const agentOptions = {
      keepAlive: true,
      maxSockets: positiveOr(options.maxSockets, 64),
      maxFreeSockets: positiveOr(options.maxSockets, 64),
      timeout: positiveOr(options.idleSocketMs, 4_000),
      scheduling: "lifo" as const,
    };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
    this.axios = axios.create({
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      timeout: this.timeoutMs,
      maxRedirects: 0,
      validateStatus: () => true,
      // Parse ourselves: an empty or non-JSON 2xx is still a sent message.
      responseType: "text",
      transformResponse: [(data: unknown) => data],
      maxContentLength: MAX_RESPONSE_BYTES,
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json, text/plain, */*",
        "User-Agent": options.userAgent ?? "secretaria",
      },
    });
  }

  async send(target: WhaticketTarget, msg: OutgoingMessage): Promise<SendOutcome> {
    const started = performance.now();
    const elapsed = (): number => Math.round((performance.now() - started) * 1000) / 1000;

    const endpoint = sendEndpoint(target.url);
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

    // axios's own timeout is per phase; this bounds the whole exchange, slow bodies included.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.timeoutMs);
    try {
      const res = await this.axios.post<string>(endpoint, JSON.stringify(payload), {
        headers: { Authorization: `Bearer ${token}` },
        signal: deadline.signal,
      });
      const retryAfter = res.headers["retry-after"];
      const classified = classifyResponse(res.status, res.data, typeof retryAfter === "string" ? retryAfter : null, new Date());
      const outcome = { ...classified, durationMs: elapsed() } as SendOutcome;
      if ("error" in outcome) outcome.error = redact(outcome.error, token);
      return outcome;
    } catch (err) {
      const timedOut = deadline.signal.aborted || isTimeoutCode(errorCode(err));
      const error = timedOut ? `timeout after ${this.timeoutMs} ms` : describeNetworkError(err);
      return { kind: "transient", error: redact(error, token), durationMs: elapsed() };
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
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
 * A short name for a failure before any HTTP answer. Built from error codes only: axios errors
 * carry the request config (headers with the token), so their message and fields are never echoed.
 */
export function describeNetworkError(err: unknown): string {
  const code = errorCode(err);
  if (code === "ERR_BAD_RESPONSE" || code === "ERR_BAD_REQUEST") {
    // axios uses these for a local failure such as an oversized answer; say what, not the message.
    const message = err instanceof Error ? err.message : "";
    return message.includes("maxContentLength") ? "response too large" : code;
  }
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

function isTimeoutCode(code: string | undefined): boolean {
  return code === "ECONNABORTED" || code === "ETIMEDOUT" || code === "ERR_CANCELED";
}

/** Defence in depth: whatever the other side echoes, the token does not reach logs or the database. */
function redact(text: string, token: string): string {
  return token.length >= 4 && text.includes(token) ? text.split(token).join("***") : text;
}

function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}
