import { DateTime } from "luxon";
import type { FollowupStatus } from "../domain/lifecycle.js";
import { isNonTextKind, NON_TEXT_NAME } from "../domain/inbound-message.js";
import { maskPhone } from "../domain/phone.js";

/**
 * How follow-ups look on a terminal, as in the release notes' panel: 👍 positive, 👎 negative,
 * 💬 feedback, ⏳ pending (scheduled / sending / sent), ✖ failed, ⊘ skipped.
 */
export const STATUS_ICON: Record<FollowupStatus, string> = {
  positive: "👍",
  negative: "👎",
  feedback: "💬",
  scheduled: "⏳",
  sending: "⏳",
  sent: "⏳",
  failed: "✖",
  skipped: "⊘",
};

/** Icon + state, the icon padded to two columns so the words line up (✖ and ⊘ are one column wide). */
export function statusLabel(status: FollowupStatus): string {
  const icon = STATUS_ICON[status] ?? "?";
  const pad = icon === "✖" || icon === "⊘" || icon === "?" ? "  " : " ";
  return `${icon}${pad}${status}`;
}

/** The masked phone, shortened for tables: "5511*******00" → "5511…00". */
export function compactPhone(phone: string): string {
  return maskPhone(phone).replace(/\*+/, "…");
}

/**
 * "25/11 14:00" in the zone; "—" for none. The year is left out: tables are about recent weeks.
 * withZone (rows of companies in different zones side by side): "25/11 14:00-4", the offset from UTC
 * written as ISO-8601 does (14:00-04:00), short so an 80-column table keeps it.
 */
export function shortLocal(isoText: string | null, zone: string, withZone = false): string {
  if (!isoText) return "—";
  const dt = DateTime.fromISO(isoText, { zone });
  return dt.isValid ? `${dt.toFormat("dd/MM HH:mm")}${withZone ? utcOffset(isoText, zone) : ""}` : isoText;
}

/**
 * The zone's offset from UTC at that instant, "-3", "+1", "+5:30", "+0": what a reader needs to
 * compare two rows' times.
 */
export function utcOffset(isoText: string, zone: string): string {
  const dt = DateTime.fromISO(isoText, { zone });
  return dt.isValid ? dt.toFormat("Z") : "";
}

/** True when a table's rows are read in more than one time zone: then each time carries its offset. */
export function mixedZones(zones: Iterable<string>): boolean {
  return new Set(zones).size > 1;
}

/** "3h ago", "in 45m", "2d ago": compact, for the sent / next-attempt columns. */
export function relativeTime(isoText: string | null, now: Date): string {
  if (!isoText) return "—";
  const t = Date.parse(isoText);
  if (Number.isNaN(t)) return isoText;
  const diff = t - now.getTime();
  const abs = Math.abs(diff);
  const span =
    abs < 60_000 ? "<1m"
      : abs < 3_600_000 ? `${Math.floor(abs / 60_000)}m`
        : abs < 86_400_000 ? `${Math.floor(abs / 3_600_000)}h`
          : `${Math.floor(abs / 86_400_000)}d`;
  if (span === "<1m") return "now";
  return diff < 0 ? `${span} ago` : `in ${span}`;
}

/** "answered with a voice note": an open follow-up whose last answer was not text (followup_non_text_reply). */
export function nonTextAnswer(kind: string): string {
  return `answered with ${isNonTextKind(kind) ? NON_TEXT_NAME[kind] : "a non-text message"}`;
}
