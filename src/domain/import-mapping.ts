import { UsageError } from "../errors.js";
import { joinDateTime } from "./import-values.js";

/**
 * Which column of a clinic system's export holds which appointment field. Pure.
 *
 * A header is matched in three steps, each only for fields still unassigned:
 *   1. `--map field=Header` (parseMapOption): what the user says;
 *   2. the field's own name ("client_phone", "Client Phone");
 *   3. names Brazilian systems use (SYNONYMS): Paciente → client_name, Celular → client_phone…
 * Names compare without case, accents or punctuation: "SITUAÇÃO", "Situacao" and "situação:" match.
 *
 * Split date and time: a field may come from several columns joined with a space (joinDateTime):
 * `--map start_time=Data+Hora`, or found alone when the header has a date column (Data, Data da
 * consulta…) and a start-time column (Hora, Horário, Hora início…). An end-time column that holds
 * only a time (Hora fim, Término…) is then joined with the same date column.
 */
export const IMPORT_COLUMNS = [
  "company_id", "external_id", "client_name", "client_phone", "start_time", "end_time", "allow_followup", "status",
] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];

/** Every column but status (empty = booked); company_id may come from --company instead. */
export const REQUIRED_COLUMNS: readonly ImportColumn[] = IMPORT_COLUMNS.filter((c) => c !== "status");

/**
 * Source columns per field, as the user wrote them: header names, or "#N" for the N-th column
 * (1-based, for headers with repeated or empty names). Two or more are joined (date + time).
 */
export type ColumnMapping = Partial<Record<ImportColumn, readonly string[]>>;

/** A header name without case, accents or punctuation: "Hora Início:" → "hora inicio", "Nº" → "no". */
export function foldHeader(name: string): string {
  return name
    .replace(/^\uFEFF/, "")
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

// ─── --map ───────────────────────────────────────────────────────────────────────────────────

/** Splits on `sep` outside double quotes; quotes are removed ("" is a literal quote) unless `keep`. */
function splitQuoted(text: string, sep: string, keep = false): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '"') {
      if (quoted && text[i + 1] === '"') {
        cur += keep ? '""' : '"';
        i++;
      } else {
        quoted = !quoted;
        if (keep) cur += ch;
      }
    } else if (ch === sep && !quoted) {
      out.push(cur);
      cur = "";
    } else {
      cur += ch;
    }
  }
  if (quoted) throw new UsageError(`--map: a double quote is not closed in ${JSON.stringify(text)}`);
  out.push(cur);
  return out;
}

function suggestion(key: string): string {
  const k = key.replace(/[^a-z]/g, "");
  const near = IMPORT_COLUMNS.find((c) => k.length >= 3 && (c.replace(/_/g, "").includes(k) || k.includes(c.replace(/_/g, ""))));
  return near ? ` (did you mean ${near}?)` : "";
}

/**
 * Reads `--map "client_name=Paciente,client_phone=Celular,start_time=Data+Hora início"` into a
 * mapping, merged over `previous` (so commander can collect repeated --map options). A header
 * name with "," "+" or "=" goes in double quotes: `client_name="Nome, completo"`. Throws a
 * UsageError naming the bad part: an unknown field (listing the valid ones), a field given
 * twice, a missing "=" or an empty column name.
 */
export function parseMapOption(text: string, previous: ColumnMapping = {}): ColumnMapping {
  const mapping: Record<string, readonly string[]> = { ...previous };
  const given = new Set<string>();
  for (const pair of splitQuoted(text, ",", true)) {
    if (!pair.trim()) continue;
    const parts = splitAtFirstUnquoted(pair, "=");
    if (parts.length < 2) throw new UsageError(`--map: ${JSON.stringify(pair.trim())} is not field=Column, e.g. client_name=Paciente`);
    const key = (parts[0] as string).trim().toLowerCase();
    if (!(IMPORT_COLUMNS as readonly string[]).includes(key)) {
      throw new UsageError(`--map: ${JSON.stringify(key)} is not a field${suggestion(key)}: use one of ${IMPORT_COLUMNS.join(", ")}`);
    }
    if (given.has(key)) throw new UsageError(`--map: ${key} is given twice`);
    given.add(key);
    const sources = splitQuoted(parts[1] as string, "+").map((name) => name.trim());
    if (!sources.length || sources.some((s) => !s)) {
      throw new UsageError(`--map: ${key} needs the file's column name after "=", e.g. ${key}=${key === "start_time" ? "Data+Hora" : "Coluna"}`);
    }
    mapping[key] = sources;
  }
  return mapping as ColumnMapping;
}

/** [before, after] the first `sep` outside double quotes, quotes kept for the next split. */
function splitAtFirstUnquoted(text: string, sep: string): string[] {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (text[i] === sep && !quoted) return [text.slice(0, i).replace(/"/g, ""), text.slice(i + 1)];
  }
  return [text];
}

// ─── Header ──────────────────────────────────────────────────────────────────────────────────

/** Names Brazilian clinic systems give each field, folded (foldHeader), most specific first. */
export const SYNONYMS: Readonly<Record<Exclude<ImportColumn, "company_id" | "start_time">, readonly string[]>> = {
  external_id: [
    "id agendamento", "id do agendamento", "codigo agendamento", "codigo do agendamento", "cod agendamento",
    "numero agendamento", "numero do agendamento", "no agendamento", "n agendamento",
    "codigo", "cod", "id", "no", "n", "numero", "protocolo",
  ],
  client_name: [
    "paciente", "nome do paciente", "nome paciente", "paciente nome", "cliente", "nome do cliente", "nome cliente",
    "nome completo", "nome", "client name", "name", "patient",
  ],
  client_phone: [
    "whatsapp", "whats", "celular whatsapp", "whatsapp celular", "celular", "cel", "telefone celular", "tel celular",
    "celular do paciente", "celular paciente", "telefone whatsapp", "telefone", "telefones", "tel", "fone",
    "telefone do paciente", "telefone paciente", "contato", "client phone", "phone", "mobile",
  ],
  end_time: [
    "end time", "data e hora fim", "data hora fim", "data fim", "data final", "data de termino", "fim", "termino", "end",
    "hora fim", "hora final", "hora de termino", "hora termino", "horario fim", "horario final", "horario de termino",
  ],
  allow_followup: [
    "allow followup", "allow follow up", "consentimento", "consentimento lgpd", "lgpd", "aceita whatsapp",
    "aceita contato", "aceita mensagens", "aceita receber mensagens", "autoriza whatsapp", "autoriza contato",
    "autoriza mensagens", "permite contato", "permite whatsapp", "opt in", "optin", "aceite",
  ],
  status: ["status", "situacao", "status do agendamento", "situacao do agendamento", "estado", "status agendamento"],
};

/** start_time in one column. */
const START_DATE_TIME = ["start time", "data e hora", "data hora", "data horario", "data e horario", "data hora inicio", "data inicio", "data de inicio", "inicio", "start"];
/** The day, alone or with the time. */
const DATE_COLUMNS = ["data", "data da consulta", "data consulta", "data do agendamento", "data agendamento", "dia", "date"];
/** The start's time of day, joined with a date column. */
const START_TIME_OF_DAY = ["hora", "horario", "hora inicio", "hora de inicio", "hora inicial", "horario inicio", "horario de inicio", "horario inicial", "inicio", "time"];
/** end_time names that hold only a time of day, joined with the start's date column. */
const END_TIME_OF_DAY = new Set(["fim", "termino", "end", "hora fim", "hora final", "hora de termino", "hora termino", "horario fim", "horario final", "horario de termino"]);
/** Columns about consent that hold a date, not a yes/no: "Data consentimento LGPD". */
const NOT_CONSENT = /^(?:data|dt|hora|quando)\b/;
/** Consent columns whose name only says what they are about: "Aceita receber lembretes?", "Termo LGPD". */
const CONSENT_PATTERN = /\b(?:lgpd|consentimento|consent|opt in|optin)\b|^(?:aceita|autoriza|permite)\b/;

export interface HeaderPlan {
  /** For each field found, the 0-based indexes of its source columns (two or more are joined). */
  sources: Partial<Record<ImportColumn, readonly number[]>>;
  /** company_id for every row (--company), when the file has no such column. */
  company?: string;
  /** Named columns no field uses, in file order (reported once, as a note). */
  ignored: string[];
  /** Lines to show once before importing: how columns were read, which are not imported. */
  notes: string[];
  /** Why the file cannot be imported with this header (empty when it can). */
  errors: string[];
}

export interface MapHeaderOptions {
  /** --company: every row is for this company; the file then needs no company_id column. */
  companyFromFlag?: string;
}

const label = (cells: readonly string[], i: number) => cells[i]?.trim() || `#${i + 1}`;

/**
 * Decides which column of `headerCells` holds each field: explicit `mapping` first, then the
 * field names, then SYNONYMS (see the module comment). Missing required fields are one error
 * saying which --map (or --company) to pass; a name that two columns share is an error when a
 * field needs it (pass --map field=#N); unnamed columns are skipped, other unused ones listed
 * in `ignored` and in one note.
 */
export function mapHeader(headerCells: readonly string[], mapping: ColumnMapping = {}, opts: MapHeaderOptions = {}): HeaderPlan {
  const folded = headerCells.map(foldHeader);
  const used = new Set<number>();
  const sources: Partial<Record<ImportColumn, number[]>> = {};
  const how: { field: ImportColumn; text: string }[] = [];
  const errors: string[] = [];
  const columnList = () => headerCells.map((_, i) => label(headerCells, i)).join(", ");

  /**
   * Index of the column named `name` (folded), or undefined; an error when several share it.
   * Columns already used are skipped unless `reuse` (--map may use Data for start and end).
   */
  const find = (name: string, field: ImportColumn, reuse = false): number | undefined => {
    const hits = folded.flatMap((f, i) => (f === name && (reuse || !used.has(i)) ? [i] : []));
    if (hits.length > 1) {
      errors.push(`columns ${hits.map((i) => i + 1).join(" and ")} are both named ${JSON.stringify(label(headerCells, hits[0] as number))}: pass --map ${field}=#${(hits[0] as number) + 1} (or the other's number)`);
    }
    return hits[0];
  };
  const assign = (field: ImportColumn, idx: number[], quiet = false) => {
    sources[field] = idx;
    idx.forEach((i) => used.add(i));
    if (!quiet) how.push({ field, text: `${idx.map((i) => label(headerCells, i)).join(" + ")} → ${field}` });
  };

  // 1. --map
  for (const field of IMPORT_COLUMNS) {
    const names = mapping[field];
    if (!names) continue;
    const idx: number[] = [];
    for (const name of names) {
      const n = /^#(\d+)$/.exec(name.trim());
      if (n) {
        const i = Number(n[1]) - 1;
        if (i < 0 || i >= headerCells.length) errors.push(`--map ${field}=${name}: the file has ${headerCells.length} columns`);
        else idx.push(i);
        continue;
      }
      const i = find(foldHeader(name), field, true);
      if (i === undefined) errors.push(`--map ${field}=${name}: the file has no column ${JSON.stringify(name)} (its columns: ${columnList()})`);
      else idx.push(i);
    }
    if (idx.length === names.length) assign(field, idx, true);
  }

  // 2. The fields' own names.
  for (const field of IMPORT_COLUMNS) {
    if (sources[field] || mapping[field]) continue;
    const i = find(foldHeader(field), field);
    if (i !== undefined) assign(field, [i], true);
  }

  // 3. Synonyms. start_time first: its date column may serve end_time too.
  const firstOf = (names: readonly string[], field: ImportColumn): number | undefined => {
    for (const name of names) {
      const i = find(name, field);
      if (i !== undefined) return i;
    }
    return undefined;
  };
  const open = (field: ImportColumn) => !sources[field] && !mapping[field];
  let dateColumn: number | undefined;
  if (open("start_time")) {
    const date = firstOf(DATE_COLUMNS, "start_time");
    const time = date === undefined ? undefined : firstOf(START_TIME_OF_DAY, "start_time");
    if (date !== undefined && time !== undefined) {
      assign("start_time", [date, time]);
      dateColumn = date;
    } else {
      const one = firstOf(START_DATE_TIME, "start_time") ?? date;
      if (one !== undefined) assign("start_time", [one]);
    }
  } else if ((sources.start_time?.length ?? 0) > 1) {
    dateColumn = sources.start_time?.[0];
  }
  for (const field of ["external_id", "client_name", "client_phone", "end_time", "allow_followup", "status"] as const) {
    if (!open(field)) continue;
    let i = firstOf(SYNONYMS[field], field);
    if (i === undefined && field === "allow_followup") {
      const hit = folded.findIndex((f, j) => !used.has(j) && CONSENT_PATTERN.test(f) && !NOT_CONSENT.test(f));
      if (hit !== -1) i = hit;
    }
    if (i === undefined) continue;
    if (field === "end_time" && dateColumn !== undefined && END_TIME_OF_DAY.has(folded[i] as string)) assign(field, [dateColumn, i]);
    else assign(field, [i]);
  }

  // company_id: the column or --company, not both.
  const company = opts.companyFromFlag?.trim();
  if (opts.companyFromFlag !== undefined && !company) errors.push("--company is empty: give the company's id");
  if (company && sources.company_id) {
    errors.push(`both --company and a company_id column (${JSON.stringify(label(headerCells, sources.company_id[0] as number))}): drop --company, or the column`);
  }
  const missing = REQUIRED_COLUMNS.filter((c) => !sources[c] && !mapping[c] && !(c === "company_id" && company));
  if (missing.includes("company_id")) {
    errors.push("no company_id column: pass --company <id> when every row is for one company, or --map company_id=<column>");
  }
  const others = missing.filter((c) => c !== "company_id");
  if (others.length) {
    const arg = others.map((c) => `${c}=<column>`).join(",");
    errors.push(`no column for ${others.join(", ")}: pass --map "${arg}" (the file's columns: ${columnList()})`);
  }

  const ignored = headerCells.flatMap((h, i) => (!used.has(i) && h.trim() ? [h.trim()] : []));
  const notes: string[] = [];
  how.sort((a, b) => IMPORT_COLUMNS.indexOf(a.field) - IMPORT_COLUMNS.indexOf(b.field));
  if (how.length) notes.push(`columns read as: ${how.map((h) => h.text).join(", ")}`);
  if (ignored.length) notes.push(`not imported (no field uses them): ${ignored.join(", ")}`);
  return { sources, ...(company ? { company } : {}), ignored, notes, errors };
}

/**
 * One data row as the fields' raw text: each field from its source columns (joined with
 * joinDateTime when several; missing cells are ""), company_id from --company when given.
 * Fields the plan lacks (status, when the file has none) are absent.
 */
export function recordFromRow(plan: HeaderPlan, cells: readonly string[]): Partial<Record<ImportColumn, string>> {
  const out: Partial<Record<ImportColumn, string>> = {};
  for (const field of IMPORT_COLUMNS) {
    const idx = plan.sources[field];
    if (!idx) continue;
    out[field] = idx.length === 1 ? (cells[idx[0] as number] ?? "").trim() : joinDateTime(idx.map((i) => cells[i] ?? ""));
  }
  if (plan.company) out.company_id = plan.company;
  return out;
}
