import * as asciichart from "asciichart";
import { Chalk, supportsColor, type ChalkInstance } from "chalk";
import { displayWidth } from "./fitted-table.js";

/**
 * The release notes' "gráfico empilhado (positivos x negativos) dos últimos 30 dias", in the
 * terminal: two asciichart lines, positives at the bottom (green) and positives + negatives on
 * top (red), so the band between them is the negatives. Dates (dd/MM) under the x axis.
 */

export type ColorLevel = 0 | 1 | 2 | 3;

/**
 * Colors for stdout: FORCE_COLOR wins (as in Node), then NO_COLOR (any non-empty value) turns them
 * off, then they are on only for a terminal. Pipes and files never get escape codes.
 */
export function colorLevel(env: NodeJS.ProcessEnv = process.env, isTTY: boolean = !!process.stdout.isTTY): ColorLevel {
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === "" || force === "true") return 1;
    if (force === "false") return 0;
    const n = Number.parseInt(force, 10);
    return (Number.isNaN(n) ? 1 : Math.max(0, Math.min(3, n))) as ColorLevel;
  }
  if (env.NO_COLOR) return 0;
  if (!isTTY || env.TERM === "dumb") return 0;
  return ((supportsColor && supportsColor.level) || 1) as ColorLevel;
}

export function terminalChalk(level: ColorLevel = colorLevel()): ChalkInstance {
  return new Chalk({ level });
}

export interface StackedChartInput {
  /** local dates yyyy-MM-dd, oldest first */
  dates: string[];
  /** the bottom series (positives) */
  bottom: number[];
  /** the top series (positives + negatives) */
  top: number[];
  /** columns available */
  width: number;
  /** rows of the plot area (default: up to 10) */
  height?: number;
  color: ChalkInstance;
  bottomLabel?: string;
  topLabel?: string;
}

/** The ANSI code chalk opens a style with, for asciichart's per-series colors ("" when colors are off). */
function openCode(style: (s: string) => string): string {
  const marked = style("\u0000");
  return marked.slice(0, marked.indexOf("\u0000"));
}

function ddmm(date: string): string {
  return `${date.slice(8, 10)}/${date.slice(5, 7)}`;
}

export function renderStackedChart(input: StackedChartInput): string {
  const { dates, bottom, top, color } = input;
  const n = dates.length;
  const max = Math.max(0, ...top, ...bottom);
  const labelWidth = Math.max(1, String(max).length);
  const prefix = labelWidth + 2; // "12 ┤"
  // Stretch each day over up to 3 columns when there is room, so the lines read as steps per day.
  const perDay = Math.max(1, Math.min(3, Math.floor((input.width - prefix - 1) / Math.max(1, n))));
  const stretch = (values: number[]) => values.flatMap((v) => Array<number>(perDay).fill(v));
  const height = input.height ?? Math.max(1, Math.min(10, max));

  const colors = color.level > 0 ? [openCode(color.red), openCode(color.green)] : undefined;
  const plot = asciichart.plot([stretch(top), stretch(bottom)], {
    min: 0,
    max: Math.max(1, max),
    height,
    offset: 2,
    // The label sits in one cell before the axis: pad it and add the space before the axis.
    format: (x: number) => `${String(Math.round(x)).padStart(labelWidth)} `,
    ...(colors ? { colors } : {}),
  });

  // x axis: dd/MM labels wherever they fit without touching (at least one space apart), first and last preferred.
  const plotWidth = n * perDay;
  const axis = `${" ".repeat(prefix - 1)}└${"─".repeat(plotWidth)}`;
  const labels = Array<string>(prefix + plotWidth + 6).fill(" ");
  const minGap = 6;
  const step = Math.max(1, Math.ceil(minGap / perDay));
  const chosen = new Set<number>();
  for (let i = 0; i < n; i += step) chosen.add(i);
  if (n > 1) {
    // Prefer ending on the last day (today): drop a label that would collide with it.
    for (const i of [...chosen]) if (i !== n - 1 && (n - 1 - i) * perDay < minGap) chosen.delete(i);
    chosen.add(n - 1);
  }
  for (const i of [...chosen].sort((a, b) => a - b)) {
    const text = ddmm(dates[i]!);
    const at = prefix + i * perDay;
    for (let k = 0; k < text.length; k++) labels[at + k] = text[k]!;
  }
  const legend =
    `${color.green("──")} ${input.bottomLabel ?? "👍 positive"}   ` +
    `${color.red("──")} ${input.topLabel ?? "👍 + 👎 positive + negative"}   (the band between the lines: 👎 negatives)`;
  return [plot, axis, labels.join("").trimEnd(), fitLegend(legend, input.width)].join("\n");
}

/** The legend on one line when it fits, else without its explanation. */
function fitLegend(legend: string, width: number): string {
  if (displayWidth(legend) <= width) return legend;
  return legend.replace(/ {3}\(the band.*$/, "");
}
