/**
 * A known mix of follow-ups for the views' tests (followups list, stats, audit list): two
 * companies in different time zones — São Paulo (UTC-3, no DST) and Lisbon (UTC+1 until the
 * DST end on 2026-10-25 01:00Z, then UTC+0) — rows right at local midnight on both sides, every
 * follow-up state, rows outside the 30-day window; and the expected stats computed with plain
 * SQL, independently of src/ (local dates by fixed SQL offsets, not by the app's day ranges).
 */
import type { Db } from "../../src/store/db.js";
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


export function addViewCompanies(db: Db): void {
  const ins = db.prepare("INSERT INTO companies (id, name, timezone, created_at, updated_at) VALUES (?, ?, ?, ?, ?)");
  ins.run("sp", "Clínica São Paulo", "America/Sao_Paulo", "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z");
  ins.run("lx", "Consultório Lisboa", "Europe/Lisbon", "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z");
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
export function seedKnownMix(db: Db, opts: { random?: number; seed?: number } = {}): MixRow[] {
  addViewCompanies(db);
  const rows = [...edgeRows(), ...randomRows(opts.random ?? 300, opts.seed ?? 7)];
  const ins = db.prepare(
    `INSERT INTO appointments (id, company_id, external_id, client_name, client_phone, start_time, end_time, status, allow_followup,
       followup_status, followup_sent_at, followup_response, followup_responded_at, followup_next_scheduled, followup_attempts,
       followup_last_error, followup_skip_reason, created_at, updated_at)
     VALUES (@id, @company_id, @external_id, @client_name, @client_phone, @start_time, @end_time, 'booked', 1,
       @followup_status, @followup_sent_at, @followup_response, @followup_responded_at, @followup_next_scheduled, @followup_attempts,
       @followup_last_error, @followup_skip_reason, '2026-09-01T00:00:00.000Z', '2026-09-01T00:00:00.000Z')`,
  );
  const audit = db.prepare("INSERT INTO audit_log (action, appointment_id, company_id, payload, created_at) VALUES (?, ?, ?, ?, ?)");
  db.transaction(() => {
    rows.forEach((r, i) => {
      const id = i + 1;
      ins.run({
        id, external_id: `V-${id}`, start_time: isoAt(Date.parse(r.end_time) - HOUR), followup_sent_at: null, followup_response: null,
        followup_responded_at: null, followup_next_scheduled: null, followup_attempts: 0, followup_last_error: null,
        followup_skip_reason: null, ...r,
      });
      if (r.followup_sent_at) {
        if ((r.followup_attempts ?? 0) > 1) audit.run("followup_sent", id, r.company_id, "{}", isoAt(Date.parse(r.followup_sent_at) - 2 * DAY));
        audit.run("followup_sent", id, r.company_id, "{}", r.followup_sent_at);
      }
      if (r.followup_responded_at && r.followup_response) {
        const feedback = r.followup_response === "feedback" ? "Gostei, mas a sala estava fria." : null;
        audit.run("followup_response", id, r.company_id, JSON.stringify({ response: r.followup_response, feedback }), r.followup_responded_at);
      }
    });
  })();
  return rows;
}

/** SQL: the local date of a UTC ISO column for sp (fixed -3 h) and lx (+1 h until the DST end, then +0 h). */
export function localDateSql(col: string): string {
  return `CASE company_id WHEN 'sp' THEN date(${col}, '-3 hours')
    ELSE date(${col}, CASE WHEN ${col} < '${LISBON_DST_END}' THEN '+1 hours' ELSE '+0 hours' END) END`;
}

/** SQL: the first and last local date of each company's window of `days` days ending today. */
function windowSql(days: number): { first: string; last: string } {
  const today = `CASE company_id WHEN 'sp' THEN date('${VIEWS_NOW}', '-3 hours') ELSE date('${VIEWS_NOW}', '+0 hours') END`;
  return { first: `date(${today}, '-${days - 1} days')`, last: today };
}

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

/** The stats of the window, by plain SQL over the same database (optionally one company). */
export function expectedStats(db: Db, days: number, companyId?: string): ExpectedStats {
  const { first, last } = windowSql(days);
  const only = companyId ? `AND company_id = '${companyId}'` : "";
  const inWindow = (col: string) => `${col} IS NOT NULL AND ${localDateSql(col)} BETWEEN ${first} AND ${last}`;
  const count = (where: string) => (db.prepare(`SELECT count(*) AS n FROM appointments WHERE ${where} ${only}`).get() as { n: number }).n;
  const sent = count(inWindow("followup_sent_at"));
  const positive = count(`followup_response = 'positive' AND ${inWindow("followup_responded_at")}`);
  const negative = count(`followup_response = 'negative' AND ${inWindow("followup_responded_at")}`);
  const feedback = count(`followup_response = 'feedback' AND ${inWindow("followup_responded_at")}`);
  const pending = count("followup_status IN ('scheduled', 'sending')") + count(`followup_status = 'sent' AND ${inWindow("followup_sent_at")}`);
  const failed = count(`followup_status = 'failed' AND ${inWindow("end_time")}`);
  const skipped = count(`followup_status = 'skipped' AND ${inWindow("end_time")}`);

  // Every local date of every company's window, then the counts per date (summed over companies).
  const dates = (db.prepare(
    `WITH RECURSIVE c(company_id) AS (SELECT id FROM companies WHERE 1 ${companyId ? `AND id = '${companyId}'` : ""}),
     d(company_id, date, last) AS (
       SELECT company_id, ${first}, ${last} FROM c
       UNION ALL SELECT company_id, date(date, '+1 day'), last FROM d WHERE date < last)
     SELECT DISTINCT date FROM d ORDER BY date`,
  ).all() as { date: string }[]).map((r) => r.date);
  const perDate = (col: string, extra = "") =>
    new Map(
      (db.prepare(
        `SELECT ${localDateSql(col)} AS date, count(*) AS n FROM appointments WHERE ${inWindow(col)} ${extra} ${only} GROUP BY 1`,
      ).all() as { date: string; n: number }[]).map((r) => [r.date, r.n]),
    );
  const s = perDate("followup_sent_at");
  const p = perDate("followup_responded_at", "AND followup_response = 'positive'");
  const n = perDate("followup_responded_at", "AND followup_response = 'negative'");
  const f = perDate("followup_responded_at", "AND followup_response = 'feedback'");
  const daily = dates.map((date) => ({ date, sent: s.get(date) ?? 0, positive: p.get(date) ?? 0, negative: n.get(date) ?? 0, feedback: f.get(date) ?? 0 }));
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
