/**
 * ContextEngine: the intent of a customer's reply to the post-appointment follow-up
 * ("Gostaria de marcar o próximo encontro? ✅ Sim, quero marcar / ❌ Não, obrigado").
 * Pure, rule based, explainable; pt-BR first, plus common English and Spanish forms.
 *
 * Pipeline: text-normalize.ts splits the reply into clauses (punctuation and "mas"/"but"
 * matter) and cleans spelling; here words are compared "squeezed" (doubles collapsed, so
 * "simm" = "sim" and "passo" = "paso"), abbreviations expanded ("obg", "agr", "dnv"),
 * idioms rewritten ("não vejo a hora" is eagerness, "por que não" a yes), and each clause
 * is read for evidence. Then, in this order of precedence:
 *
 *  1. Emoji only: gestures of agreement and a grin (✅ 👍 👌 🙌 🤝 😁) → positive, ❌ 👎 🚫 🙅 →
 *     negative, affection and thanks (❤️ 😍 🥰 👏 🙏) and anything else → feedback.
 *  2. Of the clauses carrying hard negative or strong positive evidence, the LAST decides:
 *     in pt-BR what follows a contrast is what counts ("Adorei! Mas vou esperar…" is a no, "Agora não, mas quinta
 *     às 10h pode ser" is a yes). Hard negative evidence: opt-out ("pare de mandar"),
 *     negation scoped over a wanting/booking verb ("não quero marcar", "não preciso",
 *     "não dá"), decline idioms ("nem pensar", "passo dessa vez"), postponement ("agora
 *     não", "talvez depois", "vou ver e te aviso", "só mês que vem") and a bare no ("não",
 *     "n", "obrigado, mas não"). Strong positive evidence: a booking request ("pode
 *     marcar"), a proposed day or time ("quinta de manhã", "dia 20?"), a question about
 *     free slots ("tem vaga sábado?") or a wish ("quero", "bora"). Within one clause the
 *     negative wins ("quero marcar mais pra frente").
 *     Negation only counts over the verbs it scopes: "a receita não veio" is a complaint,
 *     "não quero perder o ritmo" is eagerness.
 *     After a contrast a reason is an answer too ("Queria, mas tô sem grana"). A wish for the
 *     next visit is not a postponement ("da próxima vez podiam ter café", "sim, mas não atrasem").
 *  3. Soft reasons to decline ("tô viajando", "sem grana", "não posso amanhã", "difícil") → negative
 *     unless 2 found a positive.
 *  4. A yes-word ("sim", "claro", "yes", "sí") → positive; but when the only yes answers the
 *     greeting ("Sim, correu tudo ótimo", "Correu tudo bem sim") it is feedback. Praise
 *     alone ("Foi ótimo!", "Adorei!") carries no yes at all.
 *  5. A soft gesture ("ok", "beleza", "sussa", 👍) → positive only when nothing else is said.
 *  6. Being fine as one is, with thanks at most ("tô bem, obrigado", "de boa, valeu"), and thanks
 *     with a goodbye ("vlw flw") → negative.
 *  7. Everything else (praise, complaints, wishes, unrelated questions) → feedback.
 *
 * Regional and chat forms are vocabulary: interjections (bah, oxe, uai, caraca, égua) and
 * laughter (kkkj, rsrs, huahua) are fillers, postposed negation is read by its verb ("precisa
 * não" refuses, "gostei não" complains), "num dá" is "não dá".
 *
 * Speed: every pattern is compiled once at module load, and a phrase list runs only on clauses
 * holding one of the words its phrases start with (see clausePhrases); ~130,000 replies/s on
 * one core (bench/classify.ts). The only state is two bounded caches (typo corrections, word
 * beginnings), neither of which changes any answer.
 */
import { normalizeClauses, normalizeText, squeeze, squeezeSource } from "./text-normalize.js";

export { normalizeText } from "./text-normalize.js";

export type Intent = "followup_positive" | "followup_negative" | "followup_feedback";

export type IntentRule =
  | "empty"
  | "emoji-yes"
  | "emoji-no"
  | "emoji-feedback"
  | "opt-out"
  | "negation-before-verb"
  | "decline-idiom"
  | "postponement"
  | "explicit-no"
  | "constraint"
  | "decline-reason"
  | "positive-idiom"
  | "booking-request"
  | "proposes-time"
  | "availability-question"
  | "desire"
  | "affirmation"
  | "weak-affirmation"
  | "affirms-wellbeing"
  | "content-as-is"
  | "farewell"
  | "suggestion"
  | "fallback-feedback";

/**
 * Why the evidence is too weak to act on (the bot then asks once instead of guessing), or null:
 *   no-words       nothing but punctuation or a greeting ("?", "...", "boa tarde")
 *   mixed-emoji    emoji only, agreeing and refusing at once ("👍❌")
 *   unknown-emoji  emoji only, none of agreement, refusal or affection ("🤔", "😐", "🤷")
 *   no-content     words, but none that say anything ("hmm", "kkkk", "oi?", "como assim?", "1")
 * The intent is unchanged: a caller that does not ask reads it as before (feedback).
 */
export type IntentDoubt = "no-words" | "mixed-emoji" | "unknown-emoji" | "no-content";

export interface IntentExplanation {
  intent: Intent;
  /** The rule that decided (see the precedence above). */
  rule: IntentRule;
  /** normalizeText(text): what the rules looked at, for support and debugging. */
  normalized: string;
  /** null when the rule rests on evidence; otherwise why it is a guess (see IntentDoubt). */
  doubt: IntentDoubt | null;
}

export function classifyIntent(text: string): Intent {
  return decide(text).intent;
}

export function explainIntent(text: string): IntentExplanation {
  const { intent, rule } = decide(text);
  return { intent, rule, normalized: normalizeText(text), doubt: doubtOf(text, rule) };
}

// Affection, praise, thanks and plain feelings: a clear feedback even without words (❤️ 💙 😍 🥰 😘 😊 ☺️ 🙏 👏 🤗
// 🌹 💐 🌷 🌸 ✨ 🔥 ⭐ 🌟 🎉 😉 🙂 🤩 🥹 🫶 😌; sadness and anger 😢 😭 😔 😞 😡 😠 😤 🤬 are a complaint). Laughter
// (😂 😅) and puzzlement (🤔 😐 🤷) are not: those are asked about.
const EMOJI_AFFECTION = /[\u2764\u2763\u2665\u263A\u2728\u2B50\u{1F493}-\u{1F49F}\u{1F9E1}\u{1F90D}\u{1F90E}\u{1F5A4}\u{1F60D}\u{1F970}\u{1F618}\u{1F617}\u{1F619}\u{1F61A}\u{1F60A}\u{1F642}\u{1F609}\u{1F64F}\u{1F44F}\u{1F917}\u{1F339}\u{1F490}\u{1F337}\u{1F338}\u{1F33A}\u{1F525}\u{1F31F}\u{1F389}\u{1F38A}\u{1F48B}\u{1F63B}\u{1F929}\u{1F979}\u{1FAF6}\u{1F60C}\u{1F622}\u{1F62D}\u{1F614}\u{1F61E}\u{1F621}\u{1F620}\u{1F624}\u{1F92C}]/u;
// Words of confusion or a bare greeting: no evidence of any intent ("oi?", "como assim?", "quem é?").
// A plain set, not words(): these must not join the typo corrector's vocabulary (no answer may change).
const CONFUSION: ReadonlySet<string> = new Set(
  ["hm", "hum", "hmm", "ham", "han", "hein", "ue", "oi", "ola", "como", "assim", "quem", "e", "isso", "o", "que", "q", "ne", "eita", "opa"].map(squeeze),
);

const PRAISE_INTENSIFIER: ReadonlySet<string> = new Set(["muito", "demais", "bem", "super", "foi", "tao", "mt"].map(squeeze));

/** Why a decision is a guess, or null (see IntentDoubt). Only the fallback rules can be guesses. */
function doubtOf(text: string, rule: IntentRule): IntentDoubt | null {
  if (rule === "empty") return "no-words";
  if (rule === "emoji-feedback") {
    if (EMOJI_YES.test(text) && EMOJI_NO.test(text)) return "mixed-emoji";
    return EMOJI_AFFECTION.test(text) ? null : "unknown-emoji";
  }
  if (rule !== "fallback-feedback") return null;
  const clauses = toClauses(text);
  // "muito bom", "mto bom", "bom demais": praise, though "bom" alone is also a filler ("bom, ...").
  if (clauses.some((c) => c.keys.length >= 2 && c.keys.some((k) => k === "bom" || k === "boa") && c.keys.some((k) => PRAISE_INTENSIFIER.has(k)))) return null;
  if (contentCount(clauses, true) === 0) return "no-content";
  return clauses.every((c) => c.keys.every((k) => CONFUSION.has(k) || isFiller(k) || DIGITISH.test(k) || STOP.has(k))) ? "no-content" : null;
}

// ---------------------------------------------------------------------------------------------
// Vocabulary. Everything is stored squeezed; `words` also records each word as "known" so the
// typo tolerance below only touches words no lexicon knows.

const KNOWN = new Set<string>();

function words(...list: string[]): ReadonlySet<string> {
  const set = new Set<string>();
  for (const w of list) {
    const k = squeeze(w);
    set.add(k);
    KNOWN.add(k);
  }
  return set;
}

/**
 * One regex for a list of phrases, run on a clause's key string " w1 w2 w3 ". Each phrase
 * must sit on word boundaries; a phrase starting with "^" is anchored to the whole clause.
 */
function phrases(list: readonly string[], flags = ""): RegExp {
  const anchored = list.filter((p) => p.startsWith("^")).map(squeezeSource);
  const inline = list.filter((p) => !p.startsWith("^")).map(squeezeSource);
  // The leading space is consumed rather than looked behind: a literal first character lets
  // the regex engine skip ahead, which is most of the classifier's speed.
  const parts = inline.length > 0 ? [` (?:${inline.join("|")})(?= )`, ...anchored] : anchored;
  return new RegExp(parts.join("|"), flags);
}

/**
 * A phrase list read on whole clauses, with a gate: the words (or word beginnings) its phrases
 * can start with, derived from the patterns themselves. A clause with none of them cannot match,
 * so the regex is not run; most clauses skip most lists this way. When a pattern's start is not
 * plain enough to derive (a class, an escape), the gate is off and the regex always runs.
 */
interface ClausePhrases {
  re: RegExp;
  /** This list's bit in a clause's `leads`; 0 when the gate is off. */
  bit: number;
}

/** Per word, the lists it can start a phrase of (bits); word beginnings ("descadastr", "otim") apart. */
const LEAD_WORDS = new Map<string, number>();
const LEAD_PREFIXES: Array<readonly [prefix: string, bit: number]> = [];
let nextLeadBit = 1;

function clausePhrases(list: readonly string[]): ClausePhrases {
  const lead = { words: new Set<string>(), prefixes: new Set<string>(), always: false };
  for (const p of list) {
    // A phrase may itself be an alternation ("monday|tuesday|…").
    for (const alt of splitTopLevel(squeezeSource(p.startsWith("^") ? p.slice(1) : p))) if (addLeads(alt, lead)) lead.always = true;
  }
  if (lead.always || nextLeadBit > 1 << 30) return { re: phrases(list), bit: 0 };
  const bit = nextLeadBit;
  nextLeadBit <<= 1;
  for (const w of lead.words) LEAD_WORDS.set(w, (LEAD_WORDS.get(w) ?? 0) | bit);
  for (const x of lead.prefixes) LEAD_PREFIXES.push([x, bit]);
  return { re: phrases(list), bit };
}

function matches(p: ClausePhrases, clause: Clause): boolean {
  return (p.bit === 0 || (clause.leads & p.bit) !== 0) && p.re.test(clause.line);
}

// Like the typo cache below: bounded, and it changes no answer.
const PREFIX_CACHE = new Map<string, number>();
const PREFIX_CACHE_LIMIT = 10_000;

/** The lists a clause's words can start a phrase of. */
function leadsOf(keys: readonly string[]): number {
  let bits = 0;
  for (const k of keys) {
    bits |= LEAD_WORDS.get(k) ?? 0;
    let p = PREFIX_CACHE.get(k);
    if (p === undefined) {
      p = 0;
      for (const [x, bit] of LEAD_PREFIXES) if (k.startsWith(x)) p |= bit;
      if (PREFIX_CACHE.size >= PREFIX_CACHE_LIMIT) PREFIX_CACHE.clear();
      PREFIX_CACHE.set(k, p);
    }
    bits |= p;
  }
  return bits;
}

/** Records the possible first words of pattern `p` in `lead`; returns true if `p` can match without a word. */
function addLeads(pattern: string, lead: { words: Set<string>; prefixes: Set<string>; always: boolean }): boolean {
  const p = pattern.replace(/^ +/, "");
  if (p === "" || p.startsWith("$")) return true;
  if (p.startsWith("^")) return addLeads(p.slice(1), lead);
  if (/^\(\?<?[!=]/.test(p)) return addLeads(p.slice(closingParen(p) + 1), lead); // lookaround: zero width
  if (p.startsWith("(?:")) {
    const end = closingParen(p);
    let rest = p.slice(end + 1);
    let optional = false;
    const quantifier = /^(?:[?*+]|\{\d*(?:,\d*)?\})\??/.exec(rest);
    if (quantifier) {
      optional = !quantifier[0].startsWith("+") && !/^\{[1-9]/.test(quantifier[0]);
      rest = rest.slice(quantifier[0].length);
    }
    let empty = false;
    for (const branch of splitTopLevel(p.slice(3, end))) if (addLeads(branch + rest, lead)) empty = true;
    if (optional && addLeads(rest, lead)) empty = true;
    return empty;
  }
  if (p.startsWith("\\d")) {
    for (const digit of "0123456789") lead.prefixes.add(digit);
    return false;
  }
  const word = /^[a-z0-9]+/.exec(p)?.[0];
  if (!word) {
    lead.always = true;
    return false;
  }
  const after = p.slice(word.length);
  if (after === "" || /^(?: |\$|\(\?[=!])/.test(after)) lead.words.add(word);
  else {
    const prefix = /^[?*{]/.test(after) ? word.slice(0, -1) : word; // "sabados?", "otim[oa]", "descadastr\S*"
    if (prefix === "") lead.always = true;
    else lead.prefixes.add(prefix);
  }
  return false;
}

function closingParen(p: string): number {
  let depth = 0;
  for (let i = 0; i < p.length; i++) {
    const ch = p.charAt(i);
    if (ch === "\\") i++;
    else if (ch === "[") i = p.indexOf("]", i);
    else if (ch === "(") depth++;
    else if (ch === ")" && --depth === 0) return i;
  }
  throw new Error(`unbalanced pattern: ${p}`);
}

function splitTopLevel(p: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < p.length; i++) {
    const ch = p.charAt(i);
    if (ch === "\\") i++;
    else if (ch === "[") i = p.indexOf("]", i);
    else if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (ch === "|" && depth === 0) {
      out.push(p.slice(start, i));
      start = i + 1;
    }
  }
  out.push(p.slice(start));
  return out;
}

// Abbreviations and chat spellings, keyed by squeezed form.
const ABBREVIATIONS: ReadonlyMap<string, readonly string[]> = new Map(
  (
    [
      ["vc", "voce"], ["vcs", "voces"], ["ce", "voce"], ["q", "que"], ["pq", "porque"], ["porq", "porque"],
      ["tb", "tambem"], ["tbm", "tambem"], ["tmb", "tambem"], ["agr", "agora"], ["hj", "hoje"],
      ["amnh", "amanha"], ["amn", "amanha"], ["amanh", "amanha"], ["dps", "depois"], ["dpois", "depois"],
      ["dpz", "depois"], ["qnd", "quando"], ["qdo", "quando"], ["qndo", "quando"], ["qd", "quando"],
      ["td", "tudo"], ["tds", "todos"], ["mt", "muito"], ["mto", "muito"], ["mtu", "muito"], ["msm", "mesmo"],
      ["blz", "beleza"], ["ctz", "certeza"], ["obg", "obrigado"], ["obgd", "obrigado"], ["obgda", "obrigada"],
      ["obgdo", "obrigado"], ["obgado", "obrigado"], ["obrigadao", "obrigado"], ["brigado", "obrigado"],
      ["brigada", "obrigada"], ["obrigadinho", "obrigado"], ["obrigadinha", "obrigada"], ["vlw", "valeu"],
      ["pfv", "por favor"], ["pfvr", "por favor"], ["plz", "please"], ["pls", "please"], ["dnv", "de novo"],
      ["qro", "quero"], ["qero", "quero"], ["kero", "quero"], ["kro", "quero"], ["qria", "queria"],
      ["naum", "nao"], ["nau", "nao"], ["n", "nao"], ["nops", "nope"], ["nop", "nope"], ["sab", "sabado"],
      ["sla", "sei la"], ["fds", "fim de semana"], ["c", "com"], ["p", "pra"], ["tou", "to"], ["eh", "e"],
      ["vamo", "vamos"], ["vamu", "vamos"], ["bamo", "vamos"], ["simbora", "bora"], ["vambora", "bora"],
      ["dmais", "demais"], ["dms", "demais"], ["thx", "thanks"], ["ty", "thank you"], ["okay", "ok"],
      ["okey", "ok"], ["oki", "ok"], ["oks", "ok"], ["vdd", "verdade"], ["nd", "nada"], ["cmg", "comigo"],
      ["hr", "hora"], ["hrs", "horas"], ["daki", "daqui"], ["pro", "pro"], ["sm", "sim"], ["xim", "sim"],
      ["yea", "yeah"], ["ya", "yeah"], ["tmj", "valeu"], ["agnt", "a gente"], ["agente", "a gente"],
      ["proxma", "proxima"], ["pd", "pode"], ["pdc", "pode crer"], ["prox", "proxima"], ["sem", "sem"], ["im", "im"], ["ill", "ill"],
      // chat slang and regional spellings
      ["sqn", "so que nao"], ["nananinanao", "nao"], ["nananinao", "nao"], ["nanao", "nao"], ["naonao", "nao"], ["flw", "falou"], ["fmz", "firmeza"], ["xau", "tchau"], ["bjo", "bjs"], ["bju", "bjs"],
      ["bjus", "bjs"], ["bjks", "bjs"], ["beijao", "bjs"], ["dnd", "de nada"], ["tdb", "tudo bem"], ["obrigadu", "obrigado"],
      ["brigadu", "obrigado"], ["brigadao", "obrigado"], ["vo", "vou"], ["oce", "voce"], ["proce", "pra voce"],
      ["bao", "bom"], ["mermo", "mesmo"], ["memo", "mesmo"], ["nois", "nos"], ["vumbora", "bora"],
      ["demoro", "demorou"], ["fecho", "fechou"], ["tranquilao", "tranquilo"], ["tranks", "tranquilo"], ["belezinha", "beleza"],
      ["ngm", "ninguem"], ["marcai", "marca ai"], ["agendai", "agenda ai"], ["qlqr", "qualquer"], ["qlq", "qualquer"], ["qq", "qualquer"], ["qqr", "qualquer"], ["qer", "quero"], ["keru", "quero"], ["queru", "quero"], ["sussu", "sussa"],
    ] as const
  ).map(([k, v]) => [squeeze(k), v.split(" ").map(squeeze)] as const),
);

// Idioms rewritten to sentinel words before reading. Order matters: greetings go first so
// "boa tarde" is never read as "à tarde".
const REWRITES: ReadonlyArray<readonly [RegExp, string]> = [
  [phrases(["bom dia", "boa tarde", "boa noite", "buenos dias", "buenas tardes", "buenas noches", "good morning", "good afternoon", "good evening", "ate (?:amanha|logo|mais|breve|a proxima|proxima)"], "g"), " "],
  [phrases(["nao vejo (?:a|o) (?:hora|momento)(?: de)?", "to ansios[oa] (?:pra|para)"], "g"), "idiomquero"],
  [phrases(["(?:por que|porque|por q|pq|por k) nao(?= $| (?:sim|pode|marca|marcar|agenda|agendar|bora|vamos|ne|entao|uai|tche|k+|(?:rs)+|(?:ha)+) )", "why not", "por que no", "porque no"], "g"), "idiomsim"],
  [phrases(["(?:nao tenho|nao ha|sem) (?:nenhuma )?duvidas?", "com certeza", "com certeza absoluta", "certeza absoluta"], "g"), "certeza"],
  [phrases(["of course", "por supuesto", "desde luego", "claro que sim", "claro que si", "obvio que sim"], "g"), "claro sim"],
  [phrases(["com (?:muito )?prazer", "pode crer", "pode pa", "sounds (?:good|great|perfect|like a plan)", "acho que sim", "creio que sim", "espero que sim", "i think so"], "g"), "sim"],
  [phrases(["seria (?:otimo|otima|bom|boa|perfeito|uma boa|legal|maravilhoso|excelente|interessante|incrivel)(?= $| sim )"], "g"), "quero"],
  [phrases(["(?:tenho|tenhu|temos|tengo) (?:sim |muito |bastante )?interesse", "me interessa", "interessad[oa]s?", "(?:i|id|i would|would) (?:like|love) to", "id love", "me gustaria", "quisiera", "tengo interes", "me encantaria"], "g"), "quero"],
  [phrases(["(?:to|estou|tamo|estamos) dentro", "conta comigo", "count me in", "im in"], "g"), "topo"],
  // "tamo junto"; "não precisa se preocupar" is reassurance, a courtesy like thanks
  [phrases(["de boas"], "g"), "de boa"],
  [phrases(["tamo junto", "estamos juntos", "(?:nao|nem) (?:precisa |precisam )?(?:se )?preocupar"], "g"), "valeu"],
  [phrases(["papo reto", "ta ligado", "meu deus", "(?:se|ce|voce) e louco", "pelo amor de deus"], "g"), "interjeicao"],
  [phrases(["(?:ta|esta|tá) (?:bom|bem|otimo|certo|joia|beleza|combinado)", "esta bien", "de acordo", "tudo certo entao"], "g"), "tabom"],
  [phrases(["o (?:quanto|mais) (?:antes|rapido|breve)(?: possivel)?", "quanto antes", "lo antes posible", "as soon as possible"], "g"), "asap"],
];

/** One cheap test before the ten rewrites: most clauses have none. */
const REWRITE_ANY = new RegExp(REWRITES.map(([p]) => p.source).join("|"));

// --- word classes -----------------------------------------------------------------------------

const NEG = words("nao", "nope", "nah", "nem", "nunca", "jamais", "not", "dont", "never", "cant", "wont", "doesnt");
/** Spanish/English "no" is a Portuguese preposition too ("no email"): a negation only here. */
const NO_FOLLOW = words(
  "gracias", "thanks", "thank", "quiero", "puedo", "necesito", "quero", "posso", "preciso", "ahora", "now", "need",
  "interest", "interested", "way", "por", "me", "tengo", "es", "obrigado", "obrigada", "voy", "sir", "problem", "hace",
);
const SKIP_AFTER_NEG = words(
  "sinto", "vejo",
  "eu", "vou", "vai", "irei", "ira", "vamos", "to", "estou", "ta", "esta", "e", "sera", "seria", "mais", "muito",
  "me", "te", "lhe", "nos", "se", "ainda", "tao", "ja", "mesmo", "realmente", "acho", "que", "pra", "para", "a",
  "gente", "i", "will", "do", "really", "am", "ele", "ela", "voy", "lo", "we", "you",
);
const OBJ_SKIP = words("de", "do", "da", "a", "o", "um", "uma", "pra", "para", "pro", "me", "te", "nos", "se", "lhe", "to", "mais");
const WANT = words("quero", "querendo", "querer", "queria", "quis", "gostaria", "pretendo", "pretendia", "quiero", "quisiera", "want", "wanna", "quiser", "interessa", "interesa", "like");
const NEED = words("preciso", "precisando", "precisa", "precisar", "carece", "careco", "carecer", "precisarei", "precisaria", "precisaremos", "precisara", "precisamos", "necessario", "necessaria", "necessidade", "necessito", "necesito", "need", "needed", "necesario", "necesitamos", "falta");
const ABLE = words("posso", "poder", "podendo", "consigo", "conseguir", "conseguiria", "conseguirei", "da", "dar", "dara", "daria", "rola", "rolar", "puedo", "can", "pode", "podemos", "podia", "poderia", "consegue", "vai");
const HAVE = words("tenho", "temos", "tengo", "tenemos", "have");
const HAVE_DECLINE_OBJ = words("tempo", "como", "condicoes", "condicao", "disponibilidade", "agenda", "grana", "dinheiro", "interesse", "previsao", "time", "money", "tiempo", "dinero", "horario", "vaga", "necessidade", "precisao", "motivo", "pressa");
const BOOK_NEGATABLE = words(
  "marcar", "agendar", "remarcar", "reagendar", "voltar", "volto", "voltarei", "retornar", "retorno", "retornarei",
  "continuar", "continuo", "ir", "vir", "seguir", "marco", "agendo", "marcaria", "agendaria", "comparecer", "book",
  "schedule", "come", "return", "continue", "volver", "outra", "outro", "otra",
);
const REFUSAL_OBJ = words(
  "agora", "mais", "por", "no", "nesse", "neste", "esse", "este", "essa", "esta", "momento", "enquanto", "ainda",
  "hoje", "nada", "isso", "nenhum", "nenhuma", "mesmo", "ja", "so", "tambem", "mim", "ninguem", "sim", "now", "it",
  "anything", "ahora", "nao", "tanto",
);
const LOSS = words("perder", "parar", "desistir", "largar", "faltar", "esquecer", "abandonar", "deixar", "ficar", "perderia", "miss", "perdermos");
const LOSS_OBJ = words(
  "ritmo", "tratamento", "acompanhamento", "progresso", "foco", "embalo", "habito", "sequencia", "continuidade",
  "evolucao", "processo", "terapia", "momentum", "progress", "sem", "de", "vir", "voltar", "marcar", "agendar",
  "continuar", "sessao", "sessoes", "consulta", "consultas", "encontro", "encontros", "aula", "aulas", "treino", "treinos",
);

const BOOK_INF = words("marcar", "agendar", "remarcar", "reagendar", "reservar", "encaixar", "book", "schedule", "agendarmos", "marcarmos");
const BOOK_IMP = words("marca", "marque", "marquem", "agende", "agendem", "agenda", "reserva", "reserve", "encaixa", "encaixe", "remarca", "reagenda", "agendame");
const BOOK_PL1 = words("marcamos", "agendamos", "reservamos", "remarcamos", "marcariamos", "agendariamos", "agendemos", "marquemos");
const BOOK_COND = words("marcaria", "agendaria");
const BOOK_PART = words("marcado", "marcada", "agendado", "agendada", "reservado", "reservada");
const BOOK_NOUN = words(
  "sessao", "sessoes", "consulta", "consultas", "reuniao", "reunioes", "encontro", "encontros", "aula", "aulas",
  "retorno", "horario", "horarios", "agendamento", "atendimento", "acompanhamento", "continuidade", "conversa",
  "appointment", "session", "meeting", "cita", "reunion", "visita", "avaliacao", "terapia", "mentoria", "call",
  "papo", "treino", "vez",
);
const BOOK_MOD = words("outra", "outro", "mais", "nova", "novo", "proxima", "proximo", "uma", "um", "another", "next", "otra", "otro");
const BOOK_CTX = words(
  "quero", "queria", "gostaria", "adoraria", "quiero", "want", "like", "vamos", "bora", "partiu", "pode", "podemos",
  "posso", "poderia", "podia", "podem", "puede", "can", "could", "da", "daria", "preciso", "precisamos", "necesito",
  "need", "como", "faco", "faz", "vou", "ja", "lets", "topo", "sim", "s", "si", "yes", "claro", "certeza", "ok",
  "quando", "onde", "idiomquero", "idiomsim", "to", "aceito", "tabom", "beleza", "please",
);
/** What may precede an imperative that still opens the request: "já marca", "me encaixa", "então agenda". */
const IMP_LEAD = words("ja", "entao", "me", "nos", "por", "favor", "please", "logo");
/** What "num" negates when it stands for "não" ("num dá", "num quero", "num vou"). */
const NUM_VERB = new Set<string>([...WANT, ...NEED, ...ABLE, ...HAVE, ...BOOK_NEGATABLE, "sei", "vou", "to", "estou", "e", "tem"].filter((w) => w !== "outra" && w !== "outro"));
const NOUN_DET = words("a", "minha", "sua", "tua", "nossa", "na", "da", "de", "vossa", "essa", "esta", "dessa", "nessa", "uma", "the", "my", "your", "sem", "com", "pela", "numa", "boa", "propria", "tu", "mi", "la", "una");

const YES_ALWAYS = words("sim", "s", "si", "yes", "yeah", "yep", "yup", "sure", "uhum", "aham", "ahan", "unhum", "uhun", "positivo", "afirmativo", "dale", "idiomsim");
const YES_GUARDED = words("claro", "certeza", "certamente", "obvio", "obviamente", "logico", "isso", "exato", "exatamente", "fechado", "fechou", "combinado", "vale", "absolutely", "definitely", "demorou");
const WEAK_YES = words("ok", "beleza", "certo", "joinha", "joia", "tranquilo", "suave", "sussa", "firmeza", "tabom", "alright", "bueno", "fine", "perfeito", "perfect");
const WEAK_NO = words("negativo", "nada");
/** "vlw flw", "obrigado, tchau": thanks and goodbye, nothing taken from the offer. */
const FAREWELL = words("falou", "tchau", "bye", "adeus", "fui", "inte", "flw");
const DESIRE_ALWAYS = words("bora", "partiu", "topo", "aceito", "idiomquero", "adoraria");
const DESIRE_WITH_OBJECT = words("quero", "querer", "queria", "gostaria", "quiero", "want", "pretendo", "preciso", "precisamos", "necesito", "need", "vamos", "lets", "vamonos");
const DESIRE_NEEDS_BOOKING = words("preciso", "precisamos", "necesito", "need");
const DESIRE_SKIP = words("de", "a", "o", "to", "em", "um", "uma", "muito", "deixar", "deixa", "ja", "fazer", "ter");
const DESIRE_OK = words(
  "sim", "si", "yes", "demais", "ja", "agora", "logo", "tambem", "voltar", "continuar", "ir", "vir", "retornar",
  "seguir", "mesmo", "bastante", "claro", "com", "pra", "la", "nessa", "nesa", "que", "fechar", "combinar", "it",
  "go", "do", "dale", "muito", "denovo", "volver", "seguir", "marcar",
);
const MODAL = words("pode", "podemos", "poderia", "podia", "posso", "podem", "puede", "podriamos", "can", "could", "poderiamos");
const COMPARATIVE = words("mais", "menos", "melhor", "pior", "maior", "menor", "tao", "bem", "um");
const MODAL_SKIP = words("me", "te", "nos", "a", "gente", "sim", "ja", "entao", "so", "we", "i", "you");

const SLOT = words(
  "horario", "horarios", "vaga", "vagas", "data", "datas", "disponibilidade", "disponivel", "disponiveis", "livre",
  "livres", "slot", "slots", "availability", "available", "opening", "openings", "disponible", "disponibles", "hueco",
  "huecos", "encaixe", "agenda", "opcoes", "opcao", "sugestoes",
);
const AVAIL_CUE = words(
  "tem", "teria", "tera", "tinha", "ha", "existe", "existem", "quais", "qual", "quando", "manda", "mande", "mandar",
  "envia", "envie", "enviar", "passa", "passe", "passar", "mostra", "mostre", "mostrar", "ver", "veja", "saber",
  "sugere", "sugira", "sugestao", "sugestoes", "opcoes", "opcao", "any", "have", "send", "what", "which", "tienen",
  "tiene", "hay", "cuales", "cual", "proxima", "proximo", "primeiro", "primeira", "algum", "alguma", "outro", "outra",
  "ve", "arruma", "arranja", "separa", "guarda", "reserva", "consegue",
);
/** "Qual horário vocês fecham?" asks about the business, not a slot. */
const OPENING_HOURS = words("fecha", "fecham", "abre", "abrem", "funciona", "funcionam", "funcionamento", "encerra", "encerram", "close", "open", "opens", "closes");
/** "Posso pagar na quinta?" names a day for something else than a meeting. */
const OTHER_ERRAND = words(
  "pagar", "levar", "trazer", "buscar", "pegar", "mandar", "enviar", "entregar", "receber", "retirar", "depositar",
  "transferir", "ligar", "perguntar", "abrir", "acessar", "assinar", "imprimir", "apresentar", "pago", "mando",
  "envio", "entrego", "levo", "trago", "busco", "pego", "ligo", "vence", "sai", "chega", "fica pronto", "pay", "send",
);
const SLOT_EXCL_AFTER = words(
  "atendimento", "funcionamento", "abertura", "fechamento", "chegada", "saida", "exame", "exames", "resultado",
  "entrega", "pagamento", "vencimento", "nascimento", "validade", "emissao", "envio", "estacionamento", "tratamento",
  "plano", "planos", "pacote", "pacotes", "valores", "valor", "preco", "precos", "parcelamento",
);

const PAST = words(
  "ontem", "foi", "fui", "fomos", "foram", "cheguei", "chegou", "chegamos", "chegaram", "atrasou", "atrasaram",
  "atrasada", "atrasado", "esperei", "esperando", "esperamos", "fiquei", "ficou", "ficamos", "era", "eram",
  "estava", "estavam", "tava", "tavam", "teve", "tive", "tivemos", "comecou", "acabou", "terminou", "saiu",
  "atendeu", "atenderam", "atendido", "atendida", "demorou", "demoraram", "consegui", "marquei", "marcaram",
  "marcou", "agendaram", "agendei", "agendou", "disse", "disseram", "falou", "falaram", "passou", "passei",
  "durou", "caiu", "veio", "vieram", "liguei", "ligaram", "mandaram", "mandou", "recebi", "perdi", "esqueci",
  "esqueceram", "tinha", "havia", "last", "yesterday", "was", "were", "did", "fue", "estuvo", "semana passada",
  "passada", "passado", "remarcaram", "cancelaram", "desmarcaram", "demorei", "tentei", "precisei", "paguei", "pedi",
);

const POLITE = words(
  "obrigado", "obrigada", "valeu", "thanks", "thank", "you", "gracias", "grato", "grata", "agradeco", "agradecida",
  "agradecido", "por", "favor", "please", "senhor", "senhora", "abraco", "abracos", "bjs", "beijos", "beijo", "att",
  "atenciosamente", "abs", "viu", "querida", "querido", "dr", "dra", "doutor", "doutora", "much", "muchas",
);
const LEAD = words(
  "mas", "e", "ah", "ai", "entao", "opa", "oi", "ola", "olha", "pois", "tipo", "oba", "eba", "uai", "eita", "hey",
  "hi", "hello", "hola", "ei", "well", "oh", "hmm", "hm", "nossa", "poxa", "bem", "bom", "porem", "but", "pero",
  "entonces", "pues", "so", "alo", "ufa",
  // regional and chat interjections, vocatives: bah/tchê (south), oxe/vixe/visse/macho (northeast),
  // uai (Minas), caraca/mermão (Rio), mano/véi (São Paulo, Brasília), égua (Pará)
  "bah", "tche", "oxe", "oxente", "oxi", "vixe", "vixi", "vish", "ixi", "ixe", "eita", "egua", "arre",
  "caraca", "caramba", "mano", "mana", "mermao", "vei", "visse", "macho", "po", "pow", "orra", "ue",
  "hein", "ne", "guri", "guria", "mds", "slk", "tlgd", "pprt", "amiga", "amigo", "miga", "migo", "interjeicao",
);
const STOP = words(
  "a", "o", "as", "os", "um", "uma", "uns", "umas", "de", "da", "do", "das", "dos", "em", "na", "no", "nas", "nos",
  "num", "numa", "pra", "pro", "pras", "pros", "para", "por", "pelo", "pela", "com", "e", "ou", "que", "eu", "me",
  "mim", "meu", "minha", "te", "ti", "voce", "voces", "ele", "ela", "gente", "se", "ai", "la", "aqui", "entao",
  "tipo", "mesmo", "so", "tambem", "ja", "ne", "ta", "to", "esta", "estou", "isso", "esse", "essa", "este", "isto",
  "the", "an", "for", "i", "it", "is", "el", "en", "lo", "y", "muito", "bem", "mais", "ser", "seria", "sera",
  "ainda", "ate", "vez", "dai", "sabe", "certinho", "demais", "fica", "ficar",
);
const TIME_WORDS = words(
  "segunda", "terca", "quarta", "quinta", "sexta", "sabado", "domingo", "feira", "manha", "tarde", "noite", "cedo",
  "cedinho", "amanha", "hoje", "semana", "semanas", "que", "vem", "proxima", "proximo", "dia", "dias", "daqui",
  "horas", "hora", "horario", "mesmo", "mesma", "as", "partir", "depois", "antes", "meio", "almoco", "fim", "final",
  "inicio", "comeco", "pela", "de", "am", "pm", "morning", "afternoon", "evening", "tomorrow", "next", "week",
  "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "lunes", "martes", "miercoles",
  "jueves", "viernes", "manana", "noche", "las", "asap", "tardinha", "manhazinha", "primeira", "duas", "tres",
  "quatro", "cinco", "dez", "quinze", "vinte", "em", "dentro", "qualquer", "periodo", "turno", "at", "on", "this",
);
const TIME_CUE = words(
  "pode", "podemos", "poderia", "podia", "posso", "seria", "sera", "tal", "prefiro", "preferencia", "prefere",
  "preferivel", "fica", "ficaria", "da", "daria", "consegue", "consigo", "conseguimos", "tem", "teria", "tera",
  "rola", "ok", "melhor", "bom", "otimo", "ideal", "funciona", "serve", "livre", "disponivel", "tabom", "beleza",
  "combinado", "fechado", "topo", "mim", "can", "could", "how", "about", "works", "work", "would", "good", "fine",
  "puede", "mejor", "bien", "perfeito", "perfect", "so", "qualquer", "ou", "tal", "sim", "quero", "vamos",
  "bora", "marcar", "agendar", "marca", "agenda", "marcamos", "agendamos",
);
// Laughter (kkkk, kkkj, rsrs, hahaha, huahua, hauhau, huehue, ksks) and a few sighs.
const FILLER = /^(?:k+j*k*|(?:rs)+r?|(?:ha)+h?|(?:he)+h?|(?:hi)+|(?:ja)+|(?:ka)+|(?:ah)+a?|(?:hu[ae]|ha[uh]|ahu|auh|uah)+[hua]?|(?:ks)+k?|lol|lmao|kk|uhu|aff|af)$/;
/** A verb in the past ("gostei", "funcionou", "atrasaram"): "gostei não" is a complaint, not a refusal. */
const PAST_FORM = /^[a-z]{2,}(?:ei|ou|eu|iu|aram|eram|iram|amos)$/;
const DIGITISH = /^\d/;
const INFINITIVE = /^[a-z]{2,}[aei]r$/;

// --- phrase patterns --------------------------------------------------------------------------

/** A "não" that ends the thought: "agora não", "agora não dá", "por enquanto não, obrigado". */
const NAO_TAIL = "nao(?= $| (?:da|dar|posso|consigo|rola|vai|vou|quero|preciso|tenho|obrigado|obrigada|valeu|gracias|thanks|eu|to|estou|k|rs|pra mim|mesmo|ne|viu|tabom) )";

const OPT_OUT = clausePhrases([
  "(?:para|pare|parem|parar) de (?:me )?(?:mandar|enviar|mandando|enviando|encher|perturbar|incomodar|ligar)",
  "nao (?:me )?(?:mande|mandem|manda|envie|enviem|envia|mandar|enviar|ligue|liguem) mais",
  "nao quero (?:mais )?receber",
  "(?:me )?(?:tira|tirar|tire|tirem|remove|remover|remova|removam|exclui|excluir|exclua|excluam) (?:da|dessa|desta|deste|desse|meu|o meu|o|do|meus) (?:lista|numero|contato|cadastro|dados)",
  "sair da lista", "descadastr\\S*", "stop", "unsubscribe", "nao (?:me )?(?:incomode|incomodem|perturbe|perturbem)",
  "(?:vou|irei) bloquear", "bloquear (?:esse|este|o) numero", "spam",
]);

/** A contented state said of oneself: "tô bem", "estou satisfeita", "já estou ótima". */
const CONTENT_STATE =
  "(?:to|estou|tamo|estamos|fico|ficamos|ja estou|ja to|me sinto|ja me sinto) (?:muito |super |bem |ja |mesmo )?(?:bem|ok|otim[oa]|tranquil[oa]|satisfeit[oa]|sussa|suave|de boa|bem servid[oa]|servid[oa]|resolvid[oa])";
/** The whole clause is that state (with thanks at most): "tô bem, obrigado", "estou satisfeita". */
const CONTENT_BARE = clausePhrases([
  `^ (?:eu )?${CONTENT_STATE}(?: (?:obrigad[oa]|valeu|gracias|mesmo|gracas a deus))? $`,
  "^ (?:ja )?(?:ta|esta|ficou|foi) (?:tudo )?resolvido $",
  "^ (?:ja )?(?:satisfeit[oa]|bem servid[oa])(?: (?:obrigad[oa]|valeu|por enquanto|por ora|por agora))? $",
]);
/** "De boa" alone may be "sure"; thanked ("de boa, obrigado") it is "I'm good". */
const DE_BOA_BARE = clausePhrases(["^ (?:to |estou |ja to |ja estou |ta )?(?:de boa|sussa|tranquil[oa]|suave) $"]);
/** After a contrast the same state is a decline: "Obrigada, mas estou satisfeita com o resultado". */
const CONTENT_AFTER_CONTRAST = clausePhrases([`^ (?:mas|porem|but|pero) (?:no momento |por enquanto |por agora |por ora |agora |hoje )?(?:eu )?(?:acho que )?${CONTENT_STATE}(?: (?:com (?:o|os) resultados?|com o que|com isso|assim|por enquanto|por agora|por ora|mesmo|obrigad[oa]|agora|no momento|hoje))? $`]);

/** Another professional or place: "outra clínica", "outro psicólogo". */
const OTHER_PLACE =
  "(?:outro|outra|outros|outras) (?:profissional|profissionais|medico|medica|clinica|lugar|advogado|advogada|escritorio|psicologo|psicologa|terapeuta|estudio|academia|dentista|nutricionista|personal|consultorio|especialista|local)";

const DECLINE = clausePhrases([
  "nem pensar", "nem a pau", "nem morto", "nem morta", "de jeito nenhum", "de jeito maneira",
  "de (?:forma|modo|maneira) (?:alguma|nenhuma)", "deus me livre", "nunca mais", "(?:to|estou|tamo|estamos) fora",
  "dispenso", "(?:vou|vo|vai) ficar devendo", "fico devendo", "(?:eu )?passo (?:dessa|desta|essa|esta|por) (?:vez|agora|enquanto|ora)",
  "vou passar(?: dessa| desta| essa| esta)?(?: vez)?(?= $)", "^ (?:eu |dessa vez |desta vez )?passo(?: dessa| desta| essa| esta)?(?: vez)?(?: obrigad[oa]| valeu)? $", "^ pass $",
  "(?:ja )?tabom (?:assim|por enquanto|por agora|por ora|desse jeito)",
  // "I'm fine as I am": a contented state qualified by "assim", "por enquanto", "com isso".
  `${CONTENT_STATE} (?:assim|por enquanto|por ora|por agora|por hora|por hoje|desse jeito|so com|com (?:isso|o que|o tratamento atual)|no momento|sem)`,
  // "tô de boa", "já estou bem servida": said of oneself, these only decline.
  "(?:to|estou|tamo|estamos|fico|ficamos|ja estou|ja to|ta tudo|esta tudo) (?:muito |super |bem |ja )?(?:de boa|bem servid[oa]|servid[oa])",
  "^ (?:to |estou |ja to |ja estou )?de boa (?:obrigad[oa]|valeu|gracias|thanks|por enquanto|por agora|por ora|assim)",
  // nothing left to do: "já resolvi o que precisava", "por ora está tudo resolvido"
  "ja (?:resolvi|resolvemos|consegui resolver|esta resolvido|ta resolvido|foi resolvido|esta tudo resolvido|ta tudo resolvido|tenho tudo)",
  "(?:por ora|por enquanto|por agora|por hora|por hoje) (?:esta|ta|fica|e|ficou) (?:tudo )?(?:resolvido|certo|ok|tranquilo|tabom|otimo|suficiente)",
  "(?:tenho|consegui|peguei|resolvi|recebi) (?:tudo )?(?:o )?(?:que|q) (?:preciso|precisava|queria|eu precisava|eu queria)",
  "(?:e|era|seria|por hoje e|por agora e) so isso(?: mesmo)?(?= $| obrigad| valeu)",
  "sem chance", "(?:nenhuma|zero) chance", "chance zero", "nem (?:sonhando|ferrando|a pau|que a vaca tussa)",
  "(?<!nao )(?:desisti|desisto|desistimos)", "(?:vou|vamos|prefiro|preciso|tenho que) (?:declinar|recusar)", "declino", "recuso",
  "^ (?:bem|mas bem) capaz(?: tche| bah| guri| guria)? $",
  "pode deixar(?= $| obrigad| valeu| tranquil| por| entao| mesmo| ta| esta)",
  "nao (?:e|sera|vai ser|seria) (?:o |um |uma |a )?(?:momento|hora|boa hora|prioridade|necessario|preciso|o caso)",
  "(?:sem|nao ha|nao tem|nao existe) (?:necessidade|interesse)", "desnecessario",
  "deix(?:a|ar|o|e|amos|emos) (?:isso )?(?:quieto|pra la|para la|estar)",
  `(?:procurar|buscar|tentar|tenho|com|fechei com|marquei com|continuar com|ficar com|seguir com) (?:um |uma )?${OTHER_PLACE}`,
  // already cared for elsewhere: "já estou sendo atendida em outro lugar", "vou fazer com outra psicóloga"
  `(?:ja (?:estou|to|tenho|faco|sou)|estou|to|vou|prefiro|decidi|resolvi) (?:\\S+ ){0,3}(?:em|no|na|com|pelo|pela|por) (?:um |uma )?${OTHER_PLACE}`,
  // on my own from here: "vou seguir sozinha", "consigo continuar por conta própria"
  "(?:vou|vamos|prefiro|quero|posso|consigo|sigo|continuo|decidi) (?:(?!marcar |agendar |remarcar )\\S+ ){0,2}(?:sozinh[oa]s?|por conta(?: propria)?|sem (?:acompanhamento|ajuda))(?! ou )",
  "(?<!nao )(?:vou|vamos|prefiro|preferi|decidi|melhor|acho melhor|quero) (?:ficar|parar) por aqui",
  "(?<!nao )(?:vou|vamos|prefiro|preciso|quero|decidi|resolvi|melhor|acho melhor) (?:pausar|parar|dar uma pausa)(?= $| por (?:enquanto|agora|ora|um tempo))",
  "(?:preciso|precisamos|quero|vou precisar) de (?:um |uma )?(?:tempo|tempinho|pausa|respiro|descanso|folga)(?= $| pra| para| agora| obrigad| viu)",
  "nao (?:tem|tenho|ha|vai ter|teria|tera) (?:como|jeito)(?= $| agora| esse| este| essa| esta| no momento| por| nao| mesmo| infelizmente| nesse| neste| tche| viu| visse)",
  "nem vem", "nem inventa", "nada feito",
  // "por ora passo", "dispensa", "sem precisão"
  "(?:por ora|por enquanto|por agora|dessa vez|desta vez|agora|hoje) (?:eu )?passo(?= $| obrigad| valeu)",
  "^ dispensa(?: obrigad[oa]| valeu)? $", "(?:sem|nao tem|nao ha) precisao",
  // out, enough, closed: "fora kkkk", "já deu", "só isso mesmo, obrigado", "encerrado por aqui", "deixa como está"
  "^ fora(?= $| k| rs| ha| obrigad| valeu)", "^ (?:ja )?deu(?: por (?:hoje|enquanto|agora|ora))?(?= $| obrigad| valeu)",
  "^ so isso(?: mesmo)?(?= $| obrigad| valeu| por (?:enquanto|hoje|agora|ora))",
  "(?:encerrad[oa]|finalizad[oa]|encerramos|finalizamos) (?:por aqui|aqui|por enquanto|por ora|por agora|por hoje)",
  "deix(?:a|ar|o|e|amos|emos) (?:(?:tudo|isso) )?(?:como (?:esta|ta)|do jeito que (?:esta|ta))", "dispensad[oa](?= $| obrigad| valeu)",
  // only what I already have: "vou seguir só com os exercícios em casa"
  "(?:vou|vamos|prefiro|quero|posso|consigo|sigo|continuo|decidi|fico|vou ficar) (?:seguir |continuar |ficar )?(?:so|somente|apenas) com (?!(?:a |o )?(?:dra?|doutora?|mesm[oa]|ela|ele|voces?|senhora?|profissional) )(?:os |as |o |a |meu |minha |meus |minhas )?\\S+", "^ (?:ah |entao )?deixa(?: assim)? $",
  "(?<!nao )(?:vou|vamos|quero|prefiro|preferi|decidi|resolvi|optei por|acho melhor|melhor|preciso) (?:parar|encerrar|finalizar|pausar|interromper) (?:por aqui|aqui|as sessoes|o tratamento|o acompanhamento|as aulas|(?:por )?(?:um tempo|enquanto))", "esquece(?= $)", "esqueca(?= $)",
  "(?:pode|podem|quero|queria|gostaria de|preciso|vou|vamos|favor) (?:cancelar|desmarcar)",
  "(?:cancela|cancele|desmarca|desmarque)(?= $| sim| por| o| a| tudo| pra)",
  "no thanks", "no thank you", "not interested", "no need", "no way", "dont think so", "not really", "ill pass",
  "i pass", "im good", "im fine", "not for me", "cant make it",
  "no gracias", "^ paso $", "mejor no", "ni loco", "para nada", "de ninguna manera", "no hace falta",
]);

const POSTPONE = clausePhrases([
  `(?:agora|agorinha|momento|enquanto|ora|hora|ainda|hoje|vez|semana|mes)(?: \\S+)? ${NAO_TAIL}`,
  "nao (?:agora|por enquanto|por ora|por agora|por hora|no momento|neste momento|nesse momento|ainda|hoje|essa semana|esta semana|esse mes|este mes|dessa vez|desta vez|tao cedo|now|yet|today)",
  "ainda nao sei", "nao sei (?:ainda|se|agora|quando)", "^ (?:eu )?(?:ainda )?nao sei $", "sei la", "nem sei(?= $| ainda| se)",
  "talvez", "quem sabe", "quizas", "quiza", "tal vez", "maybe", "perhaps", "pode ser que", "vamos ver", "veremos",
  "depois(?= $)",
  "(?:talvez|quem sabe|deixa|deixo|deixar|deixamos|fica|ficar|vou deixar|vamos deixar|mais|so|somente) (?:pra |para |p )?depois",
  "depois (?:eu|te|a gente|vejo|marco|falo|aviso|retorno|chamo|agendo|confirmo|penso|resolvo|vemos|conversamos|combinamos|volto|entro|procuro|decido|respondo|mando|ligo)",
  "depois que",
  // "por enquanto nada", "nada no momento": nothing (to book) for now
  "(?:por enquanto|por ora|por agora|por hora|no momento|nesse momento|neste momento|agora|hoje) nada(?= $| obrigad| valeu| nao)",
  "nada (?:por enquanto|por ora|por agora|por hora|no momento|nesse momento|neste momento|agora|hoje)(?= $| obrigad| valeu)",
  "(?:quando|assim que|logo que) (?:eu )?(?:puder|conseguir|tiver tempo|der) (?:eu |a gente )?(?:marco|agendo|volto|aviso|chamo|falo|retorno|ligo|procuro|marcamos|vejo)",
  "mais tarde", "outra hora", "outro dia", "(?<!da |na |que nem |como )outra vez(?= $)", "(?:outro|outra) (?:momento|oportunidade|ocasiao|ocasion)",
  "(?:deixa|deixo|deixar|deixamos|fica|ficar|vamos deixar|vou deixar) (?:pra|para|pro) (?:a |uma )?(?:proxima|outra|outro|frente|mais tarde|depois|futuro)",
  "mais (?:pra|para|a|pro) frente", "mais adiante", "futuramente", "no futuro",
  "em breve (?:eu|a gente|te|entro|marco|retorno|volto)", "um dia (?:eu|a gente)",
  "(?<!nao )(?:vou|vamos|deixa eu|deixe eu|deixa|preciso|tenho que|tenho de|vou ter que|vou precisar|irei|prefiro) (?:ver|pensar|verificar|checar|olhar|consultar|conversar|falar|analisar|avaliar|organizar|conferir|decidir|refletir|combinar com|me organizar)(?! (?:os|as) (?:horarios|datas|vagas|opcoes))",
  "quero pensar", "(?:to|estou|tamo|estamos) pensando", "pensar (?:melhor|com calma|direito|direitinho|a respeito|no assunto)",
  "penso (?:depois|e|nisso|no caso)", "vou refletir",
  "eu vejo", "vejo (?:isso|depois|com calma|aqui|direitinho|e te|e aviso|e retorno|e falo|e volto)", "verei",
  "(?:te|lhe|vos|eu|a gente) (?:aviso|retorno|falo|chamo|procuro|ligo|contato|contacto|respondo|mando mensagem|dou retorno|dou um retorno)",
  "aviso (?:depois|quando|voces|voce|assim)", "(?:entro|entrarei|volto a entrar|vou entrar|entramos) em contato",
  "retorno (?:depois|em breve|mais tarde|assim que|quando|o contato|com voces|pra voces|para voces|logo)", "dou (?:um )?retorno",
  "qualquer coisa (?:eu |a gente )?(?:chamo|aviso|falo|procuro|mando|entro|retorno|grito|ligo|marco|agendo|volto|chamamos)",
  "(?:quando|assim que) eu (?:puder|der|tiver|precisar|quiser|estiver|voltar|conseguir|souber|decidir|resolver|organizar|sentir)",
  "(?:quando|assim que) (?:voltar|retornar|melhorar|receber|sarar|me organizar|normalizar|acalmar)",
  "(?:quando|se) (?:precisar|sobrar|der certo|sentir necessidade|tiver necessidade) (?:eu|a gente|te|entro|chamo|aviso|falo|volto|marco|procuro|retorno|agendo)",
  "(?:quando|assim que|se) (?:eu )?(?:precisar|sobrar)(?= $)",
  "(?<!nao )(?:vou|prefiro|vamos|melhor|quero|preciso|vou ter que|vou precisar) (?:esperar|aguardar)",
  "esperar (?:um pouco|mais|um tempo|passar|um pouquinho|uns dias)",
  "(?:dar|dou|vou dar|dando|preciso dar|quero dar|vamos dar) (?:um tempo|uma pausa|um intervalo|uma parada|um descanso|uma segurada|um tempinho)",
  "segurar um pouco", "por (?:enquanto|ora|agora|hora|hoje) (?:e so|so isso|e isso|estou bem|to bem|tabom|chega)",
  "not now", "not right now", "not yet", "not today", "maybe later", "later(?= $)", "some other time", "another time",
  "ill think", "let me think", "let me check", "let you know", "get back to you", "next time", "in the future", "think about it",
  "mas adelante", "despues(?= $)", "luego(?= $)", "lo pienso", "(?:voy a|lo voy a) pensar", "te aviso", "en otro momento", "por ahora",
]);

/**
 * "Na próxima vez": a postponement ("fica pra próxima", "na próxima eu marco") unless it
 * introduces a wish for the next visit ("da próxima vez podiam ter café"), see SUGGESTION.
 */
const NEXT_TIME = clausePhrases(["numa proxima", "na proxima(?= $| vez| oportunidade| a gente| eu)", "proxima vez", "next time"]);

/**
 * A complaint phrased as a wish: "podiam ter café", "seria bom ter estacionamento", "não
 * atrasem". It answers nothing about booking; it keeps a "next time" from reading as a
 * postponement and a slot word from reading as a question about free slots.
 */
/** Any infinitive ("avisar", "oferecer", "abrir") except meeting again ("marcar", "voltar"). */
const WISH_VERB = "(?!marcar |agendar |remarcar |reagendar |voltar |continuar |retornar )[a-z]+(?:ar|er|ir)(?= )";

const SUGGESTION = clausePhrases([
  "(?:podiam|poderiam|podia|poderia|deveriam|deveria|devia|deviam|precisam|precisavam|precisava) (?:ter|ser|estar|colocar|melhorar|explicar|avisar|ligar|oferecer|disponibilizar|aumentar|diminuir|trocar|arrumar|consertar|limpar|abrir|confirmar|chegar|atender|investir|dar|fazer|pensar|rever|cuidar|mudar|servir|deixar|providenciar|organizar|respeitar|caprichar|ajustar|treinar|contratar|pontuais|mais|menos|um|uma)",
  // "seria bom avisar", "deveriam explicar": a wish with any verb but booking again
  `seria (?:bom|legal|otimo|otima|interessante|bacana|melhor|ideal|util|bem legal|muito bom) (?:se|que|voces|terem|tivesse|tivessem|${WISH_VERB})`,
  `(?:podiam|poderiam|deveriam|deveria|devia|deviam) (?:me |nos )?${WISH_VERB}`,
  "(?:nao )?(?:atrasem|esquecam|avisem|liguem|confirmem|tragam|coloquem|mandem|melhorem|sejam|tenham|facam|ponham|arrumem|consertem|troquem|limpem|expliquem|cheguem|deixem|lembrem|cobrem|atualizem|mudem|oferecam|respeitem|demorem|caprichem|ajustem|verifiquem|revejam|cuidem|treinem|contratem)",
  "(?:faltou|faltaram|sentimos falta|senti falta)",
  "(?:sugiro|sugestao|sugeriria|recomendaria|recomendo que)", "(?:favor|por favor|pfv) (?:nao )?(?:confirmar|avisar|ligar|mandar|enviar|trazer|chegar|atualizar|lembrar|verificar|conferir|atrasar|esquecer)", "(?:seja|sejam|fosse|fossem|esteja|estivesse) (?:mais|menos|melhor)",
  "(?:quero|queria|gostaria de|espero) ser (?:atendid[oa]|chamad[oa]|avisad[oa]|recebid[oa]|tratad[oa])",
  // next time I want to arrive and be seen on time: a wish about the visit, not about booking
  `(?:proxima|next)(?: vez)? (?:eu )?(?:quero|queria|gostaria de|prefiro) ${WISH_VERB}`,
  "(?:espero|gostaria|queria|quero) que (?:voces|a recepcao|a equipe|seja|sejam|fosse|nao)",
  // a hope or wish about how things should be, not a booking: "espero que não atrase", "queria que a dra explicasse"
  "(?:espero|tomara|gostaria|queria|torco (?:pra|para)) que(?! (?:\\S+ ){0,2}(?:marc|agend|encaix|reserv|remarc))",
  "(?:proxima|next)(?: vez)? (?:que |se )?(?:tenha|tenham|tivesse|tivessem|seja|sejam|fosse|fossem|esteja|estejam|haja|houvesse)",
  "nao (?:atrasa|atrase|esquece|esqueca|demora|demore|cobra|cobre|muda|mude) (?:de novo|mais|tanto|assim|dessa|desta|o|a|os|as|meu|minha)",
  "nao (?:atrasa|atrase|esquece|esqueca|demora|demore)(?= $)",
]);

const DECLINE_REASON = clausePhrases([
  "(?:to|estou|ando|tamo|estamos|fico|ficarei|vou estar|vou ficar|estarei) (?:muito |super |bem )?(?:viajando|sem tempo|sem grana|sem dinheiro|corrido|corrida|enrolado|enrolada|apertado|apertada|ocupado|ocupada|atolado|atolada|de ferias|de mudanca|doente|longe|mudando|sem agenda|de viagem|em viagem|sem condicoes|desempregad[oa]|sem trabalho)",
  "sem (?:tempo|grana|dinheiro|condicoes|condicao|agenda|disponibilidade|previsao|verba|money|time)",
  "(?:agenda|semana|mes|rotina) (?:cheia|lotada|corrida|apertada|complicada|puxada)",
  "(?:financeiramente|financeiro|orcamento) (?:apertado|complicado|dificil)",
  "(?:ta|esta|anda) (?:puxado|complicado|dificil|apertado|corrido|corrida|osso) (?:pra mim|agora|esse mes|essa semana|ultimamente)",
  "por (?:enquanto|ora|agora|hora)(?= $)", "no momento(?= $)", "busy", "no time", "vou viajar",
  "(?:vou|vamos|estou|to|estamos|tamo) (?:me |nos )?mud(?:ar|ando) (?:de |pra |para )?(?:cidade|estado|pais|bairro|outra cidade|outro estado|outro pais|fora)", "vou estar viajando",
  // a bare "difícil", "complicado agora", "acho difícil": hard for me right now
  "^ (?:(?:ta|esta|fica|e|vai ser|seria|meio|muito|bem|super|bastante|anda|acho|eu acho|ai|agora|no momento|hoje|esse mes|essa semana|por enquanto|ai) )*(?:dificil|complicado|complicada|complica|complicou|inviavel|impossivel|osso|puxado|puxada|tenso|tensa)(?: (?:agora|no momento|pra mim|para mim|esse mes|este mes|essa semana|esta semana|por enquanto|por agora|ultimamente|demais|viu|hoje|amanha|visse|tche|uai|infelizmente))* $",
  "acho (?:meio |muito |bem )?(?:dificil|complicado|improvavel)",
]);

const FAR_HORIZON = clausePhrases([
  "(?:mes|ano|semestre) (?:que vem|seguinte)", "(?:proximo|outro) (?:mes|ano|semestre)",
  "daqui (?:a )?(?:uns |alguns |um |uma )?(?:\\d{1,2} |dois |tres |quatro |seis )?(?:mes|meses|ano|anos)",
  "(?:em|so em|la pra|la para|pra|para|no) (?:janeiro|fevereiro|marco|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro)",
  "(?:fim|final|inicio|comeco|virada) do ano",
  "depois d(?:o|a|as|os) (?:carnaval|ferias|natal|ano novo|festas|viagem|cirurgia|parto|mudanca|reforma|casamento|pascoa|feriado|feriadao|copa|eleicao|eleicoes|recesso|semestre|provas|obra)",
  "next (?:month|year)", "(?:mes|ano) que viene", "el proximo (?:mes|ano)",
]);
const CONTRAST_OPENERS = words("mas", "porem", "but", "pero", "entretanto", "contudo");
const RESTRICTIVE = words("so", "somente", "apenas", "talvez", "quizas", "mas", "only", "maybe", "solo", "minimo", "pero", "ainda");

// A day or time the customer proposes. CLOCK_OR_DATE is the precise kind, which can even turn
// a hesitant "talvez" into a proposal ("talvez quinta às 10h?").
const CLOCK_OR_DATE_SRC = [
  "\\d{1,2}h(?:\\d{2})?", "\\d{1,2}(?:am|pm)", "(?:as|at|las|das|partir das) \\d{1,2}", "\\d{1,2} (?:horas|hora)",
  "meio dia", "\\d{1,2}/\\d{1,2}(?:/\\d{2,4})?", "dia \\d{1,2}", "dia (?:primeiro|dois|tres|quatro|cinco|dez|quinze|vinte|trinta)",
  "\\d{1,2} de (?:janeiro|fevereiro|marco|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro)",
];
const CLOCK_OR_DATE = phrases(CLOCK_OR_DATE_SRC);
const HESITATION = phrases(["talvez", "quem sabe", "tal vez", "maybe", "quizas"]);
const TIME = clausePhrases([
  ...CLOCK_OR_DATE_SRC,
  "(?:segunda|terca|quarta|quinta|sexta)(?! (?:vez|via|opiniao|pessoa|chance|parte|dose|sessao|consulta|reuniao|aula|tentativa|semana) )",
  "sabados?", "domingos?", "fim de semana", "final de semana",
  "monday|tuesday|wednesday|thursday|friday|saturday|sunday", "lunes|martes|miercoles|jueves|viernes",
  "amanha", "tomorrow", "manana", "depois de amanha",
  "hoje (?:a |de |pela |no |na )?(?:tarde|noite|manha|fim|final)", "hoje (?:as|a partir)",
  "(?:de|da|pela|na|a|no|fim da|final da|inicio da|comeco da|durante a|periodo da|parte da|in the|this|por la|en la|la) (?:manha|tarde|noite|tardinha|manhazinha|morning|afternoon|evening|noche)",
  "manha", "cedinho", "bem cedo", "mais cedo",
  "(?:horario|hora) (?:do|de) almoco", "(?:depois|antes) do (?:almoco|trabalho|expediente|servico|meio dia)",
  "(?:fim|final|inicio|comeco) do (?:dia|expediente)",
  "(?:semana|sem) que vem", "proxima semana", "(?:essa|esta|nessa|nesta) semana", "semana seguinte", "primeira semana",
  "next week", "this week", "semana que viene",
  "(?:daqui|dentro de|em|pra daqui|para daqui|daqui a) (?:a )?(?:\\d{1,2}|um|uma|uns|umas|dois|duas|tres|quatro|cinco|dez|quinze|alguns|algumas|poucos) (?:dia|dias|semana|semanas)",
  "in (?:a|one|two|three|\\d{1,2}) (?:days?|weeks?)", "(?:mesmo|mesma) (?:horario|hora|dia|esquema|periodo|turno)", "asap",
]);

// "Sim, correu tudo ótimo" answers the greeting, not the booking question.
const WELLBEING = clausePhrases([
  "correu", "ocorreu",
  "tudo (?:bem|certo|certinho|otimo|otima|ok|tranquilo|joia|beleza|perfeito|show|bom|top|nos conformes|em ordem|maravilhoso|excelente|tabom)",
  "deu (?:tudo )?certo",
  "(?:foi|ficou|estava|tava|esta|ta|foi tudo) (?:(?:tudo|muito|bem|super|bastante|realmente|tao|extremamente) )?(?:bom|boa|otimo|otima|bem|tranquilo|tranquila|excelente|perfeito|perfeita|produtivo|produtiva|maravilhoso|maravilhosa|show|top|incrivel|legal|proveitoso|proveitosa|esclarecedor|esclarecedora|util|sensacional|bacana|massa|agradavel|positivo|positiva|certo|ok)",
  "(?:went|was|it was|all|its|everything) (?:well|great|good|fine|ok|perfect)", "all good",
  "fue (?:muy )?(?:bien|bueno|buena|excelente|genial)", "salio (?:todo )?bien", "todo bien",
]);

// --- typo tolerance ---------------------------------------------------------------------------

// Long words that matter and have no common real-word neighbour; an unknown token one edit
// away ("agnedar", "horaio", "obrigdo") is read as them.
const FUZZY_TARGETS = [
  "agendar", "remarcar", "horario", "horarios", "disponivel", "disponiveis", "obrigado", "obrigada", "certeza",
  "gostaria", "amanha", "sabado", "domingo", "segunda", "semana", "reuniao", "encontro", "depois", "talvez", "marcar",
  "agendamento", "consulta", "proxima",
].map(squeeze);
const FUZZY_TARGET_SET = new Set(FUZZY_TARGETS);
const FUZZY_DELETIONS = new Map<string, string>();
for (const t of FUZZY_TARGETS) {
  for (const d of deletions(t)) if (!FUZZY_DELETIONS.has(d)) FUZZY_DELETIONS.set(d, t);
}

function deletions(w: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < w.length; i++) out.push(w.slice(0, i) + w.slice(i + 1));
  return out;
}

const TYPO_CACHE = new Map<string, string>();
const TYPO_CACHE_LIMIT = 10_000;

function correctTypo(key: string): string {
  if (key.length < 5 || KNOWN.has(key) || DIGITISH.test(key)) return key;
  let hit = TYPO_CACHE.get(key);
  if (hit === undefined) {
    hit = nearestKeyWord(key);
    if (TYPO_CACHE.size >= TYPO_CACHE_LIMIT) TYPO_CACHE.clear();
    TYPO_CACHE.set(key, hit);
  }
  return hit;
}

/** Same first and last letter required: typos hit the middle, conjugations ("gostaram") the end. */
function nearestKeyWord(key: string): string {
  const sameEnds = (t: string): boolean => t.charAt(0) === key.charAt(0) && t.charAt(t.length - 1) === key.charAt(key.length - 1);
  const direct = FUZZY_DELETIONS.get(key);
  if (direct && sameEnds(direct)) return direct;
  for (const d of deletions(key)) {
    if (FUZZY_TARGET_SET.has(d) && sameEnds(d)) return d;
    const viaBoth = FUZZY_DELETIONS.get(d);
    if (viaBoth && viaBoth.length === key.length && sameEnds(viaBoth)) return viaBoth;
  }
  return key;
}

// ---------------------------------------------------------------------------------------------
// Reading

type HardNegative = "opt-out" | "negation-before-verb" | "decline-idiom" | "postponement" | "explicit-no" | "decline-reason";
type StrongPositive = "positive-idiom" | "booking-request" | "proposes-time" | "availability-question" | "desire";
type SoftNegative = "constraint" | "decline-reason";

const HARD_ORDER: readonly HardNegative[] = ["opt-out", "negation-before-verb", "decline-idiom", "postponement", "explicit-no", "decline-reason"];
const STRONG_ORDER: readonly StrongPositive[] = ["positive-idiom", "booking-request", "proposes-time", "availability-question", "desire"];

interface Clause {
  keys: string[];
  line: string; // " k1 k2 … "
  question: boolean;
  index: number;
  /** Bits of the phrase lists whose first words occur here (see clausePhrases). */
  leads: number;
}

interface ClauseFacts {
  hard: Set<HardNegative>;
  strong: Set<StrongPositive>;
  soft: SoftNegative | null;
  yes: boolean;
  weakYes: boolean;
  weakNo: boolean;
  wellbeing: boolean;
  hasNeg: boolean;
  time: boolean;
  far: boolean;
  restrictive: boolean;
  hesitationOnly: boolean;
  /** "na próxima vez": a postponement unless a suggestion follows. */
  nextTime: boolean;
  /** A wish for the next visit ("podiam ter café", "não atrasem"). */
  suggestion: boolean;
  /** The clause is only "I'm fine (as I am)"; "thanked" when that needs a thanks to mean it. */
  contentBare: false | true | "thanked";
}

function toClauses(text: string): Clause[] {
  const out: Clause[] = [];
  for (const c of normalizeClauses(text)) {
    const keys: string[] = [];
    for (const token of c.tokens) {
      const k = squeeze(token);
      const expansion = ABBREVIATIONS.get(k);
      if (expansion) keys.push(...expansion);
      else keys.push(correctTypo(k));
    }
    const line = ` ${keys.join(" ")} `;
    if (!REWRITE_ANY.test(line)) {
      out.push({ keys, line, question: c.question, index: out.length, leads: leadsOf(keys) });
      continue;
    }
    let rewritten = line;
    for (const [pattern, replacement] of REWRITES) rewritten = rewritten.replace(pattern, ` ${replacement}`);
    const finalKeys = rewritten.split(" ").filter((k) => k.length > 0);
    if (finalKeys.length === 0) continue;
    out.push({ keys: finalKeys, line: ` ${finalKeys.join(" ")} `, question: c.question, index: out.length, leads: leadsOf(finalKeys) });
  }
  return out;
}

function at(keys: readonly string[], i: number): string {
  return i >= 0 && i < keys.length ? (keys[i] as string) : "";
}

function isFiller(k: string): boolean {
  return FILLER.test(k) || LEAD.has(k);
}

function isBookingWord(k: string): boolean {
  return BOOK_INF.has(k) || BOOK_IMP.has(k) || BOOK_PL1.has(k) || BOOK_COND.has(k) || BOOK_PART.has(k);
}

function isTimeKey(k: string): boolean {
  return TIME_WORDS.has(k) || DIGITISH.test(k);
}

function isNegation(keys: readonly string[], i: number): boolean {
  const k = at(keys, i);
  if (NEG.has(k)) return !(k === "nem" && i === keys.length - 1 && i > 0 && !keys.slice(0, i).every(isFiller));
  // "num dá", "num quero" (spoken não); "num dia desses" is "em um".
  if (k === "num") return NUM_VERB.has(at(keys, i + 1));
  if (k !== "no") return false;
  return keys.length === 1 || i === keys.length - 1 || NO_FOLLOW.has(at(keys, i + 1));
}

function skipFrom(keys: readonly string[], i: number, skip: ReadonlySet<string>, max = 4): number {
  let j = i;
  while (j < keys.length && skip.has(at(keys, j)) && j - i < max) j++;
  return j;
}

type NegReading = "refusal" | "explicit" | "hesitation" | "constraint" | "loss" | "opt-out" | null;

/** What a negation at i negates: a wanting/needing/booking verb (refusal), nothing (a bare no), or something else. */
function readNegation(keys: readonly string[], i: number, clause: Clause, hasPast: boolean): NegReading {
  const j = skipFrom(keys, i + 1, SKIP_AFTER_NEG);
  if (j >= keys.length) {
    // Northeastern negation after the verb: "gostei não", "num funcionou não" criticise, not refuse.
    if (i > 0 && !NUM_VERB.has(at(keys, i - 1)) && !SKIP_AFTER_NEG.has(at(keys, i - 1)) && PAST_FORM.test(at(keys, i - 1))) return null;
    // "Vocês são ótimos, não?" is a tag question; "me perguntaram se dava e eu disse que não" a story.
    if (clause.question && (keys.length >= 3 || clause.index > 0)) return null;
    if (hasPast && keys.length > 4) return null;
    return "explicit";
  }
  const t = at(keys, j);
  if (NEG.has(t) || t === "no" || POLITE.has(t) || isFiller(t)) return "explicit";
  if (LOSS.has(t)) return lossOrNothing(keys, j + 1);
  if (t === "sei") {
    const o = at(keys, j + 1);
    return o === "" || o === "ainda" || o === "se" || o === "agora" || o === "quando" || NEG.has(o) || POLITE.has(o) ? "hesitation" : null;
  }
  if (HAVE.has(t)) {
    const o = at(keys, skipFrom(keys, j + 1, OBJ_SKIP));
    return o === "" || HAVE_DECLINE_OBJ.has(o) ? "refusal" : null;
  }
  if (BOOK_NEGATABLE.has(t)) return "refusal";
  const isWant = WANT.has(t);
  const isNeed = NEED.has(t);
  const isAble = ABLE.has(t);
  if (!isWant && !isNeed && !isAble) return null;
  const m = skipFrom(keys, j + 1, OBJ_SKIP);
  const o = at(keys, m);
  if (o === "") return "refusal";
  if (isAble && (isTimeKey(o) || TIME.re.test(` ${keys.slice(m).join(" ")} `))) return "constraint";
  if (LOSS.has(o)) return lossOrNothing(keys, m + 1);
  if (isWant && (o === "receber" || o === "mensagem" || o === "mensagens")) return "opt-out";
  if (
    NEG.has(o) || POLITE.has(o) || isFiller(o) || REFUSAL_OBJ.has(o) || BOOK_NEGATABLE.has(o) || isBookingWord(o) ||
    BOOK_NOUN.has(o) || BOOK_MOD.has(o) || isTimeKey(o)
  ) {
    return "refusal";
  }
  if (o === "que" || o === "ser" || INFINITIVE.test(o)) return null; // "não consigo abrir o PDF", "não quero incomodar"
  return isWant ? null : "refusal";
}

function lossOrNothing(keys: readonly string[], from: number): NegReading {
  const o = at(keys, skipFrom(keys, from, OBJ_SKIP));
  return o === "" || LOSS_OBJ.has(o) || isBookingWord(o) || BOOK_NOUN.has(o) ? "loss" : null;
}

/** Index of the first word that is not a connector, greeting or filler. */
function firstContent(keys: readonly string[]): number {
  let i = 0;
  while (i < keys.length && isFiller(at(keys, i)) && !YES_GUARDED.has(at(keys, i)) && !WEAK_YES.has(at(keys, i))) i++;
  return i;
}

/** "claro", "certeza", "isso": a yes when they stand alone or lead into a yes/booking, not as an intensifier ("com certeza vou indicar"). */
function guardedYes(keys: readonly string[], i: number): boolean {
  let m = i + 1;
  while (m < keys.length && (at(keys, m) === "que" || at(keys, m) === "vou" || at(keys, m) === "a" || at(keys, m) === "gente" || at(keys, m) === "eu")) m++;
  const o = at(keys, m);
  if (o === "") return keys.length - i <= 3 || at(keys, i) !== "isso";
  return (
    YES_ALWAYS.has(o) || YES_GUARDED.has(o) || WEAK_YES.has(o) || MODAL.has(o) || DESIRE_ALWAYS.has(o) ||
    DESIRE_WITH_OBJECT.has(o) || isBookingWord(o) || BOOK_NEGATABLE.has(o) || BOOK_NOUN.has(o) || isTimeKey(o) ||
    POLITE.has(o) || isFiller(o) || o === "mesmo" || o === "absoluta" || o === "total"
  );
}

function desireSatisfied(keys: readonly string[], i: number): boolean {
  const k = at(keys, i);
  const m = skipFrom(keys, i + 1, DESIRE_SKIP);
  const o = at(keys, m);
  // "quero outra", "quero mais uma (sessão)": a modifier that stands for the next meeting.
  const nounOrEnd = (w: string) => w === "" || BOOK_NOUN.has(w) || w === "vez";
  const booking = isBookingWord(o) || BOOK_NOUN.has(o) ||
    (BOOK_MOD.has(o) && (nounOrEnd(at(keys, m + 1)) || (BOOK_MOD.has(at(keys, m + 1)) && nounOrEnd(at(keys, m + 2)))));
  if (DESIRE_NEEDS_BOOKING.has(k)) return booking || o === "sim" || (o === "novo" && at(keys, m - 1) === "de");
  if (booking) return true;
  if (o === "") return true;
  // "quero que marque pra quinta" books; "queria que fossem mais pontuais" is a wish about the service.
  if (o === "que") return [1, 2, 3].some((d) => /^(?:marc|agend|encaix|reserv|remarc)/.test(at(keys, m + d)));
  if (k === "vamos" || k === "lets" || k === "vamonos") {
    return YES_ALWAYS.has(o) || DESIRE_OK.has(o) || isTimeKey(o) || POLITE.has(o) || isFiller(o);
  }
  return YES_ALWAYS.has(o) || DESIRE_OK.has(o) || isTimeKey(o) || POLITE.has(o) || isFiller(o) || (o === "novo" && at(keys, m - 1) === "de");
}

function negatedBefore(keys: readonly string[], i: number): boolean {
  for (let b = Math.max(0, i - 3); b < i; b++) if (isNegation(keys, b)) return true;
  return false;
}

function readBooking(keys: readonly string[], i: number, start: number): boolean {
  const k = at(keys, i);
  if (BOOK_PL1.has(k) || BOOK_COND.has(k)) return true;
  const before = keys.slice(Math.max(0, i - 3), i);
  // "liga pra marcar", "como faço pra marcar": a purpose clause is a wish to book.
  const purpose = at(keys, i - 1) === "pra" || at(keys, i - 1) === "para";
  const ctx = purpose || before.some((b) => BOOK_CTX.has(b) || YES_ALWAYS.has(b) || WEAK_YES.has(b));
  const initial = i <= start || keys.slice(start, i).every((b) => YES_ALWAYS.has(b) || WEAK_YES.has(b) || isFiller(b) || MODAL.has(b) || IMP_LEAD.has(b));
  if (BOOK_PART.has(k)) return before.some((b) => b === "deixar" || b === "deixa" || b === "deixo" || b === "ja" || b === "pode" || b === "fica" || b === "ficar" || BOOK_CTX.has(b));
  if (BOOK_INF.has(k)) return ctx || initial;
  // Imperatives double as nouns: "a agenda estava cheia", "minha agenda".
  if (NOUN_DET.has(at(keys, i - 1))) return false;
  return initial || ctx;
}

function readAvailability(keys: readonly string[], clause: Clause, hasPast: boolean): boolean {
  if (hasPast) return false;
  let slot = false;
  for (let i = 0; i < keys.length; i++) {
    const k = at(keys, i);
    if (!SLOT.has(k)) continue;
    if (k === "agenda" && !["livre", "aberta", "disponivel"].includes(at(keys, i + 1)) && !clause.question) continue;
    const after = at(keys, i + 1);
    if ((after === "de" || after === "do" || after === "da") && SLOT_EXCL_AFTER.has(at(keys, i + 2))) continue;
    slot = true;
  }
  const cue = clause.question || keys.some((k) => AVAIL_CUE.has(k));
  if (slot && cue && !keys.some((k) => OPENING_HOURS.has(k))) return true;
  // "quando é a próxima (sessão)?", "quando posso voltar?"
  const q = keys.indexOf("quando");
  if (q >= 0) {
    for (let m = q + 1; m < Math.min(keys.length, q + 5); m++) {
      const o = at(keys, m);
      if (BOOK_NOUN.has(o) || o === "proxima" || o === "proximo" || isBookingWord(o) || o === "voltar" || o === "retornar") return true;
    }
  }
  return false;
}

function readModal(keys: readonly string[], i: number, start: number): "affirm" | "hesitation" | null {
  const m = skipFrom(keys, i + 1, MODAL_SKIP);
  const o = at(keys, m);
  if (o === "") return keys.length <= 3 ? "affirm" : null; // "pode!", "pode sim"
  if (o === "ser") {
    const next = at(keys, m + 1);
    if (next === "que") return "hesitation";
    // "a sala podia ser mais arejada": a subject and a comparison make it a complaint.
    return i > start && COMPARATIVE.has(next) ? null : "affirm";
  }
  if (YES_ALWAYS.has(o) || o === "crer") return "affirm";
  return null;
}

function readClause(clause: Clause): ClauseFacts {
  const { keys, line } = clause;
  const facts: ClauseFacts = {
    hard: new Set(),
    strong: new Set(),
    soft: null,
    yes: false,
    weakYes: false,
    weakNo: false,
    wellbeing: false,
    hasNeg: false,
    time: false,
    far: false,
    restrictive: false,
    hesitationOnly: false,
    nextTime: false,
    suggestion: false,
    contentBare: false,
  };
  const past = keys.some((k) => PAST.has(k));

  if (matches(OPT_OUT, clause)) facts.hard.add("opt-out");
  if (matches(DECLINE, clause)) facts.hard.add("decline-idiom");
  if (matches(POSTPONE, clause)) facts.hard.add("postponement");
  // The "fine as I am" readings only fit short clauses; "next time" needs its word.
  if (keys.length <= 14) {
    if (CONTRAST_OPENERS.has(at(keys, 0)) && matches(CONTENT_AFTER_CONTRAST, clause)) facts.hard.add("decline-idiom");
    if (keys.length <= 8) facts.contentBare = matches(CONTENT_BARE, clause) ? true : matches(DE_BOA_BARE, clause) ? "thanked" : false;
  }
  facts.nextTime = matches(NEXT_TIME, clause);
  facts.suggestion = matches(SUGGESTION, clause);
  const reason = matches(DECLINE_REASON, clause);
  if (reason) facts.soft = "decline-reason";
  // After a contrast the reason is the answer: "Queria muito, mas tô sem grana".
  if (reason && clause.index > 0 && CONTRAST_OPENERS.has(at(keys, 0))) facts.hard.add("decline-reason");
  facts.far = matches(FAR_HORIZON, clause);
  facts.restrictive = keys.some((k) => RESTRICTIVE.has(k));
  facts.wellbeing = !clause.question && matches(WELLBEING, clause);

  let hesitation = false;
  for (let i = 0; i < keys.length; i++) {
    if (!isNegation(keys, i)) continue;
    facts.hasNeg = true;
    const r = readNegation(keys, i, clause, past);
    if (r === "refusal") facts.hard.add("negation-before-verb");
    else if (r === "explicit") facts.hard.add("explicit-no");
    else if (r === "opt-out") facts.hard.add("opt-out");
    else if (r === "hesitation") hesitation = true;
    else if (r === "constraint") facts.soft = "constraint";
    else if (r === "loss") facts.strong.add("positive-idiom");
  }
  if (hesitation) facts.hard.add("postponement");

  const start = firstContent(keys);
  for (let i = 0; i < keys.length; i++) {
    const k = at(keys, i);
    if (k === "idiomquero" || k === "idiomsim") facts.strong.add("positive-idiom");
    if (negatedBefore(keys, i)) continue;
    if (YES_ALWAYS.has(k)) {
      const prev = at(keys, i - 1);
      // A trailing "sim" only confirms what precedes it: "quero sim" yes, "correu tudo bem sim" no.
      const initial = i <= start || keys.slice(start, i).every((b) => YES_ALWAYS.has(b) || WEAK_YES.has(b) || isFiller(b));
      if (initial) facts.yes = true;
      else if (k === "sim" || k === "yes" || k === "si") {
        if (
          prev === "que" || YES_ALWAYS.has(prev) || YES_GUARDED.has(prev) || MODAL.has(prev) || DESIRE_ALWAYS.has(prev) ||
          DESIRE_WITH_OBJECT.has(prev) || isBookingWord(prev) || BOOK_NOUN.has(prev) || prev === "ser" ||
          keys.slice(0, i).some((b) => DESIRE_WITH_OBJECT.has(b) || isBookingWord(b) || DESIRE_ALWAYS.has(b))
        ) {
          facts.yes = true;
        }
      }
    } else if (YES_GUARDED.has(k) && i <= start + 1 && keys.slice(start, i).every((b) => isFiller(b) || YES_ALWAYS.has(b) || WEAK_YES.has(b))) {
      if (guardedYes(keys, i)) facts.yes = true;
    } else if (DESIRE_ALWAYS.has(k)) {
      if (at(keys, i + 1) !== "ver") facts.strong.add(k === "idiomquero" ? "positive-idiom" : "desire");
    } else if (DESIRE_WITH_OBJECT.has(k)) {
      if (desireSatisfied(keys, i)) facts.strong.add("desire");
    } else if (MODAL.has(k)) {
      const r = readModal(keys, i, start);
      if (r === "affirm") facts.yes = true;
      else if (r === "hesitation") facts.hard.add("postponement");
    }
    if (isBookingWord(k) && !past && readBooking(keys, i, start)) facts.strong.add("booking-request");
  }
  // "beleza", "ok", 👍: a gesture, only when the clause is nothing but gestures.
  if (keys.every((k) => WEAK_YES.has(k) || isFiller(k) || YES_GUARDED.has(k))) {
    if (keys.some((k) => WEAK_YES.has(k))) facts.weakYes = true;
  }
  if (keys.some((k) => WEAK_NO.has(k)) && keys.every((k) => WEAK_NO.has(k) || isFiller(k) || POLITE.has(k))) facts.weakNo = true;

  // "Podiam ter mais horários à noite" is a wish, not a question about free slots.
  const wish = facts.suggestion && !clause.question;
  if (!wish && readAvailability(keys, clause, past)) facts.strong.add("availability-question");
  facts.time = !wish && !past && !facts.hasNeg && matches(TIME, clause) && !keys.some((k) => OTHER_ERRAND.has(k) || OPENING_HOURS.has(k));

  // Hesitation with a precise slot is a proposal: "talvez quinta às 10h?".
  if (facts.hard.has("postponement") && !facts.hard.has("explicit-no") && CLOCK_OR_DATE.test(line) && !facts.hasNeg) {
    if (HESITATION.test(line)) {
      facts.hard.delete("postponement");
      facts.hesitationOnly = true;
    }
  }
  return facts;
}

function onlyCourtesy(keys: readonly string[]): boolean {
  return keys.every((k) => POLITE.has(k) || isFiller(k));
}

function contentCount(clauses: readonly Clause[], politeIsContent: boolean): number {
  let n = 0;
  for (const c of clauses) {
    for (const k of c.keys) {
      if (STOP.has(k) || isFiller(k) || YES_ALWAYS.has(k) || YES_GUARDED.has(k) || WEAK_YES.has(k) || WEAK_NO.has(k)) continue;
      if (isTimeKey(k) || TIME_CUE.has(k)) continue;
      if (!politeIsContent && POLITE.has(k)) continue;
      n++;
    }
  }
  return n;
}

// Alone, gestures of agreement and a broad grin answer yes (👍 👌 🙌 🤝 💯 🆗 🤙 🙆 🫡 😁 😀 😃 😄);
// hearts, kisses, claps and folded hands (❤️ 😍 🥰 👏 🙏) are affection or thanks: feedback.
// 🙋 (me!), 👊 (fist bump) and 💪 (let's go) are eager too.
const EMOJI_YES = /[\u2705\u2714\u2611\u2713\u{1F44D}\u{1F44C}\u{1F64C}\u{1F91D}\u{1F4AF}\u{1F197}\u{1F919}\u{1F646}\u{1FAE1}\u{1F601}\u{1F600}\u{1F603}\u{1F604}\u{1F64B}\u{1F44A}\u{1F4AA}]/u;
const EMOJI_NO = /[\u274C\u274E\u2716\u2717\u2718\u{1F44E}\u{1F6AB}\u26D4\u{1F645}]/u;
const HAS_WORD = /[\p{L}\p{N}]/u;
const HAS_EMOJI = /\p{Extended_Pictographic}/u;

function decide(text: string): { intent: Intent; rule: IntentRule } {
  if (!HAS_WORD.test(text)) {
    const yes = EMOJI_YES.test(text);
    const no = EMOJI_NO.test(text);
    if (yes && !no) return positive("emoji-yes");
    if (no && !yes) return negative("emoji-no");
    return feedback(HAS_EMOJI.test(text) ? "emoji-feedback" : "empty");
  }
  const clauses = toClauses(text);
  if (clauses.length === 0) return feedback("empty");
  const facts = clauses.map(readClause);

  const anyStrongBase = facts.some((f) => f.strong.size > 0);
  const anyYes = facts.some((f) => f.yes);
  const contentFree = contentCount(clauses, false) === 0;

  // A day/time counts as a proposal when something in the reply invites it ("pode ser",
  // "prefiro", "sim", a question about slots) or when the reply is nothing but the time.
  for (let i = 0; i < facts.length; i++) {
    const f = facts[i] as ClauseFacts;
    const c = clauses[i] as Clause;
    if (!f.time) continue;
    const cue = c.keys.some((k) => TIME_CUE.has(k) || isBookingWord(k)) || anyYes || anyStrongBase || f.hesitationOnly;
    if (cue || contentFree) f.strong.add("proposes-time");
  }
  const anyStrong = facts.some((f) => f.strong.size > 0);
  // "Só mês que vem" is a postponement; "pode marcar pro mês que vem" is still a booking.
  for (const f of facts) {
    if (f.far && (f.restrictive || !anyStrong)) f.hard.add("postponement");
  }
  // "Na próxima (vez)" postpones, unless it opens a wish: "da próxima vez podiam ter café",
  // "Sim! Mas na próxima, avisem se atrasar".
  // A short hedge may stand between them: "Da próxima vez, se possível, me avisem do atraso".
  for (let i = 0; i < facts.length; i++) {
    const f = facts[i] as ClauseFacts;
    const hedgedWish = (clauses[i + 1]?.keys.length ?? 9) <= 3 && !!facts[i + 2]?.suggestion;
    if (f.nextTime && !f.suggestion && !facts[i + 1]?.suggestion && !hedgedWish) f.hard.add("postponement");
  }

  let lastHard = -1;
  let lastStrong = -1;
  for (let i = 0; i < facts.length; i++) {
    const f = facts[i] as ClauseFacts;
    if (f.hard.size > 0) lastHard = i;
    else if (f.strong.size > 0) lastStrong = i;
  }
  if (lastHard >= 0 && lastHard > lastStrong) {
    const f = facts[lastHard] as ClauseFacts;
    const rule = HARD_ORDER.find((r) => f.hard.has(r)) ?? "explicit-no";
    // A reason is only a hurdle when a yes follows it: "…mas tô sem tempo essa semana, pode ser na outra?"
    const yesAfter = rule === "decline-reason" && f.hard.size === 1 && facts.slice(lastHard + 1).some((g) => g.yes && g.hard.size === 0);
    if (!yesAfter) return negative(rule);
  }
  if (lastStrong >= 0) {
    const f = facts[lastStrong] as ClauseFacts;
    return positive(STRONG_ORDER.find((r) => f.strong.has(r)) ?? "desire");
  }
  const soft = facts.find((f) => f.soft !== null);
  if (soft?.soft) return negative(soft.soft);
  if (anyYes) {
    if (facts.some((f) => f.wellbeing)) return feedback("affirms-wellbeing");
    return positive("affirmation");
  }
  if (facts.some((f) => f.weakYes) && contentCount(clauses, true) === 0) return positive("weak-affirmation");
  if (facts.some((f) => f.weakNo) && contentCount(clauses, false) === 0) return negative("explicit-no");
  // "Tô bem, obrigado", "Estou satisfeita": nothing but being fine as one is.
  const all = clauses.flatMap((c) => c.keys);
  const thanked = all.some((k) => POLITE.has(k));
  if (
    facts.some((f) => f.contentBare === true || (f.contentBare === "thanked" && thanked)) &&
    clauses.every((c, i) => (facts[i] as ClauseFacts).contentBare !== false || onlyCourtesy(c.keys))
  ) {
    return negative("content-as-is");
  }
  // "vlw flw", "Obrigado, tchau": thanks and goodbye, the offer left aside.
  if (all.some((k) => FAREWELL.has(k)) && all.some((k) => POLITE.has(k)) && all.every((k) => FAREWELL.has(k) || onlyCourtesy([k]))) {
    return negative("farewell");
  }
  if (facts.some((f) => f.suggestion)) return feedback("suggestion");
  return feedback("fallback-feedback");
}

function positive(rule: IntentRule): { intent: Intent; rule: IntentRule } {
  return { intent: "followup_positive", rule };
}
function negative(rule: IntentRule): { intent: Intent; rule: IntentRule } {
  return { intent: "followup_negative", rule };
}
function feedback(rule: IntentRule): { intent: Intent; rule: IntentRule } {
  return { intent: "followup_feedback", rule };
}
