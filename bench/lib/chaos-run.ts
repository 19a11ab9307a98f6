/**
 * The fault-injection run behind `npm run chaos` and test/chaos/chaos-small.test.ts.
 *
 * K `secretaria daemon` subprocesses (cron every second, their own HTTP port) share one
 * database (a SQLite file, or a PostgreSQL database made for the run) and drain due follow-ups through the fake Whaticket, which fails a share of
 * requests with 500, holds some until the client gives up, and drops some connections. Every few
 * seconds the oldest daemon is killed with SIGKILL and a new one started. Customers answer the
 * follow-ups they got through the webhook, each answer posted 2–3 times at once to different
 * daemons. At the end the database and what the fake received are checked against each other.
 *
 * Time: leases and retry backoff run on the business clock, which each daemon reads from
 * SECRETARIA_NOW (frozen for its life). Each restart gives the new daemon a later instant
 * (`stepMs` per kill), so expired leases and retries come due as the run goes on. The step is
 * kept below lease / (K − 1): two live daemons' clocks never differ by a whole lease, so only the
 * rows of killed daemons can be taken over (as in production, where clocks agree).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fixedClock } from "../../src/clock.js";
import { FakeWhaticket } from "../../src/gateway/fake-whaticket.js";
import { saveCompany } from "../../src/services/company-service.js";
import { DEFAULT_LEASE_MS } from "../../src/services/followup-service.js";
import { migrate } from "../../src/store/migrator.js";
import { openStore } from "../../src/store/open.js";
import { bySql, type Q, type Store } from "../../src/store/store.js";
import { startDaemon, stopDaemon, type DaemonProcess } from "./daemon-process.js";
import { request } from "./http.js";
import { connectPgServer, createDatabase, dbTarget, dropDatabase, uniqueDbName, type PgServer } from "./pg.js";
import { runCli } from "./processes.js";

export interface ChaosOptions {
  /** Follow-ups with consent, due during the run. Default 5000. */
  rows?: number;
  /** Follow-ups without consent (must never be sent). Default 5% of rows. */
  noConsent?: number;
  /** Share of the rows that come due a few minutes after the start, in business time. Default 0.2. */
  lateShare?: number;
  /** Daemons running at once. Default 3. */
  daemons?: number;
  /** A SIGKILL (and a restart) every this many ms. Default 4000. */
  killEveryMs?: number;
  /** Business time added at each restart. Default lease / K. */
  stepMs?: number;
  /** Each daemon's --concurrency. Default 16 (held requests give their slot back after --send-timeout, 2 s here). */
  concurrency?: number;
  /** The daemons' --max-attempts. Default 5. */
  maxAttempts?: number;
  /** Fault rates of the fake Whaticket. Default 10% 500, 5% held (timeout), 2% dropped. */
  faults?: { status500: number; timeout: number; drop: number };
  /** Share of the delivered follow-ups that get an answer through the webhook. Default 0.3. */
  replyShare?: number;
  /** Give up (and fail) when the rows are not all settled after this long. Default 240 s. */
  budgetMs?: number;
  /** No fewer kills than this, even when everything settles sooner. Default 3. */
  minKills?: number;
  seed?: number;
  /** Fault injection: SECRETARIA_UNSAFE_NO_LEASE=1 in the daemons (their claims ignore leases). The checks must then fail. */
  breakLease?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Keep the temp folder (database, daemon logs) for inspection. */
  keep?: boolean;
  /** Stops the run early (Ctrl-C): everything started is stopped and removed, then runChaos rejects. */
  signal?: AbortSignal;
  /**
   * Run on PostgreSQL: the admin URL of a server (e.g. what scripts/pg-cluster.sh prints). The run
   * creates its own database there and drops it at the end (kept with `keep`). Default: a SQLite
   * file in the temp folder.
   */
  pgUrl?: string;
}

export interface ChaosCheck {
  name: string;
  value: number;
  /** What the value must be, in words ("0", "each from a SIGKILL …"). */
  expected: string;
  ok: boolean;
  detail?: string;
}

export interface ChaosReport {
  ok: boolean;
  checks: ChaosCheck[];
  kills: number;
  restarts: number;
  seconds: number;
  businessMinutes: number;
  /** Counts from the database and the fake, for the printout. */
  facts: Record<string, number | string>;
  /** The temp folder, when kept. */
  dir: string | null;
  /** "sqlite" or "postgres". */
  engine: "sqlite" | "postgres";
  /** The PostgreSQL database (URL without its password), when kept. */
  keptDatabase: string | null;
}

/** 15:00 in São Paulo on a Wednesday: outside the default quiet hours. */
const T0 = new Date("2026-11-25T18:00:00.000Z");
const COMPANY = "chaos";
/** Each daemon sends with its own Whaticket token, so the fake's record says which daemon sent what. */
const tokenOf = (serial: number) => `chaos-daemon-${serial}`;
const WEBHOOK_TOKEN = "chaos-webhook-token-0123456789";
const FOLLOWUP_PREFIX = "Espero que tenha corrido tudo bem";
const SENT_STATES = new Set(["sent", "positive", "negative", "feedback"]);

const REPLIES = [
  { text: "Sim, quero marcar", response: "positive" },
  { text: "Não, obrigado", response: "negative" },
  { text: "O atendimento foi ótimo, a recepção só demorou um pouco", response: "feedback" },
] as const;

/** Deterministic per-row choices (which rows answer, how many copies): a hash of the id and the seed. */
function unit(id: number, seed: number, salt: number): number {
  let h = (id * 2654435761) ^ (seed * 40503) ^ (salt * 97);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

const consentPhone = (i: number) => `55119${String(i).padStart(8, "0")}`;
const noConsentPhone = (i: number) => `55219${String(i).padStart(8, "0")}`;

interface Slot {
  daemon: DaemonProcess;
  token: string;
}

interface PlannedReply {
  id: number;
  phone: string;
  text: string;
  response: string;
  messageId: string;
  copies: number;
  acked: boolean;
  posts: number;
}

export async function runChaos(opts: ChaosOptions = {}): Promise<ChaosReport> {
  const rows = opts.rows ?? 5000;
  const noConsent = opts.noConsent ?? Math.round(rows * 0.05);
  const lateShare = opts.lateShare ?? 0.2;
  const k = opts.daemons ?? 3;
  const killEveryMs = opts.killEveryMs ?? 4000;
  const stepMs = opts.stepMs ?? Math.floor(DEFAULT_LEASE_MS / k);
  const concurrency = opts.concurrency ?? 16;
  const maxAttempts = opts.maxAttempts ?? 5;
  const faults = opts.faults ?? { status500: 0.1, timeout: 0.05, drop: 0.02 };
  const replyShare = opts.replyShare ?? 0.3;
  const budgetMs = opts.budgetMs ?? 240_000;
  const minKills = opts.minKills ?? 3;
  const seed = opts.seed ?? 7;
  const log = opts.log ?? (() => {});
  if (k < 2) throw new Error("chaos: at least 2 daemons");
  if ((k - 1) * stepMs >= DEFAULT_LEASE_MS) {
    throw new Error(`chaos: ${k} daemons × a ${stepMs} ms step would let live daemons' clocks differ by a whole lease (${DEFAULT_LEASE_MS} ms)`);
  }

  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "secretaria-chaos-"));
  let db = join(dir, "chaos.db");
  let pg: PgServer | null = null;
  let pgName: string | null = null;
  const fake = new FakeWhaticket({ seed });
  const slots: Slot[] = [];
  const exits: Promise<unknown>[] = [];
  const agent = new http.Agent({ keepAlive: false });
  let reader: Store | null = null;
  let kills = 0;
  let restarts = 0;
  let business = T0.getTime();
  const replies = new Map<number, PlannedReply>();
  const replyTasks = new Set<Promise<void>>();
  const facts: Record<string, number | string> = {};
  let converged = false;
  const daemonErrors: string[] = [];

  /** When each daemon (by its token) was SIGKILLed. */
  const killedAt = new Map<string, number>();
  let serial = 0;
  const env = (at: number, token: string): Record<string, string | undefined> => ({
    SECRETARIA_NOW: new Date(at).toISOString(),
    WHATICKET_TOKEN: token,
    SECRETARIA_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
    SECRETARIA_UNSAFE_NO_LEASE: opts.breakLease ? "1" : undefined,
  });
  const spawnDaemon = (): Slot => {
    const token = tokenOf(++serial);
    const daemon = startDaemon({
      db,
      env: env(business, token),
      args: ["--schedule", "* * * * * *", "--concurrency", String(concurrency), "--rate-limit", "0", "--max-attempts", String(maxAttempts), "--send-timeout", "2000"],
    });
    exits.push(daemon.bg.exited);
    return { daemon, token };
  };

  try {
    // ── the database: a company and the follow-ups, through the real import ──
    const url = await fake.start();
    if (opts.pgUrl) {
      pg = await connectPgServer(opts.pgUrl);
      pgName = uniqueDbName("secretaria_chaos");
      db = await createDatabase(pg, pgName);
    }
    {
      const store = await openStore(db, { create: true, poolSize: 2 });
      try {
        await migrate(store, { now: () => T0 });
        await saveCompany(store, { id: COMPANY, name: "Clínica Caos", whaticketUrl: url, rateLimit: "0" }, fixedClock(T0));
      } finally {
        await store.close();
      }
    }
    const lines = ["company_id,external_id,client_name,client_phone,start_time,end_time,allow_followup"];
    const iso = (ms: number) => new Date(ms).toISOString();
    const late = Math.round(rows * lateShare);
    for (let i = 0; i < rows; i++) {
      // Due = end + 60 min: the first rows from 30 min ago to 1 min ago, the late ones 1–5 min from now.
      const end = i < rows - late ? T0.getTime() - (61 + (i % 30)) * 60_000 : T0.getTime() - 60 * 60_000 + (1 + (i % 5)) * 60_000;
      lines.push(`${COMPANY},c-${i},Cliente ${i} Souza,${consentPhone(i)},${iso(end - 60 * 60_000)},${iso(end)},true`);
    }
    for (let i = 0; i < noConsent; i++) {
      const end = T0.getTime() - (61 + (i % 30)) * 60_000;
      lines.push(`${COMPANY},n-${i},Sem Consentimento ${i},${noConsentPhone(i)},${iso(end - 60 * 60_000)},${iso(end)},false`);
    }
    const csv = join(dir, "agenda.csv");
    writeFileSync(csv, `${lines.join("\n")}\n`);
    const target = dbTarget(db);
    const imported = await runCli([...target.args, "appointments", "import", csv, "--json"], { env: { SECRETARIA_NOW: T0.toISOString(), ...target.env }, timeoutMs: 120_000 });
    if (imported.code !== 0) throw new Error(`appointments import failed: ${imported.stderr.slice(-500)}`);
    log(`imported ${rows} follow-ups with consent (${late} due later) and ${noConsent} without, into ${pg ? `PostgreSQL database ${pgName} on ${pg.display}` : db}`);

    fake.setFaultRates(faults, seed);
    reader = await openStore(db, { readonly: true, poolSize: 2 });
    const r0 = reader;
    const counts = async () =>
      Object.fromEntries((await r0.all<{ s: string; n: number }>("SELECT followup_status AS s, count(*) AS n FROM appointments GROUP BY followup_status")).map((r) => [r.s, r.n])) as Record<string, number>;

    for (let i = 0; i < k; i++) slots.push(spawnDaemon());
    log(`started ${k} daemons (cron every second, --concurrency ${concurrency}, --rate-limit 0${opts.breakLease ? ", LEASE DISABLED" : ""}); fake Whaticket at ${url} failing ${pct(faults.status500)} with 500, holding ${pct(faults.timeout)}, dropping ${pct(faults.drop)}`);

    // ── webhooks: each answer posted 2–3 times at once, to different daemons, until one is acknowledged ──
    const liveUrls = () => slots.map((s) => s.daemon.url()).filter((u): u is string => u !== null);
    const postReply = async (r: PlannedReply): Promise<void> => {
      const body = JSON.stringify({ number: r.phone, body: r.text, messageId: r.messageId });
      for (let attempt = 0; attempt < 40 && !r.acked && !opts.signal?.aborted; attempt++) {
        const urls = liveUrls();
        if (urls.length) {
          const offset = Math.floor(unit(r.id, seed, 100 + attempt) * urls.length);
          const posts = Array.from({ length: r.copies }, (_, c) =>
            request(`${urls[(offset + c) % urls.length]}/webhooks/whaticket?token=${WEBHOOK_TOKEN}`, { method: "POST", body, timeoutMs: 15_000, agent })
              .then((a) => a.status >= 200 && a.status < 300)
              .catch(() => false),
          );
          r.posts += r.copies;
          if ((await Promise.all(posts)).some(Boolean)) r.acked = true;
        }
        if (!r.acked) await sleep(250);
      }
    };
    const planReplies = async () => {
      for (const row of await r0.all<{ id: number; client_phone: string }>("SELECT id, client_phone FROM appointments WHERE followup_status = 'sent' AND allow_followup = 1")) {
        if (replies.has(row.id) || unit(row.id, seed, 1) >= replyShare) continue;
        const pick = REPLIES[Math.floor(unit(row.id, seed, 2) * REPLIES.length)]!;
        const r: PlannedReply = {
          id: row.id, phone: row.client_phone, text: pick.text, response: pick.response, messageId: `chaos-${seed}-${row.id}`,
          copies: unit(row.id, seed, 3) < 0.5 ? 2 : 3, acked: false, posts: 0,
        };
        replies.set(row.id, r);
        const task = postReply(r).finally(() => replyTasks.delete(task));
        replyTasks.add(task);
      }
    };

    // ── the run: kill the oldest daemon every killEveryMs, start a newer one; answer; until everything settled ──
    let nextKill = performance.now() + killEveryMs;
    let nextReport = performance.now() + 2000;
    for (;;) {
      const c = await counts();
      const open = (c.scheduled ?? 0) + (c.sending ?? 0);
      if (open === 0 && kills >= minKills && replyTasks.size === 0) {
        converged = true;
        break;
      }
      if (performance.now() - started > budgetMs) break;
      if (opts.signal?.aborted) throw new Error("interrupted");
      await planReplies();
      if (performance.now() >= nextKill) {
        const victim = slots.shift()!;
        killedAt.set(victim.token, Date.now());
        victim.daemon.bg.kill("SIGKILL");
        await victim.daemon.bg.exited;
        kills++;
        daemonErrors.push(...victim.daemon.errors());
        business += stepMs;
        slots.push(spawnDaemon());
        restarts++;
        nextKill = performance.now() + killEveryMs;
      }
      if (performance.now() >= nextReport) {
        log(`${Math.round((performance.now() - started) / 1000)} s: business ${new Date(business).toISOString().slice(11, 19)}, kills ${kills}, ` +
          `${Object.entries(c).map(([s, n]) => `${s} ${n}`).join(", ")}; fake ${fake.requestCount} requests; replies ${[...replies.values()].filter((r) => r.acked).length}/${replies.size}`);
        nextReport = performance.now() + 2000;
      }
      await sleep(100);
    }
    log(converged ? `settled after ${kills} kills` : `NOT settled within ${Math.round(budgetMs / 1000)} s`);

    // ── stop: wait for the answers in flight, then SIGTERM every daemon ──
    const settle = Promise.allSettled([...replyTasks]);
    await Promise.race([settle, sleep(30_000, true)]);
    for (const s of slots) daemonErrors.push(...s.daemon.errors());
    const stopping = performance.now();
    const stops = await Promise.all(slots.map((s) => stopDaemon(s.daemon)));
    slots.length = 0;
    await fake.stop();
    log(`stopped the last ${stops.length} daemons with SIGTERM in ${((performance.now() - stopping) / 1000).toFixed(1)} s (exits: ${stops.map((e) => e.signal ?? e.code).join(", ")})`);

    const checks = await check({ reader, fake, kills, killedAt, concurrency, maxAttempts, replies: [...replies.values()], converged, budgetMs, facts, breakLease: !!opts.breakLease });
    facts.engine = pg ? `PostgreSQL ${pg.version}` : "SQLite";
    facts.kills = kills;
    facts.business_minutes_advanced = Math.round((business - T0.getTime()) / 60_000);
    facts.daemon_error_lines = daemonErrors.length;
    for (const [i, line] of daemonErrors.slice(0, 3).entries()) facts[`daemon_error_${i + 1}`] = line.slice(0, 300);
    return {
      ok: checks.every((c) => c.ok), checks, kills, restarts, seconds: (performance.now() - started) / 1000,
      businessMinutes: (business - T0.getTime()) / 60_000, facts, dir: opts.keep ? dir : null,
      engine: pg ? "postgres" : "sqlite", keptDatabase: pg && opts.keep ? `${pgName} on ${pg.display}` : null,
    };
  } finally {
    for (const s of slots) s.daemon.bg.kill("SIGKILL");
    await Promise.race([Promise.allSettled(exits), sleep(10_000, true)]);
    agent.destroy();
    await reader?.close();
    await fake.stop();
    if (pg && pgName && !opts.keep) await dropDatabase(pg, pgName).catch((err: Error) => log(`could not drop ${pgName}: ${err.message}`));
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  }
}

interface CheckInput {
  reader: Q;
  fake: FakeWhaticket;
  kills: number;
  /** Token of each SIGKILLed daemon → when it was killed. */
  killedAt: Map<string, number>;
  concurrency: number;
  maxAttempts: number;
  replies: PlannedReply[];
  converged: boolean;
  budgetMs: number;
  facts: Record<string, number | string>;
  breakLease: boolean;
}

interface Row {
  id: number;
  client_phone: string;
  allow_followup: number;
  followup_status: string;
  followup_skip_reason: string | null;
  followup_attempts: number;
  followup_response: string | null;
  lease_owner: string | null;
}

/** Compares the final database with what the fake Whaticket received. */
async function check(x: CheckInput): Promise<ChaosCheck[]> {
  const { reader: db, fake, kills, killedAt } = x;
  const rows = await db.all<Row>(
    "SELECT id, client_phone, allow_followup, followup_status, followup_skip_reason, followup_attempts, followup_response, lease_owner FROM appointments",
  );
  const perAppointment = async (sql: string) => new Map((await db.all<{ id: number; n: number }>(sql)).map((r) => [r.id, r.n]));
  const sentAudits = await perAppointment("SELECT appointment_id AS id, count(*) AS n FROM audit_log WHERE action = 'followup_sent' GROUP BY appointment_id");
  const failedAudits = await perAppointment("SELECT appointment_id AS id, count(*) AS n FROM audit_log WHERE action = 'followup_failed' GROUP BY appointment_id");
  const responseAudits = await perAppointment("SELECT appointment_id AS id, count(*) AS n FROM audit_log WHERE action = 'followup_response' GROUP BY appointment_id");
  const feedbackEvents = await perAppointment("SELECT appointment_id AS id, count(*) AS n FROM feedback_events GROUP BY appointment_id");
  const leaseLostSql = bySql(db, {
    sqlite: "SELECT count(*) AS n FROM audit_log WHERE action = 'followup_sent' AND json_extract(payload, '$.lease_lost') = 1",
    postgres: "SELECT count(*) AS n FROM audit_log WHERE action = 'followup_sent' AND (payload::jsonb ->> 'lease_lost') = 'true'",
  });
  const leaseLost = (await db.get<{ n: number }>(leaseLostSql))!.n;
  const inboundDupes = (await db.get<{ n: number }>(
    "SELECT count(*) AS n FROM (SELECT message_id FROM inbound_messages WHERE message_id IS NOT NULL GROUP BY message_id HAVING count(*) > 1) AS d",
  ))!.n;

  // What reached the customers: follow-up messages (not the bot's answers) the fake answered 2xx,
  // per number, with the daemon that sent each (its token).
  const delivered = new Map<string, { token: string; at: number }[]>();
  const requested = new Map<string, number>();
  let followupRequests = 0;
  let ok2xx = 0;
  let status500 = 0;
  let noAnswer = 0;
  for (const m of fake.received) {
    if (!m.body.startsWith(FOLLOWUP_PREFIX)) continue;
    followupRequests++;
    requested.set(m.number, (requested.get(m.number) ?? 0) + 1);
    if (m.status >= 200 && m.status < 300) {
      ok2xx++;
      const list = delivered.get(m.number) ?? [];
      list.push({ token: m.token, at: m.at });
      delivered.set(m.number, list);
    } else if (m.status === 500) status500++;
    else if (m.status === 0) noAnswer++;
  }
  /**
   * Deliveries made by a daemon that was SIGKILLed: the only ones that may lack their commit. Each
   * daemon process has its own token and cannot send once dead, so every delivery under a killed
   * daemon's token was sent before its kill, even when the fake (in this process) handled the
   * request a moment after the kill was ordered (its arrival time then follows killedAt).
   */
  const byKilledDaemon = (list: { token: string; at: number }[]) => list.filter((dl) => killedAt.has(dl.token)).length;

  const lost: number[] = [];
  const stuck: number[] = [];
  const twice: string[] = [];
  const twiceUnexplained: string[] = [];
  const withoutConsent: number[] = [];
  const auditMismatch: string[] = [];
  let unaudited = 0;
  /** Per killed daemon: the answered sends it never committed (re-sent after its lease ran out). */
  const cutByKill = new Map<string, number>();
  const unauditedUnexplained: number[] = [];
  const byState: Record<string, number> = {};
  for (const r of rows) {
    byState[r.followup_status] = (byState[r.followup_status] ?? 0) + 1;
    const deliveries = delivered.get(r.client_phone) ?? [];
    const d = deliveries.length;
    const a = sentAudits.get(r.id) ?? 0;
    const f = failedAudits.get(r.id) ?? 0;
    const sent = SENT_STATES.has(r.followup_status);
    if (r.followup_status === "sending" || r.lease_owner !== null) stuck.push(r.id);
    if (!r.allow_followup) {
      if ((requested.get(r.client_phone) ?? 0) > 0 || r.followup_status !== "skipped" || r.followup_skip_reason !== "no_consent") withoutConsent.push(r.id);
      continue;
    }
    // Lost: not delivered and not given up after every attempt; or recorded as sent though nothing went out.
    const settled = sent || r.followup_status === "failed";
    if (!settled || (sent && d === 0) || (r.followup_status === "failed" && r.followup_attempts < x.maxAttempts)) lost.push(r.id);
    // One followup_sent audit per delivered message, except deliveries whose daemon died before committing them.
    if (a > d) auditMismatch.push(`${r.id}: ${a} followup_sent audits, ${d} delivered`);
    else if (sent && a === 0) auditMismatch.push(`${r.id}: ${r.followup_status} without a followup_sent audit`);
    else if (!sent && a > 0) auditMismatch.push(`${r.id}: ${r.followup_status} with ${a} followup_sent audits`);
    if ((r.followup_status === "failed") !== (f === 1) || f > 1) auditMismatch.push(`${r.id}: ${r.followup_status} with ${f} followup_failed audits`);
    const missing = Math.max(0, d - a);
    const killedSends = byKilledDaemon(deliveries);
    unaudited += missing;
    if (missing > killedSends) unauditedUnexplained.push(r.id);
    if (d >= 2 && a <= 1) {
      // The first copy is the one its daemon never committed (the others follow the lease's expiry).
      const first = deliveries.reduce((x0, y) => (y.at < x0.at ? y : x0));
      cutByKill.set(first.token, (cutByKill.get(first.token) ?? 0) + d - 1);
    }
    if (d >= 2) {
      // The SPEC's one exception: a daemon killed between Whaticket's answer and its commit. Then
      // only one copy is recorded, and every other copy came from a daemon that was SIGKILLed.
      const explained = a <= 1 && d - 1 <= killedSends;
      const senders = new Map<string, number>();
      for (const dl of deliveries) senders.set(dl.token, (senders.get(dl.token) ?? 0) + 1);
      const who = [...senders].map(([t, n]) => `${t.replace("chaos-", "")}${killedAt.has(t) ? "†" : ""}${n > 1 ? `×${n}` : ""}`).join("+");
      twice.push(`${r.id}×${d} (${who})`);
      if (!explained) twiceUnexplained.push(`${r.id}×${d}: ${a} audited, ${killedSends} from killed daemons (${who})`);
    }
  }

  // Answers: each posted (2–3 copies) until acknowledged, so each must be applied exactly once.
  const appliedTwice: string[] = [];
  const notApplied: string[] = [];
  const repliedIds = new Set(x.replies.map((r) => r.id));
  const rowById = new Map(rows.map((r) => [r.id, r]));
  for (const r of x.replies) {
    const n = responseAudits.get(r.id) ?? 0;
    const fb = feedbackEvents.get(r.id) ?? 0;
    if (n > 1 || fb > 1) appliedTwice.push(`${r.id} (${n} followup_response audits, ${fb} feedback events)`);
    const row = rowById.get(r.id);
    if (r.acked && (n === 0 || row?.followup_response !== r.response)) notApplied.push(`${r.id} (expected ${r.response}, is ${row?.followup_response ?? "null"})`);
  }
  for (const [id, n] of responseAudits) if (!repliedIds.has(id) && n > 0) appliedTwice.push(`${id} (answered without a reply)`);

  Object.assign(x.facts, {
    rows: rows.length,
    states: Object.entries(byState).map(([s, n]) => `${s} ${n}`).join(", "),
    followup_requests: followupRequests,
    followup_delivered_2xx: ok2xx,
    followup_500: status500,
    followup_held_or_dropped: noAnswer,
    fake_requests_total: fake.requestCount,
    replies_planned: x.replies.length,
    replies_acknowledged: x.replies.filter((r) => r.acked).length,
    webhook_posts: x.replies.reduce((n, r) => n + r.posts, 0),
    lease_lost_audits: leaseLost,
    kills_that_cut_answered_sends: [...cutByKill].sort((p, q) => q[1] - p[1]).map(([t, n]) => `${t.replace("chaos-", "")} ${n}`).join(", ") || "none",
  });

  const list = (ids: (number | string)[]) => (ids.length ? `${ids.slice(0, 8).join(", ")}${ids.length > 8 ? `, … (${ids.length} in all)` : ""}` : undefined);
  const zero = (name: string, items: (number | string)[]): ChaosCheck => ({ name, value: items.length, expected: "0", ok: items.length === 0, detail: list(items) });
  // A kill repeats at most the sends in flight plus those answered and awaiting the group commit,
  // which the daemon caps at two more concurrencies (src/daemon/scheduler.ts, maxUnrecorded).
  const perKill = kills * 3 * x.concurrency;
  return [
    { name: "settled within the time budget", value: x.converged ? 0 : 1, expected: "0", ok: x.converged, detail: x.converged ? undefined : `rows still scheduled or sending after ${Math.round(x.budgetMs / 1000)} s` },
    zero("follow-ups lost", lost),
    zero("stuck in sending", stuck),
    {
      name: "sent twice",
      value: twice.length,
      expected: `each from a SIGKILL (${kills} kills; ≤ kills × 3 × concurrency = ${perKill})`,
      ok: twiceUnexplained.length === 0 && twice.length <= perKill,
      detail: twiceUnexplained.length ? `NOT explained by a kill: ${list(twiceUnexplained)}` : twice.length ? `${list(twice)}; † = daemon SIGKILLed before committing` : undefined,
    },
    zero("sent without consent", withoutConsent),
    zero("audit rows inconsistent with states", auditMismatch),
    {
      name: "deliveries without their audit row",
      value: unaudited,
      expected: "each from a SIGKILLed daemon",
      ok: unauditedUnexplained.length === 0,
      detail: unauditedUnexplained.length ? `from daemons that were not killed: ${list(unauditedUnexplained)}` : undefined,
    },
    { ...zero("replies applied twice", appliedTwice), value: appliedTwice.length + inboundDupes, ok: appliedTwice.length + inboundDupes === 0 },
    zero("replies acknowledged but not applied", notApplied),
  ];
}

export function formatReport(r: ChaosReport): string {
  const out: string[] = [];
  const width = Math.max(...r.checks.map((c) => c.name.length));
  for (const c of r.checks) {
    out.push(`${c.ok ? "ok  " : "FAIL"}  ${c.name.padEnd(width)}  ${String(c.value).padStart(5)}  (expected: ${c.expected})`);
    if (c.detail) out.push(`        ${c.detail}`);
  }
  out.push("");
  for (const [k, v] of Object.entries(r.facts)) out.push(`  ${k}: ${v}`);
  out.push(`  wall_seconds: ${r.seconds.toFixed(1)}`);
  return out.join("\n");
}

function pct(v: number): string {
  return `${Math.round(v * 1000) / 10}%`;
}

/** `unref`: for the deadline side of a race, which must not keep the process alive once the race is won. */
function sleep(ms: number, unref = false): Promise<void> {
  return new Promise((r) => {
    const t = setTimeout(r, ms);
    if (unref) t.unref();
  });
}
