import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { classifyIntent, explainIntent, normalizeText, type Intent, type IntentRule } from "../../src/domain/intent.js";
import { devSamplePath } from "../helpers/dev-sample.js";

const P: Intent = "followup_positive";
const N: Intent = "followup_negative";
const F: Intent = "followup_feedback";

type Case = readonly [text: string, intent: Intent, rule?: IntentRule];

function check(cases: readonly Case[]): void {
  for (const [text, intent, rule] of cases) {
    const e = explainIntent(text);
    assert.equal(e.intent, intent, `${JSON.stringify(text)} → ${e.intent} by ${e.rule} (normalized: "${e.normalized}")`);
    if (rule) assert.equal(e.rule, rule, `${JSON.stringify(text)} decided by ${e.rule}, expected ${rule}`);
  }
}

describe("API", () => {
  test("classifyIntent agrees with explainIntent, which also returns the normalized text", () => {
    const e = explainIntent("Siiim, QUERO marcar!!! ✅");
    assert.deepEqual(e, { intent: P, rule: "booking-request", normalized: "sim quero marcar sim", doubt: null });
    assert.equal(classifyIntent("Siiim, QUERO marcar!!! ✅"), P);
    assert.equal(normalizeText("NÃÃÃO"), "nao");
  });

  test("empty and symbol-only replies are feedback, never a crash", () => {
    check([
      ["", F, "empty"],
      ["   \n ", F, "empty"],
      ["?!...", F, "empty"],
      ["12345", F, "fallback-feedback"],
      ["https://example.com/x?y=1", F, "fallback-feedback"],
    ]);
  });

  test("never throws on arbitrary input", () => {
    let seed = 42;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const alphabet = "sim não quero marcar às 10h ✅❌👍🙏 ñç?!.,\n\u0301\u200d\ud83d abc123/:";
    for (let i = 0; i < 2000; i++) {
      let s = "";
      const len = rnd(60);
      for (let j = 0; j < len; j++) s += alphabet.charAt(rnd(alphabet.length));
      const intent = classifyIntent(s);
      assert.ok(intent === P || intent === N || intent === F);
    }
    assert.ok([P, N, F].includes(classifyIntent("sim ".repeat(5000))));
  });
});

describe("negation scope", () => {
  test("negation of a wanting, needing or booking verb is a refusal", () => {
    check([
      ["não quero marcar", N, "negation-before-verb"],
      ["Prefiro não marcar ainda", N, "negation-before-verb"],
      ["nao vou querer nao", N, "negation-before-verb"],
      ["Não precisa, obrigado", N, "negation-before-verb"],
      ["não preciso de outra sessão", N, "negation-before-verb"],
      ["Não tenho interesse", N, "negation-before-verb"],
      ["não tenho tempo agora", N, "negation-before-verb"],
      ["não vai dar", N, "negation-before-verb"],
      ["Infelizmente não vou poder", N, "negation-before-verb"],
      ["Não tô precisando no momento", N],
      ["no quiero, gracias", N, "negation-before-verb"],
      ["I don't want to book", N, "negation-before-verb"],
    ]);
  });

  test("without the negation the same verb is positive", () => {
    check([
      ["quero marcar", P, "booking-request"],
      ["preciso marcar outra", P, "booking-request"],
      ["quero outra sessão", P, "desire"],
    ]);
  });

  test("negation of anything else is not an answer: complaints stay feedback", () => {
    check([
      ["a receita não veio no email", F, "fallback-feedback"],
      ["O wifi de vocês não funcionava", F],
      ["Não gostei de ter que repetir tudo de novo", F],
      ["Não consegui acessar o link da reunião", F],
      ["Não consigo abrir o PDF", F],
      ["Não quero incomodar, mas faltou a receita", F],
      ["Não tenho do que reclamar, foi perfeito", F],
      ["nunca fui tão bem atendida", F],
    ]);
  });

  test("a bare no, also at the end of a clause", () => {
    check([
      ["NÃO", N, "explicit-no"],
      ["n", N, "explicit-no"],
      ["naum", N, "explicit-no"],
      ["ñ", N, "explicit-no"],
      ["nao obg", N, "explicit-no"],
      ["Obrigado, mas não", N, "explicit-no"],
      ["acho que não", N, "explicit-no"],
      ["claro que não", N, "explicit-no"],
      ["quero não", N, "explicit-no"],
      ["Não, obrigado, foi ótimo", N, "explicit-no"],
    ]);
  });

  test("a tag question or a story ending in não is not a refusal", () => {
    check([
      ["vocês são ótimos, não?", F],
      ["perguntei se tinha estacionamento e disseram que não", F],
    ]);
  });

  test("negated loss is eagerness (double negative)", () => {
    check([
      ["Quero sim, não quero perder o ritmo", P],
      ["não quero parar o tratamento", P, "positive-idiom"],
      ["Nossa, não quero perder o ritmo não, pode marcar", P],
    ]);
  });
});

describe("idioms", () => {
  test("eagerness and 'why not' are yes despite the não", () => {
    check([
      ["não vejo a hora de marcar", P, "positive-idiom"],
      ["Não vejo a hora de voltar!", P, "positive-idiom"],
      ["por que não?", P, "positive-idiom"],
      ["pq não, bora", P],
      ["why not", P, "positive-idiom"],
      ["sem dúvida", P, "affirmation"],
      ["com prazer", P, "affirmation"],
      ["seria ótimo!", P, "desire"],
      ["tô dentro", P, "desire"],
    ]);
  });

  test("decline idioms", () => {
    check([
      ["nem pensar", N, "decline-idiom"],
      ["passo dessa vez", N, "decline-idiom"],
      ["tô bem assim, obrigada", N, "decline-idiom"],
      ["deixa quieto", N, "decline-idiom"],
      ["dispenso", N, "decline-idiom"],
      ["vou ficar devendo", N, "decline-idiom"],
      ["nunca mais volto aí", N],
      ["por ora vou parar por aqui", N],
      ["não vai ser preciso", N, "decline-idiom"],
    ]);
  });

  test("asking to stop the messages is an opt-out", () => {
    check([
      ["Por favor, parem de me mandar mensagem", N, "opt-out"],
      ["não quero mais receber essas mensagens", N, "opt-out"],
      ["me tira da lista", N, "opt-out"],
      ["STOP", N, "opt-out"],
    ]);
  });
});

describe("postponement", () => {
  test("later, maybe, I'll see: negative", () => {
    check([
      ["agora não", N, "postponement"],
      ["no momento não", N, "postponement"],
      ["Por enquanto não, te aviso", N, "postponement"],
      ["talvez depois", N, "postponement"],
      ["depois eu vejo", N, "postponement"],
      ["vou pensar", N, "postponement"],
      ["Vou ver minha agenda e retorno depois", N, "postponement"],
      ["mais pra frente eu marco", N, "postponement"],
      ["Deixa pra próxima", N, "postponement"],
      ["quem sabe ano que vem", N, "postponement"],
      ["Não sei ainda", N, "postponement"],
      ["pode ser que eu precise mais pra frente", N, "postponement"],
      ["Eu te procuro quando precisar", N, "postponement"],
      ["Agora estou viajando, mas quando voltar quero marcar", N, "postponement"],
    ]);
  });

  test("a yes limited to a far horizon is a postponement, a booking for a date is not", () => {
    check([
      ["sim, mas só mês que vem", N, "postponement"],
      ["Pode ser, mas só daqui uns 2 meses", N, "postponement"],
      ["só depois das férias", N, "postponement"],
      ["pode marcar pro mês que vem", P, "booking-request"],
      ["Quero marcar pra depois do feriado", P, "booking-request"],
    ]);
  });

  test("what follows the contrast decides", () => {
    check([
      ["Adorei a conversa! Mas vou esperar um pouco antes de marcar outra", N, "postponement"],
      ["Sim, foi bom, mas não quero marcar agora", N, "negation-before-verb"],
      ["quero sim mas agora não dá", N],
      ["agora não, mas quinta às 10h pode ser", P, "proposes-time"],
      ["hoje não, mas amanhã pode ser", P, "proposes-time"],
      ["Não posso na segunda, mas quarta à tarde seria ótimo", P],
    ]);
  });

  test("soft reasons decline only when nothing positive is said", () => {
    check([
      ["tô viajando", N, "decline-reason"],
      ["estou sem tempo esse mês", N, "decline-reason"],
      ["não consigo amanhã", N],
      ["amanhã não consigo, pode ser sexta?", P, "proposes-time"],
    ]);
  });
});

describe("time proposals", () => {
  test("a day or time, alone or invited, is positive", () => {
    check([
      ["segunda às 10h", P, "proposes-time"],
      ["pode ser dia 20?", P, "proposes-time"],
      ["quinta de manhã", P, "proposes-time"],
      ["amanhã 14:30", P, "proposes-time"],
      ["semana que vem na terça", P, "proposes-time"],
      ["dia 15/12 às 14h pode ser?", P, "proposes-time"],
      ["Estou disponível terça e quinta à tarde", P, "proposes-time"],
      ["o quanto antes", P, "proposes-time"],
      ["Sure, next Tuesday at 10am works for me", P],
      ["¿El lunes a las 10?", P, "proposes-time"],
    ]);
  });

  test("times in a story or about another errand are not proposals", () => {
    check([
      ["Cheguei às 10h e só fui atendida às 11h", F],
      ["A consulta de quinta foi ótima", F],
      ["atrasou 20 minutos", F],
      ["Fiquei esperando quase meia hora", F],
      ["Posso pagar na quinta?", F],
      ["O resultado sai amanhã?", F],
      ["Boa tarde! Só queria agradecer", F],
      ["Vocês têm horário de funcionamento no sábado?", F],
    ]);
  });

  test("hesitation with a precise slot is a proposal", () => {
    check([
      ["talvez quinta às 10h?", P, "proposes-time"],
      ["talvez quinta", N, "postponement"],
    ]);
  });
});

describe("booking requests and availability questions", () => {
  test("booking verbs in a request", () => {
    check([
      ["Marca pra mim, por favor", P, "booking-request"],
      ["agendaa sim kkk", P, "booking-request"],
      ["sim, ja quero deixar agendado", P, "booking-request"],
      ["Marcamos pro mesmo horário daqui duas semanas?", P, "booking-request"],
      ["Pode me ligar pra marcar?", P, "booking-request"],
      ["me encaixa", P, "booking-request"],
    ]);
  });

  test("booking verbs in a story or as nouns are not requests", () => {
    check([
      ["Foi difícil marcar pelo telefone", F],
      ["Marcaram errado meu horário", F],
      ["A agenda de vocês estava cheia", F],
      ["tentei marcar mas ninguém atende", F],
    ]);
  });

  test("questions about free slots", () => {
    check([
      ["tem vaga sábado?", P],
      ["Quais horários vocês têm disponíveis?", P, "availability-question"],
      ["manda os horarios livres ai", P, "availability-question"],
      ["Quando posso voltar?", P, "availability-question"],
      ["Qual horário vocês fecham?", F],
      ["qual o valor da próxima sessão?", F],
      ["Quais as opções de pagamento?", F],
    ]);
  });

  test("a wish needs an object about meeting again", () => {
    check([
      ["quero sim", P, "desire"],
      ["Gostaria sim 😊", P, "desire"],
      ["bora", P, "desire"],
      ["Quero fazer mais sessões", P, "desire"],
      ["Quem foi a moça que me atendeu? Quero elogiar", F],
      ["Gostaria de agradecer pela paciência", F],
      ["O atendimento foi excelente, só preciso de mais materiais.", F],
    ]);
  });
});

describe("affirmations", () => {
  test("yes-words, abbreviations and stretched spellings", () => {
    check([
      ["sim", P, "affirmation"],
      ["s", P, "affirmation"],
      ["ss", P, "affirmation"],
      ["simmm", P, "affirmation"],
      ["SIM!!!", P, "affirmation"],
      ["claro!", P, "affirmation"],
      ["com ctz", P, "affirmation"],
      ["pode ser", P, "affirmation"],
      ["fechado", P, "affirmation"],
      ["uhum", P, "affirmation"],
      ["Sim! Adorei a reunião", P, "affirmation"],
    ]);
  });

  test("an intensifier is not a yes", () => {
    check([
      ["O Rafael foi muito claro nas explicações", F],
      ["Com certeza vou indicar pra minha irmã", F],
      ["Recebi sim, obrigada", F],
    ]);
  });

  test("a yes that only answers the greeting is feedback", () => {
    check([
      ["Sim, correu tudo ótimo", F, "affirms-wellbeing"],
      ["Sim, foi tudo ótimo, obrigada!", F, "affirms-wellbeing"],
      ["Correu tudo bem sim, obrigada!", F],
      ["Foi sim, gostei bastante", F],
      ["Sim, correu tudo bem. Quero marcar a próxima", P],
      ["Oi, tudo bem? Sim!", P, "affirmation"],
    ]);
  });

  test("soft gestures are a yes only alone", () => {
    check([
      ["ok", P, "weak-affirmation"],
      ["beleza", P, "weak-affirmation"],
      ["Ok 👍", P, "weak-affirmation"],
      ["ok, obrigada", F],
      ["O atendimento foi ok", F],
      ["Negativo", N, "explicit-no"],
    ]);
  });
});

describe("emoji", () => {
  test("alone they answer", () => {
    check([
      ["✅", P, "emoji-yes"],
      ["👍", P, "emoji-yes"],
      ["👍🏻", P, "emoji-yes"],
      ["👌", P, "emoji-yes"],
      ["🙌", P, "emoji-yes"],
      ["😍", F, "emoji-feedback"],
      ["❌", N, "emoji-no"],
      ["👎", N, "emoji-no"],
      ["🚫", N, "emoji-no"],
      ["🙏🏻", F, "emoji-feedback"],
      ["🤝", P, "emoji-yes"],
      ["😁", P, "emoji-yes"],
      ["🙅‍♀️", N, "emoji-no"],
      ["🥰", F, "emoji-feedback"],
      ["😍😍", F, "emoji-feedback"],
      ["👏🙏", F, "emoji-feedback"],
      ["❤️", F, "emoji-feedback"],
      ["👏👏", F, "emoji-feedback"],
    ]);
  });

  test("with words, the words decide", () => {
    check([
      ["❌ Não, obrigado", N],
      ["✅ Sim, quero marcar", P],
      ["👍👍 pode marcar", P],
      ["Foi ótimo 👍", F],
      ["Top demais 🔥🔥", F],
      ["👏👏👏 nota 10", F],
    ]);
  });
});

describe("feedback fallback", () => {
  test("praise, complaints and unrelated questions", () => {
    check([
      ["Foi ótimo!", F, "fallback-feedback"],
      ["Adorei!", F, "fallback-feedback"],
      ["A sala estava muito fria", F, "fallback-feedback"],
      ["Vocês podem me enviar a nota fiscal?", F, "fallback-feedback"],
      ["Quando sai o resultado do exame?", F, "fallback-feedback"],
      ["obrigada pelo atendimento!", F, "fallback-feedback"],
    ]);
  });

  test("long messages: a booking wins over praise, a refusal over both", () => {
    check([
      [
        "Boa tarde! A reunião foi excelente, o Dr. Paulo explicou tudo com muita calma e tirou todas as dúvidas. Quero marcar de novo!",
        P,
        "booking-request",
      ],
      [
        "Boa tarde! A reunião foi excelente, o Dr. Paulo explicou tudo com muita calma e tirou todas as dúvidas. Não preciso marcar agora.",
        N,
        "negation-before-verb",
      ],
      [
        "Boa tarde! A reunião foi excelente, o Dr. Paulo explicou tudo com muita calma e tirou todas as dúvidas. Parabéns!",
        F,
        "fallback-feedback",
      ],
    ]);
  });
});

describe("English and Spanish", () => {
  test("common forms", () => {
    check([
      ["yes", P],
      ["yeah", P],
      ["sure", P],
      ["ok let's book", P, "booking-request"],
      ["no", N],
      ["no thanks", N],
      ["not now", N, "postponement"],
      ["maybe later", N, "postponement"],
      ["thank you, it was really helpful", F],
      ["sí", P],
      ["claro que sí", P],
      ["vale", P],
      ["no gracias", N],
      ["ahora no", N],
      ["gracias, fue excelente", F],
    ]);
  });
});

describe("typos", () => {
  test("one edit away from a key word", () => {
    check([
      ["sim qro agnedar", P, "booking-request"],
      ["obrigdo, mas nao", N],
      ["qual o proximo horaio livre?", P, "availability-question"],
    ]);
  });

  test("a conjugation is not a typo", () => {
    check([["Que bom que gostaram do meu feedback", F]]);
  });
});

describe("regional and informal Portuguese", () => {
  test("interjections and vocatives from across Brazil do not hide the answer", () => {
    check([
      ["Bah, tchê, quero sim", P],
      ["Oxente, marca pra quinta", P, "booking-request"],
      ["Uai, claro que quero", P],
      ["Égua, bora!", P, "desire"],
      ["Mermão, fechou", P, "affirmation"],
      ["Vixe, agora não vai dar", N],
      ["Bah, foi tri bom", F],
      ["Nó, que atendimento bão", F], // mineiro "nó" is "nossa", not "no"
      ["Massa demais o atendimento, visse", F],
    ]);
  });

  test("negation after the verb: a refusal for wanting and needing, a complaint otherwise", () => {
    check([
      ["precisa não, visse", N],
      ["carece não", N],
      ["num dá", N, "negation-before-verb"],
      ["num quero não", N],
      ["gostei não, atrasaram muito", F],
      ["num funcionou não o wifi", F],
      ["num dia desses eu passo aí pra pagar", F],
    ]);
  });
});

describe("internet slang and laughter", () => {
  test("laughter is filler; abbreviations expand", () => {
    check([
      ["kkkkj sim", P, "affirmation"],
      ["huahuahua bora", P],
      ["ksksks pode marcar", P, "booking-request"],
      ["hahaha", F],
      ["rsrsrs adorei", F],
      ["pdc, bora", P],
      ["sussa", P, "weak-affirmation"],
      ["fmz", P, "weak-affirmation"],
      ["quero sqn", N],
      ["qlqr dia de manhã", P, "proposes-time"],
    ]);
  });

  test("thanks and goodbye is a no; thanks alone is feedback", () => {
    check([
      ["vlw flw", N, "farewell"],
      ["obrigado, tchau", N, "farewell"],
      ["valeu!", F],
      ["tmj", F],
      ["bjs", F],
      ["sim, bjs", P],
    ]);
  });
});

describe("polite and curt declines", () => {
  test("being fine as one is declines; feeling better is feedback", () => {
    check([
      ["tô bem, obrigado", N, "content-as-is"],
      ["Estou satisfeita", N, "content-as-is"],
      ["tô de boa", N, "decline-idiom"],
      ["De boa, valeu", N, "content-as-is"],
      ["Obrigada, mas no momento estou tranquila", N, "decline-idiom"],
      ["Obrigada, estou bem melhor depois da sessão", F],
      ["Estou muito satisfeita com o atendimento", F],
      ["de boa", F],
    ]);
  });

  test("nothing left to do, or going on alone", () => {
    check([
      ["já resolvi o que precisava, obrigado", N, "decline-idiom"],
      ["por enquanto tá tudo resolvido", N],
      ["vou seguir sozinha daqui", N, "decline-idiom"],
      ["vou continuar só com os exercícios", N, "decline-idiom"],
      ["quero continuar só com a Dra. Ana", P],
      ["já estou sendo atendido em outra clínica", N, "decline-idiom"],
      ["Obrigado, mas vou encerrar por aqui", N, "decline-idiom"],
    ]);
  });

  test("curt declines without 'não'", () => {
    check([
      ["nem", N, "explicit-no"],
      ["nada", N, "explicit-no"],
      ["sem chance", N, "decline-idiom"],
      ["desisti", N, "decline-idiom"],
      ["pode deixar, obrigada", N, "decline-idiom"],
      ["Pode deixar que eu indico vocês", F],
      ["pode deixar marcado", P, "booking-request"],
      ["difícil", N, "decline-reason"],
      ["agora complica", N, "decline-reason"],
      ["Foi difícil achar o prédio", F],
      ["não tem como esse mês", N, "decline-idiom"],
      ["passo dessa", N, "decline-idiom"],
      ["deixa", N, "decline-idiom"],
    ]);
  });

  test("round 7: out, enough, nothing for now, satisfied, moving away", () => {
    check([
      ["fora kkkk", N, "decline-idiom"],
      ["Fora de brincadeira, quero marcar", P],
      ["Já deu", N, "decline-idiom"],
      ["Deu tudo certo", F],
      ["Obrigado, só isso mesmo", N, "decline-idiom"],
      ["Encerrado por aqui", N, "decline-idiom"],
      ["Deixa como está", N, "decline-idiom"],
      ["tô de boas", N, "decline-idiom"],
      ["Por enquanto nada", N, "postponement"],
      ["Nada a reclamar", F],
      ["Satisfeito, obrigado", N, "content-as-is"],
      ["Satisfeita com o atendimento", F],
      ["Assim que puder eu marco, obrigada", N, "postponement"],
      ["Quando puder, me manda o recibo", F],
      ["Obrigado, mas vou me mudar de cidade", N, "decline-reason"],
      ["haha nem", N, "explicit-no"],
      ["Marcaí", P, "booking-request"],
    ]);
  });

  test("round 8: 'por ora passo', 'dispensa', 'sem precisão'; 'por que não' is a yes only when it ends the thought", () => {
    check([
      ["Valeu demais, mas por ora passo", N, "decline-idiom"],
      ["Dispensa", N, "decline-idiom"],
      ["Tri, quero mais uma", P, "desire"],
      ["quero mais uma coisa: a receita", F],
      ["Sem precisão", N, "decline-idiom"],
      ["Por que não?", P, "positive-idiom"],
      ["pq nao kkk", P, "positive-idiom"],
      ["pq n me avisaram q ia atrasar?", F],
      ["porque não consegui chegar a tempo", F],
    ]);
  });

  test("a reason after a contrast is the answer", () => {
    check([
      ["Queria, mas tô sem grana", N, "decline-reason"],
      ["Quero sim, mas tô sem tempo essa semana, pode ser na outra?", P],
    ]);
  });
});

describe("contrasts and wishes for next time", () => {
  test("a clear yes first, then a complaint or a request: positive", () => {
    check([
      ["Sim, pode marcar, mas da próxima vez não atrasem", P],
      ["Quero marcar! Só que na próxima, avisem se atrasar", P],
      ["Bora, mas a sala podia ser mais ventilada", P],
    ]);
  });

  test("a complaint phrased as a wish is feedback, not a yes nor a postponement", () => {
    check([
      ["Da próxima vez podiam ter água gelada", F, "suggestion"],
      ["Na próxima, liguem antes", F, "suggestion"],
      ["Seria bom ter mais vagas no estacionamento", F],
      ["Podiam ter mais horários no sábado", F, "suggestion"],
      ["O consultório podia ser mais silencioso", F],
      ["na próxima eu marco", N, "postponement"],
      ["fica pra próxima vez", N, "postponement"],
      ["Podiam ter horário no sábado?", P],
    ]);
  });

  test("round 7: hopes and wishes with 'que', singular 'não atrasa', 'que tenha' after a yes", () => {
    check([
      ["Gostaria que fossem mais pontuais", F, "suggestion"],
      ["Queria que a recepção fosse mais organizada", F, "suggestion"],
      ["Na próxima vez eu queria que a dra explicasse mais devagar", F, "suggestion"],
      ["Espero que da próxima vez não atrase", F, "suggestion"],
      ["Queria que marcasse pra quinta", P],
      ["Espero que sim", P],
      ["Marca sim, mas da proxima vez nao atrasa", P],
      ["Sim! Da próxima vez que tenha café kkk", P],
      ["Próxima vez quero chegar e ser atendida na hora", F, "suggestion"],
      ["Da próxima vez, se possível, me avisem do atraso", F, "suggestion"],
      ["na próxima, tá?", N, "postponement"],
      ["sim quero marcar sim pode ser na mesma hora da outra vez", P],
      ["fica pra outra vez", N, "postponement"],
    ]);
  });
});

// --- the labeled sample ------------------------------------------------------------------------

interface Labeled {
  text: string;
  intent: Intent;
}

function readSample(path: string): Labeled[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Labeled);
}

/** Accuracy over a labeled set; prints every miss with the rule that decided. */
function score(name: string, rows: readonly Labeled[]): number {
  let ok = 0;
  for (const row of rows) {
    const e = explainIntent(row.text);
    if (e.intent === row.intent) ok++;
    else console.log(`[${name}] MISS ${JSON.stringify(row.text)} expected=${row.intent} got=${e.intent} rule=${e.rule}`);
  }
  const accuracy = ok / rows.length;
  console.log(`[${name}] accuracy ${ok}/${rows.length} = ${(100 * accuracy).toFixed(1)}%`);
  return accuracy;
}

describe("labeled sample data/replies-dev.jsonl", () => {
  const path = devSamplePath();
  // Outside CI a checkout without shared/ skips with the reason; in CI a missing sample is a failure.
  test("every reply is classified as labeled", { skip: path || process.env.CI ? false : "replies-dev.jsonl not found (set SECRETARIA_REPLIES_DEV)" }, () => {
    assert.ok(path, "replies-dev.jsonl not found: shared/ must sit beside the repository (or set SECRETARIA_REPLIES_DEV)");
    const rows = readSample(path as string);
    assert.ok(rows.length > 100, `only ${rows.length} labeled lines in ${path}`);
    const accuracy = score("dev", rows);
    assert.equal(accuracy, 1, `accuracy ${(100 * accuracy).toFixed(1)}% < 100%`);
  });
});

// --- test/fixtures/replies-extra.jsonl ----------------------------------------------------------
// Replies written for issue 15 in rounds, grouped by kind (regional, slang, polite-decline,
// curt-decline, emoji, contrast, general); each line {"text","intent","kind","round"}. Each round
// was scored before the classifier was changed for it; those first-pass scores are the honest
// estimate of accuracy on unseen replies (round 7, 358 replies: 337 = 94.1% before its rules,
// 356 = 99.4% after; round 8, 140 replies: 133 = 95.0% before, 138 = 98.6% after; round 9, 118
// replies: 117 = 99.2% before, 118 after; round 10, 83 replies written first and scored once after
// rounds 7-9 as a held-out check: 81 = 97.6%, then its two misses fixed). This test keeps the
// classifier at >= 97% on all of them.

interface ExtraRow extends Labeled {
  kind: string;
  round: number;
}

const EXTRA_FIXTURE = fileURLToPath(new URL("../fixtures/replies-extra.jsonl", import.meta.url));

describe("labeled fixture test/fixtures/replies-extra.jsonl", () => {
  const rows = readSample(EXTRA_FIXTURE) as ExtraRow[];

  test("is well formed, large, and copies nothing from the dev sample", () => {
    assert.ok(rows.length >= 400, `only ${rows.length} rows`);
    const kinds = new Set(rows.map((r) => r.kind));
    for (const k of ["regional", "slang", "polite-decline", "curt-decline", "emoji", "contrast"]) assert.ok(kinds.has(k), `no ${k} rows`);
    const verbatim = (t: string): string => t.trim().toLowerCase();
    const seen = new Set<string>();
    for (const r of rows) {
      assert.ok(r.intent === P || r.intent === N || r.intent === F, `bad intent in ${JSON.stringify(r)}`);
      assert.ok(!seen.has(verbatim(r.text)), `${JSON.stringify(r.text)} appears twice`);
      seen.add(verbatim(r.text));
    }
    const path = devSamplePath();
    if (!path) return;
    const dev = new Set(readSample(path).map((r) => verbatim(r.text)));
    for (const r of rows) assert.ok(!dev.has(verbatim(r.text)), `${JSON.stringify(r.text)} is in the dev sample`);
  });

  test("accuracy is at least 97%, reported by kind", () => {
    const byKind = new Map<string, ExtraRow[]>();
    for (const r of rows) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
    for (const [kind, list] of [...byKind].sort()) score(`extra:${kind}`, list);
    const accuracy = score("extra", rows);
    assert.ok(accuracy >= 0.97, `accuracy ${(100 * accuracy).toFixed(1)}% < 97%`);
  });
});

// --- replies written for this test, none of them in the dev sample ------------------------------
// Other customers, other businesses (clinic, law office, studio), slang, typos, emoji, English
// and Spanish. The labels are what a person reading the follow-up question would say.

const EXTRA_POSITIVE: readonly string[] = [
  "Siiiim, pode marcar!!",
  "Quero sim, de preferência à tarde",
  "bora marca pra semana q vem",
  "ok, vamos agendar então",
  "Claro! Pode ser quarta 15h?",
  "Tenho interesse sim",
  "Gostaria de agendar para a próxima semana",
  "Quinta 9h30 fica bom?",
  "Amanhã de tarde tem horário?",
  "Sim sim, me manda as opções de horário",
  "pode agendar pfv",
  "quero continuar o tratamento sim",
  "Sexta-feira de manhã seria perfeito",
  "dia 15/12 às 14h pode ser?",
  "Yes, let's book the next one",
  "Sure, next Tuesday at 10am works for me",
  "claro q sim, qual dia vcs tem livre?",
  "Opa, bora! Qualquer dia depois das 17h",
  "Sí, claro. ¿El lunes a las 10?",
  "Foi ótimo, quero marcar de novo com a Dra. Paula! Ela é incrível, explicou tudo com muita paciência",
  "Adorei tudo! Me encaixa na próxima semana?",
  "me encaixa",
  "👍 pode ser",
  "Simmm 😍😍",
  "Com certeza! Quando é a próxima?",
  "quero sim!!! to precisando kkkk",
  "Vamos marcar sim, mas só consigo sábado",
  "Por que não? Pode ser",
  "queria marcar mais uma sessão",
  "tem como ser às 8h?",
  "Preciso remarcar sim, terça é possível?",
  "sim! a mesma hora de hoje?",
  "Me vê um horário pra daqui 2 semanas",
  "blz, pode marcar",
  "pd marcar",
  "Sim! Aliás, vocês emitem nota fiscal?",
  "Não posso na segunda, mas quarta à tarde seria ótimo",
  "amanhã não consigo, pode ser sexta?",
  "Só consigo à noite, tem horário?",
  "hoje não, mas amanhã pode ser",
  "Não vejo a hora de voltar!",
  "Nossa, não quero perder o ritmo não, pode marcar",
  "Pq não? Bora",
  "ss pode ser quinta",
  "Yeah sure",
  "Claro, ¿qué horarios tienen?",
  "Quiero agendar otra sesión",
  "Can we do Monday morning?",
  "Pode sim! Qual o próximo horário livre?",
  "manda ae os horario",
  "sim por favor",
  "Sim, por favor 🙏",
  "quero!!",
  "Queroooo",
  "Gostaria muito",
  "Agendar sim",
  "Quero marcar pra mesma hora semana que vem",
  "Bom dia! Gostaria sim, de preferência na segunda",
  "Opa! tem horario quinta?",
  "Sim, mas só posso depois das 18h",
  "Claro que quero!",
  "Marca pra sexta",
  "pode ser no sábado de manhã?",
  "Estou disponível terça e quinta à tarde",
  "Aceito!",
  "Topo sim",
  "Pode ser daqui 15 dias?",
  "Tô dentro",
  "Demorou, marca aí",
  "Vamos nessa!",
  "Certo, pode agendar",
  "Eu quero sim, mas só à tarde",
  "Sim, preciso voltar pra revisão",
  "gostaria de remarcar para a mesma hora",
  "vou querer sim",
  "vou querer",
  "Com certeza vou voltar, pode marcar",
  "Pode marcar no mesmo dia e horário",
  "Absolutely! When's the next opening?",
  "Sounds good, book me in",
  "Perfecto, agendemos para el jueves",
  "Boa tarde, Dra. Foi muito proveitosa a reunião, obrigado. Gostaria de agendar a próxima para discutirmos o contrato, pode ser na quinta?",
  "Oi! Tudo bem? Sim, quero marcar. Tenho disponibilidade segunda e quarta pela manhã",
  "sim qro agnedar",
  "quero agenda",
  "qero marca",
  "siim pode marca",
  "marca sim pfvr",
  "Pode marcar a próxima aula pra mim?",
  "Vou querer marcar o retorno sim, mas só consigo depois das 19h",
  "Sim! Inclusive já queria perguntar se tem horário na sexta",
  "Bora marcar! Me fala os horários",
  "Quero fazer mais sessões",
  "com certeza!! já estou com saudade",
  "Sim, quero continuar o acompanhamento",
  "yes!! what times do you have?",
  "Quero sim. Pode ser às 15h do dia 10?",
  "simmmmm",
  "👍🏻",
  "✅✅",
  "Claro, me passa as datas",
  "opa, bora sim",
  "Seria ótimo!",
  "Tenho sim interesse",
  "Quero marcar pra depois do feriado",
  "Sim, gostei bastante da conversa",
  "Yes, please send me the available times",
  "Sí, me encantaría",
  "opa blz, pode marcar sim",
  "Simm, bora agendar 😁",
  "agenda p mim pfv",
  "quero marcar sim, tem pra amanha?",
  "dá pra ser na sexta de tarde?",
  "pode ser na msm hora da ultima vez",
  "marcamos sim",
  "Por favor, agende a próxima consulta",
  "Claro, só me avisa o horário",
  "Sim, semana que vem seria ótimo",
  "Eu gostaria sim, pode ser pela manhã?",
  "Quero! Já to com saudades das aulas",
  "Vamos sim, quando vocês podem?",
  "pfv marca pra mim quarta",
  "tenho q voltar ne, marca ai",
  "sim sim sim",
  "Uhum",
  "Aham, pode ser",
  "Isso, quero marcar",
  "Sim, seria bom continuar",
  "Queria muito! Vcs tem horário livre essa semana?",
  "Com certeza, já pode agendar",
  "ss, pode ser na mesma hora",
  "Quero sim! Pode ser com a mesma advogada?",
  "Sim sim! Quarta tá ótimo",
  "pode ser semana que vem?",
  "Claro, fico no aguardo dos horários",
  "Simmm, me manda as datas disponíveis por favor",
  "Agende, por favor",
  "Vamos! Quando tem vaga?",
  "yes, same time next week?",
  "Tô precisando sim, pode marcar",
  "quero mt",
  "quero muito!",
  "SIM SIM SIM 🙌🙌",
  "Bora, sexta 16h?",
];

const EXTRA_NEGATIVE: readonly string[] = [
  "Não, obrigada. Por enquanto estou bem",
  "Agora não dá, estou sem tempo",
  "nao precisa nao, obg",
  "Vou ver com meu marido e te falo",
  "No momento não tenho interesse",
  "Infelizmente não vou poder",
  "deixa pra depois, tô enrolada",
  "Não, já resolvi o que precisava",
  "Quem sabe mais pra frente",
  "Vou dar uma pausa nas sessões por enquanto",
  "not right now, thanks",
  "No gracias, por ahora no",
  "Nãããão obrigado",
  "Agradeço, mas não tenho disponibilidade esse mês",
  "Vou pensar e depois eu te aviso",
  "Não sei ainda, vou ver minha escala",
  "Por favor, parem de me mandar mensagem",
  "nao vou continuar, achei caro",
  "Foi ótimo, mas não vou marcar outra por agora",
  "Adorei a sessão! Mas preciso organizar minhas finanças antes de marcar de novo",
  "nem vou marcar nao, obrigada",
  "Thanks, but I'll pass",
  "ñ, obg",
  "Talvez ano que vem",
  "so depois das férias",
  "Muito caro pra mim, não sei se vale a pena",
  "quero sim mas agora não dá, to sem grana",
  "Nunca mais volto aí",
  "ainda não sei minha escala, te aviso",
  "Maybe later",
  "no",
  "nope",
  "Ahora no, gracias",
  "I'll let you know",
  "Não obrigado, tá tudo ótimo",
  "Obrigada, mas agora não",
  "não vai dar",
  "Agora não vai rolar",
  "Valeu, mas tô sem condições agora",
  "depois vejo isso",
  "Mais pra frente a gente vê",
  "Vou conversar com minha esposa primeiro",
  "Preciso ver minha agenda primeiro",
  "Ainda não. Obrigado",
  "Por hora não",
  "Estou de mudança, depois entro em contato",
  "não tenho tempo agora",
  "Já tá bom assim, obrigado",
  "Não quero mais, obrigada",
  "Não vou marcar",
  "Negativo",
  "Dispenso, obrigado",
  "deixa quieto",
  "Não precisa marcar não",
  "Nao nao",
  "nao, valeu",
  "No, thank you",
  "Prefiro esperar um pouco",
  "Não por agora",
  "A princípio não",
  "Acho melhor não por enquanto",
  "Não tenho interesse",
  "Quero não",
  "Não, só queria agradecer mesmo",
  "Eu te procuro quando precisar",
  "Vou aguardar o resultado do exame primeiro",
  "I'm good, thanks",
  "Not interested",
  "Gracias, pero no por ahora",
  "Oi, boa noite. Por enquanto não vou marcar não, a grana tá curta. Mas adorei o atendimento!",
  "Olha, foi muito bom, mas acho que por ora vou parar por aqui",
  "Nao to podendo agora",
  "não rola",
  "Não tô precisando no momento",
  "Eu aviso quando puder",
  "Tô meio sem tempo esse mês, mais pra frente eu vejo",
  "Nao, ja tenho outro profissional",
  "Vou viajar semana que vem, depois eu falo com vcs",
  "obrigado mas nao precisa",
  "Não, obg. Tá tudo resolvido",
  "Não quero",
  "nao quero marcar nada agora",
  "Só no ano que vem",
  "Esse mês não, quem sabe no próximo",
  "Não estou precisando, obrigada",
  "Eu entro em contato",
  "Agradeço a atenção, mas não tenho interesse em marcar outra",
  "Por enquanto é só, obrigada",
  "N, vlw",
  "No, I'm all set",
  "Todavía no, gracias",
  "não obrigadaaa",
  "no momento to sem condições",
  "agora ta difícil, depois falo com vcs",
  "Não dá, tô sem tempo",
  "Nem precisa, deu tudo certo",
  "Vou deixar pra outro momento",
  "mais tarde vejo isso",
  "Esse ano não",
  "preciso pensar melhor",
  "Olha, agora não consigo, mas obrigado pelo contato",
  "nao vou conseguir ir mais",
  "Acho que não vai ser preciso",
  "Não, já estou bem atendida com outro profissional",
  "Deixa pra lá",
  "não, mas obrigado por perguntar",
  "Não por enquanto, obrigada pelo atendimento",
  "talvez, vou ver",
  "hmm acho que não",
  "Não agora, quem sabe em março",
  "Vou ficar devendo",
  "Não, obrigado. Se precisar, entro em contato",
  "agora nao, obrigada. depois vejo",
  "Acho que por enquanto não precisa",
  "Nops",
  "nao. obrigado",
  "Não, pode cancelar",
  "Estou sem tempo agora, mais tarde vejo",
  "Obrigada, mas vou procurar outro profissional",
  "Não quero agendar nada por enquanto",
  "Por agora estou bem, obrigada",
  "Melhor deixar pra depois",
  "talvez mês que vem",
  "Não tenho como pagar agora",
];

const EXTRA_FEEDBACK: readonly string[] = [
  "A Dra. foi um amor, muito atenciosa",
  "O estacionamento estava lotado, tive que parar longe",
  "Vocês aceitam cartão de crédito?",
  "Qual o endereço de vocês mesmo?",
  "Gostaria de agradecer pela paciência de todos",
  "kkkkk",
  "Obrigada! 🙏",
  "Não consegui acessar o link da reunião",
  "A recepcionista não sabia informar o valor",
  "Foi muito bom, a psicóloga é ótima",
  "Recebi o recibo, obrigado",
  "It was great, thank you so much!",
  "Excelente atendimento, super recomendo ⭐⭐⭐⭐⭐",
  "vc pode me mandar o laudo por email?",
  "A médica atrasou 40 min e nem pediu desculpas",
  "O atendimento foi ok",
  "Sim, foi tudo ótimo, obrigada!",
  "Foi sim, gostei bastante",
  "tudo certo por aqui, obrigada",
  "Deu tudo certo sim! A dra é maravilhosa",
  "Esqueci de perguntar sobre a dieta, posso mandar por aqui?",
  "Vocês atendem convênio?",
  "👏🏼👏🏼",
  "Que atendimento maravilhoso, nunca fui tão bem tratada",
  "Não tenho do que reclamar, foi perfeito",
  "ok, obrigada",
  "Qual o nome do remédio que ela passou?",
  "Great session, thanks!",
  "A sessão foi ótima, obrigada!",
  "Gostei muito da Dra. Ana",
  "Foi ótimo",
  "Ótimo atendimento",
  "Obrigado pela atenção de sempre",
  "valeu!!",
  "O café estava frio kkk",
  "A clínica é muito longe da minha casa",
  "Faltou papel no banheiro",
  "Quanto custa a consulta?",
  "Como faço para pagar o boleto?",
  "Eu amei!!!",
  "Foi bom, mas achei caro",
  "Ela é muito competente",
  "Obrigada, doutora! ❤️",
  "Recebi sim, obrigada",
  "A recepção demorou pra me atender",
  "A música ambiente estava alta demais",
  "me manda o link do grupo?",
  "Onde fica o estacionamento?",
  "Qual o pix de vocês?",
  "Tudo ótimo 😊",
  "Perfeito, obrigada pelo carinho",
  "Amei a consulta, a doutora é top",
  "Pode deixar que eu vou indicar vocês",
  "Nem sei como agradecer",
  "Não tenho palavras pra agradecer",
  "Não imaginava que seria tão bom",
  "Não esperava tanto cuidado!",
  "nunca tinha feito terapia antes, gostei",
  "Excelente servicio!",
  "thanks!",
  "Oi, boa tarde! Queria saber se vocês têm estacionamento conveniado",
  "A advogada foi super clara e objetiva, parabéns",
  "Achei que a reunião poderia ter sido mais curta",
  "A aula foi puxada mas gostei",
  "O ar condicionado estava quebrado de novo",
  "Já paguei o boleto, segue o comprovante",
  "Quero agradecer a toda equipe",
  "Queria deixar um elogio pra recepcionista",
  "Que bom que gostaram do meu feedback",
  "🙏🙏🙏",
  "😊",
  "👏🏻👏🏻👏🏻 excelente",
  "Nota 10 pro atendimento",
  "Não gostei da forma como fui tratada",
  "Muito obrigada pela paciência!!",
  "Ficou faltando a receita",
  "Qual é o valor do pacote de 10 sessões?",
  "A dra é maravilhosa, recomendo demais!",
  "Gente, que experiência incrível",
  "Correu bem, obrigado",
  "Thank you! Everything went well",
  "Muy buena la sesión, gracias",
  "Adorei a aula de hoje!!",
  "A professora é muito paciente",
  "O Dr. Carlos explicou tudo direitinho",
  "Poderiam me mandar a apresentação por email?",
  "Não recebi o contrato ainda",
  "O valor ficou acima do que eu esperava",
  "Vocês fazem parcelamento?",
  "Faltou falar sobre o prazo do processo",
  "a sala de espera é muito quente",
  "Obrigado pela paciência, Dr.",
  "A secretária foi muito educada",
  "💙💙",
  "kkkkk adorei",
  "Foi bem legal",
  "Top!",
  "Não esperava ser tão bem atendida, parabéns",
  "As explicações foram ótimas, obrigado",
  "Tem como emitir uma declaração?",
  "Gostei bastante, só achei o lugar difícil de encontrar",
  "Saí de lá mais leve",
  "Ela é ótima! Já indiquei pra minhas amigas",
  "Foi maravilhoso, obrigada de coração",
  "Amei demais a experiência 💕",
  "Só não gostei da demora",
  "O laudo já está pronto?",
  "Me manda o endereço certinho?",
  "Obrigado, Dr. Marcos!",
  "Vocês são demais!!",
  "Que equipe atenciosa, parabéns!",
  "Queria saber o valor do retorno",
  "Achei a consulta muito rápida",
  "👍 obrigada pelo atendimento",
  "kkkk foi divertido",
  "Recebi a receita, obrigada!",
  "O link não abre aqui",
];

describe("replies not in the sample", () => {
  const rows: Labeled[] = [
    ...EXTRA_POSITIVE.map((text) => ({ text, intent: P })),
    ...EXTRA_NEGATIVE.map((text) => ({ text, intent: N })),
    ...EXTRA_FEEDBACK.map((text) => ({ text, intent: F })),
  ];

  test("none is copied from the dev sample", () => {
    const path = devSamplePath();
    if (!path) return;
    const verbatim = (t: string): string => t.trim().toLowerCase();
    const dev = new Set(readSample(path).map((r) => verbatim(r.text)));
    for (const r of rows) assert.ok(!dev.has(verbatim(r.text)), `${JSON.stringify(r.text)} is in the dev sample`);
  });

  test("every one is classified as labeled", () => {
    assert.ok(rows.length >= 300);
    const accuracy = score("extra", rows);
    assert.equal(accuracy, 1);
  });
});
