import { count } from "../render/plural.js";
import { statSync } from "node:fs";
import { whaticketFromEnv } from "../config.js";
import {
  clockProblem, dbPermissionProblem, placeholderProblem, swallowedBusinessWindows, tokenProblems, type SetupProblem,
} from "../domain/setup-checks.js";
import { deliverySummary } from "../store/booking-deliveries.js";
import { listCompanies } from "../store/companies.js";
import type { Store } from "../store/store.js";
import { gatewayOf, missingCompanyTargetReason } from "./gateway-service.js";
import { countSecrets, UNENCRYPTED_WARNING } from "./company-secrets.js";
import { isSealed, openSecret, SECRET_COLUMNS, secretKeyFromEnv, type SecretKey } from "./secret-box.js";

export interface DoctorOptions {
  /** The --db location: a SQLite path gets its permissions checked. */
  dbPath: string;
  env: NodeJS.ProcessEnv;
  /** --online: try each Whaticket base URL. */
  online: boolean;
  timeoutMs?: number;
}

/** "company x has no …: run `…`" → problem and fix. */
function split(reason: string): { problem: string; fix: string } {
  const at = reason.indexOf(": ");
  return at === -1 ? { problem: reason, fix: "see secretaria companies add --help" } : { problem: reason.slice(0, at), fix: reason.slice(at + 2) };
}

/** Every problem of the setup, each with its fix (empty: all good). */
export async function diagnose(db: Store, o: DoctorOptions): Promise<SetupProblem[]> {
  const problems: SetupProblem[] = [];
  const defaults = whaticketFromEnv(o.env);
  const companies = await listCompanies(db);
  const urls = new Map<string, string[]>();
  let key: SecretKey | null = null;
  /** A malformed key (or unsafe key file): the stored secrets are not judged against it. */
  let keyBroken = false;
  try {
    key = secretKeyFromEnv(o.env);
  } catch (err) {
    keyBroken = true;
    problems.push({ check: "secret_key", ...split((err as Error).message) });
  }
  for (const c of companies) {
    // Each stored secret that cannot be decrypted with this key, once (not again as a gateway problem).
    const unreadable = new Set<string>();
    for (const column of SECRET_COLUMNS) {
      const stored = c[column];
      if (keyBroken || !isSealed(stored)) continue;
      try {
        openSecret(key, stored!, { company: c.id, column });
      } catch (err) {
        unreadable.add((err as Error).message);
        problems.push({ check: "secrets", company: c.id, ...split((err as Error).message) });
      }
    }
    const missing = keyBroken ? null : missingCompanyTargetReason(c, defaults);
    if (missing && !unreadable.has(missing)) problems.push({ check: "gateway", company: c.id, ...split(missing) });
    if (c.followup_template) {
      const p = placeholderProblem(c.followup_template);
      if (p) problems.push({ check: "template", company: c.id, problem: `company ${c.id}: ${p}`, fix: `secretaria companies add --id ${c.id} --template "Olá, {nome}! Como foi o atendimento {quando}?"` });
    }
    const swallowed = swallowedBusinessWindows(c.business_hours, c.quiet_hours);
    if (swallowed.length) {
      problems.push({
        check: "quiet_hours", company: c.id,
        problem: `company ${c.id}: quiet hours ${c.quiet_hours} cover the whole business day (${swallowed.join("; ")}): nothing is sent while it is open`,
        fix: `secretaria companies add --id ${c.id} --quiet-hours 20:00-08:00 (quiet hours are when NOT to send)`,
      });
    }
    const deliveries = await deliverySummary(db, c.id);
    if (deliveries.failed) {
      problems.push({
        check: "booking_webhook", company: c.id,
        problem: `company ${c.id}: ${count(deliveries.failed, "WhatsApp booking")} could not be sent to its booking webhook (last error: ${deliveries.last_error ?? "?"})`,
        fix: `check the receiver at ${c.booking_webhook_url ?? "(no URL now)"}; the bookings are in secretaria appointments list --source whatsapp --company ${c.id}`,
      });
    }
    const url = gatewayOf(c) === "whaticket" ? (c.whaticket_url?.trim() || defaults.url) : null;
    if (url) urls.set(url, [...(urls.get(url) ?? []), c.id]);
  }
  const counts = countSecrets(companies, key);
  if (counts.plaintext && !keyBroken) {
    const who = `${count(counts.plaintext, "gateway secret is", "gateway secrets are")} stored unencrypted (companies ${counts.plaintextCompanies.slice(0, 10).join(", ")})`;
    problems.push(
      key
        ? { check: "secrets", problem: `${who} although SECRETARIA_SECRET_KEY is set`, fix: "secretaria secrets encrypt" }
        : { check: "secrets", problem: `${who}: no SECRETARIA_SECRET_KEY is set`, fix: UNENCRYPTED_WARNING.replace(/^tokens are stored unencrypted in the database: /, "") },
    );
  }
  problems.push(...tokenProblems(o.env));
  const clock = clockProblem(o.env.SECRETARIA_NOW);
  if (clock) problems.push(clock);
  if (db.dialect === "sqlite") {
    try {
      const perm = dbPermissionProblem(o.dbPath, statSync(o.dbPath).mode);
      if (perm) problems.push(perm);
    } catch {
      // In-memory or vanished: nothing to check.
    }
  }
  if (o.online) {
    for (const [url, ids] of urls) {
      const why = await unreachable(url, o.timeoutMs ?? 5000);
      if (why) problems.push({ check: "whaticket", company: ids.join(","), problem: `Whaticket at ${url} (${ids.join(", ")}) is unreachable: ${why}`, fix: "check the URL (secretaria companies show ID), DNS and the firewall from this host" });
    }
  }
  return problems;
}

/** Why the URL does not answer at all (any HTTP status counts as reachable), or null. */
async function unreachable(url: string, timeoutMs: number): Promise<string | null> {
  try {
    const res = await fetch(url, { method: "HEAD", signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
    await res.body?.cancel();
    return null;
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string; errors?: { code?: string }[] } };
    if (e.name === "TimeoutError") return `no answer within ${timeoutMs / 1000} s`;
    return e.cause?.code ?? e.cause?.errors?.[0]?.code ?? e.cause?.message ?? e.message;
  }
}
