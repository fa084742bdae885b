import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ConflictError, NotFoundError, quoted } from '../errors.ts';
import { cursorKey, encodeCursor, type PageRequest } from '../db/keyset.ts';
import { preparedRows } from '../db/prepared.ts';
import type { SnapshotJobs } from '../jobs/jobs.ts';
import type { StorageLocation } from '../locations/entity.ts';
import { LocationService } from '../locations/service.ts';
import type { Logger } from '../logger.ts';
import { SnapshotSchema } from '../snapshots/entity.ts';
import { recordSnapshotDeleted } from '../snapshots/transitions.ts';
import { VirtualClusterSchema, type VirtualCluster } from './entity.ts';
import { clusterName, kubeconfigInput, parseInput, policyInput, projectId, type PolicyInput, type RetentionInput } from './input.ts';
import { sealInlineKubeconfig, type KubeconfigRules } from './kubeconfig.ts';
import { nextTick } from './next-run.ts';

const registerInput = z.object({
  projectId,
  name: clusterName,
  kubeconfig: kubeconfigInput,
  autoSnapshotPolicy: policyInput.optional(),
});
export type RegisterClusterInput = z.input<typeof registerInput>;

const updateInput = z.object({ name: clusterName.optional(), kubeconfig: kubeconfigInput.optional() });
export type UpdateClusterInput = z.input<typeof updateInput>;

export function clusterCursor(cluster: Pick<VirtualCluster, 'name' | 'id'>): string {
  return encodeCursor([cluster.name, cluster.id]);
}
/** What clusterCursor encodes, and nothing else. */
const clusterCursorKey = z.tuple([clusterName, z.uuid()]);

/**
 * The answer for an id that names no cluster the caller may see, whether it does not
 * exist or lies in another project: the same words either way, so they tell nothing.
 */
export function clusterNotFound(field = 'id'): NotFoundError {
  return new NotFoundError('virtual cluster not found', field);
}

/** Column lists by the ORM's metadata of the cluster entity (one per ORM instance). */
const columnLists = new WeakMap<object, string>();

/** The columns a cluster entity is mapped from: every persisted one but the lazy inline kubeconfig (a secret nothing here reads). */
function clusterColumns(em: EntityManager): string {
  const meta = em.getMetadata(VirtualClusterSchema);
  let columns = columnLists.get(meta);
  if (columns === undefined) {
    columns = meta.props
      .filter((prop) => !prop.lazy && prop.persist !== false && prop.kind !== 'embedded' && prop.fieldNames?.length)
      .flatMap((prop) => prop.fieldNames.map((column) => `vc.${column}`))
      .join(', ');
    columnLists.set(meta, columns);
  }
  return columns;
}

export class ClusterService {
  constructor(
    private readonly em: EntityManager,
    /** Absent in an API-only process without a scheduler: schedules sync when a worker starts. */
    private readonly jobs?: { scheduler: SnapshotJobs; logger: Logger },
    /** Needed to register a cluster or change its kubeconfig. */
    private readonly kubeconfigs?: KubeconfigRules,
  ) {}

  /** `field`: the argument that named the cluster, for the NOT_FOUND answer. */
  async get(id: string, field = 'id'): Promise<VirtualCluster> {
    const cluster = z.uuid().safeParse(id).success ? await this.em.findOne(VirtualClusterSchema, { id }) : null;
    if (!cluster) throw clusterNotFound(field);
    return cluster;
  }

  /** The clusters of these ids (UUIDs) that exist, in no order: one prepared statement, mapped into this EntityManager. */
  async findByIds(ids: readonly string[]): Promise<VirtualCluster[]> {
    if (ids.length === 0) return [];
    const rows = await preparedRows(this.em, `select ${clusterColumns(this.em)} from virtual_cluster vc where vc.id = any($1::uuid[])`, [`{${ids.join(',')}}`]);
    return rows.map((row) => this.em.map(VirtualClusterSchema, row));
  }

  /** Clusters ordered by name; `projectIds` undefined means every project. */
  async list(projectIds: readonly string[] | undefined, page: PageRequest): Promise<VirtualCluster[]> {
    const where: Record<string, unknown> = projectIds ? { projectId: { $in: [...projectIds] } } : {};
    const key = cursorKey(page, clusterCursorKey);
    if (key) {
      const [name, id] = key;
      const op = page.after ? '$gt' : '$lt';
      where.$or = [{ name: { [op]: name } }, { name, id: { [op]: id } }];
    }
    const direction = page.inverted ? 'desc' : 'asc';
    return this.em.find(VirtualClusterSchema, where, { orderBy: { name: direction, id: direction }, limit: page.limit });
  }

  /**
   * One page of clusters (by name) for each project, in one statement whatever the number of
   * projects: what `Project.virtualClusters` reads for a batch of federation representations.
   */
  async pagesForProjects(projectIds: readonly string[], page: PageRequest): Promise<Map<string, VirtualCluster[]>> {
    // One JSON array parameter: the driver would spread a JS array into a list.
    const params: unknown[] = [JSON.stringify(projectIds)];
    const filters = ['vc.project_id = p.id'];
    const key = cursorKey(page, clusterCursorKey);
    if (key) {
      filters.push(`(vc.name, vc.id) ${page.after ? '>' : '<'} (?, ?::uuid)`);
      params.push(key[0], key[1]);
    }
    const order = page.inverted ? 'desc' : 'asc';
    params.push(page.limit);
    const rows = await this.em.execute<Record<string, unknown>[]>(
      `select page.* from json_array_elements_text(?::json) as p(id)
       cross join lateral (
         select ${clusterColumns(this.em)} from virtual_cluster vc where ${filters.join(' and ')}
         order by vc.name ${order}, vc.id ${order} limit ?
       ) page
       order by page.project_id, page.name ${order}, page.id ${order}`,
      params,
    );
    const pages = new Map<string, VirtualCluster[]>(projectIds.map((id) => [id, []]));
    for (const row of rows) {
      const cluster = this.em.map(VirtualClusterSchema, row);
      pages.get(cluster.projectId)?.push(cluster);
    }
    return pages;
  }

  async register(raw: RegisterClusterInput): Promise<VirtualCluster> {
    const input = parseInput(registerInput, raw);
    const kubeconfig = this.kubeconfigColumns(input.kubeconfig);
    const policy: PolicyInput = input.autoSnapshotPolicy ?? parseInput(policyInput, { enabled: false });
    const location = await new LocationService(this.em).forPolicy(policy.storageLocation, input.projectId, 'autoSnapshotPolicy.storageLocation');
    const cluster = this.em.create(VirtualClusterSchema, {
      projectId: input.projectId,
      name: input.name,
      ...kubeconfig,
      policy: policyColumns(policy, location),
    });
    await this.flushUnique(cluster);
    await this.announcePolicyChange();
    return cluster;
  }

  async update(id: string, raw: UpdateClusterInput): Promise<VirtualCluster> {
    const input = parseInput(updateInput, raw);
    const kubeconfig = input.kubeconfig ? this.kubeconfigColumns(input.kubeconfig) : undefined;
    const cluster = await this.get(id);
    if (input.name !== undefined) cluster.name = input.name;
    if (kubeconfig) Object.assign(cluster, kubeconfig);
    await this.flushUnique(cluster);
    return cluster;
  }

  async setPolicy(id: string, raw: z.input<typeof policyInput>): Promise<VirtualCluster> {
    const input = parseInput(policyInput, raw);
    const cluster = await this.get(id, 'virtualClusterId');
    const location = await new LocationService(this.em).forPolicy(input.storageLocation, cluster.projectId, 'storageLocation');
    cluster.policy = policyColumns(input, location);
    await this.em.flush();
    await this.announcePolicyChange();
    return cluster;
  }

  /** Removes the cluster and its snapshot rows; refused while a snapshot is being taken. */
  async remove(id: string): Promise<VirtualCluster> {
    if (!z.uuid().safeParse(id).success) throw clusterNotFound();
    const removed = await this.em.transactional(async (em) => {
      const cluster = await em.findOne(VirtualClusterSchema, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!cluster) throw clusterNotFound();
      const running = await em.count(SnapshotSchema, { virtualCluster: cluster, status: 'IN_PROGRESS' });
      if (running > 0) throw new ConflictError(`virtual cluster ${quoted(cluster.name)} has a snapshot in progress; try again when it has finished`, 'id');
      // Its snapshot rows go with it (cascade): each leaves a DELETED event in this transaction.
      for (const snapshot of await em.find(SnapshotSchema, { virtualCluster: cluster }, { orderBy: { scheduledAt: 'asc', id: 'asc' } })) {
        await recordSnapshotDeleted(em, snapshot, `its virtual cluster ${quoted(cluster.name)} was removed`);
      }
      em.remove(cluster);
      return cluster;
    });
    return removed;
  }

  /** An inline kubeconfig is admitted and sealed (VALIDATION when refused); a secret reference is kept as given. */
  private kubeconfigColumns(kubeconfig: { inline?: string; secretRef?: string }): Pick<VirtualCluster, 'kubeconfigInline' | 'kubeconfigSecretRef'> {
    if (kubeconfig.inline === undefined) return { kubeconfigInline: null, kubeconfigSecretRef: kubeconfig.secretRef ?? null };
    if (!this.kubeconfigs) throw new Error('this ClusterService was built without kubeconfig rules');
    return { kubeconfigInline: sealInlineKubeconfig(kubeconfig.inline, this.kubeconfigs), kubeconfigSecretRef: null };
  }

  /** Wakes every worker's due-finder, so a policy due sooner than its next pass is not late. */
  private async announcePolicyChange(): Promise<void> {
    try {
      await this.em.execute('select pg_notify(?, \'\')', [POLICY_CHANGED_CHANNEL]);
    } catch (error) {
      // Committed already: the due-finder's next pass (a few seconds) finds the policy anyway.
      this.jobs?.logger.warn({ err: error }, 'announcing a policy change failed; the due-finder finds it on its next pass');
    }
  }

  private async flushUnique(cluster: VirtualCluster): Promise<void> {
    try {
      await this.em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        this.em.clear();
        throw new ConflictError(`project ${quoted(cluster.projectId)} already has a virtual cluster named ${quoted(cluster.name)}`, 'name');
      }
      throw error;
    }
  }
}

/** The channel ClusterService NOTIFYs on a policy change; every worker's due-finder LISTENs. */
export const POLICY_CHANGED_CHANNEL = 'vsnap_policy_changed';

function policyColumns(policy: PolicyInput, location: StorageLocation | null, now = new Date()): VirtualCluster['policy'] {
  const nextRunAt = policy.enabled && policy.schedule ? nextTick(policy.schedule, policy.timeZone, now) : null;
  return {
    catchUp: policy.catchUp,
    nextRunAt,
    skippedTicks: 0,
    enabled: policy.enabled,
    schedule: policy.schedule ?? null,
    timeZone: policy.timeZone,
    retention: retentionColumns(policy.retention),
    storageLocation: location,
    volumeSnapshotsEnabled: policy.volumeSnapshotsEnabled,
  };
}

/** Every rule as a column: one left out is null (not set). */
function retentionColumns(retention: RetentionInput): VirtualCluster['policy']['retention'] {
  return {
    keepLast: retention.keepLast ?? null,
    keepHourly: retention.keepHourly ?? null,
    keepDaily: retention.keepDaily ?? null,
    keepWeekly: retention.keepWeekly ?? null,
    keepMonthly: retention.keepMonthly ?? null,
    keepYearly: retention.keepYearly ?? null,
    maxAgeSeconds: retention.maxAgeSeconds ?? null,
    keepFailed: { last: retention.keepFailed.last, maxAgeSeconds: retention.keepFailed.maxAgeSeconds },
  };
}
