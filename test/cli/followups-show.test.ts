import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { CLARIFY_QUESTION } from "../../src/domain/clarification.js";
import { FEEDBACK_REPLY } from "../../src/domain/messages.js";
import { silentLogger } from "../../src/logger.js";
import { createReplyService } from "../../src/services/reply-service.js";
import { runCli } from "../helpers/cli.js";
import { PHONE, addSentFollowup, recordingSender, replyFixture } from "../helpers/reply-fixtures.js";

const T = { timeout: 60_000 };

describe("followups show / list --status feedback", () => {
  let db = "";
  let id = 0;
  before(async () => {
    const f = await replyFixture();
    db = f.dbPath;
    id = await addSentFollowup(f, { externalId: "S-1", name: "Ana Souza" });
    const service = createReplyService({ store: f.db, clock: f.clock.now, logger: silentLogger, sender: recordingSender() });
    await service.processInbound({ phone: PHONE, text: "hmm", messageId: "s1" });
    f.clock.advance(5 * 60_000);
    await service.processInbound({ phone: PHONE, text: "A sala estava \u001b[31mfria\u001b[0m", messageId: "s2" });
    await f.db.close();
  });

  test("show --json: messages both ways, the clarification, the response, in time order", T, async () => {
    const r = await runCli(["--db", db, "followups", "show", String(id), "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const story = JSON.parse(r.stdout) as { followup: Record<string, unknown>; events: Array<Record<string, unknown>> };
    assert.equal(story.followup.id, id);
    assert.equal(story.followup.followup_status, "feedback");
    assert.equal(story.followup.followup_awaiting_clarification, false);
    const from = story.events.findIndex((e) => e.kind === "inbound");
    assert.deepEqual(story.events.slice(from).map((e) => [e.kind, e.action, e.text]), [
      ["inbound", "message", "hmm"],
      ["state", "followup_clarification_asked", null],
      ["outbound", "followup_bot_reply", CLARIFY_QUESTION],
      ["inbound", "message", "A sala estava fria"],
      ["state", "followup_response", "A sala estava fria"],
      ["outbound", "followup_bot_reply", FEEDBACK_REPLY],
    ]);
    assert.ok(story.events.slice(0, from).some((e) => e.action === "followup_sent"));
    const times = story.events.map((e) => String(e.at));
    assert.deepEqual(times, [...times].sort());
    assert.equal(story.events[from]!.at_local, "2026-11-30 16:30");
    assert.match(String(story.events[from]!.detail), /feedback \(fallback-feedback\) → clarification_asked/);
  });

  test("show as a table; unknown id is a one-line error", T, async () => {
    const r = await runCli(["--db", db, "followups", "show", String(id)], { env: { COLUMNS: "200" } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /follow-up \d+ · Ana Souza/);
    assert.match(r.stdout, /← client .*hmm/);
    assert.match(r.stdout, /→ client .*Desculpe, não entendi/);
    assert.ok(!r.stdout.includes("\u001b"));
    const missing = await runCli(["--db", db, "followups", "show", "999"]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, "secretaria: no appointment with id 999: see `secretaria followups list`\n");
  });

  test("list --status feedback shows what the client wrote", T, async () => {
    const j = await runCli(["--db", db, "followups", "list", "--status", "feedback", "--json"]);
    assert.equal(j.code, 0, j.stderr);
    const items = JSON.parse(j.stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(items.map((i) => [i.id, i.feedback_text]), [[id, "A sala estava fria"]]);
    const t = await runCli(["--db", db, "followups", "list", "--status", "feedback"], { env: { COLUMNS: "200" } });
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /feedback/);
    assert.match(t.stdout, /A sala estava fria/);
  });
});
