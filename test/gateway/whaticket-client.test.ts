import { test, describe, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { classifyResponse, parseRetryAfter, type SendOutcome } from "../../src/gateway/whaticket.js";
import { WhaticketClient, describeNetworkError, sendEndpoint } from "../../src/gateway/whaticket-client.js";
import { FakeWhaticket, startFakeWhaticket } from "../../src/gateway/fake-whaticket.js";

// Distinctive, so a leak into any outcome is unmistakable.
const TOKEN = "tok-SECRET-5f3a9c1e-never-log-me";
const NUMBER = "5511999990000";
const T = { timeout: 20_000 };

function assertNoSecret(outcome: SendOutcome): void {
  const text = JSON.stringify(outcome);
  assert.ok(!text.includes(TOKEN), `token leaked: ${text}`);
  assert.ok(!text.includes("SECRET"), `token part leaked: ${text}`);
  assert.ok(!/authorization|bearer/i.test(text), `header leaked: ${text}`);
}

describe("classifyResponse (pure)", () => {
  test("any 2xx is sent, whatever the body", () => {
    assert.deepEqual(classifyResponse(200, ""), { kind: "sent", status: 200 });
    assert.deepEqual(classifyResponse(201, '{"id":"ABC","ack":0}'), { kind: "sent", status: 201, messageId: "ABC" });
    assert.deepEqual(classifyResponse(200, { id: 42 }), { kind: "sent", status: 200, messageId: "42" });
    assert.deepEqual(classifyResponse(200, { message: { id: "M1" } }), { kind: "sent", status: 200, messageId: "M1" });
    assert.deepEqual(classifyResponse(200, { key: { id: "K1" } }), { kind: "sent", status: 200, messageId: "K1" });
    assert.deepEqual(classifyResponse(204, undefined), { kind: "sent", status: 204 });
    assert.deepEqual(classifyResponse(200, "OK"), { kind: "sent", status: 200 });
    assert.deepEqual(classifyResponse(200, "{not json"), { kind: "sent", status: 200 });
  });

  test("errors about the number are permanent and keep the code", () => {
    assert.deepEqual(classifyResponse(400, '{"error":"ERR_WAPP_INVALID_CONTACT"}'), {
      kind: "permanent",
      status: 400,
      error: "HTTP 400 ERR_WAPP_INVALID_CONTACT",
    });
    assert.equal(classifyResponse(404, { error: "ERR_CHECK_NUMBER" }).kind, "permanent");
    assert.equal(classifyResponse(400, "invalid number").kind, "permanent");
    assert.match((classifyResponse(400, "invalid number") as { error: string }).error, /invalid number/);
    for (const status of [409, 410, 422, 418]) {
      const c = classifyResponse(status, { error: "ERR_SOMETHING" });
      assert.deepEqual(c, { kind: "permanent", status, error: `HTTP ${status} ERR_SOMETHING` });
    }
  });

  test("401/403 and connection problems are config", () => {
    assert.deepEqual(classifyResponse(401, { error: "ERR_SESSION_EXPIRED" }), {
      kind: "config",
      status: 401,
      error: "HTTP 401 ERR_SESSION_EXPIRED",
    });
    assert.equal(classifyResponse(403, "").kind, "config");
    assert.equal(classifyResponse(400, { error: "ERR_NO_DEF_WAPP_FOUND" }).kind, "config");
    assert.equal(classifyResponse(404, { error: "ERR_WAPP_NOT_INITIALIZED" }).kind, "config");
    assert.equal(classifyResponse(302, "").kind, "config");
  });

  test("408, 429, 5xx and passing WhatsApp errors are transient", () => {
    assert.deepEqual(classifyResponse(408, ""), { kind: "transient", status: 408, error: "HTTP 408" });
    assert.deepEqual(classifyResponse(429, { error: "ERR_RATE" }, "7"), {
      kind: "transient",
      status: 429,
      error: "HTTP 429 ERR_RATE",
      retryAfterMs: 7000,
    });
    assert.equal(classifyResponse(500, { error: "ERR_INTERNAL" }).kind, "transient");
    assert.equal(classifyResponse(503, "<html>Bad gateway</html>").kind, "transient");
    assert.equal((classifyResponse(502, "<html>Bad gateway</html>") as { error: string }).error, "HTTP 502");
    assert.equal(classifyResponse(400, { error: "ERR_WAPP_CHECK_CONTACT" }).kind, "transient");
    assert.equal(classifyResponse(400, { error: "ERR_SENDING_WAPP_MSG" }).kind, "transient");
  });

  test("error text is one bounded line", () => {
    const c = classifyResponse(400, { error: `ERR_X\nline2\u0000${"y".repeat(500)}` }) as { error: string };
    assert.ok(!c.error.includes("\n") && !c.error.includes("\u0000"));
    assert.ok(c.error.length <= 120, String(c.error.length));
  });

  test("Retry-After: seconds or an HTTP date", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    assert.equal(parseRetryAfter("120"), 120_000);
    assert.equal(parseRetryAfter(" 1.5 "), 1500);
    assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:01:00 GMT", now), 60_000);
    assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:01:00 GMT"), undefined, "a date needs now");
    assert.equal(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now), 0);
    assert.equal(parseRetryAfter("soon", now), undefined);
    assert.equal(parseRetryAfter(null), undefined);
    assert.equal(parseRetryAfter(""), undefined);
  });
});

describe("sendEndpoint and describeNetworkError", () => {
  test("builds the send URL from a base with or without trailing slashes", () => {
    assert.equal(sendEndpoint("http://h:8080"), "http://h:8080/api/messages/send");
    assert.equal(sendEndpoint("https://h/"), "https://h/api/messages/send");
    assert.equal(sendEndpoint("https://h/backend//"), "https://h/backend/api/messages/send");
    assert.equal(sendEndpoint("https://h/api/messages/send/"), "https://h/api/messages/send");
    assert.equal(sendEndpoint("ftp://h"), null);
    assert.equal(sendEndpoint("not a url"), null);
  });

  test("names network errors by code only", () => {
    const err = Object.assign(new Error(`connect failed Authorization: Bearer ${TOKEN}`), { code: "ECONNREFUSED" });
    assert.equal(describeNetworkError(err), "ECONNREFUSED");
    const aggregate = Object.assign(new AggregateError([Object.assign(new Error("x"), { code: "ECONNRESET" })]), {});
    assert.equal(describeNetworkError(aggregate), "ECONNRESET");
    assert.equal(describeNetworkError(new Error(TOKEN)), "network error");
    assert.equal(describeNetworkError("weird"), "network error");
  });
});

describe("WhaticketClient against the fake over real HTTP", () => {
  let fake: FakeWhaticket;
  let client: WhaticketClient;
  const target = (): { url: string; token: string; whatsappId?: string | null } => ({ url: `${fake.url}/`, token: TOKEN });

  before(async () => {
    fake = await startFakeWhaticket({ token: TOKEN });
    client = new WhaticketClient({ timeoutMs: 2_000, maxSockets: 8 });
  });
  after(async () => {
    await client.close();
    await fake.stop();
  });
  beforeEach(() => {
    fake.reset();
    fake.options.emptyBody = false;
    fake.setLatency(0);
  });

  test("2xx with a JSON body is sent with the message id; request carries header and body", T, async () => {
    const outcome = await client.send({ ...target(), whatsappId: "3" }, { number: "+55 (11) 99999-0000", body: "Olá, Ana 😊" });
    assert.equal(outcome.kind, "sent");
    assert.equal(outcome.status, 200);
    assert.ok(outcome.kind === "sent" && outcome.messageId?.startsWith("fake-"));
    assert.ok(outcome.durationMs >= 0);
    assert.equal(fake.received.length, 1);
    const got = fake.received[0]!;
    assert.equal(got.token, TOKEN);
    assert.equal(got.number, NUMBER, "digits only");
    assert.equal(got.body, "Olá, Ana 😊");
    assert.equal(got.whatsappId, "3");
    assert.equal(got.status, 200);
    assert.equal(fake.countFor(NUMBER), 1);
    assert.equal(fake.deliveredTo(NUMBER), 1);
  });

  test("2xx with an empty body (upstream Whaticket) is sent", T, async () => {
    fake.options.emptyBody = true;
    const outcome = await client.send(target(), { number: NUMBER, body: "oi" });
    assert.deepEqual({ kind: outcome.kind, status: outcome.status }, { kind: "sent", status: 200 });
    assert.equal("messageId" in outcome, false);
    assert.equal(fake.received[0]!.whatsappId, undefined, "no whatsappId when the target has none");
  });

  test("400 ERR_WAPP_INVALID_CONTACT and ERR_CHECK_NUMBER are permanent", T, async () => {
    fake.failNumber("5511000000001", 400, "ERR_WAPP_INVALID_CONTACT");
    fake.failNumber("5511000000002", 404, "ERR_CHECK_NUMBER");
    const a = await client.send(target(), { number: "5511000000001", body: "x" });
    const b = await client.send(target(), { number: "5511000000002", body: "x" });
    assert.deepEqual([a.kind, a.status], ["permanent", 400]);
    assert.ok(a.kind === "permanent" && a.error.includes("ERR_WAPP_INVALID_CONTACT"));
    assert.deepEqual([b.kind, b.status], ["permanent", 404]);
    assert.ok(b.kind === "permanent" && b.error.includes("ERR_CHECK_NUMBER"));
    const c = await client.send(target(), { number: NUMBER, body: "x" });
    assert.equal(c.kind, "sent", "other numbers still go through");
  });

  test("401 (wrong token) and 403 are config, without the token in the outcome", T, async () => {
    const wrong = await client.send({ url: fake.url, token: "tok-SECRET-wrong" }, { number: NUMBER, body: "x" });
    assert.deepEqual([wrong.kind, wrong.status], ["config", 401]);
    assertNoSecret(wrong);
    fake.rejectTokens(true);
    const revoked = await client.send(target(), { number: NUMBER, body: "x" });
    assert.deepEqual([revoked.kind, revoked.status], ["config", 401]);
    assertNoSecret(revoked);
    fake.rejectTokens(false);
    fake.failNext(1, 403, "ERR_FORBIDDEN");
    const forbidden = await client.send(target(), { number: NUMBER, body: "x" });
    assert.deepEqual([forbidden.kind, forbidden.status], ["config", 403]);
    assertNoSecret(forbidden);
  });

  test("429 with Retry-After is transient with retryAfterMs", T, async () => {
    fake.failNext(1, 429, "ERR_TOO_MANY_REQUESTS", { retryAfter: 17 });
    const outcome = await client.send(target(), { number: NUMBER, body: "x" });
    assert.equal(outcome.kind, "transient");
    assert.ok(outcome.kind === "transient");
    assert.equal(outcome.status, 429);
    assert.equal(outcome.retryAfterMs, 17_000);
  });

  test("500 and 503 are transient", T, async () => {
    fake.failNext(1, 500);
    fake.failNext(1, 503, "ERR_UNAVAILABLE");
    const a = await client.send(target(), { number: NUMBER, body: "x" });
    const b = await client.send(target(), { number: NUMBER, body: "x" });
    assert.deepEqual([a.kind, a.status], ["transient", 500]);
    assert.ok(a.kind === "transient" && a.error === "HTTP 500 ERR_INTERNAL");
    assert.deepEqual([b.kind, b.status], ["transient", 503]);
    assert.equal(fake.deliveredTo(NUMBER), 0);
  });

  test("slow answer beyond the client timeout is transient 'timeout'", T, async () => {
    const quick = new WhaticketClient({ timeoutMs: 200 });
    try {
      fake.setLatency(2_000);
      const outcome = await quick.send(target(), { number: NUMBER, body: "x" });
      assert.equal(outcome.kind, "transient");
      assert.ok(outcome.kind === "transient" && outcome.error === "timeout after 200 ms", JSON.stringify(outcome));
      assert.equal(outcome.status, undefined);
      assertNoSecret(outcome);
    } finally {
      await quick.close();
    }
  });

  test("a held request ('timeout' fault) is transient, and the client recovers", T, async () => {
    const quick = new WhaticketClient({ timeoutMs: 200 });
    try {
      fake.failNext(1, "timeout");
      const held = await quick.send(target(), { number: NUMBER, body: "x" });
      assert.ok(held.kind === "transient" && held.error.startsWith("timeout"), JSON.stringify(held));
      const next = await quick.send(target(), { number: NUMBER, body: "x" });
      assert.equal(next.kind, "sent");
    } finally {
      await quick.close();
    }
  });

  test("a dropped connection is transient", T, async () => {
    fake.failNext(1, "drop");
    const outcome = await client.send(target(), { number: NUMBER, body: "x" });
    assert.equal(outcome.kind, "transient");
    assert.ok(outcome.kind === "transient" && /ECONNRESET|EPIPE|socket/i.test(outcome.error), JSON.stringify(outcome));
    assertNoSecret(outcome);
    assert.equal(fake.received[0]!.status, 0);
  });

  test("keep-alive reuses one connection for sequential sends", T, async () => {
    const fresh = new WhaticketClient({ timeoutMs: 2_000 });
    try {
      const before = fake.connectionsSeen;
      for (let i = 0; i < 20; i++) {
        const o = await fresh.send(target(), { number: NUMBER, body: `m${i}` });
        assert.equal(o.kind, "sent");
      }
      // undici's pool may open a second connection while the first one's answer is being settled; never one per send.
      const opened = fake.connectionsSeen - before;
      assert.ok(opened >= 1 && opened <= 2, `20 sequential sends over ${opened} sockets`);
      assert.equal(fake.countFor(NUMBER), 20);
    } finally {
      await fresh.close();
    }
  });

  test("concurrent sends stay within maxSockets", T, async () => {
    const pooled = new WhaticketClient({ timeoutMs: 5_000, maxSockets: 4 });
    try {
      fake.setLatency(20);
      const before = fake.connectionsSeen;
      const outcomes = await Promise.all(
        Array.from({ length: 40 }, (_, i) => pooled.send(target(), { number: `55119999${String(i).padStart(5, "0")}`, body: "x" })),
      );
      assert.ok(outcomes.every((o) => o.kind === "sent"));
      const opened = fake.connectionsSeen - before;
      assert.ok(opened >= 1 && opened <= 4, `opened ${opened} sockets`);
    } finally {
      await pooled.close();
    }
  });

  test("local problems are caught before any request", T, async () => {
    const badUrl = await client.send({ url: "whaticket.local", token: TOKEN }, { number: NUMBER, body: "x" });
    assert.deepEqual([badUrl.kind, badUrl.status], ["config", 0]);
    const noToken = await client.send({ url: fake.url, token: "  " }, { number: NUMBER, body: "x" });
    assert.deepEqual([noToken.kind, noToken.status], ["config", 0]);
    const noDigits = await client.send(target(), { number: "abc", body: "x" });
    assert.deepEqual([noDigits.kind, noDigits.status], ["permanent", 0]);
    assert.equal(fake.requestCount, 0);
  });

  test("a token echoed by the server is redacted", T, async () => {
    fake.failNext(1, 400, `ERR_BAD token ${TOKEN}`);
    const outcome = await client.send(target(), { number: NUMBER, body: "x" });
    assert.equal(outcome.kind, "permanent");
    assertNoSecret(outcome);
  });
});

describe("WhaticketClient without a fake", () => {
  test("connection refused (a closed port) is transient ECONNREFUSED", T, async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const client = new WhaticketClient({ timeoutMs: 2_000 });
    try {
      const outcome = await client.send({ url: `http://127.0.0.1:${port}`, token: TOKEN }, { number: NUMBER, body: "x" });
      assert.equal(outcome.kind, "transient");
      assert.ok(outcome.kind === "transient" && outcome.error === "ECONNREFUSED", JSON.stringify(outcome));
      assertNoSecret(outcome);
    } finally {
      await client.close();
    }
  });

  test("a redirect is not followed and reads as config; non-JSON 2xx text is sent", T, async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      if (req.url?.startsWith("/redirect")) {
        res.writeHead(301, { Location: "https://elsewhere.example/api/messages/send" });
        res.end();
      } else {
        res.writeHead(200, { "Content-Type": "text/plain" });
        res.end("Message sent");
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const client = new WhaticketClient({ timeoutMs: 2_000 });
    try {
      const redirected = await client.send({ url: `http://127.0.0.1:${port}/redirect`, token: TOKEN }, { number: NUMBER, body: "x" });
      assert.deepEqual([redirected.kind, redirected.status], ["config", 301]);
      const text = await client.send({ url: `http://127.0.0.1:${port}`, token: TOKEN }, { number: NUMBER, body: "x" });
      assert.deepEqual([text.kind, text.status], ["sent", 200]);
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("WhaticketClient: what a 2xx means", () => {
  test("200 with {\"error\": \"ERR_…\"} is not a delivery: classified like the same error with a 4xx", () => {
    assert.deepEqual(classifyResponse(200, { error: "ERR_WAPP_INVALID_CONTACT" }), { kind: "permanent", status: 200, error: "HTTP 200 ERR_WAPP_INVALID_CONTACT" });
    assert.equal(classifyResponse(200, '{"error":"ERR_NO_DEF_WAPP_FOUND"}').kind, "config");
    assert.equal(classifyResponse(200, { error: "ERR_SENDING_WAPP_MSG" }).kind, "transient");
    // A JSON answer that merely has an "error" field that is no error code stays a delivery.
    assert.equal(classifyResponse(200, { id: "abc", error: null }).kind, "sent");
  });

  test("once a 2xx status line has arrived, a slow or oversized body never turns the delivery into a retry", T, async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { "Content-Type": "application/json" });
      if (req.url?.startsWith("/slow")) {
        res.write('{"id":"');
        return; // never finishes the body
      }
      const chunk = Buffer.alloc(256 * 1024, "a");
      for (let i = 0; i < 6; i++) res.write(chunk); // 1.5 MiB: over the size cap
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const client = new WhaticketClient({ timeoutMs: 3_000 });
    try {
      const slow = await client.send({ url: `http://127.0.0.1:${port}/slow`, token: TOKEN }, { number: NUMBER, body: "x" });
      assert.deepEqual([slow.kind, slow.status], ["sent", 200]);
      const big = await client.send({ url: `http://127.0.0.1:${port}/big`, token: TOKEN }, { number: NUMBER, body: "x" });
      assert.deepEqual([big.kind, big.status], ["sent", 200]);
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
