import http from "node:http";
import { randomBytes } from "node:crypto";
import { bearerOf, digits, isRecord, ProgrammableFake, reply, type ProgrammedAnswer, type ProgrammedFailOptions, type ProgrammedFailure } from "./fake-server.js";
import { signCloudPayload } from "./cloud-inbound.js";

/**
 * A fake WhatsApp Cloud API (Graph API) server: a real HTTP server on loopback speaking
 * `POST /{version}/{phoneNumberId}/messages` with a bearer token, answering like Graph (see
 * cloud-client.ts for the sources): 200 `{messaging_product, contacts: [{input, wa_id}],
 * messages: [{id: "wamid..."}]}`, Graph error objects `{error: {message, type, code, error_data,
 * fbtrace_id}}` for a bad token (#190, 401), an unknown phone number id (#100 subcode 33), invalid
 * requests (#100), free text outside the 24h window (#131047), undeliverable numbers (#131026).
 * Failures are programmable, every request is recorded, and `postInbound` delivers a signed
 * webhook the way Meta does (X-Hub-Signature-256) so daemon tests can simulate a button tap.
 */

export type FakeCloudFailure = ProgrammedFailure;

export interface FakeCloudApiOptions {
  /** Accepted bearer tokens; when unset any non-empty token is accepted. */
  accessTokens?: string[];
  /** Phone number ids that exist; when unset any digits are accepted. */
  phoneNumberIds?: string[];
  /** Approved templates; when set, others answer 404 #132001. */
  templates?: { name: string; language: string }[];
  /** Delay before answering, in ms. Default 0. */
  latencyMs?: number;
  port?: number;
  host?: string;
  /** Keep every request in `received`. Default true. */
  record?: boolean;
}

export interface FakeCloudRequest {
  version: string;
  phoneNumberId: string;
  /** The bearer token the client sent. */
  token: string;
  to: string;
  type: string;
  /** text.body for text messages. */
  text?: string;
  templateName?: string;
  templateLanguage?: string;
  /** The whole parsed request body. */
  body: unknown;
  at: number;
  /** What the fake answered; 0 when it dropped or held the request. */
  status: number;
  /** The wamid answered on success. */
  messageId?: string;
}

export type FakeCloudFailOptions = ProgrammedFailOptions;
export interface GraphErrorOptions extends FakeCloudFailOptions {
  /** HTTP status; default depends on the code (190 → 401, 10/2xx → 403, 131000/1/2 → 500, 131016 → 503, else 400). */
  status?: number;
  subcode?: number;
  message?: string;
  details?: string;
}

export interface InboundDelivery {
  /** HTTP status of the answer; 0 when there was none. */
  status: number;
  body: string;
  /** Network error code when status is 0. */
  error?: string;
}

/** What postCloudInbound keeps of the answer. */
const MAX_ANSWER_BYTES = 256 * 1024;
const MESSAGES_ROUTE = /^\/(v\d+\.\d+)\/([^/]+)\/messages$/;

/** A Graph API error object, as Meta answers it. */
export function graphErrorBody(code: number, opts: { message?: string; subcode?: number; details?: string; type?: string } = {}): object {
  const title = opts.message ?? defaultTitle(code);
  const error: Record<string, unknown> = {
    message: code === 190 ? title : `(#${code}) ${title}`,
    type: opts.type ?? (code === 190 || code === 10 || code === 100 || code === 4 ? "OAuthException" : "GraphMethodException"),
    code,
    error_data: { messaging_product: "whatsapp", details: opts.details ?? title },
    fbtrace_id: `A${randomBytes(9).toString("base64url")}`,
  };
  if (opts.subcode !== undefined) error.error_subcode = opts.subcode;
  return { error };
}

export class FakeCloudApi extends ProgrammableFake {
  readonly options: FakeCloudApiOptions;
  readonly received: FakeCloudRequest[] = [];
  private readonly outside24h = new Set<string>();
  private readonly undeliverable = new Set<string>();

  constructor(options: FakeCloudApiOptions = {}) {
    const own = { ...options };
    super("FakeCloudApi", own);
    this.options = own;
  }

  /** The next request(s) answer a Graph error with this code (and a realistic status). */
  failNextWithCode(code: number, opts: GraphErrorOptions = {}): void {
    this.failNext(opts.status ?? defaultStatus(code), graphErrorBody(code, opts), opts);
  }

  failNumberWithCode(number: string, code: number, opts: GraphErrorOptions = {}): void {
    this.failNumber(number, opts.status ?? defaultStatus(code), graphErrorBody(code, opts), opts);
  }

  /** The customer has not written in 24h: free text and interactive answer #131047; templates still go. */
  outsideWindow(number: string, on = true): void {
    if (on) this.outside24h.add(digits(number));
    else this.outside24h.delete(digits(number));
  }

  /** Any message to this number answers #131026 (not on WhatsApp, blocked, old app). */
  markUndeliverable(number: string): void {
    this.undeliverable.add(digits(number));
  }

  clearNumber(number: string): void {
    const d = digits(number);
    this.numberFailures.delete(d);
    this.outside24h.delete(d);
    this.undeliverable.delete(d);
  }

  /** Forgets requests and programmed failures; options stay. */
  reset(): void {
    this.received.length = 0;
    this.outside24h.clear();
    this.undeliverable.clear();
    this.resetProgrammed();
  }

  /** Delivers `payload` to `url` as Meta would: JSON, signed with X-Hub-Signature-256. */
  postInbound(url: string, appSecret: string, payload: unknown, opts: PostInboundOptions = {}): Promise<InboundDelivery> {
    return postCloudInbound(url, appSecret, payload, opts);
  }

  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const route = MESSAGES_ROUTE.exec(path);
    if (!route || req.method !== "POST") {
      req.resume();
      reply(res, 400, graphErrorBody(100, { message: "Unsupported request - method type", subcode: 33 }));
      return;
    }
    this.readBody(req, res, (raw) => this.answer(req, res, route[1]!, route[2]!, raw));
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse, version: string, phoneNumberId: string, raw: string | null): void {
    const token = bearerOf(req.headers.authorization);
    let parsed: unknown;
    try {
      parsed = raw === null ? undefined : (JSON.parse(raw) as unknown);
    } catch {
      parsed = undefined;
    }
    const fields = isRecord(parsed) ? parsed : {};
    const to = typeof fields.to === "string" ? fields.to : "";
    const type = typeof fields.type === "string" ? fields.type : "text";
    const entry: FakeCloudRequest = { version, phoneNumberId, token, to, type, body: parsed, at: Date.now(), status: 0 };
    if (isRecord(fields.text) && typeof fields.text.body === "string") entry.text = fields.text.body;
    if (isRecord(fields.template)) {
      if (typeof fields.template.name === "string") entry.templateName = fields.template.name;
      if (isRecord(fields.template.language) && typeof fields.template.language.code === "string") entry.templateLanguage = fields.template.language.code;
    }
    this.countRequest(to);
    if (this.options.record !== false) this.received.push(entry);

    const decision = this.decide(phoneNumberId, token, raw, parsed, to, type);
    this.respondWith(req, res, decision, entry, (status) => {
      if (status >= 200 && status < 300 && decision.body === undefined) {
        const wamid = newWamid();
        entry.messageId = wamid;
        return { messaging_product: "whatsapp", contacts: [{ input: to, wa_id: digits(to) }], messages: [{ id: wamid, message_status: "accepted" }] };
      }
      return decision.body ?? graphErrorBody(131000);
    });
  }

  /** Programmed failures, token, phone number id, request validation, per-number rules, success. */
  private decide(phoneNumberId: string, token: string, raw: string | null, parsed: unknown, to: string, type: string): ProgrammedAnswer {
    const next = this.nextFailures.shift();
    if (next) return next;
    const tokens = this.options.accessTokens;
    if (this.rejectAll || token === "" || (tokens !== undefined && !tokens.includes(token))) {
      return graph(190, { message: "Error validating access token: Session has expired or the token is invalid." });
    }
    const ids = this.options.phoneNumberIds;
    if (!/^\d+$/.test(phoneNumberId) || (ids !== undefined && !ids.includes(phoneNumberId))) {
      return graph(100, {
        subcode: 33,
        message: `Unsupported post request. Object with ID '${phoneNumberId.slice(0, 40)}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      });
    }
    if (raw === null) return graph(100, { message: "Invalid parameter", details: "request too large" });
    if (!isRecord(parsed)) return graph(100, { message: "Invalid parameter", details: "body is not a JSON object" });
    const invalid = validateRequest(parsed, this.options.templates);
    if (invalid) return invalid.code === 100 ? graph(100, { message: "Invalid parameter", details: invalid.details }) : graph(invalid.code, { details: invalid.details });
    const d = digits(to);
    const perNumber = this.numberFailures.get(d);
    if (perNumber) return perNumber;
    if (this.undeliverable.has(d)) return graph(131026);
    if (this.outside24h.has(d) && type !== "template") return graph(131047);
    return { failure: 200 };
  }
}

export async function startFakeCloudApi(opts: FakeCloudApiOptions = {}): Promise<FakeCloudApi> {
  const fake = new FakeCloudApi(opts);
  await fake.start();
  return fake;
}

export interface PostInboundOptions {
  /** Override the signature header; null sends none (to test rejection). */
  signature?: string | null;
  /** Default 5 000 ms. */
  timeoutMs?: number;
  headers?: Record<string, string>;
}

/** POSTs a webhook delivery signed with `appSecret` (X-Hub-Signature-256), like Meta. Never rejects. */
export function postCloudInbound(url: string, appSecret: string, payload: unknown, opts: PostInboundOptions = {}): Promise<InboundDelivery> {
  const raw = Buffer.from(typeof payload === "string" ? payload : JSON.stringify(payload), "utf8");
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "Content-Length": String(raw.length),
    "User-Agent": "facebookexternalua",
    ...opts.headers,
  };
  const signature = opts.signature === undefined ? signCloudPayload(raw, appSecret) : opts.signature;
  if (signature !== null) headers["X-Hub-Signature-256"] = signature;
  return new Promise((resolve) => {
    let req: http.ClientRequest;
    try {
      req = http.request(url, { method: "POST", headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size <= MAX_ANSWER_BYTES) chunks.push(c);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", (e: NodeJS.ErrnoException) => resolve({ status: 0, body: "", error: e.code ?? "error" }));
      });
    } catch (e) {
      resolve({ status: 0, body: "", error: (e as NodeJS.ErrnoException).code ?? "ERR_INVALID_URL" });
      return;
    }
    req.setTimeout(opts.timeoutMs ?? 5_000, () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ status: 0, body: "", error: e.code ?? "error" }));
    req.end(raw);
  });
}

/* ---- Inbound payload builders (Meta's webhook shapes; see cloud-inbound.ts for the sources) ---- */

export interface InboundCommon {
  /** Customer's number, digits. */
  from: string;
  /** wamid of the inbound message; random when absent. */
  id?: string;
  /** Unix seconds; now when absent. */
  timestamp?: number;
  /** Business phone number id that receives it. Default "106540352242922". */
  phoneNumberId?: string;
  profileName?: string;
  /** wamid of our message being answered. */
  contextId?: string;
}

/** A `messages` webhook wrapping one message object. */
export function cloudWebhookEnvelope(message: Record<string, unknown>, common: InboundCommon): object {
  const phoneNumberId = common.phoneNumberId ?? "106540352242922";
  const msg: Record<string, unknown> = {
    from: common.from,
    id: common.id ?? newWamid(),
    timestamp: String(common.timestamp ?? Math.floor(Date.now() / 1000)),
    ...message,
  };
  if (common.contextId !== undefined) msg.context = { from: "15550783881", id: common.contextId };
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: "102290129340398",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550783881", phone_number_id: phoneNumberId },
              contacts: [{ profile: { name: common.profileName ?? "Cliente" }, wa_id: common.from }],
              messages: [msg],
            },
          },
        ],
      },
    ],
  };
}

export function cloudInboundText(common: InboundCommon & { text: string }): object {
  return cloudWebhookEnvelope({ type: "text", text: { body: common.text } }, common);
}

/** A tap on a template quick-reply button (FOLLOWUP_YES / FOLLOWUP_NO). */
export function cloudInboundButton(common: InboundCommon & { payload: string; text: string }): object {
  return cloudWebhookEnvelope({ type: "button", button: { payload: common.payload, text: common.text } }, common);
}

/** A tap on an interactive reply button or list row (SLOT_n). */
export function cloudInboundInteractive(common: InboundCommon & { kind: "button_reply" | "list_reply"; replyId: string; title: string; description?: string }): object {
  const reply: Record<string, unknown> = { id: common.replyId, title: common.title };
  if (common.kind === "list_reply" && common.description !== undefined) reply.description = common.description;
  return cloudWebhookEnvelope({ type: "interactive", interactive: { type: common.kind, [common.kind]: reply } }, common);
}

/** A delivery receipt (statuses), which the parser ignores. */
export function cloudStatusUpdate(input: { recipient: string; messageId: string; status?: "sent" | "delivered" | "read" | "failed"; phoneNumberId?: string }): object {
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: "102290129340398",
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550783881", phone_number_id: input.phoneNumberId ?? "106540352242922" },
              statuses: [{ id: input.messageId, status: input.status ?? "delivered", timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: input.recipient }],
            },
          },
        ],
      },
    ],
  };
}

/* ---- helpers ---- */

/** Checks what Graph would refuse with #100 (or #132001 for an unknown template). */
function validateRequest(body: Record<string, unknown>, templates: FakeCloudApiOptions["templates"]): { code: number; details: string } | null {
  const bad = (details: string): { code: number; details: string } => ({ code: 100, details });
  if (body.messaging_product !== "whatsapp") return bad("The parameter messaging_product is required.");
  if (typeof body.to !== "string" || !/^\+?\d{8,15}$/.test(body.to)) return bad("Invalid parameter 'to'");
  switch (body.type ?? "text") {
    case "text": {
      const t = body.text;
      if (!isRecord(t) || typeof t.body !== "string" || t.body.trim() === "") return bad("text.body is required");
      if (t.body.length > 4096) return bad("text.body is longer than 4096 characters");
      return null;
    }
    case "template": {
      const t = body.template;
      if (!isRecord(t) || typeof t.name !== "string" || t.name === "") return bad("template.name is required");
      if (!isRecord(t.language) || typeof t.language.code !== "string" || t.language.code === "") return bad("template.language.code is required");
      const components = t.components ?? [];
      if (!Array.isArray(components)) return bad("template.components must be an array");
      for (const c of components) {
        if (!isRecord(c) || !Array.isArray(c.parameters)) return bad("template component parameters must be an array");
        if (c.type === "body" && c.parameters.some((p) => !isRecord(p) || p.type !== "text" || typeof p.text !== "string" || /[\n\t]/.test(p.text))) {
          return bad("body parameters must be text without newlines or tabs");
        }
        if (c.type === "button" && (c.sub_type !== "quick_reply" || typeof c.index !== "string" || c.parameters.some((p) => !isRecord(p) || p.type !== "payload"))) {
          return bad("quick_reply button components need index and payload parameters");
        }
      }
      if (templates && !templates.some((x) => x.name === t.name && x.language === (t.language as Record<string, unknown>).code)) {
        return { code: 132001, details: `template name (${t.name}) does not exist in ${String((t.language as Record<string, unknown>).code)}` };
      }
      return null;
    }
    case "interactive": {
      const i = body.interactive;
      if (!isRecord(i) || !isRecord(i.body) || typeof i.body.text !== "string" || i.body.text === "") return bad("interactive.body.text is required");
      if (!isRecord(i.action)) return bad("interactive.action is required");
      if (i.type === "button") {
        const buttons = i.action.buttons;
        if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3) return bad("interactive buttons must be 1 to 3");
        for (const b of buttons) {
          if (!isRecord(b) || b.type !== "reply" || !isRecord(b.reply) || typeof b.reply.id !== "string" || typeof b.reply.title !== "string") return bad("reply button needs id and title");
          if (Array.from(b.reply.title).length > 20) return bad("button title is longer than 20 characters");
        }
        return null;
      }
      if (i.type === "list") {
        if (typeof i.action.button !== "string" || Array.from(i.action.button).length > 20) return bad("list button text is required, up to 20 characters");
        const sections = i.action.sections;
        if (!Array.isArray(sections) || sections.length < 1) return bad("list sections are required");
        let rows = 0;
        for (const s of sections) {
          if (!isRecord(s) || !Array.isArray(s.rows)) return bad("section rows are required");
          for (const r of s.rows) {
            if (!isRecord(r) || typeof r.id !== "string" || typeof r.title !== "string") return bad("row needs id and title");
            if (Array.from(r.title).length > 24) return bad("row title is longer than 24 characters");
            rows++;
          }
        }
        if (rows < 1 || rows > 10) return bad("lists hold 1 to 10 rows");
        return null;
      }
      return bad("interactive.type must be button or list");
    }
    default:
      return bad(`unsupported message type ${String(body.type).slice(0, 40)}`);
  }
}

function graph(code: number, opts: Omit<GraphErrorOptions, "times" | "retryAfter"> = {}): ProgrammedAnswer {
  return { failure: opts.status ?? defaultStatus(code), body: graphErrorBody(code, opts) };
}

function defaultStatus(code: number): number {
  if (code === 190) return 401;
  if (code === 10 || (code >= 200 && code <= 299)) return 403;
  if (code === 131016) return 503;
  if (code === 131000 || code === 1 || code === 2) return 500;
  if (code === 132001) return 404;
  return 400;
}

function defaultTitle(code: number): string {
  const titles: Record<number, string> = {
    1: "API Unknown",
    2: "API Service",
    4: "Application request limit reached",
    10: "Application does not have permission for this action",
    100: "Invalid parameter",
    190: "Invalid OAuth access token",
    80007: "Rate limit issues",
    130429: "Rate limit hit",
    131000: "Something went wrong",
    131016: "Service unavailable",
    131026: "Message Undeliverable.",
    131047: "Re-engagement message",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
    132001: "Template name does not exist in the translation",
  };
  return titles[code] ?? "Error";
}

function newWamid(): string {
  return `wamid.${randomBytes(24).toString("base64")}`;
}




