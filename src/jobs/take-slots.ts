/**
 * A worker's take slots: SNAPSHOT_CONCURRENCY snapshots at a time, claimed straight from the
 * SCHEDULED rows, oldest first, skipping clusters with a snapshot in progress. The snapshot row
 * is the queue: the due-finder requests nothing per snapshot (10,000 ticks are 10,000 rows, not
 * 10,000 job inserts too), and a SCHEDULED snapshot whose request was lost is taken all the same,
 * by whichever worker's slot comes to it first. A `take-snapshot` job (an API's request, a
 * deferred retry) runs its snapshot in a free slot, or leaves it to the slots when none is free.
 *
 * Slots look for work when one frees, when woken (a due-finder pass committed, here or, by
 * NOTIFY, elsewhere) and every `pollMs` meanwhile.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../logger.ts';
import { Rerun } from './rerun.ts';

export interface TakeSlotsDeps {
  orm: MikroORM;
  logger: Logger;
  capacity: number;
  pollMs: number;
  /**
   * Takes one snapshot (claim, archive, final status); never rejects for the snapshot's own
   * failure. `picked`: a slot chose it from the rows (another worker's slot may have too).
   */
  take: (snapshotId: string, picked: boolean) => Promise<unknown>;
}

export class TakeSlots {
  /** The takes in the slots, with their snapshots' ids (a slot never picks one being taken here). */
  private readonly taking = new Set<{ snapshotId: string; done: Promise<void> }>();
  /** Fillings, one at a time; then the next poll is armed. */
  private readonly filling = new Rerun(
    async () => {
      try {
        await this.fill();
        if (this.failing) this.deps.logger.info('the take slots read scheduled snapshots again');
        this.failing = false;
      } catch (error) {
        // Once per outage, not once per poll.
        if (!this.failing) this.deps.logger.error({ err: error }, 'looking for scheduled snapshots failed; the slots look again every poll');
        this.failing = true;
      }
    },
    () => {
      if (this.closed) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.wake(), this.deps.pollMs);
      this.timer.unref();
    },
  );
  private closed = false;
  private failing = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: TakeSlotsDeps) {}

  start(): void {
    this.wake();
  }

  /** Stops looking for work; the takes under way go on (see settled()). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  /** Resolves when every take under way has ended. */
  async settled(): Promise<void> {
    while (this.taking.size) await Promise.allSettled([...this.taking].map((take) => take.done));
  }

  /**
   * Takes `snapshotId` in a free slot; undefined when every slot is busy (or closed): a slot comes
   * to it later. A snapshot already being taken here is claimed again all the same: the claim
   * finds it this process's own and leaves it be.
   */
  tryTake(snapshotId: string): Promise<void> | undefined {
    if (this.closed || this.taking.size >= this.deps.capacity) return undefined;
    return this.occupy(snapshotId, false);
  }

  /** Fills the free slots with the oldest SCHEDULED snapshots (or right after the filling under way). */
  wake(): void {
    if (!this.closed) void this.filling.run();
  }

  private async fill(): Promise<void> {
    while (!this.closed && this.taking.size < this.deps.capacity) {
      const next = await this.next();
      if (!next || this.closed) return;
      void this.occupy(next, true);
    }
  }

  /**
   * The oldest SCHEDULED snapshot not taken here, of a cluster with nothing in progress. Another
   * worker may pick the same one at the same moment: the claim's row lock and the state machine
   * let one take it; the other's take finds it taken and its slot moves on.
   */
  private async next(): Promise<string | undefined> {
    const [row] = await this.deps.orm.em.fork().execute<{ id: string }[]>(
      `select s.id from snapshot s
       where s.status = 'SCHEDULED' and s.scheduled_at <= now() and s.id <> all(?::uuid[])
         and not exists (select 1 from snapshot p where p.virtual_cluster_id = s.virtual_cluster_id and p.status = 'IN_PROGRESS')
       order by s.scheduled_at limit 1 for update of s skip locked`,
      // A Postgres array literal: knex would spread a JavaScript array into a list.
      [`{${[...this.taking].map((take) => take.snapshotId).join(',')}}`],
    );
    return row?.id;
  }

  private occupy(snapshotId: string, picked: boolean): Promise<void> {
    const take = { snapshotId, done: Promise.resolve() };
    take.done = this.deps
      .take(snapshotId, picked)
      .then(
        () => undefined,
        (error: unknown) => this.deps.logger.error({ err: error, snapshotId }, 'taking a snapshot failed unexpectedly'),
      )
      .finally(() => {
        this.taking.delete(take);
        this.wake();
      });
    this.taking.add(take);
    return take.done;
  }
}
