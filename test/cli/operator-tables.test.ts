import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { migratedDb, runCli, tempDb } from "../helpers/cli.js";

/** Issue 18: the operator's tables mask phones; --show-phones shows them whole, only when asked. */
describe("--show-phones on the lists that mask phones", () => {
  let db = "";
  before(async () => {
    db = tempDb();
    const d = await migratedDb(db);
    try {
      await d.run("INSERT INTO companies (id, name, timezone, created_at, updated_at) VALUES ('sol', 'Sol', 'America/Sao_Paulo', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')");
      await d.run("INSERT INTO inbound_messages (message_id, phone, body, received_at, outcome) VALUES ('m1', '5511987654321', 'oi', '2026-11-25T12:00:00.000Z', 'unmatched')");
      await d.run("INSERT INTO audit_log (action, appointment_id, company_id, payload, created_at) VALUES ('consent_revoked', NULL, 'sol', ?, '2026-11-25T12:00:00.000Z')",
        [JSON.stringify({ phone: "5511987654321", reason: "client_request" })]);
    } finally {
      await d.close();
    }
  });
  const cli = (...args: string[]) => runCli([...args, "--db", db], { env: { SECRETARIA_NOW: "2026-11-25T13:00:00Z", COLUMNS: "" } });

  for (const list of [["replies", "list"], ["audit", "list"]]) {
    test(`${list.join(" ")}: masked by default, whole with --show-phones`, async () => {
      const masked = await cli(...list);
      assert.equal(masked.code, 0, masked.stderr);
      assert.doesNotMatch(masked.stdout, /5511987654321/);
      assert.match(masked.stdout, /5511[*…]+21/);
      const shown = await cli(...list, "--show-phones");
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /5511987654321/);
    });
  }
});

/** Issue 18: times carry their offset from UTC when companies in different zones share a table; unchanged otherwise. */
describe("times in tables that mix time zones", () => {
  let db = "";
  before(async () => {
    db = tempDb();
    const d = await migratedDb(db);
    try {
      const co = "INSERT INTO companies (id, name, timezone, created_at, updated_at) VALUES (?, ?, ?, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')";
      await d.run(co, ["sol", "Sol", "America/Sao_Paulo"]);
      await d.run(co, ["rio", "Rio Negro", "America/Manaus"]);
      const ap = `INSERT INTO appointments (company_id, external_id, client_name, client_phone, start_time, end_time, status, allow_followup,
        followup_status, created_at, updated_at) VALUES (?, ?, 'Ana', '5511999990000', '2026-11-25T17:00:00.000Z', '2026-11-25T18:00:00.000Z',
        'booked', 1, 'scheduled', '2026-11-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z')`;
      await d.run(ap, ["sol", "S-1"]);
      await d.run(ap, ["rio", "R-1"]);
      const au = "INSERT INTO audit_log (action, appointment_id, company_id, payload, created_at) VALUES ('appointment_imported', NULL, ?, '{}', '2026-11-25T17:00:00.000Z')";
      await d.run(au, ["sol"]);
      await d.run(au, ["rio"]);
      const ib = "INSERT INTO inbound_messages (message_id, phone, body, received_at, appointment_id, intent, outcome) VALUES (?, '5511999990000', 'sim', '2026-11-25T17:00:00.000Z', ?, 'followup_positive', 'processed')";
      const ids = (await d.all<{ id: number; company_id: string }>("SELECT id, company_id FROM appointments ORDER BY id")).map((r) => [r.company_id, r.id] as const);
      for (const [company, id] of ids) await d.run(ib, [`m-${company}`, id]);
    } finally {
      await d.close();
    }
  });
  const cli = (...args: string[]) => runCli([...args, "--db", db], { env: { SECRETARIA_NOW: "2026-11-25T13:00:00Z", COLUMNS: "" } });

  test("appointments, followups, audit and replies list: 14:00-3 beside 13:00-4; one company alone: no offset", async () => {
    const cases: [string[], RegExp, RegExp, RegExp][] = [
      [["appointments", "list"], /2026-11-25 14:00-3/, /2026-11-25 13:00-4/, /2026-11-25 14:00 /],
      [["followups", "list"], /25\/11 15:00-3/, /25\/11 14:00-4/, /25\/11 15:00 /],
      [["audit", "list"], /25\/11 14:00-3/, /25\/11 13:00-4/, /25\/11 14:00 /],
      [["replies", "list"], /2026-11-25 14:00-3/, /2026-11-25 13:00-4/, /2026-11-25 14:00 /],
    ];
    for (const [list, sol, rio, alone] of cases) {
      const mixed = await cli(...list);
      assert.equal(mixed.code, 0, mixed.stderr);
      assert.match(mixed.stdout, sol, list.join(" "));
      assert.match(mixed.stdout, rio, list.join(" "));
      const one = await cli(...list, "--company", "sol");
      assert.match(one.stdout, alone, list.join(" "));
      assert.doesNotMatch(one.stdout, /\d\d:\d\d[-+]\d/, list.join(" "));
    }
  });
});
