/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment PolicyFields on AutoSnapshotPolicy {\n    enabled\n    schedule\n    timeZone\n    storageLocation\n    volumeSnapshotsEnabled\n    retention {\n      keepLast\n      keepHourly\n      keepDaily\n      keepWeekly\n      keepMonthly\n      keepYearly\n      maxAgeSeconds\n      keepFailed {\n        last\n        maxAgeSeconds\n      }\n    }\n  }\n": typeof types.PolicyFieldsFragmentDoc,
    "\n  fragment SnapshotRowFields on Snapshot {\n    id\n    name\n    status\n    trigger\n    scheduledAt\n    startedAt\n    finishedAt\n    sizeBytes\n    objectCount\n    sha256\n    message\n    progress {\n      objectsWritten\n      bytesWritten\n      resourceTypesDone\n      resourceTypesTotal\n      volumesDone\n      volumesTotal\n    }\n  }\n": typeof types.SnapshotRowFieldsFragmentDoc,
    "\n  query ConsoleClusters($after: String) {\n    virtualClusters(first: 50, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          id\n          name\n          projectId\n          autoSnapshotPolicy {\n            ...PolicyFields\n          }\n          latest: snapshots(first: 1) {\n            edges {\n              node {\n                id\n                name\n                status\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": typeof types.ConsoleClustersDocument,
    "\n  subscription ConsoleClusterEvents($virtualClusterId: ID, $since: ID) {\n    snapshotEvents(virtualClusterId: $virtualClusterId, since: $since) {\n      cursor\n      kind\n      snapshotId\n      virtualClusterId\n      to\n      snapshot {\n        ...SnapshotRowFields\n      }\n    }\n  }\n": typeof types.ConsoleClusterEventsDocument,
    "\n  query ConsoleCluster($id: ID!, $first: Int!, $after: String) {\n    virtualCluster(id: $id) {\n      id\n      name\n      projectId\n      autoSnapshotPolicy {\n        ...PolicyFields\n      }\n      scheduled: snapshots(status: SCHEDULED, first: 1) {\n        edges {\n          node {\n            id\n            name\n          }\n        }\n      }\n      newest: snapshots(first: 1) {\n        edges {\n          node {\n            id\n            events {\n              cursor\n            }\n          }\n        }\n      }\n      snapshots(first: $first, after: $after) {\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        edges {\n          node {\n            ...SnapshotRowFields\n          }\n        }\n      }\n    }\n  }\n": typeof types.ConsoleClusterDocument,
    "\n  query ConsoleStorageLocations($projectId: ID) {\n    storageLocations(projectId: $projectId) {\n      name\n      default\n    }\n  }\n": typeof types.ConsoleStorageLocationsDocument,
    "\n  mutation ConsoleCreateSnapshot($virtualClusterId: ID!) {\n    createSnapshot(virtualClusterId: $virtualClusterId) {\n      ...SnapshotRowFields\n    }\n  }\n": typeof types.ConsoleCreateSnapshotDocument,
    "\n  mutation ConsoleDeleteSnapshot($id: ID!) {\n    deleteSnapshot(id: $id) {\n      deletedSnapshotId\n    }\n  }\n": typeof types.ConsoleDeleteSnapshotDocument,
    "\n  mutation ConsoleSetPolicy($virtualClusterId: ID!, $policy: AutoSnapshotPolicyInput!) {\n    setAutoSnapshotPolicy(virtualClusterId: $virtualClusterId, policy: $policy) {\n      id\n      autoSnapshotPolicy {\n        ...PolicyFields\n      }\n    }\n  }\n": typeof types.ConsoleSetPolicyDocument,
    "\n  fragment SnapshotDetailFields on Snapshot {\n    ...SnapshotRowFields\n    volumeSnapshotsEnabled\n    storageLocation\n    integrity\n    verifiedAt\n    virtualCluster {\n      id\n      name\n      projectId\n    }\n    skippedResources {\n      group\n      resource\n      reason\n    }\n    volumeSnapshots {\n      id\n      namespace\n      pvcName\n      phase\n      driver\n      volumeSnapshotClass\n      restoreSizeBytes\n      message\n    }\n    events {\n      cursor\n      kind\n      subject\n      volumeSnapshotId\n      from\n      to\n      at\n      message\n    }\n  }\n": typeof types.SnapshotDetailFieldsFragmentDoc,
    "\n  query ConsoleSnapshot($id: ID!) {\n    snapshot(id: $id) {\n      ...SnapshotDetailFields\n    }\n  }\n": typeof types.ConsoleSnapshotDocument,
    "\n  subscription ConsoleSnapshotUpdated($id: ID!) {\n    snapshotUpdated(id: $id) {\n      ...SnapshotDetailFields\n    }\n  }\n": typeof types.ConsoleSnapshotUpdatedDocument,
};
const documents: Documents = {
    "\n  fragment PolicyFields on AutoSnapshotPolicy {\n    enabled\n    schedule\n    timeZone\n    storageLocation\n    volumeSnapshotsEnabled\n    retention {\n      keepLast\n      keepHourly\n      keepDaily\n      keepWeekly\n      keepMonthly\n      keepYearly\n      maxAgeSeconds\n      keepFailed {\n        last\n        maxAgeSeconds\n      }\n    }\n  }\n": types.PolicyFieldsFragmentDoc,
    "\n  fragment SnapshotRowFields on Snapshot {\n    id\n    name\n    status\n    trigger\n    scheduledAt\n    startedAt\n    finishedAt\n    sizeBytes\n    objectCount\n    sha256\n    message\n    progress {\n      objectsWritten\n      bytesWritten\n      resourceTypesDone\n      resourceTypesTotal\n      volumesDone\n      volumesTotal\n    }\n  }\n": types.SnapshotRowFieldsFragmentDoc,
    "\n  query ConsoleClusters($after: String) {\n    virtualClusters(first: 50, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          id\n          name\n          projectId\n          autoSnapshotPolicy {\n            ...PolicyFields\n          }\n          latest: snapshots(first: 1) {\n            edges {\n              node {\n                id\n                name\n                status\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n": types.ConsoleClustersDocument,
    "\n  subscription ConsoleClusterEvents($virtualClusterId: ID, $since: ID) {\n    snapshotEvents(virtualClusterId: $virtualClusterId, since: $since) {\n      cursor\n      kind\n      snapshotId\n      virtualClusterId\n      to\n      snapshot {\n        ...SnapshotRowFields\n      }\n    }\n  }\n": types.ConsoleClusterEventsDocument,
    "\n  query ConsoleCluster($id: ID!, $first: Int!, $after: String) {\n    virtualCluster(id: $id) {\n      id\n      name\n      projectId\n      autoSnapshotPolicy {\n        ...PolicyFields\n      }\n      scheduled: snapshots(status: SCHEDULED, first: 1) {\n        edges {\n          node {\n            id\n            name\n          }\n        }\n      }\n      newest: snapshots(first: 1) {\n        edges {\n          node {\n            id\n            events {\n              cursor\n            }\n          }\n        }\n      }\n      snapshots(first: $first, after: $after) {\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        edges {\n          node {\n            ...SnapshotRowFields\n          }\n        }\n      }\n    }\n  }\n": types.ConsoleClusterDocument,
    "\n  query ConsoleStorageLocations($projectId: ID) {\n    storageLocations(projectId: $projectId) {\n      name\n      default\n    }\n  }\n": types.ConsoleStorageLocationsDocument,
    "\n  mutation ConsoleCreateSnapshot($virtualClusterId: ID!) {\n    createSnapshot(virtualClusterId: $virtualClusterId) {\n      ...SnapshotRowFields\n    }\n  }\n": types.ConsoleCreateSnapshotDocument,
    "\n  mutation ConsoleDeleteSnapshot($id: ID!) {\n    deleteSnapshot(id: $id) {\n      deletedSnapshotId\n    }\n  }\n": types.ConsoleDeleteSnapshotDocument,
    "\n  mutation ConsoleSetPolicy($virtualClusterId: ID!, $policy: AutoSnapshotPolicyInput!) {\n    setAutoSnapshotPolicy(virtualClusterId: $virtualClusterId, policy: $policy) {\n      id\n      autoSnapshotPolicy {\n        ...PolicyFields\n      }\n    }\n  }\n": types.ConsoleSetPolicyDocument,
    "\n  fragment SnapshotDetailFields on Snapshot {\n    ...SnapshotRowFields\n    volumeSnapshotsEnabled\n    storageLocation\n    integrity\n    verifiedAt\n    virtualCluster {\n      id\n      name\n      projectId\n    }\n    skippedResources {\n      group\n      resource\n      reason\n    }\n    volumeSnapshots {\n      id\n      namespace\n      pvcName\n      phase\n      driver\n      volumeSnapshotClass\n      restoreSizeBytes\n      message\n    }\n    events {\n      cursor\n      kind\n      subject\n      volumeSnapshotId\n      from\n      to\n      at\n      message\n    }\n  }\n": types.SnapshotDetailFieldsFragmentDoc,
    "\n  query ConsoleSnapshot($id: ID!) {\n    snapshot(id: $id) {\n      ...SnapshotDetailFields\n    }\n  }\n": types.ConsoleSnapshotDocument,
    "\n  subscription ConsoleSnapshotUpdated($id: ID!) {\n    snapshotUpdated(id: $id) {\n      ...SnapshotDetailFields\n    }\n  }\n": types.ConsoleSnapshotUpdatedDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment PolicyFields on AutoSnapshotPolicy {\n    enabled\n    schedule\n    timeZone\n    storageLocation\n    volumeSnapshotsEnabled\n    retention {\n      keepLast\n      keepHourly\n      keepDaily\n      keepWeekly\n      keepMonthly\n      keepYearly\n      maxAgeSeconds\n      keepFailed {\n        last\n        maxAgeSeconds\n      }\n    }\n  }\n"): (typeof documents)["\n  fragment PolicyFields on AutoSnapshotPolicy {\n    enabled\n    schedule\n    timeZone\n    storageLocation\n    volumeSnapshotsEnabled\n    retention {\n      keepLast\n      keepHourly\n      keepDaily\n      keepWeekly\n      keepMonthly\n      keepYearly\n      maxAgeSeconds\n      keepFailed {\n        last\n        maxAgeSeconds\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SnapshotRowFields on Snapshot {\n    id\n    name\n    status\n    trigger\n    scheduledAt\n    startedAt\n    finishedAt\n    sizeBytes\n    objectCount\n    sha256\n    message\n    progress {\n      objectsWritten\n      bytesWritten\n      resourceTypesDone\n      resourceTypesTotal\n      volumesDone\n      volumesTotal\n    }\n  }\n"): (typeof documents)["\n  fragment SnapshotRowFields on Snapshot {\n    id\n    name\n    status\n    trigger\n    scheduledAt\n    startedAt\n    finishedAt\n    sizeBytes\n    objectCount\n    sha256\n    message\n    progress {\n      objectsWritten\n      bytesWritten\n      resourceTypesDone\n      resourceTypesTotal\n      volumesDone\n      volumesTotal\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleClusters($after: String) {\n    virtualClusters(first: 50, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          id\n          name\n          projectId\n          autoSnapshotPolicy {\n            ...PolicyFields\n          }\n          latest: snapshots(first: 1) {\n            edges {\n              node {\n                id\n                name\n                status\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleClusters($after: String) {\n    virtualClusters(first: 50, after: $after) {\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n      edges {\n        node {\n          id\n          name\n          projectId\n          autoSnapshotPolicy {\n            ...PolicyFields\n          }\n          latest: snapshots(first: 1) {\n            edges {\n              node {\n                id\n                name\n                status\n              }\n            }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ConsoleClusterEvents($virtualClusterId: ID, $since: ID) {\n    snapshotEvents(virtualClusterId: $virtualClusterId, since: $since) {\n      cursor\n      kind\n      snapshotId\n      virtualClusterId\n      to\n      snapshot {\n        ...SnapshotRowFields\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription ConsoleClusterEvents($virtualClusterId: ID, $since: ID) {\n    snapshotEvents(virtualClusterId: $virtualClusterId, since: $since) {\n      cursor\n      kind\n      snapshotId\n      virtualClusterId\n      to\n      snapshot {\n        ...SnapshotRowFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleCluster($id: ID!, $first: Int!, $after: String) {\n    virtualCluster(id: $id) {\n      id\n      name\n      projectId\n      autoSnapshotPolicy {\n        ...PolicyFields\n      }\n      scheduled: snapshots(status: SCHEDULED, first: 1) {\n        edges {\n          node {\n            id\n            name\n          }\n        }\n      }\n      newest: snapshots(first: 1) {\n        edges {\n          node {\n            id\n            events {\n              cursor\n            }\n          }\n        }\n      }\n      snapshots(first: $first, after: $after) {\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        edges {\n          node {\n            ...SnapshotRowFields\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query ConsoleCluster($id: ID!, $first: Int!, $after: String) {\n    virtualCluster(id: $id) {\n      id\n      name\n      projectId\n      autoSnapshotPolicy {\n        ...PolicyFields\n      }\n      scheduled: snapshots(status: SCHEDULED, first: 1) {\n        edges {\n          node {\n            id\n            name\n          }\n        }\n      }\n      newest: snapshots(first: 1) {\n        edges {\n          node {\n            id\n            events {\n              cursor\n            }\n          }\n        }\n      }\n      snapshots(first: $first, after: $after) {\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n        edges {\n          node {\n            ...SnapshotRowFields\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleStorageLocations($projectId: ID) {\n    storageLocations(projectId: $projectId) {\n      name\n      default\n    }\n  }\n"): (typeof documents)["\n  query ConsoleStorageLocations($projectId: ID) {\n    storageLocations(projectId: $projectId) {\n      name\n      default\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleCreateSnapshot($virtualClusterId: ID!) {\n    createSnapshot(virtualClusterId: $virtualClusterId) {\n      ...SnapshotRowFields\n    }\n  }\n"): (typeof documents)["\n  mutation ConsoleCreateSnapshot($virtualClusterId: ID!) {\n    createSnapshot(virtualClusterId: $virtualClusterId) {\n      ...SnapshotRowFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleDeleteSnapshot($id: ID!) {\n    deleteSnapshot(id: $id) {\n      deletedSnapshotId\n    }\n  }\n"): (typeof documents)["\n  mutation ConsoleDeleteSnapshot($id: ID!) {\n    deleteSnapshot(id: $id) {\n      deletedSnapshotId\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ConsoleSetPolicy($virtualClusterId: ID!, $policy: AutoSnapshotPolicyInput!) {\n    setAutoSnapshotPolicy(virtualClusterId: $virtualClusterId, policy: $policy) {\n      id\n      autoSnapshotPolicy {\n        ...PolicyFields\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation ConsoleSetPolicy($virtualClusterId: ID!, $policy: AutoSnapshotPolicyInput!) {\n    setAutoSnapshotPolicy(virtualClusterId: $virtualClusterId, policy: $policy) {\n      id\n      autoSnapshotPolicy {\n        ...PolicyFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SnapshotDetailFields on Snapshot {\n    ...SnapshotRowFields\n    volumeSnapshotsEnabled\n    storageLocation\n    integrity\n    verifiedAt\n    virtualCluster {\n      id\n      name\n      projectId\n    }\n    skippedResources {\n      group\n      resource\n      reason\n    }\n    volumeSnapshots {\n      id\n      namespace\n      pvcName\n      phase\n      driver\n      volumeSnapshotClass\n      restoreSizeBytes\n      message\n    }\n    events {\n      cursor\n      kind\n      subject\n      volumeSnapshotId\n      from\n      to\n      at\n      message\n    }\n  }\n"): (typeof documents)["\n  fragment SnapshotDetailFields on Snapshot {\n    ...SnapshotRowFields\n    volumeSnapshotsEnabled\n    storageLocation\n    integrity\n    verifiedAt\n    virtualCluster {\n      id\n      name\n      projectId\n    }\n    skippedResources {\n      group\n      resource\n      reason\n    }\n    volumeSnapshots {\n      id\n      namespace\n      pvcName\n      phase\n      driver\n      volumeSnapshotClass\n      restoreSizeBytes\n      message\n    }\n    events {\n      cursor\n      kind\n      subject\n      volumeSnapshotId\n      from\n      to\n      at\n      message\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ConsoleSnapshot($id: ID!) {\n    snapshot(id: $id) {\n      ...SnapshotDetailFields\n    }\n  }\n"): (typeof documents)["\n  query ConsoleSnapshot($id: ID!) {\n    snapshot(id: $id) {\n      ...SnapshotDetailFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ConsoleSnapshotUpdated($id: ID!) {\n    snapshotUpdated(id: $id) {\n      ...SnapshotDetailFields\n    }\n  }\n"): (typeof documents)["\n  subscription ConsoleSnapshotUpdated($id: ID!) {\n    snapshotUpdated(id: $id) {\n      ...SnapshotDetailFields\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;