import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Viewer } from '../auth/viewer.ts';
import { TokenExpiredError } from '../errors.ts';

/** setTimeout's longest delay (about 24.8 days); a later instant is reached in several steps. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Calls `callback` at `at` (at once when it has passed); `cancel` stops it. The timer never
 * holds the process open. A class, not closures: one is made per live subscription.
 */
export class InstantTimer {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly at: Date,
    private readonly callback: () => void,
  ) {
    InstantTimer.arm(this);
  }

  private static arm(this: void, instant: InstantTimer): void {
    const delay = instant.at.getTime() - Date.now();
    if (delay <= 0) return instant.callback();
    instant.timer = setTimeout(InstantTimer.arm, Math.min(delay, MAX_TIMER_MS), instant).unref();
  }

  cancel(): void {
    clearTimeout(this.timer);
  }
}

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
class ExpiringSubscription<T> implements AsyncIterableIterator<T> {
  private waiting: ((step: IteratorResult<T> | PromiseLike<IteratorResult<T>>) => void) | undefined;
  private expired = false;
  private finished = false;
  private readonly timer: InstantTimer;

  constructor(
    private readonly source: AsyncIterator<T>,
    expiresAt: Date,
  ) {
    // Already past (a graphql-ws connection's token may expire between its operations): ends at once.
    this.timer = new InstantTimer(expiresAt, () => this.expire());
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
  private expire(): void {
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
    this.timer.cancel();
    // Not awaited: a source may finish its return() only after its own pending step.
    if (releaseSource) void this.source.return?.()?.catch(() => undefined);
  }
}
