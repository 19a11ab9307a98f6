import { DEFAULT_TIMEZONE } from "../domain/hours.js";
import { UsageError } from "../errors.js";
import { outputWidth, renderFittedTable, type FittedColumn } from "../render/fitted-table.js";
import { compactPhone, nonTextAnswer } from "../render/followup-format.js";
import { oneLine, stripControl } from "../render/safe-text.js";
import { followupStory, type StoryEvent } from "../services/followup-story.js";
import { getCompany } from "../services/company-service.js";
import { commandContext, openMigrated, print, printJson, type GlobalOptions } from "./context.js";
import { localTime } from "./replies.js";

export interface FollowupsShowOptions extends GlobalOptions {
  json?: boolean;
}

const ARROW: Record<StoryEvent["kind"], string> = { inbound: "← client", outbound: "→ client", state: "• state", audit: "· audit" };

/** `secretaria followups show ID`: the follow-up, then its story in time order (company's zone). */
export async function runFollowupsShow(o: FollowupsShowOptions, idText: string | undefined): Promise<void> {
  if (!idText || !/^\d+$/.test(idText) || Number(idText) < 1) {
    throw new UsageError(`the follow-up's id must be a whole number (got "${idText ?? ""}"): see secretaria followups list`);
  }
  const ctx = commandContext(o);
  const db = await openMigrated(ctx, { readonly: true });
  try {
    const story = await followupStory(db, Number(idText));
    const f = story.followup;
    const zone = (await getCompany(db, f.company_id))?.timezone ?? DEFAULT_TIMEZONE;
    const events = story.events.map((e) => ({ ...e, at_local: localTime(e.at, zone) }));
    if (o.json) return printJson({ followup: { ...f, client_name: stripControl(f.client_name) }, events });

    const state = f.followup_non_text_reply ? `${f.followup_status} (${nonTextAnswer(f.followup_non_text_reply)})`
      : f.followup_awaiting_clarification ? `${f.followup_status} (awaiting the answer to "1 ou 2")` : f.followup_status;
    print(`follow-up ${f.id} · ${oneLine(f.client_name)} ${compactPhone(f.client_phone)} · ${f.company_id}`);
    print(`appointment ${localTime(f.start_time, zone)} – ${localTime(f.end_time, zone)} · status ${state}${f.followup_response ? ` · response ${f.followup_response}` : ""}`);
    print("");
    if (!events.length) return print("nothing happened yet");
    const columns: FittedColumn[] = [
      { header: "time" }, { header: "who" }, { header: "what", flex: 2, min: 12 }, { header: "text", flex: 4, min: 12 },
    ];
    const rows = events.map((e) => [e.at_local, ARROW[e.kind], e.kind === "inbound" ? e.detail : `${e.action}: ${e.detail}`, e.text ? oneLine(e.text) : ""]);
    print(renderFittedTable(columns, rows, outputWidth()));
  } finally {
    await db.close();
  }
}
