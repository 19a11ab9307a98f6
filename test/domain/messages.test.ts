import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { DateTime } from "luxon";
import {
  FEEDBACK_REPLY,
  NEGATIVE_REPLY,
  NO_FREE_SLOTS_REPLY,
  POSITIVE_REPLY_HEADER,
  bookingConfirmationMessage,
  firstName,
  followupMessage,
  formatSlotPtBR,
  slotChoiceNotUnderstoodMessage,
  slotSuggestionsMessage,
  slotTakenMessage,
  validateTemplate,
  whenPhrase,
} from "../../src/domain/messages.js";
import { moveOutOfQuietHours, parseQuietHours } from "../../src/domain/hours.js";

const SP = "America/Sao_Paulo";

function local(text: string, zone = SP): Date {
  const dt = DateTime.fromFormat(text, "yyyy-MM-dd HH:mm", { zone });
  assert.ok(dt.isValid, `bad test time ${text}`);
  return dt.toJSDate();
}

const RELEASE_NOTES_TEXT =
  "Espero que tenha corrido tudo bem na reunião de hoje, Ana. 😊\n" +
  "Gostaria de marcar o próximo encontro?\n" +
  "\n" +
  "✅ Sim, quero marcar\n" +
  "❌ Não, obrigado";

describe("followupMessage", () => {
  const sameDay = { appointmentEnd: local("2025-11-24 15:00"), sendAt: local("2025-11-24 16:00"), timezone: SP };

  test("the release-notes text, word for word", () => {
    assert.equal(followupMessage({ clientName: "Ana", ...sameDay }), RELEASE_NOTES_TEXT);
  });

  test("first name only, trimmed and capitalised", () => {
    assert.equal(followupMessage({ clientName: "  ana maria souza ", ...sameDay }), RELEASE_NOTES_TEXT);
    for (const [raw, want] of [
      ["  ana maria souza ", "Ana"], ["ANA MARIA", "Ana"], ["joão", "João"], ["ÉRICA", "Érica"], ["ana-clara silva", "Ana-Clara"],
      ["McKenzie Lima", "McKenzie"], ["Dr. Pedro Alves", "Pedro"], ["sra. Maria", "Maria"], ["d'ávila", "D'Ávila"],
      ["  Zé,", "Zé"], ["🙂 Bia", "Bia"], ["(Ana)", "Ana"],
    ] as const) {
      assert.equal(firstName(raw), want, raw);
    }
  });

  test("no usable name: the greeting drops the ', Nome' part", () => {
    const expected = RELEASE_NOTES_TEXT.replace("de hoje, Ana. 😊", "de hoje. 😊");
    for (const name of ["", "   ", null, undefined, "5511999990000", "🙂", "Dr.", "..."]) {
      assert.equal(firstName(name), null, String(name));
      assert.equal(followupMessage({ clientName: name, ...sameDay }), expected, String(name));
    }
  });

  test("19:30 appointment pushed by quiet hours to the next morning says 'de ontem'", () => {
    const end = local("2025-11-24 19:30");
    const due = new Date(end.getTime() + 60 * 60_000); // 20:30, inside 20:00-08:00
    const sendAt = moveOutOfQuietHours(due, SP, parseQuietHours("20:00-08:00"));
    assert.equal(DateTime.fromJSDate(sendAt, { zone: SP }).toFormat("yyyy-MM-dd HH:mm"), "2025-11-25 08:00");
    const text = followupMessage({ clientName: "Ana", appointmentEnd: end, sendAt, timezone: SP });
    assert.ok(text.startsWith("Espero que tenha corrido tudo bem na reunião de ontem, Ana. 😊\n"), text);
  });

  test("older appointments name the date", () => {
    const text = followupMessage({ clientName: "Ana", appointmentEnd: local("2025-11-24 15:00"), sendAt: local("2025-11-26 09:00"), timezone: SP });
    assert.ok(text.startsWith("Espero que tenha corrido tudo bem na reunião do dia 24/11, Ana. 😊\n"), text);
  });

  test("days are counted in the company's zone, not UTC", () => {
    // 23:30 and 00:30 São Paulo are the same UTC day (02:30Z, 03:30Z), but different local days.
    assert.equal(whenPhrase(local("2025-11-24 23:30"), local("2025-11-25 00:30"), SP), "de ontem");
    // 20:00 and 22:30 São Paulo straddle UTC midnight but are the same local day.
    assert.equal(whenPhrase(local("2025-11-24 20:00"), local("2025-11-24 22:30"), SP), "de hoje");
    // Across a DST change (New York, 2025-03-09) a day is 23 hours long: still "de ontem".
    assert.equal(whenPhrase(local("2025-03-08 23:00", "America/New_York"), local("2025-03-09 23:30", "America/New_York"), "America/New_York"), "de ontem");
    assert.equal(whenPhrase(local("2025-12-31 15:00"), local("2026-01-02 09:00"), SP), "do dia 31/12/2025");
    // A send time before the end (clock skew, manual resend of an odd row) never says "de amanhã".
    assert.equal(whenPhrase(local("2025-11-24 15:00"), local("2025-11-23 15:00"), SP), "de hoje");
  });

  test("company template with {nome} and {quando}; unknown placeholders stay", () => {
    const template = "Oi {nome}! Como foi o encontro {quando}? {link}";
    const text = followupMessage({ clientName: "bia souza", appointmentEnd: local("2025-11-24 19:30"), sendAt: local("2025-11-25 08:00"), timezone: SP, template });
    assert.equal(text, "Oi Bia! Como foi o encontro de ontem? {link}");
    assert.equal(
      followupMessage({ clientName: "Bia", ...sameDay, template: "{NOME}, {quando} e {quando}" }),
      "Bia, de hoje e de hoje",
    );
  });

  test("template without a usable name reads naturally", () => {
    const noName = { clientName: "", ...sameDay };
    assert.equal(followupMessage({ ...noName, template: "Olá, {nome}! Como foi a reunião {quando}?" }), "Olá! Como foi a reunião de hoje?");
    assert.equal(followupMessage({ ...noName, template: "{nome}, como foi?" }), "como foi?");
    assert.equal(followupMessage({ ...noName, template: "Oi {nome}\nTudo certo?" }), "Oi\nTudo certo?");
  });

  test("an empty template falls back to the release-notes text", () => {
    assert.equal(followupMessage({ clientName: "Ana", ...sameDay, template: "   " }), RELEASE_NOTES_TEXT);
    assert.equal(followupMessage({ clientName: "Ana", ...sameDay, template: null }), RELEASE_NOTES_TEXT);
  });
});

describe("validateTemplate", () => {
  test("empty, blank and too long are refused with a reason", () => {
    assert.match(validateTemplate("") ?? "", /empty/);
    assert.match(validateTemplate("  \n ") ?? "", /empty/);
    assert.match(validateTemplate("x".repeat(1001)) ?? "", /1001 characters.*1000/);
  });

  test("up to 1000 characters (emoji count as one) is fine", () => {
    assert.equal(validateTemplate("Olá, {nome}!"), null);
    assert.equal(validateTemplate("x".repeat(1000)), null);
    assert.equal(validateTemplate("😊".repeat(1000)), null);
  });
});

describe("fixed replies", () => {
  test("texts from the release notes", () => {
    assert.equal(POSITIVE_REPLY_HEADER, "Que ótimo! Veja abaixo algumas sugestões...");
    assert.equal(NEGATIVE_REPLY, "Sem problemas! Ficamos à disposição quando quiser retomar.");
    assert.equal(FEEDBACK_REPLY, "Agradeço por compartilhar seu feedback!");
  });
});

describe("slot texts", () => {
  test("formatSlotPtBR: pt-BR weekday without '-feira', local date and time", () => {
    assert.equal(formatSlotPtBR(local("2025-12-02 14:00"), SP), "terça, 02/12 às 14:00");
    const week = ["segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo"];
    for (let i = 0; i < 7; i++) {
      const d = local(`2025-12-${String(1 + i).padStart(2, "0")} 09:05`);
      assert.equal(formatSlotPtBR(d, SP), `${week[i]}, ${String(1 + i).padStart(2, "0")}/12 às 09:05`);
    }
    // The same instant read in another zone.
    assert.equal(formatSlotPtBR(new Date("2025-12-02T02:30:00Z"), SP), "segunda, 01/12 às 23:30");
    assert.equal(formatSlotPtBR(new Date("2025-12-02T02:30:00Z"), "Europe/Lisbon"), "terça, 02/12 às 02:30");
  });

  const slots = [local("2025-12-02 14:00"), local("2025-12-03 09:00"), local("2025-12-06 10:30")];

  test("suggestions: header, numbered list, how to answer", () => {
    assert.equal(
      slotSuggestionsMessage(slots, SP),
      "Que ótimo! Veja abaixo algumas sugestões...\n" +
        "1) terça, 02/12 às 14:00\n" +
        "2) quarta, 03/12 às 09:00\n" +
        "3) sábado, 06/12 às 10:30\n" +
        "\n" +
        "Responda com o número do horário escolhido.",
    );
  });

  test("no free slot: a polite text that the team will get in touch", () => {
    assert.equal(slotSuggestionsMessage([], SP), NO_FREE_SLOTS_REPLY);
    assert.match(NO_FREE_SLOTS_REPLY, /não encontrei horários livres/);
    assert.match(NO_FREE_SLOTS_REPLY, /equipe vai entrar em contato/);
  });

  test("booking confirmation", () => {
    assert.equal(
      bookingConfirmationMessage(local("2025-12-02 14:00"), SP),
      "Prontinho! Seu próximo encontro está marcado para terça, 02/12 às 14:00. Até lá! 😊",
    );
  });

  test("slot taken: apology then fresh suggestions, or the team will call", () => {
    const text = slotTakenMessage(slots.slice(1), SP);
    assert.ok(text.startsWith("Poxa, esse horário acabou de ser preenchido."), text);
    assert.ok(text.includes("\n1) quarta, 03/12 às 09:00\n2) sábado, 06/12 às 10:30\n"), text);
    assert.ok(text.endsWith("Responda com o número do horário escolhido."), text);
    assert.match(slotTakenMessage([], SP), /equipe vai entrar em contato/);
  });

  test("choice not understood names the valid numbers", () => {
    assert.equal(slotChoiceNotUnderstoodMessage(3), "Não entendi qual horário você prefere. Responda com um número de 1 a 3.");
    assert.match(slotChoiceNotUnderstoodMessage(1), /Responda com 1 /);
    assert.match(slotChoiceNotUnderstoodMessage(0), /equipe/);
  });
});

describe("whenPhraseOn (the send day precomputed once per company and tick)", () => {
  test("agrees with whenPhrase on every hour around two days, across São Paulo, Manaus and Lisbon's DST night", async () => {
    const { sendDayOf, whenPhrase, whenPhraseOn } = await import("../../src/domain/messages.js");
    for (const zone of ["America/Sao_Paulo", "America/Manaus", "Europe/Lisbon"]) {
      for (const sendIso of ["2026-11-25T13:00:00.000Z", "2026-10-25T00:30:00.000Z", "2026-10-25T23:59:00.000Z", "2026-03-29T01:30:00.000Z"]) {
        const sendAt = new Date(sendIso);
        const day = sendDayOf(sendAt, zone);
        for (let h = -80; h <= 0; h++) {
          const end = new Date(sendAt.getTime() + h * 3_600_000 + 17 * 60_000);
          assert.equal(whenPhraseOn(end, day), whenPhrase(end, sendAt, zone), `${zone} sent ${sendIso}, ended ${end.toISOString()}`);
        }
      }
    }
  });
});
