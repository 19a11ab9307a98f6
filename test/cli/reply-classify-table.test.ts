import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { runCli } from "../helpers/cli.js";

const T = { timeout: 30_000 };
// classify needs no database: point at one that cannot exist.
const NO_DB = { SECRETARIA_DB: "/nonexistent/dir/secretaria.db" };

describe("reply classify: each text beside its intent", () => {
  test("--table (the default on a terminal): intent, then the text, control characters stripped", T, async () => {
    const r = await runCli(["reply", "classify", "--table"], { env: { ...NO_DB, COLUMNS: "100" }, input: "Sim, quero marcar\nnão, obrigado\nOi \u001b]0;x\u0007\u202Etudo\n" });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split("\n"), ["positive  Sim, quero marcar", "negative  não, obrigado", "feedback  Oi tudo", ""]);
  });

  test("--table --explain adds the deciding rule; a reply the bot would ask about is marked ?", T, async () => {
    const r = await runCli(["reply", "classify", "--table", "--explain"], { env: { ...NO_DB, COLUMNS: "100" }, input: "pode marcar\nhmm\n" });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^positive +booking-request +pode marcar$/);
    assert.match(lines[1]!, /^feedback +fallback-feedback \? +hmm$/);
  });

  test("--json --explain: JSON lines with the rule and the doubt", T, async () => {
    const r = await runCli(["reply", "classify", "--json", "--explain"], { env: NO_DB, input: "sim\n🤔\n" });
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(rows.map((o) => [o.text, o.intent, o.rule, o.doubt]), [
      ["sim", "followup_positive", "affirmation", null],
      ["🤔", "followup_feedback", "emoji-feedback", "unknown-emoji"],
    ]);
  });
});
