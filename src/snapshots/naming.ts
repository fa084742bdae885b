/**
 * `<virtual-cluster-name>-<UTC timestamp>.tar.gz`, the seed's snapshot name.
 * The timestamp (`2026-11-24T19-41-05.123Z`) sorts as text in time order and
 * carries milliseconds so two snapshots of a cluster never share a name.
 */
export function snapshotObjectName(clusterName: string, at: Date): string {
  const stamp = at.toISOString().replaceAll(':', '-');
  return `${clusterName}-${stamp}.tar.gz`;
}
