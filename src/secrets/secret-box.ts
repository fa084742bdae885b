/**
 * Secrets at rest: AES-256-GCM under a key ring. The first key seals, every
 * key opens, so a key is rotated by putting the new one first and keeping the
 * old one until start-up has re-sealed what it sealed. A sealed value reads
 * `vsnap:v1:<key-id>:<iv>:<tag>:<ciphertext>` (base64url), so a database dump
 * holds neither the secret nor anything that opens it.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export interface SecretKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

const PREFIX = 'vsnap:v1:';
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const DEVELOPMENT_KEY_FILE = 'secrets-key';

/** A sealed value that cannot be opened: unknown key id, wrong key, or altered bytes. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/**
 * Parses SECRETS_KEY: comma-separated `<key-id>:<base64 of 32 bytes>`. The
 * problems never repeat a key, only its position and id.
 */
export function parseSecretKeys(text: string): { keys: SecretKey[]; problems: string[] } {
  const keys: SecretKey[] = [];
  const problems: string[] = [];
  text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .forEach((entry, index) => {
      const separator = entry.indexOf(':');
      const id = separator < 0 ? '' : entry.slice(0, separator);
      const encoded = separator < 0 ? '' : entry.slice(separator + 1);
      const key = Buffer.from(encoded, 'base64');
      if (!KEY_ID.test(id)) problems.push(`key ${index + 1}: must be <key-id>:<base64 of 32 bytes>, the id of letters, digits, "-" and "_" (at most 32)`);
      else if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || key.length !== 32) problems.push(`key ${index + 1} (${id}): must be the base64 of exactly 32 bytes (openssl rand -base64 32)`);
      else if (keys.some((k) => k.id === id)) problems.push(`key ${index + 1} (${id}): the id is used twice`);
      else keys.push({ id, key });
    });
  if (keys.length === 0 && problems.length === 0) problems.push('must hold at least one key');
  return { keys, problems };
}

export class SecretBox {
  private readonly byId: Map<string, Buffer>;
  private readonly current: SecretKey;

  constructor(keys: readonly SecretKey[]) {
    const [first] = keys;
    if (!first) throw new Error('a SecretBox needs at least one key');
    for (const { id, key } of keys) {
      if (!KEY_ID.test(id) || key.length !== 32) throw new Error(`secret key ${id}: invalid id or not 32 bytes`);
    }
    this.current = first;
    this.byId = new Map(keys.map(({ id, key }) => [id, key]));
  }

  /** The id of the key that seals. */
  get currentKeyId(): string {
    return this.current.id;
  }

  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(associatedData(this.current.id));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${PREFIX}${this.current.id}:${[iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url')).join(':')}`;
  }

  open(sealed: string): string {
    const parts = parse(sealed);
    if (!parts) throw new SecretBoxError('not a sealed value');
    const key = this.byId.get(parts.keyId);
    if (!key) throw new SecretBoxError(`sealed under key ${parts.keyId}, which is not in SECRETS_KEY`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, parts.iv);
      decipher.setAAD(associatedData(parts.keyId));
      decipher.setAuthTag(parts.tag);
      return Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError(`cannot be opened with key ${parts.keyId} (altered, or a different key of that id)`);
    }
  }

  /** Whether a stored value is sealed at all (rows written before sealing hold plaintext). */
  static isSealed(value: string): boolean {
    return parse(value) !== undefined;
  }

  /** The key id a sealed value names; undefined for plaintext. */
  static keyIdOf(value: string): string | undefined {
    return parse(value)?.keyId;
  }

  /** Sealed, and under the key that seals now: nothing to re-seal. */
  isCurrent(value: string): boolean {
    return SecretBox.keyIdOf(value) === this.current.id;
  }
}

/** The version and key id are authenticated too: a value cannot be relabelled to another key or format. */
function associatedData(keyId: string): Buffer {
  return Buffer.from(`${PREFIX}${keyId}`, 'utf8');
}

function parse(value: string): { keyId: string; iv: Buffer; tag: Buffer; ciphertext: Buffer } | undefined {
  if (!value.startsWith(PREFIX)) return undefined;
  const [keyId = '', iv = '', tag = '', ciphertext, ...extra] = value.slice(PREFIX.length).split(':');
  if (ciphertext === undefined || extra.length > 0 || !KEY_ID.test(keyId)) return undefined;
  const decoded = [iv, tag, ciphertext].map((part) => (/^[A-Za-z0-9_-]*$/.test(part) ? Buffer.from(part, 'base64url') : undefined));
  const [ivBytes, tagBytes, cipherBytes] = decoded;
  if (!ivBytes || !tagBytes || !cipherBytes || ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) return undefined;
  return { keyId, iv: ivBytes, tag: tagBytes, ciphertext: cipherBytes };
}

/**
 * The development key: made once in the data directory (mode 0600), in
 * SECRETS_KEY's own format so it can be carried over into the environment.
 */
export async function loadDevelopmentSecretKey(dataDir: string): Promise<SecretKey> {
  const file = path.join(dataDir, DEVELOPMENT_KEY_FILE);
  const existing = await fs.readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (existing !== undefined) {
    const { keys, problems } = parseSecretKeys(existing);
    const [key] = keys;
    if (!key || problems.length > 0) throw new Error(`${file} does not hold a secrets key (<key-id>:<base64 of 32 bytes>): ${problems.join('; ')}`);
    return key;
  }
  const key: SecretKey = { id: 'dev', key: randomBytes(32) };
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  try {
    // wx: of two processes starting at once, one writes and both use what it wrote.
    await fs.writeFile(file, `${key.id}:${key.key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return loadDevelopmentSecretKey(dataDir);
  }
}

/** The box of a configured key ring, or of the development key (made on first use in `dataDir`). */
export async function openSecretBox(source: { kind: 'keys'; keys: SecretKey[] } | { kind: 'development' }, dataDir: string): Promise<SecretBox> {
  return new SecretBox(source.kind === 'keys' ? source.keys : [await loadDevelopmentSecretKey(dataDir)]);
}
