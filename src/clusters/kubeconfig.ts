/**
 * A virtual cluster's kubeconfig from the tenant's hand to a connection:
 * admitted (static credentials only, see kube/admission.ts) and checked
 * against the egress policy when registered, sealed at rest when inline, and
 * admitted again whenever it is loaded for a snapshot, inline or mounted.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { errorMessage, quoted, ValidationError } from '../errors.ts';
import { admitKubeconfig, KubeconfigRefusedError, MAX_KUBECONFIG_BYTES, serializeKubeconfig, type AdmittedKubeconfig } from '../kube/admission.ts';
import { literalAddressRefusal, type EgressPolicy } from '../kube/egress.ts';
import type { Logger } from '../logger.ts';
import { SecretBox } from '../secrets/secret-box.ts';
import { VirtualClusterSchema, type VirtualCluster } from './entity.ts';

/** The field every inline-kubeconfig refusal names. */
export const INLINE_FIELD = 'kubeconfig.inline';

export const INLINE_REFUSED =
  'inline kubeconfigs are for development; give secretRef (a mounted secret), or set ALLOW_INLINE_KUBECONFIG=true to allow them';

/** What admitting and keeping kubeconfigs takes. */
export interface KubeconfigRules {
  egress: EgressPolicy;
  /** Seals inline kubeconfigs; absent where they are refused (production without ALLOW_INLINE_KUBECONFIG). */
  inlineBox?: SecretBox;
}

/** Where snapshots load kubeconfigs from. */
export interface KubeconfigSources extends KubeconfigRules {
  /** Mounted secrets: `<secretsDir>/<projectId>/<secret-name>/<key>`. */
  secretsDir: string;
}

/**
 * Admits an inline kubeconfig at registration or update: VALIDATION on
 * `kubeconfig.inline` naming the problem, else the admitted kubeconfig (not
 * the tenant's text), sealed, ready to store.
 */
export function sealInlineKubeconfig(text: string, rules: KubeconfigRules): string {
  if (!rules.inlineBox) throw new ValidationError(`${INLINE_FIELD}: ${INLINE_REFUSED}`, INLINE_FIELD);
  let admitted: AdmittedKubeconfig;
  try {
    admitted = admitKubeconfig(text);
  } catch (error) {
    if (error instanceof KubeconfigRefusedError) throw new ValidationError(`${INLINE_FIELD}: ${error.message}`, INLINE_FIELD);
    throw error;
  }
  const refused = literalAddressRefusal(admitted.cluster.server, rules.egress);
  if (refused) throw new ValidationError(`${INLINE_FIELD}: ${refused.message}`, INLINE_FIELD);
  return rules.inlineBox.seal(serializeKubeconfig(admitted));
}

/**
 * A stored kubeconfig that cannot be used. The message is for the tenant (it
 * ends up in the snapshot's message); `detail` is for the operator's log.
 */
export class KubeconfigUnusableError extends Error {
  constructor(
    message: string,
    readonly detail?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KubeconfigUnusableError';
  }
}

/** The admitted kubeconfig of a cluster, for a snapshot: read, opened, admitted and checked again. */
export async function loadClusterKubeconfig(em: EntityManager, cluster: VirtualCluster, sources: KubeconfigSources): Promise<AdmittedKubeconfig> {
  const [origin, text] = cluster.kubeconfigSecretRef
    ? [`kubeconfig secret ${quoted(cluster.kubeconfigSecretRef)}`, await readMountedKubeconfig(sources.secretsDir, cluster.projectId, cluster.kubeconfigSecretRef)]
    : ['inline kubeconfig', await readInlineKubeconfig(em, cluster, sources.inlineBox)];
  let admitted: AdmittedKubeconfig;
  try {
    admitted = admitKubeconfig(text);
  } catch (error) {
    if (error instanceof KubeconfigRefusedError) throw new KubeconfigUnusableError(`${origin}: ${error.message}`);
    throw error;
  }
  const refused = literalAddressRefusal(admitted.cluster.server, sources.egress);
  if (refused) throw new KubeconfigUnusableError(refused.message);
  return admitted;
}

async function readInlineKubeconfig(em: EntityManager, cluster: VirtualCluster, box: SecretBox | undefined): Promise<string> {
  if (!box) throw new KubeconfigUnusableError(INLINE_REFUSED);
  const loaded = await em.findOneOrFail(VirtualClusterSchema, { id: cluster.id }, { populate: ['kubeconfigInline'], refresh: true });
  const stored = loaded.kubeconfigInline;
  if (!stored) throw new KubeconfigUnusableError(`virtual cluster ${cluster.name} has no kubeconfig`);
  // Rows from before sealing hold plaintext until start-up re-seals them.
  if (!SecretBox.isSealed(stored)) return stored;
  try {
    return box.open(stored);
  } catch (error) {
    throw new KubeconfigUnusableError('the stored inline kubeconfig cannot be decrypted with the configured SECRETS_KEY; register it again', {
      reason: errorMessage(error),
    });
  }
}

/** A path segment a tenant may name: no `.`, `..`, hidden names or separators. */
function safeSegment(segment: string): boolean {
  return segment !== '' && !segment.startsWith('.') && !/[/\\\0]/.test(segment);
}

/**
 * `<secretsDir>/<projectId>/<secret>/<key>`: a project reads only the secrets
 * mounted under its own directory. Symlinks (Kubernetes mounts keys as links
 * into `..data/`) may not lead out of it. Messages never show server paths.
 */
async function readMountedKubeconfig(secretsDir: string, projectId: string, ref: string): Promise<string> {
  const [secret = '', key = '', ...rest] = ref.split('/');
  const name = `kubeconfig secret ${quoted(ref)}`;
  if (rest.length > 0 || ![projectId, secret, key].every(safeSegment)) {
    throw new KubeconfigUnusableError(`${name} is not a valid "<secret-name>/<key>"`);
  }
  const projectDir = path.resolve(secretsDir, projectId);
  const file = path.join(projectDir, secret, key);
  const notMounted = (why: string, cause?: unknown) =>
    new KubeconfigUnusableError(`${name} is not mounted for project ${projectId}`, { file, why }, { cause });
  let real: string;
  let realProjectDir: string;
  try {
    [real, realProjectDir] = await Promise.all([fs.realpath(file), fs.realpath(projectDir)]);
  } catch (error) {
    throw notMounted(errorMessage(error), error);
  }
  if (!real.startsWith(realProjectDir + path.sep)) throw notMounted(`resolves to ${real}, outside ${realProjectDir}`);
  const handle = await fs.open(real, 'r').catch((error: unknown) => {
    throw notMounted(errorMessage(error), error);
  });
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw notMounted('not a regular file');
    if (stat.size > MAX_KUBECONFIG_BYTES) throw new KubeconfigUnusableError(`${name} is larger than ${MAX_KUBECONFIG_BYTES / 1024} KiB`);
    const buffer = Buffer.alloc(MAX_KUBECONFIG_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_KUBECONFIG_BYTES) throw new KubeconfigUnusableError(`${name} is larger than ${MAX_KUBECONFIG_BYTES / 1024} KiB`);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Start-up: seals inline kubeconfigs still stored in plaintext (written before
 * sealing) and re-seals those sealed under a key that no longer seals
 * (rotation). A plaintext kubeconfig that passes admission is stored as its
 * admitted form; one that does not is sealed as it is, and its next snapshot
 * fails with the reason. Each row is updated only if nobody changed it since.
 */
export async function resealInlineKubeconfigs(
  em: EntityManager,
  box: SecretBox,
  logger: Logger,
): Promise<{ resealed: number; unreadable: number }> {
  const rows = await em
    .getConnection()
    .execute<{ id: string; kubeconfig_inline: string }[]>('select id, kubeconfig_inline from virtual_cluster where kubeconfig_inline is not null');
  let resealed = 0;
  const unreadable: { id: string; keyId: string | undefined }[] = [];
  for (const { id, kubeconfig_inline: stored } of rows) {
    if (box.isCurrent(stored)) continue;
    let plaintext: string;
    if (SecretBox.isSealed(stored)) {
      try {
        plaintext = box.open(stored);
      } catch {
        unreadable.push({ id, keyId: SecretBox.keyIdOf(stored) });
        continue;
      }
    } else {
      plaintext = admittedFormOf(stored);
    }
    resealed += await em.nativeUpdate(VirtualClusterSchema, { id, kubeconfigInline: stored }, { kubeconfigInline: box.seal(plaintext) });
  }
  if (resealed > 0) logger.info({ resealed, keyId: box.currentKeyId }, `sealed ${resealed} inline kubeconfig(s) under key ${box.currentKeyId}`);
  if (unreadable.length > 0) {
    logger.warn({ clusters: unreadable }, `${unreadable.length} inline kubeconfig(s) are sealed under keys not in SECRETS_KEY; their snapshots fail until registered again`);
  }
  return { resealed, unreadable: unreadable.length };
}

function admittedFormOf(text: string): string {
  try {
    return serializeKubeconfig(admitKubeconfig(text));
  } catch {
    return text;
  }
}
