import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { runCli, tempDb } from "../helpers/cli.js";

/** Issue 18: `appointments cancel <external-id> --company C` and `appointments show <id|external-id>`. */
const env = { SECRETARIA_NOW: "2026-11-25T12:00:00Z" }; // 09:00 in São Paulo

describe("appointments cancel and show (CLI)", () => {
  let db = "";
  const cli = (...args: string[]) => runCli([...args, "--db", db], { env });
  const add = (company: string, id: string, start = "2026-11-25T14:00", end = "2026-11-25T15:00") =>
    cli("appointments", "add", "--company", company, "--external-id", id, "--client-name", "Ana Souza",
      "--client-phone", "+55 11 99999-0000", "--start", start, "--end", end, "--allow-followup", "yes");
  before(async () => {
    db = tempDb();
    assert.equal((await runCli(["migrate", "--db", db])).code, 0);
    for (const c of ["sol", "lua"]) assert.equal((await cli("companies", "add", "--id", c, "--name", c)).code, 0);
    for (const [c, id] of [["sol", "A-1"], ["sol", "A-2"], ["lua", "A-1"]] as const) {
      const r = await add(c, id);
      assert.equal(r.code, 0, r.stderr);
    }
  });

  test("cancel unschedules the pending follow-up, is audited, and is safe to repeat", async () => {
    const r = await cli("appointments", "cancel", "A-2", "--company", "sol");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^cancelled appointment \d+ \(A-2\) for Ana Souza: its follow-up is unscheduled/);
    const shown = JSON.parse((await cli("appointments", "show", "A-2", "--company", "sol", "--json")).stdout) as Record<string, unknown>;
    assert.deepEqual([shown.status, shown.followup_status, shown.followup_skip_reason, shown.followup_next_scheduled], ["cancelled", "skipped", "cancelled", null]);
    const audit = JSON.parse((await cli("audit", "list", "--appointment", String(shown.id), "--json")).stdout) as { action: string; payload: unknown }[];
    const entry = audit.find((a) => a.action === "appointment_cancelled");
    assert.ok(entry, JSON.stringify(audit));
    const again = await cli("appointments", "cancel", "A-2", "--company", "sol");
    assert.equal(again.code, 0);
    assert.match(again.stdout, /already cancelled/);
    // The other company's A-1 and this company's A-1 are untouched.
    const lua = JSON.parse((await cli("appointments", "show", "A-1", "--company", "lua", "--json")).stdout) as Record<string, unknown>;
    assert.equal(lua.followup_status, "scheduled");
  });

  test("cancel: without --company a usage error; an unknown id one line naming the fix", async () => {
    const noCompany = await cli("appointments", "cancel", "A-1");
    assert.equal(noCompany.code, 2);
    assert.match(noCompany.stderr, /--company is required/);
    const unknown = await cli("appointments", "cancel", "Z-9", "--company", "sol");
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^secretaria: company sol has no appointment "Z-9"/);
    assert.equal(unknown.stderr.trimEnd().split("\n").length, 1);
  });

  test("show by external id (ambiguous across companies asks for --company) and by row id; phone masked unless --show-phones", async () => {
    const amb = await cli("appointments", "show", "A-1");
    assert.equal(amb.code, 2);
    assert.match(amb.stderr, /external id of 2 companies \(lua, sol\): pass --company/);
    const r = await cli("appointments", "show", "A-1", "--company", "sol");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /client {6}Ana Souza, 5511\*+00/);
    assert.match(r.stdout, /time {8}2026-11-25 14:00 – 15:00 \(America\/Sao_Paulo\)/);
    assert.match(r.stdout, /follow-up {3}follow-up scheduled for 2026-11-25 16:00/);
    const id = /appointment {1}(\d+)/.exec(r.stdout)?.[1] ?? "";
    const byId = await cli("appointments", "show", id, "--show-phones");
    assert.match(byId.stdout, /Ana Souza, 5511999990000/);
    const none = await cli("appointments", "show", "nope");
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^secretaria: no appointment "nope"/);
  });
});
