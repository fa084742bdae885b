import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Viewer } from '../auth/viewer.ts';
import { TokenExpiredError } from '../errors.ts';

/** setTimeout's longest delay (about 24.8 days); a later instant is reached in several steps. */
const MAX_TIMER_MS = 2_147_483_647;

/** Calls `callback` at `at` (at once when it has passed); returns the cancel. The timer never holds the process open. */
export function atInstant(at: Date, callback: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const delay = at.getTime() - Date.now();
    if (delay <= 0) return callback();
    timer = setTimeout(arm, Math.min(delay, MAX_TIMER_MS)).unref();
  };
  arm();
  return () => clearTimeout(timer);
}

type Ending = 'expired' | 'shutdown';

interface Endable {
  end(ending: Ending): void;
}

/**
 * The subscriptions live in this process, whatever their transport (SSE through yoga, graphql-ws
 * through yoga's envelop), each wrapped so that:
 *   - when its caller's token expires it ends with an UNAUTHENTICATED error (TokenExpiredError):
 *     over SSE a last `next` carrying it, then `complete`; over graphql-ws an `error` message;
 *   - on shutdown it completes (the WebSocket connections are closed with 1001 besides, see
 *     websocket.ts), and one started during the shutdown completes at once.
 * The subscription fields themselves need nothing for either.
 */
export function liveSubscriptions() {
  const live = new Set<Endable>();
  let closing = false;
  const plugin: Plugin = {
    onSubscribe({ args }) {
      const viewer = viewerOf(args.contextValue);
      return {
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable(result)) return;
          const subscription = new LiveSubscription(result[Symbol.asyncIterator](), (ended) => live.delete(ended));
          live.add(subscription);
          if (closing) subscription.end('shutdown');
          else if (viewer?.expiresAt) subscription.endAt(viewer.expiresAt);
          setResult(subscription);
        },
      };
    },
  };
  return {
    plugin,
    /** Subscriptions live now. */
    get size() {
      return live.size;
    },
    /** Completes every live subscription, and from now on each new one at once. */
    shutdown(): void {
      closing = true;
      for (const subscription of live) subscription.end('shutdown');
    },
  };
}
export type LiveSubscriptions = ReturnType<typeof liveSubscriptions>;

function viewerOf(context: unknown): Viewer | undefined {
  if (typeof context !== 'object' || context === null || !('viewer' in context)) return undefined;
  return context.viewer as Viewer;
}

/**
 * A subscription's event stream that can be ended from outside while its consumer waits for the
 * next event. Not an async generator: a generator's return() waits for the pending next(), so a
 * closed connection would hold its subscription until the next event, and expiry could not end it.
 */
class LiveSubscription<T> implements AsyncIterableIterator<T>, Endable {
  private waiting: ((step: IteratorResult<T> | PromiseLike<IteratorResult<T>>) => void) | undefined;
  private ending: Ending | undefined;
  private finished = false;
  private cancelTimer: (() => void) | undefined;

  constructor(
    private readonly source: AsyncIterator<T>,
    private readonly onFinished: (subscription: Endable) => void,
  ) {}

  endAt(expiresAt: Date): void {
    this.cancelTimer = atInstant(expiresAt, () => this.end('expired'));
  }

  next(): Promise<IteratorResult<T>> {
    if (this.ending) return this.endingStep();
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

  /** Ends the stream now: an expiry as a TokenExpiredError, a shutdown as its completion. */
  end(ending: Ending): void {
    if (this.finished) return;
    this.ending = ending;
    this.finish(true);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(this.endingStep());
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

  /** The step an ending gives, once: the expiry error, or completion; done after that. */
  private endingStep(): Promise<IteratorResult<T>> {
    const ending = this.ending;
    this.ending = undefined;
    if (ending === 'expired') {
      return Promise.reject(new TokenExpiredError('the token expired: subscribe again with a new token (and `since`, the last cursor received)'));
    }
    return Promise.resolve({ done: true, value: undefined });
  }

  private finish(releaseSource: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.cancelTimer?.();
    this.onFinished(this);
    // Not awaited: a source may finish its return() only after its own pending step.
    if (releaseSource) void this.source.return?.()?.catch(() => undefined);
  }
}
