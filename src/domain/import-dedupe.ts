/**
 * Repeated appointments within one import file. Pure. Exports often repeat a row (a report
 * re-run and pasted below, a patient listed under two professionals): a row whose parsed values
 * all equal an earlier row with the same (company_id, external_id) is counted once, with a note;
 * the same id with different values is an error naming both lines, since either could be right.
 *
 * Compare records after parsing (phone digits, UTC times, booked/cancelled, true/false): then
 * "(92) 99123-4567" and "5592991234567", or "Agendado" and "confirmado", are the same.
 *
 * Made for a million rows: per key only the first line, a 53-bit hash of the record and one byte
 * per field (to name the fields that differ) are kept, not the record. Two different records
 * with the same key pass for an exact repeat only if their 53-bit hashes collide (about 1 in
 * 10^16 per repeated key).
 */

/** The fields compared besides the key, in the order conflicts name them. */
export const DEDUPE_FIELDS = ["client_name", "client_phone", "start_time", "end_time", "allow_followup", "status"] as const;

/** A parsed record: company_id and external_id, and the compared fields (missing = ""). */
export type DedupeRecord = Readonly<Record<string, string | number | boolean | null | undefined>> & {
  readonly company_id: string;
  readonly external_id: string;
};

export type DuplicateCheck =
  | { kind: "first" }
  /** The same values as `firstLine`: skip this row, count it once. */
  | { kind: "repeat"; firstLine: number; note: string }
  /** The same key with other values: the `error` ("line 9: …") refuses the row. */
  | { kind: "conflict"; firstLine: number; fields: string[]; error: string };

/** The key appointments are upserted by: company_id and external_id. */
export function appointmentKey(record: Pick<DedupeRecord, "company_id" | "external_id">): string {
  return `${record.company_id}\u0000${record.external_id}`;
}

/** cyrb53: a fast 53-bit string hash (public domain, bryc), exact as a JS number. */
function hash53(s: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

const text = (v: unknown) => (v === null || v === undefined ? "" : String(v));

/**
 * Remembers each key's first line as rows stream by. `K` is the key type: by default
 * appointmentKey's string; an importer that already resolves rows to integer ids may pass those
 * (less memory than strings on a million rows).
 */
export class DuplicateTracker<K = string> {
  private readonly index = new Map<K, number>();
  private lines = new Uint32Array(1024);
  private hashes = new Float64Array(1024);
  private fieldHashes: Uint8Array;
  private repeatCount = 0;
  private readonly repeatNotes: string[] = [];

  constructor(private readonly fields: readonly string[] = DEDUPE_FIELDS, private readonly keepNotes = 1000) {
    this.fieldHashes = new Uint8Array(1024 * fields.length);
  }

  /**
   * Records `line` for `key` (default appointmentKey(record)) if new, else compares it with the
   * first line that had it. A conflicting row is not remembered: later repeats compare with
   * the first line still.
   */
  check(line: number, record: DedupeRecord, key: K = appointmentKey(record) as K): DuplicateCheck {
    const values = this.fields.map((f) => text(record[f]));
    const h = hash53(values.join("\u0000"));
    const at = this.index.get(key);
    if (at === undefined) {
      this.remember(key, line, h, values);
      return { kind: "first" };
    }
    const firstLine = this.lines[at] as number;
    if (this.hashes[at] === h) {
      this.repeatCount++;
      const note = `line ${line} repeats line ${firstLine} exactly: counted once`;
      if (this.repeatNotes.length < this.keepNotes) this.repeatNotes.push(note);
      return { kind: "repeat", firstLine, note };
    }
    const n = this.fields.length;
    const fields = this.fields.filter((_, i) => this.fieldHashes[at * n + i] !== (hash53(values[i] as string, i + 1) & 0xff));
    const what = fields.length ? `a different ${fields.join(", ")}` : "different data";
    const error =
      `line ${line}: external_id ${JSON.stringify(record.external_id)} of company ${record.company_id} repeats line ${firstLine} with ${what}: ` +
      "keep the right one of the two lines";
    return { kind: "conflict", firstLine, fields, error };
  }

  /** Rows skipped as exact repeats so far. */
  get repeats(): number {
    return this.repeatCount;
  }

  /** Keys seen. */
  get size(): number {
    return this.index.size;
  }

  /**
   * The repeat notes to print: the first `limit`, then one line for the rest
   * ("…and 950 more lines repeat an earlier line exactly").
   */
  notes(limit = 20): string[] {
    const shown = this.repeatNotes.slice(0, Math.min(limit, this.repeatCount));
    const more = this.repeatCount - shown.length;
    if (more > 0) shown.push(`…and ${more} more line${more === 1 ? "" : "s"} repeat an earlier line exactly: each counted once`);
    return shown;
  }

  private remember(key: K, line: number, h: number, values: readonly string[]): void {
    const at = this.index.size;
    if (at === this.lines.length) this.grow();
    this.index.set(key, at);
    this.lines[at] = line;
    this.hashes[at] = h;
    const n = this.fields.length;
    for (let i = 0; i < n; i++) this.fieldHashes[at * n + i] = hash53(values[i] as string, i + 1) & 0xff;
  }

  private grow(): void {
    const size = this.lines.length * 2;
    const lines = new Uint32Array(size);
    lines.set(this.lines);
    const hashes = new Float64Array(size);
    hashes.set(this.hashes);
    const fieldHashes = new Uint8Array(size * this.fields.length);
    fieldHashes.set(this.fieldHashes);
    this.lines = lines;
    this.hashes = hashes;
    this.fieldHashes = fieldHashes;
  }
}

export interface DedupeResult<T> {
  /** Rows to import: first occurrences (a conflicting row is left out). */
  kept: T[];
  /** Exact repeats, one note each ("line 7 repeats line 3 exactly: counted once"). */
  notes: string[];
  /** Conflicts, one error each, in line order. */
  errors: string[];
}

/** DuplicateTracker over a whole list (for small files and tests). */
export function dedupeRecords<T extends { line: number; record: DedupeRecord }>(rows: readonly T[]): DedupeResult<T> {
  const tracker = new DuplicateTracker(DEDUPE_FIELDS, Infinity);
  const kept: T[] = [];
  const notes: string[] = [];
  const errors: string[] = [];
  for (const row of rows) {
    const c = tracker.check(row.line, row.record);
    if (c.kind === "first") kept.push(row);
    else if (c.kind === "repeat") notes.push(c.note);
    else errors.push(c.error);
  }
  return { kept, notes, errors };
}
