import type { FastifyRequest } from "fastify";
import type { Logger } from "../logger.js";

/**
 * Logs rejected credentials (401) with the client address and route, never the token: at most
 * one `auth_rejected` line per address per window, the next one carrying how many were
 * suppressed in between. Wall-clock time (a simulated SECRETARIA_NOW must not silence it).
 */
export class AuthFailureLog {
  private readonly seen = new Map<string, { last: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
    /** Addresses remembered at most (a scan from many addresses must not grow memory without bound). */
    private readonly maxAddresses = 10_000,
  ) {}

  record(req: Pick<FastifyRequest, "ip" | "method" | "url" | "routeOptions">): void {
    const address = req.ip || "unknown";
    const route = `${req.method} ${req.routeOptions?.url ?? req.url.split("?")[0]}`;
    const t = this.now();
    const entry = this.seen.get(address);
    if (entry && t - entry.last < this.windowMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    if (!entry && this.seen.size >= this.maxAddresses) {
      for (const [a, e] of this.seen) if (t - e.last >= this.windowMs) this.seen.delete(a);
      if (this.seen.size >= this.maxAddresses) this.seen.delete(this.seen.keys().next().value as string);
    }
    this.seen.set(address, { last: t, suppressed: 0 });
    this.logger.warn("auth_rejected", { address, route, ...(suppressed > 0 ? { suppressed } : {}) });
  }
}
