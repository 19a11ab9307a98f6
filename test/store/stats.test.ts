import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { lastLocalDays, localDayRange } from "../../src/domain/local-days.js";
import { computeStats, statsJson } from "../../src/services/stats-service.js";
import type { Store } from "../../src/store/store.js";
import { followupPageSql } from "../../src/store/followup-queries.js";
import { DAILY_COUNTS_SQL, STATE_COUNTS_SQL } from "../../src/store/stats.js";
import { SQLITE_ONLY, migratedDb, tempDb } from "../helpers/cli.js";
import { VIEWS_NOW, expectedStats, seedKnownMix } from "../helpers/views.js";

const NOW = new Date(VIEWS_NOW);

describe("local days as UTC ranges", () => {
  test("São Paulo days start at 03:00Z and follow each other without gaps", () => {
    const days = lastLocalDays(new Date("2026-11-10T01:30:00Z"), 3, "America/Sao_Paulo");
    assert.deepEqual(days.map((d) => d.date), ["2026-11-07", "2026-11-08", "2026-11-09"], "01:30Z is still the 9th in São Paulo");
    assert.equal(days[0]!.start, "2026-11-07T03:00:00.000Z");
    for (let i = 1; i < days.length; i++) assert.equal(days[i]!.start, days[i - 1]!.stop);
  });

  test("DST: Lisbon's 25/10/2026 lasts 25 hours; Santiago's 06/09/2026 starts at 01:00 (midnight is skipped)", () => {
    const lx = localDayRange("2026-10-25", "Europe/Lisbon");
    assert.equal(lx.start, "2026-10-24T23:00:00.000Z");
    assert.equal(lx.stop, "2026-10-26T00:00:00.000Z");
    const cl = localDayRange("2026-09-06", "America/Santiago");
    assert.equal(cl.start, "2026-09-06T04:00:00.000Z");
    assert.equal(localDayRange("2026-09-05", "America/Santiago").stop, cl.start);
    assert.equal(Date.parse(cl.stop) - Date.parse(cl.start), 23 * 3_600_000);
  });
});

describe("computeStats against plain SQL on a known mix", () => {
  let db: Store;
  before(async () => {
    db = await migratedDb(tempDb());
    await seedKnownMix(db);
  });
  after(() => db?.close());

  for (const days of [30, 7]) {
    test(`all companies, ${days} days: every counter, the daily series and the response rate`, async () => {
      const got = statsJson(await computeStats(db, { days, now: NOW }));
      const want = await expectedStats(db, days);
      for (const k of ["sent", "pending", "positive", "negative", "feedback", "failed", "skipped", "response_rate"] as const) {
        assert.equal(got[k], want[k], k);
      }
      assert.deepEqual(got.daily, want.daily);
      assert.ok(got.sent > 0 && got.positive > 0 && got.negative > 0 && got.feedback > 0 && got.pending > 0, "the mix is not trivial");
    });
  }

  test("per company (--company), and the per-company rows add up to the total", async () => {
    const all = statsJson(await computeStats(db, { days: 30, now: NOW }));
    for (const id of ["sp", "lx"]) {
      const got = statsJson(await computeStats(db, { companyId: id, days: 30, now: NOW }));
      const want = await expectedStats(db, 30, id);
      const { daily, ...counters } = want;
      for (const [k, v] of Object.entries(counters)) assert.equal(got[k as keyof typeof got], v, `${id} ${k}`);
      assert.deepEqual(got.daily, daily);
      assert.equal(got.daily.length, 30);
      const row = all.companies.find((c) => c.company_id === id)!;
      for (const [k, v] of Object.entries(counters)) assert.equal(row[k as keyof typeof row], v, `companies[${id}].${k}`);
    }
    assert.equal(all.daily.length, 31, "Lisbon is already on 10/11 while São Paulo is on 09/11: the union has 31 dates");
  });

  test("an empty window is all zeros with a zero response rate", async () => {
    const got = await computeStats(db, { days: 30, now: new Date("2030-01-01T12:00:00Z") });
    assert.equal(got.sent, 0);
    assert.equal(got.response_rate, 0);
    assert.ok(got.daily.every((d) => d.sent + d.positive + d.negative + d.feedback === 0));
  });
});

// Plans of SQLite's planner (EXPLAIN QUERY PLAN); PostgreSQL plans by its own statistics.
describe("query plans: index searches, no table scans", { skip: SQLITE_ONLY }, () => {
  let db: Store;
  before(async () => {
    db = await migratedDb(tempDb());
    await seedKnownMix(db, { random: 20 });
  });
  after(() => db?.close());

  const plan = async (sql: string, params: Record<string, unknown>) =>
    (await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, params)).map((r) => r.detail);

  test("stats: daily counts and state counts are covering-index searches", async () => {
    const days = JSON.stringify([{ company_id: "sp", date: "2026-11-01", start: "2026-11-01T03:00:00.000Z", stop: "2026-11-02T03:00:00.000Z" }]);
    const daily = await plan(DAILY_COUNTS_SQL.sqlite, { days });
    assert.ok(daily.some((d) => /SEARCH a USING COVERING INDEX appointments_company_sent/.test(d)), daily.join("\n"));
    assert.ok(daily.some((d) => /SEARCH a USING COVERING INDEX appointments_company_response/.test(d)), daily.join("\n"));
    const windows = JSON.stringify([{ company_id: "sp", start: "2026-10-11T03:00:00.000Z", stop: "2026-11-10T03:00:00.000Z" }]);
    const states = await plan(STATE_COUNTS_SQL.sqlite, { windows });
    const searches = states.filter((d) => /^SEARCH a /.test(d));
    assert.equal(searches.length, 4, states.join("\n"));
    assert.ok(searches.every((d) => /COVERING INDEX appointments_company_status_end/.test(d)), states.join("\n"));
    assert.ok(![...daily, ...states].some((d) => /^SCAN a\b/.test(d)));
  });

  test("followups list --status pending: an index search on state, newest first", async () => {
    const q = followupPageSql(db, { statuses: ["scheduled", "sending", "sent"], sort: "-end", limit: 50, offset: 0 });
    const p = await plan(q.sql, q.params);
    assert.ok(p.some((d) => /USING COVERING INDEX appointments_followup_status_end \(followup_status=\?\)/.test(d)), p.join("\n"));
    assert.ok(!p.some((d) => /^SCAN appointments$/.test(d)), p.join("\n"));
  });
});
