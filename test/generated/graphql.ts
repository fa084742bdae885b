/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** An instant in time, as an ISO-8601 string in UTC. */
  DateTime: { input: string; output: string; }
};

/** When and how a virtual cluster is snapshotted automatically. */
export type AutoSnapshotPolicy = {
  __typename?: 'AutoSnapshotPolicy';
  enabled: Scalars['Boolean']['output'];
  retentionMaxAgeSeconds: Maybe<Scalars['Int']['output']>;
  retentionMaxSnapshots: Maybe<Scalars['Int']['output']>;
  /** Five-field cron expression. */
  schedule: Maybe<Scalars['String']['output']>;
  /** `s3://bucket/prefix` or a local directory; null means the local default. */
  storageTarget: Maybe<Scalars['String']['output']>;
  /** IANA time zone the schedule is read in. */
  timeZone: Scalars['String']['output'];
  volumeSnapshotsEnabled: Scalars['Boolean']['output'];
};

export type AutoSnapshotPolicyInput = {
  enabled: Scalars['Boolean']['input'];
  retentionMaxAgeSeconds?: InputMaybe<Scalars['Int']['input']>;
  retentionMaxSnapshots?: InputMaybe<Scalars['Int']['input']>;
  /** Five-field cron expression; required when enabled. */
  schedule?: InputMaybe<Scalars['String']['input']>;
  /** `s3://bucket/prefix` or an absolute directory. */
  storageTarget?: InputMaybe<Scalars['String']['input']>;
  /** IANA time zone; defaults to UTC. */
  timeZone?: InputMaybe<Scalars['String']['input']>;
  volumeSnapshotsEnabled?: InputMaybe<Scalars['Boolean']['input']>;
};

export type DeleteSnapshotPayload = {
  __typename?: 'DeleteSnapshotPayload';
  deletedSnapshotId: Scalars['ID']['output'];
};

/** Exactly one of the two. */
export type KubeconfigInput = {
  /** The kubeconfig itself (development only). */
  inline?: InputMaybe<Scalars['String']['input']>;
  /** A mounted secret holding it: `<secret-name>/<key>`. */
  secretRef?: InputMaybe<Scalars['String']['input']>;
};

export type KubeconfigSource =
  /** Held inline in vsnap (development only). */
  | 'INLINE'
  /** Read from a mounted secret. */
  | 'SECRET_REF';

export type Mutation = {
  __typename?: 'Mutation';
  /** Schedules a snapshot now. CONFLICT while the cluster already has one SCHEDULED. */
  createSnapshot: Snapshot;
  /** Deletes the snapshot. CONFLICT while it is being taken. */
  deleteSnapshot: DeleteSnapshotPayload;
  registerVirtualCluster: VirtualCluster;
  removeVirtualCluster: RemoveVirtualClusterPayload;
  setAutoSnapshotPolicy: VirtualCluster;
  updateVirtualCluster: VirtualCluster;
};


export type MutationCreateSnapshotArgs = {
  virtualClusterId: Scalars['ID']['input'];
};


export type MutationDeleteSnapshotArgs = {
  id: Scalars['ID']['input'];
};


export type MutationRegisterVirtualClusterArgs = {
  input: RegisterVirtualClusterInput;
};


export type MutationRemoveVirtualClusterArgs = {
  id: Scalars['ID']['input'];
};


export type MutationSetAutoSnapshotPolicyArgs = {
  policy: AutoSnapshotPolicyInput;
  virtualClusterId: Scalars['ID']['input'];
};


export type MutationUpdateVirtualClusterArgs = {
  id: Scalars['ID']['input'];
  input: UpdateVirtualClusterInput;
};

export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
  hasPreviousPage: Scalars['Boolean']['output'];
  startCursor: Maybe<Scalars['String']['output']>;
};

export type Project = {
  __typename?: 'Project';
  id: Scalars['ID']['output'];
};

export type Query = {
  __typename?: 'Query';
  snapshot: Maybe<Snapshot>;
  virtualCluster: Maybe<VirtualCluster>;
  /** Virtual clusters by name: of one project, or of every project the caller belongs to. */
  virtualClusters: VirtualClusterConnection;
};


export type QuerySnapshotArgs = {
  id: Scalars['ID']['input'];
};


export type QueryVirtualClusterArgs = {
  id: Scalars['ID']['input'];
};


export type QueryVirtualClustersArgs = {
  after: InputMaybe<Scalars['String']['input']>;
  before: InputMaybe<Scalars['String']['input']>;
  first: InputMaybe<Scalars['Int']['input']>;
  last: InputMaybe<Scalars['Int']['input']>;
  projectId: InputMaybe<Scalars['ID']['input']>;
};

export type RegisterVirtualClusterInput = {
  autoSnapshotPolicy?: InputMaybe<AutoSnapshotPolicyInput>;
  kubeconfig: KubeconfigInput;
  /** DNS-1123 label, unique in the project. */
  name: Scalars['String']['input'];
  projectId: Scalars['ID']['input'];
};

export type RemoveVirtualClusterPayload = {
  __typename?: 'RemoveVirtualClusterPayload';
  removedVirtualClusterId: Scalars['ID']['output'];
};

/** One archive of one virtual cluster. Only platform admins and admins of its project may read it. */
export type Snapshot = {
  __typename?: 'Snapshot';
  /** Every transition of the snapshot and its volumes, oldest first. */
  events: Array<SnapshotEvent>;
  finishedAt: Maybe<Scalars['DateTime']['output']>;
  id: Scalars['ID']['output'];
  /** Where the archive is stored. */
  location: Maybe<Scalars['String']['output']>;
  /** Why it failed, or what part of it failed. */
  message: Maybe<Scalars['String']['output']>;
  /** `<virtual-cluster-name>-<UTC timestamp>.tar.gz` */
  name: Scalars['String']['output'];
  objectCount: Maybe<Scalars['Int']['output']>;
  scheduledAt: Scalars['DateTime']['output'];
  sha256: Maybe<Scalars['String']['output']>;
  sizeBytes: Maybe<Scalars['Float']['output']>;
  startedAt: Maybe<Scalars['DateTime']['output']>;
  status: SnapshotStatus;
  trigger: SnapshotTrigger;
  virtualCluster: VirtualCluster;
  volumeSnapshots: Array<VolumeSnapshot>;
  volumeSnapshotsEnabled: Scalars['Boolean']['output'];
};

export type SnapshotConnection = {
  __typename?: 'SnapshotConnection';
  edges: Array<SnapshotEdge>;
  pageInfo: PageInfo;
};

export type SnapshotEdge = {
  __typename?: 'SnapshotEdge';
  cursor: Scalars['String']['output'];
  node: Snapshot;
};

/** One status (snapshot) or phase (volume snapshot) transition. */
export type SnapshotEvent = {
  __typename?: 'SnapshotEvent';
  at: Scalars['DateTime']['output'];
  /** Global and strictly increasing: resume a subscription after it. */
  cursor: Scalars['ID']['output'];
  /** null when the snapshot was created. */
  from: Maybe<Scalars['String']['output']>;
  message: Maybe<Scalars['String']['output']>;
  snapshotId: Scalars['ID']['output'];
  subject: SnapshotEventSubject;
  to: Scalars['String']['output'];
  virtualClusterId: Scalars['ID']['output'];
  volumeSnapshotId: Maybe<Scalars['ID']['output']>;
};

export type SnapshotEventSubject =
  | 'SNAPSHOT'
  | 'VOLUME_SNAPSHOT';

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

export type UpdateVirtualClusterInput = {
  kubeconfig?: InputMaybe<KubeconfigInput>;
  name?: InputMaybe<Scalars['String']['input']>;
};

/** A virtual Kubernetes cluster vsnap snapshots. Visible to its project and to platform admins. */
export type VirtualCluster = {
  __typename?: 'VirtualCluster';
  autoSnapshotPolicy: AutoSnapshotPolicy;
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  kubeconfigSecretRef: Maybe<Scalars['String']['output']>;
  kubeconfigSource: KubeconfigSource;
  name: Scalars['String']['output'];
  project: Project;
  projectId: Scalars['ID']['output'];
  /** Newest first. Only platform admins and admins of the project may read it. */
  snapshots: Maybe<SnapshotConnection>;
  updatedAt: Scalars['DateTime']['output'];
};


/** A virtual Kubernetes cluster vsnap snapshots. Visible to its project and to platform admins. */
export type VirtualClusterSnapshotsArgs = {
  after: InputMaybe<Scalars['String']['input']>;
  before: InputMaybe<Scalars['String']['input']>;
  first: InputMaybe<Scalars['Int']['input']>;
  last: InputMaybe<Scalars['Int']['input']>;
  status: InputMaybe<SnapshotStatus>;
};

export type VirtualClusterConnection = {
  __typename?: 'VirtualClusterConnection';
  edges: Array<VirtualClusterEdge>;
  pageInfo: PageInfo;
};

export type VirtualClusterEdge = {
  __typename?: 'VirtualClusterEdge';
  cursor: Scalars['String']['output'];
  node: VirtualCluster;
};

/** The CSI snapshot of one PersistentVolumeClaim, taken as part of a snapshot. */
export type VolumeSnapshot = {
  __typename?: 'VolumeSnapshot';
  createdAt: Scalars['DateTime']['output'];
  driver: Maybe<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  message: Maybe<Scalars['String']['output']>;
  namespace: Scalars['String']['output'];
  phase: VolumeSnapshotPhase;
  pvcName: Scalars['String']['output'];
  restoreSizeBytes: Maybe<Scalars['Float']['output']>;
  snapshotHandle: Maybe<Scalars['String']['output']>;
  updatedAt: Scalars['DateTime']['output'];
  volumeSnapshotClass: Maybe<Scalars['String']['output']>;
};

export type VolumeSnapshotPhase =
  | 'COMPLETED'
  | 'COMPLETED_CLEANING_UP'
  | 'FAILED'
  | 'FAILED_CLEANING_UP'
  | 'IN_PROGRESS'
  | 'NOT_STARTED'
  | 'SKIPPED';

export type AutoSnapshotPolicyInput = {
  enabled: boolean;
  retentionMaxAgeSeconds?: number | null | undefined;
  retentionMaxSnapshots?: number | null | undefined;
  /** Five-field cron expression; required when enabled. */
  schedule?: string | null | undefined;
  /** `s3://bucket/prefix` or an absolute directory. */
  storageTarget?: string | null | undefined;
  /** IANA time zone; defaults to UTC. */
  timeZone?: string | null | undefined;
  volumeSnapshotsEnabled?: boolean | null | undefined;
};

/** Exactly one of the two. */
export type KubeconfigInput = {
  /** The kubeconfig itself (development only). */
  inline?: string | null | undefined;
  /** A mounted secret holding it: `<secret-name>/<key>`. */
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

export type SnapshotEventSubject =
  | 'SNAPSHOT'
  | 'VOLUME_SNAPSHOT';

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

export type VirtualClustersQueryVariables = Exact<{
  projectId?: string | number | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type VirtualClustersQuery = { virtualClusters: { edges: Array<{ cursor: string, node: { id: string, name: string, projectId: string } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type VirtualClusterQueryVariables = Exact<{
  id: string | number;
}>;


export type VirtualClusterQuery = { virtualCluster: { id: string, name: string, projectId: string, kubeconfigSource: KubeconfigSource, kubeconfigSecretRef: string | null, project: { id: string }, autoSnapshotPolicy: { enabled: boolean, schedule: string | null, timeZone: string, retentionMaxSnapshots: number | null, retentionMaxAgeSeconds: number | null, storageTarget: string | null, volumeSnapshotsEnabled: boolean } } | null };

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


export type SetAutoSnapshotPolicyMutation = { setAutoSnapshotPolicy: { id: string, autoSnapshotPolicy: { enabled: boolean, schedule: string | null, timeZone: string, retentionMaxSnapshots: number | null, retentionMaxAgeSeconds: number | null, storageTarget: string | null, volumeSnapshotsEnabled: boolean } } };

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


export type SnapshotQuery = { snapshot: { id: string, name: string, status: SnapshotStatus, trigger: SnapshotTrigger, scheduledAt: string, virtualCluster: { id: string, name: string }, volumeSnapshots: Array<{ id: string, namespace: string, pvcName: string, phase: VolumeSnapshotPhase, message: string | null }>, events: Array<{ cursor: string, subject: SnapshotEventSubject, from: string | null, to: string, message: string | null, at: string }> } | null };

export type CreateSnapshotMutationVariables = Exact<{
  virtualClusterId: string | number;
}>;


export type CreateSnapshotMutation = { createSnapshot: { id: string, name: string, status: SnapshotStatus, trigger: SnapshotTrigger, scheduledAt: string } };

export type DeleteSnapshotMutationVariables = Exact<{
  id: string | number;
}>;


export type DeleteSnapshotMutation = { deleteSnapshot: { deletedSnapshotId: string } };


export const VirtualClustersDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"VirtualClusters"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"virtualClusters"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"projectId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"projectId"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<VirtualClustersQuery, VirtualClustersQueryVariables>;
export const VirtualClusterDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"VirtualCluster"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"virtualCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"project"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}}]}},{"kind":"Field","name":{"kind":"Name","value":"kubeconfigSource"}},{"kind":"Field","name":{"kind":"Name","value":"kubeconfigSecretRef"}},{"kind":"Field","name":{"kind":"Name","value":"autoSnapshotPolicy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"enabled"}},{"kind":"Field","name":{"kind":"Name","value":"schedule"}},{"kind":"Field","name":{"kind":"Name","value":"timeZone"}},{"kind":"Field","name":{"kind":"Name","value":"retentionMaxSnapshots"}},{"kind":"Field","name":{"kind":"Name","value":"retentionMaxAgeSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"storageTarget"}},{"kind":"Field","name":{"kind":"Name","value":"volumeSnapshotsEnabled"}}]}}]}}]}}]} as unknown as DocumentNode<VirtualClusterQuery, VirtualClusterQueryVariables>;
export const RegisterVirtualClusterDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RegisterVirtualCluster"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RegisterVirtualClusterInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"registerVirtualCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"kubeconfigSource"}},{"kind":"Field","name":{"kind":"Name","value":"autoSnapshotPolicy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"enabled"}},{"kind":"Field","name":{"kind":"Name","value":"schedule"}},{"kind":"Field","name":{"kind":"Name","value":"timeZone"}}]}}]}}]}}]} as unknown as DocumentNode<RegisterVirtualClusterMutation, RegisterVirtualClusterMutationVariables>;
export const UpdateVirtualClusterDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"UpdateVirtualCluster"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateVirtualClusterInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateVirtualCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}},{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"kubeconfigSource"}},{"kind":"Field","name":{"kind":"Name","value":"kubeconfigSecretRef"}}]}}]}}]} as unknown as DocumentNode<UpdateVirtualClusterMutation, UpdateVirtualClusterMutationVariables>;
export const RemoveVirtualClusterDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RemoveVirtualCluster"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"removeVirtualCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"removedVirtualClusterId"}}]}}]}}]} as unknown as DocumentNode<RemoveVirtualClusterMutation, RemoveVirtualClusterMutationVariables>;
export const SetAutoSnapshotPolicyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetAutoSnapshotPolicy"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"virtualClusterId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"policy"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"AutoSnapshotPolicyInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setAutoSnapshotPolicy"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"virtualClusterId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"virtualClusterId"}}},{"kind":"Argument","name":{"kind":"Name","value":"policy"},"value":{"kind":"Variable","name":{"kind":"Name","value":"policy"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"autoSnapshotPolicy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"enabled"}},{"kind":"Field","name":{"kind":"Name","value":"schedule"}},{"kind":"Field","name":{"kind":"Name","value":"timeZone"}},{"kind":"Field","name":{"kind":"Name","value":"retentionMaxSnapshots"}},{"kind":"Field","name":{"kind":"Name","value":"retentionMaxAgeSeconds"}},{"kind":"Field","name":{"kind":"Name","value":"storageTarget"}},{"kind":"Field","name":{"kind":"Name","value":"volumeSnapshotsEnabled"}}]}}]}}]}}]} as unknown as DocumentNode<SetAutoSnapshotPolicyMutation, SetAutoSnapshotPolicyMutationVariables>;
export const ClusterSnapshotsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ClusterSnapshots"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"status"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"SnapshotStatus"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"last"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"before"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"virtualCluster"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"snapshots"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"status"},"value":{"kind":"Variable","name":{"kind":"Name","value":"status"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"last"},"value":{"kind":"Variable","name":{"kind":"Name","value":"last"}}},{"kind":"Argument","name":{"kind":"Name","value":"before"},"value":{"kind":"Variable","name":{"kind":"Name","value":"before"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"scheduledAt"}},{"kind":"Field","name":{"kind":"Name","value":"volumeSnapshots"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"phase"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"hasPreviousPage"}},{"kind":"Field","name":{"kind":"Name","value":"startCursor"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]}}]} as unknown as DocumentNode<ClusterSnapshotsQuery, ClusterSnapshotsQueryVariables>;
export const SnapshotDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Snapshot"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"snapshot"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"trigger"}},{"kind":"Field","name":{"kind":"Name","value":"scheduledAt"}},{"kind":"Field","name":{"kind":"Name","value":"virtualCluster"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}},{"kind":"Field","name":{"kind":"Name","value":"volumeSnapshots"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"namespace"}},{"kind":"Field","name":{"kind":"Name","value":"pvcName"}},{"kind":"Field","name":{"kind":"Name","value":"phase"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"Field","name":{"kind":"Name","value":"events"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"subject"}},{"kind":"Field","name":{"kind":"Name","value":"from"}},{"kind":"Field","name":{"kind":"Name","value":"to"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"at"}}]}}]}}]}}]} as unknown as DocumentNode<SnapshotQuery, SnapshotQueryVariables>;
export const CreateSnapshotDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateSnapshot"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"virtualClusterId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createSnapshot"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"virtualClusterId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"virtualClusterId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"trigger"}},{"kind":"Field","name":{"kind":"Name","value":"scheduledAt"}}]}}]}}]} as unknown as DocumentNode<CreateSnapshotMutation, CreateSnapshotMutationVariables>;
export const DeleteSnapshotDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DeleteSnapshot"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deleteSnapshot"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deletedSnapshotId"}}]}}]}}]} as unknown as DocumentNode<DeleteSnapshotMutation, DeleteSnapshotMutationVariables>;