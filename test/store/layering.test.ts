import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ESLint } from "eslint";

/**
 * The lint config keeps the storage engines behind the Store interface: driver imports and SQL text
 * are errors anywhere under src/ but src/store/, and the tree as it is obeys both rules. (No database:
 * the same on both engines' runs.)
 */

const eslint = new ESLint({ cwd: process.cwd() });

/** The messages of the two layering rules for `code` linted as if it were the file `path`. */
async function layeringProblems(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path });
  return result!.messages.filter((m) => m.ruleId === "no-restricted-imports" || m.ruleId === "no-restricted-syntax").map((m) => `${m.line}: ${m.message}`);
}

const OUTSIDE = ["src/commands/example.ts", "src/services/example.ts", "src/daemon/example.ts", "src/demo/example.ts", "src/domain/example.ts"];
const DRIVERS = 'import Database from "better-sqlite3";\nimport pg from "pg";\nexport const engines = [Database, pg];\n';
const SQL = [
  'export const a = (q: { get(s: string): unknown }) => q.get("SELECT id FROM appointments WHERE id = 1");',
  // line 2-3: a template whose first line is empty
  "export const b = (t: string) => `\n  UPDATE companies SET paused_reason = NULL WHERE id = '${t}'`;",
  'export const c = "PRAGMA secure_delete = ON";',
  'export const d = `DROP TABLE IF EXISTS "x" CASCADE`;',
].join("\n");

describe("layering: drivers and SQL under src/store/ only", { timeout: 120_000 }, () => {
  test("a driver import outside src/store/ is an error; inside, allowed", async () => {
    for (const path of OUTSIDE) {
      const problems = await layeringProblems(path, DRIVERS);
      assert.equal(problems.length, 2, `${path}: ${problems.join("; ")}`);
      assert.match(problems.join("\n"), /better-sqlite3.*src\/store/);
      assert.match(problems.join("\n"), /'pg'.*src\/store/);
    }
    assert.deepEqual(await layeringProblems("src/store/sqlite/example.ts", DRIVERS), []);
  });

  test("SQL text outside src/store/ is an error (strings and templates); inside, allowed; prose is not SQL", async () => {
    for (const path of OUTSIDE) {
      const problems = await layeringProblems(path, SQL);
      assert.deepEqual(problems.map((p) => p.split(":")[0]), ["1", "2", "4", "5"], `${path}: ${problems.join("; ")}`);
      for (const p of problems) assert.match(p, /SQL lives under src\/store\/ only/);
    }
    assert.deepEqual(await layeringProblems("src/store/example.ts", SQL), []);
    const prose = 'export const m = "Select a company with --company"; export const n = `update the settings`; export const o = "DELETE";';
    assert.deepEqual(await layeringProblems("src/commands/example.ts", prose), []);
  });

  test("the source tree follows both rules", async () => {
    const results = await eslint.lintFiles(["src"]);
    const broken = results.flatMap((r) =>
      r.messages.filter((m) => m.ruleId === "no-restricted-imports" || m.ruleId === "no-restricted-syntax").map((m) => `${r.filePath}:${m.line} ${m.message}`),
    );
    assert.deepEqual(broken, []);
  });
});
