import { count } from "../render/plural.js";
import { oldKeyFrom, reencryptSecrets, requireNewKey, type ReencryptResult } from "../services/company-secrets.js";
import { generateKey, parseSecretKey, type SecretKey } from "../services/secret-box.js";
import { commandContext, openMigrated, print, printJson, type GlobalOptions } from "./context.js";

/**
 * `secretaria secrets keygen|encrypt|rotate`: the key of the stored gateway secrets. Counts are
 * printed, never a secret (keygen prints the new key itself: that is its purpose).
 */

export function runSecretsKeygen(o: { json?: boolean }): void {
  const key = generateKey();
  const id = parseSecretKey(key, "the new key").id;
  if (o.json) return printJson({ key, key_id: id });
  print(key);
  process.stderr.write(
    `secretaria: a new random key (id ${id}). Keep it out of the database and back it up: without it the stored tokens cannot be read.\n` +
      "  Put it in a file only this user can read (chmod 600) and set SECRETARIA_SECRET_KEY_FILE to it, or set SECRETARIA_SECRET_KEY, for every secretaria command and the daemon;\n" +
      "  then run `secretaria secrets encrypt` (or `secrets rotate` to move from an older key).\n",
  );
}

export interface SecretsRotateOptions extends GlobalOptions {
  oldKeyFile?: string;
  json?: boolean;
}

async function reencrypt(o: SecretsRotateOptions, old: SecretKey | null): Promise<void> {
  const newKey = requireNewKey(process.env);
  const ctx = commandContext(o);
  const db = await openMigrated(ctx);
  let r: ReencryptResult;
  try {
    r = await reencryptSecrets(db, { newKey, oldKey: old });
  } finally {
    await db.close();
  }
  if (o.json) return printJson({ key_id: r.keyId, encrypted: r.encrypted, reencrypted: r.reencrypted, unchanged: r.unchanged, companies: r.companies });
  print(`key ${r.keyId}: ${count(r.encrypted, "plaintext secret")} encrypted, ${r.reencrypted} re-encrypted from ${old ? `key ${old.id}` : "an old key"}, ${r.unchanged} already under this key (${count(r.companies, "company", "companies")} changed)`);
  if (r.reencrypted) print("restart every daemon with the new key: until then they cannot read the re-encrypted tokens and pause those companies");
}

/** Seals every plaintext secret under SECRETARIA_SECRET_KEY. */
export function runSecretsEncrypt(o: SecretsRotateOptions): Promise<void> {
  return reencrypt(o, null);
}

/** Moves every secret from the old key (SECRETARIA_OLD_SECRET_KEY or --old-key-file) to SECRETARIA_SECRET_KEY, in one transaction. */
export function runSecretsRotate(o: SecretsRotateOptions): Promise<void> {
  return reencrypt(o, oldKeyFrom(process.env, o.oldKeyFile));
}
