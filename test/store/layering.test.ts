import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ESLint } from "eslint";

/**
 * The lint config keeps the storage engines behind the Store interface: driver imports and SQL text
 * are errors anywhere under src/ but src/store/; a command reaches repositories only through services
 * (from src/store/ it takes opening the database and types); the tree as it is obeys all three.
 * (No database: the same on both engines' runs.)
 */

const eslint = new ESLint({ cwd: process.cwd() });
const LAYERING_RULES = ["no-restricted-imports", "@typescript-eslint/no-restricted-imports", "no-restricted-syntax"];

/** The messages of the two layering rules for `code` linted as if it were the file `path`. */
async function layeringProblems(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path });
  return result!.messages.filter((m) => LAYERING_RULES.includes(m.ruleId ?? "")).map((m) => `${m.line}: ${m.message}`);
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

  test("a command reaches repositories through services: value imports (static or lazy) of src/store/ are errors, but opening the database and types", async () => {
    const code = [
      'import { getCompany } from "../store/companies.js";',
      'import type { CompanyRow } from "../store/companies.js";',
      'import { listAppointments, type AppointmentRow } from "../store/appointments.js";',
      'import { openStore } from "../store/open.js";',
      'import { assertMigrated } from "../store/migrator.js";',
      'import type { Store } from "../store/store.js";',
      'import { companyOverview } from "../services/company-service.js";',
      'export async function f(s: Store, r: AppointmentRow, c: CompanyRow) {',
      '  const lazy = await import("../store/replies.js");',
      '  const fine = await import("../store/open.js");',
      '  return [getCompany, listAppointments, openStore, assertMigrated, companyOverview, lazy, fine, s, r, c];',
      "}",
    ].join("\n");
    const problems = await layeringProblems("src/commands/example.ts", code);
    assert.deepEqual(problems.map((p) => p.split(":")[0]), ["1", "3", "9"], problems.join("\n"));
    for (const p of problems) assert.match(p, /Commands and the daemon call a service/);
    // The daemon's modules alike, the send path (scheduler, hot path) included.
    assert.deepEqual((await layeringProblems("src/daemon/example.ts", code)).map((p) => p.split(":")[0]), ["1", "3", "9"]);
    assert.deepEqual((await layeringProblems("src/daemon/scheduler.ts", code)).map((p) => p.split(":")[0]), ["1", "3", "9"]);
    // Elsewhere (a service) the same imports are how repositories are reached.
    assert.deepEqual(await layeringProblems("src/services/example.ts", code), []);
  });

  test("the source tree follows every layering rule", async () => {
    const results = await eslint.lintFiles(["src"]);
    const broken = results.flatMap((r) =>
      r.messages.filter((m) => LAYERING_RULES.includes(m.ruleId ?? "")).map((m) => `${r.filePath}:${m.line} ${m.message}`),
    );
    assert.deepEqual(broken, []);
  });
});
