import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { awaitingClarification, numberedChoice, readClarification, readFollowupReply } from "../../src/domain/clarification.js";
import { classifyIntent, explainIntent } from "../../src/domain/intent.js";
import { devSamplePath } from "../helpers/dev-sample.js";

const FIXTURES = new URL("../fixtures/replies-extra.jsonl", import.meta.url);

function rows(path: string | URL): Array<{ text: string; intent: string }> {
  return readFileSync(path, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { text: string; intent: string });
}

describe("explainIntent's doubt (ask when unsure)", () => {
  test("replies without evidence are doubts; the intent stays what classifyIntent says", () => {
    const cases: Array<[string, string]> = [
      ["?", "no-words"], ["...", "no-words"], ["boa tarde", "no-words"],
      ["👍❌", "mixed-emoji"], ["🤔", "unknown-emoji"], ["😐", "unknown-emoji"], ["🤷‍♀️", "unknown-emoji"], ["😂😂", "unknown-emoji"],
      ["hmm", "no-content"], ["kkkk", "no-content"], ["oi?", "no-content"], ["como assim?", "no-content"], ["quem é?", "no-content"], ["1", "no-content"],
    ];
    for (const [text, doubt] of cases) {
      const e = explainIntent(text);
      assert.equal(e.doubt, doubt, text);
      assert.equal(e.intent, classifyIntent(text), text);
    }
  });

  test("evidence is never a doubt: yes, no, praise, complaints, affection emoji", () => {
    for (const text of ["Sim", "não", "quero marcar", "A doutora foi ótima", "atrasou 20 minutos", "❤️", "♥️", "🫶", "🙏🏻", "👏👏", "😡", "kkkk obg", "muito bom", "mto bom", "Vocês aceitam cartão?"]) {
      assert.equal(explainIntent(text).doubt, null, text);
    }
  });

  test("on the labeled dev sample no reply is a doubt; on the fixtures only laughter alone and bare greetings are", () => {
    const dev = devSamplePath();
    if (dev) for (const r of rows(dev)) assert.equal(explainIntent(r.text).doubt, null, r.text);
    const doubts = rows(FIXTURES).filter((r) => explainIntent(r.text).doubt !== null).map((r) => r.text);
    assert.deepEqual(
      doubts.sort(),
      ["kkkkkk", "rsrs", "😂😂😂", "😅", "kkkk", "rsrsrs", "hahahaha", "kkkkkkkkk", "😂", "🤣🤣", "Bom dia", "qr sim"].sort(),
    );
  });
});

describe("the answer to the clarification question", () => {
  test("1 / 2 and their words decide", () => {
    for (const t of ["1", "1️⃣", "Opção 1", "um", "o 1", "1 por favor", "primeira"]) assert.equal(numberedChoice(t), 1, t);
    for (const t of ["2", "2️⃣", "dois!", "opcao 2", "a 2", "segunda"]) assert.equal(numberedChoice(t), 2, t);
    for (const t of ["12", "1 ou 2?", "sim", ""]) assert.equal(numberedChoice(t), null, t);
    assert.deepEqual(readClarification("1"), { intent: "followup_positive", rule: "choice-1" });
    assert.deepEqual(readClarification("dois"), { intent: "followup_negative", rule: "choice-2" });
  });

  test("words with evidence decide by the ContextEngine; a second doubt is feedback", () => {
    assert.equal(readClarification("quero marcar sim").intent, "followup_positive");
    assert.equal(readClarification("não, obrigado").intent, "followup_negative");
    assert.deepEqual(readClarification("hmm"), { intent: "followup_feedback", rule: "second-doubt" });
    assert.deepEqual(readClarification("🤔"), { intent: "followup_feedback", rule: "second-doubt" });
  });

  test("awaiting: still sent and asked at or after the last send (a resend starts over)", () => {
    const sent = "2026-11-30T19:00:00.000Z";
    assert.equal(awaitingClarification({ followup_status: "sent", followup_sent_at: sent, followup_clarification_asked_at: "2026-11-30T19:30:00.000Z" }), true);
    assert.equal(awaitingClarification({ followup_status: "sent", followup_sent_at: "2026-12-01T12:00:00.000Z", followup_clarification_asked_at: "2026-11-30T19:30:00.000Z" }), false);
    assert.equal(awaitingClarification({ followup_status: "feedback", followup_sent_at: sent, followup_clarification_asked_at: "2026-11-30T19:30:00.000Z" }), false);
    assert.equal(awaitingClarification({ followup_status: "sent", followup_sent_at: sent, followup_clarification_asked_at: null }), false);
    const row = { followup_status: "sent", followup_sent_at: sent, followup_clarification_asked_at: null };
    assert.deepEqual(readFollowupReply(row, "hmm"), { intent: "followup_feedback", rule: "fallback-feedback", ask: "no-content" });
    assert.equal(readFollowupReply({ ...row, followup_clarification_asked_at: "2026-11-30T19:30:00.000Z" }, "hmm").ask, null);
  });
});
