import { UsageError, UserError } from "../errors.js";
import { batchedStderr, createLogger, type LogFormat, type LogLevel } from "../logger.js";
import { DEFAULT_SEND_TIMEOUT_MS } from "../daemon/shutdown.js";
import { commandContext, intOption, type GlobalOptions } from "./context.js";

export interface DaemonCommandOptions extends GlobalOptions {
  once?: boolean;
  schedule?: string;
  concurrency?: string;
  rateLimit?: string;
  maxAttempts?: string;
  sendTimeout?: string;
  port?: string;
  host?: string;
  logFormat?: string;
  logLevel?: string;
}

const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** --log-level, else SECRETARIA_LOG_LEVEL, else info (idle ticks are debug; rejections warn). */
export function parseLogLevel(flag: string | undefined, env: string | undefined): LogLevel {
  const [value, from] = flag !== undefined ? [flag, "--log-level"] : env?.trim() ? [env.trim(), "SECRETARIA_LOG_LEVEL"] : ["info", ""];
  const level = value.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`${from} must be debug, info, warn or error (got "${value}")`);
  return level as LogLevel;
}

/** `--rate-limit`: messages per second for every company (decimals allowed), 0 = off. */
export function parseRateLimit(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n > 1000) {
    throw new UsageError(`--rate-limit must be messages per second from 0 (off) to 1000, e.g. 1 or 0.5 (got "${value}")`);
  }
  return n;
}

export async function runDaemonCommand(o: DaemonCommandOptions): Promise<void> {
  const format = (o.logFormat ?? "text") as LogFormat;
  if (format !== "text" && format !== "json") throw new UsageError(`--log-format must be text or json (got "${o.logFormat}")`);
  const level = parseLogLevel(o.logLevel, process.env.SECRETARIA_LOG_LEVEL);
  const concurrency = intOption("--concurrency", o.concurrency, 8, 1, 256);
  const maxAttempts = intOption("--max-attempts", o.maxAttempts, 5, 1, 100);
  const port = intOption("--port", o.port, 9464, 0, 65535);
  const sendTimeoutMs = intOption("--send-timeout", o.sendTimeout, DEFAULT_SEND_TIMEOUT_MS, 100, 120_000);
  const rateLimit = parseRateLimit(o.rateLimit);
  const host = o.host?.trim() || "127.0.0.1";
  const ctx = commandContext(o);
  const { runDaemon, validateSchedule, DEFAULT_SCHEDULE } = await import("../daemon/daemon.js");
  const schedule = o.schedule ?? DEFAULT_SCHEDULE;
  validateSchedule(schedule);
  // Batched: one write per turn of the event loop, not one per message sent.
  const logger = createLogger({ format, level, write: batchedStderr().write });
  const result = await runDaemon({
    dbPath: ctx.dbPath,
    clock: ctx.clock,
    logger,
    once: !!o.once,
    schedule,
    concurrency,
    rateLimit,
    maxAttempts,
    sendTimeoutMs,
    port,
    host,
  });
  if (result && !result.ok) throw new UserError(`the delivery pass failed: ${result.error ?? "see the log above"}`);
}
