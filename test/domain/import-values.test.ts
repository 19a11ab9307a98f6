import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  STATUS_WORDS, foldWord, isKnownZone, joinDateTime, parseAppointmentStatus, parseConsent, parseImportDateTime, parseImportEndTime,
  parseImportPhone, type ValueResult,
} from "../../src/domain/import-values.js";

const SP = "America/Sao_Paulo"; // UTC−3 all year since 2019
const MANAUS = "America/Manaus"; // UTC−4

function value<T>(r: ValueResult<T>): T {
  assert.ok(r.ok, `expected a value, got: ${r.ok ? "" : r.reason}`);
  return r.value;
}

function reason<T>(r: ValueResult<T>): string {
  assert.ok(!r.ok, `expected a reason, got the value ${r.ok ? JSON.stringify(r.value) : ""}`);
  return r.reason;
}

describe("parseImportDateTime", () => {
  test("Brazilian ways of writing 24 November 2026, 14:00 in São Paulo", () => {
    for (const raw of [
      "24/11/2026 14:00", "24/11/2026 14h", "24/11/2026 14H", "24/11/2026 14h00", "24/11/2026 às 14:00", "24/11/2026 ÀS 14h",
      "24/11/2026 as 14:00", "24/11/2026, 14:00", "24/11/2026 - 14:00", "24/11/2026 14:00:00", "24/11/2026 14:00h",
      "24/11/2026 14hs", "24/11/2026 14 h", "24-11-2026 14:00", "24.11.2026 14:00", "24/11/26 14:00", "  24/11/2026\u00A014:00  ",
      "24/11/2026 2:00 PM", "24/11/2026 2 pm", "24/11/2026T14:00",
    ]) {
      assert.equal(value(parseImportDateTime(raw, SP)), "2026-11-24T17:00:00.000Z", raw);
    }
  });

  test("minutes and seconds", () => {
    assert.equal(value(parseImportDateTime("24/11/2026 14h30", SP)), "2026-11-24T17:30:00.000Z");
    assert.equal(value(parseImportDateTime("24/11/2026 14h30min", SP)), "2026-11-24T17:30:00.000Z");
    assert.equal(value(parseImportDateTime("24/11/2026 14.30", SP)), "2026-11-24T17:30:00.000Z");
    assert.equal(value(parseImportDateTime("4/3/2026 9:05:07", SP)), "2026-03-04T12:05:07.000Z");
    assert.equal(value(parseImportDateTime("24/11/2026 12:00 am", SP)), "2026-11-24T03:00:00.000Z");
    assert.equal(value(parseImportDateTime("24/11/2026 12:30 pm", SP)), "2026-11-24T15:30:00.000Z");
  });

  test("ISO dates: local in the company's zone, or with their own offset", () => {
    assert.equal(value(parseImportDateTime("2026-11-24 14:00", SP)), "2026-11-24T17:00:00.000Z");
    assert.equal(value(parseImportDateTime("2026-11-24T14:00", MANAUS)), "2026-11-24T18:00:00.000Z");
    assert.equal(value(parseImportDateTime("2026-11-24T14:00:00-03:00", MANAUS)), "2026-11-24T17:00:00.000Z");
    assert.equal(value(parseImportDateTime("2026-11-24T17:00Z", SP)), "2026-11-24T17:00:00.000Z");
    assert.equal(value(parseImportDateTime("2026-11-24T17:00:00.250Z", SP)), "2026-11-24T17:00:00.250Z");
    assert.equal(value(parseImportDateTime("2026-11-24 17:00:00+00", SP)), "2026-11-24T17:00:00.000Z"); // PostgreSQL
    assert.equal(value(parseImportDateTime("2026-11-24T14:00:00-0300", SP)), "2026-11-24T17:00:00.000Z");
    assert.equal(value(parseImportDateTime("2026-11-24 às 14h", SP)), "2026-11-24T17:00:00.000Z");
  });

  test("the company's zone decides local times", () => {
    assert.equal(value(parseImportDateTime("24/11/2026 14:00", MANAUS)), "2026-11-24T18:00:00.000Z");
    assert.equal(value(parseImportDateTime("24/11/2026 14:00", "America/Noronha")), "2026-11-24T16:00:00.000Z");
    // A zone with DST: Lisbon is UTC+0 in November, UTC+1 in July.
    assert.equal(value(parseImportDateTime("24/11/2026 14:00", "Europe/Lisbon")), "2026-11-24T14:00:00.000Z");
    assert.equal(value(parseImportDateTime("24/07/2026 14:00", "Europe/Lisbon")), "2026-07-24T13:00:00.000Z");
  });

  test("impossible dates and times say what is wrong", () => {
    assert.equal(reason(parseImportDateTime("31/02/2026 14:00", SP)), '"31/02/2026 14:00" is not a real date');
    assert.equal(reason(parseImportDateTime("29/02/2026 14:00", SP)), '"29/02/2026 14:00" is not a real date');
    assert.ok(parseImportDateTime("29/02/2028 14:00", SP).ok, "leap year");
    // The calendar is checked by arithmetic: centuries are leap years only every 400.
    assert.ok(parseImportDateTime("29/02/2000 14:00", SP).ok, "2000 is a leap year");
    assert.equal(reason(parseImportDateTime("29/02/2100 14:00", SP)), '"29/02/2100 14:00" is not a real date');
    assert.equal(reason(parseImportDateTime("31/04/2026 14:00", SP)), '"31/04/2026 14:00" is not a real date');
    assert.ok(parseImportDateTime("31/12/2026 14:00", SP).ok);
    assert.equal(reason(parseImportDateTime("00/12/2026 14:00", SP)), '"00/12/2026 14:00" is not a real date');
    assert.equal(reason(parseImportDateTime("24/11/2026 25:00", SP)), '"24/11/2026 25:00" has an impossible time');
    assert.equal(reason(parseImportDateTime("24/11/2026 14:60", SP)), '"24/11/2026 14:60" has an impossible time');
    assert.equal(reason(parseImportDateTime("2026-11-24T24:00", SP)), '"2026-11-24T24:00" has an impossible time');
    assert.equal(reason(parseImportDateTime("2026-11-24T14:00+15:00", SP)), '"2026-11-24T14:00+15:00" has an impossible UTC offset');
    assert.equal(reason(parseImportDateTime("24/11/2026 13 pm", SP)), '"24/11/2026 13 pm" has an impossible time');
    assert.equal(reason(parseImportDateTime("24/11/1026 14:00", SP)), '"24/11/1026 14:00" has an implausible year');
  });

  test("month/day/year (a US export) is refused with the reason, not silently swapped", () => {
    assert.equal(reason(parseImportDateTime("11/24/2026 14:00", SP)), '"11/24/2026 14:00" is not a date: dates are read day/month/year');
    // Both readings possible: day/month/year wins (4 March).
    assert.equal(value(parseImportDateTime("04/03/2026 10:00", SP)), "2026-03-04T13:00:00.000Z");
  });

  test("a date without a time, or text that is no date", () => {
    assert.match(reason(parseImportDateTime("24/11/2026", SP)), /^"24\/11\/2026" has no time: write it like 24\/11\/2026 14:00/);
    assert.match(reason(parseImportDateTime("2026-11-24", SP)), /has no time/);
    assert.match(reason(parseImportDateTime("amanhã às 14h", SP)), /^"amanhã às 14h" is not a date and time like 24\/11\/2026 14:00 or 2026-11-24T14:00-03:00$/);
    assert.match(reason(parseImportDateTime("24/11/2026 depois do almoço", SP)), /is not a date and time/);
    assert.match(reason(parseImportDateTime("24/11/2026 14", SP)), /is not a date and time/);
    assert.match(reason(parseImportDateTime("24/11/2026 14.", SP)), /is not a date and time/);
    assert.match(reason(parseImportDateTime("241120261400", SP)), /is not a date and time/);
    assert.equal(reason(parseImportDateTime("   ", SP)), "is empty");
  });

  test("an unknown company zone is a reason, even for local times only", () => {
    assert.match(reason(parseImportDateTime("24/11/2026 14:00", "America/Atlantis")), /time zone "America\/Atlantis" is unknown/);
    // A time with its own offset needs no zone.
    assert.equal(value(parseImportDateTime("2026-11-24T14:00-03:00", "America/Atlantis")), "2026-11-24T17:00:00.000Z");
    assert.equal(isKnownZone("America/Manaus"), true);
    assert.equal(isKnownZone("America/Atlantis"), false);
  });
});

describe("parseImportEndTime", () => {
  const start = "2026-11-24T17:00:00.000Z"; // 14:00 in São Paulo

  test("a bare time is on the start's local day", () => {
    assert.equal(value(parseImportEndTime("15:00", SP, start)), "2026-11-24T18:00:00.000Z");
    assert.equal(value(parseImportEndTime("15h", SP, start)), "2026-11-24T18:00:00.000Z");
    assert.equal(value(parseImportEndTime("14h45", SP, start)), "2026-11-24T17:45:00.000Z");
  });

  test("the local day, not the UTC one: 22:00 in Manaus is the next day in UTC", () => {
    const late = value(parseImportDateTime("24/11/2026 21:00", MANAUS)); // 01:00Z on the 25th
    assert.equal(value(parseImportEndTime("22:00", MANAUS, late)), "2026-11-25T02:00:00.000Z");
  });

  test("a full date and time works as for the start", () => {
    assert.equal(value(parseImportEndTime("24/11/2026 15:30", SP, start)), "2026-11-24T18:30:00.000Z");
  });

  test("not after the start, or unreadable", () => {
    assert.equal(reason(parseImportEndTime("13h", SP, start)), '"13h" is not after start_time');
    assert.equal(reason(parseImportEndTime("14:00", SP, start)), '"14:00" is not after start_time');
    assert.equal(reason(parseImportEndTime("25:00", SP, start)), '"25:00" has an impossible time');
    assert.match(reason(parseImportEndTime("depois", SP, start)), /is not a date and time/);
    assert.equal(reason(parseImportEndTime("", SP, start)), "is empty");
  });
});

describe("joinDateTime", () => {
  test("date and time cells become one value", () => {
    assert.equal(joinDateTime(["24/11/2026", "14:00"]), "24/11/2026 14:00");
    assert.equal(joinDateTime([" 24/11/2026 ", " 14h "]), "24/11/2026 14h");
  });

  test("a date cell that also holds a time keeps only its date", () => {
    assert.equal(joinDateTime(["2026-11-24 00:00:00", "14:00"]), "2026-11-24 14:00");
    assert.equal(joinDateTime(["24/11/2026 14:00", "15:00"]), "24/11/2026 15:00");
  });

  test("a later cell with its own date wins; empty cells are left out", () => {
    assert.equal(joinDateTime(["24/11/2026", "24/11/2026 14:00"]), "24/11/2026 14:00");
    assert.equal(joinDateTime(["24/11/2026", ""]), "24/11/2026");
    assert.equal(joinDateTime(["", "14:00"]), "14:00");
    assert.equal(joinDateTime(["", ""]), "");
    assert.equal(joinDateTime(["amanhã", "14:00"]), "amanhã 14:00");
  });

  test("joined values parse", () => {
    assert.equal(value(parseImportDateTime(joinDateTime(["24/11/2026", "14h30"]), SP)), "2026-11-24T17:30:00.000Z");
  });
});

describe("parseAppointmentStatus", () => {
  test("booked: the appointment stands or took place", () => {
    for (const raw of ["booked", "Agendado", "AGENDADA", "Confirmado", "confirmada", "Marcado", "Pendente", "A confirmar", "Não confirmado",
      "Em espera", "Chegou", "Em atendimento", "Realizado", "Atendido", "Concluído", "Finalizada", "Compareceu", "  agendado. "]) {
      assert.equal(value(parseAppointmentStatus(raw)), "booked", raw);
    }
  });

  test("cancelled: no follow-up, including no-shows and rescheduled rows", () => {
    for (const raw of ["cancelled", "canceled", "Cancelado", "CANCELADA", "Desmarcado", "desmarcada", "Faltou", "Falta", "Não compareceu",
      "nao compareceu", "No-show", "Ausente", "Remarcado", "Reagendado", "Cancelado pelo paciente"]) {
      assert.equal(value(parseAppointmentStatus(raw)), "cancelled", raw);
    }
  });

  test("empty is booked, as the import always read it", () => {
    assert.equal(value(parseAppointmentStatus("")), "booked");
    assert.equal(value(parseAppointmentStatus("  ")), "booked");
  });

  test("unknown words are refused with examples", () => {
    assert.equal(
      reason(parseAppointmentStatus("Em análise")),
      '"Em análise" is not a status this import knows: booked (agendado, confirmado, realizado…) or cancelled (cancelado, desmarcado, faltou…)',
    );
  });

  test("a system's own words can be added, and override", () => {
    assert.equal(value(parseAppointmentStatus("Bloqueado", { bloqueado: "cancelled" })), "cancelled");
    assert.equal(value(parseAppointmentStatus("Remarcado", { remarcado: "booked" })), "booked");
  });

  test("the table's keys are folded, so lookups can match them", () => {
    for (const key of Object.keys(STATUS_WORDS)) assert.equal(foldWord(key), key);
  });
});

describe("parseConsent", () => {
  test("yes", () => {
    for (const raw of ["true", "TRUE", "1", "sim", "Sim", "SIM.", "s", "S", "yes", "y", "x", "X", "✓", "✔️", "t", "Aceita", "Autorizado", "ok"]) {
      assert.equal(value(parseConsent(raw)), true, raw);
    }
  });

  test("no, and empty is no (consent is never assumed)", () => {
    for (const raw of ["false", "0", "não", "Não", "NÃO", "nao", "n", "N", "no", "f", "", "  ", "-", "Não aceita", "Recusado"]) {
      assert.equal(value(parseConsent(raw)), false, JSON.stringify(raw));
    }
  });

  test("anything else is a reason listing the accepted forms", () => {
    assert.equal(reason(parseConsent("talvez")), '"talvez" is not a yes or no (sim/não, S/N, 1/0, true/false, x or empty)');
    assert.ok(!parseConsent("2").ok);
    assert.ok(!parseConsent("sim não").ok);
  });
});

describe("parseImportPhone", () => {
  test("Brazilian numbers as clinic systems store them", () => {
    for (const [raw, want] of [
      ["0XX92 99123-4567", "5592991234567"],
      ["0xx92 99123-4567", "5592991234567"],
      ["(0XX92) 99123-4567", "5592991234567"],
      ["(92) 99123-4567", "5592991234567"],
      ["+55 92 99123-4567", "5592991234567"],
      ["+55 (92) 99123-4567", "5592991234567"],
      ["092991234567", "5592991234567"],
      ["(092) 99123-4567", "5592991234567"],
      ["92991234567", "5592991234567"],
      ["5592991234567", "5592991234567"],
      ["92 99123 4567", "5592991234567"],
      ["92\u00A099123-4567", "5592991234567"],
      ["Cel: (92) 99123-4567", "5592991234567"],
      ["WhatsApp - 92 99123-4567", "5592991234567"],
      ["(92) 3234-5678", "559232345678"], // a landline is still a number
    ] as const) {
      assert.equal(value(parseImportPhone(raw)), want, raw);
    }
  });

  test("several numbers in one cell: the first mobile, else the first number", () => {
    assert.equal(value(parseImportPhone("(92) 3234-5678 / (92) 99123-4567")), "5592991234567");
    assert.equal(value(parseImportPhone("(92) 99123-4567 / (92) 99999-0000")), "5592991234567");
    assert.equal(value(parseImportPhone("(92) 3234-5678; (92) 3234-0000")), "559232345678");
    assert.equal(value(parseImportPhone("92 3234-5678 ou 92 99123-4567")), "5592991234567");
    assert.equal(value(parseImportPhone("abc / (92) 99123-4567")), "5592991234567");
  });

  test("not phones", () => {
    assert.equal(reason(parseImportPhone("sem telefone")), '"sem telefone" is not a phone number (e.g. (92) 99123-4567 or +55 92 99123-4567)');
    assert.match(reason(parseImportPhone("(30) 99123-4567")), /is not a phone number/); // no DDD 30
    assert.match(reason(parseImportPhone("99123-4567")), /is not a phone number/); // no DDD
    assert.equal(reason(parseImportPhone("")), "is empty");
  });

  test("Excel's scientific notation lost the digits: say how to avoid it", () => {
    assert.match(reason(parseImportPhone("5.59299E+12")), /Excel rounded \(scientific notation\): format the column as Text/);
    assert.match(reason(parseImportPhone("5,59299E+12")), /scientific notation/);
  });
});

describe("foldWord", () => {
  test("case, accents, spaces and surrounding punctuation go", () => {
    assert.equal(foldWord("  Não  Compareceu. "), "nao compareceu");
    assert.equal(foldWord("CONCLUÍDO!"), "concluido");
    assert.equal(foldWord("(Sim)"), "sim");
    assert.equal(foldWord("no-show"), "no-show");
  });
});
