/**
 * Throughput of the ContextEngine (src/domain/intent.ts): classifies the labeled dev sample and
 * test/fixtures/replies-extra.jsonl over and over for about 2 seconds (after a short warm-up)
 * and prints replies per second. The requirement is at least 100,000 replies/s.
 *
 *   node --import tsx bench/classify.ts [--seconds N]
 *
 * Not part of `npm test` nor of `npm run bench`. The typo cache in intent.ts is warm after the
 * first pass, as it is in a running daemon.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { classifyIntent } from "../src/domain/intent.js";
import { detectConsentRequest } from "../src/domain/consent-words.js";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "2" } } });
const seconds = Number(values.seconds);
if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`--seconds must be a positive number, got ${values.seconds}`);

function texts(path: string): string[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => (JSON.parse(l) as { text: string }).text);
}

// The dev sample lives in the team's shared/ folder beside the repository (see test/helpers/dev-sample.ts).
const devCandidates = [
  process.env.SECRETARIA_REPLIES_DEV,
  fileURLToPath(new URL("../data/replies-dev.jsonl", import.meta.url)),
  fileURLToPath(new URL("../../shared/data/replies-dev.jsonl", import.meta.url)),
  "/work/shared/data/replies-dev.jsonl",
];
const devPath = devCandidates.find((p): p is string => !!p && existsSync(p));
const fixturePath = fileURLToPath(new URL("../test/fixtures/replies-extra.jsonl", import.meta.url));
const corpus = [...(devPath ? texts(devPath) : []), ...texts(fixturePath)];
if (!devPath) console.error("replies-dev.jsonl not found (set SECRETARIA_REPLIES_DEV): measuring the fixtures only");

function run(fn: (t: string) => unknown, budgetMs: number): { replies: number; ms: number } {
  let replies = 0;
  let sink = 0;
  const start = performance.now();
  let now = start;
  while (now - start < budgetMs) {
    for (const t of corpus) sink += (fn(t) as string | null)?.length ?? 0;
    replies += corpus.length;
    now = performance.now();
  }
  if (sink < 0) console.log(sink); // keeps the calls from being optimised away
  return { replies, ms: now - start };
}

run(classifyIntent, 300); // warm-up: JIT, typo cache
const intent = run(classifyIntent, seconds * 1000);
const intentRate = intent.replies / (intent.ms / 1000);
run(detectConsentRequest, 100);
const consent = run(detectConsentRequest, Math.max(200, seconds * 250));
const consentRate = consent.replies / (consent.ms / 1000);

const fmt = (n: number): string => Math.round(n).toLocaleString("en-US");
console.log(`corpus: ${corpus.length} replies (${devPath ? "dev sample + " : ""}test/fixtures/replies-extra.jsonl)`);
console.log(`classifyIntent:        ${fmt(intentRate)} replies/s (${fmt(intent.replies)} in ${(intent.ms / 1000).toFixed(2)} s)`);
console.log(`detectConsentRequest:  ${fmt(consentRate)} replies/s (${fmt(consent.replies)} in ${(consent.ms / 1000).toFixed(2)} s)`);
console.log(intentRate >= 100_000 ? "OK: >= 100,000 replies/s" : "BELOW the 100,000 replies/s requirement");
process.exitCode = intentRate >= 100_000 ? 0 : 1;
