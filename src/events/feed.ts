/**
 * Fan-out of snapshot events to this process's subscribers. The listener hands over each batch
 * of committed events once; every subscriber whose filter matches gets them in its own bounded
 * buffer. A subscriber given `since` is registered first and then replays the table after that
 * cursor, page by page as it is read; live events that arrive meanwhile wait in its buffer, and
 * an event is never handed over twice nor out of order (its cursor must pass the last one
 * handed over). A subscriber that falls further behind than its buffer holds is ended with
 * SLOW_CONSUMER and its buffer dropped: memory stays bounded whatever a client does.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { DomainError, ServiceUnavailableError, SlowConsumerError, ValidationError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { SnapshotEvent } from './entity.ts';
import { cursorOf, SnapshotEventListener, type ListenerOptions } from './listener.ts';
import { assertResumable, latestCursor, readEventsAfter, type EventFilter } from './log.ts';

/** What the feed reports; metrics.ts turns it into Prometheus series. */
export interface DeliveryMetrics {
  subscribed(transport: string): void;
  ended(transport: string): void;
  /** An event handed to the transport; `lagSeconds` (from its `at`) for live events only. */
  delivered(transport: string, lagSeconds: number | undefined): void;
  slowConsumer(transport: string): void;
}

/** What a subscription yields: an event, or last the error that ended it (resolvers throw it, so it reaches the client coded). */
export type FeedItem = SnapshotEvent | DomainError;

export interface FeedOptions {
  /** Events a subscriber may have waiting before it is ended with SLOW_CONSUMER. */
  bufferEvents: number;
  /** Events read per statement while replaying. */
  replayPageSize?: number;
  listener?: Partial<ListenerOptions>;
}

export interface SubscribeOptions {
  filter: EventFilter;
  /** Replay the events after this cursor first; without it, live from the latest event. */
  since?: bigint;
  /** `sse` or `graphql-ws`, for the metrics. */
  transport: string;
}

const DEFAULT_REPLAY_PAGE = 500;

export class EventFeed {
  private readonly subscribers = new Set<FeedSubscription>();
  private readonly listener: SnapshotEventListener;
  private stopped = false;

  constructor(
    readonly orm: MikroORM,
    private readonly logger: Logger,
    readonly metrics: DeliveryMetrics,
    readonly options: FeedOptions,
  ) {
    this.listener = new SnapshotEventListener(orm, logger, (events) => this.dispatch(events), options.listener);
  }

  start(): Promise<void> {
    return this.listener.start();
  }

  /** Ends every subscription (SERVICE_UNAVAILABLE: subscribe again with `since`, here later or at another replica), then stops listening. */
  async stop(): Promise<void> {
    this.stopped = true;
    const ending = new ServiceUnavailableError('vsnap is shutting down; subscribe again with since set to the last cursor received');
    for (const subscriber of [...this.subscribers]) subscriber.end(ending);
    await this.listener.stop();
  }

  /** Events waiting in every subscriber's buffer together. */
  get bufferedEvents(): number {
    let count = 0;
    for (const subscriber of this.subscribers) count += subscriber.buffered;
    return count;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /**
   * A subscription of the events `filter` matches. With `since`: CURSOR_EXPIRED when the log no
   * longer holds every event after it, VALIDATION when it is ahead of the log.
   */
  async subscribe({ filter, since, transport }: SubscribeOptions): Promise<FeedSubscription> {
    if (this.stopped) throw new ServiceUnavailableError('vsnap is shutting down; subscribe at another replica or later');
    if (since !== undefined) {
      const em = this.orm.em.fork();
      await assertResumable(em, since);
      if (since > this.listener.cursor && since > (await latestCursor(em))) {
        throw new ValidationError(`since is ahead of every event: "${since}" was never a cursor here`, 'since');
      }
    }
    const subscription = new FeedSubscription(this, filter, transport, since ?? this.listener.cursor, since !== undefined);
    this.subscribers.add(subscription);
    this.metrics.subscribed(transport);
    return subscription;
  }

  /** @internal by FeedSubscription.end */
  remove(subscription: FeedSubscription): void {
    if (this.subscribers.delete(subscription)) this.metrics.ended(subscription.transport);
  }

  /** @internal the replaying subscriber's failure: logged, the client told to resubscribe. */
  replayFailed(error: unknown): DomainError {
    if (error instanceof DomainError) return error;
    this.logger.error({ err: error }, 'cannot replay snapshot events to a subscriber; it was asked to subscribe again');
    return new ServiceUnavailableError('cannot read the event log now; subscribe again with since set to the last cursor received');
  }

  private dispatch(events: SnapshotEvent[]): void {
    for (const subscriber of this.subscribers) subscriber.offer(events);
  }
}

/** Whether `filter` lets `event` through (the same rules as readEventsAfter's). */
export function eventMatches(event: SnapshotEvent, filter: EventFilter, projects?: ReadonlySet<string>): boolean {
  if (filter.projectIds && !(projects ?? new Set(filter.projectIds)).has(event.projectId)) return false;
  if (filter.projectId !== undefined && event.projectId !== filter.projectId) return false;
  if (filter.virtualClusterId !== undefined && event.virtualClusterId !== filter.virtualClusterId) return false;
  return filter.snapshotId === undefined || event.snapshotId === filter.snapshotId;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** One subscriber: its buffer, its replay, and the async iterator a transport pulls events from. */
export class FeedSubscription implements AsyncIterableIterator<FeedItem> {
  private queue: SnapshotEvent[] = [];
  private readonly projects: ReadonlySet<string> | undefined;
  /** The cursor of the last event handed over (or `since`): nothing at or below it is handed over again. */
  private last: bigint;
  private replay: { page: SnapshotEvent[]; index: number; done: boolean } | undefined;
  private ended = false;
  private failure: DomainError | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly feed: EventFeed,
    private readonly filter: EventFilter,
    readonly transport: string,
    from: bigint,
    replaying: boolean,
  ) {
    this.last = from;
    this.projects = filter.projectIds ? new Set(filter.projectIds) : undefined;
    // Nothing to replay for a caller who may see no project.
    if (replaying && this.projects?.size !== 0) this.replay = { page: [], index: 0, done: false };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  get buffered(): number {
    return this.queue.length;
  }

  /** @internal by the feed: newly committed events, in cursor order. */
  offer(events: readonly SnapshotEvent[]): void {
    if (this.ended) return;
    for (const event of events) {
      if (!eventMatches(event, this.filter, this.projects) || cursorOf(event) <= this.last) continue;
      this.queue.push(event);
      if (this.queue.length > this.feed.options.bufferEvents) {
        this.feed.metrics.slowConsumer(this.transport);
        this.end(
          new SlowConsumerError(
            `the subscriber fell more than ${this.feed.options.bufferEvents} events behind; subscribe again with since set to the last cursor received`,
          ),
        );
        return;
      }
    }
    this.wake?.();
  }

  /** Ends the subscription; `error` is handed over last. Drops the buffer at once. */
  end(error?: DomainError): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    this.queue = [];
    this.replay = undefined;
    this.feed.remove(this);
    this.wake?.();
  }

  async next(): Promise<IteratorResult<FeedItem, undefined>> {
    const replayed = await this.nextReplayed();
    if (replayed) return this.handOver(replayed, false);
    for (;;) {
      const event = this.takeLive();
      if (event) return this.handOver(event, true);
      if (this.failure) {
        const failure = this.failure;
        this.failure = undefined;
        return { done: false, value: failure };
      }
      if (this.ended) return DONE;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  /** Every live event waiting now, handed over at once (snapshotUpdated reads the snapshot once for a burst). */
  takeBuffered(): SnapshotEvent[] {
    const events: SnapshotEvent[] = [];
    if (this.replay) return events;
    for (let event = this.takeLive(); event; event = this.takeLive()) events.push(this.handOver(event, true).value);
    return events;
  }

  async return(): Promise<IteratorResult<FeedItem, undefined>> {
    this.end();
    this.failure = undefined;
    return DONE;
  }

  private takeLive(): SnapshotEvent | undefined {
    for (let event = this.queue.shift(); event; event = this.queue.shift()) {
      if (cursorOf(event) > this.last) return event;
    }
    return undefined;
  }

  private handOver(event: SnapshotEvent, live: boolean): IteratorYieldResult<SnapshotEvent> {
    this.last = cursorOf(event);
    const lag = live ? (Date.now() - new Date(event.at).getTime()) / 1000 : undefined;
    this.feed.metrics.delivered(this.transport, lag);
    return { done: false, value: event };
  }

  /** The next replayed event, reading the next page when this one is used up; undefined once caught up. */
  private async nextReplayed(): Promise<SnapshotEvent | undefined> {
    while (this.replay && !this.ended) {
      const replay = this.replay;
      if (replay.index < replay.page.length) return replay.page[replay.index++];
      if (replay.done) {
        this.replay = undefined;
        break;
      }
      const pageSize = this.feed.options.replayPageSize ?? DEFAULT_REPLAY_PAGE;
      try {
        const em = this.feed.orm.em.fork();
        const page = await readEventsAfter(em, this.last, pageSize, this.filter);
        // Read first, then checked: retention cannot have pruned anything this page should hold.
        await assertResumable(em, this.last);
        if (this.ended) break;
        this.replay = { page, index: 0, done: page.length < pageSize };
      } catch (error) {
        this.end(this.feed.replayFailed(error));
      }
    }
    return undefined;
  }
}
