import { ForeignKeyConstraintViolationException, LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { VirtualClusterSchema } from '../clusters/entity.ts';
import { parseInput } from '../clusters/input.ts';
import { ConflictError, NotFoundError, quoted, ValidationError } from '../errors.ts';
import { SnapshotSchema } from '../snapshots/entity.ts';
import { isOpenTo, StorageLocationSchema, type StorageLocation } from './entity.ts';
import {
  createLocationInput,
  kindProblems,
  locationName,
  projectId as projectIdRule,
  updateLocationInput,
  type CreateLocationInput,
  type CredentialsInput,
  type UpdateLocationInput,
} from './input.ts';

/** Snapshots whose archive is (or may still be) in a location: it cannot go while they exist. */
const STORING_STATUSES = ['IN_PROGRESS', 'COMPLETED', 'PARTIALLY_FAILED', 'NOT_FOUND'] as const;

export class LocationService {
  constructor(private readonly em: EntityManager) {}

  /** Locations by name: every one, or those open to at least one of `projectIds`. */
  async list(projectIds: readonly string[] | undefined): Promise<StorageLocation[]> {
    // An id no location can list (not a DNS-1123 label) matches nothing, and never reaches the database.
    const ids = projectIds?.filter((id) => projectIdRule.safeParse(id).success);
    if (ids?.length === 0) return [];
    const where = ids ? { $or: [{ allowedProjectIds: null }, { allowedProjectIds: { $overlap: ids } }] } : {};
    return this.em.find(StorageLocationSchema, where, { orderBy: { name: 'asc' } });
  }

  /** null for what cannot be a location's name: it is never sent to the database (a NUL byte would fail there). */
  private async byName(em: EntityManager, name: string, lock?: LockMode): Promise<StorageLocation | null> {
    if (!locationName.safeParse(name).success) return null;
    return em.findOne(StorageLocationSchema, { name }, lock ? { lockMode: lock } : {});
  }

  /**
   * The location a policy names, checked for the cluster's project; null means
   * the default location (resolved when each snapshot is taken). A name that does
   * not exist and one the project may not use get the same answer, so a tenant
   * learns nothing of other tenants' locations.
   */
  async forPolicy(name: string | null | undefined, projectId: string, field: string): Promise<StorageLocation | null> {
    if (name === null || name === undefined) return null;
    const location = await this.byName(this.em, name);
    if (!location || !isOpenTo(location, projectId)) {
      throw new ValidationError(`${field}: ${quoted(name)} is not a storage location this project may use`, field);
    }
    return location;
  }

  async create(raw: CreateLocationInput): Promise<StorageLocation> {
    const input = parseInput(createLocationInput, raw);
    return this.writing(input.name, async (em) => {
      if (input.default) await demoteDefault(em);
      const location = em.create(StorageLocationSchema, {
        name: input.name,
        kind: input.kind,
        bucket: input.bucket ?? null,
        prefix: input.kind === 'S3' ? (input.prefix ?? '') : null,
        endpoint: input.endpoint ?? null,
        region: input.region ?? null,
        pathStyle: input.pathStyle ?? null,
        ...credentialColumns(input.kind === 'S3' ? (input.credentials ?? null) : undefined),
        directory: input.directory ?? null,
        allowedProjectIds: input.allowedProjectIds ?? null,
        isDefault: input.default ?? false,
      });
      await em.flush();
      return location;
    });
  }

  /**
   * Changes a location. Changing where it points moves no archive: snapshots
   * stored before show NOT_FOUND until their objects are where it now points.
   */
  async update(name: string, raw: UpdateLocationInput): Promise<StorageLocation> {
    const input = parseInput(updateLocationInput, raw);
    return this.writing(input.name ?? name, async (em) => {
      const location = await this.byName(em, name, LockMode.PESSIMISTIC_WRITE);
      if (!location) throw new NotFoundError(`storage location ${quoted(name)} does not exist`, 'name');
      const mismatch = kindProblems(location.kind, input);
      if (mismatch) throw new ValidationError(`${mismatch.field}: ${mismatch.message}`, mismatch.field);
      if (input.default === false && location.isDefault) await this.assertDefaultUnused(em, 'default', 'mark another location default instead');
      if (input.default === true && !location.isDefault) await demoteDefault(em);
      if (input.name != null) location.name = input.name;
      if (input.bucket != null) location.bucket = input.bucket;
      if (input.prefix !== undefined && location.kind === 'S3') location.prefix = input.prefix ?? '';
      if (input.endpoint !== undefined) location.endpoint = input.endpoint;
      if (input.region !== undefined) location.region = input.region;
      if (input.pathStyle !== undefined) location.pathStyle = input.pathStyle;
      if (input.credentials !== undefined) Object.assign(location, credentialColumns(input.credentials));
      if (input.directory != null) location.directory = input.directory;
      if (input.allowedProjectIds !== undefined) location.allowedProjectIds = input.allowedProjectIds;
      if (input.default != null) location.isDefault = input.default;
      await em.flush();
      return location;
    });
  }

  /** Refused (CONFLICT) while a policy names it, clusters rely on it as the default, or it holds snapshots. */
  async delete(name: string): Promise<StorageLocation> {
    try {
      return await this.em.transactional(async (em) => {
        const location = await this.byName(em, name, LockMode.PESSIMISTIC_WRITE);
        if (!location) throw new NotFoundError(`storage location ${quoted(name)} does not exist`, 'name');
        const policies = await em.count(VirtualClusterSchema, { policy: { storageLocation: location.id } });
        if (policies > 0) {
          throw new ConflictError(
            `storage location ${quoted(name)} is named by the auto-snapshot policy of ${clusters(policies)}; point them at another location first`,
            'name',
          );
        }
        if (location.isDefault) await this.assertDefaultUnused(em, 'name', 'mark another location default first');
        const stored = await em.count(SnapshotSchema, { storageLocation: location.id, status: { $in: [...STORING_STATUSES] } });
        if (stored > 0) {
          throw new ConflictError(
            `storage location ${quoted(name)} holds ${stored} snapshot${stored === 1 ? '' : 's'}; delete them (or let retention remove them) first`,
            'name',
          );
        }
        em.remove(location);
        await em.flush();
        return location;
      });
    } catch (error) {
      // A policy or snapshot took the location up between the checks and the delete.
      if (error instanceof ForeignKeyConstraintViolationException) {
        throw new ConflictError(`storage location ${quoted(name)} was taken into use meanwhile; try again`, 'name');
      }
      throw error;
    }
  }

  /** Clusters whose policy names no location use the default one. */
  private async assertDefaultUnused(em: EntityManager, field: string, remedy: string): Promise<void> {
    const relying = await em.count(VirtualClusterSchema, { policy: { storageLocation: null } });
    if (relying > 0) {
      throw new ConflictError(`${clusters(relying)} use${relying === 1 ? 's' : ''} the default storage location; ${remedy}`, field);
    }
  }

  private async writing(name: string, write: (em: EntityManager) => Promise<StorageLocation>): Promise<StorageLocation> {
    try {
      return await this.em.transactional(write);
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        this.em.clear();
        if (error.message.includes('storage_location_one_default')) {
          throw new ConflictError('another location was made default at the same time; try again', 'default');
        }
        throw new ConflictError(`a storage location named ${quoted(name)} already exists`, 'name');
      }
      throw error;
    }
  }
}

/**
 * The location a snapshot of `projectId` is written to, checked now: the one its
 * policy names, or the default. Locked (FOR SHARE) until the caller's transaction
 * ends, so it cannot be deleted while the snapshot takes it up. A string is the
 * reason it cannot be used.
 */
export async function locationForSnapshot(
  tx: EntityManager,
  named: Pick<StorageLocation, 'id'> | null | undefined,
  projectId: string,
): Promise<StorageLocation | string> {
  const location = await tx.findOne(StorageLocationSchema, named ? { id: named.id } : { isDefault: true }, {
    lockMode: LockMode.PESSIMISTIC_READ,
    refresh: true,
  });
  if (!location) {
    return named
      ? 'the storage location of the policy no longer exists; choose another in the auto-snapshot policy'
      : 'the policy names no storage location and there is no default one; a platform admin marks one default';
  }
  if (!isOpenTo(location, projectId)) {
    return `storage location ${quoted(location.name)} is no longer open to project ${projectId}; choose another in the auto-snapshot policy`;
  }
  return location;
}

async function demoteDefault(em: EntityManager): Promise<void> {
  await em.nativeUpdate(StorageLocationSchema, { isDefault: true }, { isDefault: false });
}

function credentialColumns(credentials: CredentialsInput | null | undefined) {
  if (credentials === undefined) return { credentialsSource: null, credentialsEnvPrefix: null, credentialsSecret: null };
  if (credentials?.fromEnvironment) return { credentialsSource: 'ENVIRONMENT' as const, credentialsEnvPrefix: credentials.fromEnvironment, credentialsSecret: null };
  if (credentials?.fromSecret) return { credentialsSource: 'SECRET' as const, credentialsEnvPrefix: null, credentialsSecret: credentials.fromSecret };
  return { credentialsSource: 'DEFAULT' as const, credentialsEnvPrefix: null, credentialsSecret: null };
}

function clusters(count: number): string {
  return `${count} virtual cluster${count === 1 ? '' : 's'}`;
}
