/**
 * `secretaria daemon` as a long-running subprocess with JSON logs: started on port 0, its URL
 * read from the daemon_started line, stopped with a signal. Used by the /metrics benchmark and
 * by the chaos suite.
 */
import { dbTarget } from "./pg.js";
import { startCli, type Background } from "./processes.js";

export interface DaemonProcess {
  bg: Background;
  pid: number;
  /** http://127.0.0.1:PORT once the daemon_started line arrived, else null. */
  url(): string | null;
  /** Resolves with the URL once the daemon serves, rejects if it exits first or after timeoutMs. */
  ready(timeoutMs?: number): Promise<string>;
  /** Lines with an event of level error (for the reports). */
  errors(): string[];
}

export interface DaemonProcessOptions {
  /** A SQLite file path, or a postgres:// URL (passed in SECRETARIA_DB, out of the process list). */
  db: string;
  /** Extra flags after `daemon` (e.g. --schedule, --concurrency). --port 0 and --log-format json are added. */
  args?: string[];
  env?: Record<string, string | undefined>;
  /** Every parsed log event. */
  onEvent?: (event: Record<string, unknown>) => void;
}

export function startDaemon(o: DaemonProcessOptions): DaemonProcess {
  let url: string | null = null;
  const errors: string[] = [];
  const waiters = new Set<() => void>();
  const target = dbTarget(o.db);
  const bg = startCli([...target.args, "daemon", "--port", "0", "--log-format", "json", ...(o.args ?? [])], {
    env: { ...o.env, ...target.env },
    onLine(line) {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch {
        errors.push(line);
        return;
      }
      if (event.event === "daemon_started" && typeof event.url === "string") {
        url = event.url;
        for (const w of waiters) w();
      }
      if (event.level === "error") errors.push(line);
      o.onEvent?.(event);
    },
  });
  return {
    bg,
    pid: bg.pid,
    url: () => url,
    errors: () => errors,
    ready(timeoutMs = 30_000) {
      if (url) return Promise.resolve(url);
      return new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          if (url) resolve(url);
        };
        const timer = setTimeout(() => {
          waiters.delete(done);
          reject(new Error(`the daemon did not start within ${timeoutMs} ms: ${bg.tail()}`));
        }, timeoutMs);
        waiters.add(done);
        void bg.exited.then(({ code, signal }) => {
          if (url) return;
          clearTimeout(timer);
          waiters.delete(done);
          reject(new Error(`the daemon exited (${signal ?? code}) before serving: ${bg.tail()}`));
        });
      });
    },
  };
}

/** SIGTERM, then SIGKILL when it has not exited after graceMs. */
export async function stopDaemon(d: DaemonProcess, graceMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  d.bg.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const forced = new Promise<void>((r) => {
    timer = setTimeout(() => {
      d.bg.kill("SIGKILL");
      r();
    }, graceMs);
  });
  await Promise.race([d.bg.exited, forced]);
  clearTimeout(timer);
  return d.bg.exited;
}
