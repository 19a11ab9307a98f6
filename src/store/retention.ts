import type { Q } from "./store.js";

/**
 * Retention (LGPD art. 15–16: keep personal data only as long as its purpose needs): the text of
 * inbound messages older than the cut-offs is blanked; the row stays (message id for
 * de-duplication, intent and outcome for the counts). Unmatched messages lose their phone too:
 * nothing else ties them to a person. An id-less message's "dedupe:" id (a hash of phone, time
 * and text, domain/inbound-message.ts) goes with its text: it would confirm a guess of what was
 * written, and redeliveries do not come months later. Index: inbound_messages_received (received_at).
 */
const DEDUPE_ID_CLEARED = "CASE WHEN message_id LIKE 'dedupe:%' THEN NULL ELSE message_id END";

export async function purgeInboundTexts(q: Q, p: { matchedBefore: string; unmatchedBefore: string }): Promise<{ matched: number; unmatched: number }> {
  const matched = await q.run(
    `UPDATE inbound_messages SET body = '', message_id = ${DEDUPE_ID_CLEARED}
      WHERE received_at < @matchedBefore AND appointment_id IS NOT NULL AND body <> ''`,
    { matchedBefore: p.matchedBefore },
  );
  const unmatched = await q.run(
    `UPDATE inbound_messages SET body = '', phone = '', message_id = ${DEDUPE_ID_CLEARED}
      WHERE received_at < @unmatchedBefore AND appointment_id IS NULL AND (body <> '' OR phone <> '')`,
    { unmatchedBefore: p.unmatchedBefore },
  );
  return { matched, unmatched };
}
