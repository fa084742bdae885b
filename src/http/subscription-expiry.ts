import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Viewer } from '../auth/viewer.ts';
import { TokenExpiredError } from '../errors.ts';

/** setTimeout's longest delay (about 24.8 days); a later instant is reached in several steps. */
const MAX_TIMER_MS = 2_147_483_647;

/** Told when its instant comes. */
export interface Expiring {
  expire(): void;
}

interface Due {
  targets: Set<Expiring>;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The token expiries of this process's live subscriptions and connections: one timer per
 * distinct instant, not one per subscription. A JWT's `exp` is whole seconds, so every
 * subscription of one token (a connection's several, a gateway's many) waits on one timer. The
 * timers never hold the process open.
 */
export class ExpirySchedule {
  private readonly due = new Map<number, Due>();

  /** Tells `target` at `at`, or at once when `at` has passed. */
  add(at: Date, target: Expiring): void {
    const instant = at.getTime();
    if (instant <= Date.now()) return target.expire();
    let due = this.due.get(instant);
    if (!due) {
      this.due.set(instant, (due = { targets: new Set(), timer: undefined }));
      this.arm(instant, due);
    }
    due.targets.add(target);
  }

  /** `target` is no longer told (a no-op once told). */
  delete(at: Date, target: Expiring): void {
    const instant = at.getTime();
    const due = this.due.get(instant);
    if (!due?.targets.delete(target) || due.targets.size > 0) return;
    clearTimeout(due.timer);
    this.due.delete(instant);
  }

  /** Instants waited for now (for tests). */
  get size(): number {
    return this.due.size;
  }

  private arm(instant: number, due: Due): void {
    const delay = instant - Date.now();
    if (delay > 0) {
      due.timer = setTimeout(() => this.arm(instant, due), Math.min(delay, MAX_TIMER_MS)).unref();
      return;
    }
    this.due.delete(instant);
    for (const target of due.targets) target.expire();
  }
}

/** The process's schedule of token expiries. */
export const tokenExpiries = new ExpirySchedule();

/**
 * Ends every subscription, whatever its transport (SSE through yoga, graphql-ws through yoga's
 * envelop), when its caller's token expires: with an UNAUTHENTICATED error (TokenExpiredError),
 * over SSE a last `next` carrying it, then `complete`; over graphql-ws an `error` message (the
 * connection is then closed with 4403, see websocket.ts). The subscription fields need nothing for it.
 */
export function useSubscriptionExpiry(): Plugin {
  return {
    onSubscribe({ args }) {
      const expiresAt = viewerOf(args.contextValue)?.expiresAt;
      if (!expiresAt) return undefined;
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) setResult(new ExpiringSubscription(result[Symbol.asyncIterator](), expiresAt));
        },
      };
    },
  };
}

function viewerOf(context: unknown): Viewer | undefined {
  if (typeof context !== 'object' || context === null || !('viewer' in context)) return undefined;
  return context.viewer as Viewer;
}

/**
 * A subscription's event stream that ends at `expiresAt`, even while its consumer waits for the
 * next event. Not an async generator: a generator's return() waits for the pending next(), so a
 * closed connection would hold its subscription until the next event, and expiry could not end it.
 */
class ExpiringSubscription<T> implements AsyncIterableIterator<T>, Expiring {
  private waiting: ((step: IteratorResult<T> | PromiseLike<IteratorResult<T>>) => void) | undefined;
  private expired = false;
  private finished = false;

  constructor(
    private readonly source: AsyncIterator<T>,
    private readonly expiresAt: Date,
  ) {
    // Already past (a graphql-ws connection's token may expire between its operations): ends at once.
    tokenExpiries.add(expiresAt, this);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.expired) return this.expiryStep();
    if (this.finished) return Promise.resolve({ done: true, value: undefined });
    return new Promise<IteratorResult<T>>((resolve) => {
      this.waiting = resolve;
      this.source.next().then(
        (step) => {
          if (this.waiting !== resolve) return; // ended meanwhile: the step is dropped
          this.waiting = undefined;
          if (step.done) this.finish(false);
          resolve(step);
        },
        (error: unknown) => {
          if (this.waiting !== resolve) return;
          this.waiting = undefined;
          this.finish(false);
          resolve(Promise.reject(error instanceof Error ? error : new Error(String(error))));
        },
      );
    });
  }

  /** Ends the stream now with a TokenExpiredError. */
  expire(): void {
    if (this.finished) return;
    this.expired = true;
    this.finish(true);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(this.expiryStep());
  }

  return(): Promise<IteratorResult<T>> {
    this.finish(true);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ done: true, value: undefined });
    return Promise.resolve({ done: true, value: undefined });
  }

  throw(error: unknown): Promise<IteratorResult<T>> {
    void this.return();
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The expiry error, once; done after that. */
  private expiryStep(): Promise<IteratorResult<T>> {
    this.expired = false;
    return Promise.reject(new TokenExpiredError('the token expired: subscribe again with a new token (and `since`, the last cursor received)'));
  }

  private finish(releaseSource: boolean): void {
    if (this.finished) return;
    this.finished = true;
    tokenExpiries.delete(this.expiresAt, this);
    // Not awaited: a source may finish its return() only after its own pending step.
    if (releaseSource) void this.source.return?.()?.catch(() => undefined);
  }
}
