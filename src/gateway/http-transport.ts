import http from "node:http";
import https from "node:https";
import { performance } from "node:perf_hooks";
import axios, { type AxiosInstance } from "axios";
import { describeNetworkError } from "./whaticket-client.js";

/**
 * The HTTP plumbing shared by the Evolution API and WhatsApp Cloud API clients: one keep-alive
 * pool per client, a whole-exchange deadline, bounded answers, no redirects, and answers handed
 * back as raw text so each gateway classifies them itself. Never throws for HTTP or network
 * outcomes. Same choices as WhaticketClient (see whaticket-client.ts for the reasons).
 */

export interface GatewayHttpOptions {
  /** Whole-request deadline in ms (connect + send + answer). Default 10 000. */
  timeoutMs?: number;
  /** Concurrent sockets per host. Default 64. */
  maxSockets?: number;
  /** Idle keep-alive sockets are closed after this many ms (below a 5 s server keep-alive). Default 4 000. */
  idleSocketMs?: number;
  /** Sent as User-Agent. Default "secretaria". */
  userAgent?: string;
}

/** What came back: an HTTP answer (any status), or no answer at all. */
export type HttpExchange =
  | { answered: true; status: number; body: string; retryAfter: string | null; durationMs: number }
  | { answered: false; error: string; timedOut: boolean; durationMs: number };

/** Answers are small JSON documents; anything much larger must not fill memory. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
const MAX_ERROR_CHARS = 100;

export class GatewayHttp {
  readonly timeoutMs: number;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly axios: AxiosInstance;

  constructor(options: GatewayHttpOptions = {}) {
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

  /**
   * POSTs `payload` as JSON. `secrets` (tokens, keys) are scrubbed from any error text produced
   * here; axios errors are never echoed (they carry the request headers).
   */
  async postJson(url: string, payload: unknown, headers: Record<string, string>, secrets: readonly string[]): Promise<HttpExchange> {
    const started = performance.now();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.timeoutMs);
    try {
      const res = await this.axios.post<string>(url, JSON.stringify(payload), { headers, signal: deadline.signal });
      const retryAfter = res.headers["retry-after"];
      return {
        answered: true,
        status: res.status,
        body: typeof res.data === "string" ? res.data : "",
        retryAfter: typeof retryAfter === "string" ? retryAfter : null,
        durationMs: elapsedMs(started),
      };
    } catch (err) {
      const code = describeNetworkError(err);
      const timedOut = deadline.signal.aborted || code === "ECONNABORTED" || code === "ETIMEDOUT" || code === "ERR_CANCELED";
      const error = timedOut ? `timeout after ${this.timeoutMs} ms` : code;
      return { answered: false, error: redactSecrets(error, secrets), timedOut, durationMs: elapsedMs(started) };
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

export function elapsedMs(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}

/** Defence in depth: whatever the other side echoes, secrets do not reach logs or the database. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join("***");
  }
  return out;
}

/** One line, printable, bounded: what comes from the other side goes to logs and the database. */
export function safeText(s: string, max = MAX_ERROR_CHARS): string {
  // eslint-disable-next-line no-control-regex
  const flat = s.replace(/[\u0000-\u001f\u007f]+/g, " ").replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** JSON when the text is a JSON object or array, else the trimmed text itself. Never throws. */
export function parseJsonText(body: unknown): unknown {
  if (typeof body !== "string") return body;
  const text = body.trim();
  if (text === "" || (text[0] !== "{" && text[0] !== "[")) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `base` (http or https, any path prefix, trailing slashes fine) joined with `path`; null when not http(s). */
export function joinUrl(base: string, path: string): string | null {
  let url: URL;
  try {
    url = new URL(base.trim());
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  url.search = "";
  url.hash = "";
  url.pathname = `${url.pathname.replace(/\/+$/, "")}${path}`;
  return url.toString();
}

function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}
