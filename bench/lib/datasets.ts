/**
 * The databases and files the benchmarks measure against: the generated agenda (cached in
 * bench/data/ between runs, regenerated when the migrations or the generator change), copies
 * of it for runs that write, the CSV the import reads, and due follow-ups for the burst.
 *
 * SQLite datasets are files (cached, copied per run). PostgreSQL datasets are databases on the
 * server the run was given: the agenda is generated into a template database, and each run that
 * writes works on a copy of it (CREATE DATABASE … TEMPLATE).
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { generate } from "../generate.js";
import { migrate, migrationsDir } from "../../src/store/migrator.js";
import { openStore } from "../../src/store/open.js";
import type { Q } from "../../src/store/store.js";
import { createDatabase, databaseUrl, dropDatabase, uniqueDbName, type PgServer } from "./pg.js";
import { REPO_ROOT } from "./processes.js";

export const DATA_DIR = join(REPO_ROOT, "bench", "data");

/** What a cached database was generated from: any change regenerates it. */
function fingerprint(appointments: number, now: Date, seed: number): string {
  const h = createHash("sha256");
  h.update(JSON.stringify({ appointments, now: now.toISOString(), seed }));
  const migrations = migrationsDir("sqlite");
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
 * The generated agenda of `appointments` rows at `now` (SQLite), from bench/data/ when a file with
 * the same fingerprint is there. Never measured against directly: callers copy it (copyDb) first.
 */
export async function cachedAgenda(appointments: number, now: Date, opts: { fresh?: boolean; onProgress?: (done: number, total: number) => void } = {}): Promise<CachedDb> {
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
  const summary = await generate({ db: path, appointments, now, seed, force: true, onProgress: opts.onProgress });
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

/** The appointments of `db` as an import CSV (the header `appointments import` wants, with status), read in pages of 10,000 by id. */
export async function exportCsv(db: string, csvPath: string): Promise<number> {
  const store = await openStore(db, { readonly: true });
  const out = createWriteStream(csvPath);
  let rows = 0;
  try {
    out.write("company_id,external_id,client_name,client_phone,start_time,end_time,allow_followup,status\n");
    let after = 0;
    for (;;) {
      const page = await store.all<Record<string, string | number> & { id: number }>(
        "SELECT id, company_id, external_id, client_name, client_phone, start_time, end_time, allow_followup, status FROM appointments WHERE id > ? ORDER BY id LIMIT 10000",
        [after],
      );
      if (!page.length) break;
      // The generator's names hold no commas or quotes, so no CSV quoting is needed.
      const chunk = page.map((r) => `${r.company_id},${r.external_id},${r.client_name},${r.client_phone},${r.start_time},${r.end_time},${r.allow_followup ? "true" : "false"},${r.status}`);
      rows += page.length;
      after = page[page.length - 1]!.id;
      if (!out.write(`${chunk.join("\n")}\n`)) await once(out, "drain");
    }
  } finally {
    await store.close();
    out.end();
    await once(out, "finish");
  }
  return rows;
}

/** A migrated, empty SQLite database holding the same companies as `like` (what an import needs). */
export async function emptyDbLike(like: string, path: string, now: Date): Promise<void> {
  removeDb(path);
  const src = await openStore(like, { readonly: true });
  const companies = await src.all<Record<string, unknown>>("SELECT * FROM companies").finally(() => src.close());
  const db = await openStore(path, { create: true });
  try {
    await migrate(db, { now: () => now });
    const columns = Object.keys(companies[0] ?? {});
    await db.tx(async (t) => {
      for (const c of companies) await t.run(`INSERT INTO companies (${columns.join(", ")}) VALUES (${columns.map((c) => `@${c}`).join(", ")})`, c);
    });
    await db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } finally {
    await db.close();
  }
}

const BURST_INSERT = `INSERT INTO appointments (company_id, external_id, client_name, client_phone, start_time, end_time, status, allow_followup,
    followup_status, followup_next_scheduled, followup_due_at, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, 'booked', 1, 'scheduled', ?, ?, ?, ?)`;

/** A timestamptz expression as stored: UTC ISO-8601 with milliseconds. */
const isoPg = (e: string) => `to_char((${e}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The same rows as BURST_INSERT's loop, in one statement (PostgreSQL): row i of company
 * companies[i % n], due (60 + i % 600) s before now, the appointment ending an hour before that.
 */
const BURST_INSERT_PG = `INSERT INTO appointments (company_id, external_id, client_name, client_phone, start_time, end_time, status, allow_followup,
    followup_status, followup_next_scheduled, followup_due_at, created_at, updated_at)
  SELECT (CAST(@companies AS text[]))[i % cardinality(CAST(@companies AS text[])) + 1], 'burst-' || i, 'Cliente ' || i || ' Souza',
         '55119' || lpad(i::text, 8, '0'), ${isoPg("due - interval '2 hours'")}, ${isoPg("due - interval '1 hour'")}, 'booked', 1, 'scheduled',
         ${isoPg("due")}, ${isoPg("due")}, CAST(@nowText AS text), CAST(@nowText AS text)
    FROM generate_series(0, CAST(@n AS integer) - 1) AS i,
         LATERAL (SELECT CAST(@nowAt AS timestamptz) - make_interval(secs => 60 + i % 600) AS due) AS d`;

/**
 * Adds `n` follow-ups due within the 10 minutes before `now` (spread over every company, each to
 * its own number) and points every company at `whaticketUrl`: the burst the daemon drains.
 */
export async function addDueFollowups(location: string, n: number, now: Date, whaticketUrl: string): Promise<void> {
  const db = await openStore(location);
  try {
    await db.tx(async (t: Q) => {
      await t.run("UPDATE companies SET whaticket_url = ?, whaticket_token = NULL, paused_reason = NULL, paused_at = NULL", [whaticketUrl]);
      const companies = (await t.all<{ id: string }>("SELECT id FROM companies ORDER BY id")).map((r) => r.id);
      if (t.dialect === "postgres") {
        await t.run(BURST_INSERT_PG, { companies, n, nowText: now.toISOString(), nowAt: now.toISOString() });
        return;
      }
      const iso = (ms: number) => new Date(ms).toISOString();
      const at = now.getTime();
      for (let i = 0; i < n; i++) {
        const due = at - 60_000 - (i % 600) * 1000;
        const end = due - 60 * 60_000;
        await t.run(BURST_INSERT, [companies[i % companies.length], `burst-${i}`, `Cliente ${i} Souza`, `55119${String(i).padStart(8, "0")}`,
          iso(end - 60 * 60_000), iso(end), iso(due), iso(due), iso(at), iso(at)]);
      }
    });
    await db.exec(db.dialect === "sqlite" ? "PRAGMA wal_checkpoint(TRUNCATE)" : "VACUUM ANALYZE appointments");
  } finally {
    await db.close();
  }
}

/**
 * The duration of the delivery pass from the daemon's own `tick` log line (text format:
 * `… INFO  tick sent=20000 … ms=1234`), or null when the output holds none.
 */
export function tickMs(stderr: string): number | null {
  let ms: number | null = null;
  for (const line of stderr.split("\n")) {
    const m = /^\S+\s+[A-Z]+\s+tick\s.*\bms=(\d+)\b/.exec(line);
    if (m) ms = Number(m[1]);
  }
  return ms;
}

/** A PostgreSQL database holding the generated agenda plus the burst, copied for each run that writes. */
export interface PgBurstTemplate {
  name: string;
  url: string;
  generateMs: number;
  /** A fresh copy for one run; drop it with dropDatabase. */
  copy(): Promise<{ name: string; url: string }>;
  drop(): Promise<void>;
}

export async function pgBurstTemplate(
  server: PgServer,
  o: { appointments: number; burst: number; now: Date; whaticketUrl: string; onProgress?: (done: number, total: number) => void },
): Promise<PgBurstTemplate> {
  const name = uniqueDbName("secretaria_bench_tmpl");
  const url = await createDatabase(server, name);
  try {
    const summary = await generate({ db: url, appointments: o.appointments, now: o.now, seed: 1, onProgress: o.onProgress });
    await addDueFollowups(url, o.burst, o.now, o.whaticketUrl);
    return {
      name,
      url,
      generateMs: summary.ms,
      async copy() {
        const copy = uniqueDbName("secretaria_bench_run");
        await createDatabase(server, copy, name);
        return { name: copy, url: databaseUrl(server.adminUrl, copy) };
      },
      drop: () => dropDatabase(server, name),
    };
  } catch (err) {
    await dropDatabase(server, name).catch(() => {});
    throw err;
  }
}
