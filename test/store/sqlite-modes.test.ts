import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { openStore } from "../../src/store/open.js";
import { SQLITE_ONLY, tempDir } from "../helpers/cli.js";

/** The SQLite file and its -wal/-shm side files hold tokens and phones: 0600, whatever the umask. */

describe("SQLite file modes", () => {
  test("a new database, its -wal and its -shm are created 0600 even under umask 000", { skip: SQLITE_ONLY }, async () => {
    const path = join(tempDir(), "modes.db");
    const old = process.umask(0);
    try {
      const store = await openStore(path, { create: true });
      try {
        await store.exec("CREATE TABLE t (x INTEGER)");
        await store.run("INSERT INTO t (x) VALUES (?)", [1]);
        for (const f of [path, `${path}-wal`, `${path}-shm`]) {
          assert.ok(existsSync(f), `${f} exists while the store is open`);
          assert.equal((statSync(f).mode & 0o777).toString(8), "600", f);
        }
      } finally {
        await store.close();
      }
    } finally {
      process.umask(old);
    }
  });
});
