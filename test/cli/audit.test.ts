import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { openStore } from "../../src/store/open.js";
import { migratedDb, runCli, tempDb } from "../helpers/cli.js";
import { VIEWS_NOW, seedKnownMix, terminalWidth } from "../helpers/views.js";

interface Entry {
  id: number;
  action: string;
  appointment_id: number | null;
  company_id: string | null;
  payload: Record<string, unknown>;
  created_at: string;
}

async function count(location: string, where = "1 = 1"): Promise<number> {
  const db = await openStore(location, { readonly: true });
  try {
    return (await db.get<{ n: number }>(`SELECT count(*) AS n FROM audit_log WHERE ${where}`))!.n;
  } finally {
    await db.close();
  }
}

describe("secretaria audit list", () => {
  let db: string;
  before(async () => {
    db = tempDb();
    const d = await migratedDb(db);
    try {
      await seedKnownMix(d);
      await d.run("INSERT INTO audit_log (action, appointment_id, company_id, payload, created_at) VALUES (?, ?, ?, ?, ?)", [
        "inbound_unmatched", null, null,
        JSON.stringify({ phone: "5511988887777", body: "Oi, quem é? ".repeat(20) }), "2026-11-09T20:00:00.000Z",
      ]);
    } finally {
      await d.close();
    }
  });
  // COLUMNS: the width a terminal would give; piped output is otherwise not cut at all.
  const env = { SECRETARIA_NOW: VIEWS_NOW, COLUMNS: "80" };
  const audit = (...args: string[]) => runCli(["audit", "list", "--db", db, ...args], { env });

  test("--json: SPEC's items, newest first, payload as an object", async () => {
    const r = await audit("--json", "--limit", "10000");
    assert.equal(r.code, 0, r.stderr);
    const items = JSON.parse(r.stdout) as Entry[];
    assert.equal(items.length, await count(db));
    assert.deepEqual(Object.keys(items[0]!), ["id", "action", "appointment_id", "company_id", "payload", "created_at"]);
    for (let i = 1; i < items.length; i++) assert.ok(items[i - 1]!.id > items[i]!.id, "newest first");
    const response = items.find((e) => e.action === "followup_response" && e.payload.response === "feedback")!;
    assert.equal(typeof response.payload, "object");
    assert.equal(response.payload.feedback, "Gostei, mas a sala estava fria.");
  });

  test("--appointment: the trail of one follow-up (a resend shows both sends)", async () => {
    const items = JSON.parse((await audit("--appointment", "13", "--json")).stdout) as Entry[];
    assert.deepEqual(items.map((e) => e.action), ["followup_sent", "followup_sent"]);
    assert.ok(items.every((e) => e.appointment_id === 13));
  });

  test("--action, --company and --since (a local date) filter; an unknown action names the recorded ones", async () => {
    const responses = JSON.parse((await audit("--action", "followup_response", "--company", "lx", "--json", "--limit", "10000")).stdout) as Entry[];
    assert.equal(responses.length, await count(db, "action = 'followup_response' AND company_id = 'lx'"));
    assert.ok(responses.every((e) => e.action === "followup_response" && e.company_id === "lx"));
    // 01/11 starts at 03:00Z in São Paulo and at 00:00Z in Lisbon; entries without a company use São Paulo's.
    const since = JSON.parse((await audit("--since", "2026-11-01", "--json", "--limit", "10000")).stdout) as Entry[];
    const want = await count(
      db,
      `(company_id = 'sp' AND created_at >= '2026-11-01T03:00:00.000Z') OR (company_id = 'lx' AND created_at >= '2026-11-01T00:00:00.000Z')
       OR (company_id IS NULL AND created_at >= '2026-11-01T03:00:00.000Z')`,
    );
    assert.equal(since.length, want);
    assert.ok(since.some((e) => e.created_at === "2026-11-01T03:00:00.000Z"), "São Paulo's local midnight is in");
    assert.ok(!since.some((e) => e.created_at === "2026-11-01T02:59:59.999Z"), "a millisecond before is out");
    const none = await audit("--action", "followup_deleted");
    assert.equal(none.code, 0);
    assert.match(none.stdout, /no audit entries match \(actions recorded: .*followup_response.*followup_sent/);
  });

  test("table: one line per entry, payload compact and cut, phones masked, 80 columns, paging footer", async () => {
    const r = await audit("--limit", "20");
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.replace(/\n$/, "").split("\n");
    assert.equal(lines.length, 2 + 20 + 1);
    for (const line of lines) assert.ok(terminalWidth(line) <= 80, line);
    assert.match(r.stdout, /inbound_unmatched\s+—\s+—\s+phone=5511\*+77 body=Oi, \S*…/);
    assert.doesNotMatch(r.stdout, /5511988887777/);
    assert.match(lines[lines.length - 1]!, new RegExp(`^1–20 of ${await count(db)} entries, newest first; next page: --page 2$`));
    const bad = await audit("--appointment", "x");
    assert.equal(bad.code, 2);
  });
});
