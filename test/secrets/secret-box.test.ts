/** SecretBox: AES-256-GCM under a key ring; the first key seals, every key opens. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDevelopmentSecretKey, parseSecretKeys, SecretBox, SecretBoxError, type SecretKey } from '../../src/secrets/secret-box.ts';

const key = (id: string): SecretKey => ({ id, key: randomBytes(32) });

describe('SecretBox', () => {
  it('seals to vsnap:v1:<key-id>:<iv>:<tag>:<ciphertext> and opens it again', () => {
    const box = new SecretBox([key('k1')]);
    const sealed = box.seal('token: hunter2');
    expect(sealed).toMatch(/^vsnap:v1:k1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('hunter2');
    expect(box.open(sealed)).toBe('token: hunter2');
  });

  it('uses a fresh IV per value: the same plaintext never seals the same way twice', () => {
    const box = new SecretBox([key('k1')]);
    expect(box.seal('same')).not.toBe(box.seal('same'));
  });

  it('seals with the first key and opens with any: rotation', () => {
    const [old, current] = [key('old'), key('new')];
    const sealedOld = new SecretBox([old]).seal('kubeconfig');
    const rotated = new SecretBox([current, old]);
    expect(rotated.open(sealedOld)).toBe('kubeconfig');
    expect(rotated.isCurrent(sealedOld)).toBe(false);
    const resealed = rotated.seal(rotated.open(sealedOld));
    expect(resealed.startsWith('vsnap:v1:new:')).toBe(true);
    expect(rotated.isCurrent(resealed)).toBe(true);
  });

  it('refuses a value under a key it does not hold, an altered one, and plaintext', () => {
    const box = new SecretBox([key('k1')]);
    const sealed = box.seal('secret');
    expect(() => new SecretBox([key('k2')]).open(sealed)).toThrow(new SecretBoxError('sealed under key k1, which is not in SECRETS_KEY'));
    expect(() => new SecretBox([key('k1')]).open(sealed)).toThrow('cannot be opened with key k1 (altered, or a different key of that id)');
    const parts = sealed.split(':');
    const flipped = Buffer.from(parts[5]!, 'base64url');
    flipped[0]! ^= 1;
    expect(() => box.open([...parts.slice(0, 5), flipped.toString('base64url')].join(':'))).toThrow('cannot be opened with key k1');
    // The key id is authenticated: relabelling a value to another key of the ring fails too.
    const both = new SecretBox([key('k1'), { id: 'k9', key: randomBytes(32) }]);
    expect(() => both.open(both.seal('x').replace(':k1:', ':k9:'))).toThrow('cannot be opened with key k9');
    expect(() => box.open('apiVersion: v1')).toThrow('not a sealed value');
    expect(SecretBox.isSealed('apiVersion: v1')).toBe(false);
    expect(SecretBox.isSealed(sealed)).toBe(true);
  });
});

describe('parseSecretKeys', () => {
  const b64 = randomBytes(32).toString('base64');
  it('reads a ring, first key first', () => {
    const other = randomBytes(32).toString('base64');
    const { keys, problems } = parseSecretKeys(` new:${b64} , old:${other}`);
    expect(problems).toEqual([]);
    expect(keys.map((k) => [k.id, k.key.toString('base64')])).toEqual([['new', b64], ['old', other]]);
  });

  it.each([
    [`${b64}`, 'key 1: must be <key-id>:<base64 of 32 bytes>, the id of letters, digits, "-" and "_" (at most 32)'],
    [`a b:${b64}`, 'key 1: must be <key-id>:<base64 of 32 bytes>, the id of letters, digits, "-" and "_" (at most 32)'],
    ['k1:c2hvcnQ=', 'key 1 (k1): must be the base64 of exactly 32 bytes (openssl rand -base64 32)'],
    [`k1:${b64},k1:${b64}`, 'key 2 (k1): the id is used twice'],
    [' , ', 'must hold at least one key'],
  ])('refuses %s without repeating the key', (text, problem) => {
    const { problems } = parseSecretKeys(text);
    expect(problems).toEqual([problem]);
    expect(problems.join()).not.toContain(b64);
  });
});

describe('the development key', () => {
  it('is made once in the data directory, mode 0600, and read back after', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vsnap-secrets-'));
    try {
      const made = await loadDevelopmentSecretKey(path.join(dir, 'data'));
      const file = path.join(dir, 'data', 'secrets-key');
      expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
      expect(await fs.readFile(file, 'utf8')).toBe(`dev:${made.key.toString('base64')}\n`);
      const again = await loadDevelopmentSecretKey(path.join(dir, 'data'));
      expect(again).toEqual(made);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
