import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { openStore } from "../../src/store/open.js";
import { ON_POSTGRES, migratedDb, runCli, tempDb } from "../helpers/cli.js";
import { VIEWS_NOW, seedKnownMix, terminalWidth } from "../helpers/views.js";

const SPEC_FIELDS = [
  "id", "company_id", "client_name", "client_phone", "end_time", "followup_status", "followup_next_scheduled",
  "followup_sent_at", "followup_response", "followup_attempts", "followup_last_error",
];
const VALID = ["all", "scheduled", "pending", "sent", "positive", "negative", "feedback", "failed", "skipped"];

async function idsWhere(location: string, where: string): Promise<number[]> {
  const db = await openStore(location, { readonly: true });
  try {
    return (await db.all<{ id: number }>(`SELECT id FROM appointments WHERE ${where} ORDER BY id`)).map((r) => r.id);
  } finally {
    await db.close();
  }
}

describe("secretaria followups list", () => {
  let db: string;
  before(async () => {
    db = tempDb();
    const d = await migratedDb(db);
    try {
      await seedKnownMix(d);
      // Long names and errors, for the 80-column check.
      await d.run("UPDATE appointments SET client_name = 'Maria Aparecida dos Santos Figueiredo de Albuquerque Neta' WHERE client_name = 'Primeiro Dia'");
      await d.run("UPDATE appointments SET followup_last_error = 'connect ECONNREFUSED 10.0.0.1:443 — the Whaticket server did not answer in time' WHERE followup_status = 'failed'");
      // Appointments ending at local midnight of 01/11, ±1 ms, in each zone.
      const edge = `INSERT INTO appointments (company_id, external_id, client_name, client_phone, start_time, end_time, followup_status, followup_skip_reason)
         VALUES (?, ?, ?, '5511988887777', ?, ?, 'skipped', 'no_consent')`;
      for (const [company, end, name] of [
        ["sp", "2026-11-01T02:59:59.999Z", "SP 31/10 23:59"], ["sp", "2026-11-01T03:00:00.000Z", "SP 01/11 00:00"],
        ["lx", "2026-10-31T23:59:59.999Z", "LX 31/10 23:59"], ["lx", "2026-11-01T00:00:00.000Z", "LX 01/11 00:00"],
      ] as const) await d.run(edge, [company, `E-${name}`, name, end, end]);
    } finally {
      await d.close();
    }
  });
  // COLUMNS: the width a terminal would give; piped output is otherwise not cut at all.
  const env = { SECRETARIA_NOW: VIEWS_NOW, COLUMNS: "80" };
  const list = (...args: string[]) => runCli(["followups", "list", "--db", db, ...args], { env });

  test("--status pending --json: exactly the rows with no answer yet (scheduled, sending, sent), SPEC's fields", async () => {
    const r = await list("--status", "pending", "--json", "--limit", "10000");
    assert.equal(r.code, 0, r.stderr);
    const items = JSON.parse(r.stdout) as Record<string, unknown>[];
    assert.ok(Array.isArray(items));
    const want = await idsWhere(db, "followup_status IN ('scheduled', 'sending', 'sent')");
    assert.ok(want.length > 10);
    assert.deepEqual(items.map((i) => i.id as number).sort((a, b) => a - b), want);
    assert.ok(items.every((i) => ["scheduled", "sending", "sent"].includes(i.followup_status as string)));
    for (const f of SPEC_FIELDS) assert.ok(f in items[0]!, `field ${f}`);
    const scheduled = JSON.parse((await list("--status", "scheduled", "--json", "--limit", "10000")).stdout) as { id: number }[];
    assert.deepEqual(scheduled.map((i) => i.id).sort((a, b) => a - b), await idsWhere(db, "followup_status = 'scheduled'"));
  });

  test("every other status selects exactly its rows", async () => {
    for (const s of ["sent", "positive", "negative", "feedback", "failed", "skipped"]) {
      const items = JSON.parse((await list("--status", s, "--json", "--limit", "10000")).stdout) as { id: number }[];
      assert.deepEqual(items.map((i) => i.id).sort((a, b) => a - b), await idsWhere(db, `followup_status = '${s}'`), s);
    }
  });

  test("an unknown status is a usage error (exit 2) that lists the valid ones", async () => {
    const r = await list("--status", "answered");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^secretaria: unknown --status "answered"/);
    for (const s of VALID) assert.ok(r.stderr.includes(s), s);
    assert.equal(r.stderr.trim().split("\n").length, 1);
  });

  test("default order: newest appointment end first; --sort client / next; --company; --search by name or phone digits", async () => {
    const all = JSON.parse((await list("--json", "--limit", "10000")).stdout) as { id: number; end_time: string; client_name: string; company_id: string }[];
    assert.equal(all.length, (await idsWhere(db, "1 = 1")).length);
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1]!.end_time >= all[i]!.end_time, "newest end first");
    const byName = JSON.parse((await list("--json", "--sort", "client", "--limit", "10000")).stdout) as { client_name: string }[];
    // SQLite's NOCASE: ASCII letters fold, everything else compares by code point. PostgreSQL sorts by
    // lower(client_name), which folds every letter, in the database's collation: C.UTF-8 (code point
    // order) on the test cluster (scripts/pg-cluster.sh).
    const nocase = ON_POSTGRES ? (t: string) => t.toLowerCase() : (t: string) => t.replace(/[A-Z]/g, (c) => c.toLowerCase());
    for (let i = 1; i < byName.length; i++) assert.ok(nocase(byName[i - 1]!.client_name) <= nocase(byName[i]!.client_name));
    const next = JSON.parse((await list("--json", "--status", "scheduled", "--sort", "next")).stdout) as { followup_next_scheduled: string }[];
    for (let i = 1; i < next.length; i++) assert.ok(next[i - 1]!.followup_next_scheduled <= next[i]!.followup_next_scheduled);
    const lx = JSON.parse((await list("--json", "--company", "lx", "--limit", "10000")).stdout) as { company_id: string }[];
    assert.equal(lx.length, (await idsWhere(db, "company_id = 'lx'")).length);
    const byPhone = JSON.parse((await list("--json", "--search", "+55 (11) 99999-0002")).stdout) as { client_name: string }[];
    assert.deepEqual(byPhone.map((i) => i.client_name), ["Reenvio Duas Vezes"]);
    const byName2 = JSON.parse((await list("--json", "--search", "meia noite")).stdout) as { client_name: string }[];
    assert.deepEqual(byName2.map((i) => i.client_name).sort(), ["Meia Noite Antes", "Meia Noite Depois"]);
  });

  test("--since/--until are local dates of each company (rows at local midnight land on the right day)", async () => {
    // São Paulo's 01/11 begins at 03:00Z, Lisbon's at 00:00Z (winter time).
    const r = await list("--json", "--since", "2026-11-01", "--until", "2026-11-01", "--limit", "10000");
    assert.equal(r.code, 0, r.stderr);
    const got = (JSON.parse(r.stdout) as { id: number }[]).map((i) => i.id).sort((a, b) => a - b);
    const want = await idsWhere(
      db,
      `(company_id = 'sp' AND end_time >= '2026-11-01T03:00:00.000Z' AND end_time < '2026-11-02T03:00:00.000Z')
       OR (company_id = 'lx' AND end_time >= '2026-11-01T00:00:00.000Z' AND end_time < '2026-11-02T00:00:00.000Z')`,
    );
    assert.deepEqual(got, want);
    const names = (JSON.parse(r.stdout) as { client_name: string }[]).map((i) => i.client_name);
    assert.ok(names.includes("SP 01/11 00:00") && names.includes("LX 01/11 00:00"));
    assert.ok(!names.includes("SP 31/10 23:59") && !names.includes("LX 31/10 23:59"));
    const bad = await list("--since", "2026-13-01");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since must be a date like 2026-11-25/);
  });

  test("--format csv parses back into the same rows as --json", async () => {
    const csv = await list("--format", "csv", "--status", "failed");
    assert.equal(csv.code, 0, csv.stderr);
    const rows = parse(csv.stdout, { columns: true }) as Record<string, string>[];
    const json = JSON.parse((await list("--json", "--status", "failed")).stdout) as Record<string, unknown>[];
    assert.equal(rows.length, json.length);
    assert.ok(rows.length > 0);
    for (const f of SPEC_FIELDS) assert.ok(f in rows[0]!, f);
    rows.forEach((row, i) => {
      assert.equal(Number(row.id), json[i]!.id);
      assert.equal(row.followup_last_error, json[i]!.followup_last_error ?? "");
      assert.equal(row.client_name, json[i]!.client_name);
    });
  });

  test("paging: the footer says how many matched and how to get the next page", async () => {
    const total = (await idsWhere(db, "1 = 1")).length;
    const p1 = await list("--limit", "5");
    assert.equal(p1.code, 0, p1.stderr);
    assert.match(p1.stdout, new RegExp(`^1–5 of ${total} follow-ups; next page: --page 2, every row: --all --format csv$`, "m"));
    const p2 = await list("--limit", "5", "--page", "2", "--json");
    const p1j = await list("--limit", "5", "--json");
    const ids1 = (JSON.parse(p1j.stdout) as { id: number }[]).map((i) => i.id);
    const ids2 = (JSON.parse(p2.stdout) as { id: number }[]).map((i) => i.id);
    assert.equal(ids2.length, 5);
    assert.ok(!ids2.some((id) => ids1.includes(id)), "pages do not overlap");
    const lastPage = Math.ceil(total / 5);
    const last = await list("--limit", "5", "--page", String(lastPage));
    assert.match(last.stdout, new RegExp(`^${(lastPage - 1) * 5 + 1}–${total} of ${total} follow-ups$`, "m"));
    const none = await list("--status", "failed", "--company", "lx", "--search", "nobody-at-all");
    assert.equal(none.code, 0);
    assert.match(none.stdout, /^no follow-ups match/);
  });

  test("the table fits 80 columns (emoji count 2), one line per follow-up, icons per state", async () => {
    const r = await list("--limit", "400");
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.replace(/\n$/, "").split("\n");
    const total = (await idsWhere(db, "1 = 1")).length;
    assert.equal(lines.length, 2 + Math.min(400, total) + 1, "header, rule, one line per row, footer");
    for (const line of lines) assert.ok(terminalWidth(line) <= 80, `${terminalWidth(line)} columns: ${line}`);
    for (const icon of ["👍 positive", "👎 negative", "💬 feedback", "⏳ scheduled", "⏳ sent", "⏳ sending", "✖  failed", "⊘  skipped"]) {
      assert.ok(r.stdout.includes(icon), icon);
    }
    assert.match(r.stdout, /Maria A\S*…/, "a long name is cut with an ellipsis");
    assert.doesNotMatch(r.stdout, /5511999990001/, "phones are masked in the table");
    assert.match(r.stdout, /5511…01/);
    assert.ok(!r.stdout.includes("\u001b"), "no colors when piped");
    // São Paulo and Lisbon side by side: each time carries its offset from UTC (Lisbon is UTC+0 in November).
    assert.match(r.stdout, / sp +\d\d\/\d\d \d\d:\d\d-3 /);
    assert.match(r.stdout, / lx +\d\d\/\d\d \d\d:\d\d\+0 /);
    const one = await list("--company", "sp", "--limit", "20");
    assert.match(one.stdout, / \d\d\/\d\d \d\d:\d\d /);
    assert.doesNotMatch(one.stdout, /\d\d:\d\d[-+]\d/, "one zone: times as before, no offset");
    const wide = await runCli(["followups", "list", "--db", db, "--sort", "id", "--limit", "50"], { env: { ...env, COLUMNS: "120" } });
    for (const line of wide.stdout.split("\n")) assert.ok(terminalWidth(line) <= 120);
    assert.match(wide.stdout, /Maria Aparecida dos Santos/, "a wider terminal shows more of the name");
  });
});
