import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { detectConsentRequest, OPT_IN_KEYWORD, OPT_OUT_KEYWORD, type ConsentRequest } from "../../src/domain/consent-words.js";

function check(expected: ConsentRequest | null, cases: readonly string[]): void {
  for (const text of cases) assert.equal(detectConsentRequest(text), expected, `${JSON.stringify(text)} should be ${expected}`);
}

describe("documented keywords", () => {
  test("PARAR and VOLTAR are the keywords the messages mention", () => {
    assert.equal(OPT_OUT_KEYWORD, "PARAR");
    assert.equal(OPT_IN_KEYWORD, "VOLTAR");
    assert.equal(detectConsentRequest(OPT_OUT_KEYWORD), "opt_out");
    assert.equal(detectConsentRequest(OPT_IN_KEYWORD), "opt_in");
  });
});

describe("opt-out", () => {
  test("a lone keyword, in any case, stretched or with courtesy", () => {
    check("opt_out", [
      "PARAR", "parar", "Parar.", "PARAR!!!", "parar por favor", "PARE", "pare", "Pare!", "Pareee", "PAREM",
      "SAIR", "sair", "Sair, obrigado", "STOP", "stop", "Stop!", "para", "PARA!", "descadastrar", "Descadastrar",
      "remover", "bloquear", "unsubscribe", "  parar  ",
    ]);
  });

  test("unsubscribe requests, with typos", () => {
    check("opt_out", [
      "me descadastra", "Me descadastre, por favor", "quero me descadastrar", "descadastra meu número",
      "descadastar", "descadrastar", "quero descadastrar desse serviço", "como faço pra me descadastrar?",
      "cancelar minha inscrição", "unsubscribe me please",
    ]);
  });

  test("asking not to receive messages any more", () => {
    check("opt_out", [
      "não quero mais receber mensagens", "Não quero mais receber mensagem", "nao quero mais receber msg",
      "n quero mais receber essas msgs", "NÃO QUERO MAIS RECEBER", "Não desejo receber mensagens",
      "não quero receber essas mensagens", "não quero mais essas mensagens", "num quero mais receber isso",
      "não quero voltar a receber mensagens", "chega de mensagem", "parar de receber mensagens",
    ]);
  });

  test("asking to stop sending", () => {
    check("opt_out", [
      "pare de me mandar mensagem", "Para de me mandar mensagens!", "parem de enviar mensagem", "pare de mandar msg",
      "Por favor, parem de me mandar mensagem", "pode parar de mandar mensagens", "pare de me ligar",
      "não me mande mais mensagens", "Não me mandem mais mensagem", "nao me manda mais nada", "não mandem mais",
      "Por favor não me envie mais mensagens", "nunca mais me mande mensagem", "pare com essas mensagens",
      "Parem com os lembretes", "não me incomodem",
    ]);
  });

  test("removing the number, leaving the list, blocking", () => {
    check("opt_out", [
      "remover meu número", "Remova meu número da lista", "me tira da lista", "tire meu contato", "exclua meu cadastro",
      "apaga meu telefone daí", "quero sair da lista", "Quero sair", "vou bloquear", "vou te bloquear",
      "bloquear este número", "isso é spam",
    ]);
  });
});

describe("opt-in", () => {
  test("the keyword and asking to receive again", () => {
    check("opt_in", [
      "VOLTAR", "voltar", "Voltar!", "VOLTAR por favor", "quero voltar a receber", "Quero voltar a receber as mensagens",
      "pode voltar a mandar mensagens", "podem voltar a enviar os lembretes", "voltem a mandar mensagem",
      "quero receber as mensagens de novo", "pode me mandar mensagens novamente", "reativar", "quero reativar os lembretes",
      "me cadastra de novo", "desbloqueia meu número",
    ]);
  });
});

describe("not a consent request", () => {
  test("about the appointment: cancel, decline, come back", () => {
    check(null, [
      "cancelar", "Cancelar", "CANCELAR", "quero cancelar", "cancelar a consulta", "pode cancelar meu horário",
      "não quero marcar", "Não quero", "não", "Não, obrigado", "agora não", "quero voltar", "Quero voltar sim!",
      "quando posso voltar?", "não vou voltar", "volto semana que vem", "vou parar o tratamento",
      "quero parar por aqui", "preciso sair às 17h", "que horas posso sair?", "para mim não",
      "sim, quero marcar para quinta", "não quero mais", "nao precisa",
    ]);
  });

  test("complaints and questions that mention messages, numbers or blocking", () => {
    check(null, [
      "não recebi a mensagem", "a mensagem chegou duplicada", "Vocês mandaram a receita?", "pode me mandar o material?",
      "pode me mandar isso de novo?", "meu cartão foi bloqueado", "meu número mudou, anota o novo", "qual o número de vocês?",
      "foi um desastre", "Adorei o atendimento", "Obrigada!", "pare de enrolar e marca logo kkk sim",
      "pode parar o carro na frente?", "para quando é o retorno?", "tira uma dúvida: posso comer antes?",
      "", "👍", "❌",
    ]);
  });

  test("never throws on odd input", () => {
    for (const t of ["\u0000", "🙅‍♀️", "?!", "a".repeat(10_000), "parar ".repeat(1000)]) {
      const r = detectConsentRequest(t);
      assert.ok(r === null || r === "opt_out" || r === "opt_in");
    }
  });
});
