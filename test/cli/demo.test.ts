import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import Database from "better-sqlite3";
import { runCli, tempDir } from "../helpers/cli.js";

/** Pulls the demo database path out of the "Explore" lines. */
function demoDbPath(stdout: string): string {
  const m = /--db "([^"]+)"/.exec(stdout);
  assert.ok(m, "the demo prints how to explore its database");
  return m[1]!;
}

describe("secretaria demo", { timeout: 120_000 }, () => {
  test("runs the whole cycle offline, twice in a row, and leaves a consistent database", async () => {
    for (let run = 1; run <= 2; run++) {
      const r = await runCli(["demo", "--fast"], { env: { SECRETARIA_DB: join(tempDir(), "must-not-be-touched.db") } });
      assert.equal(r.code, 0, `run ${run}: ${r.stderr}`);
      assert.equal(r.stderr, "", "nothing on stderr");
      // The narrated story: a send, the three replies, the retry, the quiet-hours "de ontem".
      assert.match(r.stdout, /📤 follow-up to Ana Souza sent/);
      assert.match(r.stdout, /Espero que tenha corrido tudo bem na reunião de hoje, Ana\. 😊/);
      assert.match(r.stdout, /ContextEngine: followup_positive/);
      assert.match(r.stdout, /Que ótimo! Veja abaixo algumas sugestões\.\.\./);
      assert.match(r.stdout, /📅 agenda\.book: new appointment/);
      assert.match(r.stdout, /ContextEngine: followup_negative/);
      assert.match(r.stdout, /Sem problemas! Ficamos à disposição quando quiser retomar\./);
      assert.match(r.stdout, /ContextEngine: followup_feedback/);
      assert.match(r.stdout, /Agradeço por compartilhar seu feedback!/);
      assert.match(r.stdout, /HTTP 500 .*Fábio Nunes: transient, retry at/);
      assert.match(r.stdout, /follow-up to Fábio Nunes sent \(attempt 2\)/);
      assert.match(r.stdout, /reunião de ontem, Gabriela/);
      // The report: counters, chart and list; piped, so no escape codes.
      assert.match(r.stdout, /response rate/);
      assert.match(r.stdout, /Positive and negative answers per day/);
      assert.match(r.stdout, /┼/);
      assert.match(r.stdout, /status/);
      assert.ok(!r.stdout.includes("\u001b["), "no escape codes when piped");
      assert.match(r.stdout, /Explore the demo database/);

      const path = demoDbPath(r.stdout);
      const db = new Database(path, { readonly: true });
      try {
        const q = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
        // No consent and cancelled: never sent. Nothing left in flight.
        assert.equal(q("SELECT count(*) AS n FROM appointments WHERE external_id IN ('SOL-103', 'SOL-105') AND followup_sent_at IS NOT NULL"), 0);
        assert.equal(q("SELECT count(*) AS n FROM appointments WHERE followup_status = 'sending'"), 0);
        assert.equal(q("SELECT count(*) AS n FROM appointments WHERE allow_followup = 0 AND followup_sent_at IS NOT NULL"), 0);
        // Every sent follow-up has its audit row; the booking is audited.
        assert.equal(
          q("SELECT count(*) AS n FROM appointments WHERE followup_sent_at IS NOT NULL"),
          q("SELECT count(DISTINCT appointment_id) AS n FROM audit_log WHERE action = 'followup_sent'"),
        );
        assert.equal(q("SELECT count(*) AS n FROM audit_log WHERE action = 'agenda_booked'") >= 1, true);
        assert.equal(q("SELECT count(*) AS n FROM appointments WHERE external_id = 'SOL-101' AND followup_response = 'positive' AND followup_booked_appointment_id IS NOT NULL"), 1);
      } finally {
        db.close();
      }
    }
  });

  test("--db keeps the demo where asked, replaces an earlier demo, refuses any other file", async () => {
    const dir = tempDir();
    const path = join(dir, "tour.db");
    const first = await runCli(["--db", path, "demo", "--fast"]);
    assert.equal(first.code, 0, first.stderr);
    assert.ok(existsSync(path));
    const again = await runCli(["--db", path, "demo", "--fast"]);
    assert.equal(again.code, 0, again.stderr);
    // The demo database is a normal one: the other commands read it.
    const list = await runCli(["--db", path, "followups", "list", "--status", "pending", "--json"]);
    assert.equal(list.code, 0, list.stderr);
    assert.ok((JSON.parse(list.stdout) as unknown[]).length > 0);

    const precious = join(dir, "production.db");
    writeFileSync(precious, "not a demo");
    const refused = await runCli(["--db", precious, "demo", "--fast"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^secretaria: .*is not a demo database/);
    assert.equal(refused.stderr.trim().split("\n").length, 1);
  });
});
