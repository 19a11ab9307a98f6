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
