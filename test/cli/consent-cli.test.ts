/**
 * The CLI of issue 14 as a subprocess: `contacts list|show|optout|optin` (table and --json) and
 * `customers export|erase` (erase refuses without --yes off a terminal). Both engines.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { saveCompany } from "../../src/services/company-service.js";
import { appointmentSaver } from "../../src/services/appointment-service.js";
import { migratedDb, runCli, tempDb } from "../helpers/cli.js";

const T = { timeout: 120_000 };
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
    assert.match(list.stdout, new RegExp(`clinica.*${PHONE}.*operator`));
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
