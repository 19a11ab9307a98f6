import { test, describe, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { FakeWhaticket, startFakeWhaticket } from "../../src/gateway/fake-whaticket.js";

const TOKEN = "fake-test-token";
const NUMBER = "5511988887777";
const T = { timeout: 20_000 };

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** A bare node:http request, so the fake is tested independently of the axios client. */
function post(
  url: string,
  path: string,
  body: string,
  headers: Record<string, string> = {},
  method = "POST",
  timeoutMs = 3_000,
): Promise<RawAnswer | { error: string }> {
  return new Promise((resolve) => {
    const req = http.request(`${url}${path}`, { method, headers: { "Content-Type": "application/json", ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? "error" }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? "error" }));
    req.end(body);
  });
}

const auth = { Authorization: `Bearer ${TOKEN}` };
const msg = (number = NUMBER, body = "oi"): string => JSON.stringify({ number, body });

function answered(a: RawAnswer | { error: string }): RawAnswer {
  assert.ok("status" in a, `expected an HTTP answer, got ${JSON.stringify(a)}`);
  return a;
}

describe("FakeWhaticket", () => {
  let fake: FakeWhaticket;
  before(async () => {
    fake = await startFakeWhaticket({ token: TOKEN });
  });
  after(async () => {
    await fake.stop();
  });
  beforeEach(() => {
    fake.reset();
    fake.options.emptyBody = false;
    fake.setLatency(0);
  });

  test("binds 127.0.0.1 on a free port and answers a valid send with JSON", T, async () => {
    assert.match(fake.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const a = answered(await post(fake.url, "/api/messages/send", JSON.stringify({ number: NUMBER, body: "oi", whatsappId: 7 }), auth));
    assert.equal(a.status, 200);
    const json = JSON.parse(a.text) as { id: string; ack: number };
    assert.match(json.id, /^fake-\d+$/);
    assert.equal(json.ack, 0);
    assert.deepEqual(
      fake.received.map(({ number, body, whatsappId, token, status }) => ({ number, body, whatsappId, token, status })),
      [{ number: NUMBER, body: "oi", whatsappId: "7", token: TOKEN, status: 200 }],
    );
    assert.equal(typeof fake.received[0]!.at, "number");
    assert.equal(fake.countFor(`+${NUMBER}`), 1);
    assert.equal(fake.deliveredTo(NUMBER), 1);
    assert.equal(fake.requestCount, 1);
    assert.equal(fake.deliveredCount, 1);
  });

  test("emptyBody answers like upstream: 200 and nothing", T, async () => {
    fake.options.emptyBody = true;
    const a = answered(await post(fake.url, "/api/messages/send", msg(), auth));
    assert.equal(a.status, 200);
    assert.equal(a.text, "");
  });

  test("validates route, method, token, JSON, number and body", T, async () => {
    const cases: Array<[Promise<RawAnswer | { error: string }>, number, string]> = [
      [post(fake.url, "/api/other", msg(), auth), 404, "ERR_NOT_FOUND"],
      [post(fake.url, "/api/messages/send", "", auth, "GET"), 405, "ERR_METHOD_NOT_ALLOWED"],
      [post(fake.url, "/api/messages/send", msg()), 401, "ERR_SESSION_EXPIRED"],
      [post(fake.url, "/api/messages/send", msg(), { Authorization: "Bearer nope" }), 401, "ERR_SESSION_EXPIRED"],
      [post(fake.url, "/api/messages/send", "{oops", auth), 400, "ERR_INVALID_JSON"],
      [post(fake.url, "/api/messages/send", msg("+55 11 98888-7777"), auth), 400, "ERR_INVALID_NUMBER"],
      [post(fake.url, "/api/messages/send", msg("123"), auth), 400, "ERR_INVALID_NUMBER"],
      [post(fake.url, "/api/messages/send", msg(NUMBER, "  "), auth), 400, "ERR_INVALID_BODY"],
    ];
    for (const [pending, status, code] of cases) {
      const a = answered(await pending);
      assert.equal(a.status, status, a.text);
      assert.deepEqual(JSON.parse(a.text), { error: code });
    }
    assert.equal(fake.deliveredCount, 0);
  });

  test("failNext answers the next n requests, then recovers; Retry-After is sent", T, async () => {
    fake.failNext(2, 429, undefined, { retryAfter: 3 });
    const first = answered(await post(fake.url, "/api/messages/send", msg(), auth));
    const second = answered(await post(fake.url, "/api/messages/send", msg(), auth));
    const third = answered(await post(fake.url, "/api/messages/send", msg(), auth));
    assert.deepEqual([first.status, second.status, third.status], [429, 429, 200]);
    assert.equal(first.headers["retry-after"], "3");
    assert.deepEqual(JSON.parse(first.text), { error: "ERR_TOO_MANY_REQUESTS" });
    assert.deepEqual(fake.received.map((r) => r.status), [429, 429, 200]);
    assert.equal(fake.countFor(NUMBER), 3);
    assert.equal(fake.deliveredTo(NUMBER), 1);
  });

  test("failNumber always fails that number only, until cleared", T, async () => {
    fake.failNumber("+55 11 90000-0001", 400, "ERR_WAPP_INVALID_CONTACT");
    for (let i = 0; i < 2; i++) {
      const bad = answered(await post(fake.url, "/api/messages/send", msg("5511900000001"), auth));
      assert.equal(bad.status, 400);
      assert.deepEqual(JSON.parse(bad.text), { error: "ERR_WAPP_INVALID_CONTACT" });
    }
    assert.equal(answered(await post(fake.url, "/api/messages/send", msg(), auth)).status, 200);
    fake.clearNumberFailure("5511900000001");
    assert.equal(answered(await post(fake.url, "/api/messages/send", msg("5511900000001"), auth)).status, 200);
  });

  test("rejectTokens makes every request 401", T, async () => {
    fake.rejectTokens(true);
    assert.equal(answered(await post(fake.url, "/api/messages/send", msg(), auth)).status, 401);
    fake.rejectTokens(false);
    assert.equal(answered(await post(fake.url, "/api/messages/send", msg(), auth)).status, 200);
  });

  test("drop destroys the socket; timeout holds it until the client gives up", T, async () => {
    fake.failNext(1, "drop");
    fake.failNext(1, "timeout");
    const dropped = await post(fake.url, "/api/messages/send", msg(), auth);
    assert.ok("error" in dropped && dropped.error === "ECONNRESET", JSON.stringify(dropped));
    const held = await post(fake.url, "/api/messages/send", msg(), auth, "POST", 150);
    assert.ok("error" in held, JSON.stringify(held));
    assert.deepEqual(fake.received.map((r) => r.status), [0, 0]);
    assert.equal(fake.deliveredCount, 0);
  });

  test("latency delays the answer", T, async () => {
    fake.setLatency(300);
    const tooImpatient = await post(fake.url, "/api/messages/send", msg(), auth, "POST", 50);
    assert.ok("error" in tooImpatient);
    assert.equal(answered(await post(fake.url, "/api/messages/send", msg(), auth)).status, 200);
  });

  test("seeded fault rates replay the same sequence", T, async () => {
    const statuses = async (seed: number): Promise<number[]> => {
      fake.reset();
      fake.setFaultRates({ status500: 0.5 }, seed);
      for (let i = 0; i < 30; i++) await post(fake.url, "/api/messages/send", msg(), auth);
      return fake.received.map((r) => r.status);
    };
    const a = await statuses(42);
    const b = await statuses(42);
    assert.deepEqual(a, b);
    assert.ok(a.includes(500) && a.includes(200), a.join(","));
    assert.equal(fake.deliveredTo(NUMBER), a.filter((s) => s === 200).length);
  });

  test("record: false keeps the counters but not the messages", T, async () => {
    const lean = await startFakeWhaticket({ record: false });
    try {
      assert.equal(answered(await post(lean.url, "/api/messages/send", msg(), { Authorization: "Bearer any" })).status, 200);
      assert.equal(lean.received.length, 0);
      assert.equal(lean.countFor(NUMBER), 1);
      assert.equal(lean.deliveredTo(NUMBER), 1);
    } finally {
      await lean.stop();
    }
  });

  test("rejects a nonsense programmed status", () => {
    assert.throws(() => fake.failNext(1, 99), RangeError);
  });
});

describe("FakeWhaticket lifecycle", () => {
  test("stop closes held sockets, is safe twice, and frees the port", T, async () => {
    const fake = new FakeWhaticket({ token: TOKEN, latencyMs: 10_000 });
    const url = await fake.start();
    assert.equal(await fake.start(), url, "start twice returns the same URL");
    fake.setFaultRates({ timeout: 1 });
    const pending = post(url, "/api/messages/send", msg(), auth, "POST", 15_000);
    // Wait (bounded) until the fake has read the request it will hold.
    for (let i = 0; i < 200 && fake.requestCount === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(fake.requestCount, 1);
    assert.equal(fake.openConnections, 1);
    await fake.stop();
    await fake.stop();
    const result = await pending;
    assert.ok("error" in result, "the held request is cut when the fake stops");
    assert.equal(fake.openConnections, 0);
    const after = await post(url, "/api/messages/send", msg(), auth, "POST", 1_000);
    assert.ok("error" in after && after.error === "ECONNREFUSED", JSON.stringify(after));
    await assert.rejects(fake.start());
  });

  test("stop before start is harmless; url before start throws", T, async () => {
    const fake = new FakeWhaticket();
    assert.throws(() => fake.url);
    await fake.stop();
  });

  test("keeps up with a burst of concurrent keep-alive requests", T, async () => {
    const fake = await startFakeWhaticket({ token: TOKEN, emptyBody: true });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    try {
      const total = 2_000;
      const send = (i: number): Promise<number> =>
        new Promise((resolve) => {
          const req = http.request(
            `${fake.url}/api/messages/send`,
            { method: "POST", agent, headers: { ...auth, "Content-Type": "application/json" } },
            (res) => {
              res.resume();
              res.on("end", () => resolve(res.statusCode ?? 0));
            },
          );
          req.setTimeout(5_000, () => req.destroy());
          req.on("error", () => resolve(0));
          req.end(msg(`55119${String(i).padStart(8, "0")}`));
        });
      const statuses: number[] = [];
      for (let i = 0; i < total; i += 100) {
        statuses.push(...(await Promise.all(Array.from({ length: 100 }, (_, j) => send(i + j)))));
      }
      assert.equal(statuses.filter((s) => s === 200).length, total);
      assert.equal(fake.deliveredCount, total);
      assert.ok(fake.connectionsSeen <= 16, `connections: ${fake.connectionsSeen}`);
    } finally {
      agent.destroy();
      await fake.stop();
    }
  });
});
