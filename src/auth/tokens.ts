import { randomBytes, type webcrypto } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { rolesClaim, Viewer, type RolesClaim } from './viewer.ts';

export class AuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationError';
  }
}

export interface TokenVerifier {
  verify(token: string): Promise<Viewer>;
}

/** An HS256 secret imported once (jose imports a raw secret anew on every verification), or a JWKS. */
type Key = Promise<webcrypto.CryptoKey> | JWTVerifyGetKey;

/** Verifies bearer JWTs: HS256 with a shared secret, or any JWKS-published key. */
/** How callers' tokens are checked (read from the environment by config.ts). */
export type AuthConfig =
  | { kind: 'secret'; secret: string; issuer?: string; audience?: string }
  | { kind: 'jwks'; jwksUrl: string; issuer?: string; audience?: string }
  /** No auth configured: a secret kept in the data directory, and a printed admin token. */
  | { kind: 'development'; issuer?: string; audience?: string };

export function createTokenVerifier(auth: AuthConfig, developmentSecret?: Uint8Array): TokenVerifier {
  const key: Key =
    auth.kind === 'jwks'
      ? createRemoteJWKSet(new URL(auth.jwksUrl))
      : hmacKey(auth.kind === 'secret' ? new TextEncoder().encode(auth.secret) : requireSecret(developmentSecret));
  const algorithms = auth.kind === 'jwks' ? undefined : ['HS256'];
  return {
    async verify(token) {
      try {
        const { payload } = await verifyWith(key, token, { algorithms, issuer: auth.issuer, audience: auth.audience });
        const roles = rolesClaim.safeParse(payload.vsnap ?? {});
        if (!roles.success) throw new AuthenticationError('token has a malformed vsnap claim');
        if (!payload.sub) throw new AuthenticationError('token has no subject');
        return new Viewer(payload.sub, roles.data, payload.exp === undefined ? undefined : new Date(payload.exp * 1000));
      } catch (error) {
        // Ours (AuthenticationError) and anything else but jose's go on as they are.
        if (error instanceof errors.JOSEError) throw new AuthenticationError(`invalid token: ${error.code}`);
        throw error;
      }
    },
  };
}

async function verifyWith(key: Key, token: string, options: Parameters<typeof jwtVerify>[2]) {
  return key instanceof Promise ? jwtVerify(token, await key, options) : jwtVerify(token, key, options);
}

/** A verify-only HMAC SHA-256 key: jose also refuses it for any algorithm but HS256. */
function hmacKey(secret: Uint8Array): Promise<webcrypto.CryptoKey> {
  const key = crypto.subtle.importKey('raw', new Uint8Array(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  // Awaited by each verification; unobserved until then.
  key.catch(() => undefined);
  return key;
}

function requireSecret(secret: Uint8Array | undefined): Uint8Array {
  if (!secret) throw new Error('development auth needs its secret loaded first');
  return secret;
}

/** The secret behind development tokens: made once, kept in the data directory. */
export async function loadDevelopmentSecret(dataDir: string): Promise<Uint8Array> {
  const file = path.join(dataDir, 'development-jwt-secret');
  const existing = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (existing) return new TextEncoder().encode(existing.trim());
  const secret = randomBytes(32).toString('base64url');
  await fs.mkdir(dataDir, { recursive: true });
  await fs.writeFile(file, `${secret}\n`, { mode: 0o600 });
  return new TextEncoder().encode(secret);
}

export async function signToken(
  secret: Uint8Array,
  subject: string,
  roles: Partial<RolesClaim>,
  options: { issuer?: string; audience?: string; expiresIn?: string } = {},
): Promise<string> {
  let jwt = new SignJWT({ vsnap: rolesClaim.parse(roles) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '30d');
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(secret);
}
