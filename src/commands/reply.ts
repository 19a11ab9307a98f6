import { createInterface } from "node:readline";
import { UsageError, UserError } from "../errors.js";
import type { GlobalOptions } from "./context.js";
import { oneLine, stripControl } from "../render/safe-text.js";
import type { Change, ReplyResult } from "../services/reply-service.js";
import type { AppointmentRow } from "../store/appointments.js";

/**
 * `reply classify` and `reply simulate`. Only the classifier is loaded at the top: `classify`
 * never opens (or loads) the database, so it works anywhere and stays fast on large inputs.
 */

export interface ReplyClassifyOptions {
  json?: boolean;
  explain?: boolean;
  /** Each text beside its intent in aligned columns; the default when stdout is a terminal. */
  table?: boolean;
}

/** Output is gathered and written in blocks of about this size: one write per line is the bottleneck at 100k lines. */
const OUTPUT_BLOCK_CHARS = 64 * 1024;

/** A stdin line that is a JSON object with a string `text` (like the labeled file) stands for that text. */
export function lineText(line: string): string {
  const trimmed = line.trimStart();
  if (trimmed.startsWith("{")) {
    try {
      const v = JSON.parse(trimmed) as unknown;
      if (typeof v === "object" && v !== null && !Array.isArray(v) && typeof (v as { text?: unknown }).text === "string") {
        return (v as { text: string }).text;
      }
    } catch {
      // Not JSON after all: the line is the text.
    }
  }
  return line;
}

export async function runReplyClassify(o: ReplyClassifyOptions, text?: string): Promise<void> {
  const { classifyIntent, explainIntent } = await import("../domain/intent.js");
  const table = !o.json && (o.table ?? !!process.stdout.isTTY);
  const row = table ? await classifyRow(o, explainIntent) : null;
  const format = (t: string): string => {
    if (row) return row(t);
    if (o.explain) {
      const e = explainIntent(t);
      return o.json ? JSON.stringify({ text: t, intent: e.intent, rule: e.rule, doubt: e.doubt, normalized: e.normalized }) : `${e.intent}\t${e.rule}`;
    }
    const intent = classifyIntent(t);
    return o.json ? JSON.stringify({ text: t, intent }) : intent;
  };

  if (text !== undefined) {
    process.stdout.write(`${format(text)}\n`);
    return;
  }
  if (process.stdin.isTTY) {
    throw new UsageError('give the TEXT to classify (secretaria reply classify "sim, quero marcar") or pipe lines on stdin');
  }
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let block = "";
  for await (const line of rl) {
    block += `${format(lineText(line))}\n`;
    if (block.length >= OUTPUT_BLOCK_CHARS) {
      await write(block);
      block = "";
    }
  }
  if (block) await write(block);
}

/**
 * One aligned line per text, streamed (no need to read all input first): intent, the rule with
 * --explain (a "?" marks a reply the bot would ask about), then the text, control characters
 * stripped and cut to the terminal's width.
 */
async function classifyRow(
  o: ReplyClassifyOptions,
  explain: (t: string) => { intent: string; rule: string; doubt: string | null },
): Promise<(t: string) => string> {
  const { fitWidth, outputWidth } = await import("../render/fitted-table.js");
  const width = outputWidth();
  const INTENT = 9; // "feedback" / "positive" / "negative"
  const RULE = 22;
  const textWidth = Math.max(12, width - INTENT - 1 - (o.explain ? RULE + 1 : 0));
  return (t) => {
    const e = explain(t);
    const intent = e.intent.replace(/^followup_/, "").padEnd(INTENT);
    const rule = o.explain ? `${fitWidth(`${e.rule}${e.doubt ? " ?" : ""}`, RULE).padEnd(RULE)} ` : "";
    return `${intent} ${rule}${fitWidth(oneLine(t), textWidth)}`.trimEnd();
  };
}

/** Writes and waits for the pipe to drain when it is full, so memory stays flat on huge inputs. */
function write(chunk: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(chunk)) resolve();
    else process.stdout.once("drain", resolve);
  });
}

export interface ReplySimulateOptions extends GlobalOptions {
  phone?: string;
  text?: string;
  company?: string;
  dryRun?: boolean;
  json?: boolean;
}

/**
 * Processes TEXT as a message from PHONE through the same service as the webhook. Without
 * --dry-run it records the response and sends the bot's answer through Whaticket; when no
 * Whaticket is configured (or it fails) the response stays recorded, the output says the answer
 * was not sent, and the exit status is 0: the message was processed.
 */
export async function runReplySimulate(o: ReplySimulateOptions): Promise<void> {
  const { commandContext, openMigrated, print, printJson } = await import("./context.js");
  const { gatewayPhone, phoneFromJid } = await import("../domain/phone.js");
  const { silentLogger } = await import("../logger.js");
  const { whaticketFromEnv } = await import("../config.js");
  const { createReplyService, whaticketReplySender } = await import("../services/reply-service.js");
  const { requireCompany } = await import("../services/company-service.js");
  const { getAppointment } = await import("../services/appointment-service.js");

  const ctx = commandContext(o);
  const db = await openMigrated(ctx);
  let gateway: { close(): Promise<void> | void } | null = null;
  try {
    if (o.company !== undefined) await requireCompany(db, o.company);
    const { phone: rawPhone, text } = await completeInteractively(o, db, ctx.clock());
    const phone = rawPhone.includes("@") ? phoneFromJid(rawPhone) : gatewayPhone(rawPhone);
    if (!phone) throw new UsageError(`--phone "${rawPhone}" is not a phone number: use the client's WhatsApp with the country code, e.g. 5511999990000`);
    if (text.trim() === "") throw new UsageError("--text must not be empty: the message as the client would write it");

    let sender;
    if (o.dryRun) {
      sender = { send: async () => { throw new Error("a dry run sends nothing"); } };
    } else {
      const { WhaticketClient } = await import("../gateway/whaticket-client.js");
      const client = new WhaticketClient();
      gateway = client;
      sender = whaticketReplySender(client, whaticketFromEnv());
    }
    const service = createReplyService({ store: db, clock: ctx.clock, logger: silentLogger, sender });
    const result = await service.processInbound({ phone, text, companyId: o.company }, { dryRun: !!o.dryRun });
    // On stderr, so --json output stays a document.
    if (result.bot_reply_delivery === "failed") {
      process.stderr.write(`secretaria: warning: the response was recorded but the answer was not sent: ${result.bot_reply_error ?? "unknown error"}\n`);
    }
    if (o.json) return printJson(result);
    // Client name, phone and send time, for the header (columns a reply never changes).
    const row = result.appointment_id === null ? undefined : await getAppointment(db, result.appointment_id);
    for (const line of renderSimulation(result, { phone, dryRun: !!o.dryRun, row })) print(line);
  } finally {
    await gateway?.close();
    await db.close();
  }
}

/** On a terminal, picks an open follow-up and asks for the text; elsewhere a missing flag is a usage error. */
async function completeInteractively(
  o: ReplySimulateOptions,
  db: import("../store/store.js").Q,
  now: Date,
): Promise<{ phone: string; text: string }> {
  if (o.phone !== undefined && o.text !== undefined) return { phone: o.phone, text: o.text };
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    const missing = [o.phone === undefined ? "--phone" : null, o.text === undefined ? "--text" : null].filter(Boolean).join(" and ");
    throw new UsageError(`missing ${missing} (e.g. reply simulate --phone 5511999990000 --text "Sim, quero marcar"; prompts only run on a terminal)`);
  }
  const { listOpenFollowups } = await import("../services/inbox-service.js");
  const { default: inquirer } = await import("inquirer");
  let phone = o.phone;
  if (phone === undefined) {
    const open = await listOpenFollowups(db, now, { companyId: o.company, limit: 50 });
    if (open.length === 0) {
      throw new UserError("no open follow-up to reply to (sent in the last 7 days and unanswered): pass --phone and --text to record a message anyway");
    }
    phone = (
      await inquirer.prompt([{ type: "list", name: "v", message: "Reply as the client of which follow-up?", choices: open.map((r) => ({ name: describeOpen(r), value: r.client_phone })) }])
    ).v as string;
  }
  let text = o.text;
  if (text === undefined) {
    text = (await inquirer.prompt([{ type: "input", name: "v", message: "Message text", validate: (v: string) => (v.trim() ? true : "required") }])).v as string;
  }
  return { phone, text };
}

function describeOpen(r: AppointmentRow): string {
  const state = r.followup_status === "positive" ? "awaiting a slot choice" : "awaiting a reply";
  return `#${r.id} ${r.company_id} · ${oneLine(r.client_name)} · ${r.client_phone} · sent ${r.followup_sent_at ?? "?"} · ${state}`;
}

function show(v: unknown): string {
  if (v === null || v === undefined) return "null";
  return typeof v === "string" ? oneLine(v) : stripControl(JSON.stringify(v));
}

function describeChange(c: Change): string {
  const ref = `${c.table}${c.id !== null ? ` #${c.id}` : ""}`;
  if (c.action === "update") return `${ref}: ${c.column} ${show(c.from)} → ${show(c.to)}`;
  const values = c.values ? Object.entries(c.values).map(([k, v]) => `${k}=${show(v)}`).join(" ") : "";
  return `${ref} added${values ? ` (${values})` : ""}`;
}

/** The text report of `reply simulate`. */
export function renderSimulation(
  r: ReplyResult,
  info: { phone: string; dryRun: boolean; row: AppointmentRow | undefined },
): string[] {
  const lines: string[] = [];
  const would = info.dryRun ? "would be " : "";
  if (info.dryRun) lines.push("dry run: nothing was changed and nothing was sent");
  if (r.duplicate) {
    lines.push("this message id was already applied: nothing changed");
    return lines;
  }
  if (!r.matched) {
    lines.push(`no open follow-up for ${info.phone} (sent in the last 7 days and still awaiting an answer)`);
    lines.push(`intent: ${r.intent ?? "-"}`);
    lines.push(`the message ${would}recorded as unmatched; nothing else ${info.dryRun ? "would change" : "changed"}; no answer ${info.dryRun ? "would be " : "was "}sent`);
    return lines;
  }
  const row = info.row;
  lines.push(
    `follow-up #${r.appointment_id} of company ${r.company_id}${row ? `: ${oneLine(row.client_name)}, ${row.client_phone}, sent ${row.followup_sent_at ?? "?"}` : ""}`,
  );
  lines.push(`intent: ${r.intent ?? "(slot choice, not classified)"}`);
  lines.push(`outcome: ${r.outcome}${r.response ? ` (followup_response = ${r.response})` : ""}`);
  if (r.booked_appointment_id !== null) lines.push(`booked: appointment #${r.booked_appointment_id}`);
  lines.push(info.dryRun ? "would change:" : "changes:");
  for (const c of r.changes) lines.push(`  ${describeChange(c)}`);
  if (r.bot_reply !== null) {
    const how =
      r.bot_reply_delivery === "sent" ? "sent through Whaticket"
      : r.bot_reply_delivery === "dry_run" ? "not sent: dry run"
      : `NOT sent: ${r.bot_reply_error ?? "unknown error"}`;
    lines.push(`bot answer (${how}):`);
    for (const l of r.bot_reply.split("\n")) lines.push(`  ${l}`);
  }
  return lines;
}
