import { CsvError, parse } from "csv-parse";
import { parse as parseSync } from "csv-parse/sync";
import { createReadStream, fstatSync, openSync, statSync } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Clock } from "../clock.js";
import { UserError } from "../errors.js";
import { writeAudit } from "../store/audit.js";
import { listCompanies, type CompanyRow } from "../store/companies.js";
import type { Q, Store } from "../store/store.js";
import { appointmentUpserter, validateAppointment, type RawAppointment } from "./appointment-service.js";

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

export function detectFormat(name: string, text: string): "csv" | "jsonl" {
  if (/\.(jsonl|ndjson|json)$/i.test(name)) return "jsonl";
  if (/\.csv$/i.test(name)) return "csv";
  return text.trimStart().startsWith("{") ? "jsonl" : "csv";
}

/** Where parsers put what they read: a record with its line, or a row they had to reject. */
interface RecordSink {
  rejected(message: string): void;
  record(line: number, raw: RawAppointment): void | Promise<void>;
}

interface CsvRow {
  record: string[];
  info: { lines: number };
}

/** Parses CSV (header required) or JSON lines into records with their 1-based line numbers. */
export function parseImport(text: string, format: "csv" | "jsonl"): { records: ImportRecord[]; errors: string[] } {
  const records: ImportRecord[] = [];
  const errors: string[] = [];
  const sink: RecordSink = { rejected: (m) => errors.push(m), record: (line, raw) => void records.push({ line, raw }) };
  const body = text.replace(/^\uFEFF/, "");
  if (format === "jsonl") {
    const lines = body.split(/\r?\n/);
    lines.forEach((l, i) => jsonLine(l, i + 1, sink));
    return { records, errors };
  }
  let rows: CsvRow[];
  try {
    rows = parseSync(body.replace(/\r\n?/g, "\n"), csvOptions(body.split("\n", 1)[0] ?? "")) as unknown as CsvRow[];
  } catch (err) {
    throw csvError(err as Error);
  }
  if (!rows[0]) throw emptyCsv();
  const header = checkHeader(rows[0].record);
  for (let i = 1; i < rows.length; i++) csvRecord(rows[i] as CsvRow, header, sink);
  return { records, errors };
}

function jsonLine(l: string, line: number, sink: RecordSink): void | Promise<void> {
  if (!l.trim()) return;
  let v: unknown;
  try {
    v = JSON.parse(l);
  } catch {
    sink.rejected(`line ${line}: not valid JSON`);
    return;
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) sink.rejected(`line ${line}: not a JSON object`);
  else return sink.record(line, v as RawAppointment);
}

function csvOptions(firstLine: string) {
  // Excel in a pt-BR locale saves "CSV" separated by semicolons: follow the header line.
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ";" : ",";
  return { delimiter, info: true, skip_empty_lines: true, relax_column_count: true, trim: true, bom: true } as const;
}

function csvError(err: Error): UserError {
  const line = (err as { lines?: number }).lines;
  return new UserError(`the CSV cannot be read${line ? ` at line ${line}` : ""}: ${err.message.replace(/^Invalid Record Length: /, "")} — check quotes and separators (comma- or semicolon-separated, UTF-8)`);
}

function emptyCsv(): UserError {
  return new UserError(`the CSV is empty: the first line must be the header ${CSV_HEADER.join(",")}[,status]`);
}

/** The header's column names (lower case; "" for unnamed columns), or a UserError saying what is wrong. */
function checkHeader(record: string[]): string[] {
  const header = record.map((h) => h.toLowerCase());
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
  return header;
}

function csvRecord({ record, info }: CsvRow, header: string[], sink: RecordSink): void | Promise<void> {
  // info.lines is where the record ends; a quoted field with line breaks starts it earlier.
  let line = info.lines;
  for (const field of record) {
    for (let at = field.indexOf("\n"); at !== -1; at = field.indexOf("\n", at + 1)) line--;
  }
  if (record.length !== header.length) {
    sink.rejected(`line ${line}: has ${record.length} fields, the header has ${header.length}`);
    return;
  }
  const raw: RawAppointment = {};
  for (let i = 0; i < header.length; i++) {
    const h = header[i];
    if (h) raw[h] = record[i];
  }
  return sink.record(line, raw);
}

export interface ImportOptions {
  file: string;
  format: "csv" | "jsonl";
  skipInvalid: boolean;
  clock: Clock;
  onProgress?: (done: number, total: number) => void;
}

/** finish() found invalid rows without skipInvalid: the transaction is rolled back, the summary still reported. */
class ImportRefused extends Error {
  constructor(readonly summary: ImportSummary) {
    super("import refused");
  }
}

/**
 * One import as it goes: each record is validated and upserted as it arrives, inside the
 * caller's single transaction (runImport); finish() writes the audit row, or throws ImportRefused
 * when a row is invalid and not skipped, so the transaction rolls back. Parsers feed it row by
 * row, so nothing holds the whole file.
 */
class ImportRun {
  private readonly company = (id: string) => this.companies.get(id);
  // Line of each row this import wrote or matched, by row id: a second hit is a repeat within the file.
  // Integer keys, not "company\0external_id" strings: a tenth of the memory on a million rows.
  private readonly lineById = new Map<number, number>();
  private readonly upsert;
  private readonly errors: string[] = [];
  private readonly counts = { inserted: 0, updated: 0, unchanged: 0 };
  private rows = 0;

  constructor(
    private readonly t: Q,
    private readonly companies: Map<string, CompanyRow>,
    private readonly opts: Omit<ImportOptions, "onProgress">,
  ) {
    this.upsert = appointmentUpserter(t, opts.clock);
  }

  /** A row the parser could not turn into a record ("line N: why"). */
  rejected(message: string): void {
    this.rows++;
    this.errors.push(message);
  }

  async record(line: number, raw: RawAppointment): Promise<void> {
    this.rows++;
    const v = validateAppointment(raw, this.company);
    if (!v.ok) {
      this.errors.push(`line ${line}: ${v.problems.join("; ")}`);
      return;
    }
    const existing = await this.upsert.find(v.data);
    if (existing) {
      const first = this.lineById.get(existing.id);
      if (first !== undefined) {
        this.errors.push(`line ${line}: external_id "${v.data.external_id}" repeats line ${first} for company ${v.data.company_id}`);
        return;
      }
    }
    const { result, id } = await this.upsert.save(v.data, v.company, existing);
    this.lineById.set(id, line);
    this.counts[result] += 1;
  }

  get count(): number {
    return this.rows;
  }

  /** Audits and returns the summary; with invalid rows and no skipInvalid, throws ImportRefused (roll back). */
  async finish(): Promise<ImportSummary> {
    const errors = this.errors.sort((a, b) => lineOf(a) - lineOf(b));
    const refused = errors.length > 0 && !this.opts.skipInvalid;
    const summary: ImportSummary = {
      file: this.opts.file, format: this.opts.format, rows: this.rows,
      inserted: refused ? 0 : this.counts.inserted, updated: refused ? 0 : this.counts.updated, unchanged: refused ? 0 : this.counts.unchanged,
      invalid: errors.length, errors,
    };
    if (refused) throw new ImportRefused(summary);
    await writeAudit(this.t, {
      action: "appointments_imported",
      payload: { file: this.opts.file, inserted: summary.inserted, updated: summary.updated, unchanged: summary.unchanged, invalid: summary.invalid },
      created_at: this.opts.clock().toISOString(),
    });
    return summary;
  }
}

/** Runs one import in one transaction: all of it is written, or (refused, or any error) none of it. */
async function runImport(store: Store, opts: Omit<ImportOptions, "onProgress">, feed: (run: ImportRun) => Promise<void>): Promise<ImportSummary> {
  try {
    return await store.tx(async (t) => {
      const companies = new Map((await listCompanies(t)).map((c) => [c.id, c]));
      const run = new ImportRun(t, companies, opts);
      await feed(run);
      return run.finish();
    });
  } catch (err) {
    if (err instanceof ImportRefused) return err.summary;
    throw err;
  }
}

/**
 * Imports already parsed records atomically (see ImportRun); unless skipInvalid, one bad
 * record means nothing is written.
 */
export async function importAppointments(store: Store, parsed: { records: ImportRecord[]; errors: string[] }, opts: ImportOptions): Promise<ImportSummary> {
  const summary = await runImport(store, opts, async (run) => {
    for (const e of parsed.errors) run.rejected(e);
    for (let i = 0; i < parsed.records.length; i++) {
      const r = parsed.records[i]!;
      await run.record(r.line, r.raw);
      if (opts.onProgress && i % 2000 === 0) opts.onProgress(i, parsed.records.length);
    }
  });
  opts.onProgress?.(parsed.records.length, parsed.records.length);
  return summary;
}

export interface ImportSource {
  stream: Readable;
  /** The file's path, or "stdin". */
  name: string;
  /** Size in bytes when known (a file), for the progress bar. */
  size?: number;
}

/** Opens an import file ("-" = stdin) as a stream; unreadable paths are a UserError now, not mid-import. */
export function openImportSource(path: string): ImportSource {
  if (path === "-") return { stream: process.stdin, name: "stdin" };
  let fd: number;
  try {
    if (statSync(path).isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    fd = openSync(path, "r");
  } catch (err) {
    throw cannotRead(path, err);
  }
  return { stream: createReadStream(path, { fd, highWaterMark: 1 << 20 }), name: path, size: fstatSync(fd).size };
}

function cannotRead(path: string, err: unknown): UserError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new UserError(`cannot read ${path}: no such file`);
  if (code === "EISDIR") return new UserError(`cannot read ${path}: it is a folder, not a CSV or JSON-lines file`);
  return new UserError(`cannot read ${path}: ${(err as Error).message}`);
}

/**
 * Streams a CSV or JSON-lines source into one atomic import: memory stays bounded by the
 * parser's buffer and the per-row bookkeeping, whatever the file's size. The format comes from
 * the name, else from the first bytes. Progress is reported in bytes read (files only).
 */
export async function importStream(
  store: Store,
  source: ImportSource,
  opts: Omit<ImportOptions, "format" | "file"> & { format?: "csv" | "jsonl" },
): Promise<ImportSummary> {
  const stream = source.stream;
  stream.setEncoding("utf8");
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<string>;
  try {
    // Read just enough to see the first line: it tells the format and the CSV separator.
    let head = "";
    let ended = false;
    while (!head.trimStart().includes("\n")) {
      const n = await chunks.next();
      if (n.done) {
        ended = true;
        break;
      }
      head += n.value;
    }
    const format = opts.format ?? detectFormat(source.name, head);
    head = head.replace(/^\uFEFF/, "");
    const firstLine = head.split("\n", 1)[0] ?? "";
    async function* text(): AsyncGenerator<string> {
      if (head) yield head;
      if (ended) return;
      for (let n = await chunks.next(); !n.done; n = await chunks.next()) yield n.value;
    }
    const progress = opts.onProgress && source.size ? () => opts.onProgress?.(bytesRead(stream), source.size ?? 0) : undefined;
    const summary = await runImport(store, { file: source.name, format, skipInvalid: opts.skipInvalid, clock: opts.clock }, (r) =>
      format === "jsonl" ? streamJsonLines(text(), r, progress) : streamCsv(text(), firstLine, r, progress),
    );
    if (source.size) opts.onProgress?.(source.size, source.size);
    return summary;
  } catch (err) {
    if (err instanceof CsvError) throw csvError(err);
    // A read failure of the source (fs errors carry a syscall; SQLite errors, with their own codes, do not).
    if ((err as NodeJS.ErrnoException).syscall && !(err instanceof UserError)) throw cannotRead(source.name, err);
    throw err;
  } finally {
    if (stream !== process.stdin) stream.destroy();
  }
}

function bytesRead(stream: Readable): number {
  return (stream as Readable & { bytesRead?: number }).bytesRead ?? 0;
}

async function streamJsonLines(text: AsyncIterable<string>, run: ImportRun, progress?: () => void): Promise<void> {
  let line = 0;
  let carry = "";
  for await (const chunk of text) {
    const t = carry + chunk;
    let from = 0;
    for (let nl = t.indexOf("\n"); nl !== -1; nl = t.indexOf("\n", from)) {
      await jsonLine(t.slice(from, nl), ++line, run);
      from = nl + 1;
    }
    carry = t.slice(from);
    progress?.();
  }
  await jsonLine(carry, ++line, run);
}

/** csv-parse counts "\r\n" inside quoted fields as two lines: normalise so line numbers match an editor's. */
async function* unixNewlines(text: AsyncIterable<string>): AsyncGenerator<string> {
  let cr = false;
  for await (let chunk of text) {
    if (cr) chunk = `\r${chunk}`;
    // A chunk ending in "\r" may be half of a "\r\n": keep it for the next one.
    cr = chunk.endsWith("\r");
    if (cr) chunk = chunk.slice(0, -1);
    yield chunk.includes("\r") ? chunk.replace(/\r\n?/g, "\n") : chunk;
  }
  if (cr) yield "\n";
}

async function streamCsv(text: AsyncIterable<string>, firstLine: string, run: ImportRun, progress?: () => void): Promise<void> {
  const parser = parse(csvOptions(firstLine));
  // Errors of the feed reach us through the parser (pipeline destroys it with them).
  const feeding = pipeline(Readable.from(unixNewlines(text)), parser).catch(() => undefined);
  let header: string[] | undefined;
  try {
    for await (const row of parser as AsyncIterable<CsvRow>) {
      if (!header) {
        header = checkHeader(row.record);
        continue;
      }
      await csvRecord(row, header, run);
      if (progress && run.count % 4096 === 0) progress();
    }
  } finally {
    parser.destroy();
    await feeding;
  }
  if (!header) throw emptyCsv();
}

function lineOf(msg: string): number {
  return Number(/^line (\d+)/.exec(msg)?.[1] ?? 0);
}
