/** One virtual cluster: its policy, Snapshot now, and its snapshots, paginated and live. */
import { useMutation, useQuery, useSubscription } from '@urql/preact';
import { useEffect, useState } from 'preact/hooks';
import { errorCode } from '../client.ts';
import { ErrorNotice, NotFoundNotice, SNAPSHOTS_FORBIDDEN } from '../components/errors.tsx';
import { SnapshotTable, type SnapshotRow } from '../components/snapshot-table.tsx';
import type { ConsoleClusterQuery } from '../gql/graphql.ts';
import { ClusterEventsSubscription, ClusterQuery, CreateSnapshotMutation } from '../operations.ts';
import { Link, paths } from '../router.tsx';
import { Pager } from './clusters.tsx';
import { PolicySection } from './policy.tsx';

const PAGE_SIZE = 20;

type Cluster = NonNullable<ConsoleClusterQuery['virtualCluster']>;

/** What events have changed since the page was read: rows replaced or deleted, rows created (newest first), the SCHEDULED one. */
interface Live {
  rows: ReadonlyMap<string, SnapshotRow | 'deleted'>;
  created: readonly SnapshotRow[];
  scheduled?: { id: string; name: string } | null;
}
const NOTHING_LIVE: Live = { rows: new Map(), created: [] };

export function ClusterPage({ id }: { id: string }) {
  const [pages, setPages] = useState<(string | undefined)[]>([undefined]);
  const [result, refetch] = useQuery({ query: ClusterQuery, variables: { id, first: PAGE_SIZE, after: pages.at(-1) } });
  const [live, setLive] = useState<Live>(NOTHING_LIVE);
  useEffect(() => setLive(NOTHING_LIVE), [id, pages.length]);
  const cluster = result.data?.virtualCluster;
  const forbidden = result.error?.graphQLErrors.some((e) => e.extensions?.code === 'FORBIDDEN') ?? false;

  if (result.error && !cluster) return <ErrorNotice error={result.error} what="virtual cluster" retry={() => refetch({ requestPolicy: 'network-only' })} />;
  if (!result.data) return <p aria-busy="true">Loading…</p>;
  if (!cluster) return <NotFoundNotice what="virtual cluster" />;

  return (
    <article aria-labelledby="cluster-title">
      <p class="crumbs">
        <Link href={paths.clusters()}>Virtual clusters</Link> / project <span class="mono">{cluster.projectId}</span>
      </p>
      <h1 id="cluster-title">{cluster.name}</h1>
      <PolicySection cluster={cluster} canEdit={!forbidden} />
      <section aria-labelledby="snapshots-title">
        <h2 id="snapshots-title">Snapshots</h2>
        {forbidden || !cluster.snapshots ? (
          <p class="notice" role="note" data-code="FORBIDDEN">
            {SNAPSHOTS_FORBIDDEN}
          </p>
        ) : (
          <>
            <SnapshotNow cluster={cluster} live={live} setLive={setLive} />
            <LiveSnapshots cluster={cluster} setLive={setLive} refetch={() => refetch({ requestPolicy: 'network-only' })} />
            <SnapshotTable rows={visibleRows(cluster, live, pages.length === 1)} />
            <Pager
              labels={['Newer', 'Older']}
              hasPrevious={pages.length > 1}
              hasNext={cluster.snapshots.pageInfo.hasNextPage}
              onPrevious={() => setPages(pages.slice(0, -1))}
              onNext={() => setPages([...pages, cluster.snapshots?.pageInfo.endCursor ?? undefined])}
            />
          </>
        )}
      </section>
    </article>
  );
}

/** The page's rows as events left them; rows created since it was read lead the first page. */
function visibleRows(cluster: Cluster, live: Live, firstPage: boolean): SnapshotRow[] {
  const read = cluster.snapshots?.edges.map((edge) => edge.node) ?? [];
  const readIds = new Set(read.map((row) => row.id));
  const created = firstPage ? live.created.filter((row) => !readIds.has(row.id)) : [];
  return [...created, ...read]
    .map((row) => live.rows.get(row.id) ?? row)
    .filter((row): row is SnapshotRow => row !== 'deleted');
}

/**
 * The cluster's snapshot events, from the newest cursor the page has read (so nothing committed
 * after the read is missed); the client resumes after the last one received on a reconnect.
 */
function LiveSnapshots({ cluster, setLive, refetch }: { cluster: Cluster; setLive: (update: (live: Live) => Live) => void; refetch(): void }) {
  // CURSOR_EXPIRED: the log no longer reaches back to the page's newest cursor; read the page again and go live from now.
  const [expired, setExpired] = useState(false);
  const cursors = cluster.newest?.edges[0]?.node.events.map((event) => BigInt(event.cursor)) ?? [];
  const since = cursors.length > 0 && !expired ? String(cursors.reduce((a, b) => (a > b ? a : b))) : undefined;
  const [result] = useSubscription({ query: ClusterEventsSubscription, variables: { virtualClusterId: cluster.id, since } }, (_previous: unknown, data) => {
    const event = data.snapshotEvents;
    setLive((live) => {
      const rows = new Map(live.rows);
      let { created, scheduled } = live;
      if (event.kind === 'DELETED' || !event.snapshot) rows.set(event.snapshotId, 'deleted');
      else {
        rows.set(event.snapshotId, event.snapshot);
        if (event.kind === 'CREATED' && !created.some((row) => row.id === event.snapshotId)) created = [event.snapshot, ...created];
      }
      if (event.snapshot?.status === 'SCHEDULED') scheduled = { id: event.snapshotId, name: event.snapshot.name };
      else if (scheduled?.id === event.snapshotId || (scheduled === undefined && cluster.scheduled?.edges[0]?.node.id === event.snapshotId)) scheduled = null;
      return { rows, created, scheduled };
    });
    return data;
  });
  const cursorExpired = errorCode(result.error) === 'CURSOR_EXPIRED';
  useEffect(() => {
    if (!cursorExpired) return;
    setExpired(true);
    refetch();
  }, [cursorExpired]);
  return null;
}

/** Schedules a snapshot now; while one is Scheduled the button is disabled and says why. */
function SnapshotNow({ cluster, live, setLive }: { cluster: Cluster; live: Live; setLive: (update: (live: Live) => Live) => void }) {
  const [state, create] = useMutation(CreateSnapshotMutation);
  const [outcome, setOutcome] = useState<string>();
  const scheduled = live.scheduled === undefined ? cluster.scheduled?.edges[0]?.node : live.scheduled;
  const onClick = async () => {
    setOutcome(undefined);
    const response = await create({ virtualClusterId: cluster.id });
    const snapshot = response.data?.createSnapshot;
    if (snapshot) {
      setOutcome(`Requested ${snapshot.name}.`);
      setLive((current) => ({
        rows: current.rows.has(snapshot.id) ? current.rows : new Map(current.rows).set(snapshot.id, snapshot),
        created: current.created.some((row) => row.id === snapshot.id) ? current.created : [snapshot, ...current.created],
        scheduled: current.rows.has(snapshot.id) ? current.scheduled : { id: snapshot.id, name: snapshot.name },
      }));
    } else if (response.error) {
      setOutcome(`Could not schedule a snapshot: ${response.error.graphQLErrors[0]?.message ?? response.error.message}${errorCode(response.error) ? ` (${errorCode(response.error)})` : ''}`);
    }
  };
  return (
    <div class="actions">
      <button type="button" onClick={onClick} disabled={Boolean(scheduled) || state.fetching} aria-describedby="snapshot-now-reason">
        Snapshot now
      </button>
      <p id="snapshot-now-reason" class="help" role="status">
        {scheduled ? `Disabled: ${scheduled.name} is already Scheduled; a cluster has at most one Scheduled snapshot at a time.` : (outcome ?? '')}
      </p>
    </div>
  );
}
