/** Virtual clusters by project: policy summary, next run, last snapshot, updated live. */
import { useQuery, useSubscription } from '@urql/preact';
import { useMemo, useState } from 'preact/hooks';
import { ErrorNotice, SNAPSHOTS_FORBIDDEN } from '../components/errors.tsx';
import { StatusBadge } from '../components/status.tsx';
import { formatTime, retentionSummary } from '../format.ts';
import type { ConsoleClustersQuery, SnapshotStatus } from '../gql/graphql.ts';
import { ClusterEventsSubscription, ClustersQuery } from '../operations.ts';
import { Link, paths } from '../router.tsx';
import { nextRuns } from '../schedule.ts';

type ClusterNode = ConsoleClustersQuery['virtualClusters']['edges'][number]['node'];
type Latest = { id: string; name: string; status: SnapshotStatus } | null;

export function ClustersPage() {
  const [pages, setPages] = useState<(string | undefined)[]>([undefined]);
  const after = pages.at(-1);
  const [result, refetch] = useQuery({ query: ClustersQuery, variables: { after } });
  // The newest snapshot of each cluster as events report it, over what the query read.
  const [latest, setLatest] = useState<ReadonlyMap<string, Latest>>(new Map());

  useSubscription({ query: ClusterEventsSubscription, variables: { since: undefined } }, (_previous: unknown, data) => {
    const event = data.snapshotEvents;
    const shownOf = (current: ReadonlyMap<string, Latest>) =>
      current.has(event.virtualClusterId) ? current.get(event.virtualClusterId) : queryLatest(result.data, event.virtualClusterId);
    // The newest one is gone: which is newest now is the list's to say.
    if (event.kind === 'DELETED' && shownOf(latest)?.id === event.snapshotId) refetch({ requestPolicy: 'network-only' });
    setLatest((current) => {
      if (event.kind === 'CREATED' && event.snapshot) return new Map(current).set(event.virtualClusterId, event.snapshot);
      if (shownOf(current)?.id !== event.snapshotId) return current;
      const next = new Map(current);
      if (event.kind === 'DELETED' || !event.snapshot) next.delete(event.virtualClusterId);
      else next.set(event.virtualClusterId, event.snapshot);
      return next;
    });
    return data;
  });

  const byProject = useMemo(() => {
    const groups = new Map<string, { node: ClusterNode; index: number }[]>();
    result.data?.virtualClusters.edges.forEach(({ node }, index) => {
      groups.set(node.projectId, [...(groups.get(node.projectId) ?? []), { node, index }]);
    });
    return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [result.data]);

  const forbiddenAt = (index: number) =>
    result.error?.graphQLErrors.some((e) => e.extensions?.code === 'FORBIDDEN' && e.path?.[2] === index && e.path?.at(-1) === 'latest') ?? false;

  return (
    <section aria-labelledby="clusters-title">
      <h1 id="clusters-title">Virtual clusters</h1>
      {result.error && !result.data && <ErrorNotice error={result.error} what="virtual clusters" retry={() => refetch({ requestPolicy: 'network-only' })} />}
      {result.fetching && !result.data && <p aria-busy="true">Loading…</p>}
      {result.data && byProject.length === 0 && <p>No virtual clusters in your projects yet.</p>}
      {byProject.map(([projectId, clusters]) => (
        <section key={projectId} aria-labelledby={`project-${projectId}`} class="project">
          <h2 id={`project-${projectId}`}>
            Project <span class="mono">{projectId}</span>
          </h2>
          {clusters.some(({ index }) => forbiddenAt(index)) && (
            <p class="notice" role="note">
              {SNAPSHOTS_FORBIDDEN}
            </p>
          )}
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Scrollable table">
            <table class="clusters stack">
              <caption class="sr-only">Virtual clusters of project {projectId}</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Schedule</th>
                  <th scope="col">Next run (your time)</th>
                  <th scope="col">Retention</th>
                  <th scope="col">Storage location</th>
                  <th scope="col">Last snapshot</th>
                </tr>
              </thead>
              <tbody>
                {clusters.map(({ node, index }) => (
                  <ClusterRow key={node.id} node={node} latest={latest.has(node.id) ? latest.get(node.id)! : (node.latest?.edges[0]?.node ?? null)} forbidden={forbiddenAt(index)} />
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ))}
      <Pager
        hasPrevious={pages.length > 1}
        hasNext={result.data?.virtualClusters.pageInfo.hasNextPage ?? false}
        onPrevious={() => setPages(pages.slice(0, -1))}
        onNext={() => setPages([...pages, result.data?.virtualClusters.pageInfo.endCursor ?? undefined])}
      />
    </section>
  );
}

function queryLatest(data: ConsoleClustersQuery | undefined, clusterId: string): Latest | undefined {
  return data?.virtualClusters.edges.find((edge) => edge.node.id === clusterId)?.node.latest?.edges[0]?.node;
}

function ClusterRow({ node, latest, forbidden }: { node: ClusterNode; latest: Latest; forbidden: boolean }) {
  const policy = node.autoSnapshotPolicy;
  const next = policy.enabled && policy.schedule ? nextRuns(policy.schedule, policy.timeZone, 1) : undefined;
  return (
    <tr data-cluster={node.name}>
      <th scope="row" data-label="Name">
        <Link href={paths.cluster(node.id)}>{node.name}</Link>
      </th>
      <td data-label="Schedule">
        {policy.enabled && policy.schedule ? (
          <>
            <code>{policy.schedule}</code> <span class="muted">({policy.timeZone})</span>
          </>
        ) : (
          'Off'
        )}
      </td>
      <td data-label="Next run">{next && 'runs' in next ? formatTime(next.runs[0]!.toISOString()) : '—'}</td>
      <td data-label="Retention">{retentionSummary(policy.retention)}</td>
      <td data-label="Storage location">{policy.storageLocation ?? 'default location'}</td>
      <td data-label="Last snapshot" class="latest">
        {forbidden ? (
          <span class="muted" title={SNAPSHOTS_FORBIDDEN}>
            Not visible to you
          </span>
        ) : latest ? (
          <Link href={paths.snapshot(latest.id)} aria-label={`Last snapshot ${latest.name}`}>
            <StatusBadge status={latest.status} />
          </Link>
        ) : (
          'None yet'
        )}
      </td>
    </tr>
  );
}

export function Pager(props: { hasPrevious: boolean; hasNext: boolean; onPrevious(): void; onNext(): void; labels?: [string, string] }) {
  const { hasPrevious, hasNext, onPrevious, onNext, labels = ['Previous page', 'Next page'] } = props;
  if (!hasPrevious && !hasNext) return null;
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled={!hasPrevious} onClick={onPrevious}>
        ← {labels[0]}
      </button>
      <button type="button" disabled={!hasNext} onClick={onNext}>
        {labels[1]} →
      </button>
    </nav>
  );
}
