import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { openStore } from "../../src/store/open.js";
import { ON_POSTGRES, runCli, tempDb, tempDir } from "../helpers/cli.js";

/** Pulls the demo database location out of the "Explore" lines. */
function demoDbPath(stdout: string): string {
  const m = /--db "([^"]+)"/.exec(stdout);
  assert.ok(m, "the demo prints how to explore its database");
  return m[1]!;
}

/** The password of a PostgreSQL URL: it must never be printed. */
const passwordOf = (url: string) => decodeURIComponent(new URL(url).password);

describe("secretaria demo", { timeout: 120_000 }, () => {
  test("runs the whole cycle offline, twice in a row, and leaves a consistent database", async () => {
    // SQLite: the demo's own temporary file (no --db). PostgreSQL: a new empty database given with --db,
    // which the second run replaces (the demo never picks a PostgreSQL database by itself).
    const pgUrl = ON_POSTGRES ? tempDb() : "";
    const untouched = join(tempDir(), "must-not-be-touched.db");
    for (let run = 1; run <= 2; run++) {
      const r = await runCli([...(pgUrl ? ["--db", pgUrl] : []), "demo", "--fast"], { env: { SECRETARIA_DB: untouched } });
      assert.equal(r.code, 0, `run ${run}: ${r.stderr}`);
      assert.equal(r.stderr, "", "nothing on stderr");
      assert.ok(!existsSync(untouched), "SECRETARIA_DB is never the demo's database");
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

      let location: string;
      if (pgUrl) {
        // The URL (and its password) is not printed: the hints name the variable instead.
        assert.equal(demoDbPath(r.stdout), "$SECRETARIA_DB");
        assert.ok(!r.stdout.includes(passwordOf(pgUrl)), "the URL's password is never printed");
        location = pgUrl;
      } else {
        location = demoDbPath(r.stdout);
      }
      const db = await openStore(location, { readonly: true });
      try {
        const q = async (sql: string) => (await db.get<{ n: number }>(sql))!.n;
        // No consent and cancelled: never sent. Nothing left in flight.
        assert.equal(await q("SELECT count(*) AS n FROM appointments WHERE external_id IN ('SOL-103', 'SOL-105') AND followup_sent_at IS NOT NULL"), 0);
        assert.equal(await q("SELECT count(*) AS n FROM appointments WHERE followup_status = 'sending'"), 0);
        assert.equal(await q("SELECT count(*) AS n FROM appointments WHERE allow_followup = 0 AND followup_sent_at IS NOT NULL"), 0);
        // Every sent follow-up has its audit row; the booking is audited.
        assert.equal(
          await q("SELECT count(*) AS n FROM appointments WHERE followup_sent_at IS NOT NULL"),
          await q("SELECT count(DISTINCT appointment_id) AS n FROM audit_log WHERE action = 'followup_sent'"),
        );
        assert.equal((await q("SELECT count(*) AS n FROM audit_log WHERE action = 'agenda_booked'")) >= 1, true);
        assert.equal(await q("SELECT count(*) AS n FROM appointments WHERE external_id = 'SOL-101' AND followup_response = 'positive' AND followup_booked_appointment_id IS NOT NULL"), 1);
      } finally {
        await db.close();
      }
    }
  });

  test("--db keeps the demo where asked, replaces an earlier demo, refuses any other database", async () => {
    const dir = tempDir();
    const path = ON_POSTGRES ? tempDb() : join(dir, "tour.db");
    const first = await runCli(["--db", path, "demo", "--fast"]);
    assert.equal(first.code, 0, first.stderr);
    if (!ON_POSTGRES) assert.ok(existsSync(path));
    const again = await runCli(["--db", path, "demo", "--fast"]);
    assert.equal(again.code, 0, again.stderr);
    // The demo database is a normal one: the other commands read it.
    const list = await runCli(["--db", path, "followups", "list", "--status", "pending", "--json"]);
    assert.equal(list.code, 0, list.stderr);
    assert.ok((JSON.parse(list.stdout) as unknown[]).length > 0);

    if (ON_POSTGRES) {
      // PostgreSQL: only an empty database or an earlier demo's; a real one (migrated, with a company) is refused and kept.
      const precious = tempDb();
      assert.equal((await runCli(["--db", precious, "migrate"])).code, 0);
      assert.equal((await runCli(["--db", precious, "companies", "add", "--id", "real", "--name", "Real"])).code, 0);
      const refused = await runCli(["--db", precious, "demo", "--fast"]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /^secretaria: .*is not empty and not a demo database/);
      assert.equal(refused.stderr.trim().split("\n").length, 1);
      assert.ok(!`${refused.stdout}${refused.stderr}`.includes(passwordOf(precious)), "the URL's password is never printed");
      const kept = await runCli(["--db", precious, "companies", "list", "--json"]);
      assert.deepEqual((JSON.parse(kept.stdout) as { id: string }[]).map((c) => c.id), ["real"]);
    } else {
      const precious = join(dir, "production.db");
      writeFileSync(precious, "not a demo");
      const refused = await runCli(["--db", precious, "demo", "--fast"]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /^secretaria: .*is not a demo database/);
      assert.equal(refused.stderr.trim().split("\n").length, 1);
      assert.equal(readFileSync(precious, "utf8"), "not a demo", "the file is left as it was");
    }
  });
});
