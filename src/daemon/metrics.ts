import { performance } from "node:perf_hooks";
import { systemClock, type Clock } from "../clock.js";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { FOLLOWUP_STATUSES } from "../domain/lifecycle.js";
import type { SendOutcome } from "../gateway/whaticket.js";
import { silentLogger, type Logger } from "../logger.js";
import { companyPauses, followupCounters, followupStateCounts } from "../services/metrics-service.js";
import { daemonsSeen } from "../services/status-service.js";
import type { Store } from "../store/store.js";
import type { DaemonEvents, SendInfo, TickSummary } from "./events.js";

/**
 * The daemon's Prometheus metrics, on a registry of its own (never prom-client's global one,
 * so two daemons in one test process do not share counters).
 *
 * Two kinds of sources:
 * - durable state, read at scrape time: the release notes' counters and the replies come from
 *   followup_counters, kept by a trigger on the audit log in the same transaction as each audit
 *   row (so they survive restarts, include `followups resend` run by another process and every
 *   other daemon's sends, and never skip or double-count); follow-ups per state from the
 *   appointments, paused companies from companies, live daemons from their heartbeats;
 * - this process's own work, through the DaemonEvents it observes: send latency and failures,
 *   ticks, skips.
 */

export const METRIC = {
  sent: "secretaria_appointment_followups_sent_total",
  positive: "secretaria_appointment_followups_positive_total",
  negative: "secretaria_appointment_followups_negative_total",
  replies: "secretaria_followup_replies_total",
  byState: "secretaria_followups",
  sendAttempts: "secretaria_followup_send_attempts_total",
  sendDuration: "secretaria_followup_send_duration_seconds",
  sendFailures: "secretaria_followup_send_failures_total",
  skipped: "secretaria_followups_skipped_total",
  lastTick: "secretaria_last_successful_tick_timestamp_seconds",
  lastSend: "secretaria_last_send_timestamp_seconds",
  ticksFailed: "secretaria_ticks_failed_total",
  tickDuration: "secretaria_tick_duration_seconds",
  tickInterval: "secretaria_tick_interval_seconds",
  companyPaused: "secretaria_company_paused",
  daemonUp: "secretaria_daemon_up",
  scrapeErrors: "secretaria_metrics_scrape_errors_total",
  optOuts: "secretaria_consent_revoked_total",
} as const;

/** Audit payload.response → the release notes' intent names. */
const INTENT_OF_RESPONSE: Record<string, string> = {
  positive: "followup_positive",
  negative: "followup_negative",
  feedback: "followup_feedback",
};

const SEND_OUTCOMES: readonly SendOutcome["kind"][] = ["sent", "transient", "permanent", "config"];

/** Label of audit rows without a company (none are expected; kept visible rather than dropped). */
const NO_COMPANY = "unknown";

export interface DaemonMetricsOptions {
  store: Store;
  logger?: Logger;
  /** Stamps send results (events carry no time). Default the system clock. */
  clock?: Clock;
  /** The daemon's schedule interval in seconds, exported so alerts can say "three intervals". */
  tickIntervalSeconds?: number;
  /**
   * How long follow-ups per state are reused between scrapes. Counting them is a covering index
   * scan, O(appointments) (≈ 0.1 s on a million rows): scrapes closer than this share one count.
   * Default 10 s; 0 counts on every scrape.
   */
  stateCacheMs?: number;
  /** prom-client's process_* and nodejs_* metrics. Default true. */
  defaultMetrics?: boolean;
}

export class DaemonMetrics implements DaemonEvents {
  readonly registry = new Registry();

  private readonly store: Store;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly stateCacheMs: number;

  /** One read of the counters per scrape, shared by the four metrics that show them. */
  private counterSync: Promise<void> | null = null;
  private stateCountedAt = Number.NEGATIVE_INFINITY;
  private lastOkTick: Date | null = null;
  private lastSendAt: Date | null = null;
  private lastTickOk: boolean | null = null;
  private loggedScrapeError = false;
  /** Database reads of the scrape in progress (they never reject). */
  private readonly reads = new Set<Promise<void>>();

  private readonly sent: Counter<"company">;
  private readonly positive: Counter<"company">;
  private readonly negative: Counter<"company">;
  private readonly replies: Counter<"company" | "intent">;
  private readonly optOuts: Counter<"company">;
  private readonly byState: Gauge<"company" | "state">;
  private readonly sendAttempts: Counter<"company" | "outcome">;
  private readonly sendDuration: Histogram<"company" | "outcome">;
  private readonly sendFailures: Counter<"company" | "kind" | "reason">;
  private readonly skipped: Counter<"company" | "reason">;
  private readonly lastTick: Gauge;
  private readonly lastSend: Gauge;
  private readonly ticksFailed: Counter;
  private readonly tickDuration: Histogram<"result">;
  private readonly companyPaused: Gauge<"company">;
  private readonly daemonUp: Gauge<"daemon" | "host">;
  private readonly tickIntervalSeconds: number;
  private readonly scrapeErrors: Counter;

  constructor(opts: DaemonMetricsOptions) {
    this.store = opts.store;
    this.tickIntervalSeconds = opts.tickIntervalSeconds ?? 60;
    this.logger = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? systemClock;
    this.stateCacheMs = opts.stateCacheMs ?? 10_000;
    const registers = [this.registry];
    // Each collect() runs on every scrape; syncAudit() is shared and cheap when nothing is new.

    this.sent = new Counter({
      name: METRIC.sent,
      help: "Follow-up messages sent per company (every send, resends included), from the audit log.",
      labelNames: ["company"],
      registers,
      collect: () => this.syncAudit(),
    });
    this.positive = new Counter({
      name: METRIC.positive,
      help: "Positive answers (followup_positive) per company, from the audit log.",
      labelNames: ["company"],
      registers,
      collect: () => this.syncAudit(),
    });
    this.negative = new Counter({
      name: METRIC.negative,
      help: "Negative answers (followup_negative) per company, from the audit log.",
      labelNames: ["company"],
      registers,
      collect: () => this.syncAudit(),
    });
    this.replies = new Counter({
      name: METRIC.replies,
      help: "Answers to follow-ups per company and intent (followup_positive, followup_negative, followup_feedback), from the audit log.",
      labelNames: ["company", "intent"],
      registers,
      collect: () => this.syncAudit(),
    });
    this.optOuts = new Counter({
      name: METRIC.optOuts,
      help: "Opt-outs per company: phones put on the do-not-contact list (client's PARAR or contacts optout), from the audit log.",
      labelNames: ["company"],
      registers,
      collect: () => this.syncAudit(),
    });
    this.byState = new Gauge({
      name: METRIC.byState,
      help: "Follow-ups (appointments) per company and state; recounted at most every few seconds.",
      labelNames: ["company", "state"],
      registers,
      collect: () => this.syncStates(),
    });
    this.sendAttempts = new Counter({
      name: METRIC.sendAttempts,
      help: "Gateway send exchanges of this daemon (Whaticket, Evolution API or the Cloud API; sends and API resends) per company and outcome (sent, transient, permanent, config).",
      labelNames: ["company", "outcome"],
      registers,
    });
    this.sendDuration = new Histogram({
      name: METRIC.sendDuration,
      help: "Duration of one gateway send exchange, per company and outcome (sent, transient, permanent, config).",
      labelNames: ["company", "outcome"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.sendFailures = new Counter({
      name: METRIC.sendFailures,
      help: "Sends that did not deliver, per company, kind (transient, permanent, config) and reason (http_<status>, timeout, network, ...).",
      labelNames: ["company", "kind", "reason"],
      registers,
    });
    this.skipped = new Counter({
      name: METRIC.skipped,
      help: "Follow-ups this daemon moved to skipped, per company and reason (expired, no_consent, cancelled).",
      labelNames: ["company", "reason"],
      registers,
    });
    this.lastTick = new Gauge({
      name: METRIC.lastTick,
      help: "Unix time of this daemon's last tick that finished without error (0 before the first).",
      registers,
    });
    this.lastSend = new Gauge({
      name: METRIC.lastSend,
      help: "Unix time of this daemon's last gateway exchange, whatever its outcome (0 before the first): a long tick draining a backlog is alive while this moves.",
      registers,
    });
    this.ticksFailed = new Counter({
      name: METRIC.ticksFailed,
      help: "Ticks of this daemon that ended with an error.",
      registers,
    });
    this.tickDuration = new Histogram({
      name: METRIC.tickDuration,
      help: "Duration of the daemon's ticks, by result (ok, failed).",
      labelNames: ["result"],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
      registers,
    });
    const tickInterval = new Gauge({
      name: METRIC.tickInterval,
      help: "The daemon's schedule interval in seconds (alerts call it stalled after three).",
      registers,
    });
    if (opts.tickIntervalSeconds !== undefined) tickInterval.set(opts.tickIntervalSeconds);
    this.companyPaused = new Gauge({
      name: METRIC.companyPaused,
      help: "1 when the company's sending is paused because its gateway refused its token or connection, else 0.",
      labelNames: ["company"],
      registers,
      collect: () => this.syncPauses(),
    });
    this.daemonUp = new Gauge({
      name: METRIC.daemonUp,
      help: "1 for each daemon on this database that ticked or beat within three schedule intervals (every host), 0 for one that stopped or went silent in the last day.",
      labelNames: ["daemon", "host"],
      registers,
      collect: () => this.syncDaemons(),
    });
    this.scrapeErrors = new Counter({
      name: METRIC.scrapeErrors,
      help: "Scrapes in which reading the database failed (the affected metrics kept their last values).",
      registers,
      // The reads run concurrently with this metric's own collection: count this scrape's failures too.
      collect: async () => void (await Promise.all([...this.reads])),
    });
    if (opts.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named *_total fail `promtool check metrics`; each is the sum of the per-type
      // gauge of the same name without the suffix (nodejs_active_handles{type}, ...), which stays.
      for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) {
        this.registry.removeSingleMetric(name);
      }
    }
  }

  /** The Prometheus text exposition of every metric. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** When this daemon last finished a tick without error (null before the first). */
  lastSuccessfulTickAt(): Date | null {
    return this.lastOkTick;
  }

  /** When this daemon last finished a gateway exchange (null before the first). */
  lastSendResultAt(): Date | null {
    return this.lastSendAt;
  }

  /** Whether the last tick succeeded (null before the first). */
  lastTickSucceeded(): boolean | null {
    return this.lastTickOk;
  }

  // ── DaemonEvents ──

  onSendResult(companyId: string, outcome: SendOutcome, _info: SendInfo): void {
    this.lastSendAt = this.clock();
    this.lastSend.set(this.lastSendAt.getTime() / 1000);
    this.sendAttempts.inc({ company: companyId, outcome: outcome.kind });
    this.sendDuration.observe({ company: companyId, outcome: outcome.kind }, outcome.durationMs / 1000);
    if (outcome.kind !== "sent") {
      this.sendFailures.inc({ company: companyId, kind: outcome.kind, reason: failureReason(outcome) });
    }
  }

  onTick(ok: boolean, at: Date, durationMs: number, _summary: TickSummary): void {
    this.lastTickOk = ok;
    this.tickDuration.observe({ result: ok ? "ok" : "failed" }, durationMs / 1000);
    if (ok) {
      this.lastOkTick = at;
      this.lastTick.set(at.getTime() / 1000);
    } else {
      this.ticksFailed.inc();
    }
  }

  onCompanyPaused(companyId: string, _reason: string): void {
    // The database is the truth at the next scrape; this only makes the change visible at once.
    this.companyPaused.set({ company: companyId }, 1);
  }

  onSkipped(companyId: string, reason: "expired" | "no_consent" | "cancelled", count: number): void {
    if (count > 0) this.skipped.inc({ company: companyId, reason }, count);
  }

  // ── durable sources ──

  private syncAudit(): Promise<void> {
    this.counterSync ??= this.readCounters().finally(() => (this.counterSync = null));
    return this.counterSync;
  }

  /** Sets the counters to the database's totals (one small table, written by every process). */
  private readCounters(): Promise<void> {
    return this.guard(async () => {
      const [companies, rows] = await Promise.all([companyPauses(this.store), followupCounters(this.store)]);
      for (const m of [this.sent, this.positive, this.negative, this.replies, this.optOuts]) m.reset();
      // Every known company shows 0 from the start, so rate() and increase() have a first sample.
      for (const c of companies) {
        this.sent.inc({ company: c.id }, 0);
        this.positive.inc({ company: c.id }, 0);
        this.negative.inc({ company: c.id }, 0);
        this.optOuts.inc({ company: c.id }, 0);
        for (const outcome of SEND_OUTCOMES) this.sendAttempts.inc({ company: c.id, outcome }, 0);
      }
      for (const row of rows) {
        const company = row.company_id || NO_COMPANY;
        if (row.action === "followup_sent") {
          this.sent.inc({ company }, row.n);
          continue;
        }
        if (row.action === "consent_revoked") {
          this.optOuts.inc({ company }, row.n);
          continue;
        }
        const intent = row.response ? INTENT_OF_RESPONSE[row.response] : undefined;
        if (!intent) continue;
        this.replies.inc({ company, intent }, row.n);
        if (row.response === "positive") this.positive.inc({ company }, row.n);
        if (row.response === "negative") this.negative.inc({ company }, row.n);
      }
    });
  }

  private syncDaemons(): Promise<void> {
    return this.guard(async () => {
      const now = this.clock();
      const rows = await daemonsSeen(this.store, now);
      this.daemonUp.reset();
      for (const d of rows) this.daemonUp.set({ daemon: d.id, host: d.host }, d.alive ? 1 : 0);
    });
  }

  private async syncStates(): Promise<void> {
    // A monotonic clock: the injected Clock may be frozen (SECRETARIA_NOW), the cache must still expire.
    const now = performance.now();
    if (now - this.stateCountedAt < this.stateCacheMs) return;
    await this.guard(async () => {
      const [counts, pauses] = await Promise.all([followupStateCounts(this.store), companyPauses(this.store)]);
      this.byState.reset();
      const companies = new Set([...pauses.map((c) => c.id), ...counts.map((r) => r.company_id)]);
      for (const company of companies) for (const state of FOLLOWUP_STATUSES) this.byState.set({ company, state }, 0);
      for (const r of counts) this.byState.set({ company: r.company_id, state: r.followup_status }, r.n);
      this.stateCountedAt = now;
    });
  }

  private syncPauses(): Promise<void> {
    return this.guard(async () => {
      const rows = await companyPauses(this.store);
      this.companyPaused.reset();
      for (const c of rows) this.companyPaused.set({ company: c.id }, c.paused ? 1 : 0);
    });
  }

  /** A failing read keeps the last values and is counted; /metrics still answers (and /healthz says why). */
  private guard(fn: () => Promise<void>): Promise<void> {
    const read = (async () => {
      try {
        await fn();
        this.loggedScrapeError = false;
      } catch (err) {
        this.scrapeErrors.inc();
        if (!this.loggedScrapeError) this.logger.warn("metrics_db_error", { error: (err as Error).message });
        this.loggedScrapeError = true;
      }
    })();
    this.reads.add(read);
    void read.finally(() => this.reads.delete(read));
    return read;
  }
}

/**
 * A bounded label for why a send failed: the HTTP status when there was an answer, else the
 * kind of local failure. Free-text errors would make one series per message.
 */
export function failureReason(outcome: Exclude<SendOutcome, { kind: "sent" }>): string {
  if (outcome.status && outcome.status > 0) return `http_${outcome.status}`;
  if (/^timeout/i.test(outcome.error)) return "timeout";
  if (outcome.kind === "transient") return "network";
  if (outcome.kind === "config") return "configuration";
  return "invalid_number";
}

export function createDaemonMetrics(opts: DaemonMetricsOptions): DaemonMetrics {
  return new DaemonMetrics(opts);
}
