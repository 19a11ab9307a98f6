import { bySql, type Q } from "./store.js";

/**
 * Retention (LGPD art. 15–16: keep personal data only as long as its purpose needs): the text of
 * inbound messages older than the cut-offs is blanked; the row stays (message id for
 * de-duplication, intent and outcome for the counts). Unmatched messages lose their phone too:
 * nothing else ties them to a person. An id-less message's "dedupe:" id (a hash of phone, time
 * and text, domain/inbound-message.ts) goes with its text: it would confirm a guess of what was
 * written, and redeliveries do not come months later. Index: inbound_messages_received (received_at).
 *
 * The same words have two copies that go with the matched text: the feedback kept for the operator
 * (feedback_events.text) and the `feedback` of the audit rows that recorded the answer
 * (followup_response, response_corrected). Both are blanked at the matched cut-off; the rows, the
 * response and the counts stay. Indexes (migration 012): partial ones holding only rows that still
 * carry text, so a run reads what it blanks.
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
  await q.run("UPDATE feedback_events SET text = '' WHERE created_at < @matchedBefore AND text <> ''", { matchedBefore: p.matchedBefore });
  await q.run(
    bySql(q, {
      // Without statistics SQLite would pick audit_log_action (every answer audit): told which index.
      sqlite: `UPDATE audit_log INDEXED BY audit_log_feedback_created SET payload = json_set(payload, '$.feedback', NULL)
        WHERE action IN ('followup_response', 'response_corrected') AND created_at < @matchedBefore
          AND json_extract(payload, '$.feedback') IS NOT NULL`,
      postgres: `UPDATE audit_log SET payload = jsonb_set(payload::jsonb, '{feedback}', 'null'::jsonb)::text
        WHERE action IN ('followup_response', 'response_corrected') AND created_at < @matchedBefore
          AND (payload::jsonb ->> 'feedback') IS NOT NULL`,
    }),
    { matchedBefore: p.matchedBefore },
  );
  return { matched, unmatched };
}
