import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { openStore } from "../../src/store/open.js";
import { FOLLOWUP_SORTS, followupPages, listFollowups, STATUS_FILTER_STATES } from "../../src/store/followup-queries.js";
import { migratedDb, runCli, tempDb } from "../helpers/cli.js";
import { VIEWS_NOW, seedKnownMix } from "../helpers/views.js";

/**
 * Issue 18: `followups list --all` streams every row (no 10,000 cap) in keyset pages; a capped
 * csv/json export says on stderr that it was cut and how to get everything; --show-phones.
 */
describe("followups list --all (streamed export) and the cut note", () => {
  let db = "";
  let rows = 0;
  before(async () => {
    db = tempDb();
    const d = await migratedDb(db);
    try {
      rows = (await seedKnownMix(d, { random: 3000, seed: 11 })).length;
    } finally {
      await d.close();
    }
  });
  const env = { SECRETARIA_NOW: VIEWS_NOW, COLUMNS: "" };
  const list = (...args: string[]) => runCli(["followups", "list", "--db", db, ...args], { env, timeoutMs: 120_000 });

  test("keyset pages (7 rows each) give exactly the one-query order for every sort, ties and NULLs included", async () => {
    const d = await openStore(db, { readonly: true });
    try {
      for (const sort of FOLLOWUP_SORTS) {
        for (const statuses of [null, STATUS_FILTER_STATES.pending]) {
          const filter = { statuses, sort, search: sort.includes("client") ? "a" : undefined };
          const whole = (await listFollowups(d, { ...filter, limit: 10_000, offset: 0 })).items.map((i) => i.id);
          const paged: number[] = [];
          let pages = 0;
          for await (const page of followupPages(d, filter, 7)) {
            assert.ok(page.length <= 7);
            paged.push(...page.map((i) => i.id));
            pages++;
          }
          assert.ok(whole.length > 100, `${sort}: ${whole.length} rows`);
          assert.equal(pages, Math.ceil(whole.length / 7), sort);
          assert.deepEqual(paged, whole, `--sort ${sort} ${statuses ? "pending" : "all"}`);
        }
      }
    } finally {
      await d.close();
    }
  });

  test("--all --format csv: every row once, byte for byte what one page of 10,000 gives; no cut note", async () => {
    const all = await list("--all", "--format", "csv", "--csv-delimiter", ";", "--bom", "--sort", "id");
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stderr, "");
    assert.ok(all.stdout.startsWith("\uFEFFid;company_id;client_name;"));
    const parsed = parse(all.stdout.slice(1), { columns: true, delimiter: ";" }) as { id: string }[];
    assert.equal(parsed.length, rows);
    assert.equal(new Set(parsed.map((r) => r.id)).size, rows);
    const one = await list("--limit", "10000", "--format", "csv", "--csv-delimiter", ";", "--bom", "--sort", "id");
    assert.equal(one.stderr, "");
    assert.equal(all.stdout, one.stdout);
  });

  test("--all --format json (and --json): the same text as the whole array printed at once, with filters", async () => {
    for (const args of [["--format", "json"], ["--json", "--status", "pending", "--sort", "end"], ["--json", "--search", "zzz-nobody"]]) {
      const all = await list("--all", ...args);
      assert.equal(all.code, 0, all.stderr);
      const one = await list("--limit", "10000", ...args);
      assert.equal(all.stdout, one.stdout, args.join(" "));
      assert.ok(Array.isArray(JSON.parse(all.stdout)));
    }
    assert.equal(JSON.parse((await list("--all", "--json")).stdout).length, rows);
  });

  test("a capped export says so on stderr, the data stays parseable; the table's footer points to --all", async () => {
    const csv = await list("--format", "csv", "--limit", "100", "--page", "2");
    assert.equal(csv.code, 0, csv.stderr);
    assert.equal((parse(csv.stdout, { columns: true }) as unknown[]).length, 100);
    assert.equal(csv.stderr, `# cut: rows 101–200 of ${rows} follow-ups (--limit 100, at most 10,000): pass --all for every row\n`);
    const json = await list("--json");
    assert.equal(JSON.parse(json.stdout).length, 50);
    assert.match(json.stderr, /^# cut: rows 1–50 of \d+ follow-ups .*pass --all for every row\n$/);
    const table = await list();
    assert.match(table.stdout, new RegExp(`1–50 of ${rows} follow-ups; next page: --page 2, every row: --all --format csv\\n$`));
  });

  test("--all refuses a table and --limit/--page, naming what to do", async () => {
    const t = await list("--all");
    assert.equal(t.code, 2);
    assert.match(t.stderr, /--all is for exports: add --format csv or --format json/);
    const l = await list("--all", "--json", "--limit", "5");
    assert.equal(l.code, 2);
    assert.match(l.stderr, /--all lists every row: leave out --limit and --page/);
    const s = await list("--all", "--json", "--sort", "client");
    assert.equal(s.code, 2);
    assert.match(s.stderr, /^secretaria: --all exports in --sort end, -end, id, -id order/);
    assert.equal(s.stdout, "");
  });

  test("--show-phones: the table shows the full phone only when asked", async () => {
    const masked = await list("--search", "Reenvio");
    assert.match(masked.stdout, /5511…02/);
    assert.doesNotMatch(masked.stdout, /5511999990002/);
    const shown = await list("--search", "Reenvio", "--show-phones");
    assert.match(shown.stdout, /5511999990002/);
  });
});
