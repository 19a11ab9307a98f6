/**
 * Phone numbers as Whaticket wants them: digits only, with the country code ("5511999990000").
 * Pure.
 */

/** Brazilian area codes (DDD) in use; none contains a 0, so typos like "(30)" are caught. */
const BR_DDD = new Set([
  11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38,
  41, 42, 43, 44, 45, 46, 47, 48, 49, 51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69,
  71, 73, 74, 75, 77, 79, 81, 82, 83, 84, 85, 86, 87, 88, 89, 91, 92, 93, 94, 95, 96, 97, 98, 99,
]);

const BR = "55";

/**
 * A national Brazilian number (DDD + 8 or 9 digits) is plausible: known DDD, 9-digit numbers are
 * mobiles starting with 9, 8-digit ones start with 2–9 (landlines 2–5, and old-style mobiles 6–9
 * that WhatsApp still reports without the ninth digit).
 */
function isBrazilianNational(national: string): boolean {
  if (!/^\d{10,11}$/.test(national)) return false;
  if (!BR_DDD.has(Number(national.slice(0, 2)))) return false;
  const subscriber = national.slice(2);
  return subscriber.length === 9 ? subscriber[0] === "9" : /^[2-9]/.test(subscriber);
}

/**
 * Digits with the country code, or null when `raw` is not a phone number.
 * "+55 (11) 99999-0000", "(11) 99999-0000", "011 99999 0000" and "5511999990000" all give
 * "5511999990000"; "+44 20 7946 0958" gives "442079460958". Separators allowed: spaces, dots,
 * dashes, parentheses; anything else (letters, extensions) is refused.
 */
export function normalizePhone(raw: string, defaultCountry = BR): string | null {
  const text = raw.trim();
  if (!/^\+?[\d\s.()-]+$/.test(text)) return null;
  const digits = text.replace(/\D/g, "");
  if (text.startsWith("+")) return international(digits);
  // "00" is the international call prefix: 00 44 20 … is +44 20 …
  if (digits.startsWith("00")) return international(digits.slice(2));

  if (defaultCountry === BR) {
    if (digits.startsWith("0")) {
      // Trunk prefix: "0 11 …", or with a long-distance carrier code "0 21 11 …".
      const rest = digits.slice(1);
      if (isBrazilianNational(rest)) return BR + rest;
      if (rest.length >= 12 && isBrazilianNational(rest.slice(2))) return BR + rest.slice(2);
      return null;
    }
    if (isBrazilianNational(digits)) return BR + digits;
    if (digits.startsWith(BR) && isBrazilianNational(digits.slice(2))) return digits;
    return null;
  }

  const national = digits.replace(/^0/, "");
  if (digits.startsWith(defaultCountry) && isE164(digits)) return digits;
  return international(defaultCountry + national);
}

/**
 * A number as a WhatsApp gateway posts it: always with the country code, the "+" optional
 * (Whaticket posts "351912345678", not "+351912345678"). Brazilian numbers, and 10–11 digits that
 * read as a Brazilian national number (DDD + number), follow normalizePhone; anything else is
 * read as E.164 digits, as import reads "+351 912 345 678". "351912345678" → "351912345678",
 * "12025550123" → "12025550123"; "5510999990000" (no DDD 10) stays refused.
 */
export function gatewayPhone(raw: string): string | null {
  const br = normalizePhone(raw);
  if (br !== null) return br;
  const text = raw.trim();
  if (!/^[\d\s.()-]+$/.test(text)) return null;
  const digits = text.replace(/\D/g, "");
  return digits.startsWith("0") ? null : international(digits);
}

function isE164(digits: string): boolean {
  return /^[1-9]\d{7,14}$/.test(digits);
}

function international(digits: string): string | null {
  if (!isE164(digits)) return null;
  if (digits.startsWith(BR) && !isBrazilianNational(digits.slice(2))) return null;
  return digits;
}

/**
 * The number in a WhatsApp (Baileys) JID: "5511999990000@s.whatsapp.net" → "5511999990000".
 * Groups (@g.us), broadcasts, newsletters and LIDs (@lid, not a phone number) give null.
 */
export function phoneFromJid(jid: string): string | null {
  const m = /^(\d+)(?::\d+)?@(s\.whatsapp\.net|c\.us)$/.exec(jid.trim());
  if (!m) return null;
  const digits = m[1]!;
  return isE164(digits) ? digits : null;
}

/**
 * For logs: country and area code plus the last two digits stay, the rest becomes "*".
 * "5511999990000" → "5511*******00".
 */
export function maskPhone(digits: string): string {
  const d = digits.replace(/\D/g, "");
  if (d.length <= 6) return "*".repeat(d.length); // too short to show any part safely
  return d.slice(0, 4) + "*".repeat(d.length - 6) + d.slice(-2);
}

/**
 * The forms under which the same Brazilian mobile can arrive: with and without the ninth digit
 * (JIDs of numbers registered before the 2012–2016 change lack it). Other numbers: just themselves.
 * "5511999990000" ⇄ "551199990000".
 */
export function phoneVariants(digits: string): string[] {
  if (!digits.startsWith(BR)) return [digits];
  const national = digits.slice(2);
  if (!isBrazilianNational(national)) return [digits];
  const ddd = national.slice(0, 2);
  const subscriber = national.slice(2);
  if (subscriber.length === 9) return [digits, BR + ddd + subscriber.slice(1)];
  if (/^[6-9]/.test(subscriber)) return [digits, BR + ddd + "9" + subscriber];
  return [digits];
}

/** Whether two numbers (digits, formatted, or JIDs) reach the same WhatsApp account. */
export function phonesMatch(a: string, b: string): boolean {
  const x = toDigits(a);
  const y = toDigits(b);
  if (!x || !y) return false;
  return phoneVariants(x).includes(y);
}

function toDigits(value: string): string | null {
  return value.includes("@") ? phoneFromJid(value) : normalizePhone(value);
}
