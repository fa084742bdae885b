/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type AutoSnapshotPolicyInput = {
  /** What happens to ticks missed while no worker ran; defaults to ONE. */
  catchUp?: CatchUpMode | null | undefined;
  enabled: boolean;
  /** Left out: every good snapshot is kept; failed ones by keepFailed's defaults. */
  retention?: RetentionInput | null | undefined;
  /** Five-field cron expression; required when enabled. */
  schedule?: string | null | undefined;
  /** The name of a storage location the cluster's project may use (see `storageLocations`); null for the default location. */
  storageLocation?: string | null | undefined;
  /** IANA time zone; defaults to UTC. */
  timeZone?: string | null | undefined;
  volumeSnapshotsEnabled?: boolean | null | undefined;
};

/** What a policy does with ticks that passed while no worker ran (a stopped or overloaded service). */
export type CatchUpMode =
  /** None: missed ticks are dropped; the schedule goes on from its next tick. */
  | 'NONE'
  /** One catch-up snapshot for all of them, its CREATED event saying how many ticks were missed. */
  | 'ONE';

export type CreateStorageLocationInput = {
  /** Projects whose clusters may use it; null for every project. */
  allowedProjectIds?: Array<string | number> | null | undefined;
  /** S3: the bucket. */
  bucket?: string | null | undefined;
  /** S3: where the keys are read from; null for the S3_* defaults. */
  credentials?: StorageCredentialsInput | null | undefined;
  /** Make it the location of policies that name none (the previous default stops being it). */
  default?: boolean | null | undefined;
  /** LOCAL: relative to LOCAL_STORAGE_ROOT; '' for the root itself. */
  directory?: string | null | undefined;
  /** S3: `http(s)://host[:port]`; null for S3_ENDPOINT. */
  endpoint?: string | null | undefined;
  kind: StorageLocationKind;
  /** DNS-1123 label; what policies name. */
  name: string;
  /** S3: path-style addressing; null for S3_PATH_STYLE. */
  pathStyle?: boolean | null | undefined;
  /** S3: key prefix the archives go under. */
  prefix?: string | null | undefined;
  /** S3: null for S3_REGION. */
  region?: string | null | undefined;
};

/** How long snapshots without a usable archive stay; each part left out takes its default. */
export type KeepFailedInput = {
  /** FAILED snapshots kept: the newest N (0 to 10000; default 10). */
  last?: number | null | undefined;
  /** FAILED snapshots older than this, and NOT_FOUND ones whose object has been missing longer, are deleted (60 to 1577880000; default 604800, 7 days). */
  maxAgeSeconds?: number | null | undefined;
};

/** Exactly one of the two. */
export type KubeconfigInput = {
  /** The kubeconfig itself (development only; production refuses it unless ALLOW_INLINE_KUBECONFIG=true). Static credentials only: no exec, auth-provider, file references or proxy-url. Stored encrypted, never returned. */
  inline?: string | null | undefined;
  /** A mounted secret holding it: `<secret-name>/<key>`, read from `<KUBECONFIG_SECRETS_DIR>/<project>/<secret-name>/<key>`. */
  secretRef?: string | null | undefined;
};

export type KubeconfigSource =
  /** Held inline in vsnap (development only). */
  | 'INLINE'
  /** Read from a mounted secret. */
  | 'SECRET_REF';

export type RegisterVirtualClusterInput = {
  autoSnapshotPolicy?: AutoSnapshotPolicyInput | null | undefined;
  kubeconfig: KubeconfigInput;
  /** DNS-1123 label, unique in the project. */
  name: string;
  projectId: string | number;
};

/** Which snapshots are kept (see `Retention`). A rule left out is not set; counts are 0 to 10000. */
export type RetentionInput = {
  keepDaily?: number | null | undefined;
  keepFailed?: KeepFailedInput | null | undefined;
  keepHourly?: number | null | undefined;
  keepLast?: number | null | undefined;
  keepMonthly?: number | null | undefined;
  keepWeekly?: number | null | undefined;
  keepYearly?: number | null | undefined;
  /** 60 to 1577880000 (50 years); left out: no age limit. */
  maxAgeSeconds?: number | null | undefined;
};

/** What an event records: CREATED (born SCHEDULED), STATUS_CHANGED, VOLUME_PHASE_CHANGED, PROGRESS (figures while IN_PROGRESS), DELETED (the snapshot row is gone). */
export type SnapshotEventKind =
  | 'CREATED'
  | 'DELETED'
  | 'PROGRESS'
  | 'STATUS_CHANGED'
  | 'VOLUME_PHASE_CHANGED';

export type SnapshotEventSubject =
  | 'SNAPSHOT'
  | 'VOLUME_SNAPSHOT';

/** What vsnap knows of a stored archive's bytes. UNVERIFIED: not hashed since it was stored (or since its object was replaced); VERIFIED: read back and hashed, sha256 and size as recorded; MISMATCH: a hash, or a storage listing's size, differs from the record (integrityMessage says how). */
export type SnapshotIntegrity =
  | 'MISMATCH'
  | 'UNVERIFIED'
  | 'VERIFIED';

export type SnapshotStatus =
  | 'COMPLETED'
  | 'FAILED'
  | 'IN_PROGRESS'
  | 'NOT_FOUND'
  | 'PARTIALLY_FAILED'
  | 'SCHEDULED';

export type SnapshotTrigger =
  | 'MANUAL'
  | 'SCHEDULE';

/** At most one of the two; neither means S3_ACCESS_KEY and S3_SECRET_KEY. */
export type StorageCredentialsInput = {
  /** `S3` or `S3_<NAME>`: `<prefix>_ACCESS_KEY` and `<prefix>_SECRET_KEY` are read. */
  fromEnvironment?: string | null | undefined;
  /** A secret mounted at `STORAGE_SECRETS_DIR/<name>` with the files `access-key` and `secret-key`. */
  fromSecret?: string | null | undefined;
};

export type StorageCredentialsSource =
  /** S3_ACCESS_KEY and S3_SECRET_KEY (anonymous when unset). */
  | 'DEFAULT'
  /** <environmentPrefix>_ACCESS_KEY and <environmentPrefix>_SECRET_KEY. */
  | 'ENVIRONMENT'
  /** access-key and secret-key of the secret mounted at STORAGE_SECRETS_DIR/<secretName>. */
  | 'SECRET';

export type StorageLocationKind =
  /** A directory under LOCAL_STORAGE_ROOT on the worker. */
  | 'LOCAL'
  /** A bucket and key prefix on an S3 endpoint. */
  | 'S3';

/** Absent fields stay as they are. Pointing a location elsewhere moves no archive. */
export type UpdateStorageLocationInput = {
  /** Projects whose clusters may use it; null for every project. */
  allowedProjectIds?: Array<string | number> | null | undefined;
  /** S3: the bucket. */
  bucket?: string | null | undefined;
  /** S3: where the keys are read from; null for the S3_* defaults. */
  credentials?: StorageCredentialsInput | null | undefined;
  /** Make it the location of policies that name none (the previous default stops being it). */
  default?: boolean | null | undefined;
  /** LOCAL: relative to LOCAL_STORAGE_ROOT; '' for the root itself. */
  directory?: string | null | undefined;
  /** S3: `http(s)://host[:port]`; null for S3_ENDPOINT. */
  endpoint?: string | null | undefined;
  /** A new name; policies follow it. */
  name?: string | null | undefined;
  /** S3: path-style addressing; null for S3_PATH_STYLE. */
  pathStyle?: boolean | null | undefined;
  /** S3: key prefix the archives go under. */
  prefix?: string | null | undefined;
  /** S3: null for S3_REGION. */
  region?: string | null | undefined;
};

export type UpdateVirtualClusterInput = {
  kubeconfig?: KubeconfigInput | null | undefined;
  name?: string | null | undefined;
};

export type VolumeSnapshotPhase =
  | 'COMPLETED'
  | 'COMPLETED_CLEANING_UP'
  | 'FAILED'
  | 'FAILED_CLEANING_UP'
  | 'IN_PROGRESS'
  | 'NOT_STARTED'
  | 'SKIPPED';

export type AuthVirtualClusterQueryVariables = Exact<{
  id: string | number;
}>;


export type AuthVirtualClusterQuery = { virtualCluster: { id: string, name: string, projectId: string, kubeconfigSource: KubeconfigSource, kubeconfigSecretRef: string | null, createdAt: string, updatedAt: string, project: { id: string }, autoSnapshotPolicy: { enabled: boolean, schedule: string | null, timeZone: string, storageLocation: string | null, volumeSnapshotsEnabled: boolean, retention: { keepLast: number | null, keepHourly: number | null, keepDaily: number | null, keepWeekly: number | null, keepMonthly: number | null, keepYearly: number | null, maxAgeSeconds: number | null, keepFailed: { last: number, maxAgeSeconds: number } } } } | null };

export type AuthClusterSnapshotsQueryVariables = Exact<{
  id: string | number;
}>;


export type AuthClusterSnapshotsQuery = { virtualCluster: { id: string, name: string, projectId: string, snapshots: { edges: Array<{ cursor: string, node: { id: string, name: string, status: SnapshotStatus } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } | null } | null };

export type AuthSnapshotQueryVariables = Exact<{
  id: string | number;
}>;


export type AuthSnapshotQuery = { snapshot: { id: string, name: string, status: SnapshotStatus, trigger: SnapshotTrigger, volumeSnapshotsEnabled: boolean, scheduledAt: string, startedAt: string | null, finishedAt: string | null, storageLocation: string | null, sizeBytes: number | null, sha256: string | null, objectCount: number | null, message: string | null, integrity: SnapshotIntegrity, verifiedAt: string | null, integrityMessage: string | null, virtualCluster: { id: string, name: string } } | null };

export type AuthSnapshotVolumesQueryVariables = Exact<{
  id: string | number;
}>;


export type AuthSnapshotVolumesQuery = { snapshot: { id: string, volumeSnapshots: Array<{ id: string, namespace: string, pvcName: string, phase: VolumeSnapshotPhase, driver: string | null, volumeSnapshotClass: string | null, snapshotHandle: string | null, restoreSizeBytes: number | null, message: string | null, createdAt: string, updatedAt: string }> } | null };

export type AuthSnapshotEventsQueryVariables = Exact<{
  id: string | number;
}>;


export type AuthSnapshotEventsQuery = { snapshot: { id: string, events: Array<{ cursor: string, subject: SnapshotEventSubject, snapshotId: string, volumeSnapshotId: string | null, virtualClusterId: string, from: string | null, to: string, at: string, message: string | null }> } | null };

export type AuthMixedQueryVariables = Exact<{
  clusterId: string | number;
  snapshotId: string | number;
}>;


export type AuthMixedQuery = { virtualCluster: { id: string, name: string, autoSnapshotPolicy: { enabled: boolean }, snapshots: { edges: Array<{ node: { id: string, name: string } }> } | null } | null, snapshot: { id: string, name: string } | null };

export type AuthVirtualClustersQueryVariables = Exact<{
  projectId?: string | number | null | undefined;
}>;


export type AuthVirtualClustersQuery = { virtualClusters: { edges: Array<{ node: { id: string, name: string, projectId: string } }> } };

export type AuthRegisterVirtualClusterMutationVariables = Exact<{
  input: RegisterVirtualClusterInput;
}>;


export type AuthRegisterVirtualClusterMutation = { registerVirtualCluster: { id: string, name: string, projectId: string } };

export type AuthUpdateVirtualClusterMutationVariables = Exact<{
  id: string | number;
  input: UpdateVirtualClusterInput;
}>;


export type AuthUpdateVirtualClusterMutation = { updateVirtualCluster: { id: string, name: string } };

export type AuthRemoveVirtualClusterMutationVariables = Exact<{
  id: string | number;
}>;


export type AuthRemoveVirtualClusterMutation = { removeVirtualCluster: { removedVirtualClusterId: string } };

export type AuthSetAutoSnapshotPolicyMutationVariables = Exact<{
  virtualClusterId: string | number;
  policy: AutoSnapshotPolicyInput;
}>;


export type AuthSetAutoSnapshotPolicyMutation = { setAutoSnapshotPolicy: { id: string, autoSnapshotPolicy: { enabled: boolean, schedule: string | null } } };

export type AuthCreateSnapshotMutationVariables = Exact<{
  virtualClusterId: string | number;
}>;


export type AuthCreateSnapshotMutation = { createSnapshot: { id: string, name: string, status: SnapshotStatus } };

export type AuthDeleteSnapshotMutationVariables = Exact<{
  id: string | number;
}>;


export type AuthDeleteSnapshotMutation = { deleteSnapshot: { deletedSnapshotId: string } };

export type AuthVerifySnapshotMutationVariables = Exact<{
  id: string | number;
}>;


export type AuthVerifySnapshotMutation = { verifySnapshot: { id: string, integrity: SnapshotIntegrity, verifiedAt: string | null } };

export type AuthSnapshotLocationQueryVariables = Exact<{
  id: string | number;
}>;


export type AuthSnapshotLocationQuery = { snapshot: { id: string, location: string | null } | null };

export type AuthStorageLocationsQueryVariables = Exact<{
  projectId?: string | number | null | undefined;
}>;


export type AuthStorageLocationsQuery = { storageLocations: Array<{ name: string, kind: StorageLocationKind, default: boolean }> };

export type AuthStorageLocationsEveryFieldQueryVariables = Exact<{ [key: string]: never; }>;


export type AuthStorageLocationsEveryFieldQuery = { storageLocations: Array<{ id: string, name: string, kind: StorageLocationKind, default: boolean, bucket: string | null, prefix: string | null, endpoint: string | null, region: string | null, pathStyle: boolean | null, directory: string | null, allowedProjectIds: Array<string> | null, createdAt: string | null, updatedAt: string | null, credentials: { source: StorageCredentialsSource, environmentPrefix: string | null, secretName: string | null } | null }> };

export type AuthCreateStorageLocationMutationVariables = Exact<{
  input: CreateStorageLocationInput;
}>;


export type AuthCreateStorageLocationMutation = { createStorageLocation: { name: string } };

export type AuthUpdateStorageLocationMutationVariables = Exact<{
  name: string;
  input: UpdateStorageLocationInput;
}>;


export type AuthUpdateStorageLocationMutation = { updateStorageLocation: { name: string } };

export type AuthDeleteStorageLocationMutationVariables = Exact<{
  name: string;
}>;


export type AuthDeleteStorageLocationMutation = { deleteStorageLocation: { deletedStorageLocationName: string } };

export type AuthRetentionPreviewQueryVariables = Exact<{
  id: string | number;
}>;


export type AuthRetentionPreviewQuery = { virtualCluster: { id: string, name: string, autoSnapshotPolicy: { enabled: boolean, retentionPreview: Array<{ snapshotId: string, name: string, status: SnapshotStatus, scheduledAt: string, reason: string }> | null } } | null };

export type VirtualClustersQueryVariables = Exact<{
  projectId?: string | number | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
  last?: number | null | undefined;
  before?: string | null | undefined;
}>;


export type VirtualClustersQuery = { virtualClusters: { edges: Array<{ cursor: string, node: { id: string, name: string, projectId: string } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type VirtualClusterQueryVariables = Exact<{
  id: string | number;
}>;


export type VirtualClusterQuery = { virtualCluster: { id: string, name: string, projectId: string, kubeconfigSource: KubeconfigSource, kubeconfigSecretRef: string | null, project: { id: string }, autoSnapshotPolicy: { enabled: boolean, schedule: string | null, timeZone: string, storageLocation: string | null, volumeSnapshotsEnabled: boolean, retention: { keepLast: number | null, keepHourly: number | null, keepDaily: number | null, keepWeekly: number | null, keepMonthly: number | null, keepYearly: number | null, maxAgeSeconds: number | null, keepFailed: { last: number, maxAgeSeconds: number } } } } | null };

export type RegisterVirtualClusterMutationVariables = Exact<{
  input: RegisterVirtualClusterInput;
}>;


export type RegisterVirtualClusterMutation = { registerVirtualCluster: { id: string, name: string, projectId: string, kubeconfigSource: KubeconfigSource, autoSnapshotPolicy: { enabled: boolean, schedule: string | null, timeZone: string } } };

export type UpdateVirtualClusterMutationVariables = Exact<{
  id: string | number;
  input: UpdateVirtualClusterInput;
}>;


export type UpdateVirtualClusterMutation = { updateVirtualCluster: { id: string, name: string, kubeconfigSource: KubeconfigSource, kubeconfigSecretRef: string | null } };

export type RemoveVirtualClusterMutationVariables = Exact<{
  id: string | number;
}>;


export type RemoveVirtualClusterMutation = { removeVirtualCluster: { removedVirtualClusterId: string } };

export type SetAutoSnapshotPolicyMutationVariables = Exact<{
  virtualClusterId: string | number;
  policy: AutoSnapshotPolicyInput;
}>;


export type SetAutoSnapshotPolicyMutation = { setAutoSnapshotPolicy: { id: string, autoSnapshotPolicy: { enabled: boolean, schedule: string | null, timeZone: string, storageLocation: string | null, volumeSnapshotsEnabled: boolean, retention: { keepLast: number | null, keepHourly: number | null, keepDaily: number | null, keepWeekly: number | null, keepMonthly: number | null, keepYearly: number | null, maxAgeSeconds: number | null, keepFailed: { last: number, maxAgeSeconds: number } } } } };

export type EngineSnapshotQueryVariables = Exact<{
  id: string | number;
}>;


export type EngineSnapshotQuery = { snapshot: { id: string, name: string, status: SnapshotStatus, trigger: SnapshotTrigger, storageLocation: string | null, location: string | null, sizeBytes: number | null, sha256: string | null, objectCount: number | null, message: string | null, integrity: SnapshotIntegrity, verifiedAt: string | null, integrityMessage: string | null, startedAt: string | null, finishedAt: string | null, skippedResources: Array<{ group: string, resource: string, reason: string }>, volumeSnapshots: Array<{ namespace: string, pvcName: string, phase: VolumeSnapshotPhase, driver: string | null, volumeSnapshotClass: string | null, snapshotHandle: string | null, restoreSizeBytes: number | null, message: string | null }>, events: Array<{ cursor: string, kind: SnapshotEventKind, subject: SnapshotEventSubject, from: string | null, to: string, at: string, message: string | null }> } | null };

export type EngineClusterSnapshotsQueryVariables = Exact<{
  id: string | number;
}>;


export type EngineClusterSnapshotsQuery = { virtualCluster: { id: string, snapshots: { edges: Array<{ node: { id: string, name: string, status: SnapshotStatus, trigger: SnapshotTrigger, scheduledAt: string } }> } | null } | null };

export type EngineRetentionPreviewQueryVariables = Exact<{
  id: string | number;
}>;


export type EngineRetentionPreviewQuery = { virtualCluster: { id: string, autoSnapshotPolicy: { retention: { keepLast: number | null, keepDaily: number | null, maxAgeSeconds: number | null, keepFailed: { last: number, maxAgeSeconds: number } }, retentionPreview: Array<{ snapshotId: string, name: string, status: SnapshotStatus, scheduledAt: string, reason: string }> | null } } | null };

export type EngineRetentionPreviewsQueryVariables = Exact<{
  projectId: string | number;
}>;


export type EngineRetentionPreviewsQuery = { virtualClusters: { edges: Array<{ node: { id: string, autoSnapshotPolicy: { retentionPreview: Array<{ snapshotId: string, reason: string }> | null } } }> } };

export type EngineVerifySnapshotMutationVariables = Exact<{
  id: string | number;
}>;


export type EngineVerifySnapshotMutation = { verifySnapshot: { id: string, status: SnapshotStatus, integrity: SnapshotIntegrity, verifiedAt: string | null, integrityMessage: string | null, sizeBytes: number | null, sha256: string | null } };

export type EngineSnapshotProgressQueryVariables = Exact<{
  id: string | number;
}>;


export type EngineSnapshotProgressQuery = { snapshot: { id: string, status: SnapshotStatus, sizeBytes: number | null, objectCount: number | null, startedAt: string | null, finishedAt: string | null, volumeSnapshots: Array<{ phase: VolumeSnapshotPhase }>, progress: { resourceTypesDone: number, resourceTypesTotal: number, objectsWritten: number, bytesWritten: number, volumesDone: number, volumesTotal: number } | null, events: Array<{ cursor: string, kind: SnapshotEventKind, subject: SnapshotEventSubject, from: string | null, to: string, at: string, progress: { resourceTypesDone: number, resourceTypesTotal: number, objectsWritten: number, bytesWritten: number, volumesDone: number, volumesTotal: number } | null }> } | null };

export type ProgressFiguresFragment = { resourceTypesDone: number, resourceTypesTotal: number, objectsWritten: number, bytesWritten: number, volumesDone: number, volumesTotal: number };

export type EnginePolicyOutcomeQueryVariables = Exact<{
  id: string | number;
}>;


export type EnginePolicyOutcomeQuery = { virtualCluster: { id: string, autoSnapshotPolicy: { enabled: boolean, nextRunAt: string | null, catchUp: CatchUpMode, skippedTicks: number, consecutiveFailures: number | null, lastRun: { status: SnapshotStatus, finishedAt: string | null, snapshot: { id: string, name: string, trigger: SnapshotTrigger } } | null } } | null };

export type EnginePolicyNextRunsQueryVariables = Exact<{
  projectId: string | number;
}>;


export type EnginePolicyNextRunsQuery = { virtualClusters: { edges: Array<{ node: { id: string, autoSnapshotPolicy: { nextRunAt: string | null, consecutiveFailures: number | null, lastRun: { status: SnapshotStatus } | null } } }> } };

export type LiveEventsSubscriptionVariables = Exact<{
  virtualClusterId?: string | number | null | undefined;
  projectId?: string | number | null | undefined;
  since?: string | number | null | undefined;
}>;


export type LiveEventsSubscription = { snapshotEvents: { cursor: string, kind: SnapshotEventKind, subject: SnapshotEventSubject, snapshotId: string, volumeSnapshotId: string | null, virtualClusterId: string, from: string | null, to: string, at: string, message: string | null, progress: { objectsWritten: number, volumesDone: number } | null, snapshot: { id: string, status: SnapshotStatus } | null } };

export type LiveCursorsSubscriptionVariables = Exact<{
  virtualClusterId?: string | number | null | undefined;
  projectId?: string | number | null | undefined;
  since?: string | number | null | undefined;
}>;


export type LiveCursorsSubscription = { snapshotEvents: { cursor: string, kind: SnapshotEventKind, snapshotId: string, to: string } };

export type LiveSnapshotSubscriptionVariables = Exact<{
  id: string | number;
}>;


export type LiveSnapshotSubscription = { snapshotUpdated: { id: string, status: SnapshotStatus, volumeSnapshots: Array<{ pvcName: string, phase: VolumeSnapshotPhase }> } };

export type StorageLocationFieldsFragment = { id: string, name: string, kind: StorageLocationKind, default: boolean, bucket: string | null, prefix: string | null, endpoint: string | null, region: string | null, pathStyle: boolean | null, directory: string | null, allowedProjectIds: Array<string> | null, createdAt: string | null, updatedAt: string | null, credentials: { source: StorageCredentialsSource, environmentPrefix: string | null, secretName: string | null } | null };

export type StorageLocationsQueryVariables = Exact<{
  projectId?: string | number | null | undefined;
}>;


export type StorageLocationsQuery = { storageLocations: Array<{ id: string, name: string, kind: StorageLocationKind, default: boolean, bucket: string | null, prefix: string | null, endpoint: string | null, region: string | null, pathStyle: boolean | null, directory: string | null, allowedProjectIds: Array<string> | null, createdAt: string | null, updatedAt: string | null, credentials: { source: StorageCredentialsSource, environmentPrefix: string | null, secretName: string | null } | null }> };

export type StorageLocationNamesQueryVariables = Exact<{
  projectId?: string | number | null | undefined;
}>;


export type StorageLocationNamesQuery = { storageLocations: Array<{ name: string, kind: StorageLocationKind, default: boolean }> };

export type CreateStorageLocationMutationVariables = Exact<{
  input: CreateStorageLocationInput;
}>;


export type CreateStorageLocationMutation = { createStorageLocation: { id: string, name: string, kind: StorageLocationKind, default: boolean, bucket: string | null, prefix: string | null, endpoint: string | null, region: string | null, pathStyle: boolean | null, directory: string | null, allowedProjectIds: Array<string> | null, createdAt: string | null, updatedAt: string | null, credentials: { source: StorageCredentialsSource, environmentPrefix: string | null, secretName: string | null } | null } };

export type UpdateStorageLocationMutationVariables = Exact<{
  name: string;
  input: UpdateStorageLocationInput;
}>;


export type UpdateStorageLocationMutation = { updateStorageLocation: { id: string, name: string, kind: StorageLocationKind, default: boolean, bucket: string | null, prefix: string | null, endpoint: string | null, region: string | null, pathStyle: boolean | null, directory: string | null, allowedProjectIds: Array<string> | null, createdAt: string | null, updatedAt: string | null, credentials: { source: StorageCredentialsSource, environmentPrefix: string | null, secretName: string | null } | null } };

export type DeleteStorageLocationMutationVariables = Exact<{
  name: string;
}>;


export type DeleteStorageLocationMutation = { deleteStorageLocation: { deletedStorageLocationName: string } };

export type ClusterSnapshotsQueryVariables = Exact<{
  id: string | number;
  status?: SnapshotStatus | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
  last?: number | null | undefined;
  before?: string | null | undefined;
}>;


export type ClusterSnapshotsQuery = { virtualCluster: { id: string, name: string, snapshots: { edges: Array<{ cursor: string, node: { id: string, name: string, status: SnapshotStatus, scheduledAt: string, volumeSnapshots: Array<{ phase: VolumeSnapshotPhase }> } }>, pageInfo: { hasNextPage: boolean, hasPreviousPage: boolean, startCursor: string | null, endCursor: string | null } } | null } | null };

export type SnapshotQueryVariables = Exact<{
  id: string | number;
}>;


export type SnapshotQuery = { snapshot: { id: string, name: string, status: SnapshotStatus, trigger: SnapshotTrigger, scheduledAt: string, virtualCluster: { id: string, name: string }, volumeSnapshots: Array<{ id: string, namespace: string, pvcName: string, phase: VolumeSnapshotPhase, message: string | null }>, events: Array<{ cursor: string, kind: SnapshotEventKind, subject: SnapshotEventSubject, from: string | null, to: string, message: string | null, at: string }> } | null };

export type CreateSnapshotMutationVariables = Exact<{
  virtualClusterId: string | number;
}>;


export type CreateSnapshotMutation = { createSnapshot: { id: string, name: string, status: SnapshotStatus, trigger: SnapshotTrigger, scheduledAt: string } };

export type DeleteSnapshotMutationVariables = Exact<{
  id: string | number;
}>;


export type DeleteSnapshotMutation = { deleteSnapshot: { deletedSnapshotId: string } };

export type ClusterSnapshotHistoryQueryVariables = Exact<{
  id: string | number;
  first?: number | null | undefined;
}>;


export type ClusterSnapshotHistoryQuery = { virtualCluster: { id: string, snapshots: { edges: Array<{ node: { id: string, status: SnapshotStatus, virtualCluster: { id: string }, volumeSnapshots: Array<{ id: string, pvcName: string, phase: VolumeSnapshotPhase }>, events: Array<{ cursor: string, to: string }> } }>, pageInfo: { hasNextPage: boolean } } | null } | null };

export const ProgressFiguresFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ProgressFigures"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"SnapshotProgress"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"resourceTypesDone"}},{"kind":"Field","name":{"kind":"Name","value":"resourceTypesTotal"}},{"kind":"Field","name":{"kind":"Name","value":"objectsWritten"}},{"kind":"Field","name":{"kind":"Name","value":"bytesWritten"}},{"kind":"Field","name":{"kind":"Name","value":"volumesDone"}},{"kind":"Field","name":{"kind":"Name","value":"volumesTotal"}}]}}]} as unknown as DocumentNode<ProgressFiguresFragment, unknown>;
export const StorageLocationFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"StorageLocationFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"StorageLocation"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"default"}},{"kind":"Field","name":{"kind":"Name","value":"bucket"}},{"kind":"Field","name":{"kind":"Name","value":"prefix"}},{"kind":"Field","name":{"kind":"Name","value":"endpoint"}},{"kind":"Field","name":{"kind":"Name","value":"region"}},{"kind":"Field","name":{"kind":"Name","value":"pathStyle"}},{"kind":"Field","name":{"kind":"Name","value":"credentials"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"environmentPrefix"}},{"kind":"Field","name":{"kind":"Name","value":"secretName"}}]}},{"kind":"Field","name":{"kind":"Name","value":"directory"}},{"kind":"Field","name":{"kind":"Name","value":"allowedProjectIds"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<StorageLocationFieldsFragment, unknown>;
export const AuthVirtualClusterDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AuthVirtualCluster"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"virtualCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"project"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"kubeconfigSource"}},{"kind":"Field","name":{"kind":"Name","value":"kubeconfigSecretRef"}},{"kind":"Field","name":{"kind":"Name","value":"autoSnapshotPolicy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"enabled"}},{"kind":"Field","name":{"kind":"Name","value":"schedule"}},{"kind":"Field","name":{"kind":"Name","value":"timeZone"}},{"kind":"Field","name":{"kind":"Name","value":"retention"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"keepLast"}},{"kind":"Field","name":{"kind":"Name","value":"keepHourly"}},{"kind":"Field","name":{"kind":"Name","value":"keepDaily"}},{"kind":"Field","name":{"kind":"Name","value":"keepWeekly"}},{"kind":"Field","name":{"kind":"Name","value":"keepMonthly"}},{"kind":"Field","name":{"kind":"Name","value":"keepYearly"}},{"kind":"Field","name":{"kind":"Name","value":"maxAgeSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"keepFailed"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"last"}},{"kind":"Field","name":{"kind":"Name","value":"maxAgeSeconds"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"storageLocation"}},{"kind":"Field","name":{"kind":"Name","value":"volumeSnapshotsEnabled"}}]}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]}}]} as unknown as DocumentNode<AuthVirtualClusterQuery, AuthVirtualClusterQueryVariables>;
export const AuthClusterSnapshotsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AuthClusterSnapshots"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"virtualCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"snapshots"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]}}]} as unknown as DocumentNode<AuthClusterSnapshotsQuery, AuthClusterSnapshotsQueryVariables>;
export const AuthSnapshotDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AuthSnapshot"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"snapshot"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"trigger"}},{"kind":"Field","name":{"kind":"Name","value":"virtualCluster"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"volumeSnapshotsEnabled"}},{"kind":"Field","name":{"kind":"Name","value":"scheduledAt"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"storageLocation"}},{"kind":"Field","name":{"kind":"Name","value":"sizeBytes"}},{"kind":"Field","name":{"kind":"Name","value":"sha256"}},{"kind":"Field","name":{"kind":"Name","value":"objectCount"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"integrity"}},{"kind":"Field","name":{"kind":"Name","value":"verifiedAt"}},{"kind":"Field","name":{"kind":"Name","value":"integrityMessage"}}]}}]}}]} as unknown as DocumentNode<AuthSnapshotQuery, AuthSnapshotQueryVariables>;
export const AuthSnapshotVolumesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AuthSnapshotVolumes"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"snapshot"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"volumeSnapshots"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"namespace"}},{"kind":"Field","name":{"kind":"Name","value":"pvcName"}},{"kind":"Field","name":{"kind":"Name","value":"phase"}},{"kind":"Field","name":{"kind":"Name","value":"driver"}},{"kind":"Field","name":{"kind":"Name","value":"volumeSnapshotClass"}},{"kind":"Field","name":{"kind":"Name","value":"snapshotHandle"}},{"kind":"Field","name":{"kind":"Name","value":"restoreSizeBytes"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]}}]}}]} as unknown as DocumentNode<AuthSnapshotVolumesQuery, AuthSnapshotVolumesQueryVariables>;
export const AuthSnapshotEventsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AuthSnapshotEvents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"snapshot"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"events"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"snapshotId"}},{"kind":"Field","name":{"kind":"Name","value":"volumeSnapshotId"}},{"kind":"Field","name":{"kind":"Name","value":"virtualClusterId"}},{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<AuthSnapshotEventsQuery, AuthSnapshotEventsQueryVariables>;
export const AuthMixedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AuthMixed"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"clusterId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"snapshotId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"virtualCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"clusterId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"autoSnapshotPolicy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"enabled"}}]}},{"kind":"Field","name":{"kind":"Name","value":"snapshots"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"snapshot"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"snapshotId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]} as unknown as DocumentNode<AuthMixedQuery, AuthMixedQueryVariables>;
export const AuthVirtualClustersDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AuthVirtualClusters"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"virtualClusters"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"projectId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}}]}}]}}]}}]}}]} as unknown as DocumentNode<AuthVirtualClustersQuery, AuthVirtualClustersQueryVariables>;
export const AuthRegisterVirtualClusterDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AuthRegisterVirtualCluster"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RegisterVirtualClusterInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"registerVirtualCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}}]}}]}}]} as unknown as DocumentNode<AuthRegisterVirtualClusterMutation, AuthRegisterVirtualClusterMutationVariables>;
export const AuthUpdateVirtualClusterDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AuthUpdateVirtualCluster"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateVirtualClusterInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateVirtualCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]} as unknown as DocumentNode<AuthUpdateVirtualClusterMutation, AuthUpdateVirtualClusterMutationVariables>;
export const AuthRemoveVirtualClusterDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AuthRemoveVirtualCluster"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"removeVirtualCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"removedVirtualClusterId"}}]}}]}}]} as unknown as DocumentNode<AuthRemoveVirtualClusterMutation, AuthRemoveVirtualClusterMutationVariables>;
export const AuthSetAutoSnapshotPolicyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AuthSetAutoSnapshotPolicy"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"virtualClusterId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"policy"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"AutoSnapshotPolicyInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setAutoSnapshotPolicy"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"virtualClusterId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"virtualClusterId"}}},{"kind":"Argument","name":{"kind":"Name","value":"policy"},"value":{"kind":"Variable","name":{"kind":"Name","value":"policy"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"autoSnapshotPolicy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"enabled"}},{"kind":"Field","name":{"kind":"Name","value":"schedule"}}]}}]}}]}}]} as unknown as DocumentNode<AuthSetAutoSnapshotPolicyMutation, AuthSetAutoSnapshotPolicyMutationVariables>;
export const AuthCreateSnapshotDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AuthCreateSnapshot"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"virtualClusterId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createSnapshot"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"virtualClusterId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"virtualClusterId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<AuthCreateSnapshotMutation, AuthCreateSnapshotMutationVariables>;
export const AuthDeleteSnapshotDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AuthDeleteSnapshot"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deleteSnapshot"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deletedSnapshotId"}}]}}]}}]} as unknown as DocumentNode<AuthDeleteSnapshotMutation, AuthDeleteSnapshotMutationVariables>;
export const AuthVerifySnapshotDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AuthVerifySnapshot"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"verifySnapshot"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"integrity"}},{"kind":"Field","name":{"kind":"Name","value":"verifiedAt"}}]}}]}}]} as unknown as DocumentNode<AuthVerifySnapshotMutation, AuthVerifySnapshotMutationVariables>;
export const AuthSnapshotLocationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AuthSnapshotLocation"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"snapshot"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"location"}}]}}]}}]} as unknown as DocumentNode<AuthSnapshotLocationQuery, AuthSnapshotLocationQueryVariables>;
export const AuthStorageLocationsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AuthStorageLocations"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"storageLocations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"projectId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"default"}}]}}]}}]} as unknown as DocumentNode<AuthStorageLocationsQuery, AuthStorageLocationsQueryVariables>;
export const AuthStorageLocationsEveryFieldDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AuthStorageLocationsEveryField"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"storageLocations"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"default"}},{"kind":"Field","name":{"kind":"Name","value":"bucket"}},{"kind":"Field","name":{"kind":"Name","value":"prefix"}},{"kind":"Field","name":{"kind":"Name","value":"endpoint"}},{"kind":"Field","name":{"kind":"Name","value":"region"}},{"kind":"Field","name":{"kind":"Name","value":"pathStyle"}},{"kind":"Field","name":{"kind":"Name","value":"credentials"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"environmentPrefix"}},{"kind":"Field","name":{"kind":"Name","value":"secretName"}}]}},{"kind":"Field","name":{"kind":"Name","value":"directory"}},{"kind":"Field","name":{"kind":"Name","value":"allowedProjectIds"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]}}]} as unknown as DocumentNode<AuthStorageLocationsEveryFieldQuery, AuthStorageLocationsEveryFieldQueryVariables>;
export const AuthCreateStorageLocationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AuthCreateStorageLocation"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateStorageLocationInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createStorageLocation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]} as unknown as DocumentNode<AuthCreateStorageLocationMutation, AuthCreateStorageLocationMutationVariables>;
export const AuthUpdateStorageLocationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AuthUpdateStorageLocation"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"name"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateStorageLocationInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateStorageLocation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"name"},"value":{"kind":"Variable","name":{"kind":"Name","value":"name"}}},{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}}]} as unknown as DocumentNode<AuthUpdateStorageLocationMutation, AuthUpdateStorageLocationMutationVariables>;
export const AuthDeleteStorageLocationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"AuthDeleteStorageLocation"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"name"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deleteStorageLocation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"name"},"value":{"kind":"Variable","name":{"kind":"Name","value":"name"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deletedStorageLocationName"}}]}}]}}]} as unknown as DocumentNode<AuthDeleteStorageLocationMutation, AuthDeleteStorageLocationMutationVariables>;
export const AuthRetentionPreviewDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"AuthRetentionPreview"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"virtualCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"autoSnapshotPolicy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"enabled"}},{"kind":"Field","name":{"kind":"Name","value":"retentionPreview"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"snapshotId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"scheduledAt"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}}]}}]}}]}}]}}]} as unknown as DocumentNode<AuthRetentionPreviewQuery, AuthRetentionPreviewQueryVariables>;
export const VirtualClustersDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"VirtualClusters"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"last"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"before"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"virtualClusters"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"projectId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"last"},"value":{"kind":"Variable","name":{"kind":"Name","value":"last"}}},{"kind":"Argument","name":{"kind":"Name","value":"before"},"value":{"kind":"Variable","name":{"kind":"Name","value":"before"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<VirtualClustersQuery, VirtualClustersQueryVariables>;
export const VirtualClusterDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"VirtualCluster"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"virtualCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"project"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"kubeconfigSource"}},{"kind":"Field","name":{"kind":"Name","value":"kubeconfigSecretRef"}},{"kind":"Field","name":{"kind":"Name","value":"autoSnapshotPolicy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"enabled"}},{"kind":"Field","name":{"kind":"Name","value":"schedule"}},{"kind":"Field","name":{"kind":"Name","value":"timeZone"}},{"kind":"Field","name":{"kind":"Name","value":"retention"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"keepLast"}},{"kind":"Field","name":{"kind":"Name","value":"keepHourly"}},{"kind":"Field","name":{"kind":"Name","value":"keepDaily"}},{"kind":"Field","name":{"kind":"Name","value":"keepWeekly"}},{"kind":"Field","name":{"kind":"Name","value":"keepMonthly"}},{"kind":"Field","name":{"kind":"Name","value":"keepYearly"}},{"kind":"Field","name":{"kind":"Name","value":"maxAgeSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"keepFailed"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"last"}},{"kind":"Field","name":{"kind":"Name","value":"maxAgeSeconds"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"storageLocation"}},{"kind":"Field","name":{"kind":"Name","value":"volumeSnapshotsEnabled"}}]}}]}}]}}]} as unknown as DocumentNode<VirtualClusterQuery, VirtualClusterQueryVariables>;
export const RegisterVirtualClusterDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RegisterVirtualCluster"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RegisterVirtualClusterInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"registerVirtualCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"kubeconfigSource"}},{"kind":"Field","name":{"kind":"Name","value":"autoSnapshotPolicy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"enabled"}},{"kind":"Field","name":{"kind":"Name","value":"schedule"}},{"kind":"Field","name":{"kind":"Name","value":"timeZone"}}]}}]}}]}}]} as unknown as DocumentNode<RegisterVirtualClusterMutation, RegisterVirtualClusterMutationVariables>;
export const UpdateVirtualClusterDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"UpdateVirtualCluster"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateVirtualClusterInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateVirtualCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"kubeconfigSource"}},{"kind":"Field","name":{"kind":"Name","value":"kubeconfigSecretRef"}}]}}]}}]} as unknown as DocumentNode<UpdateVirtualClusterMutation, UpdateVirtualClusterMutationVariables>;
export const RemoveVirtualClusterDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RemoveVirtualCluster"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"removeVirtualCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"removedVirtualClusterId"}}]}}]}}]} as unknown as DocumentNode<RemoveVirtualClusterMutation, RemoveVirtualClusterMutationVariables>;
export const SetAutoSnapshotPolicyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetAutoSnapshotPolicy"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"virtualClusterId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"policy"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"AutoSnapshotPolicyInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setAutoSnapshotPolicy"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"virtualClusterId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"virtualClusterId"}}},{"kind":"Argument","name":{"kind":"Name","value":"policy"},"value":{"kind":"Variable","name":{"kind":"Name","value":"policy"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"autoSnapshotPolicy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"enabled"}},{"kind":"Field","name":{"kind":"Name","value":"schedule"}},{"kind":"Field","name":{"kind":"Name","value":"timeZone"}},{"kind":"Field","name":{"kind":"Name","value":"retention"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"keepLast"}},{"kind":"Field","name":{"kind":"Name","value":"keepHourly"}},{"kind":"Field","name":{"kind":"Name","value":"keepDaily"}},{"kind":"Field","name":{"kind":"Name","value":"keepWeekly"}},{"kind":"Field","name":{"kind":"Name","value":"keepMonthly"}},{"kind":"Field","name":{"kind":"Name","value":"keepYearly"}},{"kind":"Field","name":{"kind":"Name","value":"maxAgeSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"keepFailed"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"last"}},{"kind":"Field","name":{"kind":"Name","value":"maxAgeSeconds"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"storageLocation"}},{"kind":"Field","name":{"kind":"Name","value":"volumeSnapshotsEnabled"}}]}}]}}]}}]} as unknown as DocumentNode<SetAutoSnapshotPolicyMutation, SetAutoSnapshotPolicyMutationVariables>;
export const EngineSnapshotDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"EngineSnapshot"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"snapshot"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"trigger"}},{"kind":"Field","name":{"kind":"Name","value":"storageLocation"}},{"kind":"Field","name":{"kind":"Name","value":"location"}},{"kind":"Field","name":{"kind":"Name","value":"sizeBytes"}},{"kind":"Field","name":{"kind":"Name","value":"sha256"}},{"kind":"Field","name":{"kind":"Name","value":"objectCount"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"integrity"}},{"kind":"Field","name":{"kind":"Name","value":"verifiedAt"}},{"kind":"Field","name":{"kind":"Name","value":"integrityMessage"}},{"kind":"Field","name":{"kind":"Name","value":"skippedResources"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"group"}},{"kind":"Field","name":{"kind":"Name","value":"resource"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}}]}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"volumeSnapshots"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"namespace"}},{"kind":"Field","name":{"kind":"Name","value":"pvcName"}},{"kind":"Field","name":{"kind":"Name","value":"phase"}},{"kind":"Field","name":{"kind":"Name","value":"driver"}},{"kind":"Field","name":{"kind":"Name","value":"volumeSnapshotClass"}},{"kind":"Field","name":{"kind":"Name","value":"snapshotHandle"}},{"kind":"Field","name":{"kind":"Name","value":"restoreSizeBytes"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"Field","name":{"kind":"Name","value":"events"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}}]}}]}}]} as unknown as DocumentNode<EngineSnapshotQuery, EngineSnapshotQueryVariables>;
export const EngineClusterSnapshotsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"EngineClusterSnapshots"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"virtualCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"snapshots"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"50"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"trigger"}},{"kind":"Field","name":{"kind":"Name","value":"scheduledAt"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<EngineClusterSnapshotsQuery, EngineClusterSnapshotsQueryVariables>;
export const EngineRetentionPreviewDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"EngineRetentionPreview"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"virtualCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"autoSnapshotPolicy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"retention"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"keepLast"}},{"kind":"Field","name":{"kind":"Name","value":"keepDaily"}},{"kind":"Field","name":{"kind":"Name","value":"maxAgeSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"keepFailed"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"last"}},{"kind":"Field","name":{"kind":"Name","value":"maxAgeSeconds"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"retentionPreview"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"snapshotId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"scheduledAt"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}}]}}]}}]}}]}}]} as unknown as DocumentNode<EngineRetentionPreviewQuery, EngineRetentionPreviewQueryVariables>;
export const EngineRetentionPreviewsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"EngineRetentionPreviews"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"virtualClusters"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"projectId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"autoSnapshotPolicy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"retentionPreview"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"snapshotId"}},{"kind":"Field","name":{"kind":"Name","value":"reason"}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<EngineRetentionPreviewsQuery, EngineRetentionPreviewsQueryVariables>;
export const EngineVerifySnapshotDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"EngineVerifySnapshot"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"verifySnapshot"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"integrity"}},{"kind":"Field","name":{"kind":"Name","value":"verifiedAt"}},{"kind":"Field","name":{"kind":"Name","value":"integrityMessage"}},{"kind":"Field","name":{"kind":"Name","value":"sizeBytes"}},{"kind":"Field","name":{"kind":"Name","value":"sha256"}}]}}]}}]} as unknown as DocumentNode<EngineVerifySnapshotMutation, EngineVerifySnapshotMutationVariables>;
export const EngineSnapshotProgressDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"EngineSnapshotProgress"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"snapshot"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"sizeBytes"}},{"kind":"Field","name":{"kind":"Name","value":"objectCount"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"volumeSnapshots"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"phase"}}]}},{"kind":"Field","name":{"kind":"Name","value":"progress"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ProgressFigures"}}]}},{"kind":"Field","name":{"kind":"Name","value":"events"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"kinds"},"value":{"kind":"ListValue","values":[{"kind":"EnumValue","value":"CREATED"},{"kind":"EnumValue","value":"STATUS_CHANGED"},{"kind":"EnumValue","value":"VOLUME_PHASE_CHANGED"},{"kind":"EnumValue","value":"PROGRESS"},{"kind":"EnumValue","value":"DELETED"}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"progress"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"ProgressFigures"}}]}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ProgressFigures"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"SnapshotProgress"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"resourceTypesDone"}},{"kind":"Field","name":{"kind":"Name","value":"resourceTypesTotal"}},{"kind":"Field","name":{"kind":"Name","value":"objectsWritten"}},{"kind":"Field","name":{"kind":"Name","value":"bytesWritten"}},{"kind":"Field","name":{"kind":"Name","value":"volumesDone"}},{"kind":"Field","name":{"kind":"Name","value":"volumesTotal"}}]}}]} as unknown as DocumentNode<EngineSnapshotProgressQuery, EngineSnapshotProgressQueryVariables>;
export const EnginePolicyOutcomeDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"EnginePolicyOutcome"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"virtualCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"autoSnapshotPolicy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"enabled"}},{"kind":"Field","name":{"kind":"Name","value":"nextRunAt"}},{"kind":"Field","name":{"kind":"Name","value":"catchUp"}},{"kind":"Field","name":{"kind":"Name","value":"skippedTicks"}},{"kind":"Field","name":{"kind":"Name","value":"consecutiveFailures"}},{"kind":"Field","name":{"kind":"Name","value":"lastRun"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"finishedAt"}},{"kind":"Field","name":{"kind":"Name","value":"snapshot"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"trigger"}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<EnginePolicyOutcomeQuery, EnginePolicyOutcomeQueryVariables>;
export const EnginePolicyNextRunsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"EnginePolicyNextRuns"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"virtualClusters"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"projectId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"IntValue","value":"100"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"autoSnapshotPolicy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nextRunAt"}},{"kind":"Field","name":{"kind":"Name","value":"consecutiveFailures"}},{"kind":"Field","name":{"kind":"Name","value":"lastRun"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]}}]}}]}}]} as unknown as DocumentNode<EnginePolicyNextRunsQuery, EnginePolicyNextRunsQueryVariables>;
export const LiveEventsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"LiveEvents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"virtualClusterId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"since"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"snapshotEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"virtualClusterId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"virtualClusterId"}}},{"kind":"Argument","name":{"kind":"Name","value":"projectId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}}},{"kind":"Argument","name":{"kind":"Name","value":"since"},"value":{"kind":"Variable","name":{"kind":"Name","value":"since"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"snapshotId"}},{"kind":"Field","name":{"kind":"Name","value":"volumeSnapshotId"}},{"kind":"Field","name":{"kind":"Name","value":"virtualClusterId"}},{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"progress"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"objectsWritten"}},{"kind":"Field","name":{"kind":"Name","value":"volumesDone"}}]}},{"kind":"Field","name":{"kind":"Name","value":"snapshot"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]}}]} as unknown as DocumentNode<LiveEventsSubscription, LiveEventsSubscriptionVariables>;
export const LiveCursorsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"LiveCursors"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"virtualClusterId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"since"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"snapshotEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"virtualClusterId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"virtualClusterId"}}},{"kind":"Argument","name":{"kind":"Name","value":"projectId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}}},{"kind":"Argument","name":{"kind":"Name","value":"since"},"value":{"kind":"Variable","name":{"kind":"Name","value":"since"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"snapshotId"}},{"kind":"Field","name":{"kind":"Name","value":"to"}}]}}]}}]} as unknown as DocumentNode<LiveCursorsSubscription, LiveCursorsSubscriptionVariables>;
export const LiveSnapshotDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"LiveSnapshot"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"snapshotUpdated"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"volumeSnapshots"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pvcName"}},{"kind":"Field","name":{"kind":"Name","value":"phase"}}]}}]}}]}}]} as unknown as DocumentNode<LiveSnapshotSubscription, LiveSnapshotSubscriptionVariables>;
export const StorageLocationsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"StorageLocations"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"storageLocations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"projectId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"StorageLocationFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"StorageLocationFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"StorageLocation"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"default"}},{"kind":"Field","name":{"kind":"Name","value":"bucket"}},{"kind":"Field","name":{"kind":"Name","value":"prefix"}},{"kind":"Field","name":{"kind":"Name","value":"endpoint"}},{"kind":"Field","name":{"kind":"Name","value":"region"}},{"kind":"Field","name":{"kind":"Name","value":"pathStyle"}},{"kind":"Field","name":{"kind":"Name","value":"credentials"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"environmentPrefix"}},{"kind":"Field","name":{"kind":"Name","value":"secretName"}}]}},{"kind":"Field","name":{"kind":"Name","value":"directory"}},{"kind":"Field","name":{"kind":"Name","value":"allowedProjectIds"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<StorageLocationsQuery, StorageLocationsQueryVariables>;
export const StorageLocationNamesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"StorageLocationNames"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"storageLocations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"projectId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"default"}}]}}]}}]} as unknown as DocumentNode<StorageLocationNamesQuery, StorageLocationNamesQueryVariables>;
export const CreateStorageLocationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateStorageLocation"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateStorageLocationInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createStorageLocation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"StorageLocationFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"StorageLocationFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"StorageLocation"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"default"}},{"kind":"Field","name":{"kind":"Name","value":"bucket"}},{"kind":"Field","name":{"kind":"Name","value":"prefix"}},{"kind":"Field","name":{"kind":"Name","value":"endpoint"}},{"kind":"Field","name":{"kind":"Name","value":"region"}},{"kind":"Field","name":{"kind":"Name","value":"pathStyle"}},{"kind":"Field","name":{"kind":"Name","value":"credentials"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"environmentPrefix"}},{"kind":"Field","name":{"kind":"Name","value":"secretName"}}]}},{"kind":"Field","name":{"kind":"Name","value":"directory"}},{"kind":"Field","name":{"kind":"Name","value":"allowedProjectIds"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<CreateStorageLocationMutation, CreateStorageLocationMutationVariables>;
export const UpdateStorageLocationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"UpdateStorageLocation"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"name"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateStorageLocationInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateStorageLocation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"name"},"value":{"kind":"Variable","name":{"kind":"Name","value":"name"}}},{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"StorageLocationFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"StorageLocationFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"StorageLocation"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"default"}},{"kind":"Field","name":{"kind":"Name","value":"bucket"}},{"kind":"Field","name":{"kind":"Name","value":"prefix"}},{"kind":"Field","name":{"kind":"Name","value":"endpoint"}},{"kind":"Field","name":{"kind":"Name","value":"region"}},{"kind":"Field","name":{"kind":"Name","value":"pathStyle"}},{"kind":"Field","name":{"kind":"Name","value":"credentials"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"source"}},{"kind":"Field","name":{"kind":"Name","value":"environmentPrefix"}},{"kind":"Field","name":{"kind":"Name","value":"secretName"}}]}},{"kind":"Field","name":{"kind":"Name","value":"directory"}},{"kind":"Field","name":{"kind":"Name","value":"allowedProjectIds"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}}]}}]} as unknown as DocumentNode<UpdateStorageLocationMutation, UpdateStorageLocationMutationVariables>;
export const DeleteStorageLocationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DeleteStorageLocation"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"name"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deleteStorageLocation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"name"},"value":{"kind":"Variable","name":{"kind":"Name","value":"name"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deletedStorageLocationName"}}]}}]}}]} as unknown as DocumentNode<DeleteStorageLocationMutation, DeleteStorageLocationMutationVariables>;
export const ClusterSnapshotsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ClusterSnapshots"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"status"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"SnapshotStatus"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"last"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"before"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"virtualCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"snapshots"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"status"},"value":{"kind":"Variable","name":{"kind":"Name","value":"status"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"last"},"value":{"kind":"Variable","name":{"kind":"Name","value":"last"}}},{"kind":"Argument","name":{"kind":"Name","value":"before"},"value":{"kind":"Variable","name":{"kind":"Name","value":"before"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"scheduledAt"}},{"kind":"Field","name":{"kind":"Name","value":"volumeSnapshots"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"phase"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"hasPreviousPage"}},{"kind":"Field","name":{"kind":"Name","value":"startCursor"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ClusterSnapshotsQuery, ClusterSnapshotsQueryVariables>;
export const SnapshotDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Snapshot"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"snapshot"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"trigger"}},{"kind":"Field","name":{"kind":"Name","value":"scheduledAt"}},{"kind":"Field","name":{"kind":"Name","value":"virtualCluster"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"volumeSnapshots"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"namespace"}},{"kind":"Field","name":{"kind":"Name","value":"pvcName"}},{"kind":"Field","name":{"kind":"Name","value":"phase"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"Field","name":{"kind":"Name","value":"events"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"at"}}]}}]}}]}}]} as unknown as DocumentNode<SnapshotQuery, SnapshotQueryVariables>;
export const CreateSnapshotDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateSnapshot"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"virtualClusterId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createSnapshot"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"virtualClusterId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"virtualClusterId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"trigger"}},{"kind":"Field","name":{"kind":"Name","value":"scheduledAt"}}]}}]}}]} as unknown as DocumentNode<CreateSnapshotMutation, CreateSnapshotMutationVariables>;
export const DeleteSnapshotDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DeleteSnapshot"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deleteSnapshot"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deletedSnapshotId"}}]}}]}}]} as unknown as DocumentNode<DeleteSnapshotMutation, DeleteSnapshotMutationVariables>;
export const ClusterSnapshotHistoryDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ClusterSnapshotHistory"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"virtualCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"snapshots"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"virtualCluster"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"volumeSnapshots"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"pvcName"}},{"kind":"Field","name":{"kind":"Name","value":"phase"}}]}},{"kind":"Field","name":{"kind":"Name","value":"events"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"to"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ClusterSnapshotHistoryQuery, ClusterSnapshotHistoryQueryVariables>;