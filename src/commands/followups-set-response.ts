import { UsageError } from "../errors.js";
import { count } from "../render/plural.js";
import { oneLine } from "../render/safe-text.js";
import type { FollowupResponse } from "../store/replies.js";
import { commandContext, openMigrated, print, printJson, type GlobalOptions } from "./context.js";

export interface FollowupsSetResponseOptions extends GlobalOptions {
  text?: string;
  /** commander's --no-send: false when given. */
  send?: boolean;
  json?: boolean;
}

const RESPONSES = ["positive", "negative", "feedback"] as const;

/** `secretaria followups set-response ID positive|negative|feedback [--text T] [--no-send]`. */
export async function runFollowupsSetResponse(o: FollowupsSetResponseOptions, idText: string | undefined, responseText: string | undefined): Promise<void> {
  if (!idText || !/^\d+$/.test(idText) || Number(idText) < 1) {
    throw new UsageError(`the follow-up's id must be a whole number (got "${idText ?? ""}"): see secretaria followups list`);
  }
  const response = (responseText ?? "").toLowerCase();
  if (!(RESPONSES as readonly string[]).includes(response)) {
    throw new UsageError(`the response must be positive, negative or feedback (got "${responseText ?? ""}")`);
  }
  if (o.text !== undefined && response !== "feedback") throw new UsageError("--text is the feedback's text: use it with feedback only");
  const send = o.send !== false;

  const { correctResponse } = await import("../services/response-correction.js");
  const ctx = commandContext(o);
  const db = await openMigrated(ctx);
  let gateway: { close(): Promise<void> | void } | null = null;
  try {
    let sender;
    if (send && response === "positive") {
      const { whaticketFromEnv } = await import("../config.js");
      const { WhaticketClient } = await import("../gateway/whaticket-client.js");
      const { whaticketReplySender } = await import("../services/reply-service.js");
      const client = new WhaticketClient();
      gateway = client;
      sender = whaticketReplySender(client, whaticketFromEnv());
    }
    const r = await correctResponse({ store: db, clock: ctx.clock, sender }, { id: Number(idText), response: response as FollowupResponse, text: o.text, send });
    if (r.bot_reply_delivery === "failed") {
      process.stderr.write(`secretaria: warning: the correction was recorded but the slot offer was not sent: ${r.bot_reply_error ?? "unknown error"}\n`);
    }
    if (o.json) return printJson(r);
    print(`follow-up ${r.appointment_id}: ${r.from ?? "no response"} → ${r.to} (corrected by the operator, audited)`);
    if (r.feedback !== null) print(`feedback: ${oneLine(r.feedback)}`);
    if (r.to === "positive") {
      print(r.offered_slots.length ? `offered ${count(r.offered_slots.length, "slot")}; the client's next message chooses one` : "no free slot to offer");
      if (r.bot_reply_delivery === "sent") print("the offer was sent to the client");
      else if (r.bot_reply_delivery === "not_sent") print("the offer was recorded, not sent (--no-send)");
    }
  } finally {
    await db.close();
    await gateway?.close();
  }
}
