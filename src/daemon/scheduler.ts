import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { ABANDON_DRAIN_MS } from "./shutdown.js";
import type { Clock } from "../clock.js";
import { iso } from "../clock.js";
import { whaticketFromEnv, type WhaticketDefaults } from "../config.js";
import { inboundRetentionFromEnv, purgeExpiredInbound, type InboundRetention } from "../services/retention-service.js";
import { isInQuietHours, moveOutOfQuietHours, parseQuietHours, type QuietHours } from "../domain/hours.js";
import { EXPIRY_MS } from "../domain/lifecycle.js";
import { sendDayOf, type SendDay } from "../domain/messages.js";
import { maskPhone } from "../domain/phone.js";
import type { SendOutcome, WhaticketGateway } from "../gateway/whaticket.js";
import { silentLogger, type Logger } from "../logger.js";
import {
  DEFAULT_LEASE_MS, deferClaim, leaseOwner, planOutcome, reclaimExpiredLeases, releaseAllClaims, releaseClaim, reserveSendSlots, retrySettings,
  sweepUnsendableFollowups, type DeliveryReport, type RetrySettings,
} from "../services/followup-service.js";
import {
  followupContent, gatewayConfigFix, gatewayName, GatewayRouter, missingCompanyTargetReason, resolveCompanyTarget, type GatewaySet, type RoutedTarget,
} from "../services/gateway-service.js";
import { listCompanies } from "../services/company-service.js";
import { recordDaemonTick } from "../services/daemon-registry-service.js";
import type { CompanyRow } from "../store/companies.js";
import type { ClaimedRow } from "../store/followups.js";
import type { Store } from "../store/store.js";
import { noDaemonEvents, type DaemonEvents, type TickSummary } from "./events.js";
import { inProcessHotPath, type HotPathStore } from "./hot-path.js";
import { OutcomeRecorder } from "./outcome-recorder.js";
import { stopTimeoutFor } from "./shutdown.js";

/**
 * One pass of the delivery loop ("tick"): sweep what can no longer be sent, take back rows of
 * crashed daemons, then claim and send due follow-ups until none is left, with at most
 * `concurrency` sends in flight.
 *
 * The hot path: each company has a local queue of claimed rows, refilled in batches before it
 * runs dry (one claim transaction per batch, returning the rows), and sends are dealt round-robin
 * across companies so a slow one never holds back the others. A send's slot is free as soon as
 * its HTTP exchange ends; the outcome goes to the OutcomeRecorder, which commits every outcome
 * finished meanwhile in one transaction. Claims and those commits go through a HotPathStore
 * (hot-path.ts): on SQLite a worker thread with its own connection, so they never stall the sends.
 * What every message of a company shares (its gateway target, quiet hours, the send day for
 * "de hoje / de ontem") is computed once per tick.
 *
 * No send happens inside a company's quiet hours: a company in them is not claimed for, and a
 * claimed row whose send time falls in them (a batch that straddles 20:00) goes back to
 * scheduled at their end. A company's rate limit is one budget in the database, shared by every
 * daemon (reserveSendSlots): each claimed row waits for its reserved instant before it is sent.
 *
 * The clock and the gateway are injected: the demo drives a scheduler in process with a
 * ManualClock and the fake Whaticket. Rate-limit waits use real time.
 */

export interface SchedulerDeps {
  store: Store;
  /** Claims and group commits (hot-path.ts); default in process on `store`. The caller closes it. */
  hotPath?: HotPathStore;
  gateway: WhaticketGateway;
  /** Companies on Evolution API or the Cloud API send through these (created on first use when absent). */
  gateways?: Omit<GatewaySet, "whaticket">;
  clock: Clock;
  logger?: Logger;
  events?: DaemonEvents;
  /** WHATICKET_URL / WHATICKET_TOKEN; default read from process.env. */
  whaticketDefaults?: WhaticketDefaults;
  /** Sends in flight at once. Default 8. */
  concurrency?: number;
  /** Messages per second for every company, overriding each one's rate_limit; 0 = off; null/undefined = per company. */
  rateLimit?: number | null;
  /** Retry policy; maxAttempts default 5. */
  retry?: Partial<RetrySettings>;
  /** How long a claim is held. Default 2 min. */
  leaseMs?: number;
  /**
   * Largest claim (a company's local queue). Default twice the concurrency, 16 to 256: eight times
   * saved a tenth of the CPU per message in the bench, but a SIGKILLed daemon leaves its whole
   * queue waiting for the lease, and recovery after a crash matters more.
   */
  batchSize?: number;
  /**
   * On stop, how long to wait for sends in flight. Default the send timeout + 5 s (shutdown.ts), so
   * a send started before the stop ends by itself. A send still unanswered then keeps its lease.
   */
  stopTimeoutMs?: number;
  /** How long inbound texts are kept (LGPD); default from SECRETARIA_INBOUND_RETENTION_DAYS / SECRETARIA_UNMATCHED_RETENTION_DAYS, else 180 / 30 days. */
  retention?: InboundRetention;
  /** Lease owner id; default host:pid:random. */
  owner?: string;
}

export interface TickResult extends TickSummary {
  /** False when the tick hit an error (logged); `error` says which. */
  ok: boolean;
  error?: string;
  /** True when another tick was still running, so this one did nothing. */
  overlapped: boolean;
  durationMs: number;
}

export interface Scheduler {
  readonly owner: string;
  /** One pass; returns at once with overlapped=true when the previous pass is still running. */
  tick(): Promise<TickResult>;
  /** `--once`: waits for a running pass, then drains everything due now. */
  runOnce(): Promise<TickResult>;
  /**
   * Stops claiming, gives back claimed rows not yet sent, waits (bounded) for sends in flight and
   * records their outcomes. A row whose request went out but got no answer in time keeps its lease
   * (reclaimed when it runs out, like after a crash: at most one duplicate), and nothing more is
   * written after stop() resolves. Safe to call twice.
   */
  stop(): Promise<void>;
  readonly busy: boolean;
}

interface Queued {
  row: ClaimedRow;
  /** The instant reserved for it from the company's shared rate budget (epoch ms), null when unlimited. */
  sendAtMs: number | null;
}

interface Lane {
  company: CompanyRow;
  quiet: QuietHours | null;
  /** The company's gateway and settings; null when incomplete: its rows are released with the reason. */
  target: RoutedTarget | null;
  rate: number;
  /** Paused company whose pause ran out: send one follow-up to probe before sending the rest. */
  probing: boolean;
  /** The probe went through: say so once its outcome is recorded. */
  resumed: boolean;
  paused: boolean;
  /** The pause was counted and logged (once per tick, however many sends it answered). */
  pauseLogged: boolean;
  exhausted: boolean;
  /** Rows of this company being sent, or waiting for their reserved instant. */
  inFlight: number;
  /** Claimed rows not yet handed to a send. */
  queue: Queued[];
  refilling: boolean;
  /** The last send instant reserved from the company's shared budget (epoch ms), 0 when none. */
  reservedUntil: number;
  day: SendDay | null;
}

const emptySummary = (): TickSummary => ({ sent: 0, retried: 0, failed: 0, paused: 0, expired: 0, skipped: 0, reclaimed: 0 });

/** How far ahead of now a rate-limited company's sends are reserved and claimed. */
const RESERVE_AHEAD_MS = 2_000;

/** Whether `p` settled within `ms` (the timer is cleared either way). */
async function settlesWithin(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true), limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Wakes the dispatch loop when a send finishes, on stop, or after a timeout. */
class Wakeup {
  private waiter: (() => void) | null = null;
  notify(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
  wait(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms !== undefined && Number.isFinite(ms) ? setTimeout(() => this.notify(), Math.max(1, ms)) : null;
      this.waiter = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
    });
  }
}

export function createScheduler(deps: SchedulerDeps): Scheduler {
  const { store, clock, gateway } = deps;
  const router = new GatewayRouter({ whaticket: gateway, ...deps.gateways });
  const logger = deps.logger ?? silentLogger;
  const events = deps.events ?? noDaemonEvents;
  const concurrency = Math.max(1, deps.concurrency ?? 8);
  const batchSize = Math.max(1, deps.batchSize ?? Math.min(256, Math.max(16, concurrency * 2)));
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const stopTimeoutMs = deps.stopTimeoutMs ?? stopTimeoutFor();
  const owner = deps.owner ?? leaseOwner("daemon");
  const retry = retrySettings(deps.retry);
  const whaticketDefaults = deps.whaticketDefaults ?? whaticketFromEnv();
  const wake = new Wakeup();
  const hotPath = deps.hotPath ?? inProcessHotPath(store);
  const recorder = new OutcomeRecorder(hotPath, logger, { flushAt: concurrency }, () => wake.notify());
  /**
   * Sends answered but not yet committed are what a crash would repeat: no new send starts while
   * that many wait for the group commit. Two concurrencies: one group commits while the next
   * gathers (with one, every commit stalled the sends); a crash repeats at most the sends in
   * flight plus these, three concurrencies.
   */
  const maxUnrecorded = 2 * concurrency;

  let current: Promise<TickResult> | null = null;
  let stopping = false;
  let stopped: Promise<void> | null = null;
  /**
   * Aborted on stop: a row waiting for its reserved instant goes back at once. (An AbortSignal, not a
   * pending promise raced against each wait: every race would leave a reaction on it until the stop.)
   */
  const stopAC = new AbortController();
  /**
   * The stop wait ran out: sends still unanswered are left to their lease, and this scheduler
   * writes nothing more (the daemon closes the database next).
   */
  let abandoned = false;
  const abandonAC = new AbortController();
  /** Rows whose request has started and whose outcome is not committed yet: the gateway may have them. */
  const requested = new Set<number>();
  /** Sends (and their waits for a reserved instant); a slot is free when its promise settles. */
  const inFlight = new Set<Promise<void>>();
  /** Claims, outcome reports and releases still running. */
  const background = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    background.add(p);
    void p.finally(() => background.delete(p)).catch(() => undefined);
    return p;
  };

  const retention = deps.retention ?? inboundRetentionFromEnv();
  let lastPurgeMs = Number.NEGATIVE_INFINITY;

  async function sweep(summary: TickSummary): Promise<void> {
    const now = clock();
    // Retention: at most hourly, texts past their time are blanked (retention-service.ts).
    if (now.getTime() - lastPurgeMs >= 3_600_000) {
      lastPurgeMs = now.getTime();
      const purged = await purgeExpiredInbound(store, now, retention);
      if (purged.matched + purged.unmatched) logger.info("inbound_texts_purged", { ...purged, retention_days: retention.days, unmatched_days: retention.unmatchedDays });
    }
    summary.reclaimed = await reclaimExpiredLeases(store, iso(now));
    if (summary.reclaimed) logger.warn("leases_reclaimed", { count: summary.reclaimed, note: "rows of a daemon that stopped mid-send are claimed again" });
    const skipped = await sweepUnsendableFollowups(store, now, EXPIRY_MS);
    const counts = new Map<string, number>();
    for (const r of skipped) {
      if (r.followup_skip_reason === "expired") summary.expired++;
      else summary.skipped++;
      const key = `${r.company_id}\u0000${r.followup_skip_reason}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const [key, count] of counts) {
      const [companyId, reason] = key.split("\u0000") as [string, "expired" | "no_consent" | "cancelled"];
      logger.info("followups_skipped", { company: companyId, reason, count });
      events.onSkipped(companyId, reason, count);
    }
  }

  function lanesFor(companies: CompanyRow[]): Lane[] {
    const at = clock();
    const now = at.getTime();
    const lanes: Lane[] = [];
    for (const company of companies) {
      const quiet = parseQuietHours(company.quiet_hours);
      // Quiet hours: nothing is claimed for this company now (first sends, retries, reclaimed leases, backlog alike).
      if (isInQuietHours(at, company.timezone, quiet)) continue;
      let probing = false;
      if (company.paused_reason) {
        const pausedAt = company.paused_at ? Date.parse(company.paused_at) : now;
        if (now - pausedAt < retry.pauseMs) continue;
        probing = true;
      }
      const rate = deps.rateLimit ?? company.rate_limit;
      lanes.push({
        company, quiet, target: resolveCompanyTarget(company, whaticketDefaults), rate: rate > 0 ? rate : 0, probing, resumed: false,
        paused: false, pauseLogged: false, exhausted: false, inFlight: 0, queue: [], refilling: false, reservedUntil: 0, day: null,
      });
    }
    return lanes;
  }

  /** The send day of this company's messages, recomputed when the local day changes. */
  function dayFor(lane: Lane, now: Date): SendDay {
    const t = now.getTime();
    if (!lane.day || t < lane.day.todayStartMs || t >= lane.day.tomorrowStartMs) lane.day = sendDayOf(now, lane.company.timezone);
    return lane.day;
  }

  function report(lane: Lane, row: ClaimedRow, r: DeliveryReport, summary: TickSummary): void {
    const c = lane.company;
    const base = { id: row.id, company: c.id, phone: maskPhone(row.client_phone), attempt: r.attempt, ms: Math.round(r.outcome.durationMs) };
    const t = r.transition;
    let result: "sent" | "retry" | "failed" | "paused" | "lease_lost" = t.to;
    if (!r.recorded) {
      result = "lease_lost";
      logger.warn("followup_lease_lost", { ...base, outcome: r.outcome.kind, note: "this daemon no longer held the row (its lease ran out, or it was given back on stop); the row was left as it is" });
    }
    switch (t.to) {
      case "sent":
        summary.sent++;
        // The operator's trail of each message; the daemon's logger writes info lines in batches.
        logger.info("followup_sent", base);
        if (lane.resumed) {
          lane.resumed = false;
          logger.warn("company_resumed", { company: c.id, note: `${gatewayName(c)} accepted its credentials again` });
        }
        break;
      case "retry":
        summary.retried++;
        logger.warn("followup_retry", { ...base, error: t.error, next: iso(t.next) });
        break;
      case "failed":
        summary.failed++;
        logger.error("followup_failed", { ...base, error: t.error, reason: t.exhausted ? "attempts exhausted" : "permanent" });
        break;
      case "paused":
        if (!lane.pauseLogged) {
          lane.pauseLogged = true;
          summary.paused++;
          // Loud on purpose: nothing goes out for this company until the token or connection is fixed.
          logger.error("company_paused", {
            company: c.id,
            error: t.error,
            fix: gatewayConfigFix(c),
            note: `no attempt was used; sending resumes by itself once ${gatewayName(c).replace(/^The /, "the ")} accepts it (probed every ${Math.round(retry.pauseMs / 1000)} s)`,
          });
          events.onCompanyPaused(c.id, t.error);
        }
        break;
    }
    events.onSendResult(c.id, r.outcome, { appointmentId: row.id, attempt: r.attempt, resend: false, result });
  }

  /** Sends one queued row in a slot of its own; the slot is free once the HTTP exchange ends. */
  function launch(lane: Lane, q: Queued, summary: TickSummary): void {
    const { row } = q;
    lane.inFlight++;
    const p: Promise<void> = (async () => {
      try {
        // The company's shared budget reserved this instant for this row.
        if (q.sendAtMs !== null && q.sendAtMs > Date.now()) await delay(q.sendAtMs - Date.now(), undefined, { signal: stopAC.signal }).catch(() => undefined);
        const now = clock();
        // The claim checked quiet hours; a row of a batch claimed just before they began must not go out in them.
        if (isInQuietHours(now, lane.company.timezone, lane.quiet)) {
          const next = moveOutOfQuietHours(now, lane.company.timezone, lane.quiet);
          await deferClaim(store, { id: row.id, owner, now: iso(now), next: iso(next) });
          logger.info("followup_deferred", { id: row.id, company: lane.company.id, reason: "quiet_hours", next: iso(next) });
          return;
        }
        if (lane.paused || stopping) {
          // The company was paused, or the daemon is stopping, while this row waited for its instant: give it back unsent.
          await releaseClaim(store, { id: row.id, owner, now: iso(now), error: null });
          return;
        }
        // Queued behind a slow gateway until its lease is nearly spent: give it back unsent (claimed
        // again with a fresh lease), so it never goes out after another daemon could have taken it over.
        if (row.lease_expires_at !== null && Date.parse(row.lease_expires_at) - now.getTime() < leaseMs / 4) {
          await releaseClaim(store, { id: row.id, owner, now: iso(now), error: null });
          return;
        }
        requested.add(row.id);
        const outcome: SendOutcome = lane.target
          ? await router.sendFollowup(lane.target, followupContent(row, lane.company, now, dayFor(lane, now)))
          : { kind: "config", status: 0, error: missingCompanyTargetReason(lane.company, whaticketDefaults) ?? "no gateway target", durationMs: 0 };
        if (abandoned) {
          // Answered after the stop gave up waiting: the row keeps its lease (see stop()); nothing is written.
          logger.warn("followup_outcome_unrecorded", { id: row.id, company: lane.company.id, outcome: outcome.kind, note: "answered after the stop deadline; the row is sent again once its lease runs out" });
          return;
        }
        const planned = planOutcome(retry, lane.company, row, owner, outcome, clock());
        if (planned.transition.to === "paused") pauseLane(lane);
        else if (outcome.kind === "sent" && lane.probing) {
          lane.probing = false;
          lane.resumed = true;
        }
        track(
          recorder.record(planned).then((recorded) => {
            requested.delete(row.id);
            report(lane, row, { outcome, transition: planned.transition, attempt: planned.attempt, recorded }, summary);
          }),
        );
      } catch (err) {
        // A database error around the send: the row keeps its lease and is claimed again when it runs out.
        logger.error("followup_send_failed", { id: row.id, company: lane.company.id, error: (err as Error).message });
      }
    })().finally(() => {
      lane.inFlight--;
      inFlight.delete(p);
      wake.notify();
    });
    inFlight.add(p);
  }

  /** The gateway refused the company's setup: stop dealing its rows and give the queued ones back, nothing burned. */
  function pauseLane(lane: Lane): void {
    if (lane.paused) return;
    lane.paused = true;
    releaseQueued(lane);
  }

  function releaseQueued(lane: Lane): void {
    const queued = lane.queue.splice(0);
    if (!queued.length) return;
    track(
      (async () => {
        const at = iso(clock());
        for (const q of queued) await releaseClaim(store, { id: q.row.id, owner, now: at, error: null });
      })().catch((err: Error) => logger.error("release_failed", { company: lane.company.id, error: err.message })),
    );
  }

  /**
   * Claims the next batch of a company into its queue, before the queue runs dry: one claim
   * transaction returns up to a batch of rows (a rate-limited company: about two seconds of its
   * budget), and each row gets its instant from the shared budget.
   */
  function refill(lane: Lane, onError: (message: string) => void): number {
    if (lane.refilling || lane.exhausted || lane.paused || stopping) return Infinity;
    if (lane.probing && (lane.inFlight > 0 || lane.queue.length > 0)) return Infinity;
    const ahead = lane.reservedUntil - Date.now();
    if (lane.rate > 0 && ahead > RESERVE_AHEAD_MS) return ahead - RESERVE_AHEAD_MS;
    if (lane.queue.length >= (lane.rate > 0 ? 1 : concurrency)) return Infinity;
    const want = lane.probing ? 1 : lane.rate > 0 ? Math.max(1, Math.min(batchSize, Math.ceil(lane.rate * 2))) : batchSize;
    lane.refilling = true;
    track(
      (async () => {
        try {
          const now = clock();
          const rows = await hotPath.claim({
            companyId: lane.company.id,
            owner,
            now: iso(now),
            leaseUntil: iso(new Date(now.getTime() + leaseMs)),
            expiryCutoff: iso(new Date(now.getTime() - EXPIRY_MS)),
            limit: want,
          });
          if (rows.length < want) lane.exhausted = true;
          if (!rows.length) return;
          const slots =
            lane.rate > 0
              ? await reserveSendSlots(store, { companyId: lane.company.id, count: rows.length, rate: lane.rate, nowMs: Date.now(), horizonMs: Number.POSITIVE_INFINITY })
              : null;
          if (slots?.length) lane.reservedUntil = slots[slots.length - 1]!;
          rows.forEach((row, i) => lane.queue.push({ row, sendAtMs: slots ? (slots[i] ?? null) : null }));
          // Paused or stopped while claiming: these rows go back at once.
          if (lane.paused || stopping) releaseQueued(lane);
        } catch (err) {
          lane.exhausted = true;
          onError((err as Error).message);
        } finally {
          lane.refilling = false;
          wake.notify();
        }
      })(),
    );
    return Infinity;
  }

  /** Deals queued rows to free slots, one per company per round. */
  function dispatch(lanes: Lane[], start: number, summary: TickSummary): void {
    const free = () => inFlight.size < concurrency && recorder.backlog < maxUnrecorded;
    for (let dealt = true; dealt && free(); ) {
      dealt = false;
      for (let i = 0; i < lanes.length && free(); i++) {
        const lane = lanes[(start + i) % lanes.length]!;
        if (lane.paused || !lane.queue.length) continue;
        // A paused company sends one probe at a time until one gets through.
        if (lane.probing && lane.inFlight > 0) continue;
        launch(lane, lane.queue.shift()!, summary);
        dealt = true;
      }
    }
  }

  /** Every send is bounded by its client's timeout; only a stop that ran out of time stops the wait. */
  async function waitForInFlight(): Promise<void> {
    if (!inFlight.size || abandoned) return;
    const signal = abandonAC.signal;
    await new Promise<void>((resolve) => {
      const onAbort = () => resolve();
      signal.addEventListener("abort", onAbort, { once: true });
      void Promise.allSettled([...inFlight]).then(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      });
    });
  }

  async function pass(): Promise<TickResult> {
    const started = performance.now();
    const at = clock();
    const summary = emptySummary();
    let error: string | undefined;
    let lanes: Lane[] = [];
    try {
      await sweep(summary);
      lanes = lanesFor(await listCompanies(store));
      const fail = (message: string) => {
        error ??= message;
        logger.error("claim_failed", { error: message });
      };
      for (let round = 0; !stopping; round++) {
        let waitMs = Infinity;
        for (const lane of lanes) waitMs = Math.min(waitMs, refill(lane, fail));
        dispatch(lanes, round % Math.max(1, lanes.length), summary);
        const done = lanes.every((l) => l.paused || (l.exhausted && !l.refilling && l.queue.length === 0));
        if (done && inFlight.size === 0) break;
        // Woken by a finished send, a finished claim, a reserved instant coming near, or stop.
        await wake.wait(waitMs);
      }
    } catch (err) {
      error = (err as Error).message;
      logger.error("tick_failed", { error });
    }
    // Stopping: claimed rows not yet handed to a send go back now, not after the sends in flight.
    if (stopping) for (const lane of lanes) releaseQueued(lane);
    await waitForInFlight();
    await Promise.allSettled([...background]);
    await recorder.drain();
    await Promise.allSettled([...background]);
    const durationMs = Math.round(performance.now() - started);
    const ok = error === undefined;
    if (!abandoned) {
      try {
        await recordDaemonTick(store, owner, { at: iso(clock()), tickAt: iso(at), ok, error: error ?? null });
      } catch (err) {
        logger.error("daemon_state_failed", { error: (err as Error).message });
      }
    }
    const busy = summary.sent + summary.retried + summary.failed + summary.paused + summary.expired + summary.skipped + summary.reclaimed;
    (busy || !ok ? logger.info : logger.debug)("tick", { ...summary, ok, ms: durationMs });
    events.onTick(ok, at, durationMs, summary);
    return { ...summary, ok, ...(error !== undefined ? { error } : {}), overlapped: false, durationMs };
  }

  function tick(): Promise<TickResult> {
    if (current || stopping) {
      if (current) logger.debug("tick_overlap", { note: "the previous tick is still running; this one is skipped" });
      return Promise.resolve({ ...emptySummary(), ok: true, overlapped: true, durationMs: 0 });
    }
    const p = pass().finally(() => {
      current = null;
    });
    current = p;
    return p;
  }

  return {
    owner,
    tick,
    async runOnce() {
      if (current) await current.catch(() => undefined);
      return tick();
    },
    stop() {
      if (stopped) return stopped;
      stopping = true;
      stopAC.abort();
      wake.notify();
      stopped = (async () => {
        // Sends only happen inside a pass, and a pass ends once its sends are answered and recorded:
        // wait for it, bounded by the send timeout plus a margin (a send ends by itself before that).
        const pass = current?.then(() => undefined, () => undefined);
        if (pass && !(await settlesWithin(pass, stopTimeoutMs))) {
          // A send outlived its timeout: stop waiting for it. What was answered is recorded (the
          // pass drains the recorder), then nothing more is written.
          abandoned = true;
          abandonAC.abort();
          if (!(await settlesWithin(pass, ABANDON_DRAIN_MS))) {
            // Not even the last commit ended: write nothing more, every row this daemon holds is left to its lease.
            logger.warn("stop_gave_up", { note: "the last commit did not end in time; rows this daemon holds are claimed again when their lease runs out" });
            await router.close();
            return;
          }
        }
        // The gateway may have these: giving them back now would send them again at once. They keep
        // their lease and are claimed again when it runs out, as after a crash (at most one duplicate each).
        const unknown = [...requested];
        try {
          const note = "the daemon stopped while this send was in flight: outcome unknown, sent again once the lease runs out";
          const released = await store.tx((t) => releaseAllClaims(t, owner, iso(clock()), { ids: unknown, note }));
          if (released) logger.info("claims_released", { count: released, note: "claimed but not sent; back to scheduled" });
        } catch (err) {
          logger.error("release_failed", { error: (err as Error).message });
        }
        if (unknown.length) {
          logger.warn("followups_outcome_unknown", {
            count: unknown.length,
            ids: unknown.join(","),
            note: `no answer before the stop deadline (${stopTimeoutMs} ms); these keep their lease and are sent again when it runs out`,
          });
        }
        await router.close();
      })();
      return stopped;
    },
    get busy() {
      return current !== null;
    },
  };
}
