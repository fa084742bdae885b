import { describe, expect, it } from 'vitest';
import {
  assertSnapshotMove,
  assertVolumeMove,
  canMoveSnapshot,
  canMoveVolume,
  deriveFinalStatus,
  IllegalTransitionError,
  SNAPSHOT_STATUSES,
  VOLUME_SNAPSHOT_PHASES,
  type SnapshotStatus,
  type VolumeSnapshotPhase,
} from '../../src/snapshots/lifecycle.ts';

/** The expected table, written out in full: every move not listed is illegal. */
const SNAPSHOT_ALLOWED = new Set<string>([
  'SCHEDULED>IN_PROGRESS',
  'SCHEDULED>FAILED',
  'IN_PROGRESS>COMPLETED',
  'IN_PROGRESS>PARTIALLY_FAILED',
  'IN_PROGRESS>FAILED',
  'COMPLETED>NOT_FOUND',
  'PARTIALLY_FAILED>NOT_FOUND',
  'NOT_FOUND>COMPLETED',
  'NOT_FOUND>PARTIALLY_FAILED',
]);

const VOLUME_ALLOWED = new Set<string>([
  'NOT_STARTED>IN_PROGRESS',
  'NOT_STARTED>SKIPPED',
  'NOT_STARTED>FAILED',
  'IN_PROGRESS>COMPLETED_CLEANING_UP',
  'IN_PROGRESS>FAILED_CLEANING_UP',
  'IN_PROGRESS>FAILED',
  'COMPLETED_CLEANING_UP>COMPLETED',
  'COMPLETED_CLEANING_UP>FAILED',
  'FAILED_CLEANING_UP>FAILED',
]);

const pairs = <T extends string>(values: readonly T[]) => values.flatMap((from) => values.map((to) => [from, to] as const));

describe('snapshot status transitions', () => {
  it.each(pairs<SnapshotStatus>(SNAPSHOT_STATUSES))('%s -> %s', (from, to) => {
    const allowed = SNAPSHOT_ALLOWED.has(`${from}>${to}`);
    expect(canMoveSnapshot(from, to)).toBe(allowed);
    if (allowed) expect(() => assertSnapshotMove(from, to)).not.toThrow();
    else expect(() => assertSnapshotMove(from, to)).toThrow(IllegalTransitionError);
  });
});

describe('volume snapshot phase transitions', () => {
  it.each(pairs<VolumeSnapshotPhase>(VOLUME_SNAPSHOT_PHASES))('%s -> %s', (from, to) => {
    const allowed = VOLUME_ALLOWED.has(`${from}>${to}`);
    expect(canMoveVolume(from, to)).toBe(allowed);
    if (allowed) expect(() => assertVolumeMove(from, to)).not.toThrow();
    else expect(() => assertVolumeMove(from, to)).toThrow(IllegalTransitionError);
  });
});

describe('final status', () => {
  it.each([
    { archiveStored: true, volumePhases: [], expected: 'COMPLETED' },
    { archiveStored: true, volumePhases: ['COMPLETED', 'SKIPPED'], expected: 'COMPLETED' },
    { archiveStored: true, volumePhases: ['COMPLETED', 'FAILED'], expected: 'PARTIALLY_FAILED' },
    { archiveStored: true, volumePhases: ['FAILED'], expected: 'PARTIALLY_FAILED' },
    { archiveStored: false, volumePhases: [], expected: 'FAILED' },
    { archiveStored: false, volumePhases: ['COMPLETED'], expected: 'FAILED' },
  ] as const)('archive stored $archiveStored, volumes $volumePhases -> $expected', ({ expected, ...input }) => {
    expect(deriveFinalStatus(input)).toBe(expected);
  });

  it.each(['NOT_STARTED', 'IN_PROGRESS', 'COMPLETED_CLEANING_UP', 'FAILED_CLEANING_UP'] as const)(
    'refuses while a volume is %s',
    (phase) => {
      expect(() => deriveFinalStatus({ archiveStored: true, volumePhases: ['COMPLETED', phase] })).toThrow(phase);
    },
  );
});
