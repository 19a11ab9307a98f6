import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { getCompany } from "../../src/store/companies.js";
import { migratedDb, runCli, tempDb, tempDir } from "../helpers/cli.js";

/** `companies add`: Whaticket URLs with credentials refused, plain http warned, tokens by file or stdin. */

const T = { timeout: 60_000 };
const ENV = { WHATICKET_URL: "", WHATICKET_TOKEN: "" };

describe("companies add: Whaticket URL and token", () => {
  test("a URL with user:pass@ is refused in one line and not saved; http:// to another host warns; loopback does not", T, async (t) => {
    const path = tempDb();
    const db = await migratedDb(path);
    t.after(() => db.close());
    const add = (...args: string[]) => runCli(["--db", path, "companies", "add", "--id", "sol", "--name", "Sol", "--whaticket-token", "t0k", ...args], { env: ENV });
    let r = await add("--whaticket-url", "https://admin:hunter2@wt.example.com");
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^secretaria: --whaticket-url must not contain a user or password/);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    assert.ok(!r.stderr.includes("hunter2"));
    assert.ok(!(await getCompany(db, "sol")));
    r = await add("--whaticket-url", "http://wt.example.com");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^secretaria: warning: --whaticket-url http:\/\/wt\.example\.com is plain http/m);
    r = await add("--whaticket-url", "http://127.0.0.1:8080");
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!/plain http/.test(r.stderr), r.stderr);
  });

  test("--whaticket-token-file PATH and --whaticket-token - (stdin) store the token; a missing file is one line", T, async (t) => {
    const path = tempDb();
    const db = await migratedDb(path);
    t.after(() => db.close());
    const file = join(tempDir(), "wt-token");
    writeFileSync(file, "from-file-SECRET\n", { mode: 0o600 });
    let r = await runCli(["--db", path, "companies", "add", "--id", "sol", "--name", "Sol", "--whaticket-url", "https://wt.example.com", "--whaticket-token-file", file], { env: ENV });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes("from-file-SECRET"));
    assert.equal((await getCompany(db, "sol"))?.whaticket_token, "from-file-SECRET");
    r = await runCli(["--db", path, "companies", "add", "--id", "sol", "--whaticket-token", "-"], { env: ENV, input: "from-stdin-SECRET\n" });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await getCompany(db, "sol"))?.whaticket_token, "from-stdin-SECRET");
    r = await runCli(["--db", path, "companies", "add", "--id", "sol", "--whaticket-token-file", join(tempDir(), "nope")], { env: ENV });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^secretaria: cannot read --whaticket-token-file .*nope: ENOENT\n$/);
  });
});
