/**
 * The same scheduling path with Agenda's jobs stored in MongoDB: runs only when
 * MONGODB_URL points at a server (none can be installed on the development
 * machines, so it is skipped there). Each run gets a database of its own, so
 * rigs in parallel never work each other's jobs.
 */
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENDA_TABLE } from '../../src/jobs/agenda.ts';
import { EngineClusterSnapshotsDocument, EnginePolicyOutcomeDocument, SetAutoSnapshotPolicyDocument } from '../generated/graphql.ts';
import { isFinished, startEngineRig, type EngineRig } from './harness.ts';

const MONGODB_URL = process.env.MONGODB_URL;

/** MONGODB_URL with a fresh database name in its path (query options kept). */
function isolatedMongoUrl(base: string): string {
  const url = new URL(base);
  url.pathname = `/vsnap_test_${randomBytes(6).toString('hex')}`;
  return url.toString();
}

describe.skipIf(!MONGODB_URL)('snapshot engine on the MongoDB job store', () => {
  let rig: EngineRig;
  let mongoUrl: string;
  let mongo: MongoClient;

  beforeAll(async () => {
    mongoUrl = isolatedMongoUrl(MONGODB_URL!);
    mongo = await MongoClient.connect(mongoUrl);
    rig = await startEngineRig({ mongodbUrl: mongoUrl });
  });
  afterAll(async () => {
    await rig?.close();
    await mongo?.db().dropDatabase();
    await mongo?.close();
  });

  it('keeps the jobs in MongoDB, not in Postgres', async () => {
    const names = await mongo.db().collection(AGENDA_TABLE).distinct('name');
    expect(names).toEqual(expect.arrayContaining(['reconcile-storage', 'enforce-retention']));
    const [row] = await rig.app.orm.em.fork().execute<{ table: string | null }[]>(`select to_regclass('${AGENDA_TABLE}')::text as table`);
    expect(row?.table ?? null).toBeNull();
  });

  it('createSnapshot is taken to COMPLETED', async () => {
    const cluster = await rig.registerCluster();
    const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);
    expect(snapshot.status).toBe('COMPLETED');
    expect(snapshot.events.map((e) => e.to)).toEqual(['SCHEDULED', 'IN_PROGRESS', 'COMPLETED']);
    expect(await rig.store(cluster.name).stat(snapshot.name)).not.toBeNull();
  });

  it('reconcile-storage run out of turn marks a vanished object NOT_FOUND', async () => {
    const cluster = await rig.registerCluster();
    const snapshot = await rig.waitFor(await rig.createSnapshot(cluster.id), isFinished);
    await rig.store(cluster.name).remove(snapshot.name);
    await rig.app.engine!.scheduler.runNow('reconcile-storage');
    const missing = await rig.waitFor(snapshot.id, (s) => s.status === 'NOT_FOUND', 20_000);
    expect(missing.events.at(-1)).toMatchObject({ from: 'COMPLETED', to: 'NOT_FOUND' });
  });

  it('a policy tick takes a SCHEDULE-triggered snapshot', { timeout: 100_000 }, async () => {
    const cluster = await rig.registerCluster();
    const set = await rig.app.request(
      SetAutoSnapshotPolicyDocument,
      { virtualClusterId: cluster.id, policy: { enabled: true, schedule: '* * * * *', timeZone: 'UTC', storageLocation: cluster.storageLocation } },
      rig.admin,
    );
    expect(set.errors).toBeUndefined();
    const policy = async () => (await rig.app.request(EnginePolicyOutcomeDocument, { id: cluster.id }, rig.admin)).data!.virtualCluster!.autoSnapshotPolicy;
    const next = new Date((await policy()).nextRunAt!);
    expect(next.getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
    // The policy's next run is its own column; in MongoDB only the one due-finder job, no job per cluster.
    expect(await mongo.db().collection(AGENDA_TABLE).countDocuments({ name: 'auto-snapshot' })).toBe(0);
    expect(await mongo.db().collection(AGENDA_TABLE).countDocuments({ name: 'find-due-snapshots' })).toBe(1);

    const deadline = Date.now() + 80_000;
    let found: { id: string; trigger: string } | undefined;
    while (!found && Date.now() < deadline) {
      const page = await rig.app.request(EngineClusterSnapshotsDocument, { id: cluster.id }, rig.admin);
      expect(page.errors).toBeUndefined();
      found = page.data?.virtualCluster?.snapshots?.edges.map((e) => e.node).find((s) => s.trigger === 'SCHEDULE');
      if (!found) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(found, 'no scheduled snapshot within 80s').toBeDefined();
    const snapshot = await rig.waitFor(found!.id, isFinished);
    expect(snapshot.status).toBe('COMPLETED');
    expect(snapshot.trigger).toBe('SCHEDULE');
    expect(snapshot.events.map((e) => e.to)).toEqual(['SCHEDULED', 'IN_PROGRESS', 'COMPLETED']);

    expect(await policy()).toMatchObject({ lastRun: { status: 'COMPLETED', snapshot: { id: snapshot.id } } });
    await rig.app.request(SetAutoSnapshotPolicyDocument, { virtualClusterId: cluster.id, policy: { enabled: false } }, rig.admin);
    expect((await policy()).nextRunAt).toBeNull();
  });
});
