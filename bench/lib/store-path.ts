import { readFileSync } from "node:fs";
import { iso } from "../../src/clock.js";
import { applyOutcomes, planOutcome, retrySettings } from "../../src/services/followup-service.js";
import { listCompanies } from "../../src/store/companies.js";
import { claimDue } from "../../src/store/followups.js";
import { openStore } from "../../src/store/open.js";

/** Bytes this process has written through write(2) so far (Linux); null elsewhere. */
function bytesWritten(): number | null {
  try {
    const m = /^wchar: (\d+)$/m.exec(readFileSync("/proc/self/io", "utf8"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export interface StorePathFigures {
  /** Bytes written (SQLite's WAL frames) per sent follow-up, in KiB: noise-free, unlike time. */
  kbPerRow: number | null;
  cpuMsPerRow: number;
  rowsPerTx: number;
}

/**
 * The daemon's storage work alone, in this process, on a copy of the burst database: claim
 * `claim` rows at a time, record them as sent in groups of `group` (the outcome transaction the
 * group commit makes), no HTTP. What the write path costs, apart from the gateway and the noise
 * of a shared machine's scheduling.
 */
export async function measureStorePath(db: string, now: Date, opts: { claim: number; group: number }): Promise<StorePathFigures> {
  const store = await openStore(db);
  try {
    const policy = retrySettings({});
    const w0 = bytesWritten();
    const c0 = process.cpuUsage();
    let rows = 0;
    let txs = 0;
    for (const company of await listCompanies(store)) {
      for (;;) {
        const claimed = await claimDue(store, {
          companyId: company.id, owner: "bench", now: iso(now), leaseUntil: iso(new Date(now.getTime() + 600_000)),
          expiryCutoff: iso(new Date(now.getTime() - 12 * 3600_000)), limit: opts.claim,
        });
        txs++;
        if (!claimed.length) break;
        for (let i = 0; i < claimed.length; i += opts.group) {
          const group = claimed.slice(i, i + opts.group).map((r) => planOutcome(policy, company, r, "bench", { kind: "sent", status: 200, durationMs: 0 }, now));
          await store.tx((t) => applyOutcomes(t, group));
          txs++;
          rows += group.length;
        }
      }
    }
    const cpu = process.cpuUsage(c0);
    const w1 = bytesWritten();
    if (!rows) throw new Error("store path: nothing was due in the copy");
    return { kbPerRow: w0 !== null && w1 !== null ? (w1 - w0) / rows / 1024 : null, cpuMsPerRow: (cpu.user + cpu.system) / 1000 / rows, rowsPerTx: rows / txs };
  } finally {
    await store.close();
  }
}
