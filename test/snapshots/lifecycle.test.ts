import { describe, expect, it } from 'vitest';
import {
  assertSnapshotMove,
  assertVolumeMove,
  canMoveSnapshot,
  canMoveVolume,
  deriveFinalStatus,
  IllegalTransitionError,
  INITIAL_SNAPSHOT_STATUS,
  INITIAL_VOLUME_PHASE,
  isTerminalVolumePhase,
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

describe('births and ends', () => {
  it('a snapshot is born SCHEDULED, a volume snapshot NOT_STARTED', () => {
    expect(INITIAL_SNAPSHOT_STATUS).toBe('SCHEDULED');
    expect(INITIAL_VOLUME_PHASE).toBe('NOT_STARTED');
  });

  const TERMINAL = new Set<VolumeSnapshotPhase>(['SKIPPED', 'COMPLETED', 'FAILED']);
  it.each(VOLUME_SNAPSHOT_PHASES)('volume phase %s is terminal iff it has no move', (phase) => {
    expect(isTerminalVolumePhase(phase)).toBe(TERMINAL.has(phase));
  });

  it('an illegal move names the subject, both ends and its class', () => {
    const snapshot = (() => {
      try {
        assertSnapshotMove('FAILED', 'COMPLETED');
      } catch (error) {
        return error;
      }
    })();
    expect(snapshot).toBeInstanceOf(IllegalTransitionError);
    expect(snapshot).toMatchObject({ name: 'IllegalTransitionError', message: 'illegal snapshot transition FAILED -> COMPLETED', subject: 'snapshot', from: 'FAILED', to: 'COMPLETED' });
    expect(() => assertVolumeMove('SKIPPED', 'IN_PROGRESS')).toThrow(
      expect.objectContaining({ name: 'IllegalTransitionError', message: 'illegal volume snapshot transition SKIPPED -> IN_PROGRESS', subject: 'volume snapshot' }),
    );
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
    // The PVCs could not be listed: no volume row says so, the flag does.
    { archiveStored: true, volumePhases: [], volumePlanningFailed: true, expected: 'PARTIALLY_FAILED' },
    { archiveStored: true, volumePhases: ['COMPLETED'], volumePlanningFailed: false, expected: 'COMPLETED' },
    { archiveStored: false, volumePhases: [], volumePlanningFailed: true, expected: 'FAILED' },
  ] as const)('archive stored $archiveStored, volumes $volumePhases, planning failed $volumePlanningFailed -> $expected', ({ expected, ...input }) => {
    expect(deriveFinalStatus(input)).toBe(expected);
  });

  it.each(['NOT_STARTED', 'IN_PROGRESS', 'COMPLETED_CLEANING_UP', 'FAILED_CLEANING_UP'] as const)(
    'refuses while a volume is %s',
    (phase) => {
      expect(() => deriveFinalStatus({ archiveStored: true, volumePhases: ['COMPLETED', phase] })).toThrow(
        new Error(`cannot finish a snapshot while a volume is ${phase}`),
      );
    },
  );
});
