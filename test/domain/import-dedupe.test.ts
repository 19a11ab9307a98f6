import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { DEDUPE_FIELDS, DuplicateTracker, appointmentKey, dedupeRecords, type DedupeRecord } from "../../src/domain/import-dedupe.js";

const base = {
  company_id: "clinica", external_id: "1001", client_name: "João da Silva", client_phone: "5592991234567",
  start_time: "2026-11-24T18:00:00.000Z", end_time: "2026-11-24T18:30:00.000Z", allow_followup: true, status: "booked",
} satisfies DedupeRecord;

const rec = (over: Partial<Record<keyof typeof base, string | boolean>> = {}): DedupeRecord => ({ ...base, ...over }) as DedupeRecord;

describe("DuplicateTracker", () => {
  test("a new key is first; the same record again is a repeat, counted once", () => {
    const t = new DuplicateTracker();
    assert.deepEqual(t.check(3, rec()), { kind: "first" });
    assert.deepEqual(t.check(7, rec()), { kind: "repeat", firstLine: 3, note: "line 7 repeats line 3 exactly: counted once" });
    assert.equal(t.repeats, 1);
    assert.equal(t.size, 1);
  });

  test("the same external_id in another company is another appointment", () => {
    const t = new DuplicateTracker();
    assert.equal(t.check(2, rec()).kind, "first");
    assert.equal(t.check(3, rec({ company_id: "outra" })).kind, "first");
    assert.equal(t.check(4, rec({ external_id: "1002" })).kind, "first");
  });

  test("the same key with other data is a conflict naming both lines and what differs", () => {
    const t = new DuplicateTracker();
    t.check(4, rec());
    const c = t.check(9, rec({ start_time: "2026-11-25T18:00:00.000Z", status: "cancelled" }));
    assert.equal(c.kind, "conflict");
    assert.equal(c.kind === "conflict" && c.firstLine, 4);
    assert.deepEqual(c.kind === "conflict" && c.fields, ["start_time", "status"]);
    assert.equal(
      c.kind === "conflict" && c.error,
      'line 9: external_id "1001" of company clinica repeats line 4 with a different start_time, status: keep the right one of the two lines',
    );
  });

  test("each field is compared, booleans included", () => {
    for (const field of DEDUPE_FIELDS) {
      const t = new DuplicateTracker();
      t.check(2, rec());
      const other = field === "allow_followup" ? false : `${String(base[field])}x`;
      const c = t.check(3, rec({ [field]: other }));
      assert.equal(c.kind, "conflict", field);
      assert.deepEqual(c.kind === "conflict" && c.fields, [field]);
    }
  });

  test("a conflict is not remembered: a later exact repeat of the first line is still a repeat", () => {
    const t = new DuplicateTracker();
    t.check(2, rec());
    assert.equal(t.check(3, rec({ client_name: "Outro" })).kind, "conflict");
    assert.deepEqual(t.check(4, rec()), { kind: "repeat", firstLine: 2, note: "line 4 repeats line 2 exactly: counted once" });
    assert.equal(t.check(5, rec({ client_name: "Outro" })).kind, "conflict");
  });

  test("missing, null and empty values compare equal; values are compared as written (normalise first)", () => {
    const t = new DuplicateTracker();
    t.check(2, { ...rec(), status: undefined } as DedupeRecord);
    assert.equal(t.check(3, { ...rec(), status: "" } as DedupeRecord).kind, "repeat");
    assert.equal(t.check(4, { ...rec(), status: null } as DedupeRecord).kind, "repeat");
    assert.equal(t.check(5, rec({ client_phone: "(92) 99123-4567" })).kind, "conflict", "the importer passes parsed phones");
  });

  test("field order does not matter, nor fields outside the compared ones", () => {
    const t = new DuplicateTracker();
    t.check(2, rec());
    const reordered = Object.fromEntries(Object.entries(rec()).reverse()) as DedupeRecord;
    assert.equal(t.check(3, { ...reordered, note: "Unimed" } as DedupeRecord).kind, "repeat");
  });

  test("values that would run together are still told apart", () => {
    const t = new DuplicateTracker(["a", "b"]);
    t.check(2, { company_id: "c", external_id: "1", a: "ab", b: "c" });
    assert.equal(t.check(3, { company_id: "c", external_id: "1", a: "a", b: "bc" }).kind, "conflict");
  });

  test("keys of the caller's choosing (e.g. row ids)", () => {
    const t = new DuplicateTracker<number>();
    assert.equal(t.check(2, rec(), 41).kind, "first");
    assert.equal(t.check(3, rec({ external_id: "other-spelling" }), 41).kind, "repeat");
    assert.equal(t.check(4, rec(), 42).kind, "first");
  });

  test("notes: the first ones, then one line for the rest", () => {
    const t = new DuplicateTracker();
    t.check(2, rec());
    for (let line = 3; line <= 27; line++) t.check(line, rec());
    assert.equal(t.repeats, 25);
    const notes = t.notes(3);
    assert.deepEqual(notes, [
      "line 3 repeats line 2 exactly: counted once",
      "line 4 repeats line 2 exactly: counted once",
      "line 5 repeats line 2 exactly: counted once",
      "…and 22 more lines repeat an earlier line exactly: each counted once",
    ]);
    assert.equal(t.notes().length, 21);
    assert.deepEqual(new DuplicateTracker().notes(), []);
  });

  test("only keepNotes notes are stored, the count goes on", () => {
    const t = new DuplicateTracker(DEDUPE_FIELDS, 2);
    t.check(2, rec());
    for (let line = 3; line <= 6; line++) t.check(line, rec());
    assert.deepEqual(t.notes(10), [
      "line 3 repeats line 2 exactly: counted once",
      "line 4 repeats line 2 exactly: counted once",
      "…and 2 more lines repeat an earlier line exactly: each counted once",
    ]);
  });

  test("a hundred thousand keys: grows, and every repeat and conflict is still found", () => {
    const t = new DuplicateTracker();
    const n = 100_000;
    for (let i = 0; i < n; i++) assert.equal(t.check(i + 2, rec({ external_id: String(i) })).kind, "first");
    assert.equal(t.size, n);
    let repeats = 0;
    let conflicts = 0;
    for (let i = 0; i < n; i += 1000) {
      if (t.check(n + i, rec({ external_id: String(i) })).kind === "repeat") repeats++;
      const c = t.check(n + i + 1, rec({ external_id: String(i), client_name: "Outra" }));
      if (c.kind === "conflict" && c.firstLine === i + 2) conflicts++;
    }
    assert.equal(repeats, 100);
    assert.equal(conflicts, 100);
  });
});

describe("appointmentKey", () => {
  test("company and external id, unambiguous", () => {
    assert.notEqual(appointmentKey({ company_id: "a", external_id: "b c" }), appointmentKey({ company_id: "a b", external_id: "c" }));
    assert.equal(appointmentKey({ company_id: "a", external_id: "1" }), appointmentKey(rec({ company_id: "a", external_id: "1" })));
  });
});

describe("dedupeRecords", () => {
  test("keeps first occurrences, notes exact repeats, errors on conflicts", () => {
    const rows = [
      { line: 2, record: rec() },
      { line: 3, record: rec({ external_id: "1002", client_name: "Maria" }) },
      { line: 7, record: rec() },
      { line: 9, record: rec({ external_id: "1002", client_name: "Maria", end_time: "2026-11-24T19:00:00.000Z" }) },
      { line: 10, record: rec({ external_id: "1003" }) },
    ];
    const r = dedupeRecords(rows);
    assert.deepEqual(r.kept.map((k) => k.line), [2, 3, 10]);
    assert.deepEqual(r.notes, ["line 7 repeats line 2 exactly: counted once"]);
    assert.deepEqual(r.errors, ['line 9: external_id "1002" of company clinica repeats line 3 with a different end_time: keep the right one of the two lines']);
  });
});
