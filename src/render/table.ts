import Table from "cli-table3";
import { oneLine } from "./safe-text.js";

/**
 * A plain table for the terminal: no borders color, so piped output stays clean. Cells are one
 * line each with control characters and escape sequences removed (customer names, messages).
 */
export function renderTable(head: string[], rows: (string | number)[][], opts: { colWidths?: (number | null)[] } = {}): string {
  const t = new Table({
    head: head.map(oneLine),
    style: { head: [], border: [], compact: true },
    wordWrap: false,
    ...(opts.colWidths ? { colWidths: opts.colWidths } : {}),
  });
  for (const r of rows) t.push(r.map((c) => oneLine(String(c))));
  return t.toString();
}

/** Cuts text to width with an ellipsis, so rows never wrap. */
export function truncate(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join("")}…`;
}
