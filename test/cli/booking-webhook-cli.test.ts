import { test, describe, before } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { silentLogger } from "../../src/logger.js";
import { verifySignature } from "../../src/domain/booking-webhook.js";
import { createReplyService } from "../../src/services/reply-service.js";
import { getCompany } from "../../src/store/companies.js";
import { openStore } from "../../src/store/open.js";
import { runCli, tempDir } from "../helpers/cli.js";
import { PHONE, REPLY_AT, addSentFollowup, recordingSender, replyFixture } from "../helpers/reply-fixtures.js";

/** Issue 13 point 2: `companies add --booking-webhook`, the secret shown once, and `daemon --once` delivering. */
const env = { SECRETARIA_NOW: new Date(REPLY_AT.getTime() + 15 * 60_000).toISOString() };

describe("booking webhook (CLI)", () => {
  let db = "";
  const cli = (args: string[], input?: string) => runCli([...args, "--db", db], { env, ...(input !== undefined ? { input } : {}) });

  before(async () => {
    const f = await replyFixture();
    db = f.dbPath;
    await f.db.close();
  });

  test("URLs with credentials are refused; plain http to another host is a warning", async () => {
    const bad = await cli(["companies", "add", "--id", "clinica", "--booking-webhook", "https://ana:segredo@agenda.example.com/b"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^secretaria: --booking-webhook must not contain a user or password/);
    assert.doesNotMatch(bad.stderr, /segredo/);
    const show = await cli(["companies", "show", "clinica", "--json"]);
    assert.equal((JSON.parse(show.stdout) as Record<string, unknown>).booking_webhook_url, null, "nothing saved");
    const http = await cli(["companies", "add", "--id", "clinica", "--booking-webhook", "http://agenda.example.com/b"]);
    assert.equal(http.code, 0, http.stderr);
    assert.match(http.stderr, /warning: --booking-webhook http:\/\/agenda\.example\.com is plain http/);
  });

  test("the secret is shown once; show, list and --json say only whether it is set; --no-booking-webhook clears it", async () => {
    await cli(["companies", "add", "--id", "clinica", "--no-booking-webhook"]);
    const add = await cli(["companies", "add", "--id", "clinica", "--booking-webhook", "https://agenda.example.com/b", "--json"]);
    assert.equal(add.code, 0, add.stderr);
    const saved = JSON.parse(add.stdout) as Record<string, unknown>;
    const secret = String(saved.booking_webhook_secret);
    assert.match(secret, /^[0-9a-f]{64}$/);
    assert.equal(saved.booking_webhook_secret_set, true);
    for (const args of [["companies", "show", "clinica"], ["companies", "show", "clinica", "--json"], ["companies", "list", "--json"], ["companies", "list"], ["companies", "add", "--id", "clinica", "--booking-webhook", "https://agenda.example.com/c"]]) {
      const r = await cli(args);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), `${args.join(" ")} must not show the secret`);
    }
    const shown = await cli(["companies", "show", "clinica"]);
    assert.match(shown.stdout, /booking webhook https:\/\/agenda\.example\.com\/c; signing secret set/);
    const cleared = await cli(["companies", "add", "--id", "clinica", "--no-booking-webhook"]);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.match(cleared.stdout, /booking webhook: none/);
  });

  test("the secret from standard input or a file; a short one is refused", async () => {
    const fromStdin = await cli(["companies", "add", "--id", "clinica", "--booking-webhook", "https://agenda.example.com/b", "--booking-webhook-secret-file", "-"], "x".repeat(40) + "\n");
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.doesNotMatch(fromStdin.stdout, /x{40}/);
    assert.doesNotMatch(fromStdin.stdout, /shown only now/);
    const file = join(tempDir(), "secret");
    writeFileSync(file, "curto\n");
    const short = await cli(["companies", "add", "--id", "clinica", "--booking-webhook-secret-file", file]);
    assert.equal(short.code, 2);
    assert.match(short.stderr, /^secretaria: the booking webhook secret must be one line of at least 24 characters/);
    // A new company with a bad secret: refused before anything is saved (no company, no audit).
    const fresh = await cli(["companies", "add", "--id", "nova", "--name", "Nova", "--booking-webhook", "https://agenda.example.com/b", "--booking-webhook-secret-file", file]);
    assert.equal(fresh.code, 2);
    const noUrl = await cli(["companies", "add", "--id", "nova", "--name", "Nova", "--booking-webhook-secret-file", file.replace("secret", "none")]);
    assert.notEqual(noUrl.code, 0);
    const list = await cli(["companies", "list", "--json"]);
    assert.ok(!(JSON.parse(list.stdout) as { id: string }[]).some((c) => c.id === "nova"), "nothing half-written");
  });

  test("daemon --once POSTs the pending booking, signed (the secret encrypted at rest under SECRETARIA_SECRET_KEY); a second run sends nothing", async () => {
    const keyed = { ...env, SECRETARIA_SECRET_KEY: "ab".repeat(32) };
    const got: { headers: IncomingHttpHeaders; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8").on("data", (c: string) => (body += c));
      req.on("end", () => {
        got.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bookings`;
      const secret = "k".repeat(32);
      const set = await runCli(["companies", "add", "--id", "clinica", "--booking-webhook", url, "--booking-webhook-secret-file", "-", "--db", db], { env: keyed, input: secret });
      assert.equal(set.code, 0, set.stderr);
      const raw = await openStore(db);
      try {
        const stored = (await raw.get<{ s: string }>("SELECT booking_webhook_secret AS s FROM companies WHERE id = 'clinica'"))!.s;
        assert.match(stored, /^enc:v1:/, "stored encrypted");
        assert.ok(!stored.includes(secret));
      } finally {
        await raw.close();
      }
      assert.doesNotMatch(set.stderr, /plain http/, "loopback http: no warning");
      // The client books over WhatsApp (the reply service, as the daemon's webhook would run it).
      const store = await openStore(db);
      try {
        const company = (await getCompany(store, "clinica"))!;
        const svc = createReplyService({ store, clock: () => REPLY_AT, logger: silentLogger, sender: recordingSender() });
        await addSentFollowup({ db: store, company }, { externalId: "W-1" });
        await svc.processInbound({ phone: PHONE, text: "sim" });
        assert.equal((await svc.processInbound({ phone: PHONE, text: "1" })).outcome, "booked");
      } finally {
        await store.close();
      }
      // Without the key nothing goes out unsigned: the delivery waits (retried) until the key is back.
      const noKey = await runCli(["--db", db, "daemon", "--once"], { env });
      assert.equal(noKey.code, 0, noKey.stderr);
      assert.equal(got.length, 0);
      assert.match(noKey.stderr, /SECRETARIA_SECRET_KEY is not set/);
      const waiting = await openStore(db);
      try {
        const d = (await waiting.get<{ status: string; attempts: number }>("SELECT status, attempts FROM booking_deliveries"))!;
        assert.deepEqual([d.status, Number(d.attempts)], ["pending", 0], "a key this host cannot read uses no attempt");
      } finally {
        await waiting.close();
      }
      await (async () => {
        const s2 = await openStore(db);
        try {
          await s2.run("UPDATE booking_deliveries SET next_attempt_at = '2000-01-01T00:00:00.000Z', lease_expires_at = NULL");
        } finally {
          await s2.close();
        }
      })();
      const r = await runCli(["--db", db, "daemon", "--once"], { env: keyed });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(got.length, 1);
      const { headers, body } = got[0]!;
      assert.ok(verifySignature(secret, String(headers["x-secretaria-timestamp"]), body, String(headers["x-secretaria-signature"])));
      assert.equal((JSON.parse(body) as { client_phone: string }).client_phone, PHONE);
      const again = await runCli(["--db", db, "daemon", "--once"], { env: keyed });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(got.length, 1, "not sent twice");
      const shown = await cli(["companies", "show", "clinica"]);
      assert.match(shown.stdout, /bookings sent to the webhook: 1 delivered, 0 pending, 0 failed/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
  test("doctor names failed deliveries with where to look", async () => {
    const store = await openStore(db);
    try {
      const booked = (await store.get<{ id: number }>("SELECT id FROM appointments WHERE source = 'whatsapp' ORDER BY id LIMIT 1"))!;
      await store.run("UPDATE booking_deliveries SET status = 'failed', last_error = 'HTTP 500' WHERE appointment_id = ?", [booked.id]);
    } finally {
      await store.close();
    }
    const r = await cli(["doctor"]);
    assert.equal(r.code, 1);
    assert.match(r.stdout + r.stderr, /company clinica: 1 WhatsApp booking could not be sent to its booking webhook \(last error: HTTP 500\)/);
    assert.match(r.stdout + r.stderr, /appointments list --source whatsapp --company clinica/);
  });
});
