/**
 * Fixtures of the delivery tests: companies and due follow-ups in a real migrated database,
 * and the CLI started as a long-running subprocess (for kill -9 and SIGTERM).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fixedClock } from "../../src/clock.js";
import { saveCompany } from "../../src/services/company-service.js";
import { appointmentWriter } from "../../src/store/appointments.js";
import type { Q, Store } from "../../src/store/store.js";
import { BIN, REPO_ROOT } from "./cli.js";

/** Distinctive, so a leak into any log line is unmistakable. */
export const TOKEN = "tok-DLV-7f41c2d9-NEVER-LOG-ME";
/** 15:00 in São Paulo on a Wednesday: outside the default quiet hours. */
export const T0 = new Date("2026-11-25T18:00:00.000Z");

/** The n-th client's number, digits with the country code (valid for the fake). */
export function phoneFor(i: number): string {
  return `55119${String(i).padStart(8, "0")}`;
}

export async function addCompany(
  db: Store,
  id: string,
  o: { url?: string; token?: string; rate?: number; template?: string; whatsappId?: string; timezone?: string } = {},
): Promise<void> {
  await saveCompany(
    db,
    {
      id,
      name: `Empresa ${id}`,
      ...(o.url !== undefined ? { whaticketUrl: o.url } : {}),
      ...(o.token !== undefined ? { whaticketToken: o.token } : {}),
      ...(o.whatsappId !== undefined ? { whatsappId: o.whatsappId } : {}),
      ...(o.template !== undefined ? { template: o.template } : {}),
      ...(o.timezone !== undefined ? { timezone: o.timezone } : {}),
      rateLimit: String(o.rate ?? 0),
    },
    fixedClock(T0),
  );
}

export interface SeedOptions {
  company: string;
  n: number;
  /** Due time of every row (end of the appointment + 60 min). Default T0 − 1 min. */
  dueAt?: Date;
  /** First index for phoneFor / external ids, so several seeds do not collide. Default 0. */
  from?: number;
  allowFollowup?: boolean;
  status?: "booked" | "cancelled";
  clientName?: (i: number) => string;
}

/** Inserts n follow-ups already scheduled (as add/import would leave them); returns their ids. */
export async function seedDue(db: Store, o: SeedOptions): Promise<number[]> {
  const due = o.dueAt ?? new Date(T0.getTime() - 60_000);
  const end = new Date(due.getTime() - 60 * 60_000);
  const start = new Date(end.getTime() - 60 * 60_000);
  const w = appointmentWriter;
  const ids: number[] = [];
  await db.tx(async (t) => {
    for (let k = 0; k < o.n; k++) {
      const i = (o.from ?? 0) + k;
      ids.push(
        await w.insert(
          t,
          {
            company_id: o.company,
            external_id: `${o.company}-${i}`,
            client_name: o.clientName ? o.clientName(i) : `Cliente ${i} Souza`,
            client_phone: phoneFor(i),
            start_time: start.toISOString(),
            end_time: end.toISOString(),
            status: o.status ?? "booked",
            allow_followup: o.allowFollowup ?? true,
          },
          { followup_status: "scheduled", followup_skip_reason: null, followup_next_scheduled: due, followup_due_at: due },
          T0.toISOString(),
        ),
      );
    }
  });
  return ids;
}

export async function statusCounts(db: Q): Promise<Record<string, number>> {
  const rows = await db.all<{ s: string; n: number }>("SELECT followup_status AS s, count(*) AS n FROM appointments GROUP BY followup_status");
  return Object.fromEntries(rows.map((r) => [r.s, r.n]));
}

export async function auditCount(db: Q, action: string): Promise<number> {
  return (await db.get<{ n: number }>("SELECT count(*) AS n FROM audit_log WHERE action = ?", [action]))!.n;
}

export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves when stderr matches `re` (or rejects after timeoutMs). */
  waitForStderr(re: RegExp, timeoutMs?: number): Promise<void>;
}

/** Starts `node bin/secretaria.js ...args` in the background with a clean environment plus `env`. */
export function spawnCli(args: string[], env: Record<string, string>): RunningCli {
  if (!existsSync(join(REPO_ROOT, "dist", "cli.js"))) throw new Error("dist/cli.js is missing: run `npm run build` first");
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(SECRETARIA_|WHATICKET_|DEBUG$|NODE_OPTIONS$)/.test(k)) clean[k] = v;
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: { ...clean, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    err += d;
    for (const l of listeners) l();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStderr(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (re.test(err)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`stderr did not match ${re} within ${timeoutMs} ms: ${err.slice(-800)}`));
        }, timeoutMs);
        listeners.add(check);
        void exited.then(() => {
          if (!re.test(err)) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`process exited before stderr matched ${re}: ${err.slice(-800)}`));
          }
        });
        check();
      });
    },
  };
}

/** Polls `cond` every 10 ms until true (or throws after timeoutMs). */
export async function until(cond: () => boolean, timeoutMs = 30_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
