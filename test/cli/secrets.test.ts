import { test, describe, before, after, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FakeWhaticket, startFakeWhaticket } from "../../src/gateway/fake-whaticket.js";
import { getCompany } from "../../src/store/companies.js";
import type { Store } from "../../src/store/store.js";
import { migratedDb, runCli, tempDb, tempDir, type CliResult } from "../helpers/cli.js";
import { phoneFor, seedDue, statusCounts, T0, TOKEN } from "../helpers/daemon.js";

/**
 * Issue 13 point 4: gateway secrets encrypted at rest under SECRETARIA_SECRET_KEY (AES-256-GCM),
 * through the built CLI on this run's engine: what is stored, what the daemon sends, the errors
 * without the key or with another one, rotation, a value moved to another company, and that no
 * command ever prints a secret.
 */

const T = { timeout: 120_000 };
const KEY = Buffer.alloc(32, 7).toString("base64");
const OTHER_KEY = Buffer.alloc(32, 9).toString("hex");
const EVO_KEY = "evo-KEY-5b0e-NEVER-LOG-ME";
const NOW = T0.toISOString();

describe("secretaria secrets: tokens encrypted at rest (CLI)", () => {
  let fake: FakeWhaticket;
  let path: string;
  let db: Store;
  /** Every command's output, checked for the secrets at the end of each test. */
  let outputs: string[];

  before(async () => {
    fake = await startFakeWhaticket({ token: TOKEN });
  });
  after(() => fake.stop());
  beforeEach(async () => {
    fake.reset();
    path = tempDb();
    db = await migratedDb(path);
    outputs = [];
  });
  afterEach(async () => {
    await db.close();
    for (const out of outputs) {
      assert.ok(!out.includes(TOKEN), `a token leaked: ${out}`);
      assert.ok(!out.includes(EVO_KEY), `a key leaked: ${out}`);
      assert.ok(!out.includes(KEY) && !out.includes(OTHER_KEY), "the secret key leaked");
    }
  });

  async function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
    const r = await runCli(["--db", path, ...args], { env: { SECRETARIA_NOW: NOW, ...env } });
    outputs.push(r.stdout + r.stderr);
    return r;
  }
  const withKey = (key = KEY) => ({ SECRETARIA_SECRET_KEY: key });
  const addClinic = (id: string, env: Record<string, string>) =>
    cli(["companies", "add", "--id", id, "--name", `Clínica ${id}`, "--whaticket-url", fake.url, "--whaticket-token", TOKEN, "--rate-limit", "0"], env);
  const rawToken = async (id: string) => (await db.get<{ t: string | null }>("SELECT whaticket_token AS t FROM companies WHERE id = ?", [id]))!.t;

  test("with a key: stored sealed (not the token), no warning; the daemon sends the real token as Bearer", T, async () => {
    const add = await addClinic("sol", withKey());
    assert.equal(add.code, 0, add.stderr);
    assert.doesNotMatch(add.stderr, /unencrypted/);
    const stored = await rawToken("sol");
    assert.match(stored ?? "", /^enc:v1:[0-9a-f]{8}:[A-Za-z0-9+/]+=*$/);
    assert.ok(!stored!.includes(TOKEN));
    // Evolution's key too (migration 007's secrets).
    const evo = await cli(["companies", "add", "--id", "evo", "--name", "Evo", "--gateway", "evolution", "--evolution-url", "http://127.0.0.1:9", "--evolution-api-key", EVO_KEY, "--evolution-instance", "evo1"], withKey());
    assert.equal(evo.code, 0, evo.stderr);
    const evoStored = (await db.get<{ k: string }>("SELECT evolution_api_key AS k FROM companies WHERE id = 'evo'"))!.k;
    assert.match(evoStored, /^enc:v1:/);

    await seedDue(db, { company: "sol", n: 3 });
    const r = await cli(["daemon", "--once", "--rate-limit", "0"], withKey());
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fake.received.length, 3);
    assert.ok(fake.received.every((m) => m.token === TOKEN), "the Bearer header carries the real token");
    assert.deepEqual(await statusCounts(db), { sent: 3 });
    // Shown as set, never the value.
    const list = await cli(["companies", "list", "--json"], withKey());
    assert.equal(list.code, 0, list.stderr);
    assert.ok(!list.stdout.includes("enc:v1"), "not even the sealed form is printed");
  });

  test("without the key: the company is paused with the reason (the others send); resend says it in one line", T, async () => {
    assert.equal((await addClinic("sol", withKey())).code, 0);
    const plain = await addClinic("lua", {}); // no key: stored in clear, with one warning
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stderr.match(/warning: tokens are stored unencrypted/g)?.length, 1, plain.stderr);
    assert.match(plain.stderr, /secretaria secrets keygen/);
    assert.equal(await rawToken("lua"), TOKEN);
    const ids = await seedDue(db, { company: "sol", n: 2 });
    await seedDue(db, { company: "lua", n: 2, from: 10 });

    const r = await cli(["daemon", "--once", "--rate-limit", "0"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /company_paused company=sol reason="company sol's Whaticket token is encrypted but SECRETARIA_SECRET_KEY is not set: set it to the key used when it was stored \(key id [0-9a-f]{8}\)"/);
    assert.deepEqual(fake.received.map((m) => m.number).sort(), [phoneFor(10), phoneFor(11)]);
    assert.match((await getCompany(db, "sol"))!.paused_reason ?? "", /is encrypted but SECRETARIA_SECRET_KEY is not set/);

    // With the key back, a restart lifts the pause and sends.
    const back = await cli(["daemon", "--once", "--rate-limit", "0"], withKey());
    assert.equal(back.code, 0, back.stderr);
    assert.equal((await getCompany(db, "sol"))!.paused_reason, null);
    assert.deepEqual(await statusCounts(db), { sent: 4 });

    const resend = await cli(["followups", "resend", String(ids[0]), "--yes", "--force"]);
    assert.equal(resend.code, 1);
    assert.match(resend.stderr, /^secretaria: cannot resend follow-up \d+: company sol's Whaticket token is encrypted but SECRETARIA_SECRET_KEY is not set: set it to the key used when it was stored \(key id [0-9a-f]{8}\)\n$/);
  });

  test("with another key: 'encrypted with another key (id …)'; the daemon pauses that company instead of crashing", T, async () => {
    assert.equal((await addClinic("sol", withKey())).code, 0);
    await seedDue(db, { company: "sol", n: 1 });
    const r = await cli(["daemon", "--once", "--rate-limit", "0"], withKey(OTHER_KEY));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /company sol's Whaticket token was encrypted with another key \(id ([0-9a-f]{8}); SECRETARIA_SECRET_KEY has id (?!\1)[0-9a-f]{8}\): set SECRETARIA_SECRET_KEY to that key, or re-enter the Whaticket token with secretaria companies add --id sol --whaticket-token/);
    assert.equal(fake.received.length, 0);
    const doctor = await cli(["doctor"], withKey(OTHER_KEY));
    assert.equal(doctor.code, 1);
    assert.match(doctor.stdout, /✗ company sol's Whaticket token was encrypted with another key/);
    assert.equal(doctor.stdout.match(/company sol's Whaticket token/g)?.length, 1, "said once, not again as a gateway problem");
    // A malformed key stops the daemon at start, in one line.
    const bad = await cli(["daemon", "--once"], withKey("not-a-key"));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^secretaria: SECRETARIA_SECRET_KEY must be 32 random bytes written as base64 \(44 characters\) or hex \(64 characters\): make one with `secretaria secrets keygen`\n$/);
  });

  test("rotate: old → new in one pass; afterwards the old key no longer reads them; encrypt seals plaintext", T, async () => {
    assert.equal((await addClinic("sol", withKey())).code, 0);
    assert.equal((await addClinic("lua", {})).code, 0); // plaintext
    const before = await rawToken("sol");

    // Without the old key, a value under it stops the rotation and nothing changes.
    const blind = await cli(["secrets", "rotate"], withKey(OTHER_KEY));
    assert.equal(blind.code, 1);
    assert.match(blind.stderr, /^secretaria: company sol's Whaticket token is encrypted with key [0-9a-f]{8}, which is neither the new key .* nothing was changed\n$/);
    assert.equal(await rawToken("sol"), before);
    assert.equal(await rawToken("lua"), TOKEN);

    const dir = tempDir();
    const oldFile = join(dir, "old.key");
    writeFileSync(oldFile, `${KEY}\n`, { mode: 0o644 });
    const unsafe = await cli(["secrets", "rotate", "--old-key-file", oldFile], withKey(OTHER_KEY));
    assert.equal(unsafe.code, 1);
    assert.match(unsafe.stderr, /is readable by other users \(mode 0644\): run chmod 600 /);
    chmodSync(oldFile, 0o600);
    const r = await cli(["secrets", "rotate", "--old-key-file", oldFile, "--json"], withKey(OTHER_KEY));
    assert.equal(r.code, 0, r.stderr);
    const counts = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual({ ...counts, key_id: undefined }, { key_id: undefined, encrypted: 1, reencrypted: 1, unchanged: 0, companies: 2 });
    assert.notEqual(await rawToken("sol"), before);
    assert.match((await rawToken("lua")) ?? "", /^enc:v1:/);

    await seedDue(db, { company: "sol", n: 1 });
    const old = await cli(["daemon", "--once", "--rate-limit", "0"], withKey());
    assert.match(old.stderr, /company sol's Whaticket token was encrypted with another key/);
    assert.equal(fake.received.length, 0);
    const fresh = await cli(["daemon", "--once", "--rate-limit", "0"], withKey(OTHER_KEY));
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.equal(fake.received.length, 1);
    assert.equal(fake.received[0]!.token, TOKEN);

    // The key from a file (0600) works like the variable; `secrets encrypt` leaves sealed values alone.
    const keyFile = join(dir, "new.key");
    writeFileSync(keyFile, `${OTHER_KEY}\n`, { mode: 0o600 });
    const again = await cli(["secrets", "encrypt"], { SECRETARIA_SECRET_KEY_FILE: keyFile });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /0 plaintext secrets encrypted, 0 re-encrypted from an old key, 2 already under this key/);
  });

  test("a sealed value copied to another company does not decrypt there (bound to its company)", T, async () => {
    assert.equal((await addClinic("sol", withKey())).code, 0);
    assert.equal((await cli(["companies", "add", "--id", "lua", "--name", "Lua", "--whaticket-url", fake.url, "--whaticket-token", "another-token-of-lua-0001"], withKey())).code, 0);
    await db.run("UPDATE companies SET whaticket_token = ? WHERE id = 'lua'", [await rawToken("sol")]);
    await seedDue(db, { company: "lua", n: 1 });
    const r = await cli(["daemon", "--once", "--rate-limit", "0"], withKey());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /company lua's Whaticket token does not decrypt with key [0-9a-f]{8} \(altered, or copied from another company\): re-enter it with secretaria companies add --id lua --whaticket-token/);
    assert.equal(fake.received.length, 0, "sol's token was not used for lua");
    const doctor = await cli(["doctor", "--json"], withKey());
    const problems = (JSON.parse(doctor.stdout) as { problems: { check: string; company?: string }[] }).problems;
    assert.deepEqual(problems.filter((p) => p.check === "secrets").map((p) => p.company), ["lua"]);
  });

  test("keygen prints a fresh usable key; doctor reports tokens stored in clear", T, async () => {
    const k1 = await runCli(["secrets", "keygen"]);
    const k2 = await runCli(["secrets", "keygen"]);
    assert.equal(k1.code, 0, k1.stderr);
    assert.match(k1.stdout, /^[A-Za-z0-9+/]{43}=\n$/);
    assert.notEqual(k1.stdout, k2.stdout);
    assert.match(k1.stderr, /back it up/);
    assert.equal((await addClinic("lua", {})).code, 0);
    const none = await cli(["doctor"]);
    assert.equal(none.code, 1);
    assert.match(none.stdout, /✗ 1 gateway secret is stored unencrypted \(companies lua\): no SECRETARIA_SECRET_KEY is set\n {2}fix: make a key with `secretaria secrets keygen`/);
    const keyed = await cli(["doctor"], withKey(k1.stdout.trim()));
    assert.match(keyed.stdout, /✗ 1 gateway secret is stored unencrypted \(companies lua\) although SECRETARIA_SECRET_KEY is set\n {2}fix: secretaria secrets encrypt/);
  });
});
