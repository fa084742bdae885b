import type { SnapshotStatus, VolumeSnapshotPhase } from '../gql/graphql.ts';
import { PHASE_LABELS, STATUS_LABELS } from '../format.ts';

/** A status as a word (colour only repeats it); the class gives the colour and the symbol. */
export function StatusBadge({ status }: { status: SnapshotStatus }) {
  return (
    <span class={`badge status-${status.toLowerCase().replaceAll('_', '-')}`} data-status={status}>
      {STATUS_LABELS[status]}
    </span>
  );
}

export function PhaseBadge({ phase }: { phase: VolumeSnapshotPhase }) {
  return (
    <span class={`badge phase-${phase.toLowerCase().replaceAll('_', '-')}`} data-phase={phase}>
      {PHASE_LABELS[phase]}
    </span>
  );
}
