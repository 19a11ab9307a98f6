import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { renderStackedChart, terminalChalk } from "../../src/render/chart.js";
import { displayWidth, fitWidth, renderFittedTable } from "../../src/render/fitted-table.js";
import { compactPhone, relativeTime, statusLabel } from "../../src/render/followup-format.js";
import { paints, terminalWidth } from "../helpers/views.js";

describe("fitted table", () => {
  test("display width: emoji 2, accents 1, ANSI 0; cutting keeps within the width", () => {
    assert.equal(displayWidth("👍 positive"), 11);
    assert.equal(displayWidth("✖  failed"), 9);
    assert.equal(displayWidth("José"), 4);
    assert.equal(displayWidth("\u001b[32mok\u001b[39m"), 2);
    assert.equal(fitWidth("Maria Aparecida", 8), "Maria A…");
    assert.equal(displayWidth(fitWidth("💬💬💬💬", 5)), 5);
  });

  test("any mix of long cells fits the width, one line per row", () => {
    const cols = [
      { header: "id", align: "right" as const }, { header: "name", flex: 2, min: 6 }, { header: "status" }, { header: "note", flex: 1, min: 4 },
    ];
    for (const width of [40, 60, 80, 120]) {
      const rows = Array.from({ length: 20 }, (_, i) => [String(10 ** (i % 7)), "Nome ".repeat(i + 1), statusLabel(i % 2 ? "positive" : "failed"), "x".repeat(i * 5)]);
      const lines = renderFittedTable(cols, rows, width).split("\n");
      assert.equal(lines.length, 22);
      for (const l of lines) assert.ok(terminalWidth(l) <= width, `${width}: ${l}`);
    }
  });

  test("status labels line up whatever the icon's width; phones are masked", () => {
    const widths = (["positive", "negative", "feedback", "scheduled", "sending", "sent", "failed", "skipped"] as const).map(
      (s) => terminalWidth(statusLabel(s)) - s.length,
    );
    assert.ok(widths.every((w) => w === 3), String(widths));
    assert.equal(compactPhone("5511999990000"), "5511…00");
    assert.equal(relativeTime("2026-11-25T12:00:00.000Z", new Date("2026-11-25T15:00:00.000Z")), "3h ago");
    assert.equal(relativeTime("2026-11-25T15:45:00.000Z", new Date("2026-11-25T15:00:00.000Z")), "in 45m");
  });
});

describe("stacked chart", () => {
  const dates = Array.from({ length: 10 }, (_, i) => `2026-11-${String(i + 10).padStart(2, "0")}`);
  const bottom = [1, 2, 0, 3, 1, 0, 2, 4, 1, 0];
  const top = bottom.map((b, i) => b + [1, 0, 2, 1, 0, 0, 3, 1, 0, 2][i]!);

  test("without colors: no escape codes, axis, first and last date labels, legend, within the width", () => {
    const out = renderStackedChart({ dates, bottom, top, width: 60, color: terminalChalk(0) });
    assert.ok(!out.includes("\u001b"));
    assert.match(out, /└─+/);
    assert.match(out, /10\/11.*19\/11/);
    assert.match(out, /── 👍 positive/);
    for (const l of out.split("\n")) assert.ok(terminalWidth(l) <= 60, l);
    // The y axis goes up to the highest total (positive + negative).
    assert.match(out.split("\n")[0]!, new RegExp(`^${Math.max(...top)} [┼┤]`));
  });

  test("with colors: the bottom series is green, the top (total) red", () => {
    const out = renderStackedChart({ dates, bottom, top, width: 60, color: terminalChalk(1) });
    assert.ok(paints(out, 32), "green");
    assert.ok(paints(out, 31), "red");
  });
});
