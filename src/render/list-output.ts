import { UsageError } from "../errors.js";
import { stripControl } from "./safe-text.js";

/**
 * One output convention for every list command: `--format table|json|csv` (`--json` is kept as
 * the shortcut for `--format json`); CSV takes `--csv-delimiter ';'` and `--bom` for Excel in
 * pt-BR, which opens a UTF-8 file with semicolons and a byte-order mark without an import wizard.
 */
export const LIST_FORMATS = ["table", "json", "csv"] as const;
export type ListFormat = (typeof LIST_FORMATS)[number];

export interface ListOutputOptions {
  json?: boolean;
  format?: string;
  csvDelimiter?: string;
  bom?: boolean;
}

export function listFormat(o: ListOutputOptions): ListFormat {
  if (o.json) {
    if (o.format && o.format.toLowerCase() !== "json") throw new UsageError(`--json and --format ${o.format} disagree: pass one of them`);
    return "json";
  }
  const f = (o.format ?? "table").toLowerCase();
  if (!(LIST_FORMATS as readonly string[]).includes(f)) throw new UsageError(`unknown --format "${o.format}": use table, json or csv`);
  return f as ListFormat;
}

export interface CsvStyle {
  delimiter: string;
  bom: boolean;
}

/** --csv-delimiter (",", ";", "tab" or "|") and --bom. */
export function csvStyle(o: ListOutputOptions): CsvStyle {
  const d = o.csvDelimiter ?? ",";
  const delimiter = d === "tab" || d === "\\t" ? "\t" : d;
  if (![",", ";", "\t", "|"].includes(delimiter)) throw new UsageError(`--csv-delimiter "${d}" is not one of , ; tab |`);
  return { delimiter, bom: !!o.bom };
}

/**
 * One CSV cell. Text cells lose control characters and escape sequences (customer text opened in
 * a terminal or a spreadsheet) and a leading =, +, -, @ makes them text, not a formula ('=…).
 * Numbers stay numbers.
 */
export function csvCell(v: unknown, delimiter = ","): string {
  if (v === null || v === undefined) return "";
  let s = typeof v === "object" ? JSON.stringify(v) : String(v);
  if (typeof v === "string" || typeof v === "object") {
    s = stripControl(s);
    if (/^[=+\-@]/.test(s)) s = `'${s}`;
  }
  return s.includes(delimiter) || /["\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A header line and one line per row (CRLF, as Excel writes), with the BOM when asked. */
export function toCsvText(fields: readonly string[], rows: readonly Record<string, unknown>[], style: CsvStyle = { delimiter: ",", bom: false }): string {
  const lines = [fields.join(style.delimiter)];
  for (const r of rows) lines.push(fields.map((f) => csvCell(r[f], style.delimiter)).join(style.delimiter));
  return `${style.bom ? "\uFEFF" : ""}${lines.join("\r\n")}\r\n`;
}

/** `--limit`'s ceiling on every paged list: a page is held in memory (`followups list --all` streams past it). */
export const MAX_PAGE_ROWS = 10_000;

/**
 * The line a csv/json page ends with on stderr when rows were left out (so the data itself stays
 * parseable): which rows, of how many, and how to get the rest.
 */
export function cutNote(p: { page: number; limit: number; shown: number; total: number; noun: (n: number) => string; rest: string }): string {
  const first = (p.page - 1) * p.limit + 1;
  const range = p.shown ? `rows ${first}–${first + p.shown - 1}` : `no rows (page ${p.page} is past the end)`;
  return `# cut: ${range} of ${p.noun(p.total)} (--limit ${p.limit}, at most ${MAX_PAGE_ROWS.toLocaleString("en")}): ${p.rest}`;
}
