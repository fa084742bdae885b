import { describe, expect, it } from 'vitest';
import { chooseSnapshotClass, type SnapshotClass } from '../../src/kube/volume-plan.ts';
import { parseQuantity } from '../../src/kube/quantity.ts';
import { runWithLimit, volumeSnapshotObjectName } from '../../src/kube/volume-snapshots.ts';

describe('parseQuantity', () => {
  it.each([
    ['1Gi', 1024 ** 3],
    ['1.5Gi', 1.5 * 1024 ** 3],
    ['500Mi', 500 * 1024 ** 2],
    ['10G', 10e9],
    ['0.1k', 100],
    ['1e3', 1000],
    ['2E3', 2000],
    ['1073741824', 1073741824],
    ['+5Ki', 5120],
    ['1500m', 2],
    ['.5Ki', 512],
  ])('%s is %d bytes', (quantity, bytes) => {
    expect(parseQuantity(quantity)).toBe(bytes);
  });

  it.each([undefined, null, '', 'abc', '-1Gi', '1.2.3', 'Gi', '1Xi'])('%s is no size', (quantity) => {
    expect(parseQuantity(quantity)).toBeUndefined();
  });
});

describe('chooseSnapshotClass', () => {
  const klass = (name: string, driver: string, isDefault = false): SnapshotClass => ({ name, driver, isDefault });

  it.each<[string, SnapshotClass[], ReturnType<typeof chooseSnapshotClass>]>([
    ['none', [klass('other', 'b.csi')], { skip: 'no VolumeSnapshotClass for driver a.csi' }],
    ['the only one, default or not', [klass('only', 'a.csi'), klass('other', 'b.csi', true)], { name: 'only' }],
    ['the default among several', [klass('x', 'a.csi'), klass('y', 'a.csi', true), klass('z', 'a.csi')], { name: 'y' }],
    [
      'none of several is default',
      [klass('y', 'a.csi'), klass('x', 'a.csi')],
      { skip: 'several VolumeSnapshotClasses for driver a.csi and none is the default: x, y' },
    ],
    [
      'several defaults',
      [klass('y', 'a.csi', true), klass('x', 'a.csi', true), klass('z', 'a.csi')],
      { skip: 'several default VolumeSnapshotClasses for driver a.csi: x, y' },
    ],
  ])('%s', (_case, classes, expected) => {
    expect(chooseSnapshotClass('a.csi', classes)).toEqual(expected);
  });
});

describe('volumeSnapshotObjectName', () => {
  const id = '3f2a9c1e-7b44-4d0e-9a55-0c1d2e3f4a5b';
  const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

  it('joins a short snapshot id and the PVC name', () => {
    expect(volumeSnapshotObjectName(id, 'data-postgres-0')).toBe('vsnap-3f2a9c1e-data-postgres-0');
  });

  it('stays a DNS-1123 label for long or dotted PVC names, distinct per PVC', () => {
    const long = `data-${'x'.repeat(80)}`;
    const names = [long, `${long}y`, 'my.claim', 'my-claim'].map((pvc) => volumeSnapshotObjectName(id, pvc));
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(dns1123Label);
    }
    expect(new Set(names).size).toBe(names.length);
  });

  it('refuses an id with nothing usable', () => {
    expect(() => volumeSnapshotObjectName('---', 'pvc')).toThrow(/no usable characters/);
  });
});

describe('runWithLimit', () => {
  it('keeps at most `limit` calls in flight and results in order', async () => {
    let running = 0;
    let peak = 0;
    const results = await runWithLimit([5, 1, 4, 2, 3, 1, 2], 3, async (ms, index) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, ms * 5));
      running--;
      return `${index}:${ms}`;
    });
    expect(peak).toBe(3);
    expect(results).toEqual(['0:5', '1:1', '2:4', '3:2', '4:3', '5:1', '6:2']);
  });

  it('rejects with the first failure and starts nothing after it', async () => {
    const started: number[] = [];
    const run = runWithLimit([0, 1, 2, 3, 4], 2, async (n) => {
      started.push(n);
      await Promise.resolve();
      if (n === 1) throw new Error('boom');
      return n;
    });
    await expect(run).rejects.toThrow('boom');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(started).toEqual(expect.arrayContaining([0, 1]));
    expect(started).not.toContain(3);
    expect(started).not.toContain(4);
  });

  it('handles no items and refuses a bad limit', async () => {
    await expect(runWithLimit([], 4, async () => 1)).resolves.toEqual([]);
    await expect(runWithLimit([1], 0, async () => 1)).rejects.toThrow(RangeError);
  });
});
