import { messageTimestamp } from "../domain/inbound-message.js";
import { baileysNonText, nonTextBody, type NonTextKind } from "../domain/inbound-message.js";
import { phoneFromJid } from "../domain/phone.js";
import { isRecord } from "./http-transport.js";

/**
 * Inbound messages from an Evolution API v2 webhook. Pure and total: any value gives a result,
 * never an exception.
 *
 * Shapes, read from EvolutionAPI/evolution-api at v2.3.6 (commit 3454bec7):
 * - Envelope (src/api/integrations/event/webhook/webhook.controller.ts, emit()):
 *   `{event: "messages.upsert", instance, data, destination, date_time, sender, server_url, apikey}`.
 *   With "webhook by events" the URL gets a `/messages-upsert` suffix; the `event` field stays
 *   "messages.upsert" (Events.MESSAGES_UPSERT in src/api/types/wa.types.ts).
 * - `data` is prepareMessage() in src/api/integrations/channel/whatsapp/whatsapp.baileys.service.ts:
 *   `{key, pushName, status, message, contextInfo, messageType, messageTimestamp, instanceId, source}`,
 *   `key` kept as Baileys gives it (ExtendedIMessageKey: remoteJid, remoteJidAlt, fromMe, id,
 *   participant, participantAlt, addressingMode — Baileys 7.0.0-rc.6). prepareMessage() rewrites
 *   `extendedTextMessage` into `message.conversation`.
 * - LID chats: when `key.addressingMode === "lid"` the phone JID is in `key.remoteJidAlt`
 *   (the same rule as saveOnWhatsappCache in messages.upsert and chatwoot.service.ts createConversation()).
 * - Button / list answers: the fields getConversationMessage() reads in src/utils/getConversationMessage.ts
 *   (`buttonsResponseMessage.selectedButtonId`, `templateButtonReplyMessage.selectedId`,
 *   `listResponseMessage.title` / `singleSelectReply.selectedRowId`).
 */

export type EvolutionIgnoredReason = "event" | "fromMe" | "group" | "broadcast" | "no_phone" | "no_text";

export type EvolutionInbound =
  | {
      kind: "message";
      /** Digits with the country code, e.g. "5511999990000". */
      phone: string;
      text: string;
      /** WhatsApp message id (`key.id`): the idempotency key. */
      messageId: string;
      /** Unix seconds, or null when absent. */
      timestamp: number | null;
      pushName: string | null;
      /** The Evolution instance that received it (tells which company), or null. */
      instance: string | null;
      /** The id behind a tapped button or list row, when the message is such an answer. */
      buttonPayload?: string;
      /** A voice note, image, sticker… (`text` is then its label, e.g. "[mensagem de voz]"). */
      media?: NonTextKind;
    }
  | { kind: "ignored"; reason: EvolutionIgnoredReason }
  | { kind: "invalid"; reason: string };

const MAX_ID_CHARS = 256;
const MAX_NAME_CHARS = 128;

type Json = Record<string, unknown>;

export function parseEvolutionWebhook(body: unknown): EvolutionInbound {
  try {
    return parse(body);
  } catch {
    // Defence in depth (getters, exotic objects): input never escapes as an exception.
    return { kind: "invalid", reason: "unreadable body" };
  }
}

function parse(body: unknown): EvolutionInbound {
  if (typeof body === "string" || Buffer.isBuffer(body)) {
    try {
      body = JSON.parse(body.toString()) as unknown;
    } catch {
      return { kind: "invalid", reason: "body is not JSON" };
    }
  }
  if (!isRecord(body)) return { kind: "invalid", reason: "expected an Evolution webhook object {event, instance, data}" };
  if (typeof body.event !== "string" || body.event.trim() === "") return { kind: "invalid", reason: "event is missing" };
  // "messages.upsert"; the MESSAGES_UPSERT / messages-upsert spellings are the same event.
  const event = body.event.trim().toLowerCase().replace(/[_-]/g, ".");
  if (event !== "messages.upsert") return { kind: "ignored", reason: "event" };
  const instance = typeof body.instance === "string" && body.instance.trim() !== "" ? body.instance.trim().slice(0, MAX_NAME_CHARS) : null;

  let data = body.data;
  if (Array.isArray(data)) {
    if (data.length !== 1) return { kind: "invalid", reason: "data must be one message" };
    data = data[0];
  }
  if (!isRecord(data)) return { kind: "invalid", reason: "data is missing: the message object" };
  const key = data.key;
  if (!isRecord(key)) return { kind: "invalid", reason: "data.key is missing" };
  if (key.fromMe === true || key.fromMe === "true") return { kind: "ignored", reason: "fromMe" };

  const remoteJid = str(key.remoteJid);
  if (remoteJid === null) return { kind: "invalid", reason: "data.key.remoteJid is missing" };
  const chat = remoteJid.trim();
  if (chat.endsWith("@g.us")) return { kind: "ignored", reason: "group" };
  if (chat.endsWith("@broadcast") || chat.endsWith("@newsletter")) return { kind: "ignored", reason: "broadcast" };

  const phone = senderPhone(key, chat);
  if (phone === "no_phone") return { kind: "ignored", reason: "no_phone" };
  if (phone === null) return { kind: "invalid", reason: "data.key.remoteJid is not a WhatsApp phone JID" };

  const id = str(key.id);
  if (id === null) return { kind: "invalid", reason: "data.key.id is missing" };
  if (id.length > MAX_ID_CHARS) return { kind: "invalid", reason: `data.key.id is longer than ${MAX_ID_CHARS} characters` };

  if (data.message !== undefined && data.message !== null && !isRecord(data.message)) return { kind: "invalid", reason: "data.message must be an object" };
  let content = isRecord(data.message) ? messageContent(data.message) : null;
  let media: NonTextKind | undefined;
  if (content === null) {
    // audioMessage (ptt: a voice note), imageMessage, stickerMessage…: recorded as what they are.
    const nonText = isRecord(data.message) ? baileysNonText(data.message) : null;
    if (nonText === null) return { kind: "ignored", reason: "no_text" };
    content = { text: nonTextBody(nonText.kind, nonText.detail) };
    media = nonText.kind;
  }

  const pushName = str(data.pushName);
  const result: EvolutionInbound = {
    kind: "message",
    phone,
    // Length: bounded by the HTTP body limit; the reply service keeps the first 4,096 characters, marked.
    text: content.text,
    messageId: id.trim(),
    timestamp: unixSeconds(data.messageTimestamp),
    pushName: pushName === null ? null : pushName.slice(0, MAX_NAME_CHARS),
    instance,
  };
  if (content.payload !== undefined) result.buttonPayload = content.payload;
  if (media !== undefined) result.media = media;
  return result;
}

/** The sender's phone: remoteJidAlt when the chat is addressed by LID, else remoteJid; "no_phone" for a LID without one. */
function senderPhone(key: Json, remoteJid: string): string | "no_phone" | null {
  const isLid = key.addressingMode === "lid" || remoteJid.endsWith("@lid");
  const candidates = isLid ? [key.remoteJidAlt, key.senderPn, remoteJid] : [remoteJid, key.remoteJidAlt];
  for (const c of candidates) {
    const jid = str(c);
    const phone = jid ? phoneFromJid(jid) : null;
    if (phone) return phone;
  }
  return isLid ? "no_phone" : null;
}

interface Content {
  text: string;
  payload?: string;
}

/** Text of the message: plain, extended, button/list answers, captions; disappearing/view-once wrappers opened. */
function messageContent(message: Json, depth = 0): Content | null {
  const plain = str(message.conversation) ?? (isRecord(message.extendedTextMessage) ? str(message.extendedTextMessage.text) : null);
  if (plain) return { text: plain };

  const buttons = message.buttonsResponseMessage;
  if (isRecord(buttons)) {
    const c = answer(str(buttons.selectedDisplayText), str(buttons.selectedButtonId));
    if (c) return c;
  }
  const template = message.templateButtonReplyMessage;
  if (isRecord(template)) {
    const c = answer(str(template.selectedDisplayText), str(template.selectedId));
    if (c) return c;
  }
  const list = message.listResponseMessage;
  if (isRecord(list)) {
    const rowId = isRecord(list.singleSelectReply) ? str(list.singleSelectReply.selectedRowId) : null;
    const c = answer(str(list.title), rowId);
    if (c) return c;
  }
  const interactive = message.interactiveResponseMessage;
  if (isRecord(interactive)) {
    const bodyText = isRecord(interactive.body) ? str(interactive.body.text) : null;
    const c = answer(bodyText, nativeFlowId(interactive.nativeFlowResponseMessage));
    if (c) return c;
  }
  for (const media of ["imageMessage", "videoMessage", "documentMessage"]) {
    const m = message[media];
    const caption = isRecord(m) ? str(m.caption) : null;
    if (caption) return { text: caption };
  }
  if (depth < 2) {
    for (const wrapper of ["ephemeralMessage", "viewOnceMessage", "viewOnceMessageV2", "documentWithCaptionMessage"]) {
      const w = message[wrapper];
      if (isRecord(w) && isRecord(w.message)) {
        const c = messageContent(w.message, depth + 1);
        if (c) return c;
      }
    }
  }
  return null;
}

function answer(text: string | null, payload: string | null): Content | null {
  const p = payload !== null && payload.length <= MAX_ID_CHARS ? payload : null;
  const t = text ?? p;
  if (t === null) return null;
  return p === null ? { text: t } : { text: t, payload: p };
}

/** `nativeFlowResponseMessage.paramsJson` is a JSON string whose `id` is the tapped button's id. */
function nativeFlowId(v: unknown): string | null {
  if (!isRecord(v) || typeof v.paramsJson !== "string" || v.paramsJson.length > 4096) return null;
  try {
    const params = JSON.parse(v.paramsJson) as unknown;
    return isRecord(params) ? str(params.id) : null;
  } catch {
    return null;
  }
}

/** Seconds since the epoch, by the one reading of a message's timestamp every gateway shares (domain/inbound-message.ts). */
function unixSeconds(v: unknown): number | null {
  const at = messageTimestamp(v);
  return at ? at.getTime() / 1000 : null;
}

function str(v: unknown): string | null {
  return typeof v === "string" && v.trim() !== "" ? v : null;
}
