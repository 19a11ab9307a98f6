import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { migratedDb, runCli, tempDb } from "../helpers/cli.js";

/** Issue 18: `daemon --log-level` / SECRETARIA_LOG_LEVEL: idle ticks at debug, warnings (rejections) at warn. */
describe("daemon --log-level (subprocess, --once on an idle database)", () => {
  let db = "";
  before(async () => {
    db = tempDb();
    await (await migratedDb(db)).close();
  });
  // SECRETARIA_NOW makes the daemon warn (clock_simulated): a warning line to see at warn and to lose at error.
  const once = (args: string[] = [], env: Record<string, string> = {}) =>
    runCli(["daemon", "--once", "--db", db, ...args], { env: { SECRETARIA_NOW: "2026-11-25T12:00:00Z", ...env } });
  const levels = (stderr: string) => new Set([...stderr.matchAll(/^\S+ (DEBUG|INFO|WARN|ERROR) /gm)].map((m) => m[1]));

  test("default info: the idle tick is not logged, the summary is", async () => {
    const r = await once();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /INFO {2}once_done sent=0/);
    assert.doesNotMatch(r.stderr, /DEBUG|tick /);
  });

  test("--log-level debug (or SECRETARIA_LOG_LEVEL=debug): the idle tick appears", async () => {
    for (const r of [await once(["--log-level", "debug"]), await once([], { SECRETARIA_LOG_LEVEL: "debug" })]) {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /DEBUG tick sent=0 .*ok=true/);
      assert.match(r.stderr, /INFO {2}once_done/);
    }
  });

  test("warn: only warnings and errors; error: not even the warning; the flag wins over the variable", async () => {
    const warn = await once(["--log-level", "warn"], { SECRETARIA_LOG_LEVEL: "debug" });
    assert.equal(warn.code, 0, warn.stderr);
    assert.deepEqual(levels(warn.stderr), new Set(["WARN"]));
    assert.match(warn.stderr, /WARN {2}clock_simulated/);
    const error = await once(["--log-level", "error"]);
    assert.equal(error.code, 0, error.stderr);
    assert.equal(error.stderr, "");
    const json = await once(["--log-level", "DEBUG", "--log-format", "json"]);
    const lines = json.stderr.trim().split("\n").map((l) => JSON.parse(l) as { level: string; event: string });
    assert.ok(lines.some((l) => l.level === "debug" && l.event === "tick"));
  });

  test("an unknown level is a usage error naming where it came from", async () => {
    const flag = await once(["--log-level", "verbose"]);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /^secretaria: --log-level must be debug, info, warn or error \(got "verbose"\)/);
    const env = await once([], { SECRETARIA_LOG_LEVEL: "loud" });
    assert.equal(env.code, 2);
    assert.match(env.stderr, /^secretaria: SECRETARIA_LOG_LEVEL must be debug, info, warn or error \(got "loud"\)/);
  });
});
