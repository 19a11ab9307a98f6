import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { runCli, tempDb } from "../helpers/cli.js";

/** Issue 18: one output convention for list commands (--format table|json|csv, --json kept), CSV for Excel pt-BR, piped tables not cut. */
const env = { SECRETARIA_NOW: "2026-11-25T12:00:00Z", COLUMNS: "" };

describe("--format on every list command (CLI)", () => {
  let db = "";
  const cli = (...args: string[]) => runCli([...args, "--db", db], { env });
  before(async () => {
    db = tempDb();
    assert.equal((await runCli(["migrate", "--db", db])).code, 0);
    assert.equal((await cli("companies", "add", "--id", "sol", "--name", "Clínica Sol; Centro", "--whaticket-url", "https://wt.example.com.br/a/very/long/path/that/would/not/fit/in/eighty/columns")).code, 0);
    const r = await cli("appointments", "add", "--company", "sol", "--external-id", "A-1", "--client-name", "João", "--client-phone", "11999990000",
      "--start", "2026-11-25T14:00", "--end", "2026-11-25T15:00", "--allow-followup", "yes");
    assert.equal(r.code, 0, r.stderr);
  });

  for (const list of [["companies", "list"], ["appointments", "list"], ["followups", "list"], ["audit", "list"]]) {
    test(`${list.join(" ")}: --format json equals --json; csv has a header; a bad format is a usage error`, async () => {
      const json = await cli(...list, "--format", "json");
      assert.equal(json.code, 0, json.stderr);
      assert.deepEqual(JSON.parse(json.stdout), JSON.parse((await cli(...list, "--json")).stdout));
      const csv = await cli(...list, "--format", "csv");
      assert.equal(csv.code, 0, csv.stderr);
      assert.match(csv.stdout, /^id[,;]/);
      const bad = await cli(...list, "--format", "xml");
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /unknown --format "xml": use table, json or csv/);
    });
  }

  const more: [string[], string][] = [[["replies", "list"], "id;received_at;"], [["contacts", "list"], "company_id;phone;since;"], [["tokens", "list"], "id;company_id;scope;"]];
  for (const [list, header] of more) {
    test(`${list.join(" ")}: --format json equals --json; csv with ';' and a BOM has its header; a bad format is a usage error`, async () => {
      const json = await cli(...list, "--format", "json");
      assert.equal(json.code, 0, json.stderr);
      assert.deepEqual(JSON.parse(json.stdout), JSON.parse((await cli(...list, "--json")).stdout));
      const csv = await cli(...list, "--format", "csv", "--csv-delimiter", ";", "--bom");
      assert.equal(csv.code, 0, csv.stderr);
      assert.ok(csv.stdout.startsWith(`\uFEFF${header}`), csv.stdout.slice(0, 40));
      const bad = await cli(...list, "--format", "xml");
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /unknown --format "xml": use table, json or csv/);
    });
  }

  test("every list command the CLI has takes --format, --csv-delimiter, --bom and --json", async () => {
    const top = (await runCli(["--help"])).stdout;
    const groups = [...top.slice(top.indexOf("\nCommands:")).matchAll(/^ {2}([a-z-]+) /gm)].map((m) => m[1]!).filter((g) => g !== "help");
    const lists: string[] = [];
    for (const g of groups) {
      if (/^ {2}list\b/m.test((await runCli([g, "--help"])).stdout)) lists.push(g);
    }
    assert.deepEqual(lists.sort(), ["appointments", "audit", "companies", "contacts", "followups", "replies", "tokens"]);
    for (const g of lists) {
      const help = (await runCli([g, "list", "--help"])).stdout;
      for (const flag of ["--format <format>", "--csv-delimiter <char>", "--bom", "--json"]) assert.ok(help.includes(flag), `${g} list ${flag}`);
    }
  });

  test("--csv-delimiter ';' and --bom for Excel pt-BR: quoted only where the separator appears", async () => {
    const r = await cli("companies", "list", "--format", "csv", "--csv-delimiter", ";", "--bom");
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith("\uFEFFid;name;timezone;"), r.stdout.slice(0, 40));
    assert.match(r.stdout, /\r\nsol;"Clínica Sol; Centro";America\/Sao_Paulo;/);
    const f = await cli("followups", "list", "--format", "csv", "--csv-delimiter", ";");
    assert.match(f.stdout, /^id;company_id;client_name;/);
    const bad = await cli("companies", "list", "--format", "csv", "--csv-delimiter", "x");
    assert.equal(bad.code, 2);
  });

  test("piped, a table is not cut to 80 columns", async () => {
    const r = await cli("companies", "list");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /https:\/\/wt\.example\.com\.br\/a\/very\/long\/path\/that\/would\/not\/fit\/in\/eighty\/columns/);
  });
});
