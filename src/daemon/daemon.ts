import cron, { type ScheduledTask } from "node-cron";
import type { Clock } from "../clock.js";
import { iso } from "../clock.js";
import { whaticketFromEnv } from "../config.js";
import { UsageError, UserError } from "../errors.js";
import { WhaticketClient } from "../gateway/whaticket-client.js";
import type { WhaticketGateway } from "../gateway/whaticket.js";
import type { Logger } from "../logger.js";
import { pauseUnconfiguredCompanies, type GatewaySet } from "../services/gateway-service.js";
import { EvolutionClient } from "../gateway/evolution-client.js";
import { CloudClient } from "../gateway/cloud-client.js";
import { hostname } from "node:os";
import { forgetDaemons, markDaemonStopped, recordDaemonTick, registerDaemon } from "../services/daemon-registry-service.js";
import { assertMigrated } from "../store/migrator.js";
import { openStore } from "../store/open.js";
import { clockProblem } from "../domain/setup-checks.js";
import { MIN_ENV_TOKEN_LENGTH } from "../services/token-service.js";
import { processSecretKey, useSecretKeyFrom } from "../services/company-secrets.js";
import type { Store } from "../store/store.js";
import { scheduleIntervalSeconds } from "./health-routes.js";
import { DaemonEventHub } from "./events.js";
import { WriteHealth } from "./write-health.js";
import type { RunningHttpServer } from "./http-server.js";
import { SqliteHotPathThread, type HotPathStore } from "./hot-path.js";
import { createScheduler, type Scheduler, type SchedulerDeps, type TickResult } from "./scheduler.js";
import { DEFAULT_SEND_TIMEOUT_MS, stopTimeoutFor } from "./shutdown.js";
import type { DeliverOptions } from "../services/booking-webhook-service.js";

/**
 * `secretaria daemon`: wires the database, the Whaticket client, the delivery loop on a cron
 * schedule and the HTTP server together, and takes them down in order.
 */

export const DEFAULT_SCHEDULE = "* * * * *";
export const DEFAULT_PORT = 9464;
export const DEFAULT_HOST = "127.0.0.1";
/** How often a serving daemon marks itself alive between ticks. */
const HEARTBEAT_MS = 15_000;

export interface DaemonOptions {
  dbPath: string;
  clock: Clock;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** node-cron expression; default every minute. */
  schedule?: string;
  concurrency?: number;
  /** Overrides every company's rate limit (msg/s, 0 = off); null/undefined = per company. */
  rateLimit?: number | null;
  maxAttempts?: number;
  /** How long one gateway request may take before it counts as a (transient) timeout. Default 10 s; a stop waits this + 5 s. */
  sendTimeoutMs?: number;
  port?: number;
  host?: string;
  /** Default: the axios WhaticketClient. */
  gateway?: WhaticketGateway;
  /** Evolution API / Cloud API clients; default the real ones (owned and closed by the daemon). */
  gateways?: Omit<GatewaySet, "whaticket">;
  /** Observers of the delivery loop (the HTTP routes subscribe theirs too); default a fresh hub. */
  events?: DaemonEventHub;
  /** Finer delivery settings (lease, batch size, stop timeout, backoff) for tests and benchmarks. */
  delivery?: Pick<SchedulerDeps, "leaseMs" | "batchSize" | "stopTimeoutMs" | "retry" | "owner">;
  /** Booking webhook deliveries (POST timeout, per-run limit, jitter) for tests. */
  bookingWebhook?: Omit<DeliverOptions, "clock" | "logger" | "shouldStop">;
}

/**
 * Refuses to serve with a guessable webhook token (under 24 characters) or an API token equal to
 * the webhook token (whoever has the webhook URL would hold the API): one line, exit 1.
 */
export function assertDaemonTokens(env: NodeJS.ProcessEnv): void {
  const hook = env.SECRETARIA_WEBHOOK_TOKEN?.trim() ?? "";
  if (hook && hook.length < MIN_ENV_TOKEN_LENGTH) {
    throw new UserError(`SECRETARIA_WEBHOOK_TOKEN has ${hook.length} characters: use at least ${MIN_ENV_TOKEN_LENGTH} random ones, e.g. $(openssl rand -hex 24), and restart`);
  }
  if (hook && env.SECRETARIA_API_TOKEN?.trim() === hook) {
    throw new UserError("SECRETARIA_API_TOKEN equals SECRETARIA_WEBHOOK_TOKEN: whoever has the webhook URL could use the API; give each its own random value");
  }
}

/** Throws a UsageError unless `expr` is a schedule node-cron accepts. */
export function validateSchedule(expr: string): void {
  if (!cron.validate(expr)) {
    throw new UsageError(`--schedule "${expr}" is not a cron expression: use e.g. "* * * * *" (every minute) or "*/5 * * * *" (every 5 minutes)`);
  }
}

export class Daemon {
  private store: Store | null = null;
  /** The last of this daemon's own writes failed (tick, heartbeat, webhook): /healthz answers 503. */
  private readonly writeHealth = new WriteHealth();
  private heartbeat: NodeJS.Timeout | null = null;
  /** The heartbeat write in progress: the database is closed only after it. */
  private beating: Promise<void> | null = null;
  private gateway: WhaticketGateway | null = null;
  private ownedGateways: { close(): Promise<void> | void }[] = [];
  private scheduler: Scheduler | null = null;
  private hotPath: HotPathStore | null = null;
  private http: RunningHttpServer | null = null;
  private task: ScheduledTask | null = null;
  private starting: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  /** The booking webhook deliverer's current run, if any (one at a time, beside the follow-up tick). */
  private delivering: Promise<void> | null = null;
  private resolveStopped!: () => void;
  /** Resolves once stop() has finished. */
  readonly stopped: Promise<void> = new Promise((resolve) => (this.resolveStopped = resolve));

  constructor(private readonly opts: DaemonOptions) {
    validateSchedule(opts.schedule ?? DEFAULT_SCHEDULE);
  }

  /** The HTTP server's base URL (null before start and in --once mode). */
  get url(): string | null {
    return this.http?.url ?? null;
  }

  /** Starts the loop and the HTTP server; the first tick runs at once. Calling it twice starts once. */
  start(): Promise<void> {
    this.starting ??= this.doStart(true);
    return this.starting;
  }

  /** `--once`: drains everything due now, without the HTTP server or the schedule, then stops. */
  async runOnce(): Promise<TickResult> {
    if (this.starting) throw new Error("runOnce() on a started daemon");
    this.starting = this.doStart(false);
    await this.starting;
    try {
      const result = await this.scheduler!.runOnce();
      await this.deliverBookingsNow();
      this.opts.logger.info("once_done", { sent: result.sent, retried: result.retried, failed: result.failed, expired: result.expired, paused: result.paused });
      return result;
    } finally {
      await this.stop();
    }
  }

  /**
   * Stops claiming, gives back claims not yet sent, waits for sends in flight (send timeout + 5 s,
   * shutdown.ts) and records them, then closes the HTTP server, the gateway clients and the
   * database. A send unanswered by then keeps its lease (see Scheduler.stop). Safe to call twice, and before start.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStart(serve: boolean): Promise<void> {
    const o = this.opts;
    const env = o.env ?? process.env;
    const logger = o.logger;
    if (serve) assertDaemonTokens(env);
    // The key of the stored gateway secrets: a malformed one (or an unsafe key file) stops the start here.
    useSecretKeyFrom(env);
    const secretKey = processSecretKey();
    const clockWarning = clockProblem(env.SECRETARIA_NOW);
    if (clockWarning) logger.warn("clock_simulated", { warning: `SECRETARIA_NOW is set (${env.SECRETARIA_NOW!.trim()}): this daemon lives at a frozen time, so follow-ups and retries go out at the wrong time or never`, fix: clockWarning.fix });
    try {
      const store = await openStore(o.dbPath);
      this.store = store;
      await assertMigrated(store);
      const defaults = whaticketFromEnv(env);
      // A company that cannot send is paused with the reason; the others run (no crash loop for all).
      await pauseUnconfiguredCompanies(store, defaults, iso(o.clock()), logger);

      const concurrency = o.concurrency ?? 8;
      const sendTimeoutMs = o.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
      const clientOptions = { maxSockets: Math.max(8, concurrency * 2), timeoutMs: sendTimeoutMs };
      this.gateway = o.gateway ?? new WhaticketClient(clientOptions);
      const gateways: Omit<GatewaySet, "whaticket"> = { ...o.gateways };
      if (!gateways.evolution) this.ownedGateways.push((gateways.evolution = new EvolutionClient(clientOptions)));
      if (!gateways.cloud) this.ownedGateways.push((gateways.cloud = new CloudClient(clientOptions)));
      const events = o.events ?? new DaemonEventHub();
      // SQLite: claims and group commits on a thread of their own (hot-path.ts), unless turned off.
      if (store.dialect === "sqlite" && env.SECRETARIA_HOT_PATH_THREAD !== "0") this.hotPath = await SqliteHotPathThread.start(store.location);
      this.scheduler = createScheduler({
        store,
        ...(this.hotPath ? { hotPath: this.hotPath } : {}),
        gateway: this.gateway,
        gateways,
        clock: o.clock,
        logger,
        events,
        whaticketDefaults: defaults,
        concurrency,
        rateLimit: o.rateLimit ?? null,
        retry: { ...o.delivery?.retry, ...(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts } : {}) },
        // A stop waits for every send in flight to answer or time out (deploy/secretaria.service agrees).
        stopTimeoutMs: stopTimeoutFor(sendTimeoutMs),
        ...(o.delivery ?? {}),
      });
      const started = o.clock();
      const schedule = o.schedule ?? DEFAULT_SCHEDULE;
      const register = (url: string | null) =>
        registerDaemon(store, {
          id: this.scheduler!.owner, host: hostname(), pid: process.pid, started_at: iso(started), schedule: serve ? schedule : "once",
          interval_s: serve ? scheduleIntervalSeconds(schedule) : 0, http_url: url,
          webhook_on: serve && env.SECRETARIA_WEBHOOK_TOKEN ? 1 : 0, api_on: serve && env.SECRETARIA_API_TOKEN ? 1 : 0,
          simulated_clock: env.SECRETARIA_NOW ? 1 : 0,
        });
      await register(null);
      if (!serve) return;

      // Loaded only when serving: `--once` needs neither fastify nor the reply engine.
      const { daemonRoutes } = await import("./routes.js");
      const { startHttpServer } = await import("./http-server.js");
      const routes = daemonRoutes({ store, clock: o.clock, logger, env, gateway: this.gateway, gateways, whaticketDefaults: defaults, events, scheduler: this.scheduler, schedule, writeHealth: this.writeHealth });
      this.http = await startHttpServer({ host: o.host ?? DEFAULT_HOST, port: o.port ?? DEFAULT_PORT, routes, logger });
      await register(this.http.url);
      // Daemons not seen for a week are forgotten (every restart registers a new id).
      await forgetDaemons(store, iso(new Date(started.getTime() - 7 * 86_400_000))).catch(() => 0);
      this.task = cron.schedule(schedule, () => this.runTick(), { name: "secretaria-delivery", logger: cronLogger(logger) });
      // Alive between ticks too: `secretaria status` and /healthz of other daemons read this.
      const owner = this.scheduler.owner;
      this.heartbeat = setInterval(() => {
        if (this.beating) return;
        this.beating = recordDaemonTick(store, owner, { at: iso(o.clock()) }).then(
          () => this.writeHealth.succeeded(),
          (err: Error) => {
            this.writeHealth.failed(err);
            logger.warn("heartbeat_failed", { error: err.message });
          },
        ).finally(() => (this.beating = null));
      }, HEARTBEAT_MS);
      this.heartbeat.unref();
      logger.info("daemon_started", {
        url: this.http.url,
        schedule,
        concurrency,
        rate_limit: o.rateLimit ?? "per company",
        max_attempts: o.maxAttempts ?? 5,
        pid: process.pid,
        secret_key: secretKey ? secretKey.id : "none",
      });
      // Catch up at once (a restart after downtime) rather than wait for the first cron minute.
      void this.runTick();
    } catch (err) {
      // Not stop(): it waits for this very start to finish.
      this.stopping ??= this.doStop(false);
      await this.stopping;
      throw err;
    }
  }

  private async runTick(): Promise<void> {
    const scheduler = this.scheduler;
    if (!scheduler || this.stopping) return;
    try {
      const r = await scheduler.tick();
      if (!r.overlapped) {
        if (r.ok) this.writeHealth.succeeded();
        else this.writeHealth.failed(r.error ?? "tick failed");
      }
    } catch (err) {
      this.writeHealth.failed(err);
      this.opts.logger.error("tick_failed", { error: (err as Error).message });
    }
    void this.deliverBookingsNow();
  }

  /**
   * POSTs due booking webhook deliveries (src/services/booking-webhook-service.ts) outside the
   * scheduler's tick: a slow clinic server never delays follow-ups. Skipped while a run is going.
   */
  private deliverBookingsNow(): Promise<void> {
    const store = this.store;
    if (!store || this.stopping || this.delivering) return this.delivering ?? Promise.resolve();
    const logger = this.opts.logger;
    this.delivering = (async () => {
      const { deliverBookings } = await import("../services/booking-webhook-service.js");
      await deliverBookings(store, { clock: this.opts.clock, logger, ...this.opts.bookingWebhook, shouldStop: () => this.stopping !== null });
    })()
      .catch((err: Error) => logger.error("booking_webhook_run_failed", { error: err.message }))
      .finally(() => (this.delivering = null));
    return this.delivering;
  }

  private async doStop(waitForStart = true): Promise<void> {
    const logger = this.opts.logger;
    try {
      if (waitForStart && this.starting) await this.starting.catch(() => undefined);
      if (this.task) {
        await this.task.destroy();
        this.task = null;
      }
      if (this.heartbeat) clearInterval(this.heartbeat);
      this.heartbeat = null;
      if (this.beating) await this.beating;
      if (this.scheduler) await this.scheduler.stop();
      // After the scheduler's last commit: the thread ends its connection before the store closes.
      if (this.hotPath) await this.hotPath.close();
      // Stops after the POST in flight (at most its timeout); its row stays leased, then is retried.
      if (this.delivering) await this.delivering;
      if (this.http) await this.http.close();
      if (this.gateway) await this.gateway.close();
      for (const g of this.ownedGateways.splice(0)) await g.close();
      if (this.store) {
        if (this.scheduler) {
          // A database that failed to open or migrate has nothing to record.
          await markDaemonStopped(this.store, this.scheduler.owner, iso(this.opts.clock())).catch(() => undefined);
        }
        await this.store.close();
      }
      if (this.scheduler) logger.info("daemon_stopped", {});
    } finally {
      this.store = null;
      this.resolveStopped();
    }
  }
}

/** node-cron's own messages (missed runs, …) as our one-line events, never on the console. */
function cronLogger(logger: Logger) {
  const text = (m: unknown) => (m instanceof Error ? m.message : String(m));
  return {
    info: (m: string) => logger.debug("cron", { message: m }),
    warn: (m: string) => logger.debug("cron", { message: m }),
    error: (m: string | Error) => logger.error("cron", { message: text(m) }),
    debug: (m: string | Error) => logger.debug("cron", { message: text(m) }),
  };
}

/**
 * Runs the daemon until SIGINT/SIGTERM (or, with `once`, until everything due now is sent).
 * First signal: graceful stop. Second: the signal's default action, at once.
 */
export async function runDaemon(opts: DaemonOptions & { once?: boolean }): Promise<TickResult | null> {
  const daemon = new Daemon(opts);
  const logger = opts.logger;
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!signalled) {
      signalled = true;
      logger.warn("daemon_stopping", { signal, note: "finishing sends in flight; send the signal again to stop at once" });
      void daemon.stop();
      return;
    }
    logger.error("daemon_killed", { signal, note: "second signal: stopping without waiting; rows in flight are reclaimed after their lease" });
    removeHandlers();
    // Without our handler the signal's default action ends the process now.
    process.kill(process.pid, signal);
  };
  const removeHandlers = (): void => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    if (opts.once) return await daemon.runOnce();
    await daemon.start();
    await daemon.stopped;
    return null;
  } finally {
    removeHandlers();
  }
}
