/**
 * Token verification and the development secret: HS256 with a shared secret, and any key an
 * identity provider publishes at a JWKS endpoint (served here over HTTP, keys made with jose).
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError, createTokenVerifier, loadDevelopmentSecret, signToken } from '../../src/auth/tokens.ts';
import type { Viewer } from '../../src/auth/viewer.ts';

const SECRET = 'a-test-secret-of-at-least-32-characters!';
const secretBytes = new TextEncoder().encode(SECRET);
const ROLES = { platformAdmin: false, projects: { p1: 'admin' } };

/** What a verified token says about its caller. */
const seen = (viewer: Viewer) => ({
  subject: viewer.subject,
  platformAdmin: viewer.isPlatformAdmin,
  p1: viewer.roleIn('p1') ?? null,
  p2: viewer.roleIn('p2') ?? null,
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('the token was accepted'),
    (error: unknown) => error,
  );
}

/** The AuthenticationError a refused token gets: always that class, the message exact. */
async function refused(promise: Promise<unknown>, message: string): Promise<void> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(AuthenticationError);
  expect(error).toMatchObject({ name: 'AuthenticationError', message });
}

function hs(payload: JWTPayload, alg = 'HS256', key: Uint8Array = secretBytes) {
  return new SignJWT(payload).setProtectedHeader({ alg }).setIssuedAt().setExpirationTime('1h').sign(key);
}

describe('HS256 with a shared secret', () => {
  const verifier = createTokenVerifier({ kind: 'secret', secret: SECRET });

  it('accepts a token signed with the secret and reads its roles', async () => {
    expect(seen(await verifier.verify(await hs({ sub: 'alice', vsnap: ROLES })))).toEqual({ subject: 'alice', platformAdmin: false, p1: 'admin', p2: null });
    expect(seen(await verifier.verify(await hs({ sub: 'root', vsnap: { platformAdmin: true } })))).toEqual({
      subject: 'root',
      platformAdmin: true,
      p1: null,
      p2: null,
    });
  });

  it('keeps when the token expires (exp is in seconds), and no time for a token without exp', async () => {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const expiring = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(exp).sign(secretBytes);
    expect((await verifier.verify(expiring)).expiresAt).toEqual(new Date(exp * 1000));
    const lasting = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'HS256' }).sign(secretBytes);
    expect((await verifier.verify(lasting)).expiresAt).toBeUndefined();
  });

  it('reads a token without the vsnap claim as a caller with no role', async () => {
    expect(seen(await verifier.verify(await hs({ sub: 'nobody' })))).toEqual({ subject: 'nobody', platformAdmin: false, p1: null, p2: null });
  });

  // One defect per token; everything else about it is right.
  it.each([
    ['signed with another secret', () => hs({ sub: 'alice' }, 'HS256', new TextEncoder().encode(`${SECRET}-other`)), 'invalid token: ERR_JWS_SIGNATURE_VERIFICATION_FAILED'],
    ['signed HS512 with the secret', () => hs({ sub: 'alice' }, 'HS512'), 'invalid token: ERR_JOSE_ALG_NOT_ALLOWED'],
    ['expired', () => new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(secretBytes), 'invalid token: ERR_JWT_EXPIRED'],
    ['not a JWT', async () => 'not.a.jwt', 'invalid token: ERR_JWS_INVALID'],
    ['without a subject', () => hs({ vsnap: ROLES }), 'token has no subject'],
    ['with an empty subject', () => hs({ sub: '', vsnap: ROLES }), 'token has no subject'],
    ['with a role vsnap does not know', () => hs({ sub: 'alice', vsnap: { projects: { p1: 'owner' } } }), 'token has a malformed vsnap claim'],
    ['with platformAdmin as a string', () => hs({ sub: 'alice', vsnap: { platformAdmin: 'true' } }), 'token has a malformed vsnap claim'],
  ])('refuses a token %s', async (_what, token, message) => {
    await refused(verifier.verify(await token()), message);
  });

  it('requires the configured issuer and audience when set', async () => {
    const strict = createTokenVerifier({ kind: 'secret', secret: SECRET, issuer: 'https://idp.example/', audience: 'vsnap' });
    const token = (claims: JWTPayload) => hs({ sub: 'alice', vsnap: ROLES, ...claims });
    expect((await strict.verify(await token({ iss: 'https://idp.example/', aud: 'vsnap' }))).subject).toBe('alice');
    await refused(strict.verify(await token({ iss: 'https://other.example/', aud: 'vsnap' })), 'invalid token: ERR_JWT_CLAIM_VALIDATION_FAILED');
    await refused(strict.verify(await token({ iss: 'https://idp.example/', aud: 'other' })), 'invalid token: ERR_JWT_CLAIM_VALIDATION_FAILED');
    await refused(strict.verify(await token({ aud: 'vsnap' })), 'invalid token: ERR_JWT_CLAIM_VALIDATION_FAILED');
  });
});

describe('development auth', () => {
  it('needs the development secret loaded first', () => {
    expect(() => createTokenVerifier({ kind: 'development' })).toThrow(new Error('development auth needs its secret loaded first'));
  });

  it('verifies with the development secret it is given', async () => {
    const verifier = createTokenVerifier({ kind: 'development' }, secretBytes);
    expect((await verifier.verify(await signToken(secretBytes, 'dev', { platformAdmin: true }))).isPlatformAdmin).toBe(true);
  });
});

describe('signToken', () => {
  it('signs HS256 with the subject, the roles (defaults filled in) and 30 days of validity', async () => {
    const token = await signToken(secretBytes, 'alice', { projects: { p1: 'member' } });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256' });
    const claims = decodeJwt(token);
    expect(claims).toEqual({ sub: 'alice', vsnap: { platformAdmin: false, projects: { p1: 'member' } }, iat: expect.any(Number), exp: expect.any(Number) });
    expect(claims.exp! - claims.iat!).toBe(30 * 86_400);
  });

  it('sets the issuer, the audience and the lifetime it is given', async () => {
    const claims = decodeJwt(await signToken(secretBytes, 'bob', {}, { issuer: 'https://idp.example/', audience: 'vsnap', expiresIn: '12h' }));
    expect(claims).toMatchObject({ sub: 'bob', iss: 'https://idp.example/', aud: 'vsnap' });
    expect(claims.exp! - claims.iat!).toBe(12 * 3600);
  });

  it('refuses roles vsnap does not know', async () => {
    await expect(signToken(secretBytes, 'bob', { projects: { p1: 'owner' as 'admin' } })).rejects.toThrow();
  });
});

describe('JWKS', () => {
  let server: http.Server;
  let jwksUrl: string;
  let rsa: CryptoKey;
  let ec: CryptoKey;
  /** A key of the same kind the endpoint does not publish. */
  let stranger: CryptoKey;

  beforeAll(async () => {
    const rsaPair = await generateKeyPair('RS256');
    const ecPair = await generateKeyPair('ES256');
    rsa = rsaPair.privateKey;
    ec = ecPair.privateKey;
    stranger = (await generateKeyPair('RS256')).privateKey;
    const keys = [
      { ...(await exportJWK(rsaPair.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ecPair.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ];
    server = http.createServer((request, response) => {
      if (request.url !== '/.well-known/jwks.json') return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  const signed = (key: CryptoKey, header: { alg: string; kid?: string }, claims: JWTPayload = { sub: 'alice', vsnap: ROLES }) =>
    new SignJWT(claims).setProtectedHeader(header).setIssuedAt().setExpirationTime('1h').sign(key);

  it('accepts tokens signed with any published key, RS256 and ES256 alike', async () => {
    const verifier = createTokenVerifier({ kind: 'jwks', jwksUrl });
    expect(seen(await verifier.verify(await signed(rsa, { alg: 'RS256', kid: 'rsa-1' })))).toEqual({ subject: 'alice', platformAdmin: false, p1: 'admin', p2: null });
    expect((await verifier.verify(await signed(ec, { alg: 'ES256', kid: 'ec-1' }))).subject).toBe('alice');
  });

  it.each([
    ['signed with a key the endpoint does not publish, under a published kid', () => signed(stranger, { alg: 'RS256', kid: 'rsa-1' }), 'invalid token: ERR_JWS_SIGNATURE_VERIFICATION_FAILED'],
    ['naming a kid the endpoint does not publish', () => signed(rsa, { alg: 'RS256', kid: 'rsa-2' }), 'invalid token: ERR_JWKS_NO_MATCHING_KEY'],
    // An identity provider publishes no HMAC key: a token signed with some shared secret is no token of it.
    ['signed HS256', () => hs({ sub: 'alice', vsnap: ROLES }), 'invalid token: ERR_JOSE_NOT_SUPPORTED'],
    ['without a subject', () => signed(rsa, { alg: 'RS256', kid: 'rsa-1' }, { vsnap: ROLES }), 'token has no subject'],
    ['with a malformed vsnap claim', () => signed(rsa, { alg: 'RS256', kid: 'rsa-1' }, { sub: 'alice', vsnap: { projects: [] } }), 'token has a malformed vsnap claim'],
  ])('refuses a token %s', async (_what, token, message) => {
    await refused(createTokenVerifier({ kind: 'jwks', jwksUrl }).verify(await token()), message);
  });

  it('requires the configured issuer and audience', async () => {
    const verifier = createTokenVerifier({ kind: 'jwks', jwksUrl, issuer: 'https://idp.example/', audience: 'vsnap' });
    const claims = { sub: 'alice', vsnap: ROLES, iss: 'https://idp.example/' };
    expect((await verifier.verify(await signed(rsa, { alg: 'RS256', kid: 'rsa-1' }, { ...claims, aud: 'vsnap' }))).subject).toBe('alice');
    await refused(verifier.verify(await signed(rsa, { alg: 'RS256', kid: 'rsa-1' }, { ...claims, aud: 'other' })), 'invalid token: ERR_JWT_CLAIM_VALIDATION_FAILED');
  });

  it('lets an unreachable endpoint fail as itself, not as a bad token', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await rejection(createTokenVerifier({ kind: 'jwks', jwksUrl: `http://127.0.0.1:${port}/jwks.json` }).verify(await signed(rsa, { alg: 'RS256', kid: 'rsa-1' })));
    expect(error).not.toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ name: 'TypeError', message: 'fetch failed' });
  });
});

describe('loadDevelopmentSecret', () => {
  let root: string;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'vsnap-tokens-'));
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('makes 32 random bytes (base64url) in a file only its owner may read, creating the directory', async () => {
    const dataDir = path.join(root, 'fresh', 'nested');
    const secret = await loadDevelopmentSecret(dataDir);
    const file = path.join(dataDir, 'development-jwt-secret');
    const stored = await fs.readFile(file, 'utf8');
    expect(stored).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    expect(new TextDecoder().decode(secret)).toBe(stored.trim());
    expect(((await fs.stat(file)).mode & 0o777).toString(8)).toBe('600');
  });

  it('keeps the secret it made: tokens signed before a restart stay valid', async () => {
    const dataDir = path.join(root, 'kept');
    const first = await loadDevelopmentSecret(dataDir);
    expect(await loadDevelopmentSecret(dataDir)).toEqual(first);
    expect(await loadDevelopmentSecret(path.join(root, 'another'))).not.toEqual(first);
  });

  it('reads a secret written by hand, without its surrounding whitespace', async () => {
    const dataDir = path.join(root, 'by-hand');
    await fs.mkdir(dataDir);
    await fs.writeFile(path.join(dataDir, 'development-jwt-secret'), '  hand-made-secret \n');
    expect(new TextDecoder().decode(await loadDevelopmentSecret(dataDir))).toBe('hand-made-secret');
  });
});
