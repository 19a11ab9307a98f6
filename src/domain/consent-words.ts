/**
 * Consent words: does an inbound message ask to stop (or to resume) the follow-up messages?
 * Pure and I/O free, like intent.ts, and read on the same normalised text (text-normalize.ts:
 * case, accents, stretched letters and punctuation already gone; words compared squeezed, so
 * "PAREEE", "parem!!" and "Pare" meet).
 *
 * The documented keywords are PARAR and VOLTAR. People also write "pare", "sair", "STOP",
 * "me descadastra", "não quero mais receber mensagens", "remover meu número", "vou bloquear"
 * (opt-out) and "quero voltar a receber", "pode voltar a mandar mensagens" (opt-in), with typos
 * and without accents. What is about the appointment is not consent: "cancelar" (the
 * appointment), "não quero marcar" (a plain no), "quero voltar" (to the clinic), "parar o
 * tratamento"; those are the ContextEngine's (intent.ts).
 */
import { normalizeText, squeeze, squeezeSource } from "./text-normalize.js";

export const OPT_OUT_KEYWORD = "PARAR";
export const OPT_IN_KEYWORD = "VOLTAR";

export type ConsentRequest = "opt_out" | "opt_in";

// Chat spellings, keyed by squeezed form.
const SPELLINGS: ReadonlyMap<string, string> = new Map(
  (
    [
      ["n", "nao"], ["naum", "nao"], ["nau", "nao"], ["msg", "mensagem"], ["msgs", "mensagens"], ["mensg", "mensagem"],
      ["mensagen", "mensagens"], ["mensages", "mensagens"], ["mensagems", "mensagens"], ["menssagem", "mensagem"],
      ["sms", "mensagens"], ["zap", "mensagens"], ["zaps", "mensagens"], ["whats", "mensagens"],
      ["vc", "voce"], ["vcs", "voces"], ["q", "que"], ["qro", "quero"], ["qero", "quero"], ["kero", "quero"],
      ["pfv", "favor"], ["pfvr", "favor"], ["pf", "favor"], ["p", "pra"], ["dnv", "novamente"], ["nmr", "numero"],
      ["recebe", "receber"],
    ] as const
  ).map(([k, v]) => [squeeze(k), squeeze(v)] as const),
);

/** What may surround a lone keyword: "PARAR, por favor", "Sair, obrigado", "VOLTAR pfv". */
const COURTESY = new Set(
  ["por", "favor", "obrigado", "obrigada", "obg", "valeu", "vlw", "please", "pls", "ok", "agora", "ja", "ai", "ae", "e", "eu", "oi", "ola"].map(squeeze),
);
const LONE_OPT_OUT = new Set(["parar", "pare", "para", "parem", "sair", "stop", "unsubscribe", "remover", "bloquear", "descadastrar", "descadastro", "descadastra", "descadastre"].map(squeeze));
const LONE_OPT_IN = new Set(["voltar", "reativar", "reativa", "start", "unstop"].map(squeeze));

/** One regex over " w1 w2 … ", each phrase on word boundaries. */
function phrases(list: readonly string[]): RegExp {
  return new RegExp(` (?:${list.map(squeezeSource).join("|")})(?= )`);
}

/** Sending a message, in the forms people use ("mande", "mandem", "envia", "manda", "mandando"). */
const SEND = "(?:mand\\S*|envi\\S*|disparar|dispara|encaminh\\S*|escrever|escreve|escrevam)";
/** Also calling: "pare de me ligar" is a request to stop contact. */
const CONTACT = `(?:${SEND}|ligar|liga|ligue|liguem|ligando|perturbar|incomodar|encher)`;
const MESSAGES = "(?:mensagem|mensagens|lembrete|lembretes|aviso|avisos|notificacao|notificacoes)";
const MESSAGES_OR_ANY = `(?:${MESSAGES}|nada|essas|estas|esse tipo de|isso)`;
const NEG = "(?:nao|num|nunca)";

const OPT_OUT = phrases([
  // "pare de me mandar mensagem", "para de enviar", "parem de ligar", "pode parar de mandar"
  `(?:para|pare|parem|parar|paren) de (?:me |nos )?${CONTACT}`,
  `(?:pare|parem|parar) (?:com )?(?:as |os |essas |estas |esses )?${MESSAGES}`,
  "(?:parar|deixar|deixa) de receber", "(?:pode|podem) parar(?= $)",
  // "não me mande mais mensagens", "não mandem mais", "nunca mais me mande nada"
  `${NEG} (?:me |nos )?${CONTACT} (?:mais|nunca mais|de novo)`,
  `${NEG} (?:me |nos )?${SEND} (?:\\S+ )?${MESSAGES_OR_ANY} (?:mais|nunca mais)`,
  `nunca mais (?:me )?${CONTACT}`,
  // "não quero mais receber", "não desejo receber mensagens", "não quero mais mensagens"
  `${NEG} (?:quero|desejo|aceito|preciso|gostaria de) (?:mais )?(?:continuar a |continuar |voltar a )?(?:receber|recebendo)`,
  `${NEG} (?:quero|desejo|aceito) (?:mais )?(?:essas |estas |as |os )?${MESSAGES}`,
  `chega de (?:${MESSAGES}|spam)`,
  // "me descadastra", "descadastrar", "descadastre meu número", with the usual typos
  "d[ei]?s?ca?dr?a?st\\S*", "desinscrev\\S*", "cancelar (?:a |minha )?(?:inscricao|assinatura|cadastro)", "unsubscribe",
  // "remover meu número", "me tira da lista", "exclua meu contato"
  "(?:tira|tirar|tire|tirem|remove|remover|remova|removam|retira|retirar|retire|exclui|excluir|exclua|excluam|apaga|apagar|apague|deleta|deletar|delete) (?:\\S+ ){0,2}(?:lista|numero|contato|cadastro|telefone|celular|dados)",
  "sair (?:da|dessa|desta|de) (?:lista|listas|mensagens|grupo)", "quero sair(?= $)",
  // "vou bloquear", "bloquear este número"
  "(?:vou|vo|irei|vou ter que|vou precisar|vai ser preciso) (?:te |lhe |voces |o |esse |este |seu )?(?:bloquear|denunciar)",
  "bloquear (?:esse|este|o|seu|teu|voces) ?(?:numero|contato)?",
  "stop", "spam",
  `${NEG} (?:me )?(?:incomode|incomodem|perturbe|perturbem)`,
]);

const OPT_IN = phrases([
  // "quero voltar a receber", "pode voltar a mandar mensagens", "voltem a enviar os lembretes"
  `(?:voltar|volta|voltem|volte) a (?:receber|${SEND})`,
  `(?:quero|gostaria de|desejo|aceito|pode|podem) (?:me )?(?:receber|${SEND}) (?:as |os )?${MESSAGES} (?:de novo|novamente|outra vez)`,
  `(?:quero|gostaria de|desejo) receber (?:as |os )?${MESSAGES}(?: de novo| novamente| outra vez| sim)?(?= $)`,
  "(?:reativar|reativa|reative|reativem|recadastr\\S*|reinscrev\\S*)",
  "(?:me )?(?:cadastra|cadastre|cadastrar|coloca|coloque|inclui|incluir|inclua|adiciona|adicione|bota|bote) (?:\\S+ ){0,2}(?:de novo|novamente|de volta)",
  "desbloque\\S*",
]);

/**
 * "opt_out" when the message asks to stop receiving messages, "opt_in" when it asks to get them
 * again, null otherwise (everything about the appointment itself included).
 */
export function detectConsentRequest(text: string): ConsentRequest | null {
  const normalized = normalizeText(text);
  if (normalized === "") return null;
  const keys = normalized.split(" ").map((token) => {
    const k = squeeze(token);
    return SPELLINGS.get(k) ?? k;
  });
  // A lone keyword, perhaps wrapped in courtesy: "PARAR", "Sair, obrigado", "VOLTAR por favor".
  const core = keys.filter((k) => !COURTESY.has(k));
  if (core.length === 1) {
    const only = core[0] as string;
    if (LONE_OPT_OUT.has(only)) return "opt_out";
    if (LONE_OPT_IN.has(only)) return "opt_in";
  }
  const line = ` ${keys.join(" ")} `;
  // Opt-out first: "não quero voltar a receber" is a stop, not a resume.
  if (OPT_OUT.test(line)) return "opt_out";
  if (OPT_IN.test(line)) return "opt_in";
  return null;
}
