/**
 * A known mix of follow-ups for the views' tests (followups list, stats, audit list): two
 * companies in different time zones — São Paulo (UTC-3, no DST) and Lisbon (UTC+1 until the
 * DST end on 2026-10-25 01:00Z, then UTC+0) — rows right at local midnight on both sides, every
 * follow-up state, rows outside the 30-day window; and the expected stats computed with plain
 * SQL, independently of src/ (local dates by fixed SQL offsets, not by the app's day ranges).
 */
import type { Q, Store } from "../../src/store/store.js";
import { seededRandom as rng } from "../../src/domain/random.js";

/** 01:30Z: already 10/11 in Lisbon, still 09/11 in São Paulo. */
export const VIEWS_NOW = "2026-11-10T01:30:00.000Z";
export const LISBON_DST_END = "2026-10-25T01:00:00.000Z";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const isoAt = (ms: number) => new Date(ms).toISOString();

export interface MixRow {
  company_id: "sp" | "lx";
  client_name: string;
  client_phone: string;
  end_time: string;
  followup_status: string;
  followup_sent_at?: string | null;
  followup_response?: string | null;
  followup_responded_at?: string | null;
  followup_next_scheduled?: string | null;
  followup_attempts?: number;
  followup_last_error?: string | null;
  followup_skip_reason?: string | null;
}


export async function addViewCompanies(db: Q): Promise<void> {
  const ins = "INSERT INTO companies (id, name, timezone, created_at, updated_at) VALUES (?, ?, ?, ?, ?)";
  await db.run(ins, ["sp", "Clínica São Paulo", "America/Sao_Paulo", "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z"]);
  await db.run(ins, ["lx", "Consultório Lisboa", "Europe/Lisbon", "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z"]);
}

/** Hand-placed rows at the edges: local midnight ±1 ms, window start, the DST night, a resend. */
function edgeRows(): MixRow[] {
  const answered = (company_id: "sp" | "lx", sent: string, responded: string, response: string, name: string): MixRow => ({
    company_id, client_name: name, client_phone: "5511999990001", end_time: isoAt(Date.parse(sent) - HOUR),
    followup_status: response, followup_sent_at: sent, followup_response: response, followup_responded_at: responded, followup_attempts: 1,
  });
  return [
    // São Paulo: 31/10 23:59:59.999 and 01/11 00:00 local.
    answered("sp", "2026-11-01T02:59:59.999Z", "2026-11-01T02:59:59.999Z", "positive", "Meia Noite Antes"),
    answered("sp", "2026-11-01T03:00:00.000Z", "2026-11-01T03:00:00.000Z", "negative", "Meia Noite Depois"),
    // São Paulo window start (today 09/11 → first day 11/10 local = 2026-10-11T03:00Z).
    answered("sp", "2026-10-11T02:59:59.999Z", "2026-10-11T02:59:59.999Z", "positive", "Fora Da Janela"),
    answered("sp", "2026-10-11T03:00:00.000Z", "2026-10-11T03:00:00.000Z", "positive", "Primeiro Dia"),
    // Replied inside the window to a send before it.
    answered("sp", "2026-10-10T12:00:00.000Z", "2026-10-12T12:00:00.000Z", "feedback", "Resposta Tardia"),
    // Lisbon, summer time: 24/10 23:59:59.999 and 25/10 00:00 local (UTC+1).
    answered("lx", "2026-10-24T22:59:59.999Z", "2026-10-24T22:59:59.999Z", "positive", "Verão Antes"),
    answered("lx", "2026-10-24T23:00:00.000Z", "2026-10-24T23:00:00.000Z", "negative", "Verão Depois"),
    // The 25-hour day 25/10: its last millisecond and the next day's first (UTC+0).
    answered("lx", "2026-10-25T23:59:59.999Z", "2026-10-25T23:59:59.999Z", "positive", "Inverno Antes"),
    answered("lx", "2026-10-26T00:00:00.000Z", "2026-10-26T00:00:00.000Z", "positive", "Inverno Depois"),
    // Lisbon window start (today 10/11 → first day 12/10 local = 2026-10-11T23:00Z).
    answered("lx", "2026-10-11T22:59:59.999Z", "2026-10-11T22:59:59.999Z", "negative", "Lisboa Fora"),
    answered("lx", "2026-10-11T23:00:00.000Z", "2026-10-11T23:00:00.000Z", "negative", "Lisboa Primeiro"),
    // Today in Lisbon (10/11) but, in UTC, the same calendar day is still 'yesterday' for São Paulo.
    answered("lx", "2026-11-10T00:10:00.000Z", "2026-11-10T00:20:00.000Z", "feedback", "Lisboa Hoje"),
    // Resent: one appointment, sent twice (audit has two followup_sent), counted once at its latest send.
    {
      company_id: "sp", client_name: "Reenvio Duas Vezes", client_phone: "5511999990002", end_time: "2026-11-02T15:00:00.000Z",
      followup_status: "sent", followup_sent_at: "2026-11-04T13:00:00.000Z", followup_attempts: 2,
    },
    // Being sent right now (claimed): pending, like scheduled.
    {
      company_id: "lx", client_name: "A Caminho", client_phone: "351912345678", end_time: "2026-11-10T00:00:00.000Z",
      followup_status: "sending", followup_attempts: 1,
    },
    // Failed / skipped at the window edges by end_time.
    {
      company_id: "sp", client_name: "Falhou Na Borda", client_phone: "5511999990003", end_time: "2026-10-11T03:00:00.000Z",
      followup_status: "failed", followup_attempts: 5, followup_last_error: "timeout of 10000ms exceeded",
    },
    {
      company_id: "sp", client_name: "Falhou Antes", client_phone: "5511999990004", end_time: "2026-10-11T02:59:59.999Z",
      followup_status: "failed", followup_attempts: 1, followup_last_error: "ERR_WAPP_INVALID_CONTACT",
    },
  ];
}

/** Seeded rows over 2026-09-25 … 2026-11-12, every state, consistent columns. */
function randomRows(n: number, seed: number): MixRow[] {
  const random = rng(seed);
  const from = Date.parse("2026-09-25T00:00:00.000Z");
  const now = Date.parse(VIEWS_NOW);
  const first = ["Ana", "Bruno", "Carla", "Diego", "Eva", "Fábio", "Gil", "Helena"];
  const last = ["Souza", "Lima", "Costa", "Pereira", "Alves"];
  const out: MixRow[] = [];
  for (let i = 0; i < n; i++) {
    const company_id = random() < 0.55 ? "sp" : "lx";
    const end = from + Math.floor(random() * 48 * DAY / (15 * MIN)) * 15 * MIN;
    const due = end + HOUR;
    const base: MixRow = {
      company_id, client_name: `${first[i % first.length]} ${last[Math.floor(i / first.length) % last.length]}`,
      client_phone: `55${company_id === "sp" ? 11 : 21}9${String(10_000_000 + i * 7919).slice(-8)}`, end_time: isoAt(end), followup_status: "scheduled",
    };
    const r = random();
    if (due > now) {
      out.push({ ...base, followup_status: "scheduled", followup_next_scheduled: isoAt(due) });
    } else if (r < 0.1) {
      out.push({ ...base, followup_status: "skipped", followup_skip_reason: random() < 0.5 ? "no_consent" : "cancelled" });
    } else if (r < 0.16) {
      out.push({ ...base, followup_status: "failed", followup_attempts: 5, followup_last_error: "Request failed with status code 502" });
    } else {
      const sent = due + Math.floor(random() * 120_000);
      const answerAt = sent + Math.floor(random() * 30 * HOUR);
      if (random() < 0.25 || answerAt > now) {
        out.push({ ...base, followup_status: "sent", followup_sent_at: isoAt(sent), followup_attempts: 1 });
      } else {
        const k = random();
        const response = k < 0.5 ? "positive" : k < 0.8 ? "negative" : "feedback";
        out.push({
          ...base, followup_status: response, followup_sent_at: isoAt(sent), followup_response: response,
          followup_responded_at: isoAt(answerAt), followup_attempts: 1,
        });
      }
    }
  }
  return out;
}

/** Companies sp and lx plus ~300 follow-ups and their audit rows; returns the rows in id order (id = index + 1). */
export async function seedKnownMix(db: Store, opts: { random?: number; seed?: number } = {}): Promise<MixRow[]> {
  const rows = [...edgeRows(), ...randomRows(opts.random ?? 300, opts.seed ?? 7)];
  const ins = `INSERT INTO appointments (id, company_id, external_id, client_name, client_phone, start_time, end_time, status, allow_followup,
       followup_status, followup_sent_at, followup_response, followup_responded_at, followup_next_scheduled, followup_attempts,
       followup_last_error, followup_skip_reason, created_at, updated_at)
     VALUES (@id, @company_id, @external_id, @client_name, @client_phone, @start_time, @end_time, 'booked', 1,
       @followup_status, @followup_sent_at, @followup_response, @followup_responded_at, @followup_next_scheduled, @followup_attempts,
       @followup_last_error, @followup_skip_reason, '2026-09-01T00:00:00.000Z', '2026-09-01T00:00:00.000Z')`;
  const audit = "INSERT INTO audit_log (action, appointment_id, company_id, payload, created_at) VALUES (?, ?, ?, ?, ?)";
  await db.tx(async (t) => {
    await addViewCompanies(t);
    for (const [i, r] of rows.entries()) {
      const id = i + 1;
      await t.run(ins, {
        id, external_id: `V-${id}`, start_time: isoAt(Date.parse(r.end_time) - HOUR), followup_sent_at: null, followup_response: null,
        followup_responded_at: null, followup_next_scheduled: null, followup_attempts: 0, followup_last_error: null,
        followup_skip_reason: null, ...r,
      });
      if (r.followup_sent_at) {
        if ((r.followup_attempts ?? 0) > 1) await t.run(audit, ["followup_sent", id, r.company_id, "{}", isoAt(Date.parse(r.followup_sent_at) - 2 * DAY)]);
        await t.run(audit, ["followup_sent", id, r.company_id, "{}", r.followup_sent_at]);
      }
      if (r.followup_responded_at && r.followup_response) {
        const feedback = r.followup_response === "feedback" ? "Gostei, mas a sala estava fria." : null;
        await t.run(audit, ["followup_response", id, r.company_id, JSON.stringify({ response: r.followup_response, feedback }), r.followup_responded_at]);
      }
    }
    // Explicit ids do not move PostgreSQL's identity sequence: the next insert must not reuse one.
    if (t.dialect === "postgres") await t.get("SELECT setval(pg_get_serial_sequence('appointments', 'id'), (SELECT max(id) FROM appointments))");
  });
  return rows;
}

/** The local date (YYYY-MM-DD) of a UTC instant for sp (fixed -3 h) and lx (+1 h until the DST end, then +0 h). */
export function localDateOf(company: string, isoTime: string): string {
  const ms = Date.parse(isoTime);
  const offset = company === "sp" ? -3 * HOUR : isoTime < LISBON_DST_END ? HOUR : 0;
  return new Date(ms + offset).toISOString().slice(0, 10);
}

const addDays = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);

export interface ExpectedStats {
  sent: number;
  pending: number;
  positive: number;
  negative: number;
  feedback: number;
  failed: number;
  skipped: number;
  response_rate: number;
  daily: { date: string; sent: number; positive: number; negative: number; feedback: number }[];
}

type StatsRow = Pick<MixRow, "company_id" | "end_time" | "followup_status"> & {
  followup_sent_at: string | null;
  followup_responded_at: string | null;
  followup_response: string | null;
};

/**
 * The stats of the window, computed from the rows read back with plain SQL (optionally one
 * company), with fixed offsets per company: independent of src/'s day ranges and of the engine.
 */
export async function expectedStats(db: Q, days: number, companyId?: string): Promise<ExpectedStats> {
  const rows = await db.all<StatsRow>(
    `SELECT company_id, end_time, followup_status, followup_sent_at, followup_responded_at, followup_response FROM appointments${companyId ? " WHERE company_id = ?" : ""}`,
    companyId ? [companyId] : [],
  );
  const companies = companyId ? [companyId] : (await db.all<{ id: string }>("SELECT id FROM companies ORDER BY id")).map((c) => c.id);
  const window = new Map(companies.map((c) => {
    const last = c === "sp" ? localDateOf("sp", VIEWS_NOW) : new Date(Date.parse(VIEWS_NOW)).toISOString().slice(0, 10);
    return [c, { first: addDays(last, -(days - 1)), last }];
  }));
  const inWindow = (r: StatsRow, v: string | null) => {
    const w = window.get(r.company_id);
    if (!v || !w) return false;
    const d = localDateOf(r.company_id, v);
    return d >= w.first && d <= w.last;
  };
  const count = (pred: (r: StatsRow) => boolean) => rows.filter(pred).length;
  const sent = count((r) => inWindow(r, r.followup_sent_at));
  const answered = (kind: string) => (r: StatsRow) => r.followup_response === kind && inWindow(r, r.followup_responded_at);
  const positive = count(answered("positive"));
  const negative = count(answered("negative"));
  const feedback = count(answered("feedback"));
  const pending = count((r) => r.followup_status === "scheduled" || r.followup_status === "sending" || (r.followup_status === "sent" && inWindow(r, r.followup_sent_at)));
  const failed = count((r) => r.followup_status === "failed" && inWindow(r, r.end_time));
  const skipped = count((r) => r.followup_status === "skipped" && inWindow(r, r.end_time));

  // Every local date of every company's window, then the counts per date (summed over companies).
  const dates = new Set<string>();
  for (const w of window.values()) for (let d = w.first; d <= w.last; d = addDays(d, 1)) dates.add(d);
  const perDate = (col: "followup_sent_at" | "followup_responded_at", pred: (r: StatsRow) => boolean = () => true) => {
    const m = new Map<string, number>();
    for (const r of rows) {
      if (!pred(r) || !inWindow(r, r[col])) continue;
      const d = localDateOf(r.company_id, r[col]!);
      m.set(d, (m.get(d) ?? 0) + 1);
    }
    return m;
  };
  const s2 = perDate("followup_sent_at");
  const p = perDate("followup_responded_at", (r) => r.followup_response === "positive");
  const n = perDate("followup_responded_at", (r) => r.followup_response === "negative");
  const f = perDate("followup_responded_at", (r) => r.followup_response === "feedback");
  const daily = [...dates].sort().map((date) => ({ date, sent: s2.get(date) ?? 0, positive: p.get(date) ?? 0, negative: n.get(date) ?? 0, feedback: f.get(date) ?? 0 }));
  const response_rate = sent ? Math.round(((positive + negative + feedback) / sent) * 10_000) / 10_000 : 0;
  return { sent, pending, positive, negative, feedback, failed, skipped, response_rate, daily };
}

/** Terminal columns of a line: ANSI codes 0, emoji 2, variation selectors / joiners 0 (written apart from src/). */
export function terminalWidth(line: string): number {
  // eslint-disable-next-line no-control-regex
  const plain = line.replace(/\u001b\[[0-9;]*m/g, "");
  let w = 0;
  for (const ch of plain) {
    if (/[\uFE0E\uFE0F\u200D]/.test(ch)) continue;
    w += /\p{Emoji_Presentation}/u.test(ch) ? 2 : 1;
  }
  return w;
}

/** Whether text draws a chart line segment in ANSI foreground color `code` (32 green, 31 red). */
export function paints(text: string, code: number): boolean {
  return text.split(`\u001b[${code}m`).slice(1).some((after) => /^[─╭╮╯╰│┼]/.test(after));
}
