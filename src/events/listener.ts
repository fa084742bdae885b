/**
 * The process's one LISTEN connection. A NOTIFY on `vsnap_snapshot_events` is only a doorbell:
 * whatever its payload, the listener reads the events committed after the last cursor it
 * delivered from the table (readEventsAfter), so a burst of notifications costs one read, and a
 * lost connection or a restarted Postgres costs nothing: on reconnecting it reads on from that
 * cursor. A slow safety poll covers a connection that died without saying so.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { Logger } from '../logger.ts';
import { SNAPSHOT_EVENTS_CHANNEL } from '../snapshots/transitions.ts';
import type { SnapshotEvent } from './entity.ts';
import { latestCursor, readEventsAfter } from './log.ts';

/** How the listener connection names itself to Postgres (pg_stat_activity.application_name). */
export const LISTENER_APPLICATION_NAME = 'vsnap-event-listener';

export interface ListenerOptions {
  /** Events read per statement; a longer backlog is read in pages. */
  pageSize: number;
  /** A read however quiet the channel: what a silently dead connection can delay an event by. */
  safetyPollMs: number;
  /** Waits between reconnection attempts (and failed reads): doubling from the first, up to the second. */
  backoffMs: { first: number; max: number };
}

export const DEFAULT_LISTENER_OPTIONS: ListenerOptions = { pageSize: 500, safetyPollMs: 10_000, backoffMs: { first: 100, max: 5_000 } };

export type ListenerState = 'starting' | 'listening' | 'reconnecting' | 'stopped';

/** The cursor of an event: ids are bigints in the table, whatever JS type the entity maps them to. */
export const cursorOf = (event: Pick<SnapshotEvent, 'id'>): bigint => BigInt(event.id);

export class SnapshotEventListener {
  private cursorValue = 0n;
  private client: pg.Client | undefined;
  private stateValue: ListenerState = 'starting';
  private lostAt = 0;
  private pending = false;
  private reading: Promise<void> | undefined;
  private readFailing = false;
  private poll: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  /** Ends the wait between failed reads at once (stop). */
  private endPause: (() => void) | undefined;
  private attempt = 0;
  private readonly options: ListenerOptions;

  constructor(
    private readonly orm: MikroORM,
    private readonly logger: Logger,
    /** Receives each batch of newly committed events, in cursor order, exactly once. */
    private readonly deliver: (events: SnapshotEvent[]) => void,
    options: Partial<ListenerOptions> = {},
  ) {
    this.options = { ...DEFAULT_LISTENER_OPTIONS, ...options };
  }

  /** The last cursor delivered: every event up to it has been handed to `deliver`. */
  get cursor(): bigint {
    return this.cursorValue;
  }

  get state(): ListenerState {
    return this.stateValue;
  }

  /** Starts after the latest committed event; resolves once listening, or once the first attempt failed (it keeps trying). */
  async start(): Promise<void> {
    this.cursorValue = await latestCursor(this.orm.em.fork());
    this.poll = setInterval(() => this.wake(), this.options.safetyPollMs).unref();
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stateValue = 'stopped';
    clearInterval(this.poll);
    clearTimeout(this.retry);
    this.endPause?.();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    await this.reading;
  }

  /** Reads what was committed since the last delivery; calls arriving during a read make one more read. */
  wake(): void {
    if (this.stateValue === 'stopped') return;
    this.pending = true;
    this.reading ??= this.readWhilePending().finally(() => (this.reading = undefined));
  }

  private async readWhilePending(): Promise<void> {
    let failures = 0;
    while (this.pending && this.stateValue !== 'stopped') {
      this.pending = false;
      try {
        await this.readOn();
        if (this.readFailing) this.logger.info({ cursor: String(this.cursorValue) }, 'snapshot events are read again');
        this.readFailing = false;
        failures = 0;
      } catch (error) {
        if (!this.readFailing) this.logger.error({ err: error, cursor: String(this.cursorValue) }, 'cannot read snapshot events; retrying (nothing is skipped)');
        this.readFailing = true;
        this.pending = true;
        await this.pause(this.backoff(failures++));
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.endPause = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => (this.endPause = undefined));
  }

  private async readOn(): Promise<void> {
    for (;;) {
      const events = await readEventsAfter(this.orm.em.fork(), this.cursorValue, this.options.pageSize);
      if (events.length === 0 || this.stateValue === 'stopped') return;
      this.cursorValue = cursorOf(events.at(-1)!);
      this.deliver(events);
      if (events.length < this.options.pageSize) return;
    }
  }

  private async connect(): Promise<void> {
    const { host, port, user, password, database } = this.orm.em.getConnection().getConnectionOptions();
    const client = new pg.Client({ host, port, user, password, database, application_name: LISTENER_APPLICATION_NAME, keepAlive: true });
    client.on('notification', (message) => {
      if (message.channel === SNAPSHOT_EVENTS_CHANNEL) this.wake();
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`listen ${SNAPSHOT_EVENTS_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      if (this.stateValue === 'starting') {
        this.logger.error({ err: error }, 'cannot LISTEN for snapshot events; retrying (subscribers get every event once it works)');
        this.stateValue = 'reconnecting';
        this.lostAt = Date.now();
      }
      this.scheduleReconnect();
      return;
    }
    if (this.stateValue === 'stopped') {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    if (this.stateValue === 'starting') {
      this.logger.info({ channel: SNAPSHOT_EVENTS_CHANNEL, cursor: String(this.cursorValue) }, 'listening for snapshot events');
    } else {
      this.logger.info({ channel: SNAPSHOT_EVENTS_CHANNEL, cursor: String(this.cursorValue), downMs: Date.now() - this.lostAt }, 'listening for snapshot events again; reading on from the last cursor delivered');
    }
    this.stateValue = 'listening';
    this.attempt = 0;
    // Whatever was committed while nobody listened.
    this.wake();
  }

  private lost(client: pg.Client, error?: Error): void {
    if (client !== this.client || this.stateValue === 'stopped') return;
    this.client = undefined;
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    this.stateValue = 'reconnecting';
    this.lostAt = Date.now();
    this.logger.warn({ err: error, cursor: String(this.cursorValue) }, 'lost the LISTEN connection for snapshot events; reconnecting');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stateValue === 'stopped') return;
    this.retry = setTimeout(() => void this.connect(), this.backoff(this.attempt++));
  }

  private backoff(attempt: number): number {
    const { first, max } = this.options.backoffMs;
    const ceiling = Math.min(max, first * 2 ** Math.min(attempt, 20));
    // Full jitter above half: replicas that lost the same server do not come back in step.
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }
}
