import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { DateTime } from "luxon";
import { findFreeSlots, parseSlotChoice, type FindFreeSlotsInput } from "../../src/domain/slots.js";
import { parseBusinessHours } from "../../src/domain/hours.js";

const SP = "America/Sao_Paulo";
const NY = "America/New_York";
const LISBON = "Europe/Lisbon";

/** A local wall time in `zone` as an instant: local("2025-12-01 09:00", SP). */
function local(text: string, zone = SP): Date {
  const dt = DateTime.fromFormat(text, "yyyy-MM-dd HH:mm", { zone });
  assert.ok(dt.isValid, `bad test time ${text}`);
  return dt.toJSDate();
}

function show(slots: Date[], zone = SP): string[] {
  return slots.map((d) => DateTime.fromJSDate(d, { zone }).toFormat("ccc yyyy-MM-dd HH:mm"));
}

const WEEKDAYS = parseBusinessHours("mon-fri 09:00-18:00");

function find(overrides: Partial<FindFreeSlotsInput> & Pick<FindFreeSlotsInput, "after">): Date[] {
  return findFreeSlots({ durationMinutes: 60, businessHours: WEEKDAYS, timezone: SP, busy: [], ...overrides });
}

describe("findFreeSlots", () => {
  test("the next three non-overlapping slots after the lead time", () => {
    // Monday 2025-12-01 07:30 + 60 min lead → from 08:30, first opening 09:00.
    const slots = find({ after: local("2025-12-01 07:30") });
    assert.deepEqual(show(slots), ["Mon 2025-12-01 09:00", "Mon 2025-12-01 10:00", "Mon 2025-12-01 11:00"]);
  });

  test("lead time rounds up to the next local step", () => {
    const slots = find({ after: local("2025-12-01 09:10"), count: 1 });
    assert.deepEqual(show(slots), ["Mon 2025-12-01 10:30"]);
  });

  test("a 60-minute duration on a 30-minute step does not offer 09:00 and 09:30 together", () => {
    const slots = find({ after: local("2025-12-01 06:00"), busy: [{ start: local("2025-12-01 09:00"), end: local("2025-12-01 09:30") }] });
    assert.deepEqual(show(slots), ["Mon 2025-12-01 09:30", "Mon 2025-12-01 10:30", "Mon 2025-12-01 11:30"]);
  });

  test("busy intervals that only touch a slot do not block it", () => {
    const busy = [
      { start: local("2025-12-01 08:00"), end: local("2025-12-01 09:00") },
      { start: local("2025-12-01 10:00"), end: local("2025-12-01 11:00") },
    ];
    const slots = find({ after: local("2025-12-01 06:00"), busy });
    assert.deepEqual(show(slots), ["Mon 2025-12-01 09:00", "Mon 2025-12-01 11:00", "Mon 2025-12-01 12:00"]);
  });

  test("a busy interval overlapping by one minute blocks", () => {
    const busy = [{ start: local("2025-12-01 09:59"), end: local("2025-12-01 10:01") }];
    const slots = find({ after: local("2025-12-01 06:00"), busy, count: 2 });
    // 09:00 would end 10:00 > 09:59; 09:30 too; 10:00 starts before 10:01; first free is 10:30.
    assert.deepEqual(show(slots), ["Mon 2025-12-01 10:30", "Mon 2025-12-01 11:30"]);
  });

  test("a slot may end exactly at closing time, but not start at it", () => {
    const slots = find({ after: local("2025-12-01 16:00"), minLeadMinutes: 0 });
    assert.deepEqual(show(slots), ["Mon 2025-12-01 16:00", "Mon 2025-12-01 17:00", "Tue 2025-12-02 09:00"]);
    const halfHour = find({ after: local("2025-12-01 17:30"), minLeadMinutes: 0, durationMinutes: 30, count: 2 });
    assert.deepEqual(show(halfHour), ["Mon 2025-12-01 17:30", "Tue 2025-12-02 09:00"]);
    const atClose = find({ after: local("2025-12-01 18:00"), minLeadMinutes: 0, durationMinutes: 30, count: 1 });
    assert.deepEqual(show(atClose), ["Tue 2025-12-02 09:00"]);
  });

  test("weekends are skipped", () => {
    const slots = find({ after: local("2025-12-05 17:30"), count: 2 }); // Friday
    assert.deepEqual(show(slots), ["Mon 2025-12-08 09:00", "Mon 2025-12-08 10:00"]);
  });

  test("lunch break: a slot never straddles two windows", () => {
    const hours = parseBusinessHours("mon-fri 09:00-12:00,14:00-18:00");
    const hour = find({ after: local("2025-12-01 10:30"), businessHours: hours });
    assert.deepEqual(show(hour), ["Mon 2025-12-01 14:00", "Mon 2025-12-01 15:00", "Mon 2025-12-01 16:00"]);
    const half = find({ after: local("2025-12-01 10:30"), businessHours: hours, durationMinutes: 30 });
    assert.deepEqual(show(half), ["Mon 2025-12-01 11:30", "Mon 2025-12-01 14:00", "Mon 2025-12-01 14:30"]);
  });

  test("Saturday mornings and overlapping windows of one day", () => {
    const hours = parseBusinessHours("mon-fri 09:00-18:00; sat 09:00-12:00; sat 11:00-13:00");
    const slots = find({ after: local("2025-12-05 18:00"), businessHours: hours, count: 5 });
    // Saturday's two windows merge into 09:00-13:00.
    assert.deepEqual(show(slots), [
      "Sat 2025-12-06 09:00", "Sat 2025-12-06 10:00", "Sat 2025-12-06 11:00", "Sat 2025-12-06 12:00", "Mon 2025-12-08 09:00",
    ]);
  });

  test("a window that starts off the step offers its own opening time", () => {
    const hours = parseBusinessHours("mon-fri 09:15-10:15");
    const slots = find({ after: local("2025-12-01 06:00"), businessHours: hours, count: 2 });
    assert.deepEqual(show(slots), ["Mon 2025-12-01 09:15", "Tue 2025-12-02 09:15"]);
  });

  test("São Paulo (no DST): 09:00 local is always 12:00Z", () => {
    const slots = find({ after: local("2025-10-31 17:00"), count: 1, horizonDays: 200 });
    assert.equal(slots[0]?.toISOString(), "2025-11-03T12:00:00.000Z");
    const summer = find({ after: local("2026-01-09 17:00"), count: 1 });
    assert.equal(summer[0]?.toISOString(), "2026-01-12T12:00:00.000Z");
  });

  test("New York spring-forward: 09:00 stays 09:00 local across the change", () => {
    const hours = parseBusinessHours("mon-sun 09:00-18:00");
    const slots = findFreeSlots({
      after: local("2025-03-08 16:00", NY), durationMinutes: 60, businessHours: hours, timezone: NY, busy: [], count: 3,
    });
    assert.deepEqual(show(slots, NY), ["Sat 2025-03-08 17:00", "Sun 2025-03-09 09:00", "Sun 2025-03-09 10:00"]);
    assert.equal(slots[0]?.toISOString(), "2025-03-08T22:00:00.000Z"); // EST, -5
    assert.equal(slots[1]?.toISOString(), "2025-03-09T13:00:00.000Z"); // EDT, -4
  });

  test("New York: wall times inside the DST gap are skipped, and a slot cannot outlast its window in real time", () => {
    const night = parseBusinessHours("sun 01:00-04:00");
    const base = { after: local("2025-03-08 12:00", NY), businessHours: night, timezone: NY, busy: [] };
    const half = findFreeSlots({ ...base, durationMinutes: 30, count: 4 });
    assert.deepEqual(half.map((d) => d.toISOString()), [
      "2025-03-09T06:00:00.000Z", // 01:00 EST
      "2025-03-09T06:30:00.000Z", // 01:30 EST
      "2025-03-09T07:00:00.000Z", // 03:00 EDT (02:00 and 02:30 do not exist)
      "2025-03-09T07:30:00.000Z", // 03:30 EDT
    ]);
    // 01:00-04:00 that night lasts only two real hours: a 3-hour slot waits for the next Sunday.
    const long = findFreeSlots({ ...base, durationMinutes: 180, count: 1 });
    assert.deepEqual(show(long, NY), ["Sun 2025-03-16 01:00"]);
  });

  test("Lisbon fall-back: offsets change, local times do not", () => {
    const slots = findFreeSlots({
      after: local("2025-10-24 16:00", LISBON), durationMinutes: 60, businessHours: WEEKDAYS, timezone: LISBON, busy: [], count: 2,
    });
    assert.deepEqual(show(slots, LISBON), ["Fri 2025-10-24 17:00", "Mon 2025-10-27 09:00"]);
    assert.equal(slots[0]?.toISOString(), "2025-10-24T16:00:00.000Z"); // WEST, +1
    assert.equal(slots[1]?.toISOString(), "2025-10-27T09:00:00.000Z"); // WET, +0
  });

  test("nothing free within the horizon gives an empty list", () => {
    const busy = [{ start: local("2025-12-01 00:00"), end: local("2025-12-31 00:00") }];
    assert.deepEqual(find({ after: local("2025-12-01 06:00"), busy }), []);
    assert.deepEqual(find({ after: local("2025-12-06 06:00"), horizonDays: 1 }), []); // Saturday only
    assert.deepEqual(find({ after: local("2025-12-01 06:00"), count: 0 }), []);
  });

  test("the horizon is counted from `after`", () => {
    // Friday 17:30, horizon 3 days → until Monday 17:30; Monday 09:00 is inside.
    assert.deepEqual(show(find({ after: local("2025-12-05 17:30"), horizonDays: 3, count: 1 })), ["Mon 2025-12-08 09:00"]);
    assert.deepEqual(find({ after: local("2025-12-05 17:30"), horizonDays: 2, count: 1 }), []);
  });

  test("unsorted, overlapping and empty busy intervals are handled", () => {
    const busy = [
      { start: local("2025-12-01 13:00"), end: local("2025-12-01 14:00") },
      { start: local("2025-12-01 09:00"), end: local("2025-12-01 11:00") },
      { start: local("2025-12-01 10:00"), end: local("2025-12-01 12:30") },
      { start: local("2025-12-01 15:00"), end: local("2025-12-01 15:00") },
    ];
    const slots = find({ after: local("2025-12-01 06:00"), busy });
    assert.deepEqual(show(slots), ["Mon 2025-12-01 14:00", "Mon 2025-12-01 15:00", "Mon 2025-12-01 16:00"]);
  });

  test("bad arguments are refused", () => {
    assert.throws(() => find({ after: local("2025-12-01 06:00"), durationMinutes: 0 }), RangeError);
    assert.throws(() => find({ after: local("2025-12-01 06:00"), stepMinutes: 0 }), RangeError);
    assert.throws(() => find({ after: local("2025-12-01 06:00"), timezone: "Mars/Olympus" }), RangeError);
  });

  test("hundreds of busy intervals: same answer as a brute-force search", () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const hours = parseBusinessHours("mon-fri 08:00-12:00,13:00-19:00; sat 09:00-13:00");
    for (const zone of [SP, NY, LISBON]) {
      for (let round = 0; round < 5; round++) {
        const after = local("2025-10-20 07:00", zone);
        const busy = Array.from({ length: 400 }, () => {
          const start = after.getTime() + Math.floor(random() * 24 * 24 * 4) * 15 * 60_000;
          return { start: new Date(start), end: new Date(start + (1 + Math.floor(random() * 8)) * 15 * 60_000) };
        });
        const input: FindFreeSlotsInput = { after, durationMinutes: 45, businessHours: hours, timezone: zone, busy, count: 6, horizonDays: 30 };
        assert.deepEqual(findFreeSlots(input).map((d) => d.toISOString()), bruteForce(input).map((d) => d.toISOString()), `${zone} round ${round}`);
      }
    }
  });
});

/** The rules written the slow, obvious way: every candidate against every busy interval. */
function bruteForce(input: FindFreeSlotsInput): Date[] {
  const out: Date[] = [];
  const lead = input.after.getTime() + (input.minLeadMinutes ?? 60) * 60_000;
  const horizon = DateTime.fromJSDate(input.after, { zone: input.timezone }).plus({ days: input.horizonDays ?? 21 }).toMillis();
  const step = input.stepMinutes ?? 30;
  const dur = input.durationMinutes * 60_000;
  for (let day = DateTime.fromMillis(lead, { zone: input.timezone }).startOf("day"); day.toMillis() < horizon; day = day.plus({ days: 1 })) {
    const starts: number[] = [];
    for (const w of input.businessHours.filter((w) => w.days.includes(day.weekday))) {
      const end = day.set({ hour: Math.floor(w.end / 60), minute: w.end % 60 }).toMillis();
      for (let m = w.start; m + input.durationMinutes <= w.end; m += step) {
        const dt = day.set({ hour: Math.floor(m / 60), minute: m % 60 });
        if (dt.hour * 60 + dt.minute !== m) continue;
        if (dt.toMillis() + dur <= end) starts.push(dt.toMillis());
      }
    }
    for (const s of [...new Set(starts)].sort((a, b) => a - b)) {
      if (s < lead || s >= horizon) continue;
      if (input.busy.some((b) => b.start.getTime() < s + dur && b.end.getTime() > s)) continue;
      if (out.some((o) => o.getTime() < s + dur && o.getTime() + dur > s)) continue;
      out.push(new Date(s));
      if (out.length === (input.count ?? 3)) return out;
    }
  }
  return out;
}

describe("parseSlotChoice", () => {
  // terça 02/12 14:00, quarta 03/12 09:00, quinta 04/12 10:30 (São Paulo)
  const offered = [local("2025-12-02 14:00"), local("2025-12-03 09:00"), local("2025-12-04 10:30")];
  const choice = (text: string, slots = offered) => parseSlotChoice(text, slots, SP);

  test("option numbers", () => {
    for (const [text, want] of [
      ["1", 0], ["2", 1], [" 3 ", 2], ["2)", 1], ["2.", 1], ["3️⃣", 2], ["2️⃣ por favor", 1],
      ["opção 2", 1], ["Opção 2!", 1], ["opcao 3", 2], ["nº 1", 0], ["número dois", 1], ["opção um", 0],
      ["quero a 2, obrigada", 1], ["Pode ser o 1", 0], ["sim, a 3", 2], ["Sim! Opção 3 por favor 🙏", 2], ["ok 2", 1],
    ] as const) {
      assert.equal(choice(text), want, text);
    }
  });

  test("ordinals", () => {
    for (const [text, want] of [
      ["a primeira", 0], ["Primeira opção", 0], ["o primeiro", 0], ["segunda opção", 1], ["a segunda", 1],
      ["o segundo", 1], ["o segundo horário", 1], ["terceira", 2], ["2ª", 1], ["1º", 0], ["2a opção", 1],
      ["a última", 2], ["fico com a terceira opção", 2], ["A primeira está ótima", 0],
    ] as const) {
      assert.equal(choice(text), want, text);
    }
  });

  test("the slot's own time and date, in local time", () => {
    for (const [text, want] of [
      ["14:00", 0], ["14h", 0], ["14h00", 0], ["às 14h", 0], ["as 14", 0], ["terça 14h", 0], ["Terça-feira às 14h", 0],
      ["dia 02/12 às 14:00", 0], ["02/12", 0], ["dia 3", 1], ["10:30", 2], ["10h30", 2], ["quinta 10:30", 2],
      ["2 da tarde", 0], ["às 2 da tarde", 0], ["9 da manhã", 1], ["9h da manhã", 1], ["às 2", 0], ["9h", 1], ["pode ser na quarta às 9h?", 1], ["terça", 0],
      ["Pode ser na terça?", 0], ["terça-feira, 14h", 0], ["prefiro quarta de manhã", 1], ["à tarde", 0], ["a de terça", 0],
      ["terça às 14h está ótimo", 0],
    ] as const) {
      assert.equal(choice(text), want, text);
    }
  });

  test("not a choice: null", () => {
    for (const text of [
      "4", "0", "14", "15h", "sim", "Sim, quero marcar", "pode ser dia 20?", "Vc tem horario na primeira semana do mes?",
      "1 ou 2", "opção 2 às 14h", "terça 09:00", "dia 05/12", "segunda às 10", "sexta", "", "👍",
      "O atendimento foi excelente, só preciso de mais materiais.", "25:00", "a quarta opção", "2 da manhã",
      "de manhã", "quarta à tarde", "nao obg", "pode marcar pra daqui 15 dias", "semana que vem quinta às 14h",
      "Vamos sim! Segunda às 10h dá?",
    ]) {
      assert.equal(choice(text), null, text);
    }
    assert.equal(choice("1", []), null);
    assert.equal(choice("2", [offered[0]!]), null);
    assert.equal(choice("2 ".repeat(150)), null);
  });

  test("'segunda' is Monday or 'second' depending on its neighbours and the offer", () => {
    // No Monday offered: bare "segunda" can only be the second option.
    assert.equal(choice("segunda"), 1);
    const withMonday = [local("2025-12-01 15:00"), local("2025-12-02 14:00"), local("2025-12-03 09:00")];
    // Monday is option 1 and "second" is option 2: ambiguous, ask again.
    assert.equal(choice("segunda", withMonday), null);
    assert.equal(choice("segunda-feira", withMonday), 0);
    assert.equal(choice("na segunda", withMonday), 0);
    assert.equal(choice("segunda 15h", withMonday), 0);
    assert.equal(choice("a segunda", withMonday), 1);
    assert.equal(choice("segunda opção", withMonday), 1);
    // Both readings point at the same slot.
    const mondaySecond = [local("2025-11-28 15:00"), local("2025-12-01 09:00")];
    assert.equal(choice("segunda", mondaySecond), 1);
    // "quinta" as an ordinal would be 5 (out of range): it is Thursday.
    assert.equal(choice("quinta"), 2);
    assert.equal(choice("quarta"), 1);
  });

  test("several slots at the same time: the weekday or date decides", () => {
    const sameHour = [local("2025-12-02 14:00"), local("2025-12-03 14:00")];
    assert.equal(choice("14h", sameHour), null);
    assert.equal(choice("quarta 14h", sameHour), 1);
    assert.equal(choice("dia 02/12 às 14:00", sameHour), 0);
  });

  test("local time, not UTC, is what the customer reads", () => {
    // 14:00 in São Paulo is 17:00Z: "17h" is not a slot.
    assert.equal(choice("17h"), null);
    const ny = [local("2025-12-02 14:00", NY)];
    assert.equal(parseSlotChoice("14h", ny, NY), 0);
    assert.equal(parseSlotChoice("14h", ny, SP), null);
  });
});
