/**
 * The snapshots this engine is taking right now. Staleness of a heartbeat is
 * how other processes judge a worker lost; this process knows better about its
 * own snapshots (a database outage stops its heartbeat, not its work), so its
 * sweep and its claims leave these alone whatever their heartbeat says.
 */
export class RunningSnapshots {
  private readonly ids = new Set<string>();

  add(snapshotId: string): void {
    this.ids.add(snapshotId);
  }

  delete(snapshotId: string): void {
    this.ids.delete(snapshotId);
  }

  has(snapshotId: string): boolean {
    return this.ids.has(snapshotId);
  }

  get size(): number {
    return this.ids.size;
  }
}
