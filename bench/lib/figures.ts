/**
 * Figures of a benchmark run: samples reduced to median and min–max, each figure paired with
 * the baseline measured in the same run, and the table printed at the end.
 */

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
  samples: number[];
}

export function summarize(samples: number[]): Summary {
  if (!samples.length) throw new Error("no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, n: samples.length, samples };
}

export type Unit = "ms" | "s" | "msg/s" | "MiB" | "ms/msg" | "KiB/msg";

export interface Figure {
  /** Stable key in results.json, e.g. "burst.0ms.c8.throughput". */
  id: string;
  section: string;
  /** The storage engine the figure was measured on, where both are measured (the burst). */
  engine?: "sqlite" | "postgres";
  label: string;
  unit: Unit;
  value: Summary;
  baseline?: { label: string; unit: Unit; value: Summary };
  /**
   * value.median / baseline.median, with the extremes over the samples (min/max and max/min).
   * Read it as "times the floor" (durations, memory) or "fraction of the bound" (throughput).
   */
  ratio?: { median: number; min: number; max: number };
  note?: string;
  /** A figure the issue set a bound on: met when the median (of the ratio, or of the value) is on the right side. */
  target?: Target;
}

export interface Target {
  of: "ratio" | "value";
  op: ">=" | "<=";
  bound: number;
  met: boolean;
}

/** Checks the figure's median (ratio or value) against a bound and records the verdict on it. */
export function withTarget(f: Figure, of: Target["of"], op: Target["op"], bound: number): Figure {
  const v = of === "ratio" ? f.ratio?.median : f.value.median;
  const met = v !== undefined && (op === ">=" ? v >= bound : v <= bound);
  return { ...f, target: { of, op, bound, met } };
}

export function targetText(t: Target, unit: Unit): string {
  return `target: ${t.of} ${t.op === ">=" ? "≥" : "≤"} ${t.bound}${t.of === "ratio" ? "×" : ` ${unit}`}: ${t.met ? "MET" : "MISSED"}`;
}

export function ratioOf(value: Summary, baseline: Summary): Figure["ratio"] {
  if (baseline.median <= 0 || baseline.min <= 0) return undefined;
  return { median: value.median / baseline.median, min: value.min / baseline.max, max: value.max / baseline.min };
}

export function figure(f: Omit<Figure, "ratio"> & { ratio?: Figure["ratio"] }): Figure {
  return { ...f, ratio: f.ratio ?? (f.baseline ? ratioOf(f.value, f.baseline.value) : undefined) };
}

function num(v: number, unit: Unit): string {
  if (unit === "ms") return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  if (unit === "s") return v.toFixed(1);
  if (unit === "ms/msg") return v.toFixed(3);
  if (unit === "KiB/msg") return v.toFixed(1);
  if (unit === "msg/s") return v >= 100 ? v.toFixed(0) : v.toFixed(1);
  return v.toFixed(0);
}

export function formatSummary(s: Summary, unit: Unit): string {
  if (s.n === 1) return `${num(s.median, unit)} ${unit} (n=1)`;
  return `${num(s.median, unit)} ${unit} [${num(s.min, unit)}–${num(s.max, unit)}] n=${s.n}`;
}

export function formatRatio(r: Figure["ratio"]): string {
  if (!r) return "–";
  const f = (v: number) => (v >= 10 ? v.toFixed(1) : v.toFixed(2));
  return `${f(r.median)}× [${f(r.min)}–${f(r.max)}]`;
}

/** A plain-text table that fits a wide terminal and pastes into Markdown code blocks. */
export function renderTable(figures: Figure[]): string {
  const rows = figures.map((f) => [
    f.label,
    formatSummary(f.value, f.unit),
    f.baseline ? `${f.baseline.label}: ${formatSummary(f.baseline.value, f.baseline.unit)}` : "",
    formatRatio(f.ratio),
  ]);
  const header = ["figure", "measured (median [min–max])", "baseline (same run)", "ratio"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  const out: string[] = [line(header), widths.map((w) => "─".repeat(w)).join("  ")];
  let section = "";
  figures.forEach((f, i) => {
    if (f.section !== section) {
      if (section) out.push("");
      section = f.section;
      out.push(`[${section}]`);
    }
    out.push(line(rows[i]!));
    if (f.note) out.push(`    ${f.note}`);
    if (f.target) out.push(`    ${targetText(f.target, f.unit)}`);
  });
  return out.join("\n");
}
