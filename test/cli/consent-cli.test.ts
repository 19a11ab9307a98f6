/**
 * The CLI of issue 14 as a subprocess: `contacts list|show|optout|optin` (table and --json) and
 * `customers export|erase` (erase refuses without --yes off a terminal). Both engines.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { maskPhone } from "../../src/domain/phone.js";
import { saveCompany } from "../../src/services/company-service.js";
import { appointmentSaver } from "../../src/services/appointment-service.js";
import { spawn, spawnSync } from "node:child_process";
import { BIN, migratedDb, runCli, tempDb } from "../helpers/cli.js";

const T = { timeout: 120_000 };
/** util-linux `script` gives a child a pseudo-terminal, so the interactive prompt runs as for a person. */
const HAS_SCRIPT = spawnSync("script", ["--version"]).status === 0;

/** Runs the CLI on a pseudo-terminal; when `prompt` shows, presses Enter (the default answer). */
function onTerminalPressEnter(args: string[], prompt: RegExp): Promise<{ code: number | null; output: string }> {
  const command = ["node", BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const child = spawn("script", ["-qfec", command, "/dev/null"], { stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  let answered = false;
  child.stdout.on("data", (d: Buffer) => {
    output += d.toString("utf8");
    if (!answered && prompt.test(output)) {
      answered = true;
      child.stdin.write("\r");
    }
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve) => child.on("close", (code) => {
    clearTimeout(timer);
    child.stdin.destroy();
    resolve({ code, output });
  }));
}
const NOW = "2026-11-30T12:00:00.000Z";
const PHONE = "5511987651234";

async function seeded(): Promise<string> {
  const loc = tempDb();
  const db = await migratedDb(loc);
  try {
    const clock = () => new Date(NOW);
    const { company } = await saveCompany(db, { id: "clinica", name: "Clínica", timezone: "America/Sao_Paulo" }, clock);
    await db.tx(async (t) => {
      await appointmentSaver(t, clock)({
        company_id: "clinica", external_id: "X1", client_name: "Ana Cliente CLI", client_phone: PHONE,
        start_time: "2026-12-02T17:00:00.000Z", end_time: "2026-12-02T18:00:00.000Z", status: "booked", allow_followup: true,
      }, company);
    });
  } finally {
    await db.close();
  }
  return loc;
}

describe("contacts and customers (CLI)", () => {
  test("contacts optout → list/show → optin, table and --json; missing flags are usage errors", T, async () => {
    const db = await seeded();
    const cli = (...args: string[]) => runCli([...args, "--db", db], { env: { SECRETARIA_NOW: NOW } });
    const out = await cli("contacts", "optout", "--company", "clinica", "--phone", "(11) 98765-1234", "--note", "pediu por telefone", "--json");
    assert.equal(out.code, 0, out.stderr);
    const j = JSON.parse(out.stdout) as { added: boolean; skipped_followups: number[]; entry: { phone: string; reason: string } };
    assert.equal(j.added, true);
    assert.equal(j.skipped_followups.length, 1);
    assert.deepEqual([j.entry.phone, j.entry.reason], [PHONE, "operator"]);

    const list = await cli("contacts", "list");
    assert.equal(list.code, 0, list.stderr);
    // Masked in the table like every other list; --show-phones (and csv/json) give it whole.
    assert.ok(!list.stdout.includes(PHONE), list.stdout);
    assert.match(list.stdout, new RegExp(`clinica.*${maskPhone(PHONE).replace(/\*/g, "\\*")}.*operator`));
    assert.match((await cli("contacts", "list", "--show-phones")).stdout, new RegExp(`clinica.*${PHONE}.*operator`));
    const show = await cli("contacts", "show", "--company", "clinica", "--phone", PHONE, "--json");
    assert.equal((JSON.parse(show.stdout) as { opted_out: boolean }).opted_out, true);

    const optin = await cli("contacts", "optin", "--company", "clinica", "--phone", PHONE);
    assert.equal(optin.code, 0, optin.stderr);
    assert.match(optin.stdout, /off company clinica's do-not-contact list/);
    assert.deepEqual(JSON.parse((await cli("contacts", "list", "--json")).stdout), []);

    const usage = await cli("contacts", "optout", "--company", "clinica");
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^secretaria: contacts optout needs --phone P/);
    const bad = await cli("contacts", "show", "--company", "clinica", "--phone", "abc");
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--phone "abc" is not a phone number/);
  });

  test("customers export prints one JSON document; erase needs --yes off a terminal, then prints what it removed", T, async () => {
    const db = await seeded();
    const cli = (...args: string[]) => runCli([...args, "--db", db], { env: { SECRETARIA_NOW: NOW } });
    const exp = await cli("customers", "export", "--phone", PHONE);
    assert.equal(exp.code, 0, exp.stderr);
    const doc = JSON.parse(exp.stdout) as { appointments: Array<{ client_name: string }> };
    assert.deepEqual(doc.appointments.map((a) => a.client_name), ["Ana Cliente CLI"]);

    const refused = await cli("customers", "erase", "--phone", PHONE);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /pass --yes/);
    const erased = await cli("customers", "erase", "--phone", PHONE, "--yes");
    assert.equal(erased.code, 0, erased.stderr);
    assert.match(erased.stdout, /1 appointment anonymised/);
    const after = JSON.parse((await cli("customers", "export", "--phone", PHONE)).stdout) as { appointments: unknown[] };
    assert.deepEqual(after.appointments, []);
  });

  test("appointments add on a terminal asks for consent with No as the default: Enter means no follow-up", { ...T, skip: !HAS_SCRIPT && "util-linux script is not installed" }, async () => {
    const db = await seeded();
    const r = await onTerminalPressEnter(
      ["--db", db, "appointments", "add", "--company", "clinica", "--external-id", "P1", "--client-name", "Prompt Cliente",
        "--client-phone", "+55 11 98888-1111", "--start", "2026-12-03 10:00", "--end", "2026-12-03 11:00"],
      /Consent to the WhatsApp follow-up.*\(y\/N\)/,
    );
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /no follow-up \(no consent\)/);
    const list = await runCli(["appointments", "list", "--json", "--db", db], { env: { SECRETARIA_NOW: NOW } });
    const rows = JSON.parse(list.stdout) as Array<{ external_id: string; allow_followup: boolean | number }>;
    assert.equal(Number(rows.find((a) => a.external_id === "P1")!.allow_followup), 0);
  });

  test("the daemon purges what clients wrote past its retention (an unmatched message: 30 days, or SECRETARIA_UNMATCHED_RETENTION_DAYS)", T, async () => {
    const db = await seeded();
    const at = (now: string, env: Record<string, string> = {}) => (...args: string[]) => runCli([...args, "--db", db], { env: { SECRETARIA_NOW: now, ...env } });
    const sim = await at("2026-10-01T12:00:00.000Z")("reply", "simulate", "--phone", "+55 11 93333-2222", "--text", "quem fala? RETENTION-XYZ");
    assert.equal(sim.code, 0, sim.stderr);
    const unmatched = async () =>
      (JSON.parse((await at(NOW)("replies", "list", "--unmatched", "--json")).stdout) as Array<{ text: string }>).map((r) => r.text);
    assert.deepEqual(await unmatched(), ["quem fala? RETENTION-XYZ"]);

    // 35 days later with a 60-day setting: kept.
    const kept = await at("2026-11-05T12:00:00.000Z", { SECRETARIA_UNMATCHED_RETENTION_DAYS: "60" })("daemon", "--once");
    assert.equal(kept.code, 0, kept.stderr);
    assert.doesNotMatch(kept.stderr, /inbound_texts_purged/);
    assert.deepEqual(await unmatched(), ["quem fala? RETENTION-XYZ"]);
    // With the default (30 days): blanked, and the daemon says so.
    const purged = await at("2026-11-05T12:00:00.000Z")("daemon", "--once");
    assert.equal(purged.code, 0, purged.stderr);
    assert.match(purged.stderr, /inbound_texts_purged matched=0 unmatched=1 retention_days=180 unmatched_days=30/);
    assert.deepEqual(await unmatched(), [""]);
  });
});
