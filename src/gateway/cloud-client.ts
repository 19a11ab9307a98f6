import { performance } from "node:perf_hooks";
import { GatewayHttp, elapsedMs, isRecord, joinUrl, parseJsonText, redactSecrets, safeText, type GatewayHttpOptions } from "./http-transport.js";
import { parseRetryAfter, type ClassifiedResponse, type OutgoingMessage, type SendOutcome } from "./whaticket.js";

/**
 * The WhatsApp Cloud API gateway (Meta Graph API v20+): free text, the follow-up template with
 * two quick-reply buttons, and interactive slot offers (list or reply buttons), each answer turned
 * into the SendOutcome classes Whaticket uses (sent / permanent / config / transient).
 *
 * Shapes used:
 * - `POST {graphBase}/{version}/{phoneNumberId}/messages`, `Authorization: Bearer {accessToken}`,
 *   body `{messaging_product: "whatsapp", recipient_type: "individual", to, type, ...}`:
 *   WhatsApp/WhatsApp-Nodejs-SDK src/api/messages.ts bodyBuilder() and src/types/messages.ts
 *   (MessageRequestBody, MessagesResponse `{messaging_product, contacts: [{input, wa_id}], messages: [{id}]}`).
 * - Template: SDK website/docs/api-reference/types/TemplateObject.md — `{name, language: {policy:
 *   "deterministic", code}, components: [{type: "body", parameters: [{type: "text", text}]},
 *   {type: "button", sub_type: "quick_reply", index: "0", parameters: [{type: "payload", payload}]}]}`
 *   (the SDK's own ButtonComponentObject type wrongly makes `parameters` a single object; the docs
 *   and the API take an array).
 * - Interactive: SDK src/types/messages.ts (ButtonInteractiveObject, ListInteractiveObject,
 *   ActionObject, RowObject) and Meta's "Interactive reply buttons messages" page
 *   (developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-reply-buttons-messages):
 *   at most 3 reply buttons (title ≤ 20 chars), a list of at most 10 rows (title ≤ 24, description ≤ 72,
 *   action button ≤ 20 chars).
 * - Errors: Graph error object `{error: {message, type, code, error_data: {messaging_product,
 *   details}, error_subcode?, fbtrace_id}}` (Meta "Cloud API error codes" page); classified by
 *   `error.code`, the HTTP status only as a fallback.
 */

export const DEFAULT_GRAPH_BASE = "https://graph.facebook.com";
export const DEFAULT_GRAPH_VERSION = "v21.0";
/** Quick-reply payloads of the follow-up template: what parseCloudWebhook reports as buttonPayload. */
export const FOLLOWUP_YES = "FOLLOWUP_YES";
export const FOLLOWUP_NO = "FOLLOWUP_NO";
/** Interactive limits of the Cloud API. */
export const MAX_REPLY_BUTTONS = 3;
export const MAX_LIST_ROWS = 10;

export interface CloudTemplateRef {
  /** Approved template name, e.g. "followup_reuniao". */
  name: string;
  /** Language (and locale) code it was approved in, e.g. "pt_BR". */
  language: string;
}

export interface CloudTarget {
  /** Default https://graph.facebook.com; tests point it at the fake. */
  graphBase?: string;
  /** Graph API version, "v20.0" or later. Default DEFAULT_GRAPH_VERSION. */
  version?: string;
  /** The business phone number id (digits) that sends. */
  phoneNumberId: string;
  /** System-user or long-lived access token. */
  accessToken: string;
  /** The company's follow-up template. */
  followupTemplate?: CloudTemplateRef;
}

export interface CloudTemplateMessage {
  number: string;
  /** Defaults to the target's followupTemplate. */
  template?: CloudTemplateRef;
  /** Body parameters {{1}}, {{2}}, … in order. */
  bodyParameters: string[];
  /** One quick-reply button component per payload, index 0.. in order. */
  quickReplyPayloads?: string[];
}

export interface CloudReplyButton {
  /** Up to 256 characters; comes back as button_reply.id. */
  id: string;
  /** Up to 20 characters (longer titles are cut). */
  title: string;
}

export interface CloudListRow {
  /** Up to 200 characters; comes back as list_reply.id. */
  id: string;
  /** Up to 24 characters (cut). */
  title: string;
  /** Up to 72 characters (cut). */
  description?: string;
}

export type CloudInteractiveMessage =
  | { kind: "buttons"; number: string; body: string; header?: string; footer?: string; buttons: CloudReplyButton[] }
  | { kind: "list"; number: string; body: string; header?: string; footer?: string; buttonText: string; sectionTitle?: string; rows: CloudListRow[] };

export interface CloudGateway {
  /** Free text (`type: "text"`); only delivered inside the 24-hour customer service window. */
  send(target: CloudTarget, msg: OutgoingMessage): Promise<SendOutcome>;
  sendTemplate(target: CloudTarget, msg: CloudTemplateMessage): Promise<SendOutcome>;
  sendInteractive(target: CloudTarget, msg: CloudInteractiveMessage): Promise<SendOutcome>;
  close(): Promise<void> | void;
}

export type CloudClientOptions = GatewayHttpOptions;

/** The follow-up template: body [first name, "de hoje" / "de ontem" / date text], buttons FOLLOWUP_YES / FOLLOWUP_NO. */
export function followupTemplateMessage(input: { number: string; firstName: string; dayText: string; template?: CloudTemplateRef }): CloudTemplateMessage {
  const msg: CloudTemplateMessage = {
    number: input.number,
    bodyParameters: [input.firstName, input.dayText],
    quickReplyPayloads: [FOLLOWUP_YES, FOLLOWUP_NO],
  };
  if (input.template) msg.template = input.template;
  return msg;
}

/**
 * Slot offers: rows (or buttons) with ids SLOT_1..SLOT_n, n ≤ 10. "auto" uses reply buttons when
 * there are at most 3 slots whose labels fit a button (20 chars), else a list.
 */
export function slotOfferMessage(input: {
  number: string;
  body: string;
  slots: { title: string; description?: string }[];
  style?: "auto" | "list" | "buttons";
  buttonText?: string;
  sectionTitle?: string;
  footer?: string;
}): CloudInteractiveMessage {
  const slots = input.slots.slice(0, MAX_LIST_ROWS);
  const style = input.style ?? "auto";
  const fitsButtons = slots.length <= MAX_REPLY_BUTTONS && slots.every((s) => s.title.trim().length <= 20 && s.description === undefined);
  if (style === "buttons" || (style === "auto" && fitsButtons && slots.length > 0)) {
    const msg: CloudInteractiveMessage = {
      kind: "buttons",
      number: input.number,
      body: input.body,
      buttons: slots.slice(0, MAX_REPLY_BUTTONS).map((s, i) => ({ id: `SLOT_${i + 1}`, title: s.title })),
    };
    if (input.footer !== undefined) msg.footer = input.footer;
    return msg;
  }
  const msg: CloudInteractiveMessage = {
    kind: "list",
    number: input.number,
    body: input.body,
    buttonText: input.buttonText ?? "Ver horários",
    rows: slots.map((s, i) => {
      const row: CloudListRow = { id: `SLOT_${i + 1}`, title: s.title };
      if (s.description !== undefined) row.description = s.description;
      return row;
    }),
  };
  if (input.sectionTitle !== undefined) msg.sectionTitle = input.sectionTitle;
  if (input.footer !== undefined) msg.footer = input.footer;
  return msg;
}

export class CloudClient implements CloudGateway {
  private readonly http: GatewayHttp;

  constructor(options: CloudClientOptions = {}) {
    this.http = new GatewayHttp(options);
  }

  send(target: CloudTarget, msg: OutgoingMessage): Promise<SendOutcome> {
    return this.post(target, msg.number, () => {
      if (msg.body.trim() === "") return "empty text (not sent)";
      return { type: "text", text: { preview_url: false, body: msg.body } };
    });
  }

  sendTemplate(target: CloudTarget, msg: CloudTemplateMessage): Promise<SendOutcome> {
    const template = msg.template ?? target.followupTemplate;
    if (!template || template.name.trim() === "" || template.language.trim() === "") {
      return Promise.resolve(localOutcome("config", "Cloud API template name or language is not configured", performance.now()));
    }
    return this.post(target, msg.number, () => buildTemplate(template, msg));
  }

  sendInteractive(target: CloudTarget, msg: CloudInteractiveMessage): Promise<SendOutcome> {
    return this.post(target, msg.number, () => buildInteractive(msg));
  }

  close(): void {
    this.http.close();
  }

  /** Checks the target and number, builds the type-specific part (or a reason not to send), posts, classifies. */
  private async post(target: CloudTarget, rawNumber: string, build: () => Record<string, unknown> | string): Promise<SendOutcome> {
    const started = performance.now();
    const endpoint = cloudMessagesEndpoint(target);
    if (typeof endpoint !== "string") return localOutcome("config", endpoint.error, started);
    const token = target.accessToken.trim();
    if (token === "") return localOutcome("config", "Cloud API access token is empty", started);
    const to = rawNumber.replace(/\D/g, "");
    if (to === "") return localOutcome("permanent", "invalid number (no digits; not sent)", started);
    const part = build();
    if (typeof part === "string") return localOutcome("permanent", part, started);

    const secrets = [token];
    const payload = { messaging_product: "whatsapp", recipient_type: "individual", to, ...part };
    const exchange = await this.http.postJson(endpoint, payload, { Authorization: `Bearer ${token}` }, secrets);
    if (!exchange.answered) return { kind: "transient", error: exchange.error, durationMs: exchange.durationMs };
    const classified = classifyCloudResponse(exchange.status, exchange.body, exchange.retryAfter, new Date());
    const outcome = { ...classified, durationMs: exchange.durationMs } as SendOutcome;
    if ("error" in outcome) outcome.error = redactSecrets(outcome.error, secrets);
    return outcome;
  }
}

/** `{graphBase}/{version}/{phoneNumberId}/messages`, or why the target cannot be used. */
export function cloudMessagesEndpoint(target: Pick<CloudTarget, "graphBase" | "version" | "phoneNumberId">): string | { error: string } {
  const version = (target.version ?? DEFAULT_GRAPH_VERSION).trim();
  const m = /^v(\d+)\.(\d+)$/.exec(version);
  if (!m || Number(m[1]) < 20) return { error: `Cloud API version must be v20.0 or later, like "${DEFAULT_GRAPH_VERSION}"` };
  const phoneNumberId = target.phoneNumberId.trim();
  if (!/^\d{1,30}$/.test(phoneNumberId)) return { error: "Cloud API phone number id must be digits" };
  const url = joinUrl(target.graphBase ?? DEFAULT_GRAPH_BASE, `/${version}/${phoneNumberId}/messages`);
  return url ?? { error: "invalid Graph API base URL: expected http(s)://host[:port]" };
}

/** The `type: "template"` part of a request. Pure. */
export function buildTemplate(template: CloudTemplateRef, msg: Pick<CloudTemplateMessage, "bodyParameters" | "quickReplyPayloads">): Record<string, unknown> | string {
  const components: Record<string, unknown>[] = [];
  if (msg.bodyParameters.length > 0) {
    if (msg.bodyParameters.some((p) => p.trim() === "")) return "empty template body parameter (not sent)";
    // Template parameters may not hold newlines, tabs or more than 4 consecutive spaces (#132018).
    components.push({ type: "body", parameters: msg.bodyParameters.map((text) => ({ type: "text", text: oneLine(text) })) });
  }
  (msg.quickReplyPayloads ?? []).forEach((payload, index) => {
    components.push({ type: "button", sub_type: "quick_reply", index: String(index), parameters: [{ type: "payload", payload }] });
  });
  const body: Record<string, unknown> = { name: template.name.trim(), language: { policy: "deterministic", code: template.language.trim() } };
  if (components.length > 0) body.components = components;
  return { type: "template", template: body };
}

/** The `type: "interactive"` part of a request (titles cut to the API's limits). Pure. */
export function buildInteractive(msg: CloudInteractiveMessage): Record<string, unknown> | string {
  if (msg.body.trim() === "") return "empty interactive body (not sent)";
  const interactive: Record<string, unknown> = { type: msg.kind === "buttons" ? "button" : "list", body: { text: cut(msg.body, 1024) } };
  if (msg.header !== undefined && msg.header.trim() !== "") interactive.header = { type: "text", text: cut(msg.header, 60) };
  if (msg.footer !== undefined && msg.footer.trim() !== "") interactive.footer = { text: cut(msg.footer, 60) };
  if (msg.kind === "buttons") {
    if (msg.buttons.length === 0 || msg.buttons.length > MAX_REPLY_BUTTONS) return `reply buttons must be 1 to ${MAX_REPLY_BUTTONS} (not sent)`;
    if (msg.buttons.some((b) => b.id.trim() === "" || b.id.length > 256 || b.title.trim() === "")) return "reply button without id or title (not sent)";
    interactive.action = { buttons: msg.buttons.map((b) => ({ type: "reply", reply: { id: b.id, title: cut(b.title, 20) } })) };
  } else {
    if (msg.rows.length === 0 || msg.rows.length > MAX_LIST_ROWS) return `list rows must be 1 to ${MAX_LIST_ROWS} (not sent)`;
    if (msg.rows.some((r) => r.id.trim() === "" || r.id.length > 200 || r.title.trim() === "")) return "list row without id or title (not sent)";
    if (msg.buttonText.trim() === "") return "list button text is empty (not sent)";
    const section: Record<string, unknown> = {
      rows: msg.rows.map((r) => {
        const row: Record<string, unknown> = { id: r.id, title: cut(r.title, 24) };
        if (r.description !== undefined && r.description.trim() !== "") row.description = cut(r.description, 72);
        return row;
      }),
    };
    if (msg.sectionTitle !== undefined && msg.sectionTitle.trim() !== "") section.title = cut(msg.sectionTitle, 24);
    interactive.action = { button: cut(msg.buttonText, 20), sections: [section] };
  }
  return { type: "interactive", interactive };
}

/** Codes about this recipient or this request: retrying will not help. */
const PERMANENT_CODES = new Map<number, string>([
  [131047, "re-engagement required: more than 24h since the customer's last message, send a template"],
  [131026, "message undeliverable"],
  [100, "invalid parameter"],
  [131008, "required parameter missing"],
  [131009, "parameter value invalid"],
  [131021, "recipient is the sender"],
  [131051, "unsupported message type"],
  [131052, "media download error"],
  [131053, "media upload error"],
]);

/** Codes about the company's setup (token, permissions, account, template): pause the company, burn nothing. */
const CONFIG_CODES = new Map<number, string>([
  [190, "access token expired or invalid"],
  [10, "permission denied"],
  [3, "API method not allowed for this app"],
  [131005, "access denied"],
  [131031, "business account locked"],
  [131042, "business payment issue"],
  [131045, "phone number registration error"],
  [133010, "phone number not registered"],
  [368, "temporarily blocked for policy violations"],
]);

/** Rate limits and passing failures: retry later. */
const TRANSIENT_CODES = new Map<number, string>([
  [131056, "pair rate limit hit"],
  [130429, "rate limit hit"],
  [131048, "spam rate limit hit"],
  [80007, "rate limit issues"],
  [4, "too many API calls"],
  [131000, "something went wrong"],
  [131016, "service unavailable"],
  [1, "API unknown error"],
  [2, "API service temporarily unavailable"],
  [133004, "server temporarily unavailable"],
]);

/**
 * Turns a Graph API answer into an outcome. Pure. `error.code` decides (200–299 permission codes
 * and 132xxx template errors are config; 100 with subcode 33 — the phone number id does not
 * exist — is config); unknown codes fall back to the HTTP status like Whaticket's rules.
 */
export function classifyCloudResponse(status: number, body: unknown, retryAfter?: string | null, now?: Date): ClassifiedResponse {
  const parsed = parseJsonText(body);
  if (status >= 200 && status < 300) {
    const error = graphError(parsed);
    if (!error) {
      const messageId = wamidOf(parsed);
      return messageId === undefined ? { kind: "sent", status } : { kind: "sent", status, messageId };
    }
  }
  const err = graphError(parsed);
  const code = err?.code;
  const label = code === undefined ? undefined : describeCode(code, err?.subcode);
  const title = err?.message ? graphTitle(err.message) : undefined;
  const error = [`HTTP ${status}`, code === undefined ? undefined : `#${code}`, label ?? title].filter(Boolean).join(" ");
  const transient = (): ClassifiedResponse => {
    const retryAfterMs = parseRetryAfter(retryAfter, now);
    return retryAfterMs === undefined ? { kind: "transient", status, error } : { kind: "transient", status, error, retryAfterMs };
  };

  if (code !== undefined) {
    if (code === 100 && err?.subcode === 33) return { kind: "config", status, error };
    if (TRANSIENT_CODES.has(code)) return transient();
    if (CONFIG_CODES.has(code) || (code >= 200 && code <= 299) || (code >= 132000 && code < 133000)) return { kind: "config", status, error };
    if (PERMANENT_CODES.has(code)) return { kind: "permanent", status, error };
  }
  if (status >= 200 && status < 300) return { kind: "permanent", status, error };
  if (status >= 300 && status < 400) return { kind: "config", status, error: `${error} redirect: check the Graph API base URL` };
  if (status === 401 || status === 403) return { kind: "config", status, error };
  if (status === 404) return { kind: "config", status, error };
  if (status === 408 || status === 429 || status >= 500 || status < 200) return transient();
  return { kind: "permanent", status, error };
}

function describeCode(code: number, subcode: number | undefined): string | undefined {
  if (code === 100 && subcode === 33) return "phone number id not found or not accessible";
  if (code >= 200 && code <= 299) return "permission denied";
  if (code >= 132000 && code < 133000) return "template error: check the template name, language and parameters";
  return PERMANENT_CODES.get(code) ?? CONFIG_CODES.get(code) ?? TRANSIENT_CODES.get(code);
}

interface GraphError {
  code?: number;
  subcode?: number;
  message?: string;
}

function graphError(parsed: unknown): GraphError | undefined {
  if (!isRecord(parsed) || !isRecord(parsed.error)) return undefined;
  const e = parsed.error;
  const out: GraphError = {};
  const code = typeof e.code === "string" && /^\d+$/.test(e.code) ? Number(e.code) : e.code;
  if (typeof code === "number" && Number.isInteger(code)) out.code = code;
  if (typeof e.error_subcode === "number" && Number.isInteger(e.error_subcode)) out.subcode = e.error_subcode;
  if (typeof e.message === "string") out.message = e.message;
  return out;
}

/** "(#131026) Message Undeliverable." → "Message Undeliverable."; bounded, one line. */
function graphTitle(message: string): string | undefined {
  const t = safeText(message.replace(/^\(#\d+\)\s*/, ""), 80);
  return t === "" ? undefined : t;
}

/** `messages[0].id`, the wamid. */
function wamidOf(parsed: unknown): string | undefined {
  if (!isRecord(parsed) || !Array.isArray(parsed.messages)) return undefined;
  const first: unknown = parsed.messages[0];
  if (isRecord(first) && typeof first.id === "string" && first.id.trim() !== "") return safeText(first.id, 256);
  return undefined;
}

function localOutcome(kind: "config" | "permanent", error: string, started: number): SendOutcome {
  return { kind, status: 0, error, durationMs: elapsedMs(started) };
}

function cut(s: string, max: number): string {
  const chars = Array.from(s.trim());
  return chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : chars.join("");
}

function oneLine(s: string): string {
  return s.replace(/[\r\n\t]+/g, " ").replace(/ {4,}/g, "   ").trim();
}
