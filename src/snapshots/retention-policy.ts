/**
 * Which snapshots a retention policy keeps, which it deletes, and why: one
 * pure function, so the retention job, `retentionPreview` and the tests all
 * read the same answer.
 *
 * - Only good snapshots (COMPLETED, PARTIALLY_FAILED) count toward the keep rules;
 *   SCHEDULED and IN_PROGRESS ones are never touched.
 * - The newest good snapshot is never deleted, by any rule, age included.
 * - Keep rules (restic's `forget`): `keepLast` keeps the N newest good snapshots;
 *   `keepHourly` … `keepYearly` keep, for each of the N most recent hours / days /
 *   ISO weeks / months / years (local time in the policy's time zone) that hold a
 *   good snapshot, the newest good snapshot of that period. A snapshot any rule
 *   keeps is kept. No keep rule set keeps every good snapshot.
 * - `maxAgeSeconds` caps them: a good snapshot scheduled more than that long ago is
 *   deleted whatever keeps it (exactly that old is still kept), the newest good one
 *   excepted. With only `keepLast` and `maxAgeSeconds` this is the old rule "kept iff
 *   among the newest N and within the age".
 * - FAILED rows: kept while among the `keepFailed.last` newest FAILED rows and
 *   scheduled at most `keepFailed.maxAgeSeconds` ago; one whose upload is still to
 *   be aborted is kept until the reconciler has done so.
 * - NOT_FOUND rows (the archive was stored, its object is gone, and it comes back to
 *   its status if the object reappears): kept for `keepFailed.maxAgeSeconds` after
 *   the object went missing, whatever their number. A count would delete them all at
 *   once in the very case they matter: a bucket emptied or a location repointed.
 * - Equal times are ordered by id: of two snapshots scheduled at the same instant,
 *   the one with the greater id is the newer (as `VirtualCluster.snapshots` lists them).
 */
import type { SnapshotStatus } from './lifecycle.ts';
import { periodKey, type RetentionPeriod } from './retention-calendar.ts';

export const GFS_RULES = ['keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const;
export type KeepRule = (typeof GFS_RULES)[number];

/** Rows without a usable archive: how long they stay. */
export interface KeepFailed {
  last: number;
  maxAgeSeconds: number;
}

export const DEFAULT_KEEP_FAILED: KeepFailed = { last: 10, maxAgeSeconds: 7 * 86_400 };

export type RetentionRules = { [rule in KeepRule]?: number | null } & {
  maxAgeSeconds?: number | null;
  keepFailed?: KeepFailed;
};

export interface RetentionPolicy extends RetentionRules {
  /** IANA time zone the calendar periods are read in. */
  timeZone: string;
}

export interface RetentionCandidate {
  id: string;
  status: SnapshotStatus;
  scheduledAt: Date;
  /** NOT_FOUND: when its object was found missing; scheduledAt when unknown. */
  missingSince?: Date | null;
  /** An upload still to be aborted (FAILED after a lost worker or a failed abort). */
  uploadId?: string | null;
}

export interface RetentionDecision<T extends RetentionCandidate> {
  snapshot: T;
  keep: boolean;
  /** The rules that keep it, or why nothing does. */
  reason: string;
}

const PERIOD_OF: Record<Exclude<KeepRule, 'keepLast'>, RetentionPeriod> = {
  keepHourly: 'hour',
  keepDaily: 'day',
  keepWeekly: 'week',
  keepMonthly: 'month',
  keepYearly: 'year',
};

const GOOD: ReadonlySet<SnapshotStatus> = new Set(['COMPLETED', 'PARTIALLY_FAILED']);
export const isGoodSnapshot = (status: SnapshotStatus) => GOOD.has(status);

/** Newest first: later scheduledAt, then greater id. */
export function newestFirst(a: RetentionCandidate, b: RetentionCandidate): number {
  return b.scheduledAt.getTime() - a.scheduledAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** Every snapshot with its decision, newest first. */
export function planRetention<T extends RetentionCandidate>(snapshots: readonly T[], policy: RetentionPolicy, now: Date): RetentionDecision<T>[] {
  const ordered = [...snapshots].sort(newestFirst);
  const good = ordered.filter((snapshot) => isGoodSnapshot(snapshot.status));
  const keptBy = keepRuleReasons(good, policy);
  const failedRank = new Map(ordered.filter((snapshot) => snapshot.status === 'FAILED').map((snapshot, rank) => [snapshot, rank]));
  const keepFailed = policy.keepFailed ?? DEFAULT_KEEP_FAILED;
  const ageOf = (at: Date) => (now.getTime() - at.getTime()) / 1000;

  return ordered.map((snapshot): RetentionDecision<T> => {
    const decide = (keep: boolean, reason: string) => ({ snapshot, keep, reason });
    switch (snapshot.status) {
      case 'SCHEDULED':
        return decide(true, 'waiting to be taken: never touched by retention');
      case 'IN_PROGRESS':
        return decide(true, 'being taken: never touched by retention');
      case 'COMPLETED':
      case 'PARTIALLY_FAILED':
        return decideGood(snapshot, snapshot === good[0], keptBy, policy, ageOf(snapshot.scheduledAt), decide);
      case 'FAILED': {
        if (snapshot.uploadId) return decide(true, 'FAILED with an upload still to be aborted: kept until the reconciler has aborted it');
        if (ageOf(snapshot.scheduledAt) > keepFailed.maxAgeSeconds) return decide(false, `FAILED, older than keepFailed.maxAgeSeconds (${keepFailed.maxAgeSeconds})`);
        if (failedRank.get(snapshot)! >= keepFailed.last) return decide(false, `FAILED, not among the ${keepFailed.last} newest failed snapshots (keepFailed.last)`);
        return decide(true, `FAILED, one of the ${keepFailed.last} newest failed snapshots within keepFailed.maxAgeSeconds (${keepFailed.maxAgeSeconds})`);
      }
      case 'NOT_FOUND': {
        const since = snapshot.missingSince ?? snapshot.scheduledAt;
        const missing = `its object has been missing since ${since.toISOString()}`;
        if (ageOf(since) > keepFailed.maxAgeSeconds) return decide(false, `NOT_FOUND: ${missing}, longer than keepFailed.maxAgeSeconds (${keepFailed.maxAgeSeconds})`);
        return decide(true, `NOT_FOUND: ${missing}; kept for keepFailed.maxAgeSeconds (${keepFailed.maxAgeSeconds}) in case it reappears`);
      }
    }
  });
}

function decideGood<T extends RetentionCandidate>(
  snapshot: T,
  isNewestGood: boolean,
  keptBy: Map<RetentionCandidate, string[]>,
  policy: RetentionPolicy,
  ageSeconds: number,
  decide: (keep: boolean, reason: string) => RetentionDecision<T>,
): RetentionDecision<T> {
  const tooOld = policy.maxAgeSeconds != null && ageSeconds > policy.maxAgeSeconds;
  const rules = keptBy.get(snapshot) ?? [];
  if (isNewestGood) {
    const also = tooOld ? `, although older than maxAgeSeconds (${policy.maxAgeSeconds})` : rules.length ? `; ${rules.join('; ')}` : '';
    return decide(true, `the newest good snapshot: never deleted${also}`);
  }
  if (tooOld) return decide(false, `older than maxAgeSeconds (${policy.maxAgeSeconds})`);
  const setRules = GFS_RULES.filter((rule) => policy[rule] != null);
  if (!setRules.length) return decide(true, 'no keep rule is set: every good snapshot is kept');
  if (rules.length) return decide(true, rules.join('; '));
  return decide(false, `kept by no rule (${setRules.map((rule) => `${rule} ${policy[rule]}`).join(', ')})`);
}

/** For each good snapshot some keep rule keeps, the words of every rule that keeps it. */
function keepRuleReasons(good: readonly RetentionCandidate[], policy: RetentionPolicy): Map<RetentionCandidate, string[]> {
  const reasons = new Map<RetentionCandidate, string[]>();
  const add = (snapshot: RetentionCandidate, reason: string) => reasons.set(snapshot, [...(reasons.get(snapshot) ?? []), reason]);
  const last = policy.keepLast ?? 0;
  good.slice(0, last).forEach((snapshot, index) => add(snapshot, `keepLast: ${index + 1} of the ${last} newest`));
  for (const [rule, period] of Object.entries(PERIOD_OF) as [Exclude<KeepRule, 'keepLast'>, RetentionPeriod][]) {
    const count = policy[rule] ?? 0;
    let kept = 0;
    let lastPeriod: string | undefined;
    // Newest first, so the first snapshot met in a period is its newest.
    for (const snapshot of good) {
      if (kept >= count) break;
      const key = periodKey(snapshot.scheduledAt, period, policy.timeZone);
      if (key === lastPeriod) continue;
      lastPeriod = key;
      kept += 1;
      add(snapshot, `${rule}: the newest of ${period} ${key} (${kept} of ${count})`);
    }
  }
  return reasons;
}
