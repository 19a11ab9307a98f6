import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { terminalSafeJson } from "../../src/commands/context.js";
import { createLogger } from "../../src/logger.js";
import { csvCell } from "../../src/render/list-output.js";
import { renderTable } from "../../src/render/table.js";
import { renderFittedTable } from "../../src/render/fitted-table.js";
import { saveCompany } from "../../src/services/company-service.js";
import { writeAudit } from "../../src/store/audit.js";
import { migratedDb, runCli, tempDb } from "../helpers/cli.js";

/**
 * Issue 13 point 8: customer text (names, replies, feedback) never reaches the operator's terminal,
 * a log line or a CSV with its escape sequences, bidi overrides or control characters.
 */

/** OSC retitle, clear screen, a C1 CSI, a right-to-left override, NUL-free (argv and PostgreSQL cannot carry NUL). */
const HOSTILE = "Ana\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202eSouza\u0008\u007f";
const FEEDBACK = "sala fria\u001b]8;;http://evil\u0007link\u001b]8;;\u0007\u2066ok\u2069";
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;
const NOW = "2026-11-30T20:00:00.000Z";

function assertSafe(label: string, text: string): void {
  const m = UNSAFE.exec(text);
  assert.equal(m, null, `${label}: U+${m?.[0].charCodeAt(0).toString(16).padStart(4, "0")} at ${m?.index}: ${JSON.stringify(text.slice(Math.max(0, (m?.index ?? 0) - 20), (m?.index ?? 0) + 20))}`);
}

describe("customer text on the operator's screen, in CSV and in logs", () => {
  let db: string;
  let id: number;
  before(async () => {
    db = tempDb();
    const d = await migratedDb(db);
    try {
      await saveCompany(d, { id: "clinica", name: "Clínica Sol", timezone: "America/Sao_Paulo" }, () => new Date(NOW));
      const row = await d.get<{ id: number }>(
        `INSERT INTO appointments (company_id, external_id, client_name, client_phone, start_time, end_time, status, allow_followup,
           followup_status, followup_sent_at, followup_response, followup_responded_at, created_at, updated_at)
         VALUES ('clinica', ?, ?, '5511999990000', '2026-11-30T17:00:00.000Z', '2026-11-30T18:00:00.000Z', 'booked', 1,
           'feedback', '2026-11-30T19:00:00.000Z', 'feedback', '2026-11-30T19:30:00.000Z', ?, ?) RETURNING id`,
        ["A-\u001b[31m1", HOSTILE, NOW, NOW],
      );
      id = row!.id;
      await d.run("INSERT INTO feedback_events (appointment_id, feedback_type, text, created_at) VALUES (?, 'followup_text', ?, ?)", [id, FEEDBACK, NOW]);
      await d.run("INSERT INTO inbound_messages (message_id, phone, body, received_at, appointment_id, intent, outcome) VALUES ('M1', '5511999990000', ?, ?, ?, 'followup_feedback', 'feedback')", [FEEDBACK, NOW, id]);
      await d.run("INSERT INTO do_not_contact (company_id, phone, since, message) VALUES ('clinica', '5511988887777', ?, ?)", [NOW, `PARAR ${FEEDBACK}`]);
      await writeAudit(d, { action: "followup_response", appointment_id: id, company_id: "clinica", payload: { response: "feedback", feedback: FEEDBACK }, created_at: NOW });
    } finally {
      await d.close();
    }
  });

  const env = { SECRETARIA_NOW: NOW, COLUMNS: "200" };
  const cases: [string, string[]][] = [
    ["appointments list", ["appointments", "list"]],
    ["appointments list --format csv", ["appointments", "list", "--format", "csv"]],
    ["appointments list --json", ["appointments", "list", "--json"]],
    ["appointments show", ["appointments", "show", "1"]],
    ["followups list", ["followups", "list", "--status", "all"]],
    ["followups list --format csv", ["followups", "list", "--status", "all", "--format", "csv"]],
    ["followups list --all --json", ["followups", "list", "--status", "all", "--all", "--json"]],
    ["followups show", ["followups", "show", "1"]],
    ["replies list", ["replies", "list"]],
    ["audit list", ["audit", "list"]],
    ["audit list --format csv", ["audit", "list", "--format", "csv"]],
    ["audit list --json", ["audit", "list", "--json"]],
    ["customers export", ["customers", "export", "--phone", "5511999990000"]],
    ["contacts list", ["contacts", "list"]],
    ["contacts show", ["contacts", "show", "--company", "clinica", "--phone", "5511988887777"]],
    ["stats", ["stats"]],
  ];
  for (const [label, args] of cases) {
    test(`${label}: no escape sequences, controls or bidi overrides; the name still readable`, async () => {
      const real = args.map((a) => (a === "1" ? String(id) : a));
      const r = await runCli([...real, "--db", db], { env });
      assert.equal(r.code, 0, `${label}: ${r.stderr}`);
      assertSafe(`${label} stdout`, r.stdout);
      assertSafe(`${label} stderr`, r.stderr);
      if (!/^(audit|replies|contacts|stats)/.test(label)) assert.match(r.stdout, /Ana/, label);
      if (label.includes("--json") || label.startsWith("customers")) JSON.parse(r.stdout); // still valid JSON
    });
  }

  test("a user error quoting a typed value keeps its controls out", async () => {
    const r = await runCli(["appointments", "add", "--db", db, "--company", "clinica", "--external-id", "X-1", "--client-name", "x",
      "--client-phone", "11 9\u009b2J\u202e", "--start", "2026-12-01T10:00", "--end", "2026-12-01T11:00", "--allow-followup", "yes"], { env });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^secretaria: /);
    assertSafe("stderr", r.stderr);
  });
});

describe("the sinks themselves", () => {
  test("log lines (text and JSON) carry no controls, stay one line, JSON stays parseable", () => {
    for (const format of ["text", "json"] as const) {
      const lines: string[] = [];
      const log = createLogger({ format, write: (l) => lines.push(l), now: () => new Date(NOW) });
      log.warn("bot_reply_failed", { error: "HTTP 400 \u001b]0;x\u0007\u202ebad\u009b", client: "\u001b[2JAna", nested: { text: "\u202eabc\u0085" } });
      assert.equal(lines.length, 1);
      assertSafe(format, lines[0]!);
      assert.ok(!lines[0]!.includes("\n"));
      if (format === "json") assert.equal((JSON.parse(lines[0]!) as { client: string }).client, "Ana");
    }
  });

  test("tables, CSV cells and printed JSON", () => {
    assertSafe("renderTable", renderTable(["name"], [[HOSTILE]]));
    assertSafe("renderFittedTable", renderFittedTable([{ header: "name", flex: 1 }], [[HOSTILE]], 40));
    assert.equal(csvCell(HOSTILE), "AnaSouza");
    assert.equal(csvCell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
    assert.equal(csvCell(-3), "-3", "numbers are not formulas");
    const json = terminalSafeJson(JSON.stringify({ name: HOSTILE }));
    assertSafe("json", json);
    assert.equal((JSON.parse(json) as { name: string }).name, HOSTILE, "the same value for a parser");
  });
});
