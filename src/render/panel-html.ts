import type { FollowupItem, StatusFilter } from "../store/followup-queries.js";
import type { DailyStats, StatsReport } from "../services/stats-service.js";
import { resendRefusal } from "../domain/lifecycle.js";
import { maskPhone } from "../domain/phone.js";
import { skipReasonPtBR } from "./panel-text.js";

/**
 * The panel's HTML (pt-BR), server-rendered: no front-end build, no script. Everything customer-
 * or operator-supplied goes through esc(); customer text also loses its control characters.
 */

export function esc(s: unknown): string {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** C0/C1 controls, DEL, bidi overrides/isolates and zero-width joiners out of customer text. */
export function stripControls(s: string | null | undefined): string {
  // eslint-disable-next-line no-control-regex
  return (s ?? "").replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, "").replace(/[\r\n\t]+/g, " ");
}

export const STATUS_LABELS: Record<string, string> = {
  all: "Todos", scheduled: "Agendado", pending: "Pendente (⏳)", sending: "Enviando", sent: "Enviado, aguardando",
  positive: "👍 Positivo", negative: "👎 Negativo", feedback: "💬 Feedback", failed: "Falhou", skipped: "Não enviado",
};

const CSS = `
:root{--fg:#1a1a1a;--muted:#4a4a4a;--bg:#fff;--line:#c8c8c8;--pos:#1b6e2e;--neg:#b3261e;--acc:#0b57d0}
*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;justify-content:space-between;padding:.75rem 1rem;border-bottom:1px solid var(--line)}
h1{font-size:1.25rem;margin:0}h2{font-size:1.1rem;margin:1.25rem 0 .5rem}main{padding:0 1rem 2rem;max-width:1200px;margin:0 auto}
a{color:var(--acc)}button,select,input{font:inherit;min-height:44px;padding:.35rem .6rem;border:1px solid #767676;border-radius:6px;background:#fff;color:var(--fg)}
button{cursor:pointer;background:var(--acc);color:#fff;border-color:var(--acc)}button.secondary{background:#fff;color:var(--acc)}
:focus-visible{outline:3px solid #ffb300;outline-offset:2px}
form.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end;margin-top:1rem}
form.filters label{display:flex;flex-direction:column;font-size:.9rem;color:var(--muted)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:.5rem;margin-top:1rem;padding:0;list-style:none}
.card{border:1px solid var(--line);border-radius:8px;padding:.6rem .8rem}.card .n{font-size:1.6rem;font-weight:700;display:block}
.tablewrap{position:relative;overflow-x:auto;border:1px solid var(--line);border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:.92rem}th,td{text-align:left;padding:.45rem .55rem;border-bottom:1px solid #e3e3e3;vertical-align:top}
th{background:#f3f3f3;white-space:nowrap}td.answer{max-width:24rem;overflow-wrap:anywhere}
.flash{padding:.6rem .8rem;border-radius:8px;margin-top:1rem;border:2px solid}.flash.ok{border-color:var(--pos);background:#e9f5ec}.flash.err{border-color:var(--neg);background:#fdecea}
.pager{display:flex;gap:1rem;align-items:center;margin:.75rem 0}.muted{color:var(--muted)}
svg text{font-size:11px;fill:#333}.legend span{display:inline-block;width:.9rem;height:.9rem;vertical-align:middle;margin:0 .3rem 0 .8rem}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
@media (max-width:600px){.card .n{font-size:1.3rem}
.list thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.list,.list tbody,.list tr,.list td{display:block;width:100%}.list tr{border-bottom:1px solid var(--line);padding:.4rem 0}
.list td{border:0;padding:.15rem .6rem}.list td.empty{display:none}.list td[data-label]::before{content:attr(data-label) ": ";font-weight:600;color:var(--muted)}
.list td.st{font-weight:600}.list td.act a{display:inline-block;min-height:44px;line-height:44px}}
`;

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="pt-BR"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head><body>${body}</body></html>`;
}

export function loginPage(o: { csrf: string; error?: string }): string {
  return page("Entrar · Pós-Atendimento", `<main><h1 style="margin-top:1.5rem">Pós-Atendimento</h1>
${o.error ? `<p class="flash err" role="alert">${esc(o.error)}</p>` : ""}
<form method="post" action="/painel/login" style="display:flex;flex-direction:column;gap:.75rem;max-width:28rem;margin-top:1rem">
<input type="hidden" name="csrf" value="${esc(o.csrf)}">
<label for="token">Token de acesso</label>
<input id="token" name="token" type="password" autocomplete="current-password" required aria-describedby="token-help">
<small id="token-help" class="muted">Peça ao responsável pelo sistema: <code>secretaria tokens create --company SUA-EMPRESA</code></small>
<button type="submit">Entrar</button></form></main>`);
}

export interface PanelView {
  csrf: string;
  operator: boolean;
  companies: { id: string; name: string; timezone: string }[];
  companyId: string | null;
  status: StatusFilter;
  days: number;
  showPhones: boolean;
  stats: StatsReport;
  chart: DailyStats[];
  items: FollowupItem[];
  /** The client's latest message per follow-up id (latestAnswers). */
  answers: ReadonlyMap<number, string>;
  total: number;
  page: number;
  limit: number;
  flash?: { ok: boolean; text: string };
  query: (over: Record<string, string | number | null>) => string;
}

const pct = (r: number) => `${(r * 100).toFixed(1).replace(/\.0$/, "").replace(".", ",")}%`;

/** "2026-10-27" → "27/10/2026" (a local date as the stats report it); "?" when absent. */
export function dayPtBR(date: string | null | undefined): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date ?? "");
  return m ? `${m[3]}/${m[2]}/${m[1]}` : (date ?? "?");
}

export function formatInstant(isoText: string | null, timezone: string): string {
  if (!isoText) return "—";
  const d = new Date(isoText);
  if (Number.isNaN(d.getTime())) return "—";
  return new Intl.DateTimeFormat("pt-BR", { timeZone: timezone, day: "2-digit", month: "2-digit", year: "2-digit", hour: "2-digit", minute: "2-digit" }).format(d);
}

export function dashboardPage(v: PanelView): string {
  const zone = (companyId: string) => v.companies.find((c) => c.id === companyId)?.timezone ?? "America/Sao_Paulo";
  const s = v.stats;
  const scopeName = v.companyId ? (v.companies.find((c) => c.id === v.companyId)?.name ?? v.companyId) : "Todas as empresas";
  const companyControl = v.operator
    ? `<label for="f-company">Empresa<select id="f-company" name="company"><option value="">Todas</option>${v.companies
        .map((c) => `<option value="${esc(c.id)}"${c.id === v.companyId ? " selected" : ""}>${esc(c.name)}</option>`).join("")}</select></label>`
    : "";
  const statusOpts = (["all", "pending", "scheduled", "sent", "positive", "negative", "feedback", "failed", "skipped"] as const)
    .map((k) => `<option value="${k}"${k === v.status ? " selected" : ""}>${esc(STATUS_LABELS[k])}</option>`).join("");
  const dayOpts = [7, 30, 90].map((d) => `<option value="${d}"${d === v.days ? " selected" : ""}>Últimos ${d} dias</option>`).join("");
  const cards: [string, string, number | string][] = [
    ["positive", "👍 Positivos", s.positive], ["negative", "👎 Negativos", s.negative], ["feedback", "💬 Feedback", s.feedback],
    ["pending", "⏳ Pendentes", s.pending], ["sent", "Enviados", s.sent], ["failed", "Falhas", s.failed], ["response_rate", "Taxa de resposta", s.sent ? pct(s.response_rate) : "—"],
  ];
  const pages = Math.max(1, Math.ceil(v.total / v.limit));
  const rows = v.items.map((i) => {
    const tz = zone(i.company_id);
    const phone = v.showPhones ? `+${i.client_phone}` : maskPhone(i.client_phone);
    const cell = (label: string, text: string, cls = "") => {
      const classes = [cls, text === "" || text === "—" ? "empty" : ""].filter(Boolean).join(" ");
      return `<td data-label="${label}"${classes ? ` class="${classes}"` : ""}>${esc(text)}</td>`;
    };
    return `<tr data-id="${i.id}" data-status="${esc(i.followup_status)}">
<td class="st">${esc(STATUS_LABELS[i.followup_status] ?? i.followup_status)}</td>
<td>${esc(stripControls(i.client_name))}<br><span class="muted">${esc(phone)}</span></td>
${cell("Fim", formatInstant(i.end_time, tz))}${cell("Enviado", formatInstant(i.followup_sent_at, tz))}
${cell("Próxima tentativa", formatInstant(i.followup_next_scheduled, tz))}${cell("Tentativas", String(i.followup_attempts), "attempts")}
${cell("Último erro ou motivo", stripControls(errorOf(i)))}
${cell("Resposta", answerOf(i, v.answers), "answer")}
<td class="act${resendable(i) ? "" : " empty"}">${resendable(i) ? `<a href="/painel/reenviar/${i.id}${esc(v.query({}))}" aria-label="Reenviar follow-up de ${esc(stripControls(i.client_name))}">Reenviar</a>` : ""}</td></tr>`;
  }).join("\n");
  return page("Pós-Atendimento", `<header><h1>Pós-Atendimento · ${esc(scopeName)}</h1>
<form method="post" action="/painel/logout"><input type="hidden" name="csrf" value="${esc(v.csrf)}"><button class="secondary" type="submit">Sair</button></form></header>
<main>
${v.flash ? `<p class="flash ${v.flash.ok ? "ok" : "err"}" role="status">${esc(v.flash.text)}</p>` : ""}
<form class="filters" method="get" action="/painel" aria-label="Filtros">
${companyControl}
<label for="f-status">Situação<select id="f-status" name="status">${statusOpts}</select></label>
<label for="f-days">Período<select id="f-days" name="days">${dayOpts}</select></label>
<label for="f-phones" style="flex-direction:row;align-items:center;gap:.4rem;min-height:44px"><input id="f-phones" type="checkbox" name="phones" value="1"${v.showPhones ? " checked" : ""} style="min-height:auto"> Mostrar telefones</label>
<button type="submit">Filtrar</button></form>
<h2>Resumo (${esc(dayPtBR(s.since))} a ${esc(dayPtBR(s.until))})</h2>
<ul class="cards" aria-label="Contadores">${cards.map(([k, label, n]) => `<li class="card" data-counter="${k}" data-value="${k === "response_rate" ? s.response_rate : n}"><span class="n">${esc(n)}</span>${esc(label)}</li>`).join("")}</ul>
<h2 id="chart-title">Positivos × negativos, últimos 30 dias</h2>
${chartSvg(v.chart)}
<h2>Follow-ups <span class="muted">(${v.total})</span></h2>
<p><a href="/painel/export.csv${esc(v.query({}))}" download>Baixar CSV desta tabela</a></p>
<div class="tablewrap" tabindex="0" role="region" aria-label="Tabela de follow-ups"><table class="list">
<thead><tr><th scope="col">Situação</th><th scope="col">Cliente</th><th scope="col">Fim do atendimento</th><th scope="col">Enviado</th><th scope="col">Próxima tentativa</th><th scope="col"><abbr title="Tentativas">Tent.</abbr></th><th scope="col">Último erro ou motivo</th><th scope="col">Resposta</th><th scope="col"><span class="sr-only">Ações</span></th></tr></thead>
<tbody>${rows || `<tr><td colspan="9">Nenhum follow-up com estes filtros.</td></tr>`}</tbody></table></div>
<nav class="pager" aria-label="Páginas">
${v.page > 1 ? `<a href="/painel${esc(v.query({ page: v.page - 1 }))}" rel="prev">← Anterior</a>` : ""}
<span>Página ${v.page} de ${pages}</span>
${v.page < pages ? `<a href="/painel${esc(v.query({ page: v.page + 1 }))}" rel="next">Próxima →</a>` : ""}</nav>
</main>`);
}

/** Stacked bars (positive below, negative on top) per day, with a table as its text alternative. */
export function chartSvg(days: DailyStats[]): string {
  const W = 600, H = 180, pad = 24;
  const max = Math.max(1, ...days.map((d) => d.positive + d.negative));
  const bw = (W - pad) / Math.max(1, days.length);
  const y = (n: number) => (n / max) * (H - pad - 8);
  const bars = days.map((d, i) => {
    const x = pad + i * bw + 1;
    const hp = y(d.positive), hn = y(d.negative);
    return `<g><title>${esc(dayPtBR(d.date))}: ${d.positive} positivos, ${d.negative} negativos</title>` +
      `<rect x="${x.toFixed(1)}" y="${(H - pad - hp).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${hp.toFixed(1)}" fill="#1b6e2e"/>` +
      `<rect x="${x.toFixed(1)}" y="${(H - pad - hp - hn).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${hn.toFixed(1)}" fill="#b3261e"/></g>`;
  }).join("");
  const first = days[0]?.date ?? "", last = days[days.length - 1]?.date ?? "";
  const totalP = days.reduce((a, d) => a + d.positive, 0), totalN = days.reduce((a, d) => a + d.negative, 0);
  return `<figure style="margin:0"><svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="chart-title chart-desc" style="max-width:${W}px;border:1px solid var(--line);border-radius:8px">
<desc id="chart-desc">De ${esc(dayPtBR(first))} a ${esc(dayPtBR(last))}: ${totalP} respostas positivas e ${totalN} negativas; a tabela abaixo traz os valores por dia.</desc>
<line x1="${pad}" y1="${H - pad}" x2="${W}" y2="${H - pad}" stroke="#767676"/><text x="2" y="14">${max}</text><text x="2" y="${H - pad}">0</text>
${bars}<text x="${pad}" y="${H - 6}">${esc(dayPtBR(first).slice(0, 5))}</text><text x="${W - 40}" y="${H - 6}">${esc(dayPtBR(last).slice(0, 5))}</text></svg>
<figcaption class="legend"><span style="background:#1b6e2e"></span>👍 positivos<span style="background:#b3261e"></span>👎 negativos</figcaption></figure>
<details><summary>Ver os valores do gráfico em tabela</summary><div class="tablewrap"><table><thead><tr><th scope="col">Dia</th><th scope="col">👍 Positivos</th><th scope="col">👎 Negativos</th></tr></thead><tbody>
${days.map((d) => `<tr><td>${esc(dayPtBR(d.date))}</td><td>${d.positive}</td><td>${d.negative}</td></tr>`).join("")}</tbody></table></div></details>`;
}

export function confirmPage(o: { csrf: string; item: Pick<FollowupItem, "id" | "client_name" | "client_phone" | "followup_status">; back: string; showPhone: boolean }): string {
  const i = o.item;
  return page("Reenviar follow-up", `<main><h1 style="margin-top:1.5rem">Reenviar follow-up?</h1>
<p>O follow-up será enviado de novo agora pelo WhatsApp para <strong>${esc(stripControls(i.client_name))}</strong> (${esc(o.showPhone ? `+${i.client_phone}` : maskPhone(i.client_phone))}), situação atual: ${esc(STATUS_LABELS[i.followup_status] ?? i.followup_status)}.</p>
<form method="post" action="/painel/reenviar/${i.id}${esc(o.back)}" style="display:flex;gap:.75rem;flex-wrap:wrap">
<input type="hidden" name="csrf" value="${esc(o.csrf)}"><button type="submit" id="confirm-resend">Sim, reenviar</button>
<a href="/painel${esc(o.back)}" style="align-self:center">Cancelar</a></form></main>`);
}

/**
 * "Reenviar" only where its state allows a resend (sent, feedback, failed); the service still
 * decides (consent, opt-out, the 12-hour hold, quiet hours) and the panel shows its reason.
 */
function resendable(i: Pick<FollowupItem, "followup_status">): boolean {
  return resendRefusal(i.followup_status, true) === null;
}

/** The last send error, or why it was never sent (pt-BR). */
function errorOf(i: Pick<FollowupItem, "followup_last_error" | "followup_skip_reason">): string {
  return i.followup_last_error ?? (i.followup_skip_reason ? skipReasonPtBR(i.followup_skip_reason) : "");
}

/** The client's own words (or "[mensagem de voz]"); the feedback text when the message is gone. */
function answerOf(i: Pick<FollowupItem, "id" | "feedback_text">, answers: ReadonlyMap<number, string>): string {
  return stripControls(answers.get(i.id) ?? i.feedback_text ?? "");
}

export function csvOf(items: FollowupItem[], showPhones: boolean, answers: ReadonlyMap<number, string>): string {
  const cell = (v: unknown) => {
    let s = stripControls(v === null || v === undefined ? "" : String(v));
    if (/^[=+\-@]/.test(s)) s = `'${s}`; // no formula injection in spreadsheets
    return /[",;\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const head = ["id", "company_id", "status", "client_name", "client_phone", "end_time", "sent_at", "next_attempt", "attempts", "last_error", "response", "answer"];
  const lines = items.map((i) => [i.id, i.company_id, i.followup_status, i.client_name, showPhones ? i.client_phone : maskPhone(i.client_phone), i.end_time,
    i.followup_sent_at, i.followup_next_scheduled, i.followup_attempts, errorOf(i), i.followup_response, answerOf(i, answers)].map(cell).join(","));
  return `${[head.join(","), ...lines].join("\r\n")}\r\n`;
}
