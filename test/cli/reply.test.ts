import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { POSITIVE_REPLY_HEADER, NEGATIVE_REPLY } from "../../src/domain/messages.js";
import { startFakeWhaticket } from "../../src/gateway/fake-whaticket.js";
import { getAppointment } from "../../src/store/appointments.js";
import { openStore } from "../../src/store/open.js";
import { ON_POSTGRES, runCli, tempDir } from "../helpers/cli.js";
import { devSamplePath } from "../helpers/dev-sample.js";
import { PHONE, REPLY_AT, addSentFollowup, replyFixture, tablesChecksum } from "../helpers/reply-fixtures.js";

// The labeled sample from shared/ (missing only in a checkout without it: then a clear failure).
const DEV_FILE = devSamplePath() ?? "replies-dev.jsonl (shared/ must sit beside the repository, or set SECRETARIA_REPLIES_DEV)";
const T = { timeout: 120_000 };
// A database that cannot be opened: classify must never touch it (on PostgreSQL, a server that is not there).
const NO_DB = { SECRETARIA_DB: ON_POSTGRES ? "postgres://nobody:never-used@127.0.0.1:9/nonexistent" : "/nonexistent/folder/secretaria.db" };
const INTENTS = new Set(["followup_positive", "followup_negative", "followup_feedback"]);

describe("reply classify", () => {
  test("TEXT: the intent, without any database", T, async () => {
    const r = await runCli(["reply", "classify", "Sim, quero marcar"], { env: NO_DB });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "followup_positive\n");
    const j = await runCli(["reply", "classify", "--json", "Não, obrigado"], { env: NO_DB });
    assert.equal(j.code, 0, j.stderr);
    assert.deepEqual(JSON.parse(j.stdout), { text: "Não, obrigado", intent: "followup_negative" });
  });

  test("stdin plain lines: one result per line, in order", T, async () => {
    const r = await runCli(["reply", "classify"], { env: NO_DB, input: "sim, quero marcar\r\nnão, obrigado\nO atendimento foi ótimo, mas a sala estava fria\n" });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split("\n"), ["followup_positive", "followup_negative", "followup_feedback", ""]);
  });

  test("--explain names the rule", T, async () => {
    const r = await runCli(["reply", "classify", "--explain", "--json", "não quero marcar"], { env: NO_DB });
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(o.intent, "followup_negative");
    assert.equal(typeof o.rule, "string");
  });

  test("the labeled dev file through stdin (--json): each JSON line read as its text, results in order", T, async () => {
    const input = readFileSync(DEV_FILE, "utf8");
    const expected = input.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as { text: string; intent: string });
    const r = await runCli(["reply", "classify", "--json"], { env: NO_DB, input });
    assert.equal(r.code, 0, r.stderr);
    const got = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as { text: string; intent: string });
    assert.equal(got.length, expected.length);
    got.forEach((g, i) => {
      assert.equal(g.text, expected[i]!.text, `line ${i + 1}`);
      assert.ok(INTENTS.has(g.intent), g.intent);
    });
    const agree = got.filter((g, i) => g.intent === expected[i]!.intent).length;
    console.log(`reply classify on the dev file: ${agree}/${expected.length} agree with the labels`);
  });

  test("a line that looks like JSON but is not, or has no text field, is classified as written", T, async () => {
    const r = await runCli(["reply", "classify", "--json"], { env: NO_DB, input: '{"text": "sim"\n{"texto": "sim"}\n' });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as { text: string });
    assert.deepEqual(lines.map((l) => l.text), ['{"text": "sim"', '{"texto": "sim"}']);
  });

  test("100k lines stream through in a few seconds (measured, not asserted)", T, async () => {
    const texts = readFileSync(DEV_FILE, "utf8").split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { text: string }).text.replace(/\s+/g, " "));
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) lines.push(texts[i % texts.length]!);
    const file = join(tempDir(), "100k.txt");
    writeFileSync(file, `${lines.join("\n")}\n`);
    const input = readFileSync(file, "utf8");
    for (const json of [false, true]) {
      const started = process.hrtime.bigint();
      const r = await runCli(["reply", "classify", ...(json ? ["--json"] : [])], { env: NO_DB, input });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assert.equal(r.code, 0, r.stderr);
      const out = r.stdout.trimEnd().split("\n");
      assert.equal(out.length, 100_000);
      console.log(`reply classify${json ? " --json" : ""}: 100000 lines in ${Math.round(ms)} ms (process start included)`);
    }
  });
});

async function simFixture() {
  const f = await replyFixture();
  try {
    const id = await addSentFollowup(f, { externalId: "A-1" });
    return { dbPath: f.dbPath, id, env: { SECRETARIA_DB: f.dbPath, SECRETARIA_NOW: REPLY_AT.toISOString() } };
  } finally {
    await f.db.close();
  }
}

async function checksum(dbPath: string): Promise<string> {
  const db = await openStore(dbPath);
  try {
    return await tablesChecksum(db);
  } finally {
    await db.close();
  }
}

describe("reply simulate", () => {
  test("missing flags off a terminal → exit 2 naming them; a bad phone → exit 2; an unknown company → exit 1", T, async () => {
    const { env } = await simFixture();
    const none = await runCli(["reply", "simulate"], { env });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^secretaria: missing --phone and --text/);
    const noText = await runCli(["reply", "simulate", "--phone", PHONE], { env });
    assert.equal(noText.code, 2);
    assert.match(noText.stderr, /missing --text/);
    const badPhone = await runCli(["reply", "simulate", "--phone", "abc", "--text", "sim"], { env });
    assert.equal(badPhone.code, 2);
    assert.match(badPhone.stderr, /--phone "abc" is not a phone number/);
    const company = await runCli(["reply", "simulate", "--phone", PHONE, "--text", "sim", "--company", "nope"], { env });
    assert.equal(company.code, 1);
    assert.match(company.stderr, /unknown company "nope"/);
  });

  test("--dry-run --json: the service's result, nothing written, nothing sent", T, async () => {
    const { dbPath, id, env } = await simFixture();
    const before = await checksum(dbPath);
    const r = await runCli(["reply", "simulate", "--phone", "+55 11 99999-0000", "--text", "Sim, quero marcar", "--dry-run", "--json"], {
      env: { ...env, WHATICKET_URL: "http://127.0.0.1:9", WHATICKET_TOKEN: "never-used" },
    });
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(o.matched, true);
    assert.equal(o.appointment_id, id);
    assert.equal(o.intent, "followup_positive");
    assert.equal(o.response, "positive");
    assert.ok(String(o.bot_reply).startsWith(`${POSITIVE_REPLY_HEADER}\n1) terça, 01/12 às 09:00`));
    assert.equal(o.bot_reply_delivery, "dry_run");
    assert.ok(Array.isArray(o.changes) && o.changes.length > 0);
    assert.equal(await checksum(dbPath), before);
  });

  test("text output: the follow-up, intent, changes and the answer sent through the fake Whaticket", T, async () => {
    const fake = await startFakeWhaticket({ token: "wt" });
    try {
      const { dbPath, id, env } = await simFixture();
      const r = await runCli(["reply", "simulate", "--phone", PHONE, "--text", "não, obrigado"], { env: { ...env, WHATICKET_URL: fake.url, WHATICKET_TOKEN: "wt" } });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`follow-up #${id} of company clinica: Ana Souza`));
      assert.match(r.stdout, /intent: followup_negative/);
      assert.match(r.stdout, /appointments #\d+: followup_status sent → negative/);
      assert.match(r.stdout, /bot answer \(sent through Whaticket\):\n {2}Sem problemas!/);
      assert.ok(!r.stdout.includes("wt\n") && !r.stderr.includes("wt"), "the token is never printed");
      assert.deepEqual(fake.received.map((m) => [m.number, m.body]), [[PHONE, NEGATIVE_REPLY]]);
      const db = await openStore(dbPath);
      try {
        assert.equal((await getAppointment(db, id))!.followup_status, "negative");
      } finally {
        await db.close();
      }
    } finally {
      await fake.stop();
    }
  });

  test("no Whaticket configured: the response is recorded, the output says the answer was not sent, exit 0", T, async () => {
    const { dbPath, id, env } = await simFixture();
    const r = await runCli(["reply", "simulate", "--phone", PHONE, "--text", "não, obrigado", "--json"], { env });
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(o.bot_reply_delivery, "failed");
    assert.match(String(o.bot_reply_error), /WHATICKET_URL/);
    assert.match(r.stderr, /warning: the response was recorded but the answer was not sent/);
    const db = await openStore(dbPath);
    try {
      assert.equal((await getAppointment(db, id))!.followup_response, "negative");
    } finally {
      await db.close();
    }
  });

  test("an unknown phone: recorded as unmatched, nothing else changes", T, async () => {
    const { env } = await simFixture();
    const r = await runCli(["reply", "simulate", "--phone", "5521988887777", "--text", "sim"], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no open follow-up for 5521988887777/);
    assert.match(r.stdout, /recorded as unmatched; nothing else changed; no answer was sent/);
  });
});
