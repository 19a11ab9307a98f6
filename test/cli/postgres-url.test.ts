import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import pg from "pg";
import { ON_POSTGRES, runCli, tempDb, type CliResult } from "../helpers/cli.js";

/**
 * A wrong PostgreSQL URL (password, user, port, database) is one line `secretaria: …` and exit 1,
 * and the URL's password appears nowhere in the output, whatever the command and however the URL
 * is given (--db or SECRETARIA_DB), stack traces (DEBUG=secretaria) included.
 */

const T = { timeout: 120_000, skip: ON_POSTGRES ? false : "needs PostgreSQL (SECRETARIA_TEST_PG_URL)" };
/** Distinctive and URL-safe (the same text percent-encoded or not): any leak is unmistakable. */
const PASSWORD = "pw-SEKRET-5a7c9e1f3b";

/** A URL of the test cluster (a new empty database unless the port or database is replaced), with the parts given replaced. */
function urlWith(parts: { user?: string; password?: string; port?: number; database?: string }): string {
  const u = new URL(parts.port !== undefined || parts.database !== undefined ? process.env.SECRETARIA_TEST_PG_URL! : tempDb());
  if (parts.user !== undefined) u.username = parts.user;
  if (parts.password !== undefined) u.password = parts.password;
  if (parts.port !== undefined) u.port = String(parts.port);
  if (parts.database !== undefined) u.pathname = `/${parts.database}`;
  return u.toString();
}

/** A local TCP port nothing listens on (taken from the OS, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether the server refuses a wrong password (scram/md5), or lets the login in without checking it (trust). */
async function checksPasswords(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    return false;
  } catch (err) {
    if ((err as { code?: string }).code === "28P01") return true;
    throw err;
  } finally {
    await client.end().catch(() => {});
  }
}

const COMMANDS = [
  ["companies", "list"], ["migrate"], ["migrate", "--status", "--json"], ["stats", "--json"], ["followups", "list"], ["audit", "list"],
  ["reply", "simulate", "--phone", "5511999990000", "--text", "sim"], ["daemon", "--once"], ["demo", "--fast"],
];

/** Every command, with the URL as --db and as SECRETARIA_DB: one line matching `pattern`, exit 1, never the URL's password (not even in a stack). */
async function assertRefused(url: string, pattern: RegExp): Promise<void> {
  const encoded = new URL(url).password;
  const password = decodeURIComponent(encoded);
  assert.ok(password.length >= 16, `the URL carries a distinctive password (the test cluster's admin URL needs a long random one): ${url.replace(encoded, "…")}`);
  const runs: [string, Promise<CliResult>][] = [];
  for (const args of COMMANDS) {
    runs.push([`${args.join(" ")} --db`, runCli([...args, "--db", url])]);
    // The demo never uses SECRETARIA_DB (only --db), so it has no second form.
    if (args[0] !== "demo") runs.push([`${args.join(" ")} (SECRETARIA_DB)`, runCli(args, { env: { SECRETARIA_DB: url } })]);
  }
  runs.push(["companies list --db, DEBUG=secretaria", runCli(["companies", "list", "--db", url], { env: { DEBUG: "secretaria" } })]);
  for (const [what, pending] of runs) {
    const r = await pending;
    const output = `${r.stdout}${r.stderr}`;
    assert.ok(!output.includes(password) && !output.includes(encoded), `${what}: the password leaked:\n${output}`);
    assert.equal(r.code, 1, `${what}: exit code; stderr: ${r.stderr}`);
    if (what.includes("DEBUG")) {
      assert.match(r.stderr, /^secretaria: [^\n]+\n/, what);
      assert.match(r.stderr.split("\n")[0]!, pattern, what);
      continue;
    }
    assert.equal(r.stdout, "", `${what}: nothing on stdout`);
    assert.match(r.stderr, /^secretaria: [^\n]+\n$/, `${what}: one stderr line starting "secretaria: ", got ${JSON.stringify(r.stderr)}`);
    assert.match(r.stderr, pattern, what);
    // The URL is named, with its password masked.
    assert.match(r.stderr, /postgres(ql)?:\/\/[^\s:@/]+:\*\*\*@/, `${what}: the URL shown with *** for the password`);
  }
}

describe("a wrong PostgreSQL URL: one line, exit 1, never the password", () => {
  test("wrong password for the cluster's user", T, async () => {
    const url = urlWith({ password: PASSWORD });
    if (await checksPasswords(url)) {
      await assertRefused(url, /^secretaria: PostgreSQL refused the login at \S+: check the user and password in the URL$/m);
    } else {
      // A server that trusts local connections (scripts/pg-cluster.sh runs initdb -A trust) never checks the
      // password: the login succeeds. Then the commands behave as with the right URL, and still never print it:
      // before migrate, one line about the empty database; after it, the usual output.
      const empty = await runCli(["companies", "list", "--db", url]);
      assert.equal(empty.code, 1, empty.stderr);
      assert.match(empty.stderr, /^secretaria: the database postgres:\/\/postgres:\*\*\*@\S+ is not initialised: run `secretaria migrate --db \S+` first\n$/);
      const runs = [empty];
      for (const args of [["migrate"], ["migrate", "--status"], ["companies", "add", "--id", "c1", "--name", "C1"], ["companies", "list"], ["stats"], ["followups", "list"]]) {
        const r = await runCli(args, { env: { SECRETARIA_DB: url } });
        assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
        runs.push(r);
      }
      assert.match(runs[1]!.stdout, /postgres:\/\/postgres:\*\*\*@\S+: \d+ migrations applied/);
      for (const r of runs) assert.ok(!`${r.stdout}${r.stderr}`.includes(PASSWORD), `the password leaked:\n${r.stdout}${r.stderr}`);
    }
  });

  test("wrong user (with a password): the login is refused", T, async () => {
    const refused = /^secretaria: PostgreSQL refused the login at \S+: check the user and password in the URL$/m;
    await assertRefused(urlWith({ user: "nobody_here", password: PASSWORD }), refused);
    // A password with characters a URL must percent-encode: neither its encoded nor its decoded form is printed.
    const special = urlWith({ user: "nobody_here", password: encodeURIComponent(`${PASSWORD}@#/:?% ñ`) });
    assert.notEqual(new URL(special).password, `${PASSWORD}@#/:?% ñ`, "the URL carries it encoded");
    await assertRefused(special, refused);
  });

  test("wrong port: connection refused (nothing listens there)", T, async () => {
    await assertRefused(
      urlWith({ password: PASSWORD, port: await freePort() }),
      /^secretaria: cannot connect to PostgreSQL at \S+: connection refused; is the server running and listening there\? \(check --db \/ SECRETARIA_DB\)$/m,
    );
  });

  test("wrong database: it does not exist", T, async () => {
    // On a server that checks passwords, the cluster's own (random, scripts/pg-cluster.sh) password, so that only the
    // database is wrong; on one that trusts local logins, the distinctive one.
    const checks = await checksPasswords(urlWith({ password: PASSWORD }));
    await assertRefused(
      urlWith({ database: "no_such_database_here", ...(checks ? {} : { password: PASSWORD }) }),
      /^secretaria: the database in \S+\/no_such_database_here does not exist: create it first/m,
    );
  });
});
