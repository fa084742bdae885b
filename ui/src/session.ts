/** The signed-in caller's bearer token, kept for this browser tab only (sessionStorage). */
const TOKEN_KEY = 'vsnap.token';
/** Why the last session ended (a 401, an expired token), shown on the sign-in page once. */
const REASON_KEY = 'vsnap.signedOutBecause';

export function storedToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function signOutReason(): string | undefined {
  return sessionStorage.getItem(REASON_KEY) ?? undefined;
}

/**
 * The token as pasted: surrounding space and a leading "Bearer " dropped. A token is three
 * base64url parts; anything else is refused here with the reason, before it is sent anywhere.
 */
export function parseToken(pasted: string): { token: string } | { problem: string } {
  const token = pasted.trim().replace(/^bearer\s+/i, '');
  if (token === '') return { problem: 'Paste a token first.' };
  if (!/^[\w-]+\.[\w-]+\.[\w-]*$/.test(token)) return { problem: 'That is not a bearer token (a JWT: three parts separated by dots).' };
  return { token };
}

export function saveToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
  sessionStorage.removeItem(REASON_KEY);
}

export function forgetToken(reason?: string): void {
  sessionStorage.removeItem(TOKEN_KEY);
  if (reason) sessionStorage.setItem(REASON_KEY, reason);
  else sessionStorage.removeItem(REASON_KEY);
}
