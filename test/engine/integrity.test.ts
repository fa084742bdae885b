/**
 * Archive integrity end to end, through GraphQL over HTTP against a real S3
 * server: the reconciler compares each listed size with the recorded one
 * (a truncated or empty object is MISMATCH, its status untouched), and
 * verifySnapshot reads the archive back and compares sha256 and size (a good
 * archive VERIFIED, a same-size tampered one MISMATCH, a vanished one NOT_FOUND).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SnapshotSchema } from '../../src/snapshots/entity.ts';
import type { ObjectStore } from '../../src/storage/index.ts';
import { EngineVerifySnapshotDocument, UpdateStorageLocationDocument } from '../generated/graphql.ts';
import { errorCodes } from '../support/app.ts';
import { isFinished, runToCompletion, type EngineRig, useEngineRig } from './harness.ts';

let rig: EngineRig;
useEngineRig((started) => (rig = started));

async function readObject(store: ObjectStore, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.read(name)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Replaces the object under `name` with `bytes` (a real multipart upload, as anything writing to the bucket would). */
async function overwrite(store: ObjectStore, name: string, bytes: Buffer): Promise<void> {
  await (await store.beginUpload(name)).write(Readable.from([bytes]));
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A COMPLETED snapshot of a fresh cluster, with its store and its bytes. */
async function storedSnapshot() {
  const cluster = await rig.registerCluster();
  const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);
  expect(snapshot.status).toBe('COMPLETED');
  const store = rig.store(cluster.name);
  return { cluster, snapshot, store, bytes: await readObject(store, snapshot.name) };
}

async function verify(id: string, token = rig.admin) {
  return rig.app.request(EngineVerifySnapshotDocument, { id }, token);
}

describe('reconcile compares the listed size with the recorded one', () => {
  it.each([
    { what: 'a truncated archive', cut: (bytes: Buffer) => bytes.subarray(0, Math.floor(bytes.length / 2)) },
    { what: 'a 0-byte archive', cut: () => Buffer.alloc(0) },
  ])('$what: integrity MISMATCH with both sizes, status and events unchanged; the right size again clears it', { timeout: 60_000 }, async ({ cut }) => {
    const { snapshot, store, bytes } = await storedSnapshot();
    expect(snapshot).toMatchObject({ integrity: 'UNVERIFIED', verifiedAt: null, integrityMessage: null });
    const truncated = cut(bytes);
    await overwrite(store, snapshot.name, truncated);

    await runToCompletion(rig, 'reconcile-storage');
    const after = await rig.snapshot(snapshot.id);
    expect(after.status).toBe('COMPLETED');
    expect(after.integrity).toBe('MISMATCH');
    expect(after.integrityMessage).toBe(`stored archive differs: size ${truncated.length} bytes in the storage listing, recorded ${snapshot.sizeBytes}`);
    expect(after.verifiedAt).toBeNull();
    expect(after.events).toEqual(snapshot.events);
    // The record is what was written; only integrity says the object no longer is.
    expect(after).toMatchObject({ sizeBytes: bytes.length, sha256: snapshot.sha256, message: snapshot.message });
    expect(rig.app.logs().some((line) => line.msg === 'archive size MISMATCH in the storage listing' && line.snapshotId === snapshot.id)).toBe(true);

    // A second run changes nothing.
    await runToCompletion(rig, 'reconcile-storage');
    expect(await rig.snapshot(snapshot.id)).toEqual(after);

    // The right bytes back: the listing matches, but nobody hashed them: UNVERIFIED, not VERIFIED.
    await overwrite(store, snapshot.name, bytes);
    await runToCompletion(rig, 'reconcile-storage');
    expect(await rig.snapshot(snapshot.id)).toMatchObject({ status: 'COMPLETED', integrity: 'UNVERIFIED', integrityMessage: null, verifiedAt: null });
  });

  it('a matching size does not clear a MISMATCH found by hashing', { timeout: 60_000 }, async () => {
    const { snapshot, store, bytes } = await storedSnapshot();
    const tampered = Buffer.from(bytes);
    tampered[tampered.length >> 1]! ^= 0xff;
    await overwrite(store, snapshot.name, tampered);
    const verified = await verify(snapshot.id);
    expect(verified.errors).toBeUndefined();
    expect(verified.data?.verifySnapshot.integrity).toBe('MISMATCH');

    await runToCompletion(rig, 'reconcile-storage');
    const after = await rig.snapshot(snapshot.id);
    expect(after).toMatchObject({ integrity: 'MISMATCH', verifiedAt: verified.data!.verifySnapshot.verifiedAt, integrityMessage: verified.data!.verifySnapshot.integrityMessage });
  });
});

describe('verifySnapshot', () => {
  it('reads a good archive back: VERIFIED, verifiedAt now; a byte flipped: MISMATCH naming both hashes; restored: VERIFIED again', { timeout: 60_000 }, async () => {
    const { snapshot, store, bytes } = await storedSnapshot();
    const before = Date.now();
    const good = await verify(snapshot.id);
    expect(good.status).toBe(200);
    expect(good.errors).toBeUndefined();
    expect(good.data?.verifySnapshot).toEqual({
      id: snapshot.id,
      status: 'COMPLETED',
      integrity: 'VERIFIED',
      verifiedAt: expect.any(String) as unknown,
      integrityMessage: null,
      sizeBytes: bytes.length,
      sha256: sha256(bytes),
    });
    const verifiedAt = Date.parse(good.data!.verifySnapshot.verifiedAt!);
    expect(verifiedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(verifiedAt).toBeLessThanOrEqual(Date.now() + 1000);
    // What snapshot(id) reads afterwards, too.
    expect(await rig.snapshot(snapshot.id)).toMatchObject({ integrity: 'VERIFIED', verifiedAt: good.data!.verifySnapshot.verifiedAt });

    const tampered = Buffer.from(bytes);
    tampered[100]! ^= 0x01;
    await overwrite(store, snapshot.name, tampered);
    const bad = await verify(snapshot.id);
    expect(bad.errors).toBeUndefined();
    expect(bad.data?.verifySnapshot).toMatchObject({
      status: 'COMPLETED',
      integrity: 'MISMATCH',
      integrityMessage: `stored archive differs: sha256 ${sha256(tampered)}, recorded ${snapshot.sha256}`,
    });
    expect(Date.parse(bad.data!.verifySnapshot.verifiedAt!)).toBeGreaterThanOrEqual(verifiedAt);
    // The operator's log says where the object lies; the tenant's message does not.
    expect(bad.data!.verifySnapshot.integrityMessage).not.toContain('s3://');
    expect(rig.app.logs().find((line) => line.msg === 'archive integrity MISMATCH' && line.snapshotId === snapshot.id)).toMatchObject({ location: snapshot.location });

    const shorter = bytes.subarray(1);
    await overwrite(store, snapshot.name, shorter);
    expect((await verify(snapshot.id)).data?.verifySnapshot.integrityMessage).toBe(
      `stored archive differs: size ${shorter.length} bytes, recorded ${bytes.length}; sha256 ${sha256(shorter)}, recorded ${snapshot.sha256}`,
    );

    await overwrite(store, snapshot.name, bytes);
    expect((await verify(snapshot.id)).data?.verifySnapshot).toMatchObject({ integrity: 'VERIFIED', integrityMessage: null });
    // Verifying is no status change: no event.
    expect((await rig.snapshot(snapshot.id)).events).toEqual(snapshot.events);
  });

  it('turns a snapshot whose archive is gone NOT_FOUND, as the reconciler would', { timeout: 60_000 }, async () => {
    const { snapshot, store } = await storedSnapshot();
    await store.remove(snapshot.name);
    const response = await verify(snapshot.id);
    expect(response.errors).toBeUndefined();
    expect(response.data?.verifySnapshot).toMatchObject({ status: 'NOT_FOUND', integrity: 'UNVERIFIED', verifiedAt: null });
    const after = await rig.snapshot(snapshot.id);
    expect(after.events.at(-1)).toMatchObject({ from: 'COMPLETED', to: 'NOT_FOUND', message: `object ${snapshot.location} is gone from storage (found by a verify)` });

    // NOT_FOUND has no archive to read.
    const again = await verify(snapshot.id);
    expect(errorCodes(again)).toEqual(['CONFLICT']);
    expect(again.errors?.[0]?.message).toBe(`the archive of snapshot "${snapshot.name}" is missing from storage (NOT_FOUND); it can be verified once it is back`);
  });

  it('refuses a snapshot without a stored archive: CONFLICT, nothing written', { timeout: 60_000 }, async () => {
    const cluster = await rig.registerCluster();
    rig.kube.faults.unavailable = true;
    const failed = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);
    rig.kube.faults.unavailable = false;
    expect(failed.status).toBe('FAILED');
    const response = await verify(failed.id);
    expect(errorCodes(response)).toEqual(['CONFLICT']);
    expect(response.errors?.[0]?.extensions?.field).toBe('id');
    expect(response.errors?.[0]?.message).toBe(`snapshot "${failed.name}" has no stored archive to verify (it FAILED)`);
    expect(await rig.snapshot(failed.id)).toEqual(failed);
  });

  it('refuses a second verify while one holds the snapshot, and takes over a claim left by a dead process', { timeout: 60_000 }, async () => {
    const { snapshot } = await storedSnapshot();
    const em = rig.app.orm.em.fork();
    // What a verify in another replica holds while it reads.
    await em.nativeUpdate(SnapshotSchema, { id: snapshot.id }, { verifyingSince: new Date() });
    const refused = await verify(snapshot.id);
    expect(errorCodes(refused)).toEqual(['CONFLICT']);
    expect(refused.errors?.[0]?.message).toBe(`snapshot "${snapshot.name}" is being verified already; its result will show in integrity`);
    expect(await rig.snapshot(snapshot.id)).toMatchObject({ integrity: 'UNVERIFIED', verifiedAt: null });

    // That replica died without releasing it: a claim not renewed for a minute no longer blocks.
    await em.nativeUpdate(SnapshotSchema, { id: snapshot.id }, { verifyingSince: new Date(Date.now() - 120_000) });
    expect((await verify(snapshot.id)).data?.verifySnapshot.integrity).toBe('VERIFIED');
    expect((await em.fork().findOneOrFail(SnapshotSchema, { id: snapshot.id })).verifyingSince).toBeNull();
  });

  it('answers STORAGE_UNAVAILABLE naming only the location when the archive cannot be read; integrity unchanged', { timeout: 60_000 }, async () => {
    const { cluster, snapshot } = await storedSnapshot();
    // The location now points at a closed port (as if the S3 endpoint were down).
    const moved = await rig.app.request(UpdateStorageLocationDocument, { name: cluster.storageLocation, input: { endpoint: 'http://127.0.0.1:9' } }, rig.admin);
    expect(moved.errors).toBeUndefined();
    const response = await verify(snapshot.id);
    expect(response.status).toBe(200);
    expect(errorCodes(response)).toEqual(['STORAGE_UNAVAILABLE']);
    expect(response.errors?.[0]?.message).toBe(
      `could not verify ${snapshot.name}: storage unreachable at storage location "${cluster.storageLocation}"; the operator's log has the details`,
    );
    expect(await rig.snapshot(snapshot.id)).toMatchObject({ status: 'COMPLETED', integrity: 'UNVERIFIED', verifiedAt: null });
    expect(rig.app.logs().find((line) => line.msg === 'could not read an archive to verify it' && line.snapshotId === snapshot.id)).toMatchObject({
      err: { message: expect.stringContaining('http://127.0.0.1:9') as unknown },
    });
    // The claim was released: with the endpoint back, a verify runs at once.
    await rig.app.request(UpdateStorageLocationDocument, { name: cluster.storageLocation, input: { endpoint: rig.s3.endpoint } }, rig.admin);
    expect((await verify(snapshot.id)).data?.verifySnapshot.integrity).toBe('VERIFIED');
  });
});
