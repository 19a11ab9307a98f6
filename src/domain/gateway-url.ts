/** Checks of a gateway URL given by the operator (pure). */

/** A URL with `user:pass@` would replace the Bearer token with Basic auth and show the password in listings. */
export function urlCredentialsProblem(flag: string, url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (!u.username && !u.password) return null;
  return `${flag} must not contain a user or password (user:pass@): give the URL without them and the token with --whaticket-token`;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** `http://` to another machine sends the token in clear text: a warning, not an error. */
export function plainHttpWarning(flag: string, url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== "http:" || LOOPBACK.test(u.hostname)) return null;
  return `${flag} ${u.protocol}//${u.host} is plain http: the token and the clients' messages cross the network unencrypted; use https://`;
}
