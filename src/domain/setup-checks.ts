import { formatClock, parseBusinessHours, parseQuietHours, type QuietHours } from "./hours.js";
import { TEMPLATE_PLACEHOLDERS } from "./messages.js";

/**
 * The pure checks of `secretaria doctor`: each returns the problems it finds, each problem with
 * what is wrong and how to fix it. No database, no clock, no network (the service gathers those).
 */
export interface SetupProblem {
  /** Short id of the check: gateway, template, token, db_permissions, clock, whaticket, quiet_hours. */
  check: string;
  /** The company it is about, when it is about one. */
  company?: string;
  problem: string;
  fix: string;
}

/** Tokens shorter than this are guessable (SECRETARIA_API_TOKEN enforces it too). */
export const MIN_TOKEN_LENGTH = 24;

/** Braced words of a template that are not {nome} or {quando}: "{name}", "{ nome_completo }". */
export function unknownPlaceholders(template: string): string[] {
  const allowed = new Set<string>(TEMPLATE_PLACEHOLDERS.map((p) => p.slice(1, -1)));
  const found = [...template.matchAll(/\{\s*([^{}\s]*)\s*\}/g)].filter((m) => !allowed.has((m[1] ?? "").toLowerCase()));
  return [...new Set(found.map((m) => m[0]))];
}

/** The reason a template's placeholders are wrong, or null ({nome} and {quando} only). */
export function placeholderProblem(template: string): string | null {
  const bad = unknownPlaceholders(template);
  if (!bad.length) return null;
  return `the template uses ${bad.join(", ")}, which would go out to clients as written: use only ${TEMPLATE_PLACEHOLDERS.join(" and ")}`;
}

/** Is the minute-of-day `m` inside the quiet window (which may wrap midnight)? */
function quietAt(q: QuietHours, m: number): boolean {
  return q.start < q.end ? m >= q.start && m < q.end : m >= q.start || m < q.end;
}

/**
 * Business-hour windows wholly inside quiet hours: nothing could ever be sent while the business
 * is open, e.g. quiet 08:00-20:00 with business mon-fri 09:00-18:00. Returns "mon-fri 09:00-18:00"-like
 * descriptions of the swallowed windows (empty when fine or unparseable: companies add checks syntax).
 */
export function swallowedBusinessWindows(businessHours: string, quietHours: string): string[] {
  let q: QuietHours | null;
  let windows: ReturnType<typeof parseBusinessHours>;
  try {
    q = parseQuietHours(quietHours);
    windows = parseBusinessHours(businessHours);
  } catch {
    return [];
  }
  if (!q) return [];
  const quiet = q;
  const names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  const out: string[] = [];
  for (const w of windows) {
    let all = true;
    for (let m = w.start; m < w.end; m++) if (!quietAt(quiet, m)) all = false;
    if (all) out.push(`${w.days.map((d) => names[d - 1]).join(",")} ${formatClock(w.start)}-${formatClock(w.end)}`);
  }
  return out;
}

export interface TokenEnv {
  SECRETARIA_API_TOKEN?: string;
  SECRETARIA_WEBHOOK_TOKEN?: string;
}

/** Weak (short) tokens, and the API token equal to the webhook's (one leak would open both). */
export function tokenProblems(env: TokenEnv): SetupProblem[] {
  const out: SetupProblem[] = [];
  for (const name of ["SECRETARIA_API_TOKEN", "SECRETARIA_WEBHOOK_TOKEN"] as const) {
    const v = env[name]?.trim();
    if (v && v.length < MIN_TOKEN_LENGTH) {
      out.push({ check: "token", problem: `${name} has ${v.length} characters: a short token can be guessed`, fix: `set ${name} to at least ${MIN_TOKEN_LENGTH} random characters, e.g. $(openssl rand -hex 24)` });
    }
  }
  const api = env.SECRETARIA_API_TOKEN?.trim();
  if (api && api === env.SECRETARIA_WEBHOOK_TOKEN?.trim()) {
    out.push({ check: "token", problem: "SECRETARIA_API_TOKEN equals SECRETARIA_WEBHOOK_TOKEN: whoever has the webhook URL can use the API", fix: "give each its own random value" });
  }
  return out;
}

/** A SQLite file readable or writable by others than its owner (mode from fs.stat). */
export function dbPermissionProblem(path: string, mode: number): SetupProblem | null {
  const perms = mode & 0o777;
  if ((perms & 0o077) === 0) return null;
  return { check: "db_permissions", problem: `the database ${path} has mode ${perms.toString(8).padStart(4, "0")}: other users can read clients' phones and tokens`, fix: `chmod 600 ${path}` };
}

/** SECRETARIA_NOW left set: the daemon would live at a frozen time. */
export function clockProblem(now: string | undefined): SetupProblem | null {
  if (!now?.trim()) return null;
  return { check: "clock", problem: `SECRETARIA_NOW is set (${now.trim()}): the clock is simulated, so follow-ups go out at the wrong time or never`, fix: "unset SECRETARIA_NOW (it is for tests and demos) in the shell, the .env file or the systemd unit" };
}
