import { isAscii, isUtf8 } from "node:buffer";
import { TextDecoder } from "node:util";
import { UsageError, UserError } from "../errors.js";

/**
 * Bytes of an import file → text. Clinics export from Excel, whose "CSV" in a pt-BR Windows is
 * Windows-1252 ("João" = 4A 6F E3 6F), and from web systems, which write UTF-8 (often with a
 * byte-order mark). `auto` tells them apart: valid UTF-8 is UTF-8, anything else Windows-1252
 * (every byte means something in it, so it never fails).
 *
 * Large files (the importer streams a million rows): createImportDecoder sniffs the first chunk
 * (SNIFF_BYTES is plenty) and then decodes chunk by chunk with a streaming TextDecoder; or
 * decodeImportStream wraps a byte stream. A file that is plain ASCII for its first megabytes
 * stays undecided until its first non-ASCII chunk decides (ASCII reads the same either way, so
 * nothing already returned changes). A byte that is not UTF-8 after UTF-8 was decided (an
 * explicit --encoding utf-8, or accented text seen earlier) is an ImportDecodeError naming its
 * line and offset.
 *
 * Windows-1252 is decoded here by table, not by TextDecoder: since Node 20.18.3 / 22.13.0,
 * TextDecoder("windows-1252") reads 0x80–0x9F as Latin-1 control characters, so Excel's
 * "–" (0x96) or "“" (0x93) came out as invisible U+0096/U+0093 (nodejs/node#60888, #56542).
 */

/** What --encoding accepts (after parseEncodingOption's aliases). "latin1" reads as Windows-1252. */
export type ImportEncodingOption = "auto" | "utf-8" | "windows-1252" | "latin1";
/** What the bytes were read as. */
export type ImportEncoding = "utf-8" | "windows-1252" | "utf-16le" | "utf-16be";

export interface DecodedImport {
  /** The text, without a byte-order mark. */
  text: string;
  encoding: ImportEncoding;
  /** Set when auto did not read plain UTF-8: say it once, so a garbled name can be traced. */
  note?: string;
}

/** How many bytes to sniff before decoding a stream; fewer when the file is shorter. */
export const SNIFF_BYTES = 64 * 1024;

/** A byte that is not valid UTF-8 where UTF-8 was expected ("line 3: byte 0xE3 …"). */
export class ImportDecodeError extends UserError {
  constructor(message: string, readonly line: number, readonly offset: number, readonly byte: number | undefined) {
    super(message);
    this.name = "ImportDecodeError";
  }
}

const ALIASES: Readonly<Record<string, ImportEncodingOption>> = {
  auto: "auto",
  "utf-8": "utf-8", utf8: "utf-8",
  "windows-1252": "windows-1252", windows1252: "windows-1252", cp1252: "windows-1252", "cp-1252": "windows-1252", win1252: "windows-1252", ansi: "windows-1252",
  latin1: "latin1", "latin-1": "latin1", "iso-8859-1": "latin1", "iso8859-1": "latin1",
};

/** --encoding's value ("UTF8", "cp1252", "ISO-8859-1"…) or a UsageError listing what is accepted. */
export function parseEncodingOption(value: string): ImportEncodingOption {
  const e = ALIASES[value.trim().toLowerCase()];
  if (!e) throw new UsageError(`--encoding ${JSON.stringify(value)} is not known: use auto, utf-8, windows-1252 (Excel) or latin1`);
  return e;
}

/**
 * Decodes a whole file. auto: UTF-8 (with or without BOM) when valid, else Windows-1252 with a
 * note; a UTF-16 BOM is read as UTF-16. utf-8: an invalid byte is an ImportDecodeError naming
 * its line. windows-1252/latin1: Windows-1252 (latin1 as WHATWG and browsers read it: the same
 * letters, plus €, smart quotes and dashes in 0x80–0x9F). Excel workbooks (.xlsx/.xls) and
 * other binary files are a UserError saying to save as CSV.
 */
export function decodeImportBytes(buf: Uint8Array, encoding: ImportEncodingOption = "auto"): DecodedImport {
  const d = createImportDecoder(buf, encoding);
  const text = d.decode(buf, false);
  return { text, encoding: d.encoding, ...(d.note ? { note: d.note } : {}) };
}

export interface ImportDecoder {
  /** What the bytes are read as so far ("utf-8" while a plain-ASCII file is undecided). */
  readonly encoding: ImportEncoding;
  /** As DecodedImport.note; may appear late, when a long ASCII start ends in Windows-1252. */
  readonly note: string | undefined;
  /**
   * The text of the next bytes. `stream: true` while more chunks follow (a character split
   * across chunks is kept for the next call), false with the last one (possibly empty).
   */
  decode(chunk: Uint8Array, stream: boolean): string;
}

/**
 * A streaming decoder. `firstChunk` is only looked at (BOM, binary files, and for auto the
 * encoding): pass it to decode() as well, then every following chunk.
 */
export function createImportDecoder(firstChunk: Uint8Array, encoding: ImportEncodingOption = "auto"): ImportDecoder {
  refuseBinary(firstChunk);
  return new StreamDecoder(firstChunk, encoding);
}

/**
 * Decodes a byte stream (fs.createReadStream, process.stdin without setEncoding): sniffs the
 * first SNIFF_BYTES, then yields text chunk by chunk. `onDecoder` gets the decoder once it
 * exists, for its encoding and note (read the note at the end: it can appear late).
 */
export async function* decodeImportStream(
  source: AsyncIterable<Uint8Array | string>,
  encoding: ImportEncodingOption = "auto",
  onDecoder?: (decoder: ImportDecoder) => void,
): AsyncGenerator<string> {
  const head: Uint8Array[] = [];
  let size = 0;
  const it = source[Symbol.asyncIterator]();
  let done = false;
  while (size < SNIFF_BYTES) {
    const n = await it.next();
    if (n.done) {
      done = true;
      break;
    }
    const bytes = asBytes(n.value);
    head.push(bytes);
    size += bytes.length;
  }
  const first = Buffer.concat(head);
  const decoder = createImportDecoder(first, encoding);
  onDecoder?.(decoder);
  const text = decoder.decode(first, !done);
  if (text) yield text;
  if (done) return;
  for (let n = await it.next(); !n.done; n = await it.next()) {
    const t = decoder.decode(asBytes(n.value), true);
    if (t) yield t;
  }
  const rest = decoder.decode(new Uint8Array(0), false);
  if (rest) yield rest;
}

function asBytes(chunk: Uint8Array | string): Uint8Array {
  if (typeof chunk === "string") throw new TypeError("decodeImportStream needs bytes: do not call setEncoding() on the stream");
  return chunk;
}

// ─── Sniffing ────────────────────────────────────────────────────────────────────────────────

const startsWith = (buf: Uint8Array, bytes: readonly number[]) => bytes.every((b, i) => buf[i] === b);
const UTF8_BOM = [0xef, 0xbb, 0xbf];
const UTF16LE_BOM = [0xff, 0xfe];
const UTF16BE_BOM = [0xfe, 0xff];

function refuseBinary(head: Uint8Array): void {
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) {
    throw new UserError("this is an Excel workbook (.xlsx) or another zip file, not a CSV: in Excel, Save As → \"CSV UTF-8 (Comma delimited)\" or \"CSV (separado por vírgulas)\"");
  }
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) {
    throw new UserError("this is an old Excel workbook (.xls), not a CSV: in Excel, Save As → \"CSV UTF-8 (Comma delimited)\" or \"CSV (separado por vírgulas)\"");
  }
  if (!startsWith(head, UTF16LE_BOM) && !startsWith(head, UTF16BE_BOM) && head.includes(0)) {
    throw new UserError("the file has NUL bytes, so it is not a CSV or JSON-lines text (UTF-16 without a byte-order mark?): save it as CSV UTF-8");
  }
}

const hex = (b: number | undefined) => (b === undefined ? "?" : `0x${b.toString(16).toUpperCase().padStart(2, "0")}`);

/**
 * Index of the first byte of the first invalid UTF-8 sequence in `bytes`, or -1. Unless `final`,
 * a sequence cut off by the end of `bytes` is not invalid (the next chunk may complete it).
 * Overlong forms, surrogates and code points above U+10FFFF are invalid, as for TextDecoder.
 */
export function findInvalidUtf8(bytes: Uint8Array, final = true): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let j = 1; j <= need; j++) {
      if (i + j >= n) return final ? i : -1;
      const c = bytes[i + j] as number;
      if (c < lo || c > hi) return i;
      lo = 0x80;
      hi = 0xbf;
    }
    i += need + 1;
  }
  return -1;
}

/** How many bytes at the end of `bytes` start a UTF-8 character that is not complete yet (0–3). */
function incompleteTail(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let k = 1; k <= Math.min(3, n); k++) {
    const b = bytes[n - k] as number;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back
    if (b < 0xc0) return 0;
    const len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    return k < len ? k : 0;
  }
  return 0;
}

// ─── Streaming ───────────────────────────────────────────────────────────────────────────────

type Mode = "pending" | ImportEncoding;

/**
 * Line breaks (\n, \r\n, and a lone \r as csv-parse reads it) counted across chunks, so an
 * error can name the line as an editor shows it.
 */
class LineCounter {
  /** Line breaks before the current chunk. */
  breaks = 0;
  /** The previous chunk ended in \r: a break unless this chunk starts with \n. */
  private cr = false;

  /** Breaks in bytes[0, end) on top of those before; `end` < length when locating an error. */
  count(bytes: Uint8Array, end: number): number {
    // A \r ending the previous chunk is a break unless this one starts with \n (the byte at
    // `end` = 0, when locating, is the bad one: not \n).
    let n = this.cr && bytes.length > 0 && (end === 0 || bytes[0] !== 0x0a) ? 1 : 0;
    for (let i = bytes.indexOf(0x0a); i !== -1 && i < end; i = bytes.indexOf(0x0a, i + 1)) n++;
    for (let i = bytes.indexOf(0x0d); i !== -1 && i < end; i = bytes.indexOf(0x0d, i + 1)) {
      // A \r right before `end` when locating: the byte at `end` is not \n (it is the bad one).
      if (i + 1 < bytes.length ? bytes[i + 1] !== 0x0a : end < bytes.length) n++;
    }
    return n;
  }

  /** Moves past a whole chunk. */
  advance(bytes: Uint8Array): void {
    if (!bytes.length) return;
    // A \r at the very end is not counted yet: the next chunk tells whether \n follows.
    this.breaks += this.count(bytes, bytes.length);
    this.cr = bytes[bytes.length - 1] === 0x0d;
  }
}

const EMPTY = new Uint8Array(0);

/** What Windows-1252 puts at 0x80–0x9F (WHATWG index; 0x81 0x8D 0x8F 0x90 0x9D stay controls). */
const CP1252_C1 = String.fromCharCode(
  0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
  0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
);
const C1 = /[\x80-\x9f]/g;
const HAS_C1 = /[\x80-\x9f]/;

/** Windows-1252 bytes → text: Latin-1 for every byte but 0x80–0x9F, which CP1252_C1 maps. */
export function decodeWindows1252(bytes: Uint8Array): string {
  const s = latin1(bytes);
  return HAS_C1.test(s) ? s.replace(C1, (c) => CP1252_C1[c.charCodeAt(0) - 0x80] as string) : s;
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
}

class StreamDecoder implements ImportDecoder {
  private mode: Mode;
  private text?: TextDecoder;
  private readonly explicit: boolean;
  private readonly lines = new LineCounter();
  /** Bytes given to decode() before the current chunk. */
  private offset = 0;
  /** pending: undecided non-ASCII bytes at the end of the last chunk (a cut character). */
  private carry: Uint8Array = EMPTY;
  /** utf-8: the last chunk's incomplete character, to locate an error in the next one. */
  private tail: Uint8Array = EMPTY;
  private started = false;
  note: string | undefined;

  constructor(first: Uint8Array, option: ImportEncodingOption) {
    this.explicit = option !== "auto";
    const bom = startsWith(first, UTF8_BOM) ? "utf-8" : startsWith(first, UTF16LE_BOM) ? "utf-16le" : startsWith(first, UTF16BE_BOM) ? "utf-16be" : undefined;
    if (bom === "utf-16le" || bom === "utf-16be") {
      if (this.explicit) throw new UserError(`the file is UTF-16 (it starts with a UTF-16 byte-order mark), not ${option}: drop --encoding`);
      this.note = "read as UTF-16 (byte-order mark; Excel's \"Unicode text\")";
      this.mode = bom;
    } else if (option === "utf-8" || (option === "auto" && bom)) {
      this.mode = "utf-8";
    } else if (option === "windows-1252" || option === "latin1") {
      if (bom) throw new UserError(`the file starts with a UTF-8 byte-order mark, so it is UTF-8, not ${option}: pass --encoding utf-8 or drop --encoding`);
      this.mode = "windows-1252";
    } else {
      // auto without a BOM: the first chunk's non-ASCII bytes decide now (decode() then sees
      // the chunk again); plain ASCII stays undecided. More may follow: a cut character at
      // the end is judged later.
      this.mode = "pending";
      const judged = first.subarray(0, first.length - incompleteTail(first));
      if (!isAscii(judged)) this.decide(judged, first);
    }
    if (this.mode !== "pending") this.start();
  }

  get encoding(): ImportEncoding {
    return this.mode === "pending" ? "utf-8" : this.mode;
  }

  decode(chunk: Uint8Array, stream: boolean): string {
    const data = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const at = this.offset - this.carry.length;
    this.carry = EMPTY;
    this.offset += chunk.length;
    let out: string;
    if (this.mode === "pending") out = this.decodePending(data, at, stream);
    else if (this.mode === "utf-8") out = this.decodeUtf8(data, at, stream);
    else if (this.mode === "windows-1252") out = decodeWindows1252(data);
    else out = (this.text as TextDecoder).decode(data, { stream });
    if (!this.started && out) {
      this.started = true;
      if (out.charCodeAt(0) === 0xfeff) out = out.slice(1);
    }
    return out;
  }

  private start(): void {
    // Windows-1252 is one byte per character: decodeWindows1252 needs no state.
    if (this.mode === "windows-1252" || this.mode === "pending") return;
    // ignoreBOM: decode() drops a BOM only at the very start; a U+FEFF later on is text.
    this.text = new TextDecoder(this.mode, { fatal: this.mode === "utf-8", ignoreBOM: true });
  }

  /**
   * Decides auto's encoding from `judged` (non-ASCII bytes, no cut character at the end),
   * which `data` begins with: UTF-8 when valid, else Windows-1252 with a note naming the line.
   */
  private decide(judged: Uint8Array, data: Uint8Array): void {
    if (isUtf8(judged)) {
      this.mode = "utf-8";
    } else {
      this.mode = "windows-1252";
      const bad = findInvalidUtf8(judged, true);
      const line = this.lines.breaks + this.lines.count(data, bad) + 1;
      this.note = `read as Windows-1252 (Excel's default in Brazil): line ${line} has byte ${hex(data[bad])}, which is not UTF-8`;
    }
    this.start();
  }

  private decodePending(data: Uint8Array, at: number, stream: boolean): string {
    let ascii = data;
    if (!isAscii(data)) {
      const judged = stream ? data.subarray(0, data.length - incompleteTail(data)) : data;
      if (!isAscii(judged)) {
        this.decide(judged, data);
        // Everything returned so far was ASCII, which both encodings read the same.
        return this.mode === "utf-8" ? this.decodeUtf8(data, at, stream) : decodeWindows1252(data);
      }
      // Only a character cut by the chunk's end: keep it for the next chunk.
      this.carry = data.slice(judged.length);
      ascii = judged;
    }
    this.lines.advance(ascii);
    return latin1(ascii);
  }

  private decodeUtf8(data: Uint8Array, at: number, stream: boolean): string {
    let out: string;
    try {
      out = (this.text as TextDecoder).decode(data, { stream });
    } catch {
      throw this.invalid(data, at, stream);
    }
    this.lines.advance(data);
    if (!stream) this.tail = EMPTY;
    else {
      // A cut character starts in the last 3 bytes, which may reach back into the previous tail.
      const seen = data.length < 4 && this.tail.length ? Buffer.concat([this.tail, data]) : data;
      this.tail = seen.slice(seen.length - incompleteTail(seen));
    }
    return out;
  }

  private invalid(data: Uint8Array, at: number, stream: boolean): ImportDecodeError {
    // The TextDecoder still held the previous chunk's cut character: look at it with this chunk.
    const whole = this.tail.length ? Buffer.concat([this.tail, data]) : data;
    const start = at - this.tail.length;
    let bad = findInvalidUtf8(whole, !stream);
    if (bad === -1) bad = 0;
    const line = this.lines.breaks + this.lines.count(whole, bad) + 1;
    const byte = whole[bad];
    const offset = start + bad;
    const where = `line ${line}: byte ${hex(byte)} (offset ${offset} in the file)`;
    if (!stream && findInvalidUtf8(whole, false) === -1) {
      return new ImportDecodeError(`${where} starts a UTF-8 character that the file ends before completing: the file is cut short, or pass --encoding windows-1252 if it came from Excel`, line, offset, byte);
    }
    const hint = this.explicit
      ? "pass --encoding windows-1252 if the file came from Excel"
      : "the lines before were UTF-8, so the file mixes encodings: re-export it, or pass --encoding windows-1252 if it came from Excel";
    return new ImportDecodeError(`${where} is not valid UTF-8: ${hint}`, line, offset, byte);
  }
}
