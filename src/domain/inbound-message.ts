import { createHash } from "node:crypto";

/**
 * What an inbound WhatsApp message is, whatever gateway posted it: its kind (text or one of the
 * non-text kinds), its own timestamp, a bounded text, and the key that de-duplicates a delivery
 * without a message id. Pure.
 */

/** Messages that carry no text to classify. `voice` is a voice note (push-to-talk), `audio` an audio file. */
export type NonTextKind = "voice" | "audio" | "image" | "video" | "sticker" | "document" | "location" | "contact" | "reaction";

/** What the inbox stores as the body of a non-text message (the customer's language). */
export const NON_TEXT_BODY: Record<NonTextKind, string> = {
  voice: "[mensagem de voz]",
  audio: "[áudio]",
  image: "[imagem]",
  video: "[vídeo]",
  sticker: "[figurinha]",
  document: "[documento]",
  location: "[localização]",
  contact: "[contato]",
  reaction: "[reação]",
};

/** How the operator's views say it: "answered with a voice note". */
export const NON_TEXT_NAME: Record<NonTextKind, string> = {
  voice: "a voice note",
  audio: "an audio",
  image: "an image",
  video: "a video",
  sticker: "a sticker",
  document: "a document",
  location: "a location",
  contact: "a contact card",
  reaction: "a reaction",
};

export function isNonTextKind(v: unknown): v is NonTextKind {
  return typeof v === "string" && Object.hasOwn(NON_TEXT_BODY, v);
}

/** The inbox body of a non-text message: the label, and a reaction's emoji after it ("[reação] 👍"). */
export function nonTextBody(kind: NonTextKind, detail?: string | null): string {
  const d = detail?.trim().slice(0, 16);
  return d ? `${NON_TEXT_BODY[kind]} ${d}` : NON_TEXT_BODY[kind];
}

/**
 * The message's own timestamp (when the customer sent it): Unix seconds as a number, a numeric
 * string, or a protobuf Long `{low, high, unsigned}` (Baileys and forks that post the raw proto);
 * milliseconds are recognised (> 10^12). Null when absent or not a plausible instant.
 */
export function messageTimestamp(v: unknown): Date | null {
  let n: number | null = null;
  if (typeof v === "number") n = v;
  else if (typeof v === "string" && /^\d{1,15}$/.test(v.trim())) n = Number(v.trim());
  else if (typeof v === "object" && v !== null && !Array.isArray(v)) {
    const { low, high } = v as { low?: unknown; high?: unknown };
    if (typeof low === "number" && typeof high === "number" && Number.isInteger(low) && Number.isInteger(high) && high >= 0) {
      n = high * 2 ** 32 + (low >>> 0);
    }
  }
  if (n === null || !Number.isFinite(n) || n <= 0) return null;
  const ms = n > 1e12 ? n : n * 1000;
  // Before 2009 (WhatsApp) or beyond 2100: not a message's timestamp.
  if (ms < Date.UTC(2009, 0, 1) || ms > Date.UTC(2100, 0, 1)) return null;
  return new Date(Math.floor(ms / 1000) * 1000);
}

/**
 * A message dated more than this before the follow-up went out cannot answer it (a replayed or
 * history-synced message): it is recorded, not applied. The margin absorbs the clock difference
 * between the customer's phone, WhatsApp and this server.
 */
export const CLOCK_SKEW_MARGIN_MS = 2 * 60 * 1000;

/** Whether a message sent at `sentAt` predates the follow-up sent at `followupSentAt` (ISO), beyond the margin. */
export function olderThanFollowup(sentAt: Date | null | undefined, followupSentAt: string | null): boolean {
  if (!sentAt || !followupSentAt) return false;
  const followup = Date.parse(followupSentAt);
  return Number.isFinite(followup) && sentAt.getTime() < followup - CLOCK_SKEW_MARGIN_MS;
}

/** Stored and classified text is cut here (characters, never inside a surrogate pair). */
export const MAX_INBOUND_TEXT_CHARS = 4096;

/**
 * The first MAX_INBOUND_TEXT_CHARS characters (what is classified), the original length when cut
 * (else null), and the body the inbox stores: the kept part, marked when cut.
 */
export function capInboundText(text: string): { text: string; originalLength: number | null; stored: string } {
  if (text.length <= MAX_INBOUND_TEXT_CHARS) return { text, originalLength: null, stored: text };
  let end = MAX_INBOUND_TEXT_CHARS;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  const kept = text.slice(0, end);
  return { text: kept, originalLength: text.length, stored: `${kept}${truncationMark(text.length)}` };
}

/** Appended to a stored body that was cut: " … [truncated: 70000 characters in all]". */
export function truncationMark(originalLength: number): string {
  return ` … [truncated: ${originalLength} characters in all]`;
}

/**
 * The identity of a delivery without a message id, stored as its message id ("dedupe:" + SHA-256
 * hex of phone, company, the message's own timestamp in seconds and its text): a redelivery
 * carries the same and is applied once (the window is the timestamp's second; the row lives until
 * retention). Without a timestamp there is no identity (two equal "sim" minutes apart are two
 * messages): null, and the message is applied as it comes.
 */
export function inboundDedupeKey(m: { phone: string; text: string; sentAt?: Date | null; companyId?: string | null }): string | null {
  if (!m.sentAt) return null;
  const seconds = Math.floor(m.sentAt.getTime() / 1000);
  return `dedupe:${createHash("sha256").update(`${m.phone}\n${m.companyId ?? ""}\n${seconds}\n${m.text}`, "utf8").digest("hex")}`;
}

/** The non-text kind a Baileys message key stands for (Baileys `proto.IMessage`, as Evolution and Whaticket-SaaS post it). */
const BAILEYS_KINDS: Record<string, NonTextKind> = {
  audioMessage: "audio",
  imageMessage: "image",
  videoMessage: "video",
  ptvMessage: "video",
  stickerMessage: "sticker",
  documentMessage: "document",
  documentWithCaptionMessage: "document",
  locationMessage: "location",
  liveLocationMessage: "location",
  contactMessage: "contact",
  contactsArrayMessage: "contact",
  reactionMessage: "reaction",
};

const WRAPPERS = ["ephemeralMessage", "viewOnceMessage", "viewOnceMessageV2", "viewOnceMessageV2Extension"];

/**
 * What a Baileys message without readable text is: a voice note (`audioMessage.ptt`), an audio,
 * image, video, sticker, document, location, contact or reaction (its emoji as `detail`). Null for
 * anything else (a deletion, a poll update, a key distribution: nothing the customer wrote), and
 * for a reaction being removed (empty emoji). Call after the text readers found no text.
 */
export function baileysNonText(message: Record<string, unknown>, depth = 0): { kind: NonTextKind; detail?: string } | null {
  for (const [key, kind] of Object.entries(BAILEYS_KINDS)) {
    const m = message[key];
    if (typeof m !== "object" || m === null) continue;
    const fields = m as Record<string, unknown>;
    if (kind === "audio") return { kind: fields.ptt === true ? "voice" : "audio" };
    if (kind === "reaction") return typeof fields.text === "string" && fields.text.trim() !== "" ? { kind, detail: fields.text } : null;
    return { kind };
  }
  if (depth < 2) {
    for (const w of WRAPPERS) {
      const inner = message[w];
      if (typeof inner === "object" && inner !== null && typeof (inner as { message?: unknown }).message === "object" && (inner as { message?: unknown }).message !== null) {
        const found = baileysNonText((inner as { message: Record<string, unknown> }).message, depth + 1);
        if (found) return found;
      }
    }
  }
  return null;
}

/** Whaticket's `mediaType` (whatsapp-web.js message types, or the MIME family Whaticket stores for media). */
const WHATICKET_KINDS: Record<string, NonTextKind> = {
  ptt: "voice",
  audio: "audio",
  image: "image",
  video: "video",
  sticker: "sticker",
  document: "document",
  application: "document",
  location: "location",
  vcard: "contact",
  multi_vcard: "contact",
  contactsarray: "contact",
  reaction: "reaction",
};

/** A body that is only a media file's name: Whaticket stores it as the body of a media message without caption. */
const FILE_NAME = /^[\w .()-]{1,200}\.(?:jpe?g|png|webp|gif|heic|mp4|3gp|mov|pdf|ogg|oga|opus|mp3|m4a|aac|amr|wav|docx?|xlsx?|pptx?|txt|zip|vcf)$/i;

/**
 * A Whaticket message's kind from its `mediaType` and body: null for text ("chat", absent) and for
 * an image, video or document whose body is a caption (the caption is the customer's text).
 */
export function whaticketNonText(mediaType: unknown, body: string | null): { kind: NonTextKind; detail?: string } | null {
  if (typeof mediaType !== "string") return null;
  const kind = WHATICKET_KINDS[mediaType.trim().toLowerCase()];
  if (!kind) return null;
  if ((kind === "image" || kind === "video" || kind === "document") && body !== null && !FILE_NAME.test(body.trim())) return null;
  if (kind === "reaction") return body ? { kind, detail: body } : null;
  return { kind };
}
