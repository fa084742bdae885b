/**
 * The periodic verify-archives job against a real S3 server: each run reads back
 * at most VERIFY_BATCH_SIZE (here 2) stored archives, those never verified first
 * (oldest first), then those verified longest ago; a tampered archive is found
 * MISMATCH; snapshots without an archive are never picked. Observed through
 * GraphQL over HTTP.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SnapshotSchema } from '../../src/snapshots/entity.ts';
import { isFinished, runToCompletion, type EngineRig, useEngineRig } from './harness.ts';

let rig: EngineRig;
useEngineRig((started) => (rig = started), { verifyBatchSize: 2 });

describe('verify-archives', () => {
  it('verifies at most the batch size per run, the never-verified oldest first, then the least recently verified', { timeout: 120_000 }, async () => {
    // Four stored archives, finished in this order, and one FAILED snapshot (no archive).
    const taken = [];
    for (let index = 0; index < 4; index++) {
      const cluster = await rig.registerCluster();
      taken.push({ cluster, snapshot: await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished) });
    }
    const [a, b, c, d] = taken.map(({ snapshot }) => snapshot);
    for (const snapshot of [a, b, c, d]) expect(snapshot!.status).toBe('COMPLETED');
    const broken = await rig.registerCluster();
    rig.kube.faults.unavailable = true;
    const failed = await rig.waitFor(await rig.createSnapshot(broken.id), isFinished);
    rig.kube.faults.unavailable = false;
    expect(failed.status).toBe('FAILED');

    // The newest (d) was verified long ago, by an earlier run; the other three never were.
    const longAgo = new Date('2026-01-01T00:00:00.000Z');
    await rig.app.orm.em.fork().nativeUpdate(SnapshotSchema, { id: d!.id }, { integrity: 'VERIFIED', verifiedAt: longAgo });
    // c's archive was tampered with (same size, one byte flipped).
    const cStore = rig.store(taken[2]!.cluster.name);
    const chunks: Buffer[] = [];
    for await (const chunk of await cStore.read(c!.name)) chunks.push(chunk as Buffer);
    const tampered = Buffer.concat(chunks);
    tampered[10]! ^= 0xff;
    await (await cStore.beginUpload(c!.name)).write(Readable.from([tampered]));

    const state = async () =>
      Object.fromEntries(
        await Promise.all(
          Object.entries({ a, b, c, d, failed }).map(async ([key, snapshot]) => {
            const now = await rig.snapshot(snapshot!.id);
            return [key, { integrity: now.integrity, verifiedAt: now.verifiedAt }] as const;
          }),
        ),
      );

    // Run 1: the two oldest never-verified archives.
    await runToCompletion(rig, 'verify-archives');
    const first = await state();
    expect(first.a!.integrity).toBe('VERIFIED');
    expect(first.b!.integrity).toBe('VERIFIED');
    expect(first.c).toEqual({ integrity: 'UNVERIFIED', verifiedAt: null });
    expect(first.d).toEqual({ integrity: 'VERIFIED', verifiedAt: longAgo.toISOString() });
    expect(first.failed).toEqual({ integrity: 'UNVERIFIED', verifiedAt: null });

    // Run 2: the last never-verified one (c, found tampered), then the one verified longest ago (d).
    await runToCompletion(rig, 'verify-archives');
    const second = await state();
    expect(second.c!.integrity).toBe('MISMATCH');
    expect(second.c!.verifiedAt).not.toBeNull();
    expect((await rig.snapshot(c!.id)).integrityMessage).toMatch(/^stored archive differs: sha256 [0-9a-f]{64}, recorded [0-9a-f]{64}$/);
    expect(second.d!.integrity).toBe('VERIFIED');
    expect(Date.parse(second.d!.verifiedAt!)).toBeGreaterThan(longAgo.getTime());
    // a and b were not read again.
    expect(second.a).toEqual(first.a);
    expect(second.b).toEqual(first.b);

    // Run 3: the least recently verified now are a and b.
    await runToCompletion(rig, 'verify-archives');
    const third = await state();
    expect(Date.parse(third.a!.verifiedAt!)).toBeGreaterThan(Date.parse(first.a!.verifiedAt!));
    expect(Date.parse(third.b!.verifiedAt!)).toBeGreaterThan(Date.parse(first.b!.verifiedAt!));
    expect(third.c).toEqual(second.c);
    expect(third.d).toEqual(second.d);
    expect(third.failed).toEqual({ integrity: 'UNVERIFIED', verifiedAt: null });

    const runs = rig.app.logs().filter((line) => line.msg === 'archives verified');
    expect(runs.map(({ verified, mismatched, missing, skipped }) => ({ verified, mismatched, missing, skipped }))).toEqual([
      { verified: 2, mismatched: 0, missing: 0, skipped: 0 },
      { verified: 1, mismatched: 1, missing: 0, skipped: 0 },
      { verified: 2, mismatched: 0, missing: 0, skipped: 0 },
    ]);
  });
});
