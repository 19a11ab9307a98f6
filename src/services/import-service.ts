import { CsvError, parse } from "csv-parse";
import { parse as parseSync } from "csv-parse/sync";
import { createReadStream, fstatSync, openSync, statSync } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Clock } from "../clock.js";
import { UserError } from "../errors.js";
import { appointmentWriter } from "../store/appointments.js";
import { writeAudit } from "../store/audit.js";
import { listCompanies, type CompanyRow } from "../store/companies.js";
import type { Q, Store } from "../store/store.js";
import { saveImportMapping } from "../store/import-mappings.js";
/** A company's saved --map (`appointments import --save-map`). */
export { getImportMapping } from "../store/import-mappings.js";
import { DuplicateTracker } from "../domain/import-dedupe.js";
import { mapHeader, recordFromRow, type ColumnMapping, type HeaderPlan } from "../domain/import-mapping.js";
import { parseAppointmentStatus, parseConsent, parseImportDateTime, parseImportEndTime, parseImportPhone } from "../domain/import-values.js";
import { planFollowup } from "../domain/lifecycle.js";
import { appointmentUpserter, parseAppointmentTime, validateAppointment, type RawAppointment } from "./appointment-service.js";
import { schedulingPolicy } from "./company-service.js";
import { decodeImportStream, type ImportDecoder, type ImportEncodingOption } from "./import-decode.js";

export const CSV_HEADER = ["company_id", "external_id", "client_name", "client_phone", "start_time", "end_time", "allow_followup"] as const;

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
  /**
   * Rows that are an appointment already known under another external id (the same company,
   * phone and start: typically a WhatsApp booking the clinic exports under its own id): the
   * clinic's id is linked to it, only its status and consent apply, no second follow-up.
   * Not counted in inserted / updated / unchanged.
   */
  linked: number;
  /** Of `linked`, those booked over WhatsApp. */
  linked_whatsapp: number;
  invalid: number;
  errors: string[];
  /** Said once before the summary: how columns were read, ignored columns, the encoding, exact repeats. */
  notes: string[];
  /** Rows that repeated an earlier row exactly (counted once). */
  duplicates: number;
  /** What happens to the file's follow-ups (of the rows imported or matched). */
  followups: { scheduled: number; expired: number; no_consent: number; cancelled: number; already_handled: number; opted_out: number };
  /** Every valid row ended before now: probably an old export. */
  all_past: boolean;
}

/** How to read the file's columns (CSV): --map, a saved mapping, --company. */
export interface ImportReading {
  mapping?: ColumnMapping;
  company?: string;
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
export function parseImport(text: string, format: "csv" | "jsonl", reading: ImportReading = {}): { records: ImportRecord[]; errors: string[]; notes: string[] } {
  const records: ImportRecord[] = [];
  const errors: string[] = [];
  const sink: RecordSink = { rejected: (m) => errors.push(m), record: (line, raw) => void records.push({ line, raw }) };
  const body = text.replace(/^\uFEFF/, "");
  if (format === "jsonl") {
    const lines = body.split(/\r?\n/);
    lines.forEach((l, i) => jsonLine(l, i + 1, sink, reading.company));
    return { records, errors, notes: [] };
  }
  let rows: CsvRow[];
  try {
    rows = parseSync(body.replace(/\r\n?/g, "\n"), csvOptions(body.split("\n", 1)[0] ?? "")) as unknown as CsvRow[];
  } catch (err) {
    throw csvError(err as Error);
  }
  if (!rows[0]) throw emptyCsv();
  const header = checkHeader(rows[0].record, reading);
  for (let i = 1; i < rows.length; i++) csvRecord(rows[i] as CsvRow, header, sink);
  return { records, errors, notes: header.notes };
}

function jsonLine(l: string, line: number, sink: RecordSink, company?: string): void | Promise<void> {
  if (!l.trim()) return;
  let v: unknown;
  try {
    v = JSON.parse(l);
  } catch {
    sink.rejected(`line ${line}: not valid JSON`);
    return;
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) sink.rejected(`line ${line}: not a JSON object`);
  else {
    const raw = v as RawAppointment;
    if (company && (raw.company_id === undefined || raw.company_id === "")) raw.company_id = company;
    return sink.record(line, raw);
  }
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

/**
 * Which column holds which field (mapHeader: --map, the field names, Brazilian synonyms), or a
 * UserError listing what is missing; unknown extra columns are ignored with one note.
 */
function checkHeader(record: string[], reading: ImportReading): HeaderPlan & { width: number } {
  const plan = mapHeader(record, reading.mapping ?? {}, reading.company !== undefined ? { companyFromFlag: reading.company } : {});
  if (plan.errors.length) throw new UserError(`the CSV header is wrong: ${plan.errors.join("; ")}`);
  return { ...plan, width: record.length };
}

function csvRecord({ record, info }: CsvRow, header: HeaderPlan & { width: number }, sink: RecordSink): void | Promise<void> {
  // info.lines is where the record ends; a quoted field with line breaks starts it earlier.
  let line = info.lines;
  for (const field of record) {
    for (let at = field.indexOf("\n"); at !== -1; at = field.indexOf("\n", at + 1)) line--;
  }
  if (record.length !== header.width) {
    sink.rejected(`line ${line}: has ${record.length} fields, the header has ${header.width}`);
    return;
  }
  return sink.record(line, recordFromRow(header, record));
}

export interface ImportOptions {
  file: string;
  format: "csv" | "jsonl";
  skipInvalid: boolean;
  clock: Clock;
  onProgress?: (done: number, total: number) => void;
  /** CSV columns: --map / saved mapping, --company (also fills a JSON line without company_id). */
  reading?: ImportReading;
  /** --encoding (default auto: UTF-8 with or without BOM, else Windows-1252). */
  encoding?: ImportEncodingOption;
  /** --save-map: when the import is written, keep reading.mapping as reading.company's saved mapping. */
  saveMapping?: boolean;
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
  private readonly duplicates = new DuplicateTracker();
  private readonly upsert;
  private readonly errors: string[] = [];
  private readonly counts = { inserted: 0, updated: 0, unchanged: 0, linked: 0, linked_whatsapp: 0 };
  private readonly followups = { scheduled: 0, expired: 0, no_consent: 0, cancelled: 0, already_handled: 0, opted_out: 0 };
  private readonly policies = new Map<string, ReturnType<typeof schedulingPolicy>>();
  private valid = 0;
  private past = 0;
  private rows = 0;
  /** Notes of the header and the decoder, said before the summary. */
  readonly notes: string[] = [];

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

  async record(line: number, input: RawAppointment): Promise<void> {
    this.rows++;
    const company = this.company(String(input.company_id ?? "").trim());
    const { raw, problems } = readImportValues(input, company?.timezone ?? "America/Sao_Paulo");
    const v = validateAppointment(raw, this.company);
    if (!v.ok || problems.length) {
      // The import's own readers explain dates and statuses better than the ISO-only validator.
      const own = new Set(problems.map((p) => p.split(" ", 1)[0]));
      const rest = v.ok ? [] : v.problems.filter((p) => !own.has(p.split(" ", 1)[0]));
      this.errors.push(`line ${line}: ${[...problems, ...rest].join("; ")}`);
      return;
    }
    const d = v.data;
    const check = this.duplicates.check(line, { ...d, allow_followup: d.allow_followup ? 1 : 0 });
    if (check.kind === "repeat") return;
    if (check.kind === "conflict") {
      this.errors.push(check.error);
      return;
    }
    const now = this.opts.clock();
    const found = await this.upsert.resolveOrInsert(d, v.company);
    const existing = found.via === "none" || found.via === "inserted" ? undefined : found.row;
    let data = d;
    let optedOut: boolean;
    if (found.via === "inserted") {
      optedOut = found.saved.optedOut;
      this.counts.inserted += 1;
      this.valid++;
      if (Date.parse(data.end_time) < now.getTime()) this.past++;
    } else if (found.via === "alias" || found.via === "slot") {
      // One appointment under two ids: the clinic's status and consent apply to it; its time, client
      // and follow-up plan stay as they are (no second follow-up, none moved).
      const e = found.row;
      data = { ...d, external_id: e.external_id, client_name: e.client_name, client_phone: e.client_phone, start_time: e.start_time, end_time: e.end_time };
      const saved = await this.upsert.save(data, v.company, e);
      optedOut = saved.optedOut;
      if (found.via === "slot") await this.link(d.company_id, d.external_id, e);
      this.counts.linked++;
      if (e.source === "whatsapp") this.counts.linked_whatsapp++;
      this.valid++;
      if (Date.parse(data.end_time) < now.getTime()) this.past++;
      // Its follow-up is the linked appointment's, counted when it was booked: only a change (cancelled, consent) is news.
      if (saved.result === "unchanged") return;
    } else {
      const saved = await this.upsert.save(d, v.company, existing);
      optedOut = saved.optedOut;
      this.counts[saved.result] += 1;
      this.valid++;
      if (Date.parse(data.end_time) < now.getTime()) this.past++;
    }
    // Consent given, but the phone is on the company's do-not-contact list: skipped as opted_out.
    const before = existing?.followup_status;
    if (optedOut && (!before || before === "scheduled" || before === "skipped")) this.followups.opted_out++;
    else this.tally(data, v.company, existing?.followup_status, now);
  }

  /** The clinic's id becomes another name of the appointment found at the same slot; audited. */
  private async link(companyId: string, externalId: string, to: { id: number; external_id: string; source: string }): Promise<void> {
    const nowIso = this.opts.clock().toISOString();
    await appointmentWriter.link(this.t, companyId, externalId, to.id, nowIso);
    await writeAudit(this.t, {
      action: "appointment_linked", appointment_id: to.id, company_id: companyId,
      payload: { external_id: externalId, linked_to: to.external_id, source: to.source, file: this.opts.file }, created_at: nowIso,
    });
  }

  /** What this row's follow-up will be, as planFollowup decides it (or already handled: sent, answered…). */
  private tally(d: { status: string; allow_followup: boolean; end_time: string }, company: CompanyRow, existing: string | undefined, now: Date): void {
    if (existing && existing !== "scheduled" && existing !== "skipped") {
      this.followups.already_handled++;
      return;
    }
    let policy = this.policies.get(company.id);
    if (!policy) this.policies.set(company.id, (policy = schedulingPolicy(company)));
    const plan = planFollowup({ status: d.status as "booked" | "cancelled", allow_followup: d.allow_followup, end_time: new Date(d.end_time) }, policy, now);
    if (plan.followup_status === "scheduled") this.followups.scheduled++;
    else this.followups[plan.followup_skip_reason === "expired" ? "expired" : plan.followup_skip_reason === "cancelled" ? "cancelled" : "no_consent"]++;
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
      linked: refused ? 0 : this.counts.linked, linked_whatsapp: refused ? 0 : this.counts.linked_whatsapp,
      invalid: errors.length, errors,
      notes: [...this.notes, ...this.duplicates.notes()], duplicates: this.duplicates.repeats,
      followups: { ...this.followups }, all_past: this.valid > 0 && this.past === this.valid,
    };
    if (refused) throw new ImportRefused(summary);
    const { reading, saveMapping } = this.opts;
    if (saveMapping && reading?.company && reading.mapping) {
      await saveImportMapping(this.t, reading.company, reading.mapping as Record<string, string[]>, this.opts.clock().toISOString());
    }
    await writeAudit(this.t, {
      action: "appointments_imported",
      payload: {
        file: this.opts.file, inserted: summary.inserted, updated: summary.updated, unchanged: summary.unchanged, invalid: summary.invalid,
        ...(summary.duplicates ? { duplicates: summary.duplicates } : {}), ...(summary.linked ? { linked: summary.linked } : {}),
      },
      created_at: this.opts.clock().toISOString(),
    });
    return summary;
  }
}

/**
 * Runs one import in one transaction: all of it is written, or (refused, or any error) none of it.
 * `replayable`: whether `feed` can run again when the store retries the transaction (PostgreSQL
 * does after a deadlock): a streamed file cannot (its rows are read), so the retry fails instead
 * of committing what little is left to read.
 */
async function runImport(store: Store, opts: Omit<ImportOptions, "onProgress">, feed: (run: ImportRun) => Promise<void>, replayable = true): Promise<ImportSummary> {
  let attempts = 0;
  try {
    return await store.tx(async (t) => {
      if (++attempts > 1 && !replayable) {
        throw new UserError(`${opts.file}: the import met a conflicting write (another import of the same appointments at the same time?) and was rolled back, nothing imported: run it again`);
      }
      const companies = new Map((await listCompanies(t)).map((c) => [c.id, c]));
      const run = new ImportRun(t, companies, opts);
      await feed(run);
      return run.finish();
    }, { growsTable: "appointments" });
  } catch (err) {
    if (err instanceof ImportRefused) return err.summary;
    throw err;
  }
}

/**
 * Imports already parsed records atomically (see ImportRun); unless skipInvalid, one bad
 * record means nothing is written.
 */
export async function importAppointments(store: Store, parsed: { records: ImportRecord[]; errors: string[]; notes?: string[] }, opts: ImportOptions): Promise<ImportSummary> {
  const summary = await runImport(store, opts, async (run) => {
    run.notes.push(...(parsed.notes ?? []));
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
  // Bytes, not setEncoding: the decoder tells UTF-8 from Windows-1252 (Excel in pt-BR).
  let decoder: ImportDecoder | undefined;
  const chunks = decodeImportStream(stream as AsyncIterable<Uint8Array>, opts.encoding ?? "auto", (d) => (decoder = d));
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
    const reading = opts.reading ?? {};
    const summary = await runImport(store, { file: source.name, format, skipInvalid: opts.skipInvalid, clock: opts.clock, reading, saveMapping: opts.saveMapping }, async (r) => {
      await (format === "jsonl" ? streamJsonLines(text(), r, reading, progress) : streamCsv(text(), firstLine, r, reading, progress));
      // Read at the end: a long ASCII start decides the encoding late.
      if (decoder?.note) r.notes.unshift(decoder.note);
    }, false);
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

async function streamJsonLines(text: AsyncIterable<string>, run: ImportRun, reading: ImportReading, progress?: () => void): Promise<void> {
  let line = 0;
  let carry = "";
  for await (const chunk of text) {
    const t = carry + chunk;
    let from = 0;
    for (let nl = t.indexOf("\n"); nl !== -1; nl = t.indexOf("\n", from)) {
      await jsonLine(t.slice(from, nl), ++line, run, reading.company);
      from = nl + 1;
    }
    carry = t.slice(from);
    progress?.();
  }
  await jsonLine(carry, ++line, run, reading.company);
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

async function streamCsv(text: AsyncIterable<string>, firstLine: string, run: ImportRun, reading: ImportReading, progress?: () => void): Promise<void> {
  const parser = parse(csvOptions(firstLine));
  // Errors of the feed reach us through the parser (pipeline destroys it with them).
  const feeding = pipeline(Readable.from(unixNewlines(text)), parser).catch(() => undefined);
  let header: (HeaderPlan & { width: number }) | undefined;
  try {
    for await (const row of parser as AsyncIterable<CsvRow>) {
      if (!header) {
        header = checkHeader(row.record, reading);
        run.notes.push(...header.notes);
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

/**
 * The values of clinic exports ("24/11/2026 14h", "Agendado", "sim", "0XX92 99123-4567") read
 * into what validateAppointment takes (UTC ISO, booked/cancelled, true/false, digits). A value
 * the readers refuse stays as it was for the validator when it accepts it (ISO forms the readers
 * leave out); otherwise the reader's reason is the problem.
 */
export function readImportValues(input: RawAppointment, zone: string): { raw: RawAppointment; problems: string[] } {
  const raw: RawAppointment = { ...input };
  const problems: string[] = [];
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const start = str(input.start_time);
  let startUtc: string | undefined;
  if (start?.trim()) {
    const r = parseImportDateTime(start, zone);
    if (r.ok) raw.start_time = startUtc = r.value;
    else if (parseAppointmentTime(start, zone)) startUtc = parseAppointmentTime(start, zone)?.toISOString();
    else problems.push(`start_time ${r.reason}`);
  }
  const end = str(input.end_time);
  if (end?.trim()) {
    const r = startUtc ? parseImportEndTime(end, zone, startUtc) : parseImportDateTime(end, zone);
    if (r.ok) raw.end_time = r.value;
    else if (!parseAppointmentTime(end, zone)) problems.push(`end_time ${r.reason}`);
  }
  const phone = str(input.client_phone);
  if (phone?.trim()) {
    const r = parseImportPhone(phone);
    // Digits with the country code: "+" so the validator does not read them as a national number.
    if (r.ok) raw.client_phone = `+${r.value}`;
  }
  const consent = input.allow_followup;
  if (typeof consent === "string" || typeof consent === "number") {
    const r = parseConsent(String(consent));
    if (r.ok) raw.allow_followup = r.value;
  }
  const status = str(input.status);
  if (status !== undefined) {
    const r = parseAppointmentStatus(status);
    if (r.ok) raw.status = r.value;
    else problems.push(`status ${r.reason}`);
  }
  return { raw, problems };
}
