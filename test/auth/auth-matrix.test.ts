/**
 * The field-level authorization matrix, over HTTP against real Postgres.
 *
 * Rule: snapshot and volume-snapshot data (every Snapshot field, VolumeSnapshot,
 * Snapshot.events, VirtualCluster.snapshots, snapshot(id), the Snapshot entity
 * of federation, AutoSnapshotPolicy.retentionPreview, lastRun and consecutiveFailures) and every change (register / update / remove a cluster, its
 * policy, createSnapshot, verifySnapshot, deleteSnapshot) are for platform admins and admins of
 * the cluster's project. A member of the project sees the cluster itself and gets
 * FORBIDDEN on the protected fields, the rest of the response intact. To a caller
 * outside every project of the cluster, its clusters and snapshots do not exist:
 * NOT_FOUND (and null from federation's _entities), exactly as for an id of nothing
 * (test/security/privacy.test.ts compares the two byte for byte). A request without a
 * valid bearer token is refused as a whole: HTTP 401, UNAUTHENTICATED.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { getNamedType, isObjectType, isUnionType, parse, print, type GraphQLNamedType } from 'graphql';
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClusterSchema } from '../../src/clusters/entity.ts';
import { SnapshotEventSchema } from '../../src/events/entity.ts';
import { schema } from '../../src/graphql/schema.ts';
import { StorageLocationSchema } from '../../src/locations/entity.ts';
import { SnapshotSchema, VolumeSnapshotSchema } from '../../src/snapshots/entity.ts';
import { moveSnapshot, moveVolume } from '../../src/snapshots/transitions.ts';
import { LocalObjectStore, type StorageSettings } from '../../src/storage/index.ts';
import {
  AuthClusterSnapshotsDocument,
  AuthCreateSnapshotDocument,
  AuthDeleteSnapshotDocument,
  AuthMixedDocument,
  AuthRegisterVirtualClusterDocument,
  AuthRemoveVirtualClusterDocument,
  AuthRetentionPreviewDocument,
  AuthSetAutoSnapshotPolicyDocument,
  AuthSnapshotDocument,
  AuthSnapshotEventsDocument,
  AuthSnapshotVolumesDocument,
  AuthUpdateVirtualClusterDocument,
  AuthVerifySnapshotDocument,
  AuthVirtualClusterDocument,
  AuthVirtualClustersDocument,
  AuthCreateStorageLocationDocument,
  AuthDeleteStorageLocationDocument,
  AuthSnapshotLocationDocument,
  AuthStorageLocationsDocument,
  AuthStorageLocationsEveryFieldDocument,
  AuthUpdateStorageLocationDocument,
  type RegisterVirtualClusterInput,
} from '../generated/graphql.ts';
import { errorCodes, startTestApp, TEST_JWT_SECRET, tokens, type GraphQLResponse, type TestApp } from '../support/app.ts';
import { STATIC_KUBECONFIG } from '../support/kubeconfig.ts';

/** The cluster under test lives in P1; P2 is somebody else's project. */
const P1 = 'auth-p1';
const P2 = 'auth-p2';

const ROLES = ['platformAdmin', 'projectAdmin', 'otherProjectAdmin', 'member', 'memberAndOtherAdmin', 'anonymous'] as const;
type Role = (typeof ROLES)[number];

const WHO: Record<Role, string> = {
  platformAdmin: 'platform admin',
  projectAdmin: "admin of the cluster's project",
  otherProjectAdmin: 'admin of another project',
  member: "member of the cluster's project",
  memberAndOtherAdmin: "member of the cluster's project who is admin of another",
  anonymous: 'anonymous (no token)',
};

/** NOT_FOUND: the row does not exist for this caller (null, and a NOT_FOUND error where a missing id gives one). */
type Outcome = 'ALLOWED' | 'FORBIDDEN' | 'NOT_FOUND' | 'UNAUTHENTICATED';
type Access = Record<Role, Outcome>;

/** Snapshot data, and every change to a cluster or snapshot: platform admins and the admins of the cluster's project. */
const CLUSTER_ADMINS: Access = {
  platformAdmin: 'ALLOWED',
  projectAdmin: 'ALLOWED',
  otherProjectAdmin: 'NOT_FOUND',
  member: 'FORBIDDEN',
  memberAndOtherAdmin: 'FORBIDDEN',
  anonymous: 'UNAUTHENTICATED',
};

/** Registering a cluster in a project: its admins and platform admins (projects are no secret here: FORBIDDEN). */
const PROJECT_ADMINS: Access = { ...CLUSTER_ADMINS, otherProjectAdmin: 'FORBIDDEN' };

/** The cluster itself: anyone in its project, and platform admins. */
const CLUSTER_PROJECT: Access = {
  platformAdmin: 'ALLOWED',
  projectAdmin: 'ALLOWED',
  otherProjectAdmin: 'NOT_FOUND',
  member: 'ALLOWED',
  memberAndOtherAdmin: 'ALLOWED',
  anonymous: 'UNAUTHENTICATED',
};

/** Storage locations (their buckets, paths, credentials sources) and where an archive lies: platform admins only. */
const PLATFORM_ADMINS: Access = {
  platformAdmin: 'ALLOWED',
  projectAdmin: 'FORBIDDEN',
  otherProjectAdmin: 'FORBIDDEN',
  member: 'FORBIDDEN',
  memberAndOtherAdmin: 'FORBIDDEN',
  anonymous: 'UNAUTHENTICATED',
};

/** Snapshot.location: platform admins only; to an outsider the snapshot does not exist at all. */
const SNAPSHOT_LOCATION_ACCESS: Access = { ...PLATFORM_ADMINS, otherProjectAdmin: 'NOT_FOUND' };

/** Snapshot fields whose access differs from the rest of the snapshot's. */
const FIELD_ACCESS: Partial<Record<string, Access>> = { location: SNAPSHOT_LOCATION_ACCESS };

/** Federation's entry point is not in the printed SDL (the subgraph schema adds it), so it is parsed here. */
type EntitiesQuery = {
  _entities: (
    | null
    | { __typename: 'Snapshot'; id: string; name: string; status: string; sha256: string | null }
    | { __typename: 'VirtualCluster'; id: string; name: string; projectId: string }
  )[];
};
const AuthEntitiesDocument = parse(/* GraphQL */ `
  query AuthEntities($representations: [_Any!]!) {
    _entities(representations: $representations) {
      __typename
      ... on Snapshot {
        id
        name
        status
        sha256
      }
      ... on VirtualCluster {
        id
        name
        projectId
      }
    }
  }
`) as TypedDocumentNode<EntitiesQuery, { representations: { __typename: string; id: string }[] }>;

let app: TestApp;
const token = {} as Record<Role, string | undefined>;

interface Seed {
  cluster: { id: string; name: string; secretRef: string };
  otherCluster: { id: string };
  snapshot: { id: string; name: string; location: string; sha256: string };
  otherSnapshot: { id: string };
  volume: { id: string; pvcName: string; snapshotHandle: string };
  /** A cluster of P1 keeping 1 snapshot of its 2: retention would delete `expired`. */
  retained: { id: string; expired: { id: string; name: string; scheduledAt: string }; lastRun: { id: string; name: string } };
}
let seed: Seed;

let counter = 0;
const uniqueName = (prefix: string) => `${prefix}-${++counter}`;

async function registerCluster(input: Partial<RegisterVirtualClusterInput> = {}) {
  const response = await app.request(
    AuthRegisterVirtualClusterDocument,
    { input: { projectId: P1, name: uniqueName('target'), kubeconfig: { inline: STATIC_KUBECONFIG }, ...input } },
    token.platformAdmin,
  );
  expect(response.errors).toBeUndefined();
  return response.data!.registerVirtualCluster;
}

async function createSnapshot(virtualClusterId: string) {
  const response = await app.request(AuthCreateSnapshotDocument, { virtualClusterId }, token.platformAdmin);
  expect(response.errors).toBeUndefined();
  return response.data!.createSnapshot;
}

/** Takes the SCHEDULED snapshot to COMPLETED with one completed volume, every move through transitions.ts. */
async function completeWithOneVolume(snapshotId: string) {
  return app.orm.em.fork().transactional(async (em) => {
    const snapshot = await em.findOneOrFail(SnapshotSchema, { id: snapshotId });
    snapshot.startedAt = new Date();
    await moveSnapshot(em, snapshot, 'IN_PROGRESS', 'taking the archive');
    const volume = em.create(VolumeSnapshotSchema, {
      snapshot,
      namespace: 'db',
      pvcName: 'data-payments-postgres-0',
      driver: 'ebs.csi.aws.com',
      volumeSnapshotClass: 'csi-aws-vsc',
    });
    await em.flush();
    await moveVolume(em, volume, 'IN_PROGRESS', 'CSI VolumeSnapshot created');
    volume.snapshotHandle = 'snap-0a1b2c3d4e5f60718';
    volume.restoreSizeBytes = 10 * 1024 ** 3;
    await moveVolume(em, volume, 'COMPLETED_CLEANING_UP', 'ready to use; removing the temporary objects');
    await moveVolume(em, volume, 'COMPLETED', 'volume snapshot secret-volume-handle kept');
    snapshot.finishedAt = new Date();
    snapshot.storageLocation = await em.findOneOrFail(StorageLocationSchema, { name: 'default' });
    snapshot.location = `/var/lib/vsnap/snapshots/${snapshot.name}`;
    snapshot.sizeBytes = 48_213;
    snapshot.sha256 = 'c0ffee'.repeat(10) + 'beef';
    snapshot.objectCount = 97;
    snapshot.skippedResources = [{ group: 'secret-group.example.com', resource: 'hiddenwidgets', reason: 'forbidden (403)' }];
    await moveSnapshot(em, snapshot, 'COMPLETED', 'archive stored');
    return { snapshot, volume };
  });
}

/** The API reads archives (verifySnapshot) from the `default` LOCAL location, at this root. */
const storage: StorageSettings = {
  s3: { region: 'us-east-1', pathStyle: true, partSizeBytes: 5 * 1024 * 1024 },
  localRoot: path.join(os.tmpdir(), `vsnap-auth-storage-${randomUUID()}`),
  secretsDir: '/nonexistent-storage-secrets',
  credentialVariables: {},
};

/** A COMPLETED snapshot whose archive is really stored (in the `default` location), so it can be verified. */
async function completeWithArchive(snapshotId: string) {
  const bytes = randomBytes(4096);
  await app.orm.em.fork().transactional(async (em) => {
    const snapshot = await em.findOneOrFail(SnapshotSchema, { id: snapshotId });
    const written = await (await new LocalObjectStore(storage.localRoot).beginUpload(snapshot.name)).write(Readable.from([bytes]));
    Object.assign(snapshot, {
      startedAt: new Date(),
      finishedAt: new Date(),
      storageLocation: await em.findOneOrFail(StorageLocationSchema, { name: 'default' }),
      location: written.location,
      sizeBytes: written.size,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      objectCount: 1,
    });
    await moveSnapshot(em, snapshot, 'IN_PROGRESS', 'taking the archive');
    await moveSnapshot(em, snapshot, 'COMPLETED', 'archive stored');
  });
}

beforeAll(async () => {
  app = await startTestApp({ storage });
  token.platformAdmin = await tokens.platformAdmin();
  token.projectAdmin = await tokens.projectAdmin(P1);
  token.otherProjectAdmin = await tokens.projectAdmin(P2);
  token.member = await tokens.member(P1);
  token.memberAndOtherAdmin = await tokens.as('member-and-other-admin', { projects: { [P1]: 'member', [P2]: 'admin' } });
  token.anonymous = undefined;

  const cluster = await registerCluster({
    name: 'payments',
    kubeconfig: { secretRef: 'payments-kubeconfig/config' },
    autoSnapshotPolicy: { enabled: true, schedule: '0 3 * * *', timeZone: 'Europe/Berlin', retention: { keepLast: 7 }, volumeSnapshotsEnabled: true },
  });
  const otherCluster = await registerCluster({ projectId: P2, name: 'payments' });
  const scheduled = await createSnapshot(cluster.id);
  const { snapshot, volume } = await completeWithOneVolume(scheduled.id);
  const otherSnapshot = await createSnapshot(otherCluster.id);
  const retained = await registerCluster({ name: 'ledger', autoSnapshotPolicy: { enabled: false, retention: { keepLast: 1 } } });
  const { snapshot: expired } = await completeWithOneVolume((await createSnapshot(retained.id)).id);
  const { snapshot: newest } = await completeWithOneVolume((await createSnapshot(retained.id)).id);
  // Made by the policy's tick, as far as AutoSnapshotPolicy.lastRun can tell.
  await app.orm.em.fork().execute(`update snapshot set trigger = 'SCHEDULE' where id = ?`, [newest.id]);
  seed = {
    cluster: { id: cluster.id, name: cluster.name, secretRef: 'payments-kubeconfig/config' },
    otherCluster: { id: otherCluster.id },
    snapshot: { id: snapshot.id, name: snapshot.name, location: snapshot.location!, sha256: snapshot.sha256! },
    otherSnapshot: { id: otherSnapshot.id },
    volume: { id: volume.id, pvcName: volume.pvcName, snapshotHandle: volume.snapshotHandle! },
    retained: { id: retained.id, expired: { id: expired.id, name: expired.name, scheduledAt: expired.scheduledAt.toISOString() }, lastRun: { id: newest.id, name: newest.name } },
  };
});
afterAll(async () => {
  await app?.close();
  await fs.rm(storage.localRoot, { recursive: true, force: true });
});

/** Strings that must never reach a caller who may not read the snapshot. */
const snapshotSecrets = () => [
  seed.snapshot.id,
  seed.snapshot.name,
  seed.snapshot.location,
  seed.snapshot.sha256,
  seed.volume.id,
  seed.volume.pvcName,
  seed.volume.snapshotHandle,
  'secret-volume-handle',
  'secret-group.example.com',
  'hiddenwidgets',
  seed.retained.expired.id,
  seed.retained.expired.name,
  seed.retained.lastRun.id,
  seed.retained.lastRun.name,
];
/** ...and, for callers outside the cluster's project, nothing of the cluster either. */
const clusterSecrets = () => [seed.cluster.id, seed.cluster.secretRef];

function expectNoLeak(response: unknown, role: Role) {
  const body = JSON.stringify(response);
  const hidden = role === 'otherProjectAdmin' || role === 'anonymous' ? [...snapshotSecrets(), ...clusterSecrets()] : snapshotSecrets();
  for (const secret of hidden) expect(body).not.toContain(secret);
}

function expectUnauthenticated(response: GraphQLResponse<unknown>) {
  expect(response.status).toBe(401);
  expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  expect(response.data).toBeUndefined();
}

/** A field-level refusal: HTTP 200, only FORBIDDEN errors, and exactly the data the caller may see. */
function expectForbidden(response: GraphQLResponse<unknown>, data: unknown, errors = 1, code: 'FORBIDDEN' | 'NOT_FOUND' = 'FORBIDDEN') {
  expect(response.status).toBe(200);
  expect(errorCodes(response)).toEqual(Array.from({ length: errors }, () => code));
  expect(response.data).toEqual(data);
}

const anyString = expect.any(String) as unknown as string;

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

interface ReadCase {
  read: string;
  access: Access;
  request: (token: string | undefined) => Promise<GraphQLResponse<unknown>>;
  /** The whole response data for a caller who may read everything. */
  allowed: () => unknown;
  /** The whole response data (and number of FORBIDDEN, or for an outsider NOT_FOUND, errors) for a refused caller. */
  forbidden: (role: Role) => { data: unknown; errors?: number };
}

const clusterBasics = () => ({ id: seed.cluster.id, name: 'payments', projectId: P1 });

const READS: ReadCase[] = [
  {
    read: 'virtualCluster(id): the VirtualCluster fields',
    access: CLUSTER_PROJECT,
    request: (t) => app.request(AuthVirtualClusterDocument, { id: seed.cluster.id }, t),
    allowed: () => ({
      virtualCluster: {
        ...clusterBasics(),
        project: { id: P1 },
        kubeconfigSource: 'SECRET_REF',
        kubeconfigSecretRef: seed.cluster.secretRef,
        autoSnapshotPolicy: {
          enabled: true,
          schedule: '0 3 * * *',
          timeZone: 'Europe/Berlin',
          retention: {
            keepLast: 7,
            keepHourly: null,
            keepDaily: null,
            keepWeekly: null,
            keepMonthly: null,
            keepYearly: null,
            maxAgeSeconds: null,
            keepFailed: { last: 10, maxAgeSeconds: 604800 },
          },
          storageLocation: null,
          volumeSnapshotsEnabled: true,
        },
        createdAt: anyString,
        updatedAt: anyString,
      },
    }),
    forbidden: () => ({ data: { virtualCluster: null } }),
  },
  {
    read: 'AutoSnapshotPolicy.retentionPreview',
    access: CLUSTER_ADMINS,
    request: (t) => app.request(AuthRetentionPreviewDocument, { id: seed.retained.id }, t),
    allowed: () => ({
      virtualCluster: {
        id: seed.retained.id,
        name: 'ledger',
        autoSnapshotPolicy: {
          enabled: false,
          retentionPreview: [{ snapshotId: seed.retained.expired.id, name: seed.retained.expired.name, status: 'COMPLETED', scheduledAt: seed.retained.expired.scheduledAt, reason: 'kept by no rule (keepLast 1)' }],
        },
      },
    }),
    // A member sees the policy but not which snapshots would go; an outsider does not see the cluster.
    forbidden: (role) => ({
      data: { virtualCluster: role === 'otherProjectAdmin' ? null : { id: seed.retained.id, name: 'ledger', autoSnapshotPolicy: { enabled: false, retentionPreview: null } } },
    }),
  },
  {
    read: 'VirtualCluster.snapshots',
    access: CLUSTER_ADMINS,
    request: (t) => app.request(AuthClusterSnapshotsDocument, { id: seed.cluster.id }, t),
    allowed: () => ({
      virtualCluster: {
        ...clusterBasics(),
        snapshots: {
          edges: [{ cursor: anyString, node: { id: seed.snapshot.id, name: seed.snapshot.name, status: 'COMPLETED' } }],
          pageInfo: { hasNextPage: false, endCursor: anyString },
        },
      },
    }),
    // A member keeps the cluster and loses only its snapshots; an outsider does not see the cluster at all.
    forbidden: (role) => ({
      data: { virtualCluster: role === 'otherProjectAdmin' ? null : { ...clusterBasics(), snapshots: null } },
    }),
  },
  {
    read: 'snapshot(id): every scalar Snapshot field and Snapshot.virtualCluster',
    access: CLUSTER_ADMINS,
    request: (t) => app.request(AuthSnapshotDocument, { id: seed.snapshot.id }, t),
    allowed: () => ({
      snapshot: {
        id: seed.snapshot.id,
        name: seed.snapshot.name,
        status: 'COMPLETED',
        trigger: 'MANUAL',
        virtualCluster: { id: seed.cluster.id, name: 'payments' },
        volumeSnapshotsEnabled: true,
        scheduledAt: anyString,
        startedAt: anyString,
        finishedAt: anyString,
        storageLocation: 'default',
        sizeBytes: 48_213,
        sha256: seed.snapshot.sha256,
        objectCount: 97,
        message: null,
        integrity: 'UNVERIFIED',
        verifiedAt: null,
        integrityMessage: null,
      },
    }),
    forbidden: () => ({ data: { snapshot: null } }),
  },
  {
    read: 'Snapshot.volumeSnapshots: every VolumeSnapshot field',
    access: CLUSTER_ADMINS,
    request: (t) => app.request(AuthSnapshotVolumesDocument, { id: seed.snapshot.id }, t),
    allowed: () => ({
      snapshot: {
        id: seed.snapshot.id,
        volumeSnapshots: [
          {
            id: seed.volume.id,
            namespace: 'db',
            pvcName: seed.volume.pvcName,
            phase: 'COMPLETED',
            driver: 'ebs.csi.aws.com',
            volumeSnapshotClass: 'csi-aws-vsc',
            snapshotHandle: seed.volume.snapshotHandle,
            restoreSizeBytes: 10 * 1024 ** 3,
            message: 'volume snapshot secret-volume-handle kept',
            createdAt: anyString,
            updatedAt: anyString,
          },
        ],
      },
    }),
    forbidden: () => ({ data: { snapshot: null } }),
  },
  {
    read: 'Snapshot.events: every SnapshotEvent field',
    access: CLUSTER_ADMINS,
    request: (t) => app.request(AuthSnapshotEventsDocument, { id: seed.snapshot.id }, t),
    allowed: () => {
      const event = (subject: string, from: string | null, to: string, message: string) => ({
        cursor: anyString,
        subject,
        snapshotId: seed.snapshot.id,
        volumeSnapshotId: subject === 'VOLUME_SNAPSHOT' ? seed.volume.id : null,
        virtualClusterId: seed.cluster.id,
        from,
        to,
        at: anyString,
        message,
      });
      return {
        snapshot: {
          id: seed.snapshot.id,
          events: [
            event('SNAPSHOT', null, 'SCHEDULED', 'requested through createSnapshot'),
            event('SNAPSHOT', 'SCHEDULED', 'IN_PROGRESS', 'taking the archive'),
            event('VOLUME_SNAPSHOT', 'NOT_STARTED', 'IN_PROGRESS', 'CSI VolumeSnapshot created'),
            event('VOLUME_SNAPSHOT', 'IN_PROGRESS', 'COMPLETED_CLEANING_UP', 'ready to use; removing the temporary objects'),
            event('VOLUME_SNAPSHOT', 'COMPLETED_CLEANING_UP', 'COMPLETED', 'volume snapshot secret-volume-handle kept'),
            event('SNAPSHOT', 'IN_PROGRESS', 'COMPLETED', 'archive stored'),
          ],
        },
      };
    },
    forbidden: () => ({ data: { snapshot: null } }),
  },
  {
    read: 'one request mixing the cluster, its snapshots and snapshot(id)',
    access: CLUSTER_ADMINS,
    request: (t) => app.request(AuthMixedDocument, { clusterId: seed.cluster.id, snapshotId: seed.snapshot.id }, t),
    allowed: () => ({
      virtualCluster: {
        id: seed.cluster.id,
        name: 'payments',
        autoSnapshotPolicy: { enabled: true },
        snapshots: { edges: [{ node: { id: seed.snapshot.id, name: seed.snapshot.name } }] },
      },
      snapshot: { id: seed.snapshot.id, name: seed.snapshot.name },
    }),
    forbidden: (role) =>
      role === 'otherProjectAdmin'
        ? { data: { virtualCluster: null, snapshot: null }, errors: 2 }
        : {
            data: {
              virtualCluster: { id: seed.cluster.id, name: 'payments', autoSnapshotPolicy: { enabled: true }, snapshots: null },
              snapshot: null,
            },
            errors: 2,
          },
  },
  {
    read: 'federation _entities: Snapshot',
    access: CLUSTER_ADMINS,
    request: (t) => app.request(AuthEntitiesDocument, { representations: [{ __typename: 'Snapshot', id: seed.snapshot.id }] }, t),
    allowed: () => ({
      _entities: [{ __typename: 'Snapshot', id: seed.snapshot.id, name: seed.snapshot.name, status: 'COMPLETED', sha256: seed.snapshot.sha256 }],
    }),
    // To an outsider the snapshot is missing: null without an error, as for an id of nothing.
    forbidden: (role) => ({ data: { _entities: [null] }, errors: role === 'otherProjectAdmin' ? 0 : 1 }),
  },
  {
    read: 'federation _entities: VirtualCluster',
    access: CLUSTER_PROJECT,
    request: (t) => app.request(AuthEntitiesDocument, { representations: [{ __typename: 'VirtualCluster', id: seed.cluster.id }] }, t),
    allowed: () => ({ _entities: [{ __typename: 'VirtualCluster', ...clusterBasics() }] }),
    forbidden: () => ({ data: { _entities: [null] }, errors: 0 }),
  },
  {
    read: 'federation _entities: Snapshot and VirtualCluster in one request',
    access: CLUSTER_ADMINS,
    request: (t) =>
      app.request(
        AuthEntitiesDocument,
        { representations: [{ __typename: 'Snapshot', id: seed.snapshot.id }, { __typename: 'VirtualCluster', id: seed.cluster.id }] },
        t,
      ),
    allowed: () => ({
      _entities: [
        { __typename: 'Snapshot', id: seed.snapshot.id, name: seed.snapshot.name, status: 'COMPLETED', sha256: seed.snapshot.sha256 },
        { __typename: 'VirtualCluster', ...clusterBasics() },
      ],
    }),
    // A member still resolves the cluster entity; only the snapshot is withheld.
    forbidden: (role) =>
      role === 'otherProjectAdmin'
        ? { data: { _entities: [null, null] }, errors: 0 }
        : { data: { _entities: [null, { __typename: 'VirtualCluster', ...clusterBasics() }] } },
  },
];

/** vsnap's fields of Project (owned by another subgraph), as a gateway asks for them. */
type ProjectEntitiesQuery = {
  _entities: (null | {
    __typename: 'Project';
    id: string;
    virtualClusters?: { edges: { node: { id: string; name: string } }[] } | null;
    snapshotSummary?: { total: number; lastCompletedAt: string | null; failedLast24h: number } | null;
  })[];
};
const AuthProjectClustersDocument = parse(/* GraphQL */ `
  query AuthProjectClusters($representations: [_Any!]!) {
    _entities(representations: $representations) {
      __typename
      ... on Project { id virtualClusters { edges { node { id name } } } }
    }
  }
`) as TypedDocumentNode<ProjectEntitiesQuery, { representations: unknown[] }>;
const AuthPolicyOutcomeDocument = parse(/* GraphQL */ `
  query AuthPolicyOutcome($id: ID!) {
    virtualCluster(id: $id) { id autoSnapshotPolicy { enabled nextRunAt consecutiveFailures lastRun { status finishedAt snapshot { id name } } } }
  }
`) as TypedDocumentNode<unknown, { id: string }>;
const AuthProjectSummaryDocument = parse(/* GraphQL */ `
  query AuthProjectSummary($representations: [_Any!]!) {
    _entities(representations: $representations) {
      __typename
      ... on Project { id snapshotSummary { total lastCompletedAt failedLast24h } }
    }
  }
`) as TypedDocumentNode<ProjectEntitiesQuery, { representations: unknown[] }>;

READS.push(
  {
    read: 'AutoSnapshotPolicy.lastRun and consecutiveFailures',
    access: CLUSTER_ADMINS,
    request: (t) => app.request(AuthPolicyOutcomeDocument, { id: seed.retained.id }, t),
    allowed: () => ({
      virtualCluster: {
        id: seed.retained.id,
        autoSnapshotPolicy: { enabled: false, nextRunAt: null, consecutiveFailures: 0, lastRun: { status: 'COMPLETED', finishedAt: anyString, snapshot: seed.retained.lastRun } },
      },
    }),
    // A member sees the policy (its next run too), not its snapshots; an outsider does not see the cluster.
    forbidden: (role) =>
      role === 'otherProjectAdmin'
        ? { data: { virtualCluster: null } }
        : { data: { virtualCluster: { id: seed.retained.id, autoSnapshotPolicy: { enabled: false, nextRunAt: null, consecutiveFailures: null, lastRun: null } } }, errors: 2 },
  },
  {
    read: 'federation _entities: Project.virtualClusters',
    access: CLUSTER_PROJECT,
    request: (t) => app.request(AuthProjectClustersDocument, { representations: [{ __typename: 'Project', id: P1 }] }, t),
    allowed: () => ({
      _entities: [{ __typename: 'Project', id: P1, virtualClusters: { edges: [{ node: { id: seed.retained.id, name: 'ledger' } }, { node: { id: seed.cluster.id, name: 'payments' } }] } }],
    }),
    // To an outsider the project is nothing: null without an error.
    forbidden: () => ({ data: { _entities: [null] }, errors: 0 }),
  },
  {
    read: 'federation _entities: Project.snapshotSummary',
    access: CLUSTER_ADMINS,
    request: (t) => app.request(AuthProjectSummaryDocument, { representations: [{ __typename: 'Project', id: P1 }] }, t),
    // payments' snapshot and ledger's two, all COMPLETED.
    allowed: () => ({ _entities: [{ __typename: 'Project', id: P1, snapshotSummary: { total: 3, lastCompletedAt: anyString, failedLast24h: 0 } }] }),
    forbidden: (role) =>
      role === 'otherProjectAdmin'
        ? { data: { _entities: [null] }, errors: 0 }
        : { data: { _entities: [{ __typename: 'Project', id: P1, snapshotSummary: null }] } },
  },
);

describe.each(READS)('read $read', (read) => {
  it.each(ROLES.map((role) => ({ role, who: WHO[role], outcome: read.access[role] })))('$who → $outcome', async ({ role, outcome }) => {
    const response = await read.request(token[role]);
    if (outcome === 'ALLOWED') {
      expect(response.status).toBe(200);
      expect(response.errors).toBeUndefined();
      expect(response.data).toEqual(read.allowed());
      return;
    }
    expectNoLeak(response, role);
    if (outcome === 'UNAUTHENTICATED') return expectUnauthenticated(response);
    const { data, errors } = read.forbidden(role);
    expectForbidden(response, data, errors, outcome);
  });
});

describe('every field of the snapshot types, one at a time', () => {
  // Generated from the executable schema, so a field added later is covered without editing this file.
  const fieldsOf = (typeName: string) => {
    const type: GraphQLNamedType | undefined = schema.getType(typeName);
    if (!isObjectType(type)) throw new Error(`${typeName} is not an object type`);
    return Object.values(type.getFields()).map((field) => ({
      name: field.name,
      selection: isObjectType(getNamedType(field.type)) ? `${field.name} { __typename }` : field.name,
    }));
  };
  const FIELDS = [
    ...fieldsOf('Snapshot').map((f) => ({ field: `Snapshot.${f.name}`, selection: f.selection })),
    ...fieldsOf('VolumeSnapshot').map((f) => ({ field: `VolumeSnapshot.${f.name}`, selection: `volumeSnapshots { ${f.selection} }` })),
    ...fieldsOf('SnapshotEvent').map((f) => ({ field: `SnapshotEvent.${f.name}`, selection: `events { ${f.selection} }` })),
  ];

  it('covers all three types', () => {
    expect(FIELDS.map((f) => f.field)).toEqual(
      expect.arrayContaining(['Snapshot.sha256', 'Snapshot.events', 'Snapshot.skippedResources', 'VolumeSnapshot.snapshotHandle', 'SnapshotEvent.message']),
    );
  });

  describe.each(FIELDS)('$field', ({ selection }) => {
    const document = parse(`query AuthOneField($id: ID!) { snapshot(id: $id) { ${selection} } }`) as TypedDocumentNode<
      { snapshot: Record<string, unknown> | null },
      { id: string }
    >;
    const access = FIELD_ACCESS[selection] ?? CLUSTER_ADMINS;
    it.each(ROLES.map((role) => ({ role, who: WHO[role], outcome: access[role] })))('$who → $outcome', async ({ role, outcome }) => {
      const response = await app.request(document, { id: seed.snapshot.id }, token[role]);
      if (outcome === 'ALLOWED') {
        expect(response.errors).toBeUndefined();
        const [key] = selection.split(' ');
        expect(response.data?.snapshot).toHaveProperty([key!]);
        return;
      }
      expectNoLeak(response, role);
      if (outcome === 'UNAUTHENTICATED') return expectUnauthenticated(response);
      // A caller who may read the snapshot loses only the field; anyone else the whole snapshot.
      expectForbidden(response, { snapshot: CLUSTER_ADMINS[role] === 'ALLOWED' ? { [selection]: null } : null }, 1, outcome);
    });
  });
});

describe('the admin of another project', () => {
  it('reads the snapshots of its own project (the refusals above are about the project, not the token)', async () => {
    const response = await app.request(AuthSnapshotDocument, { id: seed.otherSnapshot.id }, token.otherProjectAdmin);
    expect(response.errors).toBeUndefined();
    expect(response.data?.snapshot).toMatchObject({ id: seed.otherSnapshot.id, status: 'SCHEDULED', virtualCluster: { id: seed.otherCluster.id } });
    const entities = await app.request(AuthEntitiesDocument, { representations: [{ __typename: 'Snapshot', id: seed.otherSnapshot.id }] }, token.otherProjectAdmin);
    expect(entities.errors).toBeUndefined();
    expect(entities.data?._entities).toEqual([expect.objectContaining({ __typename: 'Snapshot', id: seed.otherSnapshot.id })]);
  });
});

describe('every path to snapshot data is in this matrix', () => {
  it('lists each field whose type reaches Snapshot, VolumeSnapshot, SnapshotEvent or a retention preview', () => {
    const guarded = new Set(['Snapshot', 'VolumeSnapshot', 'SnapshotEvent', 'SnapshotConnection', 'SnapshotEdge', 'RetentionDeletion', 'SnapshotSummary', 'AutoSnapshotRun']);
    const reaches = (type: GraphQLNamedType) => guarded.has(type.name) || (isUnionType(type) && type.getTypes().some((member) => guarded.has(member.name)));
    const paths = Object.values(schema.getTypeMap())
      .filter((type) => isObjectType(type) && !type.name.startsWith('__'))
      .flatMap((type) => Object.values(isObjectType(type) ? type.getFields() : {}).map((field) => ({ type, field })))
      .filter(({ field }) => reaches(getNamedType(field.type)))
      .map(({ type, field }) => `${type.name}.${field.name}`)
      .sort();
    // A new entry here (a subscription, a new query) needs its row in the matrix above; the
    // subscriptions' rows are in test/auth/subscriptions-matrix.test.ts (every role × both
    // subscriptions × SSE and graphql-ws) and test/events/subscription-auth.test.ts (SSE, more filters).
    expect(paths).toEqual([
      'AutoSnapshotPolicy.lastRun',
      'AutoSnapshotPolicy.retentionPreview',
      'AutoSnapshotRun.snapshot',
      'Mutation.createSnapshot',
      'Mutation.verifySnapshot',
      'Project.snapshotSummary',
      'Query._entities',
      'Query.snapshot',
      'Snapshot.events',
      'Snapshot.volumeSnapshots',
      'SnapshotConnection.edges',
      'SnapshotEdge.node',
      'SnapshotEvent.snapshot',
      'Subscription.snapshotEvents',
      'Subscription.snapshotUpdated',
      'VirtualCluster.snapshots',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------

/** Row counts of every table a mutation could write. */
async function tableCounts() {
  const em = app.orm.em.fork();
  return {
    clusters: await em.count(VirtualClusterSchema, {}),
    snapshots: await em.count(SnapshotSchema, {}),
    volumeSnapshots: await em.count(VolumeSnapshotSchema, {}),
    events: await em.count(SnapshotEventSchema, {}),
    storageLocations: await em.count(StorageLocationSchema, {}),
  };
}

async function clusterRow(where: { id: string } | { projectId: string; name: string }) {
  const row = await app.orm.em.fork().findOne(VirtualClusterSchema, where);
  return row && { name: row.name, projectId: row.projectId, kubeconfigSecretRef: row.kubeconfigSecretRef, policy: { ...row.policy }, updatedAt: row.updatedAt };
}

async function snapshotRow(id: string) {
  const row = await app.orm.em.fork().findOne(SnapshotSchema, { id });
  return row && { name: row.name, status: row.status, updatedAt: row.updatedAt, integrity: row.integrity, verifiedAt: row.verifiedAt };
}

interface MutationCase {
  mutation: string;
  access: Access;
  /** Makes a fresh target as platform admin and returns how to call the mutation on it. */
  prepare: () => Promise<{
    run: (token: string | undefined) => Promise<GraphQLResponse<unknown>>;
    /** What the database holds of the target: unchanged after a refusal. */
    state: () => Promise<unknown>;
    /** Asserts the allowed call did its work. */
    written: (response: GraphQLResponse<unknown>) => Promise<void>;
  }>;
}

const MUTATIONS: MutationCase[] = [
  {
    mutation: 'registerVirtualCluster',
    access: PROJECT_ADMINS,
    prepare: async () => {
      const name = uniqueName('new');
      return {
        run: (t) => app.request(AuthRegisterVirtualClusterDocument, { input: { projectId: P1, name, kubeconfig: { inline: STATIC_KUBECONFIG } } }, t),
        state: () => clusterRow({ projectId: P1, name }),
        written: async (response) => {
          expect(response.data).toEqual({ registerVirtualCluster: { id: anyString, name, projectId: P1 } });
          expect(await clusterRow({ projectId: P1, name })).toMatchObject({ name, projectId: P1 });
        },
      };
    },
  },
  {
    mutation: 'updateVirtualCluster',
    access: CLUSTER_ADMINS,
    prepare: async () => {
      const cluster = await registerCluster();
      const name = uniqueName('renamed');
      return {
        run: (t) => app.request(AuthUpdateVirtualClusterDocument, { id: cluster.id, input: { name, kubeconfig: { secretRef: 'stolen/config' } } }, t),
        state: () => clusterRow({ id: cluster.id }),
        written: async (response) => {
          expect(response.data).toEqual({ updateVirtualCluster: { id: cluster.id, name } });
          expect(await clusterRow({ id: cluster.id })).toMatchObject({ name, kubeconfigSecretRef: 'stolen/config' });
        },
      };
    },
  },
  {
    mutation: 'removeVirtualCluster',
    access: CLUSTER_ADMINS,
    prepare: async () => {
      const cluster = await registerCluster();
      const snapshot = await createSnapshot(cluster.id); // removal would cascade to it
      return {
        run: (t) => app.request(AuthRemoveVirtualClusterDocument, { id: cluster.id }, t),
        state: async () => ({ cluster: await clusterRow({ id: cluster.id }), snapshot: await snapshotRow(snapshot.id) }),
        written: async (response) => {
          expect(response.data).toEqual({ removeVirtualCluster: { removedVirtualClusterId: cluster.id } });
          expect(await clusterRow({ id: cluster.id })).toBeNull();
          expect(await snapshotRow(snapshot.id)).toBeNull();
        },
      };
    },
  },
  {
    mutation: 'setAutoSnapshotPolicy',
    access: CLUSTER_ADMINS,
    prepare: async () => {
      const cluster = await registerCluster();
      const policy = { enabled: true, schedule: '*/5 * * * *', retention: { keepLast: 1 } };
      return {
        run: (t) => app.request(AuthSetAutoSnapshotPolicyDocument, { virtualClusterId: cluster.id, policy }, t),
        state: () => clusterRow({ id: cluster.id }),
        written: async (response) => {
          expect(response.data).toEqual({ setAutoSnapshotPolicy: { id: cluster.id, autoSnapshotPolicy: { enabled: true, schedule: '*/5 * * * *' } } });
          expect((await clusterRow({ id: cluster.id }))?.policy).toMatchObject(policy);
        },
      };
    },
  },
  {
    mutation: 'createSnapshot',
    access: CLUSTER_ADMINS,
    prepare: async () => {
      const cluster = await registerCluster();
      const snapshotsOf = () => app.orm.em.fork().count(SnapshotSchema, { virtualCluster: cluster.id });
      return {
        run: (t) => app.request(AuthCreateSnapshotDocument, { virtualClusterId: cluster.id }, t),
        state: snapshotsOf,
        written: async (response) => {
          expect(response.data).toEqual({ createSnapshot: { id: anyString, name: expect.stringMatching(/^target-\d+-.+\.tar\.gz$/), status: 'SCHEDULED' } });
          expect(await snapshotsOf()).toBe(1);
        },
      };
    },
  },
  {
    mutation: 'verifySnapshot',
    access: CLUSTER_ADMINS,
    prepare: async () => {
      const cluster = await registerCluster();
      const snapshot = await createSnapshot(cluster.id);
      await completeWithArchive(snapshot.id);
      return {
        run: (t) => app.request(AuthVerifySnapshotDocument, { id: snapshot.id }, t),
        state: () => snapshotRow(snapshot.id),
        written: async (response) => {
          expect(response.data).toEqual({ verifySnapshot: { id: snapshot.id, integrity: 'VERIFIED', verifiedAt: anyString } });
          expect(await snapshotRow(snapshot.id)).toMatchObject({ status: 'COMPLETED', integrity: 'VERIFIED', verifiedAt: expect.any(Date) as unknown });
        },
      };
    },
  },
  {
    mutation: 'deleteSnapshot',
    access: CLUSTER_ADMINS,
    prepare: async () => {
      const cluster = await registerCluster();
      const snapshot = await createSnapshot(cluster.id);
      return {
        run: (t) => app.request(AuthDeleteSnapshotDocument, { id: snapshot.id }, t),
        state: () => snapshotRow(snapshot.id),
        written: async (response) => {
          expect(response.data).toEqual({ deleteSnapshot: { deletedSnapshotId: snapshot.id } });
          expect(await snapshotRow(snapshot.id)).toBeNull();
        },
      };
    },
  },
];

describe.each(MUTATIONS)('mutation $mutation', ({ mutation, access, prepare }) => {
  it.each(ROLES.map((role) => ({ role, who: WHO[role], outcome: access[role] })))('$who → $outcome', async ({ role, outcome }) => {
    const target = await prepare();
    const before = { tables: await tableCounts(), target: await target.state() };
    const response = await target.run(token[role]);
    if (outcome === 'ALLOWED') {
      expect(response.status).toBe(200);
      expect(response.errors).toBeUndefined();
      await target.written(response);
      return;
    }
    if (outcome === 'UNAUTHENTICATED') expectUnauthenticated(response);
    else if (outcome === 'NOT_FOUND') {
      // The words of an id of nothing: nothing of the row, the project or the mutation's rules.
      expectForbidden(response, null, 1, 'NOT_FOUND');
      expect(response.errors?.[0]?.message).toMatch(/^(virtual cluster|snapshot) not found$/);
    } else {
      expectForbidden(response, null);
      expect(response.errors?.[0]?.message).toContain(mutation);
    }
    // A refused call writes nothing, anywhere.
    expect({ tables: await tableCounts(), target: await target.state() }).toEqual(before);
  });
});

// ---------------------------------------------------------------------------------------------
// virtualClusters
// ---------------------------------------------------------------------------------------------

describe('virtualClusters lists only the projects the caller belongs to', () => {
  const LA = 'auth-list-a';
  const LB = 'auth-list-b';
  beforeAll(async () => {
    for (const name of ['bravo', 'alpha']) await registerCluster({ projectId: LA, name });
    await registerCluster({ projectId: LB, name: 'charlie' });
  });

  const names = (response: GraphQLResponse<{ virtualClusters: { edges: { node: { name: string; projectId: string } }[] } }>) =>
    response.data?.virtualClusters.edges.map(({ node }) => `${node.projectId}/${node.name}`);

  const callers = {
    memberOfA: () => tokens.member(LA),
    adminOfB: () => tokens.projectAdmin(LB),
    memberOfAAdminOfB: () => tokens.as('a-member-b-admin', { projects: { [LA]: 'member', [LB]: 'admin' } }),
    noRoles: () => tokens.as('nobody', {}),
    platformAdmin: () => tokens.platformAdmin(),
  };

  it.each([
    { caller: 'memberOfA', projectId: undefined, expected: [`${LA}/alpha`, `${LA}/bravo`] },
    { caller: 'memberOfA', projectId: LA, expected: [`${LA}/alpha`, `${LA}/bravo`] },
    { caller: 'adminOfB', projectId: undefined, expected: [`${LB}/charlie`] },
    { caller: 'memberOfAAdminOfB', projectId: undefined, expected: [`${LA}/alpha`, `${LA}/bravo`, `${LB}/charlie`] },
    { caller: 'noRoles', projectId: undefined, expected: [] },
    { caller: 'platformAdmin', projectId: LA, expected: [`${LA}/alpha`, `${LA}/bravo`] },
  ] as const)('$caller with projectId $projectId sees $expected', async ({ caller, projectId, expected }) => {
    const response = await app.request(AuthVirtualClustersDocument, { projectId }, await callers[caller]());
    expect(response.errors).toBeUndefined();
    expect(names(response)).toEqual(expected);
  });

  it.each([
    { caller: 'memberOfA', projectId: LB },
    { caller: 'adminOfB', projectId: LA },
    { caller: 'noRoles', projectId: LA },
  ] as const)('$caller asking for $projectId gets FORBIDDEN and no data', async ({ caller, projectId }) => {
    const response = await app.request(AuthVirtualClustersDocument, { projectId }, await callers[caller]());
    expectForbidden(response, null);
    expect(JSON.stringify(response)).not.toContain('alpha');
    expect(JSON.stringify(response)).not.toContain('charlie');
  });

  it("a member of the cluster's project sees exactly that project's clusters", async () => {
    const response = await app.request(AuthVirtualClustersDocument, {}, token.member);
    expect(response.errors).toBeUndefined();
    const rows = await app.orm.em.fork().find(VirtualClusterSchema, { projectId: P1 }, { orderBy: { name: 'asc', id: 'asc' } });
    expect(rows.length).toBeGreaterThan(1);
    expect(names(response)).toEqual(rows.map((row) => `${P1}/${row.name}`));
  });

  it('a platform admin without projectId sees every cluster', async () => {
    const response = await app.request(AuthVirtualClustersDocument, {}, token.platformAdmin);
    expect(response.errors).toBeUndefined();
    const rows = await app.orm.em.fork().find(VirtualClusterSchema, {}, { orderBy: { name: 'asc', id: 'asc' } });
    expect(names(response)).toEqual(rows.map((row) => `${row.projectId}/${row.name}`));
    expect(names(response)).toEqual(expect.arrayContaining([`${P2}/payments`, `${LA}/alpha`, `${LB}/charlie`]));
  });

  it('anonymous gets 401', async () => {
    expectUnauthenticated(await app.request(AuthVirtualClustersDocument, {}, undefined));
  });
});

// ---------------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------------

describe('a request without a valid bearer token is refused with 401', () => {
  const secret = new TextEncoder().encode(TEST_JWT_SECRET);
  const now = () => Math.floor(Date.now() / 1000);
  const admin: JWTPayload = { sub: 'mallory', vsnap: { platformAdmin: true, projects: {} } };
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const sign = (claims: JWTPayload, { alg = 'HS256', key = secret }: { alg?: string; key?: Uint8Array } = {}) =>
    new SignJWT(claims).setProtectedHeader({ alg }).sign(key);

  /** Posts a query with exactly this Authorization header (none when undefined). */
  async function post(authorization: string | undefined) {
    const response = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(authorization === undefined ? {} : { authorization }),
      },
      body: JSON.stringify({ query: print(AuthSnapshotDocument), variables: { id: seed.snapshot.id } }),
    });
    return { status: response.status, challenge: response.headers.get('www-authenticate'), body: (await response.json()) as GraphQLResponse<unknown> };
  }

  it('accepts a token made by the same helpers (the control)', async () => {
    const response = await post(`Bearer ${await sign({ ...admin, exp: now() + 60 })}`);
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
  });

  it.each<[string, () => Promise<string | undefined>]>([
    ['no Authorization header', async () => undefined],
    ['a Basic credential', async () => `Basic ${Buffer.from('admin:admin').toString('base64')}`],
    ['an empty Bearer', async () => 'Bearer '],
    ['a token that is not a JWT', async () => 'Bearer not-a-jwt'],
    ['a token signed with another secret', async () => `Bearer ${await sign(admin, { key: new TextEncoder().encode('x'.repeat(48)) })}`],
    ['an expired token', async () => `Bearer ${await sign({ ...admin, iat: now() - 7200, exp: now() - 3600 })}`],
    ['a token valid only from tomorrow', async () => `Bearer ${await sign({ ...admin, nbf: now() + 86_400, exp: now() + 2 * 86_400 })}`],
    ['an unsigned token (alg none)', async () => `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...admin, exp: now() + 60 })}.`],
    ['an HS512 token (only HS256 is accepted)', async () => `Bearer ${await sign({ ...admin, exp: now() + 60 }, { alg: 'HS512' })}`],
    [
      "a member's token whose payload was rewritten to platform admin",
      async () => {
        const [header, , signature] = (await tokens.member(P1)).split('.');
        return `Bearer ${header}.${b64({ ...admin, sub: `member-of-${P1}`, exp: now() + 60 })}.${signature}`;
      },
    ],
    ['a token without a subject', async () => `Bearer ${await sign({ vsnap: { platformAdmin: true }, exp: now() + 60 })}`],
    ['a token with a malformed vsnap claim', async () => `Bearer ${await sign({ sub: 'x', vsnap: { projects: { [P1]: 'owner' } }, exp: now() + 60 })}`],
  ])('%s', async (_case, header) => {
    const response = await post(await header());
    expect(response.status).toBe(401);
    expect(response.challenge).toBe('Bearer');
    expect(errorCodes(response.body)).toEqual(['UNAUTHENTICATED']);
    expect(response.body.data).toBeUndefined();
    expect(JSON.stringify(response.body)).not.toContain(seed.snapshot.name);
  });

  it('an expired platform-admin token writes nothing', async () => {
    const expired = await sign({ ...admin, iat: now() - 7200, exp: now() - 3600 });
    const cluster = await registerCluster();
    const before = { tables: await tableCounts(), cluster: await clusterRow({ id: cluster.id }) };
    expectUnauthenticated(await app.request(AuthCreateSnapshotDocument, { virtualClusterId: cluster.id }, expired));
    expectUnauthenticated(await app.request(AuthRemoveVirtualClusterDocument, { id: cluster.id }, expired));
    expectUnauthenticated(
      await app.request(AuthRegisterVirtualClusterDocument, { input: { projectId: P1, name: uniqueName('expired'), kubeconfig: { inline: STATIC_KUBECONFIG } } }, expired),
    );
    expect({ tables: await tableCounts(), cluster: await clusterRow({ id: cluster.id }) }).toEqual(before);
  });
});

// ---------------------------------------------------------------------------------------------
// Error paths
// ---------------------------------------------------------------------------------------------

/** A FORBIDDEN error points at the field it nulled (maskError keeps graphql-js's located error); NOT_FOUND also names the argument. */
describe('FORBIDDEN errors point at the protected field', () => {
  it.each<[string, () => Promise<GraphQLResponse<unknown>>, (string | number)[]]>([
    ['member: snapshot(id)', () => app.request(AuthSnapshotDocument, { id: seed.snapshot.id }, token.member), ['snapshot']],
    ['member: VirtualCluster.snapshots', () => app.request(AuthClusterSnapshotsDocument, { id: seed.cluster.id }, token.member), ['virtualCluster', 'snapshots']],
    [
      'member: _entities Snapshot',
      () => app.request(AuthEntitiesDocument, { representations: [{ __typename: 'Snapshot', id: seed.snapshot.id }] }, token.member),
      ['_entities', 0],
    ],
    ['member: createSnapshot', () => app.request(AuthCreateSnapshotDocument, { virtualClusterId: seed.cluster.id }, token.member), ['createSnapshot']],
  ])('%s', async (_case, request, path) => {
    const response = await request();
    expect(errorCodes(response)).toEqual(['FORBIDDEN']);
    expect(response.errors?.[0]?.path).toEqual(path);
  });

  it.each<[string, () => Promise<GraphQLResponse<unknown>>, (string | number)[], string]>([
    ['admin of another project: virtualCluster(id)', () => app.request(AuthVirtualClusterDocument, { id: seed.cluster.id }, token.otherProjectAdmin), ['virtualCluster'], 'id'],
    ['admin of another project: snapshot(id)', () => app.request(AuthSnapshotDocument, { id: seed.snapshot.id }, token.otherProjectAdmin), ['snapshot'], 'id'],
    [
      'admin of another project: createSnapshot',
      () => app.request(AuthCreateSnapshotDocument, { virtualClusterId: seed.cluster.id }, token.otherProjectAdmin),
      ['createSnapshot'],
      'virtualClusterId',
    ],
  ])('%s → NOT_FOUND at the field, extensions.field naming the argument', async (_case, request, path, field) => {
    const response = await request();
    expect(errorCodes(response)).toEqual(['NOT_FOUND']);
    expect(response.errors?.[0]?.path).toEqual(path);
    expect(response.errors?.[0]?.extensions?.field).toBe(field);
  });
});

// ---------------------------------------------------------------------------------------------
// Storage locations
// ---------------------------------------------------------------------------------------------

/**
 * Platform admins manage locations and read every field; anyone else sees the
 * name, kind and default flag of the locations one of their projects may use,
 * and gets FORBIDDEN on every other field. Snapshot.location (bucket and key, or
 * a path) is for platform admins only.
 */
describe('storage locations', () => {
  const OPEN = 'auth-loc-open';
  const ONLY_P1 = 'auth-loc-p1';
  const ONLY_P2 = 'auth-loc-p2';
  /** What a tenant must never read of a location. */
  const hidden = ['auth-secret-bucket', 'hidden/prefix', 'minio.internal.example', 'S3_AUTH_HIDDEN', 'auth-hidden-dir', 'auth-p2-bucket', 'auth-hidden-secret'];

  beforeAll(async () => {
    for (const input of [
      {
        name: OPEN,
        kind: 'S3' as const,
        bucket: 'auth-secret-bucket',
        prefix: 'hidden/prefix',
        endpoint: 'https://minio.internal.example:9000',
        credentials: { fromEnvironment: 'S3_AUTH_HIDDEN' },
      },
      { name: ONLY_P1, kind: 'LOCAL' as const, directory: 'auth-hidden-dir', allowedProjectIds: [P1] },
      { name: ONLY_P2, kind: 'S3' as const, bucket: 'auth-p2-bucket', credentials: { fromSecret: 'auth-hidden-secret' }, allowedProjectIds: [P2] },
    ]) {
      const response = await app.request(AuthCreateStorageLocationDocument, { input }, token.platformAdmin);
      expect(response.errors).toBeUndefined();
    }
  });

  const seeded = (response: GraphQLResponse<{ storageLocations: { name: string }[] }>) =>
    response.data?.storageLocations.map(({ name }) => name).filter((name) => name === 'default' || name.startsWith('auth-loc-'));

  describe('storageLocations lists name, kind and default of the locations open to one of the caller\'s projects', () => {
    it.each<{ role: Role; names: string[] }>([
      { role: 'platformAdmin', names: ['auth-loc-open', 'auth-loc-p1', 'auth-loc-p2', 'default'] },
      { role: 'projectAdmin', names: ['auth-loc-open', 'auth-loc-p1', 'default'] },
      { role: 'otherProjectAdmin', names: ['auth-loc-open', 'auth-loc-p2', 'default'] },
      { role: 'member', names: ['auth-loc-open', 'auth-loc-p1', 'default'] },
      { role: 'memberAndOtherAdmin', names: ['auth-loc-open', 'auth-loc-p1', 'auth-loc-p2', 'default'] },
    ])('$role sees $names', async ({ role, names }) => {
      const response = await app.request(AuthStorageLocationsDocument, {}, token[role]);
      expect(response.errors).toBeUndefined();
      expect(seeded(response)).toEqual(names);
      expect(response.data?.storageLocations.find((l) => l.name === OPEN)).toEqual({ name: OPEN, kind: 'S3', default: false });
      expect(response.data?.storageLocations.find((l) => l.name === 'default')).toEqual({ name: 'default', kind: 'LOCAL', default: true });
      if (role !== 'platformAdmin') for (const secret of hidden) expect(JSON.stringify(response)).not.toContain(secret);
    });

    it.each<{ role: Role; projectId: string; names: string[] | 'FORBIDDEN' }>([
      { role: 'platformAdmin', projectId: P2, names: ['auth-loc-open', 'auth-loc-p2', 'default'] },
      { role: 'member', projectId: P1, names: ['auth-loc-open', 'auth-loc-p1', 'default'] },
      { role: 'projectAdmin', projectId: P2, names: 'FORBIDDEN' },
      { role: 'otherProjectAdmin', projectId: P1, names: 'FORBIDDEN' },
    ])('$role asking for project $projectId: $names', async ({ role, projectId, names }) => {
      const response = await app.request(AuthStorageLocationsDocument, { projectId }, token[role]);
      if (names === 'FORBIDDEN') {
        expectForbidden(response, null);
        return;
      }
      expect(response.errors).toBeUndefined();
      expect(seeded(response)).toEqual(names);
    });

    it('anonymous gets 401', async () => {
      expectUnauthenticated(await app.request(AuthStorageLocationsDocument, {}, undefined));
    });

    it('a platform admin reads every field, credential sources included (never the keys)', async () => {
      const response = await app.request(AuthStorageLocationsEveryFieldDocument, {}, token.platformAdmin);
      expect(response.errors).toBeUndefined();
      expect(response.data?.storageLocations.find((l) => l.name === OPEN)).toEqual({
        id: anyString,
        name: OPEN,
        kind: 'S3',
        default: false,
        bucket: 'auth-secret-bucket',
        prefix: 'hidden/prefix',
        endpoint: 'https://minio.internal.example:9000',
        region: null,
        pathStyle: null,
        credentials: { source: 'ENVIRONMENT', environmentPrefix: 'S3_AUTH_HIDDEN', secretName: null },
        directory: null,
        allowedProjectIds: null,
        createdAt: anyString,
        updatedAt: anyString,
      });
      expect(response.data?.storageLocations.find((l) => l.name === ONLY_P2)?.credentials).toEqual({
        source: 'SECRET',
        environmentPrefix: null,
        secretName: 'auth-hidden-secret',
      });
    });
  });

  describe('every StorageLocation field, one at a time', () => {
    const type = schema.getType('StorageLocation');
    if (!isObjectType(type)) throw new Error('StorageLocation is not an object type');
    const TENANT_FIELDS = ['id', 'name', 'kind', 'default'];
    const FIELDS = Object.values(type.getFields()).map((field) => ({
      field: field.name,
      selection: isObjectType(getNamedType(field.type)) ? `${field.name} { __typename }` : field.name,
      access: TENANT_FIELDS.includes(field.name) ? CLUSTER_PROJECT : PLATFORM_ADMINS,
    }));

    it('covers what tenants may not read', () => {
      expect(FIELDS.filter((f) => f.access === PLATFORM_ADMINS).map((f) => f.field).sort()).toEqual([
        'allowedProjectIds', 'bucket', 'createdAt', 'credentials', 'directory', 'endpoint', 'pathStyle', 'prefix', 'region', 'updatedAt',
      ]);
    });

    describe.each(FIELDS)('StorageLocation.$field', ({ field, selection, access }) => {
      const document = parse(`query AuthOneLocationField($projectId: ID!) { storageLocations(projectId: $projectId) { name ${selection} } }`) as TypedDocumentNode<
        { storageLocations: Record<string, unknown>[] | null },
        { projectId: string }
      >;
      it.each(ROLES.map((role) => ({ role, who: WHO[role], outcome: role === 'otherProjectAdmin' ? 'FORBIDDEN' : access[role] })))(
        '$who → $outcome',
        async ({ role, outcome }) => {
          const response = await app.request(document, { projectId: P1 }, token[role]);
          if (outcome === 'UNAUTHENTICATED') return expectUnauthenticated(response);
          if (outcome === 'ALLOWED') {
            expect(response.errors).toBeUndefined();
            expect(response.data?.storageLocations?.find((l) => l.name === OPEN)).toHaveProperty([field]);
            return;
          }
          for (const secret of hidden) expect(JSON.stringify(response)).not.toContain(secret);
          expect(response.status).toBe(200);
          expect(new Set(errorCodes(response))).toEqual(new Set(['FORBIDDEN']));
          if (role === 'otherProjectAdmin') return expectForbidden(response, null);
          // Refused fields are nullable: nulled one location at a time, the list stands.
          for (const location of response.data!.storageLocations!) expect(location[field]).toBeNull();
          expect(response.errors?.[0]?.message).toBe(`not allowed to read StorageLocation.${field}`);
        },
      );
    });
  });

  describe('Snapshot.location', () => {
    it.each(ROLES.map((role) => ({ role, who: WHO[role], outcome: SNAPSHOT_LOCATION_ACCESS[role] })))('$who → $outcome', async ({ role, outcome }) => {
      const response = await app.request(AuthSnapshotLocationDocument, { id: seed.snapshot.id }, token[role]);
      if (outcome === 'ALLOWED') {
        expect(response.errors).toBeUndefined();
        expect(response.data).toEqual({ snapshot: { id: seed.snapshot.id, location: seed.snapshot.location } });
        return;
      }
      expect(JSON.stringify(response)).not.toContain(seed.snapshot.location);
      if (outcome === 'UNAUTHENTICATED') return expectUnauthenticated(response);
      // An admin of the project still reads the snapshot, without where it lies.
      expectForbidden(response, { snapshot: role === 'projectAdmin' ? { id: seed.snapshot.id, location: null } : null }, 1, outcome);
    });
  });

  interface LocationMutation {
    mutation: string;
    prepare: () => Promise<{ run: (token: string | undefined) => Promise<GraphQLResponse<unknown>>; written: (response: GraphQLResponse<unknown>) => Promise<void> }>;
  }
  let counter = 0;
  const locationRow = async (name: string) => {
    const row = await app.orm.em.fork().findOne(StorageLocationSchema, { name });
    return row && { name: row.name, kind: row.kind, directory: row.directory, isDefault: row.isDefault, updatedAt: row.updatedAt };
  };
  const createLocal = async (name: string) => {
    const response = await app.request(AuthCreateStorageLocationDocument, { input: { name, kind: 'LOCAL', directory: name } }, token.platformAdmin);
    expect(response.errors).toBeUndefined();
  };

  const LOCATION_MUTATIONS: LocationMutation[] = [
    {
      mutation: 'createStorageLocation',
      prepare: async () => {
        const name = `auth-new-${++counter}`;
        return {
          run: (t) => app.request(AuthCreateStorageLocationDocument, { input: { name, kind: 'LOCAL', directory: 'tenant-choice' } }, t),
          written: async (response) => {
            expect(response.data).toEqual({ createStorageLocation: { name } });
            expect(await locationRow(name)).toMatchObject({ name, kind: 'LOCAL', directory: 'tenant-choice' });
          },
        };
      },
    },
    {
      mutation: 'updateStorageLocation',
      prepare: async () => {
        const name = `auth-upd-${++counter}`;
        await createLocal(name);
        return {
          run: (t) => app.request(AuthUpdateStorageLocationDocument, { name, input: { directory: 'moved' } }, t),
          written: async (response) => {
            expect(response.data).toEqual({ updateStorageLocation: { name } });
            expect(await locationRow(name)).toMatchObject({ directory: 'moved' });
          },
        };
      },
    },
    {
      mutation: 'deleteStorageLocation',
      prepare: async () => {
        const name = `auth-del-${++counter}`;
        await createLocal(name);
        return {
          run: (t) => app.request(AuthDeleteStorageLocationDocument, { name }, t),
          written: async (response) => {
            expect(response.data).toEqual({ deleteStorageLocation: { deletedStorageLocationName: name } });
            expect(await locationRow(name)).toBeNull();
          },
        };
      },
    },
  ];

  describe.each(LOCATION_MUTATIONS)('mutation $mutation', ({ mutation, prepare }) => {
    it.each(ROLES.map((role) => ({ role, who: WHO[role], outcome: PLATFORM_ADMINS[role] })))('$who → $outcome', async ({ role, outcome }) => {
      const target = await prepare();
      const before = await tableCounts();
      const rows = await app.orm.em.fork().find(StorageLocationSchema, {}, { orderBy: { name: 'asc' } });
      const response = await target.run(token[role]);
      if (outcome === 'ALLOWED') {
        expect(response.status).toBe(200);
        expect(response.errors).toBeUndefined();
        await target.written(response);
        return;
      }
      if (outcome === 'UNAUTHENTICATED') expectUnauthenticated(response);
      else {
        expectForbidden(response, null);
        expect(response.errors?.[0]?.message).toBe(`not allowed to read Mutation.${mutation}`);
      }
      expect(await tableCounts()).toEqual(before);
      expect(await app.orm.em.fork().find(StorageLocationSchema, {}, { orderBy: { name: 'asc' } })).toEqual(rows);
    });
  });
});
