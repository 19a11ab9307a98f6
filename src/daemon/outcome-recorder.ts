import type { Logger } from "../logger.js";
import { applyOutcome, applyOutcomes, type PlannedOutcome } from "../services/followup-service.js";
import type { Store } from "../store/store.js";

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
export class OutcomeRecorder {
  private pending: Array<{ p: PlannedOutcome; resolve: (recorded: boolean) => void }> = [];
  private flushing: Promise<void> | null = null;
  private scheduled = false;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    /** Flush at once when this many outcomes wait. */
    private readonly maxGroup = 256,
    /** Called after each flush (the dispatcher waits on the backlog). */
    private readonly onFlushed: () => void = () => {},
  ) {}

  /** Outcomes handed in and not yet committed: sends a crash now would repeat. */
  get backlog(): number {
    return this.pending.length + this.inFlush;
  }

  private inFlush = 0;

  /** Resolves with whether the row was still held by its owner (false: nothing was written on it) once committed. */
  record(p: PlannedOutcome): Promise<boolean> {
    return new Promise((resolve) => {
      this.pending.push({ p, resolve });
      if (this.pending.length >= this.maxGroup) this.kick();
      else if (!this.scheduled) {
        this.scheduled = true;
        // The other sends finishing in this turn of the event loop join the group.
        setImmediate(() => {
          this.scheduled = false;
          this.kick();
        });
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
      const results = await this.store.tx((t) => applyOutcomes(t, group.map((g) => g.p)));
      group.forEach((g, i) => g.resolve(results[i] ?? false));
    } catch (err) {
      this.logger.warn("outcome_flush_failed", { rows: group.length, error: (err as Error).message, note: "recording them one by one" });
      for (const g of group) {
        try {
          g.resolve(await this.store.tx((t) => applyOutcome(t, g.p)));
        } catch (e) {
          // Left to the lease: the row is claimed again when it runs out.
          this.logger.error("followup_record_failed", { id: g.p.row.id, company: g.p.company.id, error: (e as Error).message });
          g.resolve(false);
        }
      }
    }
  }
}
