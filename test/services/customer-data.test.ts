/**
 * A person's data under LGPD (issue 14): `customers export` lists everything held about a phone,
 * and `customers erase` leaves nothing of it: on SQLite not even in the file's free pages or its
 * WAL (the raw bytes are searched, as `strings` would), on PostgreSQL in no text column of any
 * table. Another client's data stays untouched. Both engines.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { silentLogger } from "../../src/logger.js";
import { exportCustomer, eraseCustomer } from "../../src/services/customer-service.js";
import { createReplyService } from "../../src/services/reply-service.js";
import type { Q } from "../../src/store/store.js";
import { ON_POSTGRES } from "../helpers/cli.js";
import { COMPANY, REPLY_AT, addAppointment, addSentFollowup, recordingSender, replyFixture } from "../helpers/reply-fixtures.js";

const T = { timeout: 60_000 };
const NAME = "Zuleika Quixabeira";
const PHONE = "5511987654321";
/** The same mobile without the ninth digit, as WhatsApp sometimes reports it. */
const PHONE_8 = "551187654321";
const FEEDBACK = "o atendimento da XYZZY-FEEDBACK foi otimo";
const UNMATCHED = "mensagem solta QWERTY-UNMATCHED";
const OPT_OUT = "não quero mais receber mensagens, aqui é a PLUGHOPTOUT";
const OTHER = { name: "Outro Cliente Intocado", phone: "5511955550000" };

/** Every place the person's data could hide, as text. */
const NEEDLES = [NAME, "Quixabeira", PHONE, "987654321", "87654321", "XYZZY-FEEDBACK", "QWERTY-UNMATCHED", "PLUGHOPTOUT", "EXT-ZULEIKA"];

async function seed() {
  const f = await replyFixture();
  const service = createReplyService({ store: f.db, clock: f.clock.now, logger: silentLogger, sender: recordingSender() });
  const first = await addSentFollowup(f, { externalId: "EXT-ZULEIKA-1", name: NAME, phone: PHONE });
  await addSentFollowup(f, { externalId: "OTHER-1", name: OTHER.name, phone: OTHER.phone });
  // A feedback answer (feedback row, response audit with the text, bot reply audit).
  await service.processInbound({ phone: PHONE_8, text: FEEDBACK, messageId: "W-1" });
  // A message no follow-up matched, and an opt-out (do-not-contact row with the message).
  await service.processInbound({ phone: PHONE, text: UNMATCHED, messageId: "W-2" });
  await service.processInbound({ phone: PHONE, text: OPT_OUT, messageId: "W-3" });
  const later = await addAppointment(f, { externalId: "EXT-ZULEIKA-2", name: NAME, phone: PHONE, start: "2026-12-02T17:00:00.000Z", end: "2026-12-02T18:00:00.000Z" }, REPLY_AT);
  return { f, first, later };
}

/** PostgreSQL: every text column of every table, searched for every needle. */
async function pgHits(q: Q): Promise<string[]> {
  const cols = await q.all<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'json', 'jsonb')`,
  );
  const hits: string[] = [];
  for (const c of cols) {
    for (const n of NEEDLES) {
      const row = await q.get<{ n: number }>(`SELECT count(*) AS n FROM "${c.table_name}" WHERE CAST("${c.column_name}" AS text) LIKE ?`, [`%${n}%`]);
      if (Number(row!.n) > 0) hits.push(`${c.table_name}.${c.column_name} ~ ${n}`);
    }
  }
  return hits;
}

/** SQLite: the raw bytes of the database file and its WAL (what `strings` reads). */
function fileHits(path: string): string[] {
  const hits: string[] = [];
  for (const file of [path, `${path}-wal`]) {
    if (!existsSync(file)) continue;
    const bytes = readFileSync(file);
    for (const n of NEEDLES) if (bytes.includes(Buffer.from(n, "utf8"))) hits.push(`${file} ~ ${n}`);
  }
  return hits;
}

describe("customers export and erase", () => {
  test("export: appointments, follow-up states, messages received and sent, feedback, audit, do-not-contact", T, async () => {
    const { f, first, later } = await seed();
    try {
      const doc = await exportCustomer(f.db, { phone: PHONE }, REPLY_AT);
      assert.deepEqual(doc.appointments.map((a) => [a.id, a.client_name, a.followup.status]), [[first, NAME, "feedback"], [later, NAME, "skipped"]]);
      assert.equal(doc.appointments[1]!.followup.skip_reason, "opted_out");
      assert.deepEqual(doc.messages_received.map((m) => m.body), [FEEDBACK, UNMATCHED, OPT_OUT]);
      assert.deepEqual(doc.feedback.map((x) => x.text), [FEEDBACK]);
      assert.ok(doc.messages_sent.some((m) => m.action === "followup_sent"));
      assert.ok(doc.messages_sent.some((m) => m.action === "followup_bot_reply"));
      assert.ok(doc.audit.some((a) => a.action === "followup_response"));
      assert.deepEqual(doc.do_not_contact.map((d) => [d.company_id, d.phone, d.message]), [[COMPANY, PHONE, OPT_OUT]]);
      const text = JSON.stringify(doc);
      assert.equal(text.includes(OTHER.name), false, "nobody else's data");
      // The same person at a company that never saw them: empty.
      const none = await exportCustomer(f.db, { phone: OTHER.phone, companyId: COMPANY }, REPLY_AT);
      assert.equal(none.appointments.length, 1);
    } finally {
      await f.db.close();
    }
  });

  test("export and erase reach the audit rows of an unmatched message by its id: VOLTAR's consent_granted and its confirmation", T, async () => {
    const { f } = await seed();
    try {
      const service = createReplyService({ store: f.db, clock: f.clock.now, logger: silentLogger, sender: recordingSender() });
      const r = await service.processInbound({ phone: PHONE, text: "VOLTAR", messageId: "W-4" });
      assert.equal(r.outcome, "opted_in");
      const doc = await exportCustomer(f.db, { phone: PHONE }, REPLY_AT);
      const granted = doc.audit.find((a) => a.action === "consent_granted");
      assert.ok(granted, "consent_granted (no appointment, no phone in it) is the person's too");
      assert.equal((granted.payload as Record<string, unknown>).message_id, "W-4");
      assert.ok(doc.messages_sent.some((m) => m.action === "followup_bot_reply" && (m.payload as Record<string, unknown>).reply_to === "opted_in"));

      await eraseCustomer(f.db, { phone: PHONE }, REPLY_AT);
      const row = await f.db.get<{ payload: string }>("SELECT payload FROM audit_log WHERE action = 'consent_granted'");
      assert.deepEqual(JSON.parse(row!.payload), { source: "whatsapp", erased: true }, "cut to the keys that hold no personal data");
    } finally {
      await f.db.close();
    }
  });

  test("erase: no row (and on SQLite no byte of the file or WAL) holds the name, the phone or the texts; counters and the other client stay", T, async () => {
    const { f } = await seed();
    try {
      const counters = await f.db.all("SELECT company_id, action, response, n FROM followup_counters ORDER BY 1, 2, 3");
      const auditBefore = (await f.db.get<{ n: number }>("SELECT count(*) AS n FROM audit_log"))!.n;
      if (ON_POSTGRES) assert.ok((await pgHits(f.db)).length >= NEEDLES.length, "the needles are in the tables before the erase");
      else assert.ok(fileHits(f.dbPath).length > 0, "the needles are in the file before the erase");

      const r = await eraseCustomer(f.db, { phone: PHONE }, REPLY_AT);
      assert.equal(r.scrubError, null);
      assert.deepEqual(r.counts, { appointments: 2, feedback_events: 1, inbound_messages: 3, audit_entries: r.counts.audit_entries, do_not_contact: 1 });
      assert.ok(r.counts.audit_entries >= 3, "followup_sent, followup_response, followup_bot_reply");

      if (ON_POSTGRES) assert.deepEqual(await pgHits(f.db), []);
      else assert.deepEqual(fileHits(f.dbPath), []);

      // Audit rows kept (action and time), the counters unchanged, the erase audited without personal data.
      assert.equal((await f.db.get<{ n: number }>("SELECT count(*) AS n FROM audit_log"))!.n, Number(auditBefore) + 1);
      assert.deepEqual(await f.db.all("SELECT company_id, action, response, n FROM followup_counters ORDER BY 1, 2, 3"), counters);
      const erased = await f.db.get<{ payload: string }>("SELECT payload FROM audit_log WHERE action = 'customer_erased'");
      assert.deepEqual(JSON.parse(erased!.payload), r.counts);
      const other = await f.db.get<{ client_name: string }>("SELECT client_name FROM appointments WHERE client_phone = ?", [OTHER.phone]);
      assert.equal(other!.client_name, OTHER.name);
      // Nothing left to export.
      const doc = await exportCustomer(f.db, { phone: PHONE }, REPLY_AT);
      assert.deepEqual([doc.appointments.length, doc.messages_received.length, doc.feedback.length, doc.do_not_contact.length], [0, 0, 0, 0]);
    } finally {
      await f.db.close();
    }
  });
});
