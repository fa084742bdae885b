/**
 * Live events computed once per group of identical subscriptions. Every subscriber of this
 * process receives the same event object from the feed; subscribers with the same document,
 * operation, variables and access (Viewer.accessKey: what the authorization rules read) get the
 * same result for it, so the first of a group to take an event executes the selection set, and
 * the others reuse the result (and, over SSE, its JSON). An event no subscriber holds any more is
 * collected with its results (a WeakMap keyed by the event). 10,000 subscribers of one query
 * cost one execution per event instead of 10,000.
 *
 * Only the per-event execution is shared: each subscription still runs its own subscribe
 * resolver (authorization, filter, `since` replay), and its own plugins see every result.
 */
import { buildExecutionContext, execute } from '@graphql-tools/executor';
import { createSourceEventStream, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Viewer } from '../auth/viewer.ts';

/** The result, and its JSON once asked for. */
export interface SharedResult extends ExecutionResult {
  /** yoga's SSE writes `stringify(result)` when a result has one: the JSON made once. */
  stringify?: (result: ExecutionResult) => string;
}

type Subscribe = (args: ExecutionArgs) => unknown;

export function useSharedSubscriptionResults(): Plugin<{ viewer?: Viewer }> {
  const resultsByEvent: ResultsByEvent = new WeakMap();
  const documentIds = new WeakMap<DocumentNode, number>();
  let documents = 0;
  const documentId = (document: DocumentNode) => {
    let id = documentIds.get(document);
    if (id === undefined) documentIds.set(document, (id = ++documents));
    return id;
  };

  const sharedSubscribe = (subscribe: Subscribe) => async (args: ExecutionArgs) => {
    const viewer = (args.contextValue as { viewer?: Viewer } | undefined)?.viewer;
    // Arguments that do not make an execution context (bad variables): answered, and coded, as usual.
    if (!viewer || !('schema' in buildExecutionContext(args))) return subscribe(args);
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source;
    // What subscribing read (rows, authorization decisions) is not kept while the subscription waits.
    (args.contextValue as { refresh?: () => void }).refresh?.();
    const group = JSON.stringify([documentId(args.document), args.operationName ?? null, args.variableValues ?? null, viewer.accessKey]);
    return new SharedResultStream(source[Symbol.asyncIterator](), args, group, resultsByEvent);
  };

  return {
    onSubscribe({ subscribeFn, setSubscribeFn }) {
      setSubscribeFn(sharedSubscribe(subscribeFn as Subscribe) as typeof subscribeFn);
    },
  };
}

type ResultsByEvent = WeakMap<object, Map<string, Promise<SharedResult>>>;

/**
 * One subscription's results: each event of its source executed, or taken from its group.
 * A class, not a mapped iterator of closures: one is held per idle subscription.
 */
class SharedResultStream implements AsyncIterableIterator<SharedResult> {
  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly args: ExecutionArgs,
    private readonly group: string,
    private readonly resultsByEvent: ResultsByEvent,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<SharedResult, undefined>> {
    const step = await this.source.next();
    if (step.done) return { done: true, value: undefined };
    return { done: false, value: await this.resultFor(step.value) };
  }

  async return(): Promise<IteratorResult<SharedResult, undefined>> {
    await this.source.return?.();
    return { done: true, value: undefined };
  }

  async throw(error: unknown): Promise<IteratorResult<SharedResult, undefined>> {
    await this.source.return?.();
    throw error;
  }

  private resultFor(event: unknown): Promise<SharedResult> {
    if (typeof event !== 'object' || event === null) return executeFor(this.args, event);
    let results = this.resultsByEvent.get(event);
    if (!results) this.resultsByEvent.set(event, (results = new Map()));
    let result = results.get(this.group);
    if (!result) results.set(this.group, (result = executeFor(this.args, event)));
    return result;
  }
}

/** The operation's result for one event, its JSON made once. */
async function executeFor(args: ExecutionArgs, event: unknown): Promise<SharedResult> {
  return serialisedOnce((await execute({ ...args, rootValue: event })) as ExecutionResult);
}

/**
 * The result with its JSON made on first use and kept, for yoga's SSE (graphql-ws serialises
 * `{ id, type, payload }` itself). Not enumerable: a plugin that copies the result (error masking
 * rewrites errors) copies the data only, and serialises its copy.
 */
function serialisedOnce(result: ExecutionResult): SharedResult {
  let json: string | undefined;
  const text = () => (json ??= JSON.stringify({ ...result }));
  Object.defineProperty(result, 'stringify', { value: text, enumerable: false });
  return result;
}
