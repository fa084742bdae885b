/**
 * Part uploads of a real snapshot retried through the engine: the S3 server in
 * front of s3rver fails UploadPart requests, the snapshot still ends COMPLETED
 * with its archive complete (its sha256 is the recorded one), the snapshot's
 * message says which retries it took, and /metrics counts them. A permanent
 * refusal is not retried. Observed through GraphQL and /metrics over HTTP.
 */
import { describe, expect, it } from 'vitest';
import { BUCKET, isFinished, readArchive, type EngineRig, useEngineRig } from './harness.ts';

let rig: EngineRig;
useEngineRig((started) => (rig = started));

/** The value of one series of /metrics, 0 when absent. */
async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${rig.app.url}/metrics`)).text();
  const selector = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .join(',');
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${selector}} `));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('S3 part uploads of a snapshot', () => {
  it('retries 500s and a reset connection: COMPLETED, the archive whole, the retries in the message and in /metrics', async () => {
    const cluster = await rig.registerCluster();
    const before = {
      serverError: await metric('vsnap_storage_retries_total', { operation: 'UploadPart', reason: 'server_error' }),
      reset: await metric('vsnap_storage_retries_total', { operation: 'UploadPart', reason: 'connection_reset' }),
    };
    rig.s3.faults.clear();
    rig.s3.faults.failUploadParts(2, { status: 500, code: 'InternalError' });
    rig.s3.faults.failUploadParts(1, 'reset');

    const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);

    expect(snapshot.status).toBe('COMPLETED');
    expect(snapshot.message).toBe('storage: 3 requests retried after transient failures (server error ×2, connection reset ×1)');
    // The event says what a COMPLETED snapshot's event always says.
    expect(snapshot.events.at(-1)).toMatchObject({ from: 'IN_PROGRESS', to: 'COMPLETED', message: 'archive stored' });
    // One part (the archive is far below the 5 MiB part size), tried four times.
    expect(rig.s3.faults.requests('UploadPart')).toBe(4);
    expect(rig.s3.faults.pending()).toBe(0);
    const archive = await readArchive(rig.store(cluster.name), snapshot.name);
    expect(archive.sha256).toBe(snapshot.sha256);
    expect(archive.size).toBe(snapshot.sizeBytes);
    expect(archive.entries[0]?.name).toBe('manifest.json');
    expect(await metric('vsnap_storage_retries_total', { operation: 'UploadPart', reason: 'server_error' })).toBe(before.serverError + 2);
    expect(await metric('vsnap_storage_retries_total', { operation: 'UploadPart', reason: 'connection_reset' })).toBe(before.reset + 1);
  });

  it('says nothing of retries when none was needed', async () => {
    const cluster = await rig.registerCluster();
    rig.s3.faults.clear();
    const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);
    expect(snapshot.status).toBe('COMPLETED');
    expect(snapshot.message).toBeNull();
    expect(rig.s3.faults.requests('UploadPart')).toBe(1);
  });

  it('does not retry a refusal: FAILED after one UploadPart, the upload aborted, nothing counted', async () => {
    const cluster = await rig.registerCluster();
    const retriesBefore = await (await fetch(`${rig.app.url}/metrics`)).text();
    rig.s3.faults.clear();
    rig.s3.faults.failUploadParts(5, { status: 403, code: 'AccessDenied' });

    const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);

    expect(snapshot.status).toBe('FAILED');
    expect(snapshot.message).toBe(`storage refused at storage location "${cluster.storageLocation}"; the operator's log has the details`);
    expect(rig.failureDetail(snapshot.id)).toMatch(/denied; check S3_E2E_ACCESS_KEY and S3_E2E_SECRET_KEY and the bucket policy \(AccessDenied: injected AccessDenied\)$/);
    expect(rig.s3.faults.requests('UploadPart')).toBe(1);
    expect((await rig.s3.pendingUploads(BUCKET)).filter((upload) => upload.key === `${cluster.name}/${snapshot.name}`)).toEqual([]);
    expect(await rig.store(cluster.name).stat(snapshot.name)).toBeNull();
    const retryLines = (text: string) => text.split('\n').filter((line) => line.startsWith('vsnap_storage_retries_total{'));
    expect(retryLines(await (await fetch(`${rig.app.url}/metrics`)).text())).toEqual(retryLines(retriesBefore));
    rig.s3.faults.clear();
  });
});
