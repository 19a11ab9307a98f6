import type { Clock } from "../clock.js";
import type { WhaticketDefaults } from "../config.js";
import type { WhaticketGateway } from "../gateway/whaticket.js";
import type { GatewaySet } from "../services/gateway-service.js";
import type { Logger } from "../logger.js";
import type { Store } from "../store/store.js";
import type { DaemonEventHub } from "./events.js";
import type { HttpRoutes } from "./http-server.js";
import type { Scheduler } from "./scheduler.js";
import { daemonWebhookRoutes } from "./webhook-routes.js";
import { apiRoutes } from "./api-routes.js";
import { panelRoutes } from "./panel-routes.js";
import { envOperatorToken } from "../services/token-service.js";
import { healthRoutes, scheduleIntervalSeconds } from "./health-routes.js";
import { DaemonMetrics } from "./metrics.js";
import { WriteHealth } from "./write-health.js";

/** What the daemon hands every HTTP feature (metrics and health, the Whaticket webhook, the agenda API). */
export interface DaemonRouteDeps {
  /** The daemon's store (shared with the delivery loop). */
  store: Store;
  clock: Clock;
  logger: Logger;
  env: NodeJS.ProcessEnv;
  /** For sends outside the loop: the bot's replies, `POST …/resend` (with resendFollowup). */
  gateway: WhaticketGateway;
  /** Evolution API / Cloud API clients for companies on those gateways. */
  gateways?: Omit<GatewaySet, "whaticket">;
  whaticketDefaults: WhaticketDefaults;
  /** Subscribe an observer (e.g. the Prometheus metrics) to the delivery loop's events. */
  events: DaemonEventHub;
  scheduler: Scheduler;
  /** The cron schedule (default every minute): /healthz and the stalled alert allow three of its intervals. */
  schedule?: string;
  /** This daemon's last write outcome (/healthz reports a failing write); default a fresh one. */
  writeHealth?: WriteHealth;
}

/**
 * The daemon's HTTP routes, one fastify plugin per feature. The metrics/API and webhook
 * work register their plugins in this list.
 */
export function daemonRoutes(deps: DaemonRouteDeps): HttpRoutes[] {
  const tickIntervalSeconds = scheduleIntervalSeconds(deps.schedule ?? "* * * * *");
  const metrics = new DaemonMetrics({ store: deps.store, logger: deps.logger, clock: deps.clock, tickIntervalSeconds });
  deps.events.subscribe(metrics);
  const operatorToken = envOperatorToken(deps.env);
  const writeHealth = deps.writeHealth ?? new WriteHealth();
  return [
    daemonWebhookRoutes({ ...deps, writeHealth }),
    healthRoutes({ store: deps.store, metrics, writeHealth, clock: deps.clock, tickIntervalSeconds, owner: deps.scheduler.owner, simulatedClock: !!deps.env.SECRETARIA_NOW }),
    apiRoutes({ ...deps, token: operatorToken }),
    panelRoutes({ ...deps, token: operatorToken }),
  ];
}
