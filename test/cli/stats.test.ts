import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { colorLevel } from "../../src/render/chart.js";
import { openStore } from "../../src/store/open.js";
import { migratedDb, runCli, tempDb } from "../helpers/cli.js";
import { VIEWS_NOW, addViewCompanies, expectedStats, paints, seedKnownMix, terminalWidth, type ExpectedStats } from "../helpers/views.js";

/** The expected figures, from the rows of the database the CLI read (plain SQL, then plain JS). */
async function expectedOf(location: string, days: number, companyId?: string): Promise<ExpectedStats> {
  const db = await openStore(location, { readonly: true });
  try {
    return await expectedStats(db, days, companyId);
  } finally {
    await db.close();
  }
}

const ESC = "\u001b[";

describe("secretaria stats", () => {
  let db: string;
  let empty: string;
  before(async () => {
    db = tempDb();
    const d = await migratedDb(db);
    try {
      await seedKnownMix(d);
    } finally {
      await d.close();
    }
    empty = tempDb();
    const e = await migratedDb(empty);
    try {
      await addViewCompanies(e);
    } finally {
      await e.close();
    }
  });
  const env = { SECRETARIA_NOW: VIEWS_NOW };

  test("--json: SPEC's shape, every figure equal to plain SQL over the same file (30 days, two zones)", async () => {
    const r = await runCli(["stats", "--db", db, "--json"], { env });
    assert.equal(r.code, 0, r.stderr);
    const got = JSON.parse(r.stdout);
    const keys = ["sent", "pending", "positive", "negative", "feedback", "failed", "response_rate", "daily"];
    assert.deepEqual(Object.keys(got).slice(0, keys.length), keys, "SPEC's keys first, in order");
    const want = await expectedOf(db, 30);
    const wantSp = await expectedOf(db, 30, "sp");
    for (const k of ["sent", "pending", "positive", "negative", "feedback", "failed", "skipped", "response_rate"] as const) {
      assert.equal(got[k], want[k], k);
    }
    assert.deepEqual(got.daily, want.daily);
    assert.deepEqual(Object.keys(got.daily[0]), ["date", "sent", "positive", "negative", "feedback"]);
    assert.equal(got.response_rate, Math.round(((want.positive + want.negative + want.feedback) / want.sent) * 10_000) / 10_000);
    const sp = got.companies.find((c: { company_id: string }) => c.company_id === "sp");
    assert.equal(sp.sent, wantSp.sent);
    assert.equal(sp.pending, wantSp.pending);
  });

  test("--company and --days: the same figures for one company over 7 days", async () => {
    const r = await runCli(["stats", "--db", db, "--company", "lx", "--days", "7", "--json"], { env });
    assert.equal(r.code, 0, r.stderr);
    const got = JSON.parse(r.stdout);
    const want = await expectedOf(db, 7, "lx");
    const { daily, ...counters } = want;
    for (const [k, v] of Object.entries(counters)) assert.equal(got[k], v, k);
    assert.deepEqual(got.daily, daily);
    assert.equal(got.daily.length, 7);
    assert.equal(got.company_id, "lx");
  });

  test("on a terminal (FORCE_COLOR): counters, the per-company table and the chart with both series in color", async () => {
    const r = await runCli(["stats", "--db", db], { env: { ...env, FORCE_COLOR: "1" } });
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout;
    assert.ok(out.includes(ESC), "escape codes present");
    // eslint-disable-next-line no-control-regex
    const plain = out.replace(/\u001b\[[0-9;]*m/g, "");
    const want = await expectedOf(db, 30);
    for (const [label, n] of [["👍 positive", want.positive], ["👎 negative", want.negative], ["💬 feedback", want.feedback], ["⏳ pending", want.pending]] as const) {
      assert.ok(plain.includes(`${label} ${n}`), `${label} ${n} in:\n${plain}`);
    }
    assert.match(plain, new RegExp(`sent ${want.sent}\\b`));
    assert.match(plain, /response rate \d+(\.\d)?%/);
    assert.match(plain, /^sp\s+\d+/m, "per-company table row for sp");
    assert.match(plain, /^lx\s+\d+/m, "per-company table row for lx");
    // Both series drawn: green (32) line segments for positives, red (31) for positive + negative.
    assert.ok(paints(out, 32), "a green chart segment");
    assert.ok(paints(out, 31), "a red chart segment");
    assert.match(plain, /└─{20,}/, "x axis");
    assert.match(plain, /\b11\/10\b.*\b10\/11\b/, "dd/MM labels from the first to the last day");
    assert.match(plain, /── 👍 positive/);
    assert.match(plain, /── 👍 \+ 👎/);
    for (const line of plain.split("\n")) assert.ok(terminalWidth(line) <= 80, `wider than 80: ${line}`);
  });

  test("piped without FORCE_COLOR (and without NO_COLOR): the same view with no escape codes at all", async () => {
    const r = await runCli(["stats", "--db", db], { env: { ...env, NO_COLOR: "" } });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes("\u001b"), "no escape codes");
    assert.match(r.stdout, /┤/, "the chart is there");
    assert.match(r.stdout, /👍 positive \d+/);
  });

  test("NO_COLOR turns colors off even when the stream could have them (precedence: FORCE_COLOR, then NO_COLOR)", () => {
    assert.equal(colorLevel({ NO_COLOR: "1" }, true), 0);
    assert.equal(colorLevel({}, false), 0);
    assert.ok(colorLevel({}, true) > 0);
    assert.equal(colorLevel({ FORCE_COLOR: "1", NO_COLOR: "1" }, false), 1);
    assert.equal(colorLevel({ FORCE_COLOR: "0" }, true), 0);
  });

  test("no data: says so instead of drawing an empty chart", async () => {
    const r = await runCli(["stats", "--db", empty], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no follow-ups sent or answered in the last 30 days/);
    assert.doesNotMatch(r.stdout, /┤|└/);
    const j = JSON.parse((await runCli(["stats", "--db", empty, "--json"], { env })).stdout);
    assert.equal(j.sent, 0);
    assert.equal(j.response_rate, 0);
    assert.equal(j.daily.length, 31);
  });

  test("usage errors: --days out of range, unknown company (exit 2)", async () => {
    for (const args of [["--days", "0"], ["--days", "abc"], ["--company", "nope"]]) {
      const r = await runCli(["stats", "--db", db, ...args], { env });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /^secretaria: /);
    }
  });
});
