/**
 * Snapshot fixtures for tests: every status and phase goes through the real
 * transitions module, one transaction per move, so each row has a true history.
 */
import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { VirtualClusterSchema, type VirtualCluster } from '../../src/clusters/entity.ts';
import type { SnapshotEvent } from '../../src/events/entity.ts';
import { SnapshotSchema, VolumeSnapshotSchema, type Snapshot, type SnapshotTrigger } from '../../src/snapshots/entity.ts';
import type { SnapshotStatus, VolumeSnapshotPhase } from '../../src/snapshots/lifecycle.ts';
import { snapshotObjectName } from '../../src/snapshots/naming.ts';
import { moveSnapshot, moveVolume, scheduleSnapshot, SNAPSHOT_EVENTS_CHANNEL } from '../../src/snapshots/transitions.ts';

/** A virtual cluster row of its own project (or of `projectId`). */
export async function insertCluster(orm: MikroORM, name = 'prod', projectId = `proj-${randomBytes(4).toString('hex')}`): Promise<VirtualCluster> {
  const em = orm.em.fork();
  const cluster = em.create(VirtualClusterSchema, {
    projectId,
    name,
    kubeconfigInline: 'apiVersion: v1',
    kubeconfigSecretRef: null,
    policy: {
      enabled: false,
      schedule: null,
      timeZone: 'UTC',
      retention: { keepFailed: {} },
      storageLocation: null,
      volumeSnapshotsEnabled: true,
    },
  });
  await em.flush();
  return cluster;
}

/** Inserts a SCHEDULED snapshot of the cluster through scheduleSnapshot; returns it (detached). */
export async function schedule(
  orm: MikroORM,
  clusterId: string,
  at = new Date(),
  trigger: SnapshotTrigger = 'SCHEDULE',
): Promise<Snapshot> {
  return orm.em.fork().transactional(async (tx) => {
    const cluster = await tx.findOneOrFail(VirtualClusterSchema, { id: clusterId });
    return scheduleSnapshot(tx, {
      virtualCluster: cluster,
      projectId: cluster.projectId,
      name: snapshotObjectName(cluster.name, at),
      trigger,
      volumeSnapshotsEnabled: cluster.policy.volumeSnapshotsEnabled,
      scheduledAt: at,
    });
  });
}

/**
 * A snapshot scheduled and moved through `statuses` in ONE transaction: a running worker's take
 * slots, which claim every due SCHEDULED snapshot, never see it waiting. The last move carries `message`.
 */
export async function scheduledThrough(orm: MikroORM, clusterId: string, at: Date, statuses: SnapshotStatus[], message?: string): Promise<Snapshot> {
  return orm.em.fork().transactional(async (tx) => {
    const cluster = await tx.findOneOrFail(VirtualClusterSchema, { id: clusterId });
    const snapshot = await scheduleSnapshot(tx, {
      virtualCluster: cluster,
      projectId: cluster.projectId,
      name: snapshotObjectName(cluster.name, at),
      trigger: 'SCHEDULE',
      volumeSnapshotsEnabled: cluster.policy.volumeSnapshotsEnabled,
      scheduledAt: at,
    });
    for (const [index, status] of statuses.entries()) await moveSnapshot(tx, snapshot, status, index === statuses.length - 1 ? message : undefined);
    return snapshot;
  });
}

/** One snapshot move in a transaction of its own. */
export async function move(orm: MikroORM, snapshotId: string, to: SnapshotStatus, message?: string): Promise<SnapshotEvent> {
  return orm.em.fork().transactional(async (tx) => {
    const snapshot = await tx.findOneOrFail(SnapshotSchema, { id: snapshotId });
    return moveSnapshot(tx, snapshot, to, message);
  });
}

/** Adds NOT_STARTED volume snapshots (their birth is not a transition); returns their ids in order. */
export async function addVolumes(
  orm: MikroORM,
  snapshotId: string,
  pvcs: readonly { namespace: string; pvcName: string }[],
): Promise<string[]> {
  const em = orm.em.fork();
  const snapshot = await em.findOneOrFail(SnapshotSchema, { id: snapshotId });
  const volumes = pvcs.map((pvc) => em.create(VolumeSnapshotSchema, { snapshot, ...pvc, driver: 'csi.test' }));
  await em.flush();
  return volumes.map((volume) => volume.id);
}

/** One volume move in a transaction of its own. */
export async function moveVol(orm: MikroORM, volumeId: string, to: VolumeSnapshotPhase, message?: string): Promise<SnapshotEvent> {
  return orm.em.fork().transactional(async (tx) => {
    const volume = await tx.findOneOrFail(VolumeSnapshotSchema, { id: volumeId }, { populate: ['snapshot'] });
    return moveVolume(tx, volume, to, message);
  });
}

/**
 * `count` snapshots of the cluster, each SCHEDULED → IN_PROGRESS → COMPLETED,
 * scheduled one minute apart from `start`; `volumes` NOT_STARTED → SKIPPED
 * volume snapshots each. Returns their ids, oldest first.
 */
export async function seedCompleted(
  orm: MikroORM,
  clusterId: string,
  count: number,
  options: { start?: Date; volumes?: number } = {},
): Promise<string[]> {
  const start = options.start?.getTime() ?? Date.UTC(2026, 0, 1);
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const snapshot = await schedule(orm, clusterId, new Date(start + i * 60_000));
    await move(orm, snapshot.id, 'IN_PROGRESS');
    const volumeIds = await addVolumes(
      orm,
      snapshot.id,
      Array.from({ length: options.volumes ?? 0 }, (_, v) => ({ namespace: 'default', pvcName: `data-${v}` })),
    );
    for (const volumeId of volumeIds) await moveVol(orm, volumeId, 'SKIPPED', 'no snapshot class');
    await move(orm, snapshot.id, 'COMPLETED');
    ids.push(snapshot.id);
  }
  return ids;
}

/** A separate connection LISTENing on the snapshot events channel. */
export class EventListener {
  readonly received: string[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(readonly client: pg.Client) {}

  static async start(url: string): Promise<EventListener> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const listener = new EventListener(client);
    client.on('notification', (message) => {
      if (message.channel !== SNAPSHOT_EVENTS_CHANNEL) return;
      listener.received.push(message.payload ?? '');
      for (const wake of listener.waiters) wake();
    });
    await client.query(`listen ${SNAPSHOT_EVENTS_CHANNEL}`);
    return listener;
  }

  /**
   * Waits until every notification committed so far has arrived (a NOTIFY sent
   * now is delivered after them: Postgres delivers in commit order), then
   * forgets them all.
   */
  async settle(timeoutMs = 5000): Promise<void> {
    const barrier = `barrier-${randomBytes(6).toString('hex')}`;
    const start = this.received.length;
    await this.client.query('select pg_notify($1, $2)', [SNAPSHOT_EVENTS_CHANNEL, barrier]);
    const deadline = Date.now() + timeoutMs;
    while (!this.received.slice(start).includes(barrier)) {
      await this.waitFor(this.received.length + 1, Math.max(1, deadline - Date.now()));
    }
    this.received.length = 0;
  }

  /** Resolves with everything received once at least `count` payloads have arrived; rejects at the deadline. */
  async waitFor(count: number, timeoutMs = 5000): Promise<string[]> {
    if (this.received.length >= count) return [...this.received];
    return new Promise((resolve, reject) => {
      const wake = () => {
        if (this.received.length < count) return;
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve([...this.received]);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(new Error(`expected ${count} notification(s) within ${timeoutMs} ms, got [${this.received.join(', ')}]`));
      }, timeoutMs);
      this.waiters.add(wake);
    });
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
