/**
 * The stream useSubscriptionExpiry puts in place of a subscription's, driven through the plugin's
 * own hooks (as envelop calls them) with a source whose every step the test decides: what it hands
 * over, how it ends, when the source is asked to return, and the expiry schedule's timers. The
 * transports' side (SSE, graphql-ws) is in test/auth/subscription-expiry.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TokenExpiredError } from '../../src/errors.ts';
import { ExpirySchedule, tokenExpiries, useSubscriptionExpiry } from '../../src/http/subscription-expiry.ts';

/** A source the test steps by hand: `next()` waits until `push`, `end` or `fail`. */
class Source implements AsyncIterableIterator<number> {
  nextCalls = 0;
  returnCalls = 0;
  private waiting: { resolve(step: IteratorResult<number>): void; reject(error: unknown): void } | undefined;

  next(): Promise<IteratorResult<number>> {
    this.nextCalls += 1;
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<number>> {
    this.returnCalls += 1;
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  push(value: number): void {
    this.waiting!.resolve({ done: false, value });
  }

  end(): void {
    this.waiting!.resolve({ done: true, value: undefined });
  }

  fail(error: unknown): void {
    this.waiting!.reject(error);
  }
}

/** The plugin's stream around `source` for a caller whose token expires at `expiresAt`. */
function expiring(source: Source, expiresAt: Date): AsyncIterableIterator<number> {
  const plugin = useSubscriptionExpiry();
  const hooks = plugin.onSubscribe!({ args: { contextValue: { viewer: { expiresAt } } } } as never) as unknown as {
    onSubscribeResult(payload: { result: unknown; setResult(result: unknown): void }): void;
  };
  let stream: AsyncIterableIterator<number> | undefined;
  hooks.onSubscribeResult({ result: source, setResult: (result) => (stream = result as AsyncIterableIterator<number>) });
  return stream!;
}

const DONE = { done: true, value: undefined };
const inAnHour = () => new Date(Date.now() + 3_600_000);
const settle = () => new Promise((resolve) => setImmediate(resolve));

afterEach(() => vi.useRealTimers());

describe('the expiring stream', () => {
  it("hands over the source's steps until it ends, then done without asking the source again, and its expiry is no longer waited for", async () => {
    const waitedBefore = tokenExpiries.size;
    const source = new Source();
    const stream = expiring(source, inAnHour());
    expect(tokenExpiries.size).toBe(waitedBefore + 1);
    const first = stream.next();
    source.push(1);
    expect(await first).toEqual({ done: false, value: 1 });
    const last = stream.next();
    source.end();
    expect(await last).toEqual(DONE);
    expect(await stream.next()).toEqual(DONE);
    expect(source.nextCalls).toBe(2);
    expect(source.returnCalls).toBe(0);
    expect(tokenExpiries.size).toBe(waitedBefore);
  });

  it('hands over a failing source\'s error once (a non-Error as an Error of its text), then done; the source, ended, is not asked to return', async () => {
    for (const [thrown, message] of [[new Error('boom'), 'boom'], ['bad', 'bad']] as const) {
      const waitedBefore = tokenExpiries.size;
      const source = new Source();
      const stream = expiring(source, inAnHour());
      const step = stream.next();
      source.fail(thrown);
      const error = await step.then(() => undefined, (caught: unknown) => caught);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toBe(message);
      expect(await stream.next()).toEqual(DONE);
      expect(source.nextCalls).toBe(1);
      expect(source.returnCalls).toBe(0);
      expect(tokenExpiries.size).toBe(waitedBefore);
    }
  });

  it('return() while a next() waits: that next() is done at once, the source asked to return once, its late step dropped', async () => {
    const waitedBefore = tokenExpiries.size;
    const source = new Source();
    const stream = expiring(source, inAnHour());
    const waiting = stream.next();
    expect(await stream.return!()).toEqual(DONE);
    expect(await waiting).toEqual(DONE);
    expect(source.returnCalls).toBe(1);
    source.push(7);
    await settle();
    expect(await stream.next()).toEqual(DONE);
    expect(await stream.return!()).toEqual(DONE);
    expect(source.nextCalls).toBe(1);
    expect(source.returnCalls).toBe(1);
    expect(tokenExpiries.size).toBe(waitedBefore);
  });

  it('throw(error) rejects with it and asks the source to return', async () => {
    const source = new Source();
    const stream = expiring(source, inAnHour());
    await expect(stream.throw!('stop')).rejects.toThrow(new Error('stop'));
    expect(source.returnCalls).toBe(1);
    expect(await stream.next()).toEqual(DONE);
  });

  it('at expiry a waiting next() rejects with UNAUTHENTICATED at once, the source is asked to return; then done', async () => {
    const source = new Source();
    const stream = expiring(source, new Date(Date.now() + 80));
    const waiting = stream.next();
    const error = await waiting.then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenExpiredError);
    expect((error as TokenExpiredError).code).toBe('UNAUTHENTICATED');
    expect(source.returnCalls).toBe(1);
    expect(await stream.next()).toEqual(DONE);
    expect(source.nextCalls).toBe(1);
  });

  it('expired with no next() waiting: the next next() rejects with UNAUTHENTICATED without asking the source, then done', async () => {
    const source = new Source();
    const stream = expiring(source, new Date(Date.now() + 20));
    await new Promise((resolve) => setTimeout(resolve, 60));
    await expect(stream.next()).rejects.toBeInstanceOf(TokenExpiredError);
    expect(await stream.next()).toEqual(DONE);
    expect(source.nextCalls).toBe(0);
    expect(source.returnCalls).toBe(1);
  });

  it('a token already expired ends the stream at once', async () => {
    const source = new Source();
    const stream = expiring(source, new Date(Date.now() - 1));
    await expect(stream.next()).rejects.toBeInstanceOf(TokenExpiredError);
    expect(source.nextCalls).toBe(0);
  });
});

describe('the expiry schedule, on a fake clock', () => {
  it('tells a target whose instant is now at once; keeps no timer for an instant nobody waits for', () => {
    vi.useFakeTimers({ now: new Date('2026-11-29T12:00:00Z') });
    const schedule = new ExpirySchedule();
    const told: string[] = [];
    schedule.add(new Date(Date.now()), { expire: () => told.push('now') });
    expect(told).toEqual(['now']);
    expect(vi.getTimerCount()).toBe(0);

    const target = { expire: () => told.push('later') };
    const at = new Date(Date.now() + 1_000);
    schedule.add(at, target);
    expect(vi.getTimerCount()).toBe(1);
    schedule.delete(at, target);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(2_000);
    expect(told).toEqual(['now']);
  });
});
