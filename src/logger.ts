import { stripControl } from "./render/safe-text.js";

/**
 * One line per event: readable text by default, JSON with --log-format json.
 * Callers pass phones already masked (maskPhone) and never pass tokens; as a last line of
 * defence, values of keys that look secret are replaced before printing. Values may carry
 * customer text (an error quoting a reply, a name): control characters, escape sequences and
 * bidi overrides are removed, so a log line never acts on the terminal or journal viewer that
 * shows it, and stays one line.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFormat = "text" | "json";

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

const SECRET_KEY = /token|authorization|password|secret/i;
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function scrub(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET_KEY.test(k) && v != null && typeof v !== "boolean" ? "[redacted]" : withoutControls(v, 0);
  return out;
}

/** Strings (also inside arrays and plain objects, a few levels deep) without controls or escape sequences. */
function withoutControls(v: unknown, depth: number): unknown {
  if (typeof v === "string") return stripControl(v);
  if (depth >= 4 || typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) return v.map((x) => withoutControls(x, depth + 1));
  if (Object.getPrototypeOf(v) !== Object.prototype) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [stripControl(k), withoutControls(x, depth + 1)]));
}

function textValue(v: unknown): string {
  if (typeof v === "string") return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

export function createLogger(opts: {
  format?: LogFormat;
  level?: LogLevel;
  write?: (line: string, level: LogLevel) => void;
  now?: () => Date;
} = {}): Logger {
  const format = opts.format ?? "text";
  const min = ORDER[opts.level ?? "info"];
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = opts.now ?? (() => new Date());
  const log = (level: LogLevel) => (event: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[level] < min) return;
    const clean = scrub(fields);
    const time = now().toISOString();
    if (format === "json") {
      write(JSON.stringify({ time, level, event: stripControl(event), ...clean }), level);
    } else {
      const kv = Object.entries(clean).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${textValue(v)}`).join(" ");
      write(`${time} ${level.toUpperCase().padEnd(5)} ${stripControl(event)}${kv ? ` ${kv}` : ""}`, level);
    }
  };
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

/**
 * stderr written in batches: info and debug lines gather for one turn of the event loop (or
 * 64 KiB) and go out in one write, so a burst of a thousand sends costs a few writes, not a
 * thousand. A warning or an error flushes at once, with everything before it, and 'exit' flushes
 * the rest; a SIGKILL loses at most the info lines of the last turn.
 */
export function batchedStderr(): { write: (line: string, level: LogLevel) => void; flush: () => void } {
  let buffer: string[] = [];
  let size = 0;
  let scheduled = false;
  const flush = () => {
    if (!buffer.length) return;
    const text = buffer.join("");
    buffer = [];
    size = 0;
    try {
      process.stderr.write(text);
    } catch {
      // stderr closed: nothing left to tell
    }
  };
  process.on("exit", flush);
  return {
    flush,
    write(line, level) {
      buffer.push(`${line}\n`);
      size += line.length + 1;
      if (level === "warn" || level === "error" || size > 65_536) return flush();
      if (!scheduled) {
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          flush();
        });
      }
    },
  };
}

/** A logger that drops everything (tests, --quiet). */
export const silentLogger: Logger = createLogger({ write: () => {} });
