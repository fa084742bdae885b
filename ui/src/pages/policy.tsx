/** A cluster's auto-snapshot policy: its summary, and the form admins change it with. */
import { useMutation, useQuery } from '@urql/preact';
import { useEffect, useState } from 'preact/hooks';
import { errorCode } from '../client.ts';
import { formatTime, formatTimeIn, retentionSummary } from '../format.ts';
import type { AutoSnapshotPolicyInput, PolicyFieldsFragment } from '../gql/graphql.ts';
import { SetPolicyMutation, StorageLocationsQuery } from '../operations.ts';
import { nextRuns, timeZones } from '../schedule.ts';

interface PolicyCluster {
  id: string;
  projectId: string;
  autoSnapshotPolicy: PolicyFieldsFragment;
}

export function PolicySection({ cluster, canEdit }: { cluster: PolicyCluster; canEdit: boolean }) {
  const [editing, setEditing] = useState(false);
  // What the last save returned, shown at once; the page's next read of the cluster replaces it.
  const [saved, setSaved] = useState<PolicyFieldsFragment>();
  useEffect(() => setSaved(undefined), [cluster.autoSnapshotPolicy]);
  const policy = saved ?? cluster.autoSnapshotPolicy;
  const next = policy.enabled && policy.schedule ? nextRuns(policy.schedule, policy.timeZone, 1) : undefined;
  return (
    <section aria-labelledby="policy-title" class="policy">
      <h2 id="policy-title">Auto-snapshot policy</h2>
      <dl class="facts">
        <dt>Schedule</dt>
        <dd>
          {policy.enabled && policy.schedule ? (
            <>
              <code>{policy.schedule}</code> in {policy.timeZone}
            </>
          ) : (
            'Off: snapshots are taken only on demand'
          )}
        </dd>
        <dt>Next run</dt>
        <dd>{next && 'runs' in next ? formatTime(next.runs[0]!.toISOString()) : '—'}</dd>
        <dt>Retention</dt>
        <dd>{retentionSummary(policy.retention)}</dd>
        <dt>Storage location</dt>
        <dd>{policy.storageLocation ?? 'the default location'}</dd>
        <dt>Volume snapshots</dt>
        <dd>{policy.volumeSnapshotsEnabled ? 'On' : 'Off'}</dd>
      </dl>
      {canEdit && !editing && (
        <button type="button" onClick={() => setEditing(true)}>
          Edit policy
        </button>
      )}
      {canEdit && editing && (
        <PolicyForm
          cluster={{ ...cluster, autoSnapshotPolicy: policy }}
          done={(changed) => {
            if (changed) setSaved(changed);
            setEditing(false);
          }}
        />
      )}
    </section>
  );
}

const KEEP_RULES = [
  ['keepLast', 'Keep last'],
  ['keepHourly', 'Keep hourly'],
  ['keepDaily', 'Keep daily'],
  ['keepWeekly', 'Keep weekly'],
  ['keepMonthly', 'Keep monthly'],
  ['keepYearly', 'Keep yearly'],
  ['maxAgeSeconds', 'Maximum age (seconds)'],
] as const;
type RetentionRule = (typeof KEEP_RULES)[number][0];

function PolicyForm({ cluster, done }: { cluster: PolicyCluster; done(saved?: PolicyFieldsFragment): void }) {
  const current = cluster.autoSnapshotPolicy;
  const [enabled, setEnabled] = useState(current.enabled);
  const [schedule, setSchedule] = useState(current.schedule ?? '0 3 * * *');
  const [timeZone, setTimeZone] = useState(current.timeZone);
  const [storageLocation, setStorageLocation] = useState(current.storageLocation ?? '');
  const [volumes, setVolumes] = useState(current.volumeSnapshotsEnabled);
  const [rules, setRules] = useState<Record<RetentionRule, string>>(
    () => Object.fromEntries(KEEP_RULES.map(([rule]) => [rule, current.retention[rule]?.toString() ?? ''])) as Record<RetentionRule, string>,
  );
  const [locations] = useQuery({ query: StorageLocationsQuery, variables: { projectId: cluster.projectId } });
  const [saving, save] = useMutation(SetPolicyMutation);
  const [serverProblem, setServerProblem] = useState<string>();

  const preview = nextRuns(schedule, timeZone, 3);
  const ruleProblems = Object.fromEntries(KEEP_RULES.map(([rule]) => [rule, numberProblem(rules[rule])])) as Record<RetentionRule, string | undefined>;
  const invalid = (enabled && 'problem' in preview) || Object.values(ruleProblems).some(Boolean);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (invalid) return;
    const retention = Object.fromEntries(KEEP_RULES.filter(([rule]) => rules[rule].trim() !== '').map(([rule]) => [rule, Number(rules[rule])]));
    const policy: AutoSnapshotPolicyInput = {
      enabled,
      schedule: schedule.trim() === '' ? null : schedule.trim(),
      timeZone,
      storageLocation: storageLocation === '' ? null : storageLocation,
      volumeSnapshotsEnabled: volumes,
      retention: { ...retention, keepFailed: { last: current.retention.keepFailed.last, maxAgeSeconds: current.retention.keepFailed.maxAgeSeconds } },
    };
    const response = await save({ virtualClusterId: cluster.id, policy });
    if (response.data) return done(response.data.setAutoSnapshotPolicy.autoSnapshotPolicy);
    const error = response.error?.graphQLErrors[0];
    const field = error?.extensions?.field;
    setServerProblem(`${error?.message ?? response.error?.message ?? 'not saved'}${errorCode(response.error) ? ` (${errorCode(response.error)}${typeof field === 'string' ? `, ${field}` : ''})` : ''}`);
  };

  return (
    <form class="policy-form" onSubmit={submit} noValidate aria-labelledby="policy-form-title">
      <h3 id="policy-form-title">Edit the policy</h3>
      <label class="check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} /> Take snapshots automatically
      </label>
      <label for="schedule">Schedule (cron: minute hour day-of-month month day-of-week)</label>
      <input
        id="schedule"
        value={schedule}
        onInput={(e) => setSchedule(e.currentTarget.value)}
        aria-invalid={'problem' in preview ? true : undefined}
        aria-describedby="schedule-preview"
        spellcheck={false}
      />
      <label for="time-zone">Time zone</label>
      <input id="time-zone" list="time-zones" value={timeZone} onInput={(e) => setTimeZone(e.currentTarget.value)} spellcheck={false} />
      <datalist id="time-zones">
        {timeZones().map((zone) => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
      <div id="schedule-preview" role="status" aria-live="polite" class="preview">
        {'problem' in preview ? (
          <p class="field-error">Schedule {preview.problem}</p>
        ) : (
          <>
            <p>Next three runs in {timeZone}:</p>
            <ol>
              {preview.runs.map((run) => (
                <li key={run.getTime()}>{formatTimeIn(run, timeZone)}</li>
              ))}
            </ol>
          </>
        )}
      </div>
      <label for="storage-location">Storage location</label>
      <select id="storage-location" value={storageLocation} onChange={(e) => setStorageLocation(e.currentTarget.value)}>
        <option value="">The default location</option>
        {(locations.data?.storageLocations ?? []).map((location) => (
          <option key={location.name} value={location.name}>
            {location.name}
            {location.default ? ' (default)' : ''}
          </option>
        ))}
        {storageLocation && !locations.data?.storageLocations.some((l) => l.name === storageLocation) && <option value={storageLocation}>{storageLocation}</option>}
      </select>
      <label class="check">
        <input type="checkbox" checked={volumes} onChange={(e) => setVolumes(e.currentTarget.checked)} /> Volume snapshots (CSI)
      </label>
      <fieldset>
        <legend>Retention (empty: rule not set; failed snapshots keep their current rule)</legend>
        {KEEP_RULES.map(([rule, label]) => (
          <div key={rule} class="rule">
            <label for={`rule-${rule}`}>{label}</label>
            <input
              id={`rule-${rule}`}
              inputMode="numeric"
              value={rules[rule]}
              onInput={(e) => setRules({ ...rules, [rule]: e.currentTarget.value })}
              aria-invalid={ruleProblems[rule] ? true : undefined}
              aria-describedby={ruleProblems[rule] ? `rule-${rule}-problem` : undefined}
            />
            {ruleProblems[rule] && (
              <span id={`rule-${rule}-problem`} class="field-error">
                {ruleProblems[rule]}
              </span>
            )}
          </div>
        ))}
      </fieldset>
      {serverProblem && (
        <p class="notice error" role="alert">
          Not saved: {serverProblem}
        </p>
      )}
      <div class="actions">
        <button type="submit" disabled={invalid || saving.fetching}>
          Save policy
        </button>
        <button type="button" class="secondary" onClick={() => done()}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function numberProblem(value: string): string | undefined {
  if (value.trim() === '') return undefined;
  return /^\d+$/.test(value.trim()) ? undefined : 'a whole number, or empty';
}
