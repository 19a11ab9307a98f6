import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { DateTime } from "luxon";
import {
  formatBusinessHours, formatQuietHours, isInQuietHours, isValidTimeZone, localDate, moveOutOfQuietHours,
  parseBusinessHours, parseClock, parseQuietHours,
} from "../../src/domain/hours.js";

const SP = "America/Sao_Paulo";
const NY = "America/New_York";
const NIGHT = parseQuietHours("20:00-08:00");

/** A local wall time in `zone` as an instant; fails the test if that wall time does not exist. */
function local(text: string, zone = SP): Date {
  const dt = DateTime.fromFormat(text, "yyyy-MM-dd HH:mm", { zone });
  assert.ok(dt.isValid && dt.toFormat("yyyy-MM-dd HH:mm") === text, `bad test time ${text} in ${zone}`);
  return dt.toJSDate();
}

/** An instant as local wall time with its offset, so DST mistakes are visible in the diff. */
function show(d: Date, zone = SP): string {
  return DateTime.fromJSDate(d, { zone }).toFormat("yyyy-MM-dd HH:mm ZZ");
}

describe("parseClock / parseQuietHours / parseBusinessHours", () => {
  test("clock times, 24:00 only as an end of day", () => {
    assert.equal(parseClock("08:00"), 480);
    assert.equal(parseClock("8:05"), 485);
    assert.equal(parseClock("24:00"), 1440);
    assert.equal(parseClock("24:01"), null);
    assert.equal(parseClock("12:60"), null);
    assert.equal(parseClock("noon"), null);
  });

  test("quiet hours may wrap midnight; off/none/empty mean none; 24:00 end is midnight", () => {
    assert.deepEqual(parseQuietHours("20:00-08:00"), { start: 1200, end: 480 });
    assert.deepEqual(parseQuietHours(" 22:00-24:00 "), { start: 1320, end: 0 });
    assert.equal(parseQuietHours("off"), null);
    assert.equal(parseQuietHours("NONE"), null);
    assert.equal(parseQuietHours(""), null);
    assert.equal(formatQuietHours(parseQuietHours("9:00-10:30")), "09:00-10:30");
    assert.equal(formatQuietHours(null), "off");
  });

  test("bad quiet hours throw a message that shows the expected form", () => {
    assert.throws(() => parseQuietHours("25:00-08:00"), /like 20:00-08:00/);
    assert.throws(() => parseQuietHours("20:00"), /like 20:00-08:00/);
    assert.throws(() => parseQuietHours("08:00-08:00"), /empty range.*off/);
  });

  test("business hours: day ranges, lists, several windows, pt-BR day names", () => {
    assert.equal(formatBusinessHours(parseBusinessHours("mon-fri 09:00-18:00")), "mon-fri 09:00-18:00");
    assert.equal(
      formatBusinessHours(parseBusinessHours("seg-sex 09:00-12:00,14:00-18:00; sab 09:00-12:00")),
      "mon-fri 09:00-12:00; mon-fri 14:00-18:00; sat 09:00-12:00",
    );
    assert.deepEqual(parseBusinessHours("mon,wed 10:00-11:00")[0]?.days, [1, 3]);
    // A range that wraps the week: fri-mon = fri, sat, sun, mon.
    assert.deepEqual(parseBusinessHours("fri-mon 10:00-11:00")[0]?.days, [1, 5, 6, 7]);
  });

  test("bad business hours say what is wrong", () => {
    assert.throws(() => parseBusinessHours(""), /empty/);
    assert.throws(() => parseBusinessHours("xyz"), /not like "mon-fri 09:00-18:00"/);
    assert.throws(() => parseBusinessHours("mon-fry 09:00-18:00"), /not a day/);
    assert.throws(() => parseBusinessHours("mon 18:00-09:00"), /ends before it starts/);
    assert.throws(() => parseBusinessHours("mon 09:00-25:00"), /not a time range/);
  });
});

describe("isValidTimeZone", () => {
  test("IANA zones pass, other text does not", () => {
    for (const z of [SP, NY, "America/Manaus", "America/Argentina/Buenos_Aires", "UTC", "Etc/GMT+3"]) assert.ok(isValidTimeZone(z), z);
    for (const z of ["Mars/Olympus", "", "GMT-3 ", "America/Sao Paulo", "-03:00", "../etc/passwd"]) assert.ok(!isValidTimeZone(z), z);
  });
});

describe("isInQuietHours", () => {
  test("the window includes its start and excludes its end", () => {
    assert.equal(isInQuietHours(local("2026-11-25 19:59"), SP, NIGHT), false);
    assert.equal(isInQuietHours(local("2026-11-25 20:00"), SP, NIGHT), true);
    assert.equal(isInQuietHours(local("2026-11-26 00:00"), SP, NIGHT), true);
    assert.equal(isInQuietHours(local("2026-11-26 07:59"), SP, NIGHT), true);
    assert.equal(isInQuietHours(local("2026-11-26 08:00"), SP, NIGHT), false);
    assert.equal(isInQuietHours(local("2026-11-26 03:00"), SP, null), false);
  });

  test("read in the company's zone, not UTC", () => {
    // 22:30 UTC is 19:30 in São Paulo (-03:00) but 17:30 in New York (-05:00).
    const at = new Date("2026-11-25T22:30:00Z");
    assert.equal(isInQuietHours(at, SP, NIGHT), false);
    assert.equal(isInQuietHours(at, "Europe/Lisbon", NIGHT), true);
  });
});

describe("moveOutOfQuietHours", () => {
  const move = (text: string, quiet = NIGHT, zone = SP) => show(moveOutOfQuietHours(local(text, zone), zone, quiet), zone);

  test("outside the window nothing moves", () => {
    assert.equal(move("2026-11-25 19:30"), "2026-11-25 19:30 -03:00");
    assert.equal(move("2026-11-25 12:00"), "2026-11-25 12:00 -03:00");
  });

  test("20:30 (in the evening part) goes to 08:00 the next day", () => {
    assert.equal(move("2026-11-25 20:30"), "2026-11-26 08:00 -03:00");
  });

  test("03:00 (in the morning part) goes to 08:00 the same day", () => {
    assert.equal(move("2026-11-26 03:00"), "2026-11-26 08:00 -03:00");
  });

  test("exactly 08:00 stays; exactly 20:00 moves; 07:59 moves one minute", () => {
    assert.equal(move("2026-11-26 08:00"), "2026-11-26 08:00 -03:00");
    assert.equal(move("2026-11-25 20:00"), "2026-11-26 08:00 -03:00");
    assert.equal(move("2026-11-26 07:59"), "2026-11-26 08:00 -03:00");
  });

  test("midnight edges: 23:59 and 00:00 both end at 08:00 of the day that follows 23:59", () => {
    assert.equal(move("2026-11-25 23:59"), "2026-11-26 08:00 -03:00");
    assert.equal(move("2026-11-26 00:00"), "2026-11-26 08:00 -03:00");
  });

  test("month and year ends roll over", () => {
    assert.equal(move("2026-11-30 21:00"), "2026-12-01 08:00 -03:00");
    assert.equal(move("2026-12-31 23:30"), "2027-01-01 08:00 -03:00");
  });

  test("a window ending at midnight (22:00-24:00) and one starting at midnight (00:00-06:00)", () => {
    assert.equal(move("2026-11-25 23:15", parseQuietHours("22:00-24:00")), "2026-11-26 00:00 -03:00");
    assert.equal(move("2026-11-26 00:00", parseQuietHours("22:00-24:00")), "2026-11-26 00:00 -03:00");
    assert.equal(move("2026-11-26 00:00", parseQuietHours("00:00-06:00")), "2026-11-26 06:00 -03:00");
    assert.equal(move("2026-11-25 23:59", parseQuietHours("00:00-06:00")), "2026-11-25 23:59 -03:00");
  });

  test("a daytime window (12:00-14:00) does not wrap", () => {
    const lunch = parseQuietHours("12:00-14:00");
    assert.equal(move("2026-11-25 12:00", lunch), "2026-11-25 14:00 -03:00");
    assert.equal(move("2026-11-25 13:59", lunch), "2026-11-25 14:00 -03:00");
    assert.equal(move("2026-11-25 14:00", lunch), "2026-11-25 14:00 -03:00");
  });

  test("null quiet hours never move", () => {
    assert.equal(move("2026-11-25 23:00", null), "2026-11-25 23:00 -03:00");
  });

  describe("DST (America/New_York)", () => {
    test("spring forward night (2026-03-08): 21:00 EST → 08:00 EDT, 11 hours of real time later", () => {
      const at = local("2026-03-07 21:00", NY);
      const out = moveOutOfQuietHours(at, NY, NIGHT);
      assert.equal(show(out, NY), "2026-03-08 08:00 -04:00");
      assert.equal(out.getTime() - at.getTime(), 10 * 3600_000);
    });

    test("fall back night (2026-11-01): 21:00 EDT → 08:00 EST, 12 hours of real time later", () => {
      const at = local("2026-10-31 21:00", NY);
      const out = moveOutOfQuietHours(at, NY, NIGHT);
      assert.equal(show(out, NY), "2026-11-01 08:00 -05:00");
      assert.equal(out.getTime() - at.getTime(), 12 * 3600_000);
    });

    test("a window ending inside the spring gap ends at the jump (03:00 EDT), not later", () => {
      // 2026-03-08: 01:59 EST is followed by 03:00 EDT; 02:30 does not exist that day.
      const out = moveOutOfQuietHours(local("2026-03-08 01:30", NY), NY, parseQuietHours("01:00-02:30"));
      assert.equal(show(out, NY), "2026-03-08 03:00 -04:00");
      assert.equal(out.toISOString(), "2026-03-08T07:00:00.000Z");
    });

    test("a window ending at an hour that happens twice ends at its first occurrence after the due time", () => {
      const quiet = parseQuietHours("20:00-01:30");
      // 23:00 EDT on Oct 31: the first 01:30 (EDT) comes first.
      assert.equal(moveOutOfQuietHours(local("2026-10-31 23:00", NY), NY, quiet).toISOString(), "2026-11-01T05:30:00.000Z");
      // 01:10 EDT (first pass): the 01:30 EDT twenty minutes later.
      assert.equal(moveOutOfQuietHours(new Date("2026-11-01T05:10:00Z"), NY, quiet).toISOString(), "2026-11-01T05:30:00.000Z");
      // 01:10 EST (second pass): never back in time, the 01:30 EST.
      assert.equal(moveOutOfQuietHours(new Date("2026-11-01T06:10:00Z"), NY, quiet).toISOString(), "2026-11-01T06:30:00.000Z");
    });
  });

  test("a DST jump at midnight (São Paulo, 2018-11-04 00:00 → 01:00) with a window ending at 00:30", () => {
    // Brazil observed DST until 2019, with the jump at midnight: 00:30 did not exist that night.
    const at = DateTime.fromISO("2018-11-03T23:00", { zone: SP }).toJSDate();
    const out = moveOutOfQuietHours(at, SP, parseQuietHours("22:00-00:30"));
    assert.equal(show(out, SP), "2018-11-04 01:00 -02:00");
  });

  test("the result is never before the input and is always outside the window", () => {
    const zones = [SP, NY, "Europe/Lisbon", "Australia/Lord_Howe", "Asia/Kolkata"];
    const windows = ["20:00-08:00", "01:00-02:30", "22:00-00:30", "00:00-06:00", "12:00-14:00", "01:30-03:00"].map(parseQuietHours);
    // Every 17 minutes over the NY and Lisbon spring-forward and fall-back weeks of 2026.
    const starts = ["2026-03-06T00:00:00Z", "2026-03-27T00:00:00Z", "2026-10-23T00:00:00Z", "2026-10-30T00:00:00Z"];
    for (const zone of zones) {
      for (const quiet of windows) {
        for (const s of starts) {
          for (let t = Date.parse(s), n = 0; n < 3 * 24 * 60 / 17; n++, t += 17 * 60_000) {
            const at = new Date(t);
            const out = moveOutOfQuietHours(at, zone, quiet);
            assert.ok(out.getTime() >= at.getTime(), `${zone} ${formatQuietHours(quiet)} ${at.toISOString()} went back to ${out.toISOString()}`);
            assert.ok(!isInQuietHours(out, zone, quiet), `${zone} ${formatQuietHours(quiet)} ${at.toISOString()} → ${out.toISOString()} still quiet`);
            // The minute before the result is the input itself or still quiet: no allowed minute was skipped.
            const before = new Date(out.getTime() - 60_000);
            assert.ok(out.getTime() === at.getTime() || before.getTime() < at.getTime() || isInQuietHours(before, zone, quiet),
              `${zone} ${formatQuietHours(quiet)} ${at.toISOString()} → ${out.toISOString()} skipped allowed time`);
          }
        }
      }
    }
  });
});

describe("localDate", () => {
  test("the calendar date in the zone, not in UTC", () => {
    const at = new Date("2026-11-26T01:30:00Z");
    assert.equal(localDate(at, SP), "2026-11-25");
    assert.equal(localDate(at, "UTC"), "2026-11-26");
  });
});
