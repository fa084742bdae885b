/**
 * Live status: the Subscription fields, over SSE and graphql-ws alike. Who may subscribe to what
 * follows the queries' rules: snapshot data is for platform admins and admins of its project;
 * a cluster or snapshot the caller cannot see does not exist (NOT_FOUND, as for an id of
 * nothing); a member of its project is refused (FORBIDDEN). The feed filters every event by the
 * same rules, and each event is resolved against the current rows.
 */
import { clusterNotFound } from '../clusters/service.ts';
import { parseInput, projectId as projectIdInput } from '../clusters/input.ts';
import { DomainError } from '../errors.ts';
import { builder, type Context } from '../graphql/builder.ts';
import { SnapshotRef } from '../snapshots/schema.ts';
import { snapshotNotFound } from '../snapshots/service.ts';
import type { SnapshotView } from '../snapshots/views.ts';
import type { SnapshotEvent } from './entity.ts';
import type { FeedItem, FeedSubscription } from './feed.ts';
import { parseCursor, type EventFilter } from './log.ts';
import { SnapshotEventRef } from './schema.ts';


interface EventsArgs {
  virtualClusterId?: string | number | null;
  projectId?: string | number | null;
}

/** The filter a caller's arguments name, checked: NOT_FOUND for a cluster it cannot see (or of another project than `projectId`). */
async function eventsFilter(args: EventsArgs, context: Context): Promise<{ filter: EventFilter; projectId?: string }> {
  const projectId = args.projectId == null ? undefined : parseInput(projectIdInput, String(args.projectId), 'projectId');
  if (args.virtualClusterId != null) {
    const cluster = await context.loaders.cluster.load(String(args.virtualClusterId));
    if (!cluster || (projectId !== undefined && cluster.projectId !== projectId)) throw clusterNotFound('virtualClusterId');
    return { filter: { virtualClusterId: cluster.id, projectId: cluster.projectId }, projectId: cluster.projectId };
  }
  if (projectId !== undefined) return { filter: { projectId }, projectId };
  return { filter: { projectIds: context.viewer.administeredProjects() } };
}

/** The thrown error ends the stream as a coded GraphQL error (SLOW_CONSUMER, CURSOR_EXPIRED, SERVICE_UNAVAILABLE). */
function eventOf(item: FeedItem, context: Context): SnapshotEvent {
  if (item instanceof DomainError) throw item;
  // Each event is resolved against the rows as they are now (its `snapshot` included).
  context.refresh();
  return item;
}

const isDeletion = (event: SnapshotEvent) => event.kind === 'DELETED';
const isCreation = (event: SnapshotEvent) => event.kind === 'CREATED';

/**
 * The snapshot now, then again after every change to it or its volumes (a burst read once);
 * done after its deletion. Closing it ends the feed subscription under it at once. `load` is
 * given the last event of the burst (undefined for the first state).
 */
function snapshotStates(
  subscription: FeedSubscription,
  load: (after: SnapshotEvent | undefined) => Promise<SnapshotView | null>,
): AsyncIterableIterator<SnapshotView | DomainError> {
  let started = false;
  let finished = false;
  const finish = async (): Promise<IteratorResult<SnapshotView | DomainError, undefined>> => {
    finished = true;
    await subscription.return();
    return { done: true, value: undefined };
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (finished) return { done: true, value: undefined };
      let after: SnapshotEvent | undefined;
      if (started) {
        const result = await subscription.next();
        if (result.done) return finish();
        if (result.value instanceof DomainError) {
          finished = true;
          return { done: false, value: result.value };
        }
        const burst = [result.value, ...subscription.takeBuffered()];
        if (burst.some(isDeletion)) return finish();
        // Its creation is never news: the first state was read after it. (Committed just before
        // the subscription registered, its event can still reach the feed after.)
        if (burst.every(isCreation)) return this.next();
        after = burst.at(-1);
      }
      started = true;
      const snapshot = await load(after);
      return snapshot ? { done: false, value: snapshot } : finish();
    },
    return: finish,
  };
}

/**
 * The snapshot as it is after an event, read once for every subscriber of one access that
 * receives that event (they all hold the same event object): a thousand watchers of one snapshot
 * cost one read per change, and the same state object lets shared-results.ts execute it once.
 */
const statesAfter = new WeakMap<SnapshotEvent, Map<string, Promise<SnapshotView | null>>>();

function stateAfter(event: SnapshotEvent, accessKey: string, load: () => Promise<SnapshotView | null>): Promise<SnapshotView | null> {
  let states = statesAfter.get(event);
  if (!states) statesAfter.set(event, (states = new Map()));
  let state = states.get(accessKey);
  if (!state) states.set(accessKey, (state = load()));
  return state;
}

builder.subscriptionType({});

builder.subscriptionFields((t) => ({
  snapshotEvents: t.field({
    type: SnapshotEventRef,
    description:
      'Every committed snapshot event the caller may read, in cursor order: of one virtual cluster, of one project, or (no filter) of every project ' +
      'it administers (all for platform admins; FORBIDDEN to a caller who administers none). With `since`, the events after that cursor are replayed first, then it goes live, with no gap and no ' +
      'duplicate. CURSOR_EXPIRED: the log no longer holds every event after `since` (refetch, then subscribe without it). SLOW_CONSUMER: the subscriber ' +
      'fell too far behind; SERVICE_UNAVAILABLE: the server is shutting down. After either, subscribe again with `since` set to the last cursor received.',
    args: {
      virtualClusterId: t.arg.id({ required: false }),
      projectId: t.arg.id({ required: false }),
      since: t.arg.id({ required: false, description: 'The cursor of the last event received.' }),
    },
    authScopes: async (_root, args, context) => {
      const { projectId } = await eventsFilter(args, context);
      if (projectId !== undefined) return { platformAdmin: true, projectAdmin: projectId };
      // Without a filter: refused to a caller who administers no project (there is nothing it may read).
      return context.viewer.administeredProjects()?.length !== 0;
    },
    subscribe: async (_root, args, context) => {
      const since = args.since == null ? undefined : parseCursor(String(args.since));
      const { filter } = await eventsFilter(args, context);
      return context.feed.subscribe({ filter, since, transport: context.transport });
    },
    resolve: (item: FeedItem, _args, context) => eventOf(item, context),
  }),
  snapshotUpdated: t.field({
    type: SnapshotRef,
    description:
      'The snapshot at once, then again after every change to it or to its volumes (progress included); complete once it is deleted. ' +
      'SLOW_CONSUMER or SERVICE_UNAVAILABLE end it like snapshotEvents: subscribe again.',
    args: { id: t.arg.id({ required: true }) },
    authScopes: async (_root, args, context) => {
      const snapshot = await context.loaders.snapshot.load(String(args.id));
      if (!snapshot) throw snapshotNotFound('id');
      return { platformAdmin: true, projectAdmin: snapshot.projectId };
    },
    subscribe: async (_root, args, context) => {
      const snapshot = await context.loaders.snapshot.load(String(args.id));
      if (!snapshot) throw snapshotNotFound('id');
      // Registered before the first read: a change committed after that read is never missed.
      const subscription = await context.feed.subscribe({ filter: { snapshotId: snapshot.id }, transport: context.transport });
      const load = () => {
        context.refresh();
        return context.loaders.snapshot.load(snapshot.id);
      };
      return snapshotStates(subscription, (after) => (after ? stateAfter(after, context.viewer.accessKey, load) : load()));
    },
    resolve: (item: SnapshotView | DomainError) => {
      if (item instanceof DomainError) throw item;
      return item;
    },
  }),
}));

builder.objectField(SnapshotEventRef, 'snapshot', (t) =>
  t.field({
    type: SnapshotRef,
    nullable: true,
    description: 'The snapshot as it is now; null once it is deleted.',
    resolve: (event, _args, context) => context.loaders.snapshot.load(event.snapshotId),
  }),
);
