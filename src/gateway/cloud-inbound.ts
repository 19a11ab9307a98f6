import { messageTimestamp } from "../domain/inbound-message.js";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { nonTextBody, type NonTextKind } from "../domain/inbound-message.js";
import { isRecord } from "./http-transport.js";

/**
 * Inbound side of the WhatsApp Cloud API: the GET verification handshake, the
 * X-Hub-Signature-256 check and the `messages` webhook parser. Pure; nothing here throws on input.
 *
 * Shapes used:
 * - Handshake and signature: WhatsApp/WhatsApp-Nodejs-SDK src/api/webhooks.ts (GET with
 *   `hub.mode=subscribe`, `hub.verify_token`, answer `hub.challenge`; POST with
 *   `x-hub-signature-256: sha256=<hex>`) and src/utils.ts generateXHub256Sig() (HMAC-SHA256 of the
 *   body with the app secret, hex). Here the HMAC is over the raw bytes and compared in constant time
 *   (the SDK compares re-serialised text with `==`).
 * - Payload: SDK src/types/webhooks.ts (WebhookObject → entry[].changes[].value{metadata, contacts,
 *   messages[], statuses[]}; MessagesObject{from, id, timestamp, type, text, button{payload, text},
 *   interactive, context}) and Meta's webhook references
 *   (developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/button/
 *   and …/messages/interactive): `type: "button"` with `button: {payload, text}` for a template
 *   quick reply; `type: "interactive"` with `interactive: {type: "button_reply", button_reply: {id, title}}`
 *   or `{type: "list_reply", list_reply: {id, title, description}}`. `from` may carry a leading "+".
 */

export interface CloudInboundItem {
  /** Digits with the country code (`from`). */
  phone: string;
  /** wamid of the inbound message: the idempotency key. */
  messageId: string;
  /** Unix seconds, or null when absent. */
  timestamp: number | null;
  /** The typed text, or the label of the tapped button / row. */
  text: string;
  /** Template quick-reply payload (FOLLOWUP_YES / FOLLOWUP_NO) or the interactive button / row id (SLOT_n). */
  buttonPayload?: string;
  type: "text" | "button" | "button_reply" | "list_reply" | "caption" | "media";
  /** A voice note, image, sticker… (type "media"; `text` is its label, e.g. "[mensagem de voz]"). */
  media?: NonTextKind;
  /** wamid of our message the customer answered (context.id), when present. */
  contextMessageId?: string;
  /** The customer's WhatsApp profile name, when present. */
  profileName?: string;
  /** The business phone number id that received it (which company). */
  phoneNumberId?: string;
}

export interface CloudWebhookReading {
  /** False when the body is not a WhatsApp Business Account webhook at all (answer 400). */
  valid: boolean;
  /** Why it is not valid. */
  reason?: string;
  items: CloudInboundItem[];
  /** Delivery / read receipts seen (ignored). */
  statuses: number;
  /** Messages that carry nothing to answer (stickers, reactions, audio…) or are malformed. */
  skipped: { reason: string; messageId?: string }[];
}

const MAX_ITEMS = 100;
const MAX_ID_CHARS = 256;
const MAX_CHALLENGE_CHARS = 256;
const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

type Json = Record<string, unknown>;

/**
 * The GET verification handshake: the challenge to echo (answer 200 text/plain) when
 * `hub.mode=subscribe` and `hub.verify_token` matches, else null (answer 403). `query` is
 * URLSearchParams, a flat record with dotted keys (Fastify) or a nested `{hub: {...}}` (qs).
 */
export function cloudVerificationChallenge(query: unknown, verifyToken: string): string | null {
  try {
    const expected = verifyToken.trim();
    if (expected === "") return null;
    const mode = queryValue(query, "mode");
    const token = queryValue(query, "verify_token");
    const challenge = queryValue(query, "challenge");
    if (mode !== "subscribe" || token === null || challenge === null) return null;
    if (!sameSecret(token, expected)) return null;
    // Echoed back verbatim: keep it to a plain token (Meta sends digits).
    if (challenge.length > MAX_CHALLENGE_CHARS || !/^[A-Za-z0-9._~-]+$/.test(challenge)) return null;
    return challenge;
  } catch {
    return null;
  }
}

/**
 * True when `header` is "sha256=" + the hex HMAC-SHA256 of the raw body under the app secret.
 * Constant-time; false for a missing, malformed or wrong-length header or an empty secret.
 */
export function verifyCloudSignature(rawBody: Buffer, header: string | undefined, appSecret: string): boolean {
  try {
    if (typeof header !== "string" || typeof appSecret !== "string" || appSecret === "") return false;
    const m = SIGNATURE.exec(header.trim());
    if (!m) return false;
    const given = Buffer.from(m[1]!, "hex");
    const body = Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(String(rawBody), "utf8");
    const expected = createHmac("sha256", appSecret).update(body).digest();
    return given.length === expected.length && timingSafeEqual(given, expected);
  } catch {
    return false;
  }
}

/** The X-Hub-Signature-256 value Meta would send for this body. */
export function signCloudPayload(rawBody: Buffer | string, appSecret: string): string {
  const body = typeof rawBody === "string" ? Buffer.from(rawBody, "utf8") : rawBody;
  return `sha256=${createHmac("sha256", appSecret).update(body).digest("hex")}`;
}

/** The inbound messages of a webhook delivery (statuses and non-text messages left out). */
export function parseCloudWebhook(body: unknown): CloudInboundItem[] {
  return readCloudWebhook(body).items;
}

/** Like parseCloudWebhook, with what was left out and whether the body was a webhook at all. */
export function readCloudWebhook(body: unknown): CloudWebhookReading {
  const reading: CloudWebhookReading = { valid: true, items: [], statuses: 0, skipped: [] };
  try {
    read(body, reading);
  } catch {
    return { valid: false, reason: "unreadable body", items: [], statuses: 0, skipped: [] };
  }
  return reading;
}

function read(body: unknown, out: CloudWebhookReading): void {
  const invalid = (reason: string): void => {
    out.valid = false;
    out.reason = reason;
  };
  if (typeof body === "string" || Buffer.isBuffer(body)) {
    try {
      body = JSON.parse(body.toString()) as unknown;
    } catch {
      return invalid("body is not JSON");
    }
  }
  if (!isRecord(body)) return invalid("expected a webhook object {object, entry}");
  if (body.object !== undefined && body.object !== "whatsapp_business_account") return invalid("object is not whatsapp_business_account");
  if (!Array.isArray(body.entry)) return invalid("entry is missing");

  for (const entry of body.entry.slice(0, MAX_ITEMS)) {
    if (!isRecord(entry) || !Array.isArray(entry.changes)) continue;
    for (const change of entry.changes.slice(0, MAX_ITEMS)) {
      if (!isRecord(change) || !isRecord(change.value)) continue;
      if (change.field !== undefined && change.field !== "messages") continue;
      readValue(change.value, out);
    }
  }
}

function readValue(value: Json, out: CloudWebhookReading): void {
  if (Array.isArray(value.statuses)) out.statuses += value.statuses.length;
  if (!Array.isArray(value.messages)) return;
  const metadata = isRecord(value.metadata) ? value.metadata : undefined;
  const phoneNumberId = str(metadata?.phone_number_id);
  const contacts = Array.isArray(value.contacts) ? value.contacts.filter(isRecord) : [];

  for (const m of value.messages.slice(0, MAX_ITEMS)) {
    if (out.items.length + out.skipped.length >= MAX_ITEMS) return;
    if (!isRecord(m)) {
      out.skipped.push({ reason: "message is not an object" });
      continue;
    }
    const id = str(m.id);
    if (id === null || id.length > MAX_ID_CHARS) {
      out.skipped.push({ reason: "id is missing or too long" });
      continue;
    }
    const phone = phoneOf(m.from);
    if (phone === null) {
      out.skipped.push({ reason: "from is not a phone number", messageId: id });
      continue;
    }
    const content = contentOf(m) ?? mediaOf(m);
    if (content === null) {
      out.skipped.push({ reason: `no text (type ${typeof m.type === "string" ? m.type.slice(0, 32) : "unknown"})`, messageId: id });
      continue;
    }
    const item: CloudInboundItem = {
      phone,
      messageId: id,
      timestamp: unixSeconds(m.timestamp),
      // Length: bounded by the HTTP body limit; the reply service keeps the first 4,096 characters, marked.
      text: content.text,
      type: content.type,
    };
    if (content.media !== undefined) item.media = content.media;
    if (content.payload !== undefined) item.buttonPayload = content.payload;
    const contextId = isRecord(m.context) ? str(m.context.id) : null;
    if (contextId !== null && contextId.length <= MAX_ID_CHARS) item.contextMessageId = contextId;
    const profileName = profileNameOf(contacts, phone);
    if (profileName !== undefined) item.profileName = profileName;
    if (phoneNumberId !== null) item.phoneNumberId = phoneNumberId;
    out.items.push(item);
  }
}

interface Content {
  text: string;
  type: CloudInboundItem["type"];
  payload?: string;
  media?: NonTextKind;
}

/** Cloud API message types without text (Meta's messages webhook reference): what the inbox records. */
function mediaOf(m: Json): Content | null {
  const media = (kind: NonTextKind, detail?: string | null): Content => ({ text: nonTextBody(kind, detail), type: "media", media: kind });
  switch (m.type) {
    case "audio":
      return media(isRecord(m.audio) && m.audio.voice === true ? "voice" : "audio");
    case "image":
    case "video":
    case "document":
    case "sticker":
    case "location":
      return media(m.type);
    case "contacts":
      return media("contact");
    case "reaction": {
      // An empty emoji removes a reaction: nothing the customer said.
      const emoji = isRecord(m.reaction) ? str(m.reaction.emoji) : null;
      return emoji === null ? null : media("reaction", emoji);
    }
    default:
      return null;
  }
}

function contentOf(m: Json): Content | null {
  switch (m.type) {
    case "text": {
      const text = isRecord(m.text) ? str(m.text.body) : null;
      return text === null ? null : { text, type: "text" };
    }
    case "button": {
      if (!isRecord(m.button)) return null;
      return reply(str(m.button.text), str(m.button.payload), "button");
    }
    case "interactive": {
      const i = m.interactive;
      if (!isRecord(i)) return null;
      if (i.type === "button_reply" && isRecord(i.button_reply)) return reply(str(i.button_reply.title), str(i.button_reply.id), "button_reply");
      if (i.type === "list_reply" && isRecord(i.list_reply)) return reply(str(i.list_reply.title), str(i.list_reply.id), "list_reply");
      return null;
    }
    case "image":
    case "video":
    case "document": {
      const media = m[m.type];
      const caption = isRecord(media) ? str(media.caption) : null;
      return caption === null ? null : { text: caption, type: "caption" };
    }
    default:
      return null;
  }
}

function reply(label: string | null, payload: string | null, type: Content["type"]): Content | null {
  const p = payload !== null && payload.length <= MAX_ID_CHARS ? payload : null;
  const text = label ?? p;
  if (text === null) return null;
  return p === null ? { text, type } : { text, type, payload: p };
}

/** `from`: digits, maybe with a leading "+"; E.164 length. */
function phoneOf(v: unknown): string | null {
  if (typeof v !== "string" && typeof v !== "number") return null;
  const raw = String(v).trim();
  if (!/^\+?\d{8,15}$/.test(raw)) return null;
  const digits = raw.replace(/^\+/, "");
  return digits.startsWith("0") ? null : digits;
}

function profileNameOf(contacts: Json[], phone: string): string | undefined {
  const match = contacts.find((c) => c.wa_id === phone) ?? (contacts.length === 1 ? contacts[0] : undefined);
  const name = match && isRecord(match.profile) ? str(match.profile.name) : null;
  return name === null ? undefined : name.slice(0, 128);
}

/** Seconds since the epoch, by the one reading of a message's timestamp every gateway shares (domain/inbound-message.ts). */
function unixSeconds(v: unknown): number | null {
  const at = messageTimestamp(v);
  return at ? at.getTime() / 1000 : null;
}

/** A query parameter `hub.<name>` from the shapes callers have. */
function queryValue(query: unknown, name: string): string | null {
  let v: unknown;
  if (query instanceof URLSearchParams) {
    const all = query.getAll(`hub.${name}`);
    v = all.length === 1 ? all[0] : undefined;
  } else if (isRecord(query)) {
    v = query[`hub.${name}`];
    if (v === undefined && isRecord(query.hub)) v = query.hub[name];
  }
  return typeof v === "string" && v !== "" ? v : null;
}

/** Constant-time: both sides hashed to equal-length digests first. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}

function str(v: unknown): string | null {
  return typeof v === "string" && v.trim() !== "" ? v : null;
}
