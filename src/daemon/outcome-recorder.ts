import type { Logger } from "../logger.js";
import type { PlannedOutcome } from "../services/followup-service.js";
import type { HotPathStore } from "./hot-path.js";

/**
 * Group commit of send outcomes. A send's slot is free as soon as its HTTP exchange ends; its
 * outcome waits here for the next flush, which writes every outcome that finished meanwhile in
 * one transaction (each row still conditional on its lease). One flush runs at a time, so while
 * it commits the next group gathers.
 *
 * A failed flush is retried row by row; a row that still cannot be written is left to its lease:
 * it is claimed again when the lease runs out (at-least-once; the crash window grows by at most
 * one flush).
 */
export interface GroupCommitOptions {
  /** At most this many outcomes per transaction. */
  maxGroup?: number;
  /** Flush at once when this many outcomes wait (the dispatcher stops sending at its backlog limit: never make it wait for the timer). */
  flushAt?: number;
  /**
   * How long the first outcome of a group waits for others (ms). Measured on the burst: flushing on
   * every turn of the event loop committed ~14 rows per transaction; a 2 ms window commits about twice
   * as many per transaction for the same crash window (the backlog limit, not the timer, bounds it).
   */
  windowMs?: number;
}

export class OutcomeRecorder {
  private pending: Array<{ p: PlannedOutcome; resolve: (recorded: boolean) => void }> = [];
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly maxGroup: number;
  private readonly flushAt: number;
  private readonly windowMs: number;

  constructor(
    /** Where outcomes are committed: one transaction per call (hot-path.ts: in process, or the SQLite thread). */
    private readonly sink: Pick<HotPathStore, "record">,
    private readonly logger: Logger,
    options: GroupCommitOptions = {},
    /** Called after each flush (the dispatcher waits on the backlog). */
    private readonly onFlushed: () => void = () => {},
  ) {
    this.maxGroup = Math.max(1, options.maxGroup ?? 256);
    this.flushAt = Math.max(1, Math.min(this.maxGroup, options.flushAt ?? this.maxGroup));
    this.windowMs = Math.max(0, options.windowMs ?? 2);
  }

  /** Outcomes handed in and not yet committed: sends a crash now would repeat. */
  get backlog(): number {
    return this.pending.length + this.inFlush;
  }

  private inFlush = 0;

  /** Resolves with whether the row was still held by its owner (false: nothing was written on it) once committed. */
  record(p: PlannedOutcome): Promise<boolean> {
    return new Promise((resolve) => {
      this.pending.push({ p, resolve });
      if (this.pending.length >= this.flushAt) this.kick();
      else if (!this.timer) {
        // The other sends finishing within the window join the group.
        this.timer = setTimeout(() => {
          this.timer = null;
          this.kick();
        }, this.windowMs);
      }
    });
  }

  /** Waits until every outcome handed in so far is committed (or left to its lease). */
  async drain(): Promise<void> {
    while (this.pending.length || this.flushing) {
      if (!this.flushing) this.kick();
      await this.flushing;
    }
  }

  private kick(): void {
    if (this.flushing || !this.pending.length) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.flushing = this.flush().finally(() => {
      this.flushing = null;
      this.inFlush = 0;
      this.onFlushed();
      if (this.pending.length) this.kick();
    });
  }

  private async flush(): Promise<void> {
    const group = this.pending.splice(0, this.maxGroup);
    this.inFlush = group.length;
    try {
      const results = await this.sink.record(group.map((g) => g.p));
      group.forEach((g, i) => g.resolve(results[i] ?? false));
    } catch (err) {
      this.logger.warn("outcome_flush_failed", { rows: group.length, error: (err as Error).message, note: "recording them one by one" });
      for (const g of group) {
        try {
          g.resolve((await this.sink.record([g.p]))[0] ?? false);
        } catch (e) {
          // Left to the lease: the row is claimed again when it runs out.
          this.logger.error("followup_record_failed", { id: g.p.row.id, company: g.p.company.id, error: (e as Error).message });
          g.resolve(false);
        }
      }
    }
  }
}
