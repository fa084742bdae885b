import { describe, expect, it } from 'vitest';
import { snapshotObjectName } from '../../src/snapshots/naming.ts';

describe('snapshotObjectName', () => {
  it('is <cluster>-<UTC timestamp>.tar.gz', () => {
    expect(snapshotObjectName('prod', new Date('2026-11-24T19:41:05.123Z'))).toBe('prod-2026-11-24T19-41-05.123Z.tar.gz');
  });

  it('sorts as text in time order, to the millisecond', () => {
    const times = ['2026-01-02T00:00:00.000Z', '2025-12-31T23:59:59.999Z', '2026-01-02T00:00:00.001Z', '2026-10-01T09:00:00.000Z'];
    const names = times.map((t) => snapshotObjectName('c', new Date(t)));
    const byTime = [...times].sort().map((t) => snapshotObjectName('c', new Date(t)));
    expect([...names].sort()).toEqual(byTime);
  });
});
