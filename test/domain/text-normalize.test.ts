import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { normalizeClauses, normalizeText, squeeze } from "../../src/domain/text-normalize.js";

describe("normalizeText", () => {
  test("lowercases and strips accents", () => {
    assert.equal(normalizeText("NÃO, obrigado"), "nao obrigado");
    assert.equal(normalizeText("Amanhã às 14h, sábado? Ação, Você"), "amanha as 14h sabado acao voce");
    assert.equal(normalizeText("ñ"), "n");
  });

  test("collapses runs of three or more identical letters", () => {
    assert.equal(normalizeText("simmmm"), "sim");
    assert.equal(normalizeText("naaao"), "nao");
    assert.equal(normalizeText("Siiiim!!!"), "sim");
    assert.equal(normalizeText("kkkkkk"), "k");
  });

  test("keeps real double letters", () => {
    assert.equal(normalizeText("carro passe essa connosco"), "carro passe essa connosco");
    assert.equal(normalizeText("simm"), "simm");
  });

  test("maps emoji to yes/no words and drops the others", () => {
    assert.equal(normalizeText("✅"), "sim");
    assert.equal(normalizeText("❌ Não, obrigado"), "nao nao obrigado");
    assert.equal(normalizeText("👍👍 pode marcar"), "joinha joinha pode marcar");
    assert.equal(normalizeText("👍🏽 👌 🙌 🤝"), "joinha joinha joinha joinha");
    assert.equal(normalizeText("Amei 😍🥰"), "amei");
    assert.equal(normalizeText("🙆‍♀️ 🫡"), "joinha joinha");
    assert.equal(normalizeText("👎 🚫"), "negativo negativo");
    assert.equal(normalizeText("✔️"), "sim");
    assert.equal(normalizeText("Top 🔥🔥 ❤️ 🙏🏻"), "top");
  });

  test("mineiro 'nó' (with its accent) is 'nossa'; a plain 'no' stays", () => {
    assert.equal(normalizeText("Nó, que trem bão"), "nossa que trem bao");
    assert.equal(normalizeText("NÓ!"), "nossa");
    assert.equal(normalizeText("no thanks"), "no thanks");
    assert.equal(normalizeText("nós vamos"), "nos vamos");
    assert.equal(normalizeText("um nó na garganta"), "um nossa na garganta");
  });

  test("strips punctuation and collapses whitespace", () => {
    assert.equal(normalizeText("  Olá!!!   tudo   bem?? \n\n sim...  "), "ola tudo bem sim");
    assert.equal(normalizeText("guarda-chuva"), "guarda chuva");
    assert.equal(normalizeText("let's book"), "lets book");
    assert.equal(normalizeText("gostei d+"), "gostei demais");
  });

  test("keeps clocks and dates readable", () => {
    assert.equal(normalizeText("Às 14:30"), "as 14h30");
    assert.equal(normalizeText("10 hs ou 10H30"), "10h ou 10h30");
    assert.equal(normalizeText("dia 15/12"), "dia 15/12");
    assert.equal(normalizeText("c/ p/ vc"), "c p vc");
    assert.equal(normalizeText("at 10 am"), "at 10am");
  });

  test("empty and symbol-only input gives an empty string", () => {
    assert.equal(normalizeText(""), "");
    assert.equal(normalizeText("?!... 🙏"), "");
  });
});

describe("normalizeClauses", () => {
  test("splits on punctuation and records questions", () => {
    assert.deepEqual(normalizeClauses("Quero sim! Pode ser às 19h?"), [
      { tokens: ["quero", "sim"], question: false },
      { tokens: ["pode", "ser", "as", "19h"], question: true },
    ]);
  });

  test("a contrast word opens a clause and stays its first word", () => {
    assert.deepEqual(
      normalizeClauses("sim mas só mês que vem").map((c) => c.tokens),
      [["sim"], ["mas", "so", "mes", "que", "vem"]],
    );
    assert.deepEqual(normalizeClauses("mas nao").map((c) => c.tokens), [["mas", "nao"]]);
  });

  test("emoji stand as their own clause", () => {
    assert.deepEqual(normalizeClauses("foi ótimo 👍").map((c) => c.tokens), [["foi", "otimo"], ["joinha"]]);
  });
});

describe("squeeze", () => {
  test("collapses doubled letters only", () => {
    assert.equal(squeeze("simm"), "sim");
    assert.equal(squeeze("passo"), "paso");
    assert.equal(squeeze("connosco"), "conosco");
    assert.equal(squeeze("1100"), "1100");
    assert.equal(squeeze("sim"), "sim");
  });
});
