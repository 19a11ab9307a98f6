/**
 * Surface normalisation of WhatsApp replies, the first step of the ContextEngine (intent.ts).
 * Pure and I/O free. Works on spelling only (case, accents, stretched letters, emoji,
 * punctuation); vocabulary (abbreviations, idioms) is intent.ts's business.
 *
 * Clauses are kept apart because punctuation carries meaning the classifier needs:
 * "Não, obrigado, foi ótimo" is a refusal followed by praise, not "não ... foi ótimo".
 */

/** Tokens of one clause (text between punctuation), and whether a "?" closed it. */
export interface NormalizedClause {
  tokens: string[];
  question: boolean;
}

// The follow-up's own buttons are ✅/❌, so those read as a plain "sim"/"não". Gestures such as
// 👍 are softer: "Foi ótimo 👍" is praise, not a yes; they become words the classifier weighs
// only when nothing else is said ("joinha" is pt-BR for the thumbs-up, "negativo" for a no).
// Faces and hearts (😍 🥰 ❤️) are affection, not an answer: they are dropped like other emoji.
const EMOJI_WORDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/[\u2705\u2714\u2611\u2713]/gu, "sim"], // ✅ ✔ ☑ ✓
  [/[\u274C\u274E\u2716\u2717\u2718]/gu, "nao"], // ❌ ❎ ✖ ✗ ✘
  // 👍 👌 🙌 🤝 💯 🆗 🤙 🙆 🫡
  [/[\u{1F44D}\u{1F44C}\u{1F64C}\u{1F91D}\u{1F4AF}\u{1F197}\u{1F919}\u{1F646}\u{1FAE1}]/gu, "joinha"],
  [/[\u{1F44E}\u{1F6AB}\u26D4\u{1F645}]/gu, "negativo"], // 👎 🚫 ⛔ 🙅
];
/** One test before the four replacements: most accented replies carry none of these emoji. */
const ANY_MAPPED_EMOJI = new RegExp(EMOJI_WORDS.map(([p]) => p.source).join("|"), "u");
// Mineiro "nó!" is "nossa!", not "no": the accent is the only thing telling them apart.
const NO_ACUTE = /(^|[^\p{L}])[nN](?:\u00F3|\u00D3|o\u0301|O\u0301)(?![\p{L}\p{M}])/gu;
const HAS_O_ACUTE = /\u00F3|\u00D3|\u0301/;

// Clause delimiters. A ":" between digits is a clock ("14:30") and is rewritten before splitting.
const DELIMITERS = /[.!?;,:\n\r\u2026\u00A1\u00BF()[\]{}"\u201C\u201D\u00AB\u00BB|]+/g;
const CLOCK_WITH_MINUTES = /(\d{1,2})\s*[:h.]\s*(\d{2})(?!\d)/gi; // 14:30, 14h30, 14.30 -> 14h30
const CLOCK_HOURS = /(\d{1,2})\s*(?:hrs|hs|hr|h)(?![a-z0-9])/g; // 10 h, 10hs -> 10h
const CLOCK_AM_PM = /(\d{1,2})\s*(am|pm)(?![a-z])/g;
const DEMAIS = /\bd\+/g; // "gostei d+" = "demais"
const APOSTROPHES = /['\u2019\u2018`\u00B4]/g; // "let's" -> "lets", so no stray "s" token
const COMBINING_MARKS = /\p{M}+/gu;
const SLASH_NOT_IN_DATE = /(?<!\d)\/|\/(?!\d)/g; // keep "20/11", drop "c/" "p/"
const NOT_WORD = /[^a-z0-9/ ]+/g;
const STRETCHED = /([a-z])\1{2,}/g; // "simmmm", "naaao", "kkkk"
const NON_ASCII = /[^\t\n\r\x20-\x7E]/;
const HAS_DIGIT = /\d/;
const CONNECTORS = new Set(["mas", "porem", "but", "pero", "entretanto", "contudo"]);

/**
 * Splits a reply into normalised clauses: lowercase, no accents (NFKD), emoji mapped to words,
 * runs of 3+ identical letters collapsed to one, punctuation removed. Contrast words ("mas",
 * "but", "pero") open a new clause and stay as its first token: in "sim, mas só mês que vem"
 * what follows "mas" is what counts.
 */
export function normalizeClauses(text: string): NormalizedClause[] {
  let s = text;
  const ascii = !NON_ASCII.test(s); // most replies: skip the Unicode passes
  if (!ascii) {
    if (ANY_MAPPED_EMOJI.test(s)) for (const [pattern, word] of EMOJI_WORDS) s = s.replace(pattern, `\n${word}\n`);
    if (HAS_O_ACUTE.test(s)) s = s.replace(NO_ACUTE, "$1nossa");
  }
  const digits = HAS_DIGIT.test(s);
  if (digits) s = s.replace(CLOCK_WITH_MINUTES, "$1h$2");
  s = s.replace(APOSTROPHES, "").toLowerCase();
  if (!ascii) s = s.normalize("NFKD").replace(COMBINING_MARKS, "");
  if (digits) s = s.replace(CLOCK_HOURS, "$1h").replace(CLOCK_AM_PM, "$1$2");
  if (s.includes("+")) s = s.replace(DEMAIS, " demais ");

  const clauses: NormalizedClause[] = [];
  let start = 0;
  DELIMITERS.lastIndex = 0;
  for (;;) {
    const m = DELIMITERS.exec(s);
    const end = m ? m.index : s.length;
    const question = m ? m[0].includes("?") : false;
    pushClause(clauses, s.slice(start, end), question);
    if (!m) break;
    start = m.index + m[0].length;
  }
  return clauses;
}

function pushClause(out: NormalizedClause[], raw: string, question: boolean): void {
  const unslashed = raw.includes("/") ? raw.replace(SLASH_NOT_IN_DATE, " ") : raw;
  const cleaned = unslashed.replace(NOT_WORD, " ").replace(STRETCHED, "$1");
  let tokens: string[] = [];
  for (const t of cleaned.split(" ")) {
    if (!t) continue;
    if (CONNECTORS.has(t) && tokens.length > 0) {
      out.push({ tokens, question });
      tokens = [];
    }
    tokens.push(t);
  }
  if (tokens.length > 0) out.push({ tokens, question });
}

/**
 * "Simmmm!!! 👍" -> "sim joinha", "NÃÃÃO" -> "nao", "Às 14:30?" -> "as 14h30".
 * Double letters are kept ("carro", "essa"); the classifier compares words with doubles
 * squeezed, so "simm" and "sim" meet there without damaging real words here.
 */
export function normalizeText(text: string): string {
  return normalizeClauses(text)
    .map((c) => c.tokens.join(" "))
    .join(" ");
}

/** "simm" -> "sim", "passo" -> "paso", "carro" -> "caro": the key words are compared by. */
export function squeeze(word: string): string {
  return DOUBLED.test(word) ? word.replace(DOUBLED_GLOBAL, "$1") : word;
}
const DOUBLED = /([a-z])\1/;
const DOUBLED_GLOBAL = /([a-z])\1+/g;

/** Squeezes the literal letters of a regex source like squeeze() does to words, leaving escapes (\d, \S) alone. */
export function squeezeSource(src: string): string {
  let out = "";
  let prev = "";
  for (let i = 0; i < src.length; i++) {
    const ch = src.charAt(i);
    if (ch === "\\") {
      out += ch + src.charAt(i + 1);
      i++;
      prev = "";
      continue;
    }
    if (ch === prev && ch >= "a" && ch <= "z") continue;
    out += ch;
    prev = ch;
  }
  return out;
}
