/**
 * `<virtual-cluster-name>-<UTC timestamp>.tar.gz`, the seed's snapshot name.
 * The timestamp (`2026-11-24T19-41-05.123Z`) sorts as text in time order and
 * carries milliseconds so two snapshots of a cluster never share a name.
 */
export function snapshotObjectName(clusterName: string, at: Date): string {
  const stamp = at.toISOString().replaceAll(':', '-');
  return `${clusterName}-${stamp}.tar.gz`;
}

const SNAPSHOT_OBJECT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}\.\d{3}Z\.tar\.gz$/;

/** Whether `name` is one snapshotObjectName makes: what vsnap may clean up in a store. */
export function isSnapshotObjectName(name: string): boolean {
  return SNAPSHOT_OBJECT_NAME.test(name);
}
