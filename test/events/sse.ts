/**
 * A GraphQL-over-SSE client (distinct connections mode, as Hive Gateway talks to subgraphs):
 * one POST with `Accept: text/event-stream` per subscription, read with fetch (undici).
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import { waitFor } from '../server/helpers.ts';

export interface SseSubscription<T> {
  status: number;
  headers: Headers;
  /** Every `next` payload received so far, in order. */
  results: ExecutionResult<T>[];
  /** Whether the server sent `complete`. */
  readonly completed: boolean;
  /** Whether the stream has ended (complete, or the connection closed). */
  readonly ended: boolean;
  /** The body of a response that is not a stream (an HTTP error). */
  text?: string;
  /** Waits until `check` holds of the results, failing after `timeoutMs`. */
  until(what: string, check: (results: ExecutionResult<T>[]) => boolean, timeoutMs?: number): Promise<ExecutionResult<T>[]>;
  /** Waits until the stream ends. */
  closed(timeoutMs?: number): Promise<void>;
  /** Drops the connection, as a client that goes away. */
  abort(): void;
}

export async function subscribeSse<T, V>(
  url: string,
  document: TypedDocumentNode<T, V>,
  variables: V,
  token: string | undefined,
): Promise<SseSubscription<T>> {
  const controller = new AbortController();
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query: print(document), variables }),
    signal: controller.signal,
  });
  let completed = false;
  let ended = false;
  const results: ExecutionResult<T>[] = [];
  const subscription: SseSubscription<T> = {
    status: response.status,
    headers: response.headers,
    results,
    get completed() {
      return completed;
    },
    get ended() {
      return ended;
    },
    async until(what, check, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!check(results)) {
        if (ended) throw new Error(`the stream ended before ${what}: ${JSON.stringify(results)}`);
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(results)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return results;
    },
    async closed(timeoutMs = 20_000) {
      await waitFor('the stream to end', () => ended, timeoutMs);
    },
    abort: () => controller.abort(),
  };
  if (response.status !== 200 || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
    subscription.text = await response.text();
    ended = true;
    return subscription;
  }
  void (async () => {
    const decoder = new TextDecoder();
    let pending = '';
    try {
      const reader = response.body!.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        pending += decoder.decode(chunk.value, { stream: true });
        for (let end = pending.indexOf('\n\n'); end !== -1; end = pending.indexOf('\n\n')) {
          const message = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const event = /^event: (\w+)$/m.exec(message)?.[1];
          const data = message.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trimStart()).join('\n');
          if (event === 'next') results.push(JSON.parse(data) as ExecutionResult<T>);
          if (event === 'complete') completed = true;
        }
      }
    } catch {
      // Aborted, or the server dropped the connection: `ended` says so.
    } finally {
      ended = true;
    }
  })();
  return subscription;
}
