/** Every operation the console sends, typed by codegen's client preset (`npm run codegen`). */
import { graphql } from './gql/index.ts';

export const PolicyFields = graphql(`
  fragment PolicyFields on AutoSnapshotPolicy {
    enabled
    schedule
    timeZone
    storageLocation
    volumeSnapshotsEnabled
    retention {
      keepLast
      keepHourly
      keepDaily
      keepWeekly
      keepMonthly
      keepYearly
      maxAgeSeconds
      keepFailed {
        last
        maxAgeSeconds
      }
    }
  }
`);

export const SnapshotRowFields = graphql(`
  fragment SnapshotRowFields on Snapshot {
    id
    name
    status
    trigger
    scheduledAt
    startedAt
    finishedAt
    sizeBytes
    objectCount
    sha256
    message
    progress {
      objectsWritten
      bytesWritten
      resourceTypesDone
      resourceTypesTotal
      volumesDone
      volumesTotal
    }
  }
`);

export const ClustersQuery = graphql(`
  query ConsoleClusters($after: String) {
    virtualClusters(first: 50, after: $after) {
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          name
          projectId
          autoSnapshotPolicy {
            ...PolicyFields
          }
          latest: snapshots(first: 1) {
            edges {
              node {
                id
                name
                status
              }
            }
          }
        }
      }
    }
  }
`);

export const ClusterEventsSubscription = graphql(`
  subscription ConsoleClusterEvents($virtualClusterId: ID, $since: ID) {
    snapshotEvents(virtualClusterId: $virtualClusterId, since: $since) {
      cursor
      kind
      snapshotId
      virtualClusterId
      to
      snapshot {
        ...SnapshotRowFields
      }
    }
  }
`);

export const ClusterQuery = graphql(`
  query ConsoleCluster($id: ID!, $first: Int!, $after: String) {
    virtualCluster(id: $id) {
      id
      name
      projectId
      autoSnapshotPolicy {
        ...PolicyFields
      }
      scheduled: snapshots(status: SCHEDULED, first: 1) {
        edges {
          node {
            id
            name
          }
        }
      }
      newest: snapshots(first: 1) {
        edges {
          node {
            id
            events {
              cursor
            }
          }
        }
      }
      snapshots(first: $first, after: $after) {
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            ...SnapshotRowFields
          }
        }
      }
    }
  }
`);

export const StorageLocationsQuery = graphql(`
  query ConsoleStorageLocations($projectId: ID) {
    storageLocations(projectId: $projectId) {
      name
      default
    }
  }
`);

export const CreateSnapshotMutation = graphql(`
  mutation ConsoleCreateSnapshot($virtualClusterId: ID!) {
    createSnapshot(virtualClusterId: $virtualClusterId) {
      ...SnapshotRowFields
    }
  }
`);

export const DeleteSnapshotMutation = graphql(`
  mutation ConsoleDeleteSnapshot($id: ID!) {
    deleteSnapshot(id: $id) {
      deletedSnapshotId
    }
  }
`);

export const SetPolicyMutation = graphql(`
  mutation ConsoleSetPolicy($virtualClusterId: ID!, $policy: AutoSnapshotPolicyInput!) {
    setAutoSnapshotPolicy(virtualClusterId: $virtualClusterId, policy: $policy) {
      id
      autoSnapshotPolicy {
        ...PolicyFields
      }
    }
  }
`);

export const SnapshotDetailFields = graphql(`
  fragment SnapshotDetailFields on Snapshot {
    ...SnapshotRowFields
    volumeSnapshotsEnabled
    storageLocation
    integrity
    verifiedAt
    virtualCluster {
      id
      name
      projectId
    }
    skippedResources {
      group
      resource
      reason
    }
    volumeSnapshots {
      id
      namespace
      pvcName
      phase
      driver
      volumeSnapshotClass
      restoreSizeBytes
      message
    }
    events {
      cursor
      kind
      subject
      volumeSnapshotId
      from
      to
      at
      message
    }
  }
`);

export const SnapshotQuery = graphql(`
  query ConsoleSnapshot($id: ID!) {
    snapshot(id: $id) {
      ...SnapshotDetailFields
    }
  }
`);

export const SnapshotUpdatedSubscription = graphql(`
  subscription ConsoleSnapshotUpdated($id: ID!) {
    snapshotUpdated(id: $id) {
      ...SnapshotDetailFields
    }
  }
`);
