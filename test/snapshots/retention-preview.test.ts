/**
 * `AutoSnapshotPolicy.retentionPreview` over HTTP against real Postgres: the
 * rows it reads (a NOT_FOUND row's time from the event log, a FAILED row's
 * pending upload) and the SQL it costs in a list of clusters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlStatements } from '../../src/db/orm.ts';
import { sqlQuiescent } from '../support/database.ts';
import { EngineRetentionPreviewDocument, EngineRetentionPreviewsDocument, RegisterVirtualClusterDocument } from '../generated/graphql.ts';
import { startTestApp, tokens, type TestApp } from '../support/app.ts';
import { STATIC_KUBECONFIG } from '../support/kubeconfig.ts';
import { move, schedule, seedCompleted } from '../support/snapshots.ts';

let app: TestApp;
let admin: string;

beforeAll(async () => {
  app = await startTestApp();
  admin = await tokens.platformAdmin();
});
afterAll(() => app?.close());

let counter = 0;

async function register(projectId: string, keepLast: number) {
  const response = await app.request(
    RegisterVirtualClusterDocument,
    { input: { projectId, name: `vc-${++counter}`, kubeconfig: { inline: STATIC_KUBECONFIG }, autoSnapshotPolicy: { enabled: false, retention: { keepLast } } } },
    admin,
  );
  expect(response.errors).toBeUndefined();
  return response.data!.registerVirtualCluster;
}

const sql = (query: string, params: unknown[]) => app.orm.em.fork().execute(query, params, 'run');

async function previewOf(clusterId: string) {
  const response = await app.request(EngineRetentionPreviewDocument, { id: clusterId }, admin);
  expect(response.errors).toBeUndefined();
  return response.data!.virtualCluster!.autoSnapshotPolicy.retentionPreview!;
}

describe('retentionPreview', () => {
  it('ages a NOT_FOUND row from its move to NOT_FOUND, or from its last update once that event is pruned', async () => {
    const cluster = await register(`proj-${process.pid}-nf`, 1);
    const start = new Date(Date.now() - 40 * 86_400_000);
    const [logged, pruned, kept] = await seedCompleted(app.orm, cluster.id, 3, { start });
    for (const id of [logged!, pruned!]) await move(app.orm, id, 'NOT_FOUND', 'object is gone from storage');
    await sql("update snapshot_event set at = '2026-01-02T03:04:05Z' where snapshot_id = ? and to_state = 'NOT_FOUND'", [logged]);
    await sql('delete from snapshot_event where snapshot_id = ?', [pruned]);
    await sql("update snapshot set updated_at = '2026-01-03T00:00:00Z' where id = ?", [pruned]);

    const preview = await previewOf(cluster.id);
    expect(preview.map(({ snapshotId, status, reason }) => ({ snapshotId, status, reason }))).toEqual([
      { snapshotId: pruned, status: 'NOT_FOUND', reason: 'NOT_FOUND: its object has been missing since 2026-01-03T00:00:00.000Z, longer than keepFailed.maxAgeSeconds (604800)' },
      { snapshotId: logged, status: 'NOT_FOUND', reason: 'NOT_FOUND: its object has been missing since 2026-01-02T03:04:05.000Z, longer than keepFailed.maxAgeSeconds (604800)' },
    ]);
    expect(preview.map((entry) => entry.snapshotId)).not.toContain(kept);
  });

  it('leaves out a FAILED row whose upload is still to be aborted, however old', async () => {
    const cluster = await register(`proj-${process.pid}-up`, 1);
    const old = new Date(Date.now() - 30 * 86_400_000);
    const pending = (await schedule(app.orm, cluster.id, old)).id;
    await move(app.orm, pending, 'FAILED', 'worker lost');
    const plain = (await schedule(app.orm, cluster.id, new Date(old.getTime() + 60_000))).id;
    await move(app.orm, plain, 'FAILED', 'never started');
    await sql("update snapshot set upload_id = 'upload-1' where id = ?", [pending]);
    expect((await previewOf(cluster.id)).map((entry) => [entry.snapshotId, entry.reason])).toEqual([[plain, 'FAILED, older than keepFailed.maxAgeSeconds (604800)']]);
  });

  it('costs the same SQL for a page of 6 clusters as for 1', async () => {
    const statementsFor = async (projectId: string, clusters: number) => {
      const ids: string[] = [];
      for (let i = 0; i < clusters; i++) {
        const cluster = await register(projectId, 1);
        await seedCompleted(app.orm, cluster.id, 3, { start: new Date(Date.UTC(2026, 5, 1, i)) });
        ids.push(cluster.id);
      }
      await sqlQuiescent();
      const before = sqlStatements.count;
      const response = await app.request(EngineRetentionPreviewsDocument, { projectId }, admin);
      const used = sqlStatements.count - before;
      expect(response.errors).toBeUndefined();
      const edges = response.data!.virtualClusters.edges;
      expect(edges.map(({ node }) => node.id).sort()).toEqual([...ids].sort());
      for (const { node } of edges) expect(node.autoSnapshotPolicy.retentionPreview!.map((entry) => entry.reason)).toEqual(['kept by no rule (keepLast 1)', 'kept by no rule (keepLast 1)']);
      return used;
    };
    const one = await statementsFor(`proj-${process.pid}-one`, 1);
    const six = await statementsFor(`proj-${process.pid}-six`, 6);
    expect(six).toBe(one);
  });
});
