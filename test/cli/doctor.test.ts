import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { chmodSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { swallowedBusinessWindows, unknownPlaceholders, tokenProblems } from "../../src/domain/setup-checks.js";
import { migratedDb, ON_POSTGRES, runCli, SQLITE_ONLY, tempDb } from "../helpers/cli.js";

/** Issue 18: `secretaria doctor` names each problem with its fix, exit 1; and the template check at `companies add`. */
// A good setup encrypts its stored tokens (issue 13 point 4): `companies add` seals them under this key.
const GOOD = { SECRETARIA_NOW: "", WHATICKET_URL: "", WHATICKET_TOKEN: "", SECRETARIA_API_TOKEN: "", SECRETARIA_WEBHOOK_TOKEN: "", SECRETARIA_SECRET_KEY: Buffer.alloc(32, 3).toString("base64") };

async function dbWith(...companies: string[][]): Promise<string> {
  const db = tempDb();
  assert.equal((await runCli(["migrate", "--db", db])).code, 0);
  for (const args of companies) {
    const r = await runCli(["companies", "add", ...args, "--db", db], { env: GOOD });
    assert.equal(r.code, 0, r.stderr);
  }
  if (!ON_POSTGRES) chmodSync(db, 0o600);
  return db;
}

const WT = ["--whaticket-url", "http://127.0.0.1:9", "--whaticket-token", "t0ken-of-the-clinic"];

describe("doctor: the pure checks", () => {
  test("placeholders: {nome} and {quando} only", () => {
    assert.deepEqual(unknownPlaceholders("Olá {name}, como foi {quando}? {nome} {Nome} { nome_completo }"), ["{name}", "{ nome_completo }"]);
  });
  test("quiet hours that cover a business window; ones that leave time do not", () => {
    assert.deepEqual(swallowedBusinessWindows("mon-fri 09:00-18:00; sat 09:00-12:00", "08:00-20:00"), ["mon,tue,wed,thu,fri 09:00-18:00", "sat 09:00-12:00"]);
    assert.deepEqual(swallowedBusinessWindows("mon-fri 09:00-18:00", "20:00-08:00"), []);
    assert.deepEqual(swallowedBusinessWindows("mon-fri 09:00-18:00", "17:00-08:00"), []);
    assert.deepEqual(swallowedBusinessWindows("sat 22:00-23:00", "20:00-08:00"), ["sat 22:00-23:00"]);
  });
  test("tokens: short, or API equal to webhook", () => {
    assert.equal(tokenProblems({ SECRETARIA_API_TOKEN: "a".repeat(24), SECRETARIA_WEBHOOK_TOKEN: "b".repeat(30) }).length, 0);
    assert.match(tokenProblems({ SECRETARIA_API_TOKEN: "short" })[0]?.problem ?? "", /SECRETARIA_API_TOKEN has 5 characters/);
    assert.match(tokenProblems({ SECRETARIA_API_TOKEN: "x".repeat(30), SECRETARIA_WEBHOOK_TOKEN: "x".repeat(30) })[0]?.problem ?? "", /equals SECRETARIA_WEBHOOK_TOKEN/);
  });
});

describe("secretaria doctor (CLI)", () => {
  test("a good setup: exit 0", async () => {
    const db = await dbWith(["--id", "sol", "--name", "Sol", ...WT]);
    const r = await runCli(["doctor", "--db", db], { env: { ...GOOD, SECRETARIA_API_TOKEN: "a".repeat(32), SECRETARIA_WEBHOOK_TOKEN: "b".repeat(32) } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /no problems found/);
  });

  test("a broken company, a bad template, a frozen clock, equal tokens, swallowing quiet hours: each with its fix, exit 1", async () => {
    const db = await dbWith(["--id", "sol", "--name", "Sol", ...WT], ["--id", "lua", "--name", "Lua"], ["--id", "mar", "--name", "Mar", ...WT, "--quiet-hours", "08:00-20:00"]);
    // A template from before the check at `companies add`, written as it was stored then.
    const store = await migratedDb(db);
    await store.run("UPDATE companies SET followup_template = ? WHERE id = ?", ["Olá {name}! Como foi {quando}?", "sol"]);
    await store.close();
    const token = "same-token-for-both-of-them-0123";
    const r = await runCli(["doctor", "--json", "--db", db], { env: { ...GOOD, SECRETARIA_NOW: "2026-11-25T12:00:00Z", SECRETARIA_API_TOKEN: token, SECRETARIA_WEBHOOK_TOKEN: token } });
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout) as { ok: boolean; problems: { check: string; company?: string; problem: string; fix: string }[] };
    assert.equal(out.ok, false);
    const by = (check: string) => out.problems.filter((p) => p.check === check);
    assert.deepEqual(by("gateway").map((p) => p.company), ["lua"]);
    assert.match(by("gateway")[0]?.fix ?? "", /secretaria companies add --id lua --whaticket-url URL --whaticket-token TOKEN/);
    assert.match(by("template")[0]?.problem ?? "", /company sol: the template uses \{name\}/);
    assert.match(by("clock")[0]?.fix ?? "", /unset SECRETARIA_NOW/);
    assert.match(by("token")[0]?.problem ?? "", /SECRETARIA_API_TOKEN equals SECRETARIA_WEBHOOK_TOKEN/);
    assert.equal(by("quiet_hours")[0]?.company, "mar");
    assert.match(r.stderr, /^secretaria: doctor found 5 problems/);
    const text = await runCli(["doctor", "--db", db], { env: { ...GOOD, SECRETARIA_NOW: "2026-11-25T12:00:00Z" } });
    assert.equal(text.code, 1);
    assert.match(text.stdout, /✗ company lua has no Whaticket URL and token\n {2}fix: set WHATICKET_URL/);
  });

  test("database file readable by others: chmod 600 is the fix", { skip: SQLITE_ONLY }, async () => {
    const db = await dbWith(["--id", "sol", "--name", "Sol", ...WT]);
    chmodSync(db, 0o644);
    const r = await runCli(["doctor", "--db", db], { env: GOOD });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /has mode 0644.*\n {2}fix: chmod 600 /);
  });

  test("--online: an unreachable Whaticket is a problem; a server answering any status is not", async () => {
    const server: Server = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      // A port nothing listens on: one a server just let go.
      const gone = createServer();
      await new Promise<void>((ok) => gone.listen(0, "127.0.0.1", ok));
      const closed = `http://127.0.0.1:${(gone.address() as AddressInfo).port}`;
      await new Promise((ok) => gone.close(ok));
      const db = await dbWith(["--id", "up", "--name", "Up", "--whaticket-url", url, "--whaticket-token", "t"], ["--id", "down", "--name", "Down", "--whaticket-url", closed, "--whaticket-token", "t"]);
      const r = await runCli(["doctor", "--online", "--json", "--db", db], { env: GOOD });
      assert.equal(r.code, 1);
      const out = JSON.parse(r.stdout) as { problems: { check: string; company?: string; problem: string }[] };
      assert.deepEqual(out.problems.map((p) => [p.check, p.company]), [["whaticket", "down"]]);
      assert.match(out.problems[0]?.problem ?? "", /Whaticket at http:\/\/127\.0\.0\.1:\d+ \(down\) is unreachable: ECONNREFUSED/);
    } finally {
      server.close();
    }
  });

  test("companies add refuses a template with an unknown placeholder", async () => {
    const db = await dbWith();
    const r = await runCli(["companies", "add", "--id", "x", "--name", "X", "--template", "Oi {name}!", "--db", db], { env: GOOD });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--template: the template uses \{name\}, which would go out to clients as written: use only \{nome\} and \{quando\}/);
  });
});
