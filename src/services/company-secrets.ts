import { UsageError, UserError } from "../errors.js";
import { listCompanies, type CompanyRow } from "../store/companies.js";
import { setCompanySecret } from "../store/company-secrets.js";
import type { Store } from "../store/store.js";
import {
  isSealed, KEY_ENV, KEY_FILE_ENV, openSecret, readKeyFile, SECRET_COLUMNS, sealedKeyId, sealSecret, secretKeyFromEnv, secretLabel,
  type SecretColumn, type SecretKey,
} from "./secret-box.js";

/**
 * The companies' gateway secrets as the rest of the program sees them: written sealed under the
 * process's key (when one is configured), read back in clear. The key is read from the
 * environment once per process and each value is decrypted once per process (a cache keyed by
 * the stored value), so the delivery loop never decrypts per message.
 */

/** Said once by `companies add` when a token is saved without a key, and by `doctor`. */
export const UNENCRYPTED_WARNING =
  "tokens are stored unencrypted in the database: make a key with `secretaria secrets keygen`, set SECRETARIA_SECRET_KEY (or SECRETARIA_SECRET_KEY_FILE) for every secretaria command and the daemon, then run `secretaria secrets encrypt`";

type SecretFields = Pick<CompanyRow, "id"> & Partial<Record<SecretColumn, string | null>>;

let source: NodeJS.ProcessEnv = process.env;
let loaded: { key: SecretKey | null } | null = null;
const clear = new Map<string, string>();

/** Reads the key from `env` from now on (the daemon passes its own environment). */
export function useSecretKeyFrom(env: NodeJS.ProcessEnv): void {
  source = env;
  loaded = null;
  clear.clear();
}

/** This process's key; null when none is configured. Throws a UserError when it is malformed or its file is unsafe. */
export function processSecretKey(): SecretKey | null {
  loaded ??= { key: secretKeyFromEnv(source) };
  return loaded.key;
}

/** The plaintext of one secret of a company; null when unset. Throws a UserError when it cannot be decrypted. */
export function companySecret(company: SecretFields, column: SecretColumn): string | null {
  const stored = company[column];
  if (!stored) return null;
  if (!isSealed(stored)) return stored;
  const cacheKey = `${company.id}\u0000${column}\u0000${stored}`;
  const hit = clear.get(cacheKey);
  if (hit !== undefined) return hit;
  const value = openSecret(processSecretKey(), stored, { company: company.id, column });
  if (clear.size > 10_000) clear.clear();
  clear.set(cacheKey, value);
  return value;
}

/** companySecret, or null when it is unset or cannot be decrypted (the caller reports it with secretProblem). */
export function companySecretOrNull(company: SecretFields, column: SecretColumn): string | null {
  try {
    return companySecret(company, column);
  } catch {
    return null;
  }
}

/** Why one of these secrets cannot be read (one line: what and how to fix it); null when all can. */
export function secretProblem(company: SecretFields, columns: readonly SecretColumn[]): string | null {
  for (const column of columns) {
    try {
      companySecret(company, column);
    } catch (err) {
      return (err as Error).message;
    }
  }
  return null;
}

/**
 * The value to store for a secret being saved: a value carried over unchanged from the saved row
 * is kept as it is (sealed or not: `secrets encrypt` seals the rest); a new one is sealed under the
 * process's key, or kept in clear when there is no key.
 */
export function secretToStore(companyId: string, column: SecretColumn, value: string | null, saved: string | null | undefined): string | null {
  if (!value) return null;
  if (value === saved) return value;
  const key = processSecretKey();
  if (key) return sealSecret(key, value, { company: companyId, column });
  if (isSealed(value)) throw new UsageError(`the ${secretLabel(column)} must not start with "enc:" (that marks an encrypted value)`);
  return value;
}

export interface SecretCounts {
  /** Values sealed under the current key. */
  current: number;
  /** Values sealed under another key (named by id). */
  otherKey: number;
  plaintext: number;
  /** Companies holding a plaintext value. */
  plaintextCompanies: string[];
}

export function countSecrets(companies: SecretFields[], key: SecretKey | null): SecretCounts {
  const out: SecretCounts = { current: 0, otherKey: 0, plaintext: 0, plaintextCompanies: [] };
  for (const c of companies) {
    let plain = false;
    for (const column of SECRET_COLUMNS) {
      const stored = c[column];
      if (!stored) continue;
      if (!isSealed(stored)) {
        out.plaintext++;
        plain = true;
      } else if (key && sealedKeyId(stored) === key.id) out.current++;
      else out.otherKey++;
    }
    if (plain) out.plaintextCompanies.push(c.id);
  }
  return out;
}

export interface ReencryptResult {
  /** Plaintext values now sealed. */
  encrypted: number;
  /** Values moved from the old key to the new one. */
  reencrypted: number;
  /** Values already under the new key (checked). */
  unchanged: number;
  companies: number;
  keyId: string;
}

/**
 * `secrets encrypt` / `secrets rotate`: every stored secret ends sealed under `newKey`, read
 * in clear, under `oldKey`, or already under `newKey`, in one transaction: a value under any other
 * key (or altered) stops it with nothing changed. Never returns or logs a value.
 */
export async function reencryptSecrets(store: Store, keys: { newKey: SecretKey; oldKey: SecretKey | null }): Promise<ReencryptResult> {
  const { newKey, oldKey } = keys;
  if (oldKey && oldKey.id === newKey.id) throw new UsageError(`the old and the new key are the same (id ${newKey.id}): set ${KEY_ENV} to the new key`);
  return store.tx(async (t) => {
    const result: ReencryptResult = { encrypted: 0, reencrypted: 0, unchanged: 0, companies: 0, keyId: newKey.id };
    for (const c of await listCompanies(t)) {
      let touched = false;
      for (const column of SECRET_COLUMNS) {
        const stored = c[column];
        if (!stored) continue;
        const place = { company: c.id, column };
        let plain: string;
        if (!isSealed(stored)) {
          plain = stored;
          result.encrypted++;
        } else if (sealedKeyId(stored) === newKey.id) {
          openSecret(newKey, stored, place); // an altered value stops the rotation here
          result.unchanged++;
          continue;
        } else if (oldKey && sealedKeyId(stored) === oldKey.id) {
          plain = openSecret(oldKey, stored, place);
          result.reencrypted++;
        } else {
          const id = sealedKeyId(stored) ?? "unknown";
          throw new UserError(
            `company ${c.id}'s ${secretLabel(column)} is encrypted with key ${id}, which is neither the new key (${newKey.id}) nor ${oldKey ? `the old one (${oldKey.id})` : "an old key (none given)"}: set SECRETARIA_OLD_SECRET_KEY (or --old-key-file) to key ${id}; nothing was changed`,
          );
        }
        await setCompanySecret(t, c.id, column, sealSecret(newKey, plain, place));
        touched = true;
      }
      if (touched) result.companies++;
    }
    return result;
  });
}

/** The new key for `secrets encrypt/rotate`: required. */
/** The key being rotated away from: SECRETARIA_OLD_SECRET_KEY(_FILE) or --old-key-file, not both; null when none (plaintext only). */
export function oldKeyFrom(env: NodeJS.ProcessEnv, oldKeyFile?: string): SecretKey | null {
  const fromEnv = secretKeyFromEnv(env, { value: "SECRETARIA_OLD_SECRET_KEY", file: "SECRETARIA_OLD_SECRET_KEY_FILE" });
  if (oldKeyFile !== undefined) {
    if (fromEnv) throw new UsageError("give the old key with --old-key-file or SECRETARIA_OLD_SECRET_KEY, not both");
    return readKeyFile(oldKeyFile, "--old-key-file");
  }
  return fromEnv;
}

export function requireNewKey(env: NodeJS.ProcessEnv): SecretKey {
  const key = secretKeyFromEnv(env);
  if (!key) throw new UserError(`set ${KEY_ENV} (or ${KEY_FILE_ENV}) to the key to encrypt with: make one with \`secretaria secrets keygen\``);
  return key;
}
