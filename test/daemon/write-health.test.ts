import { test, describe } from "node:test";
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { buildHttpApp } from "../../src/daemon/http-server.js";
import { healthRoutes } from "../../src/daemon/health-routes.js";
import { DaemonMetrics } from "../../src/daemon/metrics.js";
import { webhookRoutes, WEBHOOK_PATH } from "../../src/daemon/webhook-routes.js";
import { WriteHealth } from "../../src/daemon/write-health.js";
import { silentLogger } from "../../src/logger.js";
import { createReplyService, type ReplySender } from "../../src/services/reply-service.js";
import { PHONE, replyFixture } from "../helpers/reply-fixtures.js";

/**
 * /healthz reports a failing database write: a read ping answers fine while every webhook gets
 * 503, so the daemon's own last write decides `database: "write_failing"` (503) until one succeeds.
 * The write is made to fail for real, by a trigger on the table the webhook inserts into.
 */

const TOKEN = "whk-write-health-0123456789abcdef";
const sender: ReplySender = { send: async () => ({ kind: "sent", status: 200, durationMs: 0 }) } as unknown as ReplySender;

describe("/healthz and failing writes", () => {
  test("a webhook whose store write fails → /healthz 503 write_failing; the next successful write clears it", { timeout: 30_000 }, async (t) => {
    const f = await replyFixture();
    t.after(() => f.db.close());
    const writeHealth = new WriteHealth();
    const service = createReplyService({ store: f.db, clock: f.clock.now, logger: silentLogger, sender });
    const metrics = new DaemonMetrics({ store: f.db, logger: silentLogger, clock: f.clock.now, tickIntervalSeconds: 60 });
    const app = await buildHttpApp({
      logger: silentLogger,
      routes: [
        webhookRoutes({ service, token: TOKEN, logger: silentLogger, writeHealth }),
        healthRoutes({ store: f.db, metrics, clock: f.clock.now, tickIntervalSeconds: 60, writeHealth }),
      ],
    });
    await app.listen({ host: "127.0.0.1", port: 0 });
    t.after(() => app.close());
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const post = (id: string) =>
      fetch(`${url}${WEBHOOK_PATH}?token=${TOKEN}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ number: PHONE, body: "obrigado", messageId: id }) });
    const health = async () => {
      const r = await fetch(`${url}/healthz`);
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };

    assert.equal((await health()).status, 200);
    if (f.db.dialect === "sqlite") {
      await f.db.exec("CREATE TRIGGER h13_fail BEFORE INSERT ON inbound_messages BEGIN SELECT RAISE(ABORT, 'simulated full disk'); END");
    } else {
      await f.db.exec("CREATE FUNCTION h13_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'simulated full disk'; END $$");
      await f.db.exec("CREATE TRIGGER h13_fail BEFORE INSERT ON inbound_messages FOR EACH ROW EXECUTE FUNCTION h13_fail()");
    }
    assert.equal((await post("m1")).status, 503);
    const failing = await health();
    assert.equal(failing.status, 503);
    assert.equal(failing.body.database, "write_failing");
    assert.equal(failing.body.status, "database_write_failing");
    assert.match(JSON.stringify(failing.body.write_error), /simulated full disk/);

    await f.db.exec(f.db.dialect === "sqlite" ? "DROP TRIGGER h13_fail" : "DROP TRIGGER h13_fail ON inbound_messages");
    assert.equal((await post("m2")).status, 200);
    const healed = await health();
    assert.equal(healed.status, 200, JSON.stringify(healed.body));
    assert.equal(healed.body.database, "ok");
  });
});
