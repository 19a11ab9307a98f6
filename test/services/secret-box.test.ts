import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { generateKey, isSealed, openSecret, parseSecretKey, sealedKeyId, sealSecret } from "../../src/services/secret-box.js";

/** The pure part of issue 13 point 4: AES-256-GCM values bound to their company and column. */
describe("secret-box", () => {
  const key = parseSecretKey(Buffer.alloc(32, 1).toString("hex"), "test key");
  const place = { company: "sol", column: "whaticket_token" as const };

  test("round trip; a fresh IV each time; the value names the key, never holds the plaintext", () => {
    const a = sealSecret(key, "tok-123456", place);
    const b = sealSecret(key, "tok-123456", place);
    assert.notEqual(a, b);
    assert.ok(isSealed(a) && !a.includes("tok-123456"));
    assert.equal(sealedKeyId(a), key.id);
    assert.equal(openSecret(key, a, place), "tok-123456");
    assert.equal(openSecret(null, "plain-token", place), "plain-token", "plaintext values read as they are");
  });

  test("bound to company and column; altered values and other keys are told apart", () => {
    const sealed = sealSecret(key, "tok-123456", place);
    assert.throws(() => openSecret(key, sealed, { company: "lua", column: "whaticket_token" }), /company lua's Whaticket token does not decrypt/);
    assert.throws(() => openSecret(key, sealed, { company: "sol", column: "cloud_app_secret" }), /company sol's Cloud API app secret does not decrypt/);
    const body = sealed.slice(sealed.lastIndexOf(":") + 1);
    const flipped = Buffer.from(body, "base64");
    flipped[flipped.length - 1]! ^= 1;
    assert.throws(() => openSecret(key, sealed.replace(body, flipped.toString("base64")), place), /does not decrypt/);
    const other = parseSecretKey(generateKey(), "other");
    assert.throws(() => openSecret(other, sealed, place), new RegExp(`encrypted with another key \\(id ${key.id}; SECRETARIA_SECRET_KEY has id ${other.id}\\)`));
    assert.throws(() => openSecret(null, sealed, place), /is encrypted but SECRETARIA_SECRET_KEY is not set/);
  });

  test("keys: 32 bytes as hex, base64 or base64url; anything else is refused with how to make one", () => {
    const raw = Buffer.alloc(32, 200);
    const ids = [raw.toString("hex"), raw.toString("base64"), raw.toString("base64url")].map((s) => parseSecretKey(s, "k").id);
    assert.equal(new Set(ids).size, 1);
    for (const bad of ["", "abc", Buffer.alloc(31).toString("base64"), Buffer.alloc(33).toString("hex"), "passwordpasswordpasswordpassword"]) {
      assert.throws(() => parseSecretKey(bad, "SECRETARIA_SECRET_KEY"), /SECRETARIA_SECRET_KEY must be 32 random bytes .*secretaria secrets keygen/);
    }
  });
});
