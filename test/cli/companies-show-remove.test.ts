import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { pauseCompany } from "../../src/store/followups.js";
import { migratedDb, runCli, tempDb } from "../helpers/cli.js";

/** Issue 18: `companies show`, `companies remove` (refuses with pending follow-ups unless --force; audited), paused in the list. */
const env = { SECRETARIA_NOW: "2026-11-25T12:00:00Z" };

describe("companies show, remove and the paused column (CLI)", () => {
  let db = "";
  const cli = (...args: string[]) => runCli([...args, "--db", db], { env });
  const add = (company: string, id: string) =>
    cli("appointments", "add", "--company", company, "--external-id", id, "--client-name", "Ana", "--client-phone", "11999990000",
      "--start", "2026-11-25T14:00", "--end", "2026-11-25T15:00", "--allow-followup", "yes");
  before(async () => {
    db = tempDb();
    assert.equal((await runCli(["migrate", "--db", db])).code, 0);
    for (const c of ["sol", "lua", "mar"]) assert.equal((await cli("companies", "add", "--id", c, "--name", `Clínica ${c}`, "--whaticket-token", "secret-token-value")).code, 0);
    assert.equal((await add("sol", "S-1")).code, 0);
    assert.equal((await add("lua", "L-1")).code, 0);
    assert.equal((await cli("appointments", "cancel", "L-1", "--company", "lua")).code, 0);
    const store = await migratedDb(db);
    await pauseCompany(store, { companyId: "mar", reason: "Whaticket answered 401", now: "2026-11-25T11:00:00.000Z" });
    await store.close();
  });

  test("list shows which companies are paused and why", async () => {
    const r = await cli("companies", "list");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /mar .*paused: Whaticket answered 401/);
    // No Whaticket URL (neither --whaticket-url nor WHATICKET_URL): it cannot send, and says so.
    assert.match(r.stdout, /sol .* not configured/);
    assert.match(r.stdout, /1 paused: nothing is sent for it/);
  });

  test("show: settings without secrets, pause, pending follow-ups", async () => {
    const r = await cli("companies", "show", "mar");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^company mar \(Clínica mar\), America\/Sao_Paulo/);
    assert.match(r.stdout, /PAUSED since 2026-11-25T11:00:00.000Z: Whaticket answered 401/);
    assert.doesNotMatch(r.stdout, /secret-token-value/);
    const sol = JSON.parse((await cli("companies", "show", "sol", "--json")).stdout) as Record<string, unknown>;
    assert.equal(sol.pending_followups, 1);
    assert.equal(sol.whaticket_token, undefined);
    const none = await cli("companies", "show", "nope");
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^secretaria: unknown company "nope"/);
  });

  test("remove: refused while a follow-up is pending, then --force; without pending it just goes; audited", async () => {
    const refused = await cli("companies", "remove", "sol");
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^secretaria: company sol has 1 follow-up still to be sent: .*--force/);
    assert.equal((await cli("companies", "show", "sol")).code, 0, "still there");
    const forced = await cli("companies", "remove", "sol", "--force");
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /removed company sol and its 1 appointment, 1 pending follow-up dropped/);
    const lua = await cli("companies", "remove", "lua");
    assert.equal(lua.code, 0, lua.stderr);
    const left = JSON.parse((await cli("companies", "list", "--json")).stdout) as { id: string }[];
    assert.deepEqual(left.map((c) => c.id), ["mar"]);
    const apps = JSON.parse((await cli("appointments", "list", "--json")).stdout) as unknown[];
    assert.equal(apps.length, 0);
    const audit = JSON.parse((await cli("audit", "list", "--action", "company_removed", "--json")).stdout) as { company_id: string; payload: unknown }[];
    assert.deepEqual(audit.map((a) => a.company_id).sort(), ["lua", "sol"]);
  });
});
