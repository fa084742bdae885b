/**
 * Integrity of stored archives: an archive is read back and its sha256 and size
 * compared with what was recorded when it was written (verifySnapshot, and the
 * periodic verify-archives job), and a storage listing that shows another size
 * marks it MISMATCH at once (reconcile). Integrity is not a status: a
 * COMPLETED snapshot stays COMPLETED; `integrity` says whether its bytes are
 * still the ones written.
 */
import { createHash } from 'node:crypto';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ConflictError, quoted, StorageUnavailableError } from '../errors.ts';
import type { StorageLocation } from '../locations/entity.ts';
import { repeatsOf, type Logger } from '../logger.ts';
import { StorageError, storageFailureForTenant, type ObjectStore } from '../storage/index.ts';
import { SnapshotSchema, type Snapshot } from './entity.ts';
import { moveSnapshot } from './transitions.ts';

/** How a verify opens the store of a snapshot's location. */
export type StoreOpener = (location: StorageLocation) => Promise<ObjectStore>;

/** A verify renews its claim this often while it reads ... */
const CLAIM_RENEW_MS = 10_000;
/** ... and a claim not renewed for this long was left by a process that died: it no longer blocks. */
export const VERIFY_CLAIM_STALE_MS = 60_000;
/** Archives one process hashes at once through the API: each streams a whole archive from storage. */
export const MAX_CONCURRENT_VERIFIES = 4;
let verifying = 0;

export interface ArchiveDigest {
  size: number;
  sha256: string;
}

/** Streams the object once, in bounded memory, for its size and sha256. */
export async function digestObject(store: ObjectStore, name: string): Promise<ArchiveDigest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of await store.read(name)) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    size += bytes.length;
  }
  return { size, sha256: hash.digest('hex') };
}

/** What differs between the stored object and the record, or undefined when nothing does. */
export function digestMismatch(recorded: ArchiveDigest, stored: ArchiveDigest): string | undefined {
  const differences = [
    ...(stored.size === recorded.size ? [] : [`size ${stored.size} bytes, recorded ${recorded.size}`]),
    ...(stored.sha256 === recorded.sha256 ? [] : [`sha256 ${stored.sha256}, recorded ${recorded.sha256}`]),
  ];
  return differences.length ? `stored archive differs: ${differences.join('; ')}` : undefined;
}

/** The recorded digest of a snapshot whose archive can be verified; a CONFLICT saying why otherwise. */
function verifiable(snapshot: Snapshot): ArchiveDigest & { location: StorageLocation } {
  const name = quoted(snapshot.name);
  switch (snapshot.status) {
    case 'SCHEDULED':
    case 'IN_PROGRESS':
      throw new ConflictError(`snapshot ${name} has no stored archive yet (it is ${snapshot.status})`, 'id');
    case 'FAILED':
      throw new ConflictError(`snapshot ${name} has no stored archive to verify (it FAILED)`, 'id');
    case 'NOT_FOUND':
      throw new ConflictError(`the archive of snapshot ${name} is missing from storage (NOT_FOUND); it can be verified once it is back`, 'id');
    default:
      break;
  }
  if (!snapshot.storageLocation) throw new ConflictError(`the storage location of snapshot ${name} was deleted; its archive cannot be read`, 'id');
  if (snapshot.sizeBytes == null || !snapshot.sha256) throw new ConflictError(`snapshot ${name} has no recorded size and sha256 to compare with`, 'id');
  return { size: snapshot.sizeBytes, sha256: snapshot.sha256, location: snapshot.storageLocation };
}

/**
 * Claims the snapshot for one verify (across processes): refused while another verify of it
 * renews its claim. The claim is a column, not a held lock, so a verify of a large archive
 * holds no database connection while it reads.
 */
async function claim(em: EntityManager, snapshot: Snapshot): Promise<void> {
  const now = new Date();
  const claimed = await em.nativeUpdate(
    SnapshotSchema,
    { id: snapshot.id, $or: [{ verifyingSince: null }, { verifyingSince: { $lt: new Date(now.getTime() - VERIFY_CLAIM_STALE_MS) } }] },
    { verifyingSince: now },
  );
  if (claimed === 0) throw new ConflictError(`snapshot ${quoted(snapshot.name)} is being verified already; its result will show in integrity`, 'id');
}

export interface VerifyDeps {
  em: EntityManager;
  openStore?: StoreOpener;
  logger: Logger;
}

/**
 * Reads the snapshot's archive back and records VERIFIED or MISMATCH (with what differed)
 * and verifiedAt. An archive gone from storage turns the snapshot NOT_FOUND, as the
 * reconciler's listing would. Returns the snapshot as it now is (null: deleted meanwhile).
 * CONFLICT when it has no archive or another verify of it runs; STORAGE_UNAVAILABLE
 * (naming only the location's kind of failure) when the store cannot be read.
 */
export async function verifyArchive(deps: VerifyDeps, snapshot: Snapshot): Promise<Snapshot | null> {
  const { em, logger } = deps;
  await em.populate(snapshot, ['storageLocation']);
  const recorded = verifiable(snapshot);
  if (!deps.openStore) throw new StorageUnavailableError(`no storage is configured to verify ${snapshot.name}`);
  await claim(em, snapshot);
  const renewal = setInterval(() => {
    em.fork()
      .nativeUpdate(SnapshotSchema, { id: snapshot.id }, { verifyingSince: new Date() })
      .catch((error: unknown) => repeatsOf(logger).warn({ err: error }, 'could not renew the claim of an archive verify'));
  }, CLAIM_RENEW_MS).unref();
  const log = logger.child({ snapshotId: snapshot.id, storageLocation: recorded.location.name });
  try {
    let stored: ArchiveDigest;
    try {
      stored = await digestObject(await deps.openStore(recorded.location), snapshot.name);
    } catch (error) {
      if (error instanceof StorageError && error.reason === 'missing') return await markMissing(em, snapshot.id, log);
      log.warn({ err: error }, 'could not read an archive to verify it');
      const why = error instanceof StorageError ? storageFailureForTenant(error, recorded.location.name) : 'the store could not be read';
      throw new StorageUnavailableError(`could not verify ${snapshot.name}: ${why}`);
    }
    const mismatch = digestMismatch(recorded, stored);
    if (mismatch) log.warn({ location: snapshot.location, recorded: { size: recorded.size, sha256: recorded.sha256 }, stored }, 'archive integrity MISMATCH');
    else log.info({ sizeBytes: stored.size }, 'archive verified');
    await em.nativeUpdate(
      SnapshotSchema,
      { id: snapshot.id },
      { integrity: mismatch ? 'MISMATCH' : 'VERIFIED', integrityMessage: mismatch ?? null, verifiedAt: new Date(), verifyingSince: null },
    );
    return await reloaded(em, snapshot.id);
  } finally {
    clearInterval(renewal);
    // Released whatever happened (a no-op after the result was written).
    await em.fork().nativeUpdate(SnapshotSchema, { id: snapshot.id }, { verifyingSince: null }).catch(() => undefined);
  }
}

/** verifyArchive for API callers: at most MAX_CONCURRENT_VERIFIES at once in this process. */
export async function verifyArchiveForCaller(deps: VerifyDeps, snapshot: Snapshot): Promise<Snapshot | null> {
  if (verifying >= MAX_CONCURRENT_VERIFIES) {
    throw new ConflictError(`${verifying} archives are being verified by this server already; try again once one has finished`, 'id');
  }
  verifying += 1;
  try {
    return await verifyArchive(deps, snapshot);
  } finally {
    verifying -= 1;
  }
}

function reloaded(em: EntityManager, id: string): Promise<Snapshot | null> {
  return em.fork().findOne(SnapshotSchema, { id });
}

/** The archive is gone: NOT_FOUND, as the reconciler would find it, and back when it reappears. */
async function markMissing(em: EntityManager, id: string, log: Logger): Promise<Snapshot | null> {
  await em.fork().transactional(async (tx) => {
    const snapshot = await tx.findOne(SnapshotSchema, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!snapshot || (snapshot.status !== 'COMPLETED' && snapshot.status !== 'PARTIALLY_FAILED')) return;
    await moveSnapshot(tx, snapshot, 'NOT_FOUND', `object ${snapshot.location ?? snapshot.name} is gone from storage (found by a verify)`);
  });
  log.warn('archive to verify is gone from storage: NOT_FOUND');
  return reloaded(em, id);
}

/**
 * What a storage listing says of a stored snapshot's size (reconcile): a size other than the
 * recorded one is a MISMATCH at once (verifiedAt cleared: the bytes hashed before are not the
 * ones there now); the recorded size again clears a MISMATCH the listing found, back to
 * UNVERIFIED, but never one found by hashing (a same-size tampering only a hash shows).
 * Returns whether the row changed.
 */
export async function compareListedSize(em: EntityManager, snapshot: Snapshot, listedSize: number, log: Logger): Promise<boolean> {
  if (snapshot.sizeBytes == null) return false;
  if (listedSize !== snapshot.sizeBytes) {
    const message = `stored archive differs: size ${listedSize} bytes in the storage listing, recorded ${snapshot.sizeBytes}`;
    if (snapshot.integrity === 'MISMATCH' && snapshot.integrityMessage === message) return false;
    log.warn({ snapshotId: snapshot.id, location: snapshot.location, listedSize, recordedSize: snapshot.sizeBytes }, 'archive size MISMATCH in the storage listing');
    await em.nativeUpdate(SnapshotSchema, { id: snapshot.id }, { integrity: 'MISMATCH', integrityMessage: message, verifiedAt: null });
    return true;
  }
  if (snapshot.integrity !== 'MISMATCH' || snapshot.verifiedAt != null) return false;
  log.info({ snapshotId: snapshot.id, sizeBytes: listedSize }, 'archive size matches its record again: integrity UNVERIFIED until it is hashed');
  await em.nativeUpdate(SnapshotSchema, { id: snapshot.id, integrity: 'MISMATCH', verifiedAt: null }, { integrity: 'UNVERIFIED', integrityMessage: null });
  return true;
}

export interface VerifyRunReport {
  verified: number;
  mismatched: number;
  /** Gone from storage (now NOT_FOUND). */
  missing: number;
  /** Could not be read, or being verified by someone else: tried again on a later run. */
  skipped: number;
}

/**
 * One run of the verify-archives job: up to `batchSize` stored archives, those never hashed
 * first (oldest first), then those hashed longest ago, each read back once. A failure with
 * one archive (storage unreachable) is logged and the run goes on.
 */
export async function verifyOldestArchives(deps: { em: EntityManager; openStore: StoreOpener; logger: Logger; batchSize: number }): Promise<VerifyRunReport> {
  const staleClaim = new Date(Date.now() - VERIFY_CLAIM_STALE_MS);
  const batch = await deps.em.find(
    SnapshotSchema,
    {
      status: { $in: ['COMPLETED', 'PARTIALLY_FAILED'] },
      storageLocation: { $ne: null },
      sha256: { $ne: null },
      $or: [{ verifyingSince: null }, { verifyingSince: { $lt: staleClaim } }],
    },
    { orderBy: [{ verifiedAt: 'asc nulls first' }, { finishedAt: 'asc' }, { id: 'asc' }], limit: deps.batchSize },
  );
  const report: VerifyRunReport = { verified: 0, mismatched: 0, missing: 0, skipped: 0 };
  for (const snapshot of batch) {
    try {
      const after = await verifyArchive({ em: deps.em, openStore: deps.openStore, logger: deps.logger }, snapshot);
      if (after?.status === 'NOT_FOUND') report.missing += 1;
      else if (after?.integrity === 'MISMATCH') report.mismatched += 1;
      else if (after) report.verified += 1;
    } catch (error) {
      report.skipped += 1;
      deps.logger.warn({ err: error, snapshotId: snapshot.id }, 'archive not verified this run');
    }
  }
  if (batch.length) deps.logger.info(report, 'archives verified');
  return report;
}
