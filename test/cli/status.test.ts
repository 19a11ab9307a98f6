import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { fixedClock } from "../../src/clock.js";
import { saveCompany } from "../../src/services/company-service.js";
import { recordDaemonTick, registerDaemon } from "../../src/store/daemons.js";
import { pauseCompany } from "../../src/store/followups.js";
import { writeAudit } from "../../src/store/audit.js";
import { migratedDb, runCli, tempDb } from "../helpers/cli.js";

/** Issue 18: `secretaria status` reads daemons, backlog, sends, pauses and webhook/API from the database. */
const NOW = "2026-11-25T12:00:00Z";
const env = { SECRETARIA_NOW: NOW };
const ago = (s: number) => new Date(Date.parse(NOW) - s * 1000).toISOString();

describe("secretaria status (CLI)", () => {
  let db = "";
  before(async () => {
    db = tempDb();
    const store = await migratedDb(db);
    try {
      const clock = fixedClock(new Date(NOW));
      await saveCompany(store, { id: "sol", name: "Clínica Sol" }, clock);
      await saveCompany(store, { id: "lua", name: "Estúdio Lua" }, clock);
      await pauseCompany(store, { companyId: "lua", reason: "Whaticket answered 401: the token was revoked", now: ago(600) });
      const daemon = { schedule: "* * * * *", interval_s: 60, http_url: "http://127.0.0.1:8080", simulated_clock: 0 };
      await registerDaemon(store, { ...daemon, id: "aaaa1111-live", host: "vps-1", pid: 4242, started_at: ago(3600), webhook_on: 1, api_on: 0 });
      await recordDaemonTick(store, "aaaa1111-live", { at: ago(20), tickAt: ago(20), ok: true });
      await registerDaemon(store, { ...daemon, id: "bbbb2222-dead", host: "vps-2", pid: 99, started_at: ago(7200), webhook_on: 0, api_on: 1 });
      await recordDaemonTick(store, "bbbb2222-dead", { at: ago(3000), tickAt: ago(3000), ok: true });
      for (const at of [ago(100), ago(1000), ago(5000)]) await writeAudit(store, { action: "followup_sent", company_id: "sol", payload: {}, created_at: at });
    } finally {
      await store.close();
    }
    // Due now: ended 10:30Z, delay 60 min → due 11:30Z (08:30 in São Paulo); and one due tomorrow.
    for (const [id, start, end] of [["D-1", "2026-11-25T09:30Z", "2026-11-25T10:30Z"], ["D-2", "2026-11-26T14:00Z", "2026-11-26T15:00Z"]] as const) {
      const r = await runCli(["appointments", "add", "--company", "sol", "--external-id", id, "--client-name", "Ana", "--client-phone", "11999990000",
        "--start", start, "--end", end, "--allow-followup", "yes", "--db", db], { env });
      assert.equal(r.code, 0, r.stderr);
    }
  });

  test("--json: daemons with host, pid, last tick, age and alive; backlog; sends in the last hour; paused; webhook/API", async () => {
    const r = await runCli(["status", "--json", "--db", db], { env });
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as {
      daemons: { id: string; host: string; pid: number; tick_age_s: number; alive: boolean }[];
      backlog_due_now: number; sent_last_hour: number; paused: { id: string; reason: string }[]; webhook_on: boolean; api_on: boolean;
    };
    const byId = new Map(s.daemons.map((d) => [d.id, d]));
    assert.deepEqual(
      [byId.get("aaaa1111-live")?.host, byId.get("aaaa1111-live")?.pid, byId.get("aaaa1111-live")?.tick_age_s, byId.get("aaaa1111-live")?.alive],
      ["vps-1", 4242, 20, true],
    );
    assert.equal(byId.get("bbbb2222-dead")?.alive, false);
    assert.equal(s.backlog_due_now, 1);
    assert.equal(s.sent_last_hour, 2);
    assert.deepEqual(s.paused.map((p) => [p.id, p.reason]), [["lua", "Whaticket answered 401: the token was revoked"]]);
    // The webhook is served by the live daemon; the API only by the dead one.
    assert.deepEqual([s.webhook_on, s.api_on], [true, false]);
  });

  test("table: one line per daemon, the counts, the paused company and why", async () => {
    const r = await runCli(["status", "--db", db], { env });
    assert.equal(r.code, 0, r.stderr);
    const cells = (line: string) => line.split("│").map((c) => c.trim()).filter(Boolean);
    const lines = r.stdout.split("\n").map(cells);
    assert.deepEqual(lines.find((l) => l[0] === "aaaa1111"), ["aaaa1111", "vps-1", "4242", "2026-11-25 11:59:40Z", "20 s", "yes", "on", "off"]);
    assert.deepEqual(lines.find((l) => l[0] === "bbbb2222")?.slice(4), ["50 min", "no", "off", "on"]);
    assert.match(r.stdout, /backlog due now: 1 follow-up\n/);
    assert.match(r.stdout, /sent in the last hour: 2/);
    assert.match(r.stdout, /paused: lua since .*: Whaticket answered 401/);
    assert.match(r.stdout, /webhook: on; API: off/);
  });

  test("no daemon: says so and how to start one", async () => {
    const empty = tempDb();
    assert.equal((await runCli(["migrate", "--db", empty])).code, 0);
    const r = await runCli(["status", "--db", empty], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /daemons: none seen in the last 24 h \(start one with `secretaria daemon`\)/);
    assert.match(r.stdout, /backlog due now: 0 follow-ups/);
  });
});
