/**
 * Issue 13 point 2: each WhatsApp booking POSTed to the clinic's booking webhook — queued in the
 * booking's transaction, signed, retried with backoff, never sent twice — against a real HTTP
 * receiver on 127.0.0.1.
 */
import { test, describe, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { silentLogger } from "../../src/logger.js";
import { MAX_DELIVERY_ATTEMPTS, classifyDeliveryStatus, verifySignature } from "../../src/domain/booking-webhook.js";
import { bookedExternalId } from "../../src/services/booking-service.js";
import { checkBookingWebhookUrl, configureBookingWebhook, deliverBookings } from "../../src/services/booking-webhook-service.js";
import { createReplyService } from "../../src/services/reply-service.js";
import { eraseCustomer } from "../../src/services/customer-service.js";
import { removeCompany } from "../../src/services/company-removal-service.js";
import { Daemon } from "../../src/daemon/daemon.js";
import { findByExternalId, type AppointmentRow } from "../../src/store/appointments.js";
import { deliverySummary, type BookingDeliveryRow } from "../../src/store/booking-deliveries.js";
import { openStore } from "../../src/store/open.js";
import { isUserError } from "../../src/errors.js";
import { PHONE, addSentFollowup, recordingSender, replyFixture, type ReplyFixture } from "../helpers/reply-fixtures.js";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real receiver on 127.0.0.1: records each POST and answers with the next status of `statuses` (then the last one). */
async function receiver(t: TestContext, statuses: number[] = [200], delayMs = 0): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      const status = statuses[Math.min(got.length - 1, statuses.length - 1)]!;
      setTimeout(() => res.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "nope"), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/secretaria/bookings`, got };
}

/** The fixture with a booking webhook at `url`, and a client who answered "sim" then "1". */
async function bookWithWebhook(t: TestContext, url: string | null): Promise<{ f: ReplyFixture; secret: string | null; booked: AppointmentRow; from: AppointmentRow }> {
  const f = await replyFixture();
  t.after(() => f.db.close());
  const secret = url ? (await configureBookingWebhook(f.db, "clinica", { url }, f.clock.now)).generatedSecret : null;
  const svc = createReplyService({ store: f.db, clock: f.clock.now, logger: silentLogger, sender: recordingSender() });
  const id = await addSentFollowup(f, { externalId: "A-1" });
  await svc.processInbound({ phone: PHONE, text: "sim" });
  f.clock.advance(60_000);
  assert.equal((await svc.processInbound({ phone: PHONE, text: "1" })).outcome, "booked");
  const booked = (await findByExternalId(f.db, "clinica", bookedExternalId(id)))!;
  const from = (await findByExternalId(f.db, "clinica", "A-1"))!;
  return { f, secret, booked, from };
}

const deliveries = (f: ReplyFixture) => f.db.all<BookingDeliveryRow>("SELECT * FROM booking_deliveries ORDER BY id");
const deliver = (f: ReplyFixture, store = f.db) => deliverBookings(store, { clock: f.clock.now, logger: silentLogger, random: () => 0.5, timeoutMs: 5_000 });

describe("booking webhook", () => {
  test("the booking queues one delivery in its transaction; the POST is signed, carries the booking, and is not sent twice", async (t) => {
    const r = await receiver(t);
    const { f, secret, booked, from } = await bookWithWebhook(t, r.url);
    assert.match(secret ?? "", /^[0-9a-f]{64}$/);
    const [queued] = await deliveries(f);
    assert.equal(queued?.status, "pending");
    assert.equal(queued?.appointment_id, booked.id);
    assert.equal(r.got.length, 0, "nothing is sent inside the booking");

    assert.deepEqual(await deliver(f), { delivered: 1, retried: 0, failed: 0 });
    assert.equal(r.got.length, 1);
    const { headers, body } = r.got[0]!;
    assert.equal(headers["content-type"], "application/json");
    assert.equal(headers["x-secretaria-event"], "booking.created");
    assert.equal(headers["x-secretaria-delivery"], String(queued!.id));
    const timestamp = String(headers["x-secretaria-timestamp"]);
    assert.equal(Number(timestamp), Math.floor(f.clock.now().getTime() / 1000));
    assert.ok(verifySignature(secret!, timestamp, body, String(headers["x-secretaria-signature"])), "the signature verifies with the secret");
    assert.ok(!verifySignature(secret!, String(Number(timestamp) + 1), body, String(headers["x-secretaria-signature"])), "the timestamp is signed too");
    assert.ok(!verifySignature("another-secret-another-secret", timestamp, body, String(headers["x-secretaria-signature"])));
    assert.deepEqual(JSON.parse(body), {
      event: "booking.created", booking_id: booked.id, external_id: booked.external_id, company_id: "clinica",
      client_name: "Ana Souza", client_phone: PHONE, start_time: booked.start_time, end_time: booked.end_time, timezone: "America/Sao_Paulo",
      followup: { appointment_id: from.id, external_id: "A-1" }, created_at: booked.created_at,
    });
    const [done] = await deliveries(f);
    assert.deepEqual([done?.status, done?.attempts, done?.last_error], ["delivered", 1, null]);

    f.clock.advance(24 * 3600_000);
    assert.deepEqual(await deliver(f), { delivered: 0, retried: 0, failed: 0 });
    assert.equal(r.got.length, 1, "delivered once, never again");
  });

  test("a failing receiver: retried after the backoff with the same delivery id, then delivered once", async (t) => {
    const r = await receiver(t, [503, 200]);
    const { f, secret } = await bookWithWebhook(t, r.url);
    assert.deepEqual(await deliver(f), { delivered: 0, retried: 1, failed: 0 });
    let [row] = await deliveries(f);
    assert.deepEqual([row?.status, row?.attempts, row?.last_error], ["pending", 1, "HTTP 503"]);
    assert.ok(row!.next_attempt_at > f.clock.now().toISOString(), "not before the backoff");
    assert.deepEqual(await deliver(f), { delivered: 0, retried: 0, failed: 0 }, "not due yet");
    assert.equal(r.got.length, 1);
    f.clock.advance(5 * 60_000);
    assert.deepEqual(await deliver(f), { delivered: 1, retried: 0, failed: 0 });
    assert.equal(r.got.length, 2);
    assert.equal(r.got[0]!.headers["x-secretaria-delivery"], r.got[1]!.headers["x-secretaria-delivery"]);
    assert.equal(r.got[0]!.body, r.got[1]!.body);
    const second = r.got[1]!;
    assert.ok(verifySignature(secret!, String(second.headers["x-secretaria-timestamp"]), second.body, String(second.headers["x-secretaria-signature"])));
    [row] = await deliveries(f);
    assert.deepEqual([row?.status, row?.attempts], ["delivered", 2]);
    f.clock.advance(24 * 3600_000);
    await deliver(f);
    assert.equal(r.got.length, 2, "nothing sent after success");
  });

  test(`a receiver that never accepts: ${MAX_DELIVERY_ATTEMPTS} attempts, then failed and shown in the company's summary`, async (t) => {
    const r = await receiver(t, [500]);
    const { f } = await bookWithWebhook(t, r.url);
    for (let i = 0; i < MAX_DELIVERY_ATTEMPTS + 3; i++) {
      await deliver(f);
      f.clock.advance(5 * 3600_000);
    }
    assert.equal(r.got.length, MAX_DELIVERY_ATTEMPTS);
    const [row] = await deliveries(f);
    assert.deepEqual([row?.status, row?.attempts, row?.last_error], ["failed", MAX_DELIVERY_ATTEMPTS, "HTTP 500"]);
    assert.deepEqual(await deliverySummary(f.db, "clinica"), { pending: 0, delivered: 0, failed: 1, last_error: "HTTP 500" });
  });

  test("a receiver that refuses the request (410, 400) fails it at once; 429 and 408 are retried", async (t) => {
    const gone = await receiver(t, [410]);
    const { f } = await bookWithWebhook(t, gone.url);
    assert.deepEqual(await deliver(f), { delivered: 0, retried: 0, failed: 1 });
    const [row] = await deliveries(f);
    assert.deepEqual([row?.status, row?.attempts, row?.last_error], ["failed", 1, "HTTP 410"]);
    f.clock.advance(24 * 3600_000);
    await deliver(f);
    assert.equal(gone.got.length, 1, "never retried");
    for (const status of [429, 408, 503]) assert.equal(classifyDeliveryStatus(status)?.kind, "transient", String(status));
    for (const status of [400, 401, 404, 301]) assert.equal(classifyDeliveryStatus(status)?.kind, "permanent", String(status));
    assert.equal(classifyDeliveryStatus(204), null);
  });

  test("a receiver that is down (connection refused) is retried, not failed", async (t) => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const { f } = await bookWithWebhook(t, `http://127.0.0.1:${port}/bookings`);
    assert.deepEqual(await deliver(f), { delivered: 0, retried: 1, failed: 0 });
    const [row] = await deliveries(f);
    assert.equal(row?.status, "pending");
    assert.match(row?.last_error ?? "", /ECONNREFUSED/);
  });

  test("two daemons delivering at once: one POST", async (t) => {
    const r = await receiver(t, [200], 300);
    const { f } = await bookWithWebhook(t, r.url);
    const other = await openStore(f.dbPath);
    t.after(() => other.close());
    const results = await Promise.all([deliver(f), deliver(f, other)]);
    assert.equal(results[0].delivered + results[1].delivered, 1);
    assert.equal(r.got.length, 1);
  });

  test("no webhook: nothing is queued; a webhook removed before delivery fails its pending rows with the reason", async (t) => {
    const { f } = await bookWithWebhook(t, null);
    assert.deepEqual(await deliveries(f), []);
    const r = await receiver(t);
    const g = await bookWithWebhook(t, r.url);
    await configureBookingWebhook(g.f.db, "clinica", { url: null }, g.f.clock.now);
    assert.deepEqual(await deliver(g.f), { delivered: 0, retried: 0, failed: 1 });
    const [row] = await deliveries(g.f);
    assert.equal(row?.status, "failed");
    assert.match(row?.last_error ?? "", /no booking webhook/);
    assert.equal(r.got.length, 0);
    const settings = await g.f.db.get<{ booking_webhook_url: string | null; booking_webhook_secret: string | null }>("SELECT booking_webhook_url, booking_webhook_secret FROM companies WHERE id = 'clinica'");
    assert.deepEqual(settings, { booking_webhook_url: null, booking_webhook_secret: null }, "the secret goes with the URL");
  });

  test("settings: the secret is generated once and kept when the URL changes; a given secret must be long", async (t) => {
    const f = await replyFixture();
    t.after(() => f.db.close());
    const first = await configureBookingWebhook(f.db, "clinica", { url: "https://agenda.example.com/a" }, f.clock.now);
    assert.ok(first.generatedSecret);
    const second = await configureBookingWebhook(f.db, "clinica", { url: "https://agenda.example.com/b" }, f.clock.now);
    assert.equal(second.generatedSecret, null, "shown once: not generated again");
    const stored = await f.db.get<{ booking_webhook_secret: string }>("SELECT booking_webhook_secret FROM companies WHERE id = 'clinica'");
    assert.equal(stored?.booking_webhook_secret, first.generatedSecret);
    await assert.rejects(configureBookingWebhook(f.db, "clinica", { secret: "short" }, f.clock.now), (e: unknown) => isUserError(e) && /at least 24 characters/.test(e.message));
    const given = await configureBookingWebhook(f.db, "clinica", { secret: "s".repeat(32) }, f.clock.now);
    assert.deepEqual([given.url, given.generatedSecret, given.secretSet], ["https://agenda.example.com/b", null, true]);
  });

  test("customers erase removes the queued body (name, phone) and the clinic's linked ids", async (t) => {
    const r = await receiver(t, [503]);
    const { f, booked } = await bookWithWebhook(t, r.url);
    await f.db.run("INSERT INTO appointment_aliases (company_id, external_id, appointment_id, created_at) VALUES ('clinica', 'CLIN-1', ?, ?)", [booked.id, booked.created_at]);
    await eraseCustomer(f.db, { phone: PHONE }, f.clock.now());
    assert.deepEqual(await deliveries(f), []);
    assert.deepEqual(await f.db.all("SELECT * FROM appointment_aliases"), []);
  });

  test("companies remove takes the company's deliveries and linked ids with it", async (t) => {
    const r = await receiver(t, [503]);
    const { f, booked } = await bookWithWebhook(t, r.url);
    await f.db.run("INSERT INTO appointment_aliases (company_id, external_id, appointment_id, created_at) VALUES ('clinica', 'CLIN-1', ?, ?)", [booked.id, booked.created_at]);
    await removeCompany(f.db, "clinica", { force: true, clock: f.clock.now });
    assert.deepEqual(await deliveries(f), []);
    assert.deepEqual(await f.db.all("SELECT * FROM appointment_aliases"), []);
  });

  test("a serving daemon delivers on its tick, beside the follow-ups", async (t) => {
    const r = await receiver(t);
    const { f } = await bookWithWebhook(t, r.url);
    const daemon = new Daemon({ dbPath: f.dbPath, clock: f.clock.now, logger: silentLogger, env: {}, port: 0, host: "127.0.0.1" });
    t.after(() => daemon.stop());
    await daemon.start();
    // The first tick runs at once after start; wait for its delivery (bounded).
    for (let i = 0; i < 200 && (await deliveries(f))[0]?.status !== "delivered"; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    await daemon.stop();
    assert.equal((await deliveries(f))[0]?.status, "delivered");
    assert.equal(r.got.length, 1);
  });

  test("URL checks: credentials refused, plain http to another host warned, loopback http fine", () => {
    assert.throws(() => checkBookingWebhookUrl("https://user:pw@agenda.example.com/x"), (e: unknown) => isUserError(e) && /must not contain a user or password/.test(e.message));
    assert.throws(() => checkBookingWebhookUrl("ftp://agenda.example.com/x"), (e: unknown) => isUserError(e) && /http\(s\) URL/.test(e.message));
    assert.throws(() => checkBookingWebhookUrl("agenda"), (e: unknown) => isUserError(e) && /is not a URL/.test(e.message));
    assert.match(checkBookingWebhookUrl("http://agenda.example.com/x").warning ?? "", /plain http.*names and phones/);
    assert.equal(checkBookingWebhookUrl("http://127.0.0.1:8080/x").warning, null);
    assert.equal(checkBookingWebhookUrl("https://agenda.example.com/x").warning, null);
  });
});
