import { parse } from "csv-parse/sync";
import { readFileSync } from "node:fs";
import type { Clock } from "../clock.js";
import { UserError } from "../errors.js";
import type { Db } from "../store/db.js";
import { writeAudit } from "../store/audit.js";
import { getCompany, type CompanyRow } from "../store/companies.js";
import { appointmentSaver, validateAppointment, type RawAppointment } from "./appointment-service.js";

export const CSV_HEADER = ["company_id", "external_id", "client_name", "client_phone", "start_time", "end_time", "allow_followup"] as const;
const OPTIONAL = ["status"];

export interface ImportRecord {
  line: number;
  raw: RawAppointment;
}

export interface ImportSummary {
  file: string;
  format: "csv" | "jsonl";
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  invalid: number;
  errors: string[];
}

export function readImportFile(path: string, stdin?: () => string): { text: string; name: string } {
  if (path === "-") return { text: stdin ? stdin() : readFileSync(0, "utf8"), name: "stdin" };
  try {
    return { text: readFileSync(path, "utf8"), name: path };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UserError(`cannot read ${path}: no such file`);
    if (code === "EISDIR") throw new UserError(`cannot read ${path}: it is a folder, not a CSV or JSON-lines file`);
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

export function detectFormat(name: string, text: string): "csv" | "jsonl" {
  if (/\.(jsonl|ndjson|json)$/i.test(name)) return "jsonl";
  if (/\.csv$/i.test(name)) return "csv";
  return text.trimStart().startsWith("{") ? "jsonl" : "csv";
}

/** Parses CSV (header required) or JSON lines into records with their 1-based line numbers. */
export function parseImport(text: string, format: "csv" | "jsonl"): { records: ImportRecord[]; errors: string[] } {
  const records: ImportRecord[] = [];
  const errors: string[] = [];
  const body = text.replace(/^\uFEFF/, "");
  if (format === "jsonl") {
    const lines = body.split(/\r?\n/);
    lines.forEach((l, i) => {
      if (!l.trim()) return;
      try {
        const v: unknown = JSON.parse(l);
        if (!v || typeof v !== "object" || Array.isArray(v)) errors.push(`line ${i + 1}: not a JSON object`);
        else records.push({ line: i + 1, raw: v as RawAppointment });
      } catch {
        errors.push(`line ${i + 1}: not valid JSON`);
      }
    });
    return { records, errors };
  }
  let rows: { record: string[]; info: { lines: number } }[];
  // Excel in a pt-BR locale saves "CSV" separated by semicolons: follow the header line.
  const firstLine = body.split("\n", 1)[0] ?? "";
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ";" : ",";
  try {
    // csv-parse counts "\r\n" inside quoted fields as two lines: normalise so line numbers match an editor's.
    rows = parse(body.replace(/\r\n?/g, "\n"), { delimiter, info: true, skip_empty_lines: true, relax_column_count: true, trim: true, bom: true }) as unknown as typeof rows;
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    throw new UserError(`the CSV cannot be read${line ? ` at line ${line}` : ""}: ${(err as Error).message.replace(/^Invalid Record Length: /, "")} — check quotes and separators (comma- or semicolon-separated, UTF-8)`);
  }
  const header = rows[0]?.record.map((h) => h.toLowerCase());
  if (!header) throw new UserError(`the CSV is empty: the first line must be the header ${CSV_HEADER.join(",")}[,status]`);
  const missing = CSV_HEADER.filter((h) => !header.includes(h));
  // Unnamed columns (a spreadsheet's trailing commas) are ignored; a repeated name would be ambiguous.
  const unknown = header.filter((h) => h && !(CSV_HEADER as readonly string[]).includes(h) && !OPTIONAL.includes(h));
  const repeated = header.filter((h, i) => h && header.indexOf(h) !== i);
  if (missing.length || unknown.length || repeated.length) {
    const parts = [
      missing.length ? `missing ${missing.join(", ")}` : "",
      unknown.length ? `unknown ${unknown.join(", ")}` : "",
      repeated.length ? `repeated ${[...new Set(repeated)].join(", ")}` : "",
    ].filter(Boolean);
    throw new UserError(`the CSV header is wrong (${parts.join("; ")}): it must be ${CSV_HEADER.join(",")}[,status]`);
  }
  for (const { record, info } of rows.slice(1)) {
    // info.lines is where the record ends; a quoted field with line breaks starts it earlier.
    const line = info.lines - record.reduce((n, field) => n + (field.match(/\n/g)?.length ?? 0), 0);
    if (record.length !== header.length) {
      errors.push(`line ${line}: has ${record.length} fields, the header has ${header.length}`);
      continue;
    }
    const raw: RawAppointment = {};
    header.forEach((h, i) => {
      if (h) raw[h] = record[i];
    });
    records.push({ line, raw });
  }
  return { records, errors };
}

/**
 * Imports records atomically: every record is validated first; unless skipInvalid, one bad
 * record means nothing is written. The upsert runs in a single IMMEDIATE transaction.
 */
export function importAppointments(
  db: Db,
  parsed: { records: ImportRecord[]; errors: string[] },
  opts: { file: string; format: "csv" | "jsonl"; skipInvalid: boolean; clock: Clock; onProgress?: (done: number, total: number) => void },
): ImportSummary {
  const errors = [...parsed.errors];
  const companies = new Map<string, CompanyRow | undefined>();
  const company = (id: string) => {
    if (!companies.has(id)) companies.set(id, getCompany(db, id));
    return companies.get(id);
  };
  const seen = new Map<string, number>();
  const valid: { line: number; data: ReturnType<typeof validateAppointment> & { ok: true } }[] = [];
  for (const r of parsed.records) {
    const v = validateAppointment(r.raw, company);
    if (!v.ok) {
      errors.push(`line ${r.line}: ${v.problems.join("; ")}`);
      continue;
    }
    const key = `${v.data.company_id}\u0000${v.data.external_id}`;
    const first = seen.get(key);
    if (first !== undefined) {
      errors.push(`line ${r.line}: external_id "${v.data.external_id}" repeats line ${first} for company ${v.data.company_id}`);
      continue;
    }
    seen.set(key, r.line);
    valid.push({ line: r.line, data: v });
  }
  errors.sort((a, b) => lineOf(a) - lineOf(b));
  const summary: ImportSummary = {
    file: opts.file, format: opts.format, rows: parsed.records.length + parsed.errors.length,
    inserted: 0, updated: 0, unchanged: 0, invalid: errors.length, errors,
  };
  if (errors.length && !opts.skipInvalid) return summary;
  const save = appointmentSaver(db, opts.clock);
  db.transaction(() => {
    valid.forEach((v, i) => {
      const { result } = save(v.data.data, v.data.company);
      summary[result] += 1;
      if (opts.onProgress && i % 2000 === 0) opts.onProgress(i, valid.length);
    });
    writeAudit(db, {
      action: "appointments_imported",
      payload: { file: opts.file, inserted: summary.inserted, updated: summary.updated, unchanged: summary.unchanged, invalid: summary.invalid },
      created_at: opts.clock().toISOString(),
    });
  }).immediate();
  opts.onProgress?.(valid.length, valid.length);
  return summary;
}

function lineOf(msg: string): number {
  return Number(/^line (\d+)/.exec(msg)?.[1] ?? 0);
}
