import { Worker } from "node:worker_threads";
import { UserError } from "../errors.js";
import { applyOutcomes, claimDue, type PlannedOutcome } from "../services/followup-service.js";
import type { ClaimedRow, ClaimParams } from "../store/followups.js";
import type { Store } from "../store/store.js";
import type { HotPathReply, HotPathRequest, RecordedOutcome } from "./hot-path-worker.js";

/**
 * The delivery loop's two storage operations, the ones it runs for every message: claim a batch of
 * due follow-ups, and record a group of send outcomes in one transaction (each row still
 * conditional on its lease). Everything else the daemon writes goes through the Store itself.
 *
 * Two implementations, one SQL: in process (PostgreSQL, where the server does the work in its own
 * processes; and the demo and tests), and on a worker thread with a connection of its own
 * (SQLite): better-sqlite3 is synchronous, so on the event loop every claim and group commit
 * stalls the HTTP exchanges in flight; on a thread the commits overlap the sends (2 cores: the
 * WAL writes on one, the HTTP client on the other).
 */
export interface HotPathStore {
  claim(p: ClaimParams): Promise<ClaimedRow[]>;
  /** One transaction; for each outcome, whether its row was still held by its owner. */
  record(items: PlannedOutcome[]): Promise<boolean[]>;
  close(): Promise<void>;
}

export function inProcessHotPath(store: Store): HotPathStore {
  return {
    claim: (p) => claimDue(store, p),
    record: (items) => store.tx((t) => applyOutcomes(t, items)),
    close: async () => {},
  };
}

/** What of an outcome the recording needs (the company's row carries secrets and settings: they stay here). */
function recordable(p: PlannedOutcome): RecordedOutcome {
  return { ...p, company: { id: p.company.id, paused_reason: p.company.paused_reason } };
}

/** How long close() waits for the thread's last transaction before it stops the thread. */
const CLOSE_WAIT_MS = 10_000;

/**
 * The hot path on a worker thread (SQLite). The thread opens the same file with its own
 * connection; both connections take the write lock in turn (BEGIN IMMEDIATE, waited for without
 * blocking either event loop). A thread that dies (it should not) fails the calls waiting on it
 * and is started again on the next call, so a tick fails and the next one goes on.
 */
export class SqliteHotPathThread implements HotPathStore {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private seq = 0;
  private closing = false;

  private constructor(private readonly location: string) {}

  /** Starts the thread and waits until its connection is open (an error there is the caller's). */
  static async start(location: string): Promise<SqliteHotPathThread> {
    const t = new SqliteHotPathThread(location);
    await t.spawn();
    return t;
  }

  claim(p: ClaimParams): Promise<ClaimedRow[]> {
    return this.call({ op: "claim", id: 0, params: p }) as Promise<ClaimedRow[]>;
  }

  record(items: PlannedOutcome[]): Promise<boolean[]> {
    return this.call({ op: "record", id: 0, items: items.map(recordable) }) as Promise<boolean[]>;
  }

  /** Waits for the transaction in progress (bounded), closes the thread's connection, ends the thread. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const w = this.worker;
    if (!w) return;
    await this.ready?.catch(() => undefined);
    const exited = new Promise<void>((resolve) => w.once("exit", () => resolve()));
    w.postMessage({ op: "close", id: 0 } satisfies HotPathRequest);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), CLOSE_WAIT_MS)));
    const timedOut = await Promise.race([exited.then(() => false), late]);
    clearTimeout(timer);
    if (timedOut) await w.terminate();
  }

  private spawn(): Promise<void> {
    const w = workerFor(this.location);
    this.worker = w;
    this.ready = new Promise<void>((resolve, reject) => {
      const onFirst = (m: HotPathReply) => {
        if (m.kind !== "ready") return;
        w.off("message", onFirst);
        if (m.error) reject(m.error.user ? new UserError(m.error.message) : new Error(m.error.message));
        else resolve();
      };
      w.on("message", onFirst);
      w.once("error", reject);
    });
    w.on("message", (m: HotPathReply) => {
      if (m.kind !== "reply") return;
      const waiter = this.pending.get(m.id);
      if (!waiter) return;
      this.pending.delete(m.id);
      if (m.error) waiter.reject(m.error.user ? new UserError(m.error.message) : new Error(m.error.message));
      else waiter.resolve(m.value);
    });
    const fail = (why: string) => {
      if (this.worker === w) {
        this.worker = null;
        this.ready = null;
      }
      for (const [id, waiter] of this.pending) {
        this.pending.delete(id);
        waiter.reject(new Error(`the delivery thread stopped (${why}); the rows it held are claimed again when their lease runs out`));
      }
    };
    w.on("error", (err) => fail(err.message));
    w.on("exit", (code) => fail(`exit code ${code}`));
    return this.ready;
  }

  private async call(req: HotPathRequest): Promise<unknown> {
    if (this.closing) throw new Error("the delivery thread is closed");
    if (!this.worker) await this.spawn();
    await this.ready;
    const w = this.worker!;
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ ...req, id });
    });
  }
}

/**
 * The worker: the compiled .js next to this file; from the TypeScript sources (tests under tsx)
 * the .ts, loaded through tsx's loader registered in the thread first.
 */
function workerFor(location: string): Worker {
  const here = import.meta.url;
  const workerData = { location };
  if (here.endsWith(".ts")) {
    const target = new URL("./hot-path-worker.ts", here).href;
    const tsx = import.meta.resolve("tsx/esm/api");
    const boot = `const { register } = await import(${JSON.stringify(tsx)}); register(); await import(${JSON.stringify(target)});`;
    return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData });
  }
  return new Worker(new URL("./hot-path-worker.js", here), { workerData });
}
