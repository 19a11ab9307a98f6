/**
 * The databases and files the benchmarks measure against: the generated agenda (cached in
 * bench/data/ between runs, regenerated when the migrations or the generator change), copies
 * of it for runs that write, the CSV the import reads, and due follow-ups for the burst.
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { generate } from "../generate.js";
import { openDb } from "../../src/store/db.js";
import { migrate } from "../../src/store/migrator.js";
import { REPO_ROOT } from "./processes.js";

export const DATA_DIR = join(REPO_ROOT, "bench", "data");

/** What a cached database was generated from: any change regenerates it. */
function fingerprint(appointments: number, now: Date, seed: number): string {
  const h = createHash("sha256");
  h.update(JSON.stringify({ appointments, now: now.toISOString(), seed }));
  const migrations = join(REPO_ROOT, "migrations");
  for (const f of readdirSync(migrations).filter((f) => f.endsWith(".sql")).sort()) h.update(f).update(readFileSync(join(migrations, f)));
  h.update(readFileSync(join(REPO_ROOT, "bench", "generate.ts")));
  return h.digest("hex").slice(0, 16);
}

export interface CachedDb {
  path: string;
  /** True when this call generated it (the time is in `generateMs`). */
  generated: boolean;
  generateMs: number;
}

/**
 * The generated agenda of `appointments` rows at `now`, from bench/data/ when a file with the same
 * fingerprint is there. Never measured against directly: callers copy it (copyDb) first.
 */
export function cachedAgenda(appointments: number, now: Date, opts: { fresh?: boolean; onProgress?: (done: number, total: number) => void } = {}): CachedDb {
  mkdirSync(DATA_DIR, { recursive: true });
  const seed = 1;
  const fp = fingerprint(appointments, now, seed);
  const path = join(DATA_DIR, `agenda-${appointments}.db`);
  const meta = `${path}.json`;
  if (!opts.fresh && existsSync(path) && existsSync(meta)) {
    try {
      if ((JSON.parse(readFileSync(meta, "utf8")) as { fingerprint?: string }).fingerprint === fp) return { path, generated: false, generateMs: 0 };
    } catch {
      // A broken meta file: regenerate.
    }
  }
  rmSync(meta, { force: true });
  const summary = generate({ dbPath: path, appointments, now, seed, force: true, onProgress: opts.onProgress });
  for (const suffix of ["-wal", "-shm"]) rmSync(path + suffix, { force: true });
  writeFileSync(meta, `${JSON.stringify({ fingerprint: fp, ...summary }, null, 2)}\n`);
  return { path, generated: true, generateMs: summary.ms };
}

/** Copies a database file (and its WAL, when it has one) so a run can write to it. */
export function copyDb(from: string, to: string): void {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(to + suffix, { force: true });
  copyFileSync(from, to);
  if (existsSync(`${from}-wal`) && statSync(`${from}-wal`).size > 0) copyFileSync(`${from}-wal`, `${to}-wal`);
}

export function removeDb(path: string): void {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
}

/** The appointments of `dbPath` as an import CSV (the header `appointments import` wants, with status). */
export async function exportCsv(dbPath: string, csvPath: string): Promise<number> {
  const db = openDb(dbPath, { readonly: true });
  const out = createWriteStream(csvPath);
  let rows = 0;
  try {
    out.write("company_id,external_id,client_name,client_phone,start_time,end_time,allow_followup,status\n");
    let chunk: string[] = [];
    const stmt = db.prepare("SELECT company_id, external_id, client_name, client_phone, start_time, end_time, allow_followup, status FROM appointments ORDER BY id");
    for (const r of stmt.iterate() as Iterable<Record<string, string | number>>) {
      // The generator's names hold no commas or quotes, so no CSV quoting is needed.
      chunk.push(`${r.company_id},${r.external_id},${r.client_name},${r.client_phone},${r.start_time},${r.end_time},${r.allow_followup ? "true" : "false"},${r.status}`);
      rows++;
      if (chunk.length >= 10_000) {
        if (!out.write(`${chunk.join("\n")}\n`)) await once(out, "drain");
        chunk = [];
      }
    }
    if (chunk.length) out.write(`${chunk.join("\n")}\n`);
  } finally {
    db.close();
    out.end();
    await once(out, "finish");
  }
  return rows;
}

/** A migrated, empty database holding the same companies as `like` (what an import needs). */
export function emptyDbLike(like: string, path: string, now: Date): void {
  removeDb(path);
  const src = openDb(like, { readonly: true });
  const companies = src.prepare("SELECT * FROM companies").all() as Record<string, unknown>[];
  src.close();
  const db = openDb(path, { create: true });
  try {
    migrate(db, path, { now: () => now });
    const columns = Object.keys(companies[0] ?? {});
    const insert = db.prepare(`INSERT INTO companies (${columns.join(", ")}) VALUES (${columns.map((c) => `@${c}`).join(", ")})`);
    db.transaction(() => {
      for (const c of companies) insert.run(c);
    })();
    db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
}

/**
 * Adds `n` follow-ups due within the 10 minutes before `now` (spread over every company, each to
 * its own number) and points every company at `whaticketUrl`: the burst the daemon drains.
 */
export function addDueFollowups(path: string, n: number, now: Date, whaticketUrl: string): void {
  const db = openDb(path);
  try {
    db.prepare("UPDATE companies SET whaticket_url = ?, whaticket_token = NULL, paused_reason = NULL, paused_at = NULL").run(whaticketUrl);
    const companies = (db.prepare("SELECT id FROM companies ORDER BY id").all() as { id: string }[]).map((r) => r.id);
    const insert = db.prepare(
      `INSERT INTO appointments (company_id, external_id, client_name, client_phone, start_time, end_time, status, allow_followup,
          followup_status, followup_next_scheduled, followup_due_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'booked', 1, 'scheduled', ?, ?, ?, ?)`,
    );
    const iso = (ms: number) => new Date(ms).toISOString();
    const t = now.getTime();
    db.transaction(() => {
      for (let i = 0; i < n; i++) {
        const due = t - 60_000 - (i % 600) * 1000;
        const end = due - 60 * 60_000;
        insert.run(companies[i % companies.length], `burst-${i}`, `Cliente ${i} Souza`, `55119${String(i).padStart(8, "0")}`,
          iso(end - 60 * 60_000), iso(end), iso(due), iso(due), iso(t), iso(t));
      }
    })();
    db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
}

/** The daemon's own record of its last pass (written by every tick). */
export function lastTick(path: string): { durationMs: number | null; ok: boolean } {
  const db = openDb(path, { readonly: true });
  try {
    const rows = db.prepare("SELECT key, value FROM daemon_state").all() as { key: string; value: string }[];
    const state = Object.fromEntries(rows.map((r) => [r.key, r.value]));
    const d = state.last_tick_duration_ms;
    return { durationMs: d === undefined ? null : Number(d), ok: state.last_tick_ok === "1" };
  } finally {
    db.close();
  }
}
