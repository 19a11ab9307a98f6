import Table from "cli-table3";
import { stripControl } from "./safe-text.js";

/**
 * A borderless cli-table3 table that fits a terminal width: fixed columns keep their natural
 * width, flexible ones (names, errors, payloads) share what is left and are cut with "…",
 * so a row never wraps. Widths are display widths: an emoji takes two columns.
 */

export interface FittedColumn {
  header: string;
  align?: "left" | "right";
  /** Share of the leftover width (0 or absent: fixed at its natural width). */
  flex?: number;
  /** A flexible column is not cut below this (unless nothing else fits). */
  min?: number;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const WIDE = /\p{Emoji_Presentation}|[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/u;
const ZERO = /\p{Mn}|\p{Me}|\u200D|[\uFE00-\uFE0F]/u;

/** Columns a string takes on a terminal: ANSI codes 0, combining marks 0, emoji and CJK 2. */
export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text.replace(ANSI, "")) {
    if (ZERO.test(ch)) continue;
    w += WIDE.test(ch) ? 2 : 1;
  }
  return w;
}

/**
 * Cuts plain text to a display width, ending with "…" when cut. Control characters and escape
 * sequences (customer text: names, messages, feedback) are removed first: a cell never moves the
 * cursor, recolors or retitles the terminal.
 */
export function fitWidth(text: string, width: number): string {
  const flat = stripControl(text).replace(/[\r\n\t]+/g, " ");
  if (displayWidth(flat) <= width) return flat;
  if (width <= 0) return "";
  let out = "";
  let w = 0;
  for (const ch of flat) {
    const cw = ZERO.test(ch) ? 0 : WIDE.test(ch) ? 2 : 1;
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return `${out}…`;
}

/** Width of piped output: nothing is cut for a file, grep or less -S (PIPED_WIDTH is "no limit"). */
export const PIPED_WIDTH = 100_000;

/**
 * The width to fit: COLUMNS, else the terminal's, else `piped` — by default no limit (tables in
 * files and pipes are not cut); charts pass 80, since they stretch to fill whatever they get.
 */
export function outputWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout, env: NodeJS.ProcessEnv = process.env, piped = PIPED_WIDTH): number {
  const fromEnv = Number(env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv >= 20) return fromEnv;
  if (stream.isTTY && stream.columns && stream.columns >= 20) return stream.columns;
  return stream.isTTY ? 80 : piped;
}

/** Column widths: fixed at natural width, flexible ones share the rest; shrinks flexible ones first. */
export function fitColumns(columns: FittedColumn[], rows: string[][], width: number): number[] {
  const natural = columns.map((c, i) => Math.max(displayWidth(c.header), ...rows.map((r) => displayWidth(stripControl(r[i] ?? "")))));
  const room = width - (columns.length - 1); // one space between columns
  const widths = [...natural];
  const flexIdx = columns.map((c, i) => ((c.flex ?? 0) > 0 ? i : -1)).filter((i) => i >= 0);
  const total = () => widths.reduce((a, b) => a + b, 0);
  if (total() <= room) return widths;
  // Cut flexible columns down to their minimum, proportionally to how much they exceed it.
  for (const i of flexIdx) widths[i] = Math.min(natural[i]!, columns[i]!.min ?? 4);
  let spare = room - total();
  if (spare > 0) {
    const weight = flexIdx.reduce((a, i) => a + (columns[i]!.flex ?? 1), 0);
    for (const i of flexIdx) {
      const share = Math.floor((spare * (columns[i]!.flex ?? 1)) / weight);
      widths[i] = Math.min(natural[i]!, widths[i]! + share);
    }
    spare = room - total();
    for (const i of flexIdx) {
      // Hand out what rounding left over, one column at a time.
      const add = Math.min(spare, natural[i]! - widths[i]!);
      widths[i]! += add;
      spare -= add;
    }
  }
  // Still too wide (a very narrow terminal): cut the widest columns, down to 1.
  while (total() > room) {
    let widest = 0;
    widths.forEach((w, i) => {
      if (w > widths[widest]!) widest = i;
    });
    if (widths[widest]! <= 1) break;
    widths[widest]! -= 1;
  }
  return widths;
}

/**
 * Renders rows (plain text cells) fitted to `width`. `paint` may color a cell after it was cut
 * (ANSI codes do not count toward widths).
 */
export function renderFittedTable(
  columns: FittedColumn[],
  rows: string[][],
  width: number,
  paint?: (cell: string, row: number, col: number) => string,
): string {
  const widths = fitColumns(columns, rows, width);
  const blank = {
    top: "", "top-mid": "", "top-left": "", "top-right": "", bottom: "", "bottom-mid": "", "bottom-left": "", "bottom-right": "",
    left: "", "left-mid": "", mid: "─", "mid-mid": " ", right: "", "right-mid": "", middle: " ",
  };
  const table = new Table({
    head: columns.map((c, i) => fitWidth(c.header, widths[i]!)),
    chars: blank,
    style: { head: [], border: [], compact: true, "padding-left": 0, "padding-right": 0 },
    colWidths: widths,
    colAligns: columns.map((c) => c.align ?? "left"),
    wordWrap: false,
  });
  rows.forEach((r, ri) => {
    table.push(columns.map((_, ci) => {
      const cut = fitWidth(r[ci] ?? "", widths[ci]!);
      return paint ? paint(cut, ri, ci) : cut;
    }));
  });
  return table
    .toString()
    .split("\n")
    .map((l) => l.trimEnd())
    .join("\n");
}
