// The tab's credential. A token lives in sessionStorage only: never in a URL, a cookie,
// localStorage or a log, and it is gone when the tab closes or the user signs out.
//
// Signing in has one entry point, `signIn(credential)`, which proves the credential with the
// API before keeping it. A credential is a pasted API token ({token}) or a personal link's
// one-time code ({code}, SPEC §11), which is first exchanged at POST /sign-in for a personal
// token; the caller removes the code from the address bar before anything else happens.

const KEY = "rotagraph.token";
const listeners = new Set();

export function token() {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function onChange(listener) {
  listeners.add(listener);
}

function keep(value) {
  if (value) sessionStorage.setItem(KEY, value);
  else sessionStorage.removeItem(KEY);
  for (const listener of listeners) listener(Boolean(value));
}

/** A pasted token, with or without "Bearer ", trimmed; null when it cannot be one. */
export function normalizeToken(text) {
  const value = (text || "").trim().replace(/^bearer\s+/i, "");
  return /^\S+$/.test(value) ? value : null;
}

/**
 * Prove `credential` ({token} or {code}) with `viewer` and keep its token for this tab.
 * Resolves to the viewer ({role, organization}); rejects with the API's error, keeping nothing.
 */
export async function signIn(credential, { check, exchange }) {
  const value = credential.code
    ? await exchange(credential.code)
    : normalizeToken(credential.token);
  if (!value) throw new Error("Paste an API token (it starts with rg_).");
  const viewer = await check(value);
  keep(value);
  return viewer;
}

export function signOut() {
  keep(null);
}
