/**
 * The Whaticket gateway: the one interface services use to send a WhatsApp message,
 * and the pure classification of Whaticket's answers into what the caller should do.
 *
 * Contract: `POST {url}/api/messages/send`, `Authorization: Bearer {token}`,
 * JSON `{"number": "5511999990000", "body": "...", "whatsappId"?: "..."}`.
 * Any 2xx is success (upstream answers an empty body, forks a JSON one);
 * errors come as `{"error": "ERR_..."}`.
 */

export interface WhaticketTarget {
  /** Base URL of the Whaticket backend, e.g. https://api.example.com (a trailing slash is fine). */
  url: string;
  token: string;
  /** The WhatsApp connection to send through; Whaticket uses its default one when absent. */
  whatsappId?: string | null;
}

export interface OutgoingMessage {
  /** Digits only with the country code; the client strips anything else. */
  number: string;
  body: string;
}

/**
 * What happened to one send. `error` is short and safe to log and store: it never holds the token,
 * the Authorization header or the URL. `status` 0 means no HTTP exchange took place.
 */
export type SendOutcome =
  | { kind: "sent"; status: number; messageId?: string; durationMs: number }
  /** About this number / this message: retrying will not help (ERR_WAPP_INVALID_CONTACT, ERR_CHECK_NUMBER, most 4xx). */
  | { kind: "permanent"; status: number; error: string; durationMs: number }
  /** About the company's Whaticket setup (token, URL, WhatsApp connection): pause the company, burn no attempt. */
  | { kind: "config"; status: number; error: string; durationMs: number }
  /** Worth retrying later: 408, 429, 5xx, timeouts, refused/reset connections. */
  | { kind: "transient"; status?: number; error: string; durationMs: number; retryAfterMs?: number };

export type SendOutcomeKind = SendOutcome["kind"];

export interface WhaticketGateway {
  /** Never throws for HTTP or network outcomes: every such result is a SendOutcome. */
  send(target: WhaticketTarget, msg: OutgoingMessage): Promise<SendOutcome>;
  close(): Promise<void> | void;
}

/** A SendOutcome before the caller adds how long it took. */
export type ClassifiedResponse = SendOutcome extends infer O ? (O extends unknown ? Omit<O, "durationMs"> : never) : never;

/**
 * Error codes that speak about the company's WhatsApp connection rather than the number:
 * an operator must act (scan the QR code again, fix whatsappId), so they pause the company.
 */
const CONNECTION_CONFIG_CODES = new Set([
  "ERR_NO_DEF_WAPP_FOUND",
  "ERR_NO_WAPP_FOUND",
  "ERR_WAPP_NOT_FOUND",
  "ERR_WAPP_NOT_INITIALIZED",
  "ERR_SESSION_EXPIRED",
  "ERR_INVALID_TOKEN",
  "ERR_INVALID_CREDENTIALS",
]);

/**
 * Error codes that Whaticket answers with a 4xx although the cause is passing (the WhatsApp
 * session could not check the contact or send right now): retry, do not fail the follow-up.
 */
const PASSING_ERROR_CODES = new Set(["ERR_WAPP_CHECK_CONTACT", "ERR_SENDING_WAPP_MSG", "ERR_WAPP_INITIALIZED"]);

const MAX_ERROR_CODE_CHARS = 100;

/**
 * Turns an HTTP answer into an outcome. Pure: `body` is the raw text or an already parsed value;
 * `retryAfter` is the Retry-After header (seconds or an HTTP date; the date form needs `now`).
 */
export function classifyResponse(
  status: number,
  body: unknown,
  retryAfter?: string | null,
  now?: Date,
): ClassifiedResponse {
  const parsed = parseBody(body);
  if (status >= 200 && status < 300) {
    // Some forks answer 200 with {"error": "ERR_…"}: the message did not go out; read it as that error.
    const refused = isRecord(parsed) && typeof parsed.error === "string" && /^ERR_[A-Z0-9_]+$/.test(parsed.error.trim()) ? parsed.error.trim() : null;
    if (refused) {
      const error = `HTTP ${status} ${refused}`;
      if (CONNECTION_CONFIG_CODES.has(refused)) return { kind: "config", status, error };
      if (PASSING_ERROR_CODES.has(refused) || /INTERNAL|TIMEOUT|SESSION/.test(refused)) return { kind: "transient", status, error };
      return { kind: "permanent", status, error };
    }
    const messageId = messageIdOf(parsed);
    return messageId === undefined ? { kind: "sent", status } : { kind: "sent", status, messageId };
  }

  const code = errorCodeOf(parsed);
  const error = code ? `HTTP ${status} ${code}` : `HTTP ${status}`;

  if (status >= 300 && status < 400) {
    // maxRedirects is 0: a redirect means the URL is wrong (http vs https, missing path), not the number.
    return { kind: "config", status, error: `${error} redirect: check the Whaticket URL` };
  }
  if (status === 401 || status === 403) return { kind: "config", status, error };
  if (status === 408 || status === 429 || status >= 500 || status < 200) {
    const retryAfterMs = parseRetryAfter(retryAfter, now);
    return retryAfterMs === undefined
      ? { kind: "transient", status, error }
      : { kind: "transient", status, error, retryAfterMs };
  }
  // Remaining 4xx: the code decides when it names the connection or a passing failure.
  if (code && CONNECTION_CONFIG_CODES.has(code)) return { kind: "config", status, error };
  if (code && PASSING_ERROR_CODES.has(code)) return { kind: "transient", status, error };
  // 400/404 about the number (ERR_WAPP_INVALID_CONTACT, ERR_CHECK_NUMBER), 409, 410, 422, any other 4xx.
  return { kind: "permanent", status, error };
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date (relative to `now`). */
export function parseRetryAfter(value: string | null | undefined, now?: Date): number | undefined {
  if (value === null || value === undefined) return undefined;
  const raw = value.trim();
  if (raw === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.round(Number(raw) * 1000);
  if (!now) return undefined;
  const at = Date.parse(raw);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

function parseBody(body: unknown): unknown {
  if (typeof body !== "string") return body;
  const text = body.trim();
  if (text === "" || (text[0] !== "{" && text[0] !== "[")) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The id forks put in their JSON answer, under whichever name they chose. */
function messageIdOf(parsed: unknown): string | undefined {
  if (!isRecord(parsed)) return undefined;
  const nested = isRecord(parsed.message) ? parsed.message : isRecord(parsed.data) ? parsed.data : undefined;
  const key = isRecord(parsed.key) ? parsed.key : undefined;
  for (const candidate of [parsed.id, parsed.messageId, key?.id, nested?.id]) {
    if (typeof candidate === "string" && candidate !== "") return safeText(candidate);
    if (typeof candidate === "number" && Number.isFinite(candidate)) return String(candidate);
  }
  return undefined;
}

/** `{"error": "ERR_..."}`, or `{"message": "..."}` from forks; never an HTML page. */
function errorCodeOf(parsed: unknown): string | undefined {
  if (isRecord(parsed)) {
    for (const candidate of [parsed.error, parsed.message, parsed.code]) {
      if (typeof candidate === "string" && candidate.trim() !== "") return safeText(candidate);
      if (isRecord(candidate) && typeof candidate.message === "string") return safeText(candidate.message);
    }
    return undefined;
  }
  // A short plain-text answer ("invalid number") is worth keeping; markup or long text is not.
  if (typeof parsed === "string" && parsed !== "" && parsed.length <= MAX_ERROR_CODE_CHARS && !parsed.includes("<")) {
    return safeText(parsed);
  }
  return undefined;
}

/** One line, printable, bounded: what comes from the other side goes to logs and the database. */
function safeText(s: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = s.replace(/[\u0000-\u001f\u007f]+/g, " ").replace(/\s+/g, " ").trim();
  return flat.length > MAX_ERROR_CODE_CHARS ? `${flat.slice(0, MAX_ERROR_CODE_CHARS - 1)}…` : flat;
}
