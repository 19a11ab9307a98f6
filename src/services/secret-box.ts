import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { UsageError, UserError } from "../errors.js";
import { SECRET_COLUMNS, type SecretColumn } from "../store/company-secrets.js";

/**
 * Gateway secrets at rest: AES-256-GCM (node:crypto) under a 32-byte key the operator keeps out of
 * the database (SECRETARIA_SECRET_KEY, or SECRETARIA_SECRET_KEY_FILE). No SQL here.
 *
 * A stored value is self-describing: `enc:v1:<key id>:<base64 of iv(12) | tag(16) | ciphertext>`.
 * The key id (8 hex digits of a hash of the key, never the key) tells "wrong key" apart from
 * "altered"; the additional authenticated data binds the value to its company and column, so a
 * value copied to another company (or another column) does not decrypt. Anything not starting
 * with `enc:` is a plaintext value (older databases, or no key configured) and is read as it is.
 */

export interface SecretKey {
  readonly key: Buffer;
  /** 8 hex digits of SHA-256 over a label and the key: shown in messages, stored with each value. */
  readonly id: string;
}

/** Where a value belongs: the AAD, and the words of the messages. */
export interface SecretPlace {
  company: string;
  column: SecretColumn;
}

export { SECRET_COLUMNS, type SecretColumn };

const LABELS: Record<SecretColumn, { label: string; flag: string }> = {
  whaticket_token: { label: "Whaticket token", flag: "--whaticket-token" },
  evolution_api_key: { label: "Evolution API key", flag: "--evolution-api-key" },
  cloud_access_token: { label: "Cloud API access token", flag: "--cloud-access-token" },
  cloud_app_secret: { label: "Cloud API app secret", flag: "--cloud-app-secret" },
  cloud_verify_token: { label: "Cloud API verify token", flag: "--cloud-verify-token" },
  booking_webhook_secret: { label: "booking webhook signing secret", flag: "--booking-webhook-secret-file" },
};

export const KEY_ENV = "SECRETARIA_SECRET_KEY";
export const KEY_FILE_ENV = "SECRETARIA_SECRET_KEY_FILE";
const PREFIX = "enc:";
const SEALED = /^enc:v1:([0-9a-f]{8}):([A-Za-z0-9+/]+={0,2})$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEYGEN_HINT = "make one with `secretaria secrets keygen`";

export function secretLabel(column: SecretColumn): string {
  return LABELS[column].label;
}

export function keyId(key: Buffer): string {
  return createHash("sha256").update("secretaria secret key id\u0000").update(key).digest("hex").slice(0, 8);
}

/** A fresh random key, base64 (what `secretaria secrets keygen` prints). */
export function generateKey(): string {
  return randomBytes(32).toString("base64");
}

/** 32 bytes as 64 hex digits or as base64 (standard or URL-safe); else a UserError naming `source`. */
export function parseSecretKey(text: string, source: string): SecretKey {
  const s = text.trim();
  let key: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(s)) key = Buffer.from(s, "hex");
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(s)) {
    const b = Buffer.from(s.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    if (b.length === 32) key = b;
  }
  if (!key) throw new UserError(`${source} must be 32 random bytes written as base64 (44 characters) or hex (64 characters): ${KEYGEN_HINT}`);
  return { key, id: keyId(key) };
}

/** A key file: must exist and be readable by its owner only. */
export function readKeyFile(path: string, source: string): SecretKey {
  let mode: number;
  let text: string;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UserError(`${source} ${path} cannot be read (${code}): check the path and that this user may read it`);
  }
  if (process.platform !== "win32" && (mode & 0o077) !== 0) {
    throw new UserError(`${source} ${path} is readable by other users (mode ${(mode & 0o777).toString(8).padStart(4, "0")}): run chmod 600 ${path}`);
  }
  return parseSecretKey(text, `${source} ${path}`);
}

/**
 * The key from `env`: SECRETARIA_SECRET_KEY (base64 or hex) or SECRETARIA_SECRET_KEY_FILE; null
 * when neither is set. `names` lets the old key of a rotation come from its own variables.
 */
export function secretKeyFromEnv(env: NodeJS.ProcessEnv, names: { value: string; file: string } = { value: KEY_ENV, file: KEY_FILE_ENV }): SecretKey | null {
  const value = env[names.value]?.trim();
  const file = env[names.file]?.trim();
  if (value && file) throw new UsageError(`set ${names.value} or ${names.file}, not both`);
  if (file) return readKeyFile(file, names.file);
  if (value) return parseSecretKey(value, names.value);
  return null;
}

export function isSealed(stored: string | null | undefined): boolean {
  return typeof stored === "string" && stored.startsWith(PREFIX);
}

/** The key id a sealed value names; null for a plaintext or unreadable one. */
export function sealedKeyId(stored: string): string | null {
  return SEALED.exec(stored)?.[1] ?? null;
}

function aad(p: SecretPlace): Buffer {
  return Buffer.from(`secretaria/v1/${p.company}/${p.column}`, "utf8");
}

export function sealSecret(key: SecretKey, plaintext: string, place: SecretPlace): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(place));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return `${PREFIX}v1:${key.id}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`;
}

/**
 * The plaintext of a stored value (a plaintext value is returned as it is). Throws a UserError
 * saying which company and secret, and what to do: no key, another key, or a value that does not
 * authenticate (altered, or copied from another company or column).
 */
export function openSecret(key: SecretKey | null, stored: string, place: SecretPlace): string {
  if (!isSealed(stored)) return stored;
  const { label, flag } = LABELS[place.column];
  const what = `company ${place.company}'s ${label}`;
  const reenter = `secretaria companies add --id ${place.company} ${flag} …`;
  const m = SEALED.exec(stored);
  if (!m) throw new UserError(`${what} is stored in a form this version cannot read: re-enter it with ${reenter}`);
  const id = m[1]!;
  if (!key) throw new UserError(`${what} is encrypted but ${KEY_ENV} is not set: set it to the key used when it was stored (key id ${id})`);
  if (key.id !== id) {
    throw new UserError(`${what} was encrypted with another key (id ${id}; ${KEY_ENV} has id ${key.id}): set ${KEY_ENV} to that key, or re-enter the ${label} with ${reenter}`);
  }
  const raw = Buffer.from(m[2]!, "base64");
  try {
    if (raw.length < IV_BYTES + TAG_BYTES) throw new Error("short");
    const decipher = createDecipheriv("aes-256-gcm", key.key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(place));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch {
    throw new UserError(`${what} does not decrypt with key ${id} (altered, or copied from another company): re-enter it with ${reenter}`);
  }
}
