import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { FOLLOWUP_YES } from "../../src/gateway/cloud-client.js";
import { cloudInboundButton, postCloudInbound, startFakeCloudApi } from "../../src/gateway/fake-cloud-api.js";
import { startFakeEvolution } from "../../src/gateway/fake-evolution.js";
import { startFakeWhaticket } from "../../src/gateway/fake-whaticket.js";
import { getAppointment } from "../../src/store/appointments.js";
import { migratedDb, runCli, tempDb } from "../helpers/cli.js";
import { phoneFor, seedDue, spawnCli, T0, until } from "../helpers/daemon.js";

/**
 * `companies add --gateway …` through the built CLI (validation, secrets never shown), and one
 * `secretaria daemon` subprocess serving a company on each gateway at once, against three fakes.
 */

const T = { timeout: 120_000 };
const EVO_KEY = "evo-KEY-CLI-77aa-SECRET";
const CLOUD_TOKEN = "EAAG-CLI-TOKEN-SECRET";
const APP_SECRET = "cli-app-secret-SECRET";
const VERIFY = "cli-verify-SECRET";
const WT_TOKEN = "wt-CLI-token-SECRET";
const HOOK = "whk-CLI-SECRET-0123456789abc";
const PNID = "106540352242922";
const SECRETS = [EVO_KEY, CLOUD_TOKEN, APP_SECRET, VERIFY, WT_TOKEN];

describe("companies add --gateway (subprocess)", () => {
  test("each gateway's required settings, one-line errors, exit 2, nothing saved", T, async () => {
    const db = tempDb();
    await (await migratedDb(db)).close();
    let r = await runCli(["--db", db, "companies", "add", "--id", "fisio", "--name", "Fisio", "--gateway", "cloud", "--cloud-phone-number-id", PNID]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^secretaria: --gateway cloud needs --cloud-access-token, --cloud-app-secret .*--cloud-verify-token .*--cloud-template /);
    assert.equal(r.stderr.trim().split("\n").length, 1);
    r = await runCli(["--db", db, "companies", "add", "--id", "x", "--name", "X", "--gateway", "telegram"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--gateway must be one of whaticket, evolution, cloud/);
    r = await runCli(["--db", db, "companies", "add", "--id", "odonto", "--name", "Odonto", "--gateway", "evolution", "--evolution-url", "ftp://x", "--evolution-api-key", "k"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--evolution-url must be an http\(s\) URL.*--gateway evolution needs --evolution-instance/);
    r = await runCli(["--db", db, "companies", "add", "--id", "fisio", "--name", "Fisio", "--gateway", "cloud", "--cloud-phone-number-id", "+55 11 9999",
      "--cloud-access-token", "t", "--cloud-app-secret", "s", "--cloud-verify-token", "v", "--cloud-template", "Follow Up"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--cloud-phone-number-id must be the digits of the Phone number ID.*--cloud-template must be the approved template's name/);
    r = await runCli(["--db", db, "companies", "list", "--json"]);
    assert.deepEqual(JSON.parse(r.stdout), []);
  });

  test("saved: the list shows the gateway and which secrets are set, never a secret; a taken phone number id is refused", T, async () => {
    const db = tempDb();
    await (await migratedDb(db)).close();
    let r = await runCli(["--db", db, "companies", "add", "--id", "fisio", "--name", "Fisio", "--gateway", "cloud", "--cloud-phone-number-id", PNID,
      "--cloud-access-token", CLOUD_TOKEN, "--cloud-app-secret", APP_SECRET, "--cloud-verify-token", VERIFY, "--cloud-template", "followup_reuniao"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /gateway cloud .*template followup_reuniao \(pt_BR\); access token set; app secret set; verify token set/);
    r = await runCli(["--db", db, "companies", "add", "--id", "odonto", "--name", "Odonto", "--gateway", "evolution", "--evolution-url", "https://evo.example.com/",
      "--evolution-api-key", EVO_KEY, "--evolution-instance", "odonto"]);
    assert.equal(r.code, 0, r.stderr);
    const list = await runCli(["--db", db, "companies", "list"]);
    const json = await runCli(["--db", db, "companies", "list", "--json"]);
    const audit = await runCli(["--db", db, "audit", "list", "--json"]);
    for (const out of [list.stdout, json.stdout, audit.stdout, r.stdout]) for (const s of SECRETS) assert.ok(!out.includes(s), `secret shown: ${out}`);
    assert.match(list.stdout, /cloud 106540352242922 🔑/);
    assert.match(list.stdout, /evolution odonto 🔑/);
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    const fisio = rows.find((c) => c.id === "fisio")!;
    assert.equal(fisio.gateway, "cloud");
    assert.equal(fisio.cloud_access_token_set, true);
    assert.equal(fisio.cloud_app_secret_set, true);
    assert.equal(rows.find((c) => c.id === "odonto")!.evolution_url, "https://evo.example.com");
    r = await runCli(["--db", db, "companies", "add", "--id", "other", "--name", "Other", "--gateway", "cloud", "--cloud-phone-number-id", PNID,
      "--cloud-access-token", "t", "--cloud-app-secret", "s", "--cloud-verify-token", "v", "--cloud-template", "followup_reuniao"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--cloud-phone-number-id 106540352242922 is already company fisio's/);
  });
});

describe("one daemon, three gateways (subprocess, three fakes)", () => {
  async function threeGateways(keyEnv: Record<string, string>): Promise<void> {
    const sealed = "SECRETARIA_SECRET_KEY" in keyEnv;
    const evo = await startFakeEvolution({ apiKeys: [EVO_KEY], instances: ["odonto"] });
    const cloud = await startFakeCloudApi({ accessTokens: [CLOUD_TOKEN], phoneNumberIds: [PNID], templates: [{ name: "followup_reuniao", language: "pt_BR" }] });
    const wt = await startFakeWhaticket({ token: WT_TOKEN });
    const path = tempDb();
    const db = await migratedDb(path);
    try {
      const add = async (args: string[]) => {
        const r = await runCli(["--db", path, "companies", "add", "--rate-limit", "0", ...args], { env: keyEnv });
        assert.equal(r.code, 0, r.stderr);
      };
      await add(["--id", "clinica", "--name", "Clínica", "--whaticket-url", wt.url, "--whaticket-token", WT_TOKEN]);
      await add(["--id", "odonto", "--name", "Odonto", "--gateway", "evolution", "--evolution-url", evo.url, "--evolution-api-key", EVO_KEY, "--evolution-instance", "odonto"]);
      await add(["--id", "fisio", "--name", "Fisio", "--gateway", "cloud", "--cloud-phone-number-id", PNID, "--cloud-access-token", CLOUD_TOKEN,
        "--cloud-app-secret", APP_SECRET, "--cloud-verify-token", VERIFY, "--cloud-template", "followup_reuniao", "--cloud-graph-base", cloud.url]);
      if (sealed) {
        const raw = (await db.all<Record<string, string | null>>("SELECT whaticket_token, evolution_api_key, cloud_access_token, cloud_app_secret, cloud_verify_token FROM companies")).flatMap((r) => Object.values(r)).filter((v) => v);
        assert.equal(raw.length, 5);
        for (const v of raw) assert.match(v!, /^enc:v1:/);
      }
      await seedDue(db, { company: "clinica", n: 2, from: 0 });
      await seedDue(db, { company: "odonto", n: 2, from: 10 });
      const cloudIds = await seedDue(db, { company: "fisio", n: 2, from: 20 });

      const d = spawnCli(["--db", path, "daemon", "--port", "0", "--rate-limit", "0"], { SECRETARIA_NOW: T0.toISOString(), SECRETARIA_WEBHOOK_TOKEN: HOOK, ...keyEnv });
      try {
        await d.waitForStderr(/daemon_started url=http:\/\/127\.0\.0\.1:\d+/);
        const url = /daemon_started url=(http:\/\/127\.0\.0\.1:\d+)/.exec(d.stderr())![1]!;
        await until(() => wt.received.length >= 2 && evo.received.length >= 2 && cloud.received.length >= 2, 60_000, "the six follow-ups");
        // A gateway's answer is recorded by the next group commit, a moment after the fake has it:
        // the replies below answer follow-ups the daemon has recorded as sent.
        for (const deadline = Date.now() + 30_000; ; ) {
          const n = (await db.get<{ n: number }>("SELECT count(*) AS n FROM appointments WHERE followup_status = 'sent'"))!.n;
          if (n === 6) break;
          if (Date.now() > deadline) assert.fail(`${n} of the six follow-ups recorded as sent`);
          await new Promise((r) => setTimeout(r, 10));
        }
        assert.deepEqual(wt.received.map((m) => m.number).sort(), [phoneFor(0), phoneFor(1)]);
        assert.deepEqual(evo.received.map((m) => m.number).sort(), [phoneFor(10), phoneFor(11)]);
        assert.deepEqual(cloud.received.map((m) => [m.to, m.type]).sort(), [[phoneFor(20), "template"], [phoneFor(21), "template"]]);

        // Whaticket's webhook, Evolution's, and a signed Cloud API button tap, all into the one daemon.
        const post = (p: string, body: unknown) => fetch(`${url}${p}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        assert.equal((await post(`/webhooks/whaticket?token=${HOOK}`, { number: phoneFor(0), body: "Sim, quero marcar", messageId: "W1" })).status, 200);
        const evoRes = await post(`/webhooks/evolution?token=${HOOK}`, {
          event: "messages.upsert", instance: "odonto",
          data: { key: { remoteJid: `${phoneFor(10)}@s.whatsapp.net`, fromMe: false, id: "EV1" }, message: { conversation: "Não, obrigado" }, messageType: "conversation", messageTimestamp: 1795629600 },
        });
        assert.equal(evoRes.status, 200);
        const tap = await postCloudInbound(`${url}/webhooks/whatsapp-cloud`, APP_SECRET, cloudInboundButton({ from: phoneFor(20), id: "wamid.D1", payload: FOLLOWUP_YES, text: "✅ Sim, quero marcar", phoneNumberId: PNID, timestamp: T0.getTime() / 1000 }));
        assert.equal(tap.status, 200, tap.body);
        const handshake = await fetch(`${url}/webhooks/whatsapp-cloud?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=4242`);
        assert.equal(await handshake.text(), "4242", "Meta's verification handshake with the (decrypted) verify token");
        assert.equal((await postCloudInbound(`${url}/webhooks/whatsapp-cloud`, "wrong-secret", cloudInboundButton({ from: phoneFor(21), id: "wamid.D2", payload: FOLLOWUP_YES, text: "Sim", phoneNumberId: PNID }))).status, 401);

        assert.match(wt.received.at(-1)!.body, /^Que ótimo!/);
        assert.equal(evo.received.at(-1)!.text, "Sem problemas! Ficamos à disposição quando quiser retomar.");
        assert.equal(cloud.received.at(-1)!.type, "interactive");
        assert.equal((await getAppointment(db, cloudIds[0]!))!.followup_response, "positive");
        assert.equal((await getAppointment(db, cloudIds[1]!))!.followup_response, null, "the badly signed tap changed nothing");
        for (const s of SECRETS) assert.ok(!d.stderr().includes(s), "no secret in the daemon's log");
      } finally {
        d.child.kill("SIGTERM");
        const exit = await d.exited;
        assert.equal(exit.code, 0, d.stderr().slice(-800));
      }
    } finally {
      await db.close();
      await Promise.all([evo.stop(), cloud.stop(), wt.stop()]);
    }
  }

  test("follow-ups go out through each company's gateway; answers come back through each webhook and are answered on the same gateway", T, () => threeGateways({}));
  // Issue 13 point 4: the same with every secret stored encrypted (the webhook checks use the decrypted app secret and verify token).
  test("the same with every gateway secret encrypted at rest under SECRETARIA_SECRET_KEY", T, () => threeGateways({ SECRETARIA_SECRET_KEY: Buffer.alloc(32, 5).toString("base64") }));
});

describe("secretaria demo --gateway (subprocess)", () => {
  test("cloud: the template with its two buttons, a signed tap, the slot list, the booking", T, async () => {
    const r = await runCli(["demo", "--gateway", "cloud"], { env: { NO_COLOR: "1" } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /template followup_reuniao \(pt_BR\), \{\{1\}\}=Ana, \{\{2\}\}=de hoje/);
    assert.match(r.stdout, /\[ ✅ Sim, quero marcar \] {2}\[ ❌ Não, obrigado \]/);
    assert.match(r.stdout, /👆 Ana Souza taps “✅ Sim, quero marcar” → webhook answered HTTP 200 \(X-Hub-Signature-256 verified\)/);
    assert.match(r.stdout, /interactive list[\s\S]*SLOT_1[\s\S]*SLOT_2/);
    assert.match(r.stdout, /Prontinho!/);
    assert.match(r.stdout, /Ana Souza: positive → booked appointment #\d+; Bruno Lima: negative/);
  });

  test("evolution: the same cycle in text; an unknown gateway is a usage error", T, async () => {
    const r = await runCli(["demo", "--gateway", "evolution"], { env: { NO_COLOR: "1" } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Ana Souza: positive → booked appointment #\d+; Bruno Lima: negative/);
    const bad = await runCli(["demo", "--gateway", "sms"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^secretaria: --gateway must be whaticket, evolution or cloud/);
  });
});
