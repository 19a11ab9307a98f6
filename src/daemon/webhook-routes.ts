import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { baileysNonText, messageTimestamp, nonTextBody, whaticketNonText, type NonTextKind } from "../domain/inbound-message.js";
import { gatewayPhone, phoneFromJid, maskPhone } from "../domain/phone.js";
import type { Logger } from "../logger.js";
import { createReplyService, type ReplyResult, type ReplyService } from "../services/reply-service.js";
import { GatewayRouter, gatewayReplySender } from "../services/gateway-service.js";
import { gatewayWebhookRoutes } from "./gateway-webhook-routes.js";
import type { HttpRoutes } from "./http-server.js";
import { AuthFailureLog } from "./auth-failures.js";
import type { WriteHealth } from "./write-health.js";
import type { DaemonRouteDeps } from "./routes.js";

/**
 * `POST /webhooks/whaticket?token=...`: inbound WhatsApp messages from Whaticket (plain
 * `{number, body, messageId}`) or from Whaticket-SaaS / n8n integrations (the Baileys message
 * object, possibly wrapped in `{data: ...}`, `{msg: ...}`, `{messages: [...]}` or an array).
 *
 * Answers: 200 with what was done (`ignored` for fromMe, groups, broadcasts, deletions and other
 * content-less messages; `duplicate: true` for a message id already applied, or for an id-less
 * message whose phone, text and timestamp were applied before; voice notes, images, stickers…
 * recorded as `non_text`; a message dated before the follow-up `older_than_followup`), 400 with a reason for anything
 * that is not a message, 401 for a wrong or missing `?token=` (logged, rate-limited, with the client address), 413 over 64 KiB (the HTTP server's
 * limit), 503 when the webhook is disabled (no token configured) or the database cannot take the
 * message right now (the sender retries). Input never causes a 500.
 */

export const WEBHOOK_PATH = "/webhooks/whaticket";

/** Messages read from one delivery at most (n8n batches are small; more is not a Whaticket delivery). */
const MAX_MESSAGES_PER_DELIVERY = 50;
const MAX_WRAPPING_DEPTH = 4;
const MAX_MESSAGE_ID_CHARS = 256;

export interface WebhookDeps {
  service: ReplyService;
  /** SECRETARIA_WEBHOOK_TOKEN; without one the route stays closed (503) rather than open to anyone. */
  token: string | null | undefined;
  logger: Logger;
  /** Rate-limited log of 401s; default one of its own. */
  authFailures?: AuthFailureLog;
  /** Told whether storing each message worked (/healthz reports a failing write). */
  writeHealth?: WriteHealth;
}

export function webhookTokenFromEnv(env: NodeJS.ProcessEnv = process.env): string | null {
  return env.SECRETARIA_WEBHOOK_TOKEN?.trim() || null;
}

/** One message read from a delivery. */
export type WebhookItem =
  | {
      kind: "message"; phone: string; text: string; messageId: string | null;
      /** The message's own timestamp (`timestamp` / `messageTimestamp`), when the delivery carries one. */
      sentAt?: Date;
      /** A voice note, image, sticker…: `text` is then its label ("[mensagem de voz]"). */
      media?: NonTextKind;
    }
  | { kind: "ignored"; reason: "fromMe" | "group" | "broadcast" | "no_text" | "no_phone" }
  | { kind: "invalid"; reason: string };

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function nonEmptyString(v: unknown): string | null {
  return typeof v === "string" && v.trim() !== "" ? v : null;
}

/**
 * Reads a parsed request body into messages. Pure and total: any value gives a list (possibly of
 * `invalid` items), never an exception.
 */
export function parseWebhookBody(body: unknown): WebhookItem[] {
  if (typeof body === "string") {
    // text/plain or a JSON document posted as a string.
    try {
      body = JSON.parse(body) as unknown;
    } catch {
      return [{ kind: "invalid", reason: "body is not JSON: send {\"number\", \"body\", \"messageId\"} as application/json" }];
    }
  }
  if (body === undefined || body === null) return [{ kind: "invalid", reason: "empty body: send {\"number\", \"body\", \"messageId\"}" }];
  const out: WebhookItem[] = [];
  collect(body, 0, out);
  if (out.length === 0) return [{ kind: "invalid", reason: "no message in the body" }];
  return out;
}

function collect(v: unknown, depth: number, out: WebhookItem[]): void {
  if (out.length >= MAX_MESSAGES_PER_DELIVERY) return;
  if (depth > MAX_WRAPPING_DEPTH) {
    out.push({ kind: "invalid", reason: "message nested too deep" });
    return;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) out.push({ kind: "invalid", reason: "empty list of messages" });
    for (const item of v.slice(0, MAX_MESSAGES_PER_DELIVERY)) collect(item, depth + 1, out);
    return;
  }
  if (!isRecord(v)) {
    out.push({ kind: "invalid", reason: "expected a JSON object {\"number\", \"body\", \"messageId\"} or a WhatsApp message with key.remoteJid" });
    return;
  }
  if (isRecord(v.key)) {
    out.push(readBaileys(v));
    return;
  }
  if (v.number !== undefined || typeof v.body === "string") {
    out.push(readPlain(v));
    return;
  }
  // Wrappers: Whaticket-SaaS/Evolution {event, data}, n8n {body: {...}}, {msg}, {messages: [...]}.
  for (const wrapper of ["data", "msg", "message", "messages", "body"] as const) {
    const inner = v[wrapper];
    if (isRecord(inner) || Array.isArray(inner)) {
      collect(inner, depth + 1, out);
      return;
    }
  }
  out.push({ kind: "invalid", reason: "not a message: expected {\"number\", \"body\", \"messageId\"} or a WhatsApp message with key.remoteJid" });
}

function readMessageId(v: unknown, field: string): { id: string | null } | { error: string } {
  if (v === undefined || v === null) return { id: null };
  if (typeof v === "number" && Number.isFinite(v)) return { id: String(v) };
  if (typeof v !== "string" || v.trim() === "") return { error: `${field} must be a non-empty string` };
  if (v.length > MAX_MESSAGE_ID_CHARS) return { error: `${field} is longer than ${MAX_MESSAGE_ID_CHARS} characters` };
  return { id: v.trim() };
}

/** A JID's kind, or its phone. */
function readJid(jid: string): { phone: string } | { ignored: "group" | "broadcast" | "no_phone" } | null {
  const j = jid.trim();
  if (j.endsWith("@g.us")) return { ignored: "group" };
  if (j.endsWith("@broadcast") || j.endsWith("@newsletter")) return { ignored: "broadcast" };
  if (j.endsWith("@lid")) return { ignored: "no_phone" };
  const phone = phoneFromJid(j);
  return phone ? { phone } : null;
}

function readPlain(v: Json): WebhookItem {
  if (v.fromMe === true || v.fromMe === "true") return { kind: "ignored", reason: "fromMe" };
  const rawNumber = typeof v.number === "number" && Number.isSafeInteger(v.number) ? String(v.number) : v.number;
  if (typeof rawNumber !== "string" || rawNumber.trim() === "") return { kind: "invalid", reason: "number is missing: the sender's WhatsApp number, e.g. \"5511999990000\"" };
  let phone: string | null;
  if (rawNumber.includes("@")) {
    const jid = readJid(rawNumber);
    if (jid && "ignored" in jid) return { kind: "ignored", reason: jid.ignored };
    phone = jid?.phone ?? null;
  } else {
    // Whaticket posts the WhatsApp number with its country code and without "+" ("351912345678").
    phone = rawNumber.length <= 40 ? gatewayPhone(rawNumber) : null;
  }
  if (!phone) return { kind: "invalid", reason: "number is not a phone number with the country code, e.g. \"5511999990000\"" };
  const body = nonEmptyString(v.body);
  // Whaticket's mediaType: "chat" is text; audio/ptt, image, sticker… are recorded as what they are.
  const media = whaticketNonText(v.mediaType, body);
  if (media === null && typeof v.mediaType === "string" && v.mediaType.trim().toLowerCase() === "reaction") return { kind: "ignored", reason: "no_text" };
  const text = media ? nonTextBody(media.kind, media.detail) : body;
  if (text === null) return { kind: "invalid", reason: "body is missing: the message text" };
  const id = readMessageId(v.messageId ?? v.id, "messageId");
  if ("error" in id) return { kind: "invalid", reason: id.error };
  return withMeta({ kind: "message", phone, text, messageId: id.id }, messageTimestamp(v.timestamp ?? v.messageTimestamp), media?.kind);
}

function withMeta(item: Extract<WebhookItem, { kind: "message" }>, sentAt: Date | null, media: NonTextKind | undefined): WebhookItem {
  if (sentAt) item.sentAt = sentAt;
  if (media) item.media = media;
  return item;
}

/** The text of a Baileys message: plain, extended (links, quotes), captions, button and list answers. */
function baileysText(message: Json, depth = 0): string | null {
  const direct = nonEmptyString(message.conversation);
  if (direct) return direct;
  const ext = isRecord(message.extendedTextMessage) ? nonEmptyString(message.extendedTextMessage.text) : null;
  if (ext) return ext;
  for (const media of ["imageMessage", "videoMessage", "documentMessage"]) {
    const m = message[media];
    if (isRecord(m) && nonEmptyString(m.caption)) return m.caption as string;
  }
  // Answers to the follow-up's buttons ("✅ Sim, quero marcar") arrive as button or list responses.
  const buttons = message.buttonsResponseMessage ?? message.templateButtonReplyMessage;
  if (isRecord(buttons)) {
    const t = nonEmptyString(buttons.selectedDisplayText) ?? nonEmptyString(buttons.selectedButtonId) ?? nonEmptyString(buttons.selectedId);
    if (t) return t;
  }
  if (isRecord(message.listResponseMessage)) {
    const t = nonEmptyString(message.listResponseMessage.title);
    if (t) return t;
  }
  // Disappearing / view-once messages wrap the real one.
  if (depth < 2) {
    for (const wrapper of ["ephemeralMessage", "viewOnceMessage", "viewOnceMessageV2", "documentWithCaptionMessage"]) {
      const w = message[wrapper];
      if (isRecord(w) && isRecord(w.message)) {
        const t = baileysText(w.message, depth + 1);
        if (t) return t;
      }
    }
  }
  return null;
}

function readBaileys(v: Json): WebhookItem {
  const key = v.key as Json;
  if (key.fromMe === true || key.fromMe === "true") return { kind: "ignored", reason: "fromMe" };
  const remoteJid = nonEmptyString(key.remoteJid);
  if (!remoteJid) return { kind: "invalid", reason: "key.remoteJid is missing: the sender, e.g. \"5511999990000@s.whatsapp.net\"" };
  let jid = readJid(remoteJid);
  if (jid && "ignored" in jid && jid.ignored === "no_phone") {
    // A LID chat: newer Baileys puts the phone JID beside it.
    for (const alt of [key.senderPn, key.remoteJidAlt, key.participantPn]) {
      const a = nonEmptyString(alt);
      const read = a ? readJid(a) : null;
      if (read && "phone" in read) {
        jid = read;
        break;
      }
    }
  }
  if (jid && "ignored" in jid) return { kind: "ignored", reason: jid.ignored };
  if (!jid) return { kind: "invalid", reason: "key.remoteJid is not a WhatsApp phone JID like \"5511999990000@s.whatsapp.net\"" };
  const id = readMessageId(key.id, "key.id");
  if ("error" in id) return { kind: "invalid", reason: id.error };
  if (id.id === null) return { kind: "invalid", reason: "key.id is missing: the WhatsApp message id" };
  let text: string | null = null;
  if (isRecord(v.message)) text = baileysText(v.message);
  else if (v.message !== undefined && v.message !== null) return { kind: "invalid", reason: "message must be an object" };
  else if (typeof v.body !== "string") return { kind: "invalid", reason: "message is missing: message.conversation or message.extendedTextMessage.text" };
  text ??= nonEmptyString(v.body);
  const sentAt = messageTimestamp(v.messageTimestamp);
  if (text === null) {
    // A voice note, image, sticker…: recorded so the operator sees the answer; deletions and the like: nothing.
    const media = isRecord(v.message) ? baileysNonText(v.message) : null;
    if (media === null) return { kind: "ignored", reason: "no_text" };
    return withMeta({ kind: "message", phone: jid.phone, text: nonTextBody(media.kind, media.detail), messageId: id.id }, sentAt, media.kind);
  }
  return withMeta({ kind: "message", phone: jid.phone, text, messageId: id.id }, sentAt, undefined);
}

function sha256(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}

/** Constant-time: both sides hashed to equal-length digests first. */
export function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

/** Only `?token=`: an Authorization header is the API's, so the webhook token never opens the API's door shape. */
function givenToken(req: FastifyRequest): string | null {
  const q = req.query;
  if (isRecord(q) && typeof q.token === "string") return q.token;
  return null;
}

type ItemAnswer =
  | { ignored: string }
  | { error: string }
  | Pick<ReplyResult, "matched" | "duplicate" | "appointment_id" | "intent" | "response" | "outcome" | "bot_reply_delivery">;

export function webhookRoutes(deps: WebhookDeps): HttpRoutes {
  const expected = deps.token?.trim() || null;
  const authFailures = deps.authFailures ?? new AuthFailureLog(deps.logger);
  return (app: FastifyInstance) => {
    if (!expected) {
      deps.logger.warn("webhook_disabled", { reason: "SECRETARIA_WEBHOOK_TOKEN is not set: replies are not received; set it and restart the daemon" });
    }

    const authorize = async (req: FastifyRequest, reply: FastifyReply) => {
      if (!expected) {
        return reply.code(503).send({ error: "webhook disabled on this server: set SECRETARIA_WEBHOOK_TOKEN and restart the daemon" });
      }
      const token = givenToken(req);
      if (token === null || !tokenMatches(token, expected)) {
        authFailures.record(req);
        return reply.code(401).send({ error: "wrong or missing token: POST /webhooks/whaticket?token=<SECRETARIA_WEBHOOK_TOKEN>" });
      }
    };

    app.post(WEBHOOK_PATH, { onRequest: authorize }, async (req, reply) => {
      const items = parseWebhookBody(req.body);
      const answers: ItemAnswer[] = [];
      for (const item of items) {
        if (item.kind === "invalid") answers.push({ error: item.reason });
        else if (item.kind === "ignored") answers.push({ ignored: item.reason });
        else {
          try {
            const r = await deps.service.processInbound({ phone: item.phone, text: item.text, messageId: item.messageId, sentAt: item.sentAt ?? null, media: item.media });
            deps.writeHealth?.succeeded();
            answers.push({
              matched: r.matched, duplicate: r.duplicate, appointment_id: r.appointment_id, intent: r.intent,
              response: r.response, outcome: r.outcome, bot_reply_delivery: r.bot_reply_delivery,
            });
          } catch (err) {
            // The database could not take it (locked for too long, disk full): the sender retries later.
            deps.writeHealth?.failed(err);
            deps.logger.error("webhook_failed", { phone: maskPhone(item.phone), error: (err as Error)?.message ?? String(err) });
            return reply.code(503).send({ error: "could not store the message right now: retry later" });
          }
        }
      }
      const allInvalid = answers.every((a) => "error" in a);
      if (answers.length === 1) return reply.code(allInvalid ? 400 : 200).send(answers[0]);
      if (allInvalid) return reply.code(400).send({ error: (answers[0] as { error: string }).error, results: answers });
      return reply.code(200).send({ results: answers });
    });
  };
}

/**
 * The webhook as the daemon mounts it: the reply service on the daemon's connection, answers sent
 * through the daemon's gateway, the token from SECRETARIA_WEBHOOK_TOKEN (none: the route answers
 * 503 and the daemon logs `webhook_disabled` once at start).
 */
export function daemonWebhookRoutes(d: Pick<DaemonRouteDeps, "store" | "clock" | "logger" | "env" | "gateway" | "gateways" | "whaticketDefaults" | "writeHealth"> & { authFailures?: AuthFailureLog }): HttpRoutes {
  // Each company's answers go out through its own gateway (Whaticket, Evolution API or the Cloud API).
  const router = new GatewayRouter({ whaticket: d.gateway, ...d.gateways });
  const service = createReplyService({ store: d.store, clock: d.clock, logger: d.logger, sender: gatewayReplySender(router, d.whaticketDefaults) });
  const token = webhookTokenFromEnv(d.env);
  const authFailures = d.authFailures ?? new AuthFailureLog(d.logger);
  const routes = [webhookRoutes({ service, token, logger: d.logger, authFailures, writeHealth: d.writeHealth }), ...gatewayWebhookRoutes({ store: d.store, service, token, logger: d.logger, authFailures })];
  return async (app) => {
    for (const r of routes) await app.register(async (scope) => r(scope));
  };
}
