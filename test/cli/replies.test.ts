import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { stripControl, oneLine } from "../../src/render/safe-text.js";
import { silentLogger } from "../../src/logger.js";
import { createReplyService } from "../../src/services/reply-service.js";
import { runCli } from "../helpers/cli.js";
import { PHONE, addSentFollowup, recordingSender, replyFixture } from "../helpers/reply-fixtures.js";

const T = { timeout: 60_000 };
const EVIL = "Oi\u001b[2J\u001b]0;pwned\u0007 \u202Eevil\u202C\u0000 fim";

describe("stripControl (pure)", () => {
  test("ESC/CSI/OSC sequences, C0/C1 controls, NUL and bidi overrides go; text, emoji and newlines stay", () => {
    assert.equal(stripControl("a\u001b[31mred\u001b[0m b"), "ared b");
    assert.equal(stripControl("x\u001b]8;;http://e\u001b\\link\u001b]8;;\u001b\\"), "xlink");
    assert.equal(stripControl("x\u001b]0;title\u0007y"), "xy");
    assert.equal(stripControl("c1\u009b31mz\u0085"), "c1z");
    assert.equal(stripControl(EVIL), "Oi evil fim");
    assert.equal(stripControl("Ótimo 😊👩‍👩‍👧\nlinha 2"), "Ótimo 😊👩‍👩‍👧\nlinha 2");
    assert.equal(oneLine(" l1\r\n\tl2 "), "l1 l2");
  });
});

describe("replies list (the inbox)", () => {
  let db = "";
  let matched = 0;
  before(async () => {
    const f = await replyFixture();
    db = f.dbPath;
    matched = await addSentFollowup(f, { externalId: "R-1", name: "Ana Souza" });
    const service = createReplyService({ store: f.db, clock: f.clock.now, logger: silentLogger, sender: recordingSender() });
    await service.processInbound({ phone: PHONE, text: "Não, obrigado", messageId: "m1" });
    f.clock.advance(60_000);
    await service.processInbound({ phone: "5521988887777", text: EVIL, messageId: "m2" });
    f.clock.advance(60_000);
    await service.processInbound({ phone: PHONE, text: "a doutora foi ótima", messageId: "m3" }); // nothing open: unmatched
    await f.db.close();
  });

  test("--json: every message, newest first, with time in the company's zone, intent, rule, and clean text", T, async () => {
    const r = await runCli(["--db", db, "replies", "list", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const items = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(items.map((i) => [i.appointment_id, i.intent, i.rule, i.outcome, i.text]), [
      [null, "followup_feedback", "fallback-feedback", "unmatched", "a doutora foi ótima"],
      [null, "followup_feedback", "fallback-feedback", "unmatched", "Oi evil fim"],
      [matched, "followup_negative", "explicit-no", "negative", "Não, obrigado"],
    ]);
    assert.equal(items[2]!.client_name, "Ana Souza");
    assert.equal(items[2]!.company_id, "clinica");
    assert.equal(items[2]!.received_local, "2026-11-30 16:30"); // 19:30 UTC in São Paulo
  });

  test("filters: --unmatched, --intent, --follow-up, --company, --since/--until", T, async () => {
    const ids = async (...args: string[]) => {
      const r = await runCli(["--db", db, "replies", "list", "--json", ...args]);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as Array<{ text: string }>).map((i) => i.text);
    };
    assert.deepEqual(await ids("--unmatched"), ["a doutora foi ótima", "Oi evil fim"]);
    assert.deepEqual(await ids("--intent", "negative"), ["Não, obrigado"]);
    assert.deepEqual(await ids("--follow-up", String(matched)), ["Não, obrigado"]);
    assert.deepEqual(await ids("--company", "clinica"), ["Não, obrigado"]);
    assert.deepEqual(await ids("--since", "2026-11-30", "--until", "2026-11-30"), ["a doutora foi ótima", "Oi evil fim", "Não, obrigado"]);
    assert.deepEqual(await ids("--since", "2026-12-01"), []);
    const bad = await runCli(["--db", db, "replies", "list", "--intent", "maybe"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^secretaria: unknown --intent "maybe": use positive, negative or feedback\n$/);
  });

  test("table and CSV: no control characters reach the terminal or the spreadsheet", T, async () => {
    const t = await runCli(["--db", db, "replies", "list"], { env: { COLUMNS: "160" } });
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /Oi evil fim/);
    assert.match(t.stdout, /Ana Souza/);
    assert.match(t.stdout, /explicit-no/);
    assert.match(t.stdout, /fallback-feedback \(unmatched\)/);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(t.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    const c = await runCli(["--db", db, "replies", "list", "--format", "csv"]);
    assert.equal(c.code, 0, c.stderr);
    const lines = c.stdout.trimEnd().split("\r\n");
    assert.equal(lines[0], "id,received_at,received_local,company_id,appointment_id,client_name,phone,intent,rule,outcome,text");
    assert.equal(lines.length, 4);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(c.stdout, /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e]/);
  });
});
