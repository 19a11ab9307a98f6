import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { count, lastDays } from "../../src/render/plural.js";
import { runCli, tempDb } from "../helpers/cli.js";

/** Issue 18: "1 follow-up" (not "1 follow-ups"), "last day", "response rate —" when nothing was sent. */
describe("wording of counts", () => {
  let db = "";
  const env = { SECRETARIA_NOW: "2026-11-25T12:00:00Z", COLUMNS: "" };
  const cli = (...args: string[]) => runCli([...args, "--db", db], { env });
  before(async () => {
    db = tempDb();
    assert.equal((await runCli(["migrate", "--db", db])).code, 0);
    assert.equal((await cli("companies", "add", "--id", "sol", "--name", "Sol")).code, 0);
    const r = await cli("appointments", "add", "--company", "sol", "--external-id", "A-1", "--client-name", "Ana", "--client-phone", "11999990000",
      "--start", "2026-11-25T14:00", "--end", "2026-11-25T15:00", "--allow-followup", "yes");
    assert.equal(r.code, 0, r.stderr);
  });

  test("count and lastDays", () => {
    assert.equal(count(1, "follow-up"), "1 follow-up");
    assert.equal(count(0, "follow-up"), "0 follow-ups");
    assert.equal(count(2, "entry", "entries"), "2 entries");
    assert.equal(lastDays(1), "last day");
    assert.equal(lastDays(7), "last 7 days");
  });

  test("stats --days 1 with nothing sent: last day, response rate —, never 0% or NaN", async () => {
    const r = await cli("stats", "--days", "1");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Follow-ups, last day \(25\/11\/2026–25\/11\/2026\), company sol$/m);
    assert.match(r.stdout, /response rate —$/m);
    assert.match(r.stdout, /no follow-ups sent or answered in the last day: nothing to chart yet \(1 pending/);
    assert.doesNotMatch(r.stdout, /NaN|0%|1 days/);
    assert.match((await cli("stats", "--days", "2")).stdout, /last 2 days/);
  });

  test("one row: 1 follow-up, 1 entry", async () => {
    assert.match((await cli("followups", "list")).stdout, /^1–1 of 1 follow-up$/m);
    const cut = await cli("followups", "list", "--format", "csv", "--limit", "1", "--page", "2");
    assert.match(cut.stderr, /of 1 follow-up \(--limit 1/);
    const audit = await cli("audit", "list", "--action", "appointment_created");
    assert.match(audit.stdout, /^1–1 of 1 entry, newest first$/m);
  });

  test("appointments and audit list: a cut csv/json page says so on stderr, naming the pages; a whole one says nothing", async () => {
    const a = await cli("appointments", "list", "--format", "csv", "--limit", "1", "--page", "2");
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout.trim().split("\r\n").length, 1, "the header only");
    assert.equal(a.stderr, "# cut: no rows (page 2 is past the end) of 1 appointment (--limit 1, at most 10,000): --page 1 to 1 hold them all\n");
    assert.equal((await cli("appointments", "list", "--json")).stderr, "");
    const audit = await cli("audit", "list", "--json", "--limit", "1");
    assert.equal(JSON.parse(audit.stdout).length, 1);
    assert.equal(audit.stderr, "# cut: rows 1–1 of 2 entries (--limit 1, at most 10,000): --page 1 to 2 hold them all (next: --page 2)\n");
  });
});
