import { parentPort, workerData } from "node:worker_threads";
import { isUserError } from "../errors.js";
import { applyOutcomes, claimRows, type PlannedOutcome } from "../services/followup-service.js";
import type { CompanyRow } from "../store/companies.js";
import type { ClaimParams } from "../store/followups.js";
import { openStore } from "../store/open.js";
import type { Q, Store } from "../store/store.js";

/**
 * The delivery hot path's thread (see hot-path.ts): its own connection to the SQLite file, the
 * same claim and group commit as in process. Requests are served one at a time, in order.
 */

/** An outcome as the thread records it: of the company, only what the recording reads. */
export type RecordedOutcome = Omit<PlannedOutcome, "company"> & { company: Pick<CompanyRow, "id" | "paused_reason"> };

export type HotPathRequest =
  | { op: "claim"; id: number; params: ClaimParams }
  | { op: "record"; id: number; items: RecordedOutcome[] }
  | { op: "close"; id: number };

export type HotPathReply =
  | { kind: "ready"; error?: { message: string; user: boolean } }
  | { kind: "reply"; id: number; value?: unknown; error?: { message: string; user: boolean } };

const errorOf = (err: unknown) => ({ message: (err as Error)?.message ?? String(err), user: isUserError(err) });

async function serve(port: NonNullable<typeof parentPort>, location: string): Promise<void> {
  let store: Store;
  try {
    store = await openStore(location);
  } catch (err) {
    port.postMessage({ kind: "ready", error: errorOf(err) } satisfies HotPathReply);
    port.close();
    return;
  }
  port.postMessage({ kind: "ready" } satisfies HotPathReply);
  // Requests that arrive while a transaction commits wait here and go into the next one together:
  // a claim and the outcomes finished meanwhile share one commit (one WAL write of the pages they
  // share). If that transaction fails, each request is run again alone, so one bad request fails alone.
  let waiting: Array<Exclude<HotPathRequest, { op: "close" }>> = [];
  let closing = false;
  let running: Promise<void> | null = null;
  const runOne = (t: Q, req: Exclude<HotPathRequest, { op: "close" }>): Promise<unknown> =>
    // The recording reads only the company's id and pause (RecordedOutcome).
    req.op === "claim" ? claimRows(t, req.params) : applyOutcomes(t, req.items as PlannedOutcome[]);
  const reply = (id: number, r: { value?: unknown; error?: unknown }) =>
    port.postMessage((r.error !== undefined ? { kind: "reply", id, error: errorOf(r.error) } : { kind: "reply", id, value: r.value }) satisfies HotPathReply);
  const work = async () => {
    while (waiting.length) {
      const batch = waiting;
      waiting = [];
      try {
        const values = await store.tx(async (t) => {
          const out: unknown[] = [];
          for (const req of batch) out.push(await runOne(t, req));
          return out;
        });
        batch.forEach((req, i) => reply(req.id, { value: values[i] }));
      } catch (err) {
        if (batch.length === 1) reply(batch[0]!.id, { error: err });
        else {
          for (const req of batch) {
            try {
              reply(req.id, { value: await store.tx((t) => runOne(t, req)) });
            } catch (e) {
              reply(req.id, { error: e });
            }
          }
        }
      }
    }
    running = null;
    if (closing) {
      await store.close();
      port.close();
    }
  };
  port.on("message", (req: HotPathRequest) => {
    if (req.op === "close") {
      closing = true;
      if (!running) void work();
      return;
    }
    waiting.push(req);
    // Started on the next turn: what the main thread posted meanwhile joins the same transaction.
    running ??= new Promise<void>((resolve) => setImmediate(() => void work().then(resolve)));
  });
}

if (parentPort) void serve(parentPort, (workerData as { location: string }).location);
