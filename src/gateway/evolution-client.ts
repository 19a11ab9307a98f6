import { performance } from "node:perf_hooks";
import { GatewayHttp, elapsedMs, isRecord, joinUrl, parseJsonText, redactSecrets, safeText, type GatewayHttpOptions } from "./http-transport.js";
import { parseRetryAfter, type ClassifiedResponse, type OutgoingMessage, type SendOutcome } from "./whaticket.js";

/**
 * The Evolution API v2 gateway: send one text through a company's Evolution instance and turn
 * the answer into the same SendOutcome classes as Whaticket (sent / permanent / config / transient).
 *
 * Contract, read from EvolutionAPI/evolution-api at v2.3.6 (commit 3454bec7):
 * - `POST {url}/message/sendText/{instance}`, header `apikey: {key}`, JSON `{"number", "text"}`
 *   (src/api/routes/index.router.ts mounts `/message` with the guards; sendMessage.router.ts
 *   answers 201 with the stored message, `{key: {remoteJid, fromMe, id}, pushName, status,
 *   message, messageType, messageTimestamp, instanceId, source}` — prepareMessage() in
 *   whatsapp.baileys.service.ts).
 * - Guards run in order instanceExistsGuard → authGuard.apikey (index.router.ts): an unknown
 *   instance is 404 `The "x" instance does not exist` even before the key is checked; a missing
 *   or wrong key (global AUTHENTICATION_API_KEY or the instance token) is 401
 *   (src/api/guards/auth.guard.ts, instance.guard.ts).
 * - Errors leave through the express handler in src/main.ts as
 *   `{"status": n, "error": "Bad Request", "response": {"message": [...]}}` (exceptions/*.ts put
 *   the constructor arguments in `message`).
 * - A number that is not on WhatsApp: sendMessageWithTyping() throws
 *   `new BadRequestException(isWA)` with isWA an OnWhatsAppDto `{jid, exists: false, number}`
 *   (src/api/dto/chat.dto.ts), so the answer is 400 with `response.message[0].exists === false`.
 * - A failure inside Baileys while sending is rethrown as 400 `error.toString()` (e.g.
 *   "Error: Connection Closed"); one before the send (a closed socket during the number check)
 *   reaches the handler as a 500.
 */

export interface EvolutionTarget {
  /** Base URL of the Evolution API server, e.g. https://evo.example.com (a path prefix and trailing slash are fine). */
  url: string;
  /** The instance token or the global AUTHENTICATION_API_KEY, sent as the `apikey` header. */
  apiKey: string;
  /** The instance name (`instanceName` in Evolution). */
  instance: string;
}

export interface EvolutionGateway {
  /** Never throws for HTTP or network outcomes: every such result is a SendOutcome. */
  send(target: EvolutionTarget, msg: OutgoingMessage): Promise<SendOutcome>;
  close(): Promise<void> | void;
}

export type EvolutionClientOptions = GatewayHttpOptions;

/**
 * Baileys/WhatsApp failures that Evolution answers with 400 although they pass (the socket is
 * reconnecting, WhatsApp throttled the session): retry, do not fail the follow-up.
 */
const PASSING_400 = /connection closed|connection lost|connection terminated|timed out|stream errored|rate-overlimit|not connected|precondition required/i;

export class EvolutionClient implements EvolutionGateway {
  private readonly http: GatewayHttp;

  constructor(options: EvolutionClientOptions = {}) {
    this.http = new GatewayHttp(options);
  }

  async send(target: EvolutionTarget, msg: OutgoingMessage): Promise<SendOutcome> {
    const started = performance.now();
    const local = (kind: "config" | "permanent", error: string): SendOutcome => ({ kind, status: 0, error, durationMs: elapsedMs(started) });

    const instance = target.instance.trim();
    if (instance === "") return local("config", "Evolution instance name is empty");
    const endpoint = evolutionSendEndpoint(target.url, instance);
    if (!endpoint) return local("config", "invalid Evolution URL: expected http(s)://host[:port][/path]");
    const apiKey = target.apiKey.trim();
    if (apiKey === "") return local("config", "Evolution apikey is empty");
    const number = msg.number.replace(/\D/g, "");
    if (number === "") return local("permanent", "invalid number (no digits; not sent)");
    if (msg.body.trim() === "") return local("permanent", "empty text (not sent)");

    const secrets = [apiKey];
    const exchange = await this.http.postJson(endpoint, { number, text: msg.body }, { apikey: apiKey }, secrets);
    if (!exchange.answered) return { kind: "transient", error: exchange.error, durationMs: exchange.durationMs };
    const classified = classifyEvolutionResponse(exchange.status, exchange.body, exchange.retryAfter, new Date());
    const outcome = { ...classified, durationMs: exchange.durationMs } as SendOutcome;
    if ("error" in outcome) outcome.error = redactSecrets(outcome.error, secrets);
    return outcome;
  }

  close(): void {
    this.http.close();
  }
}

/** `{base}/message/sendText/{instance}` (instance URL-encoded); null when the base is not http(s). */
export function evolutionSendEndpoint(baseUrl: string, instance: string): string | null {
  const name = instance.trim();
  if (name === "") return null;
  return joinUrl(baseUrl, `/message/sendText/${encodeURIComponent(name)}`);
}

/**
 * Turns an Evolution answer into an outcome. Pure: `body` is the raw text or an already parsed
 * value; `retryAfter` is the Retry-After header (seconds or an HTTP date; the date form needs `now`).
 */
export function classifyEvolutionResponse(status: number, body: unknown, retryAfter?: string | null, now?: Date): ClassifiedResponse {
  const parsed = parseJsonText(body);
  if (status >= 200 && status < 300) {
    const messageId = evolutionMessageId(parsed);
    return messageId === undefined ? { kind: "sent", status } : { kind: "sent", status, messageId };
  }
  const messages = errorMessages(parsed);
  const notOnWhatsApp = messages.some((m) => isRecord(m) && (m.exists === false || m.exists === "false"));
  const text = firstText(messages) ?? errorField(parsed) ?? shortPlainText(parsed);
  const error = notOnWhatsApp ? `HTTP ${status} number is not on WhatsApp` : text ? `HTTP ${status} ${text}` : `HTTP ${status}`;

  if (status >= 300 && status < 400) return { kind: "config", status, error: `${error} redirect: check the Evolution URL` };
  if (status === 401 || status === 403) return { kind: "config", status, error };
  // Unknown instance ("The "x" instance does not exist") or a route that is not Evolution's: the company's setup.
  if (status === 404) return { kind: "config", status, error };
  if (status === 408 || status === 429 || status >= 500 || status < 200) {
    const retryAfterMs = parseRetryAfter(retryAfter, now);
    return retryAfterMs === undefined ? { kind: "transient", status, error } : { kind: "transient", status, error, retryAfterMs };
  }
  if (notOnWhatsApp) return { kind: "permanent", status, error };
  if (status === 400 && text && PASSING_400.test(text)) return { kind: "transient", status, error };
  // Validation errors ("Text is required", schema messages), 409, 413, 422, any other 4xx.
  return { kind: "permanent", status, error };
}

/** `key.id` of the stored message Evolution answers with. */
function evolutionMessageId(parsed: unknown): string | undefined {
  if (!isRecord(parsed)) return undefined;
  const key = isRecord(parsed.key) ? parsed.key : undefined;
  for (const candidate of [key?.id, parsed.messageId, parsed.id]) {
    if (typeof candidate === "string" && candidate.trim() !== "") return safeText(candidate, 256);
  }
  return undefined;
}

/** `response.message` as a list (Evolution puts a string, a list of strings or a list of OnWhatsAppDto there). */
function errorMessages(parsed: unknown): unknown[] {
  if (!isRecord(parsed)) return [];
  const response = isRecord(parsed.response) ? parsed.response : undefined;
  const message = response ? response.message : parsed.message;
  if (Array.isArray(message)) return message.slice(0, 20);
  return message === undefined || message === null ? [] : [message];
}

function firstText(messages: unknown[]): string | undefined {
  for (const m of messages) {
    if (typeof m === "string" && m.trim() !== "") return safeText(m);
    if (isRecord(m) && typeof m.message === "string" && m.message.trim() !== "") return safeText(m.message);
  }
  return undefined;
}

function errorField(parsed: unknown): string | undefined {
  if (isRecord(parsed) && typeof parsed.error === "string" && parsed.error.trim() !== "") return safeText(parsed.error);
  return undefined;
}

/** A short plain-text answer is worth keeping; an HTML page is not. */
function shortPlainText(parsed: unknown): string | undefined {
  if (typeof parsed === "string" && parsed !== "" && parsed.length <= 100 && !parsed.includes("<")) return safeText(parsed);
  return undefined;
}
