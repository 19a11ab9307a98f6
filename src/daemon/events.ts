import type { SendOutcome } from "../gateway/whaticket.js";

/**
 * What the delivery loop reports as it works, for whoever watches (the Prometheus metrics, tests,
 * the demo). Observers must be quick and must not throw: they run on the hot path.
 * prom-client stays out of here; the metrics module implements this interface.
 */
export interface DaemonEvents {
  /** One Whaticket exchange for a follow-up (daemon send or resend) and what it gave. */
  onSendResult(companyId: string, outcome: SendOutcome, info: SendInfo): void;
  /** A tick finished (ok = no error; a skipped overlapping tick is not reported). */
  onTick(ok: boolean, at: Date, durationMs: number, summary: TickSummary): void;
  /** Whaticket refused the company's token or connection: sending for it is paused. */
  onCompanyPaused(companyId: string, reason: string): void;
  /** Follow-ups moved to skipped by the tick's sweep (expired, consent withdrawn, cancelled). */
  onSkipped(companyId: string, reason: "expired" | "no_consent" | "cancelled", count: number): void;
}

export interface SendInfo {
  appointmentId: number;
  /** 1-based attempt this send was (attempts already used + 1). */
  attempt: number;
  resend: boolean;
  /** What the engine did with the row after this outcome. */
  result: "sent" | "retry" | "failed" | "paused" | "lease_lost";
}

export interface TickSummary {
  sent: number;
  retried: number;
  failed: number;
  paused: number;
  expired: number;
  skipped: number;
  reclaimed: number;
}

export const noDaemonEvents: DaemonEvents = {
  onSendResult() {},
  onTick() {},
  onCompanyPaused() {},
  onSkipped() {},
};

/**
 * Fan-out to any number of observers, added after the loop is built (the HTTP route plugins
 * subscribe their metrics while the daemon starts). A throwing observer is isolated.
 */
export class DaemonEventHub implements DaemonEvents {
  private readonly observers = new Set<Partial<DaemonEvents>>();

  /** Adds an observer; returns the function that removes it. */
  subscribe(observer: Partial<DaemonEvents>): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  onSendResult(companyId: string, outcome: SendOutcome, info: SendInfo): void {
    this.each((o) => o.onSendResult?.(companyId, outcome, info));
  }

  onTick(ok: boolean, at: Date, durationMs: number, summary: TickSummary): void {
    this.each((o) => o.onTick?.(ok, at, durationMs, summary));
  }

  onCompanyPaused(companyId: string, reason: string): void {
    this.each((o) => o.onCompanyPaused?.(companyId, reason));
  }

  onSkipped(companyId: string, reason: "expired" | "no_consent" | "cancelled", count: number): void {
    this.each((o) => o.onSkipped?.(companyId, reason, count));
  }

  private each(fn: (o: Partial<DaemonEvents>) => void): void {
    for (const o of this.observers) {
      try {
        fn(o);
      } catch {
        // An observer's bug must not stop deliveries.
      }
    }
  }
}
