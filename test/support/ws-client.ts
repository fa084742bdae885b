/** A raw `ws` client speaking graphql-transport-ws by hand, so tests see every message and close code. */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import WebSocket from 'ws';

export interface ProtocolMessage {
  type: string;
  id?: string;
  payload?: unknown;
}

export interface RawSocket {
  socket: WebSocket;
  /** Sends a message (an object as JSON, a string as it is). */
  send(message: object | string): void;
  /** The next message not yet read, waiting up to `timeoutMs` (rejects if the connection closes first). */
  next(timeoutMs?: number): Promise<ProtocolMessage>;
  /** Every message received so far, read or not. */
  received: ProtocolMessage[];
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export const GRAPHQL_WS_PROTOCOL = 'graphql-transport-ws';

export function wsUrl(httpUrl: string, path = '/graphql'): string {
  return `${httpUrl.replace(/^http/, 'ws')}${path}`;
}

/** Opens a WebSocket to `url` (`ws://…/graphql`) with the graphql-transport-ws subprotocol unless told otherwise. */
export async function openSocket(url: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<RawSocket> {
  const socket = new WebSocket(url, options.protocols ?? [GRAPHQL_WS_PROTOCOL], { headers: options.headers });
  const received: ProtocolMessage[] = [];
  let read = 0;
  let wake: (() => void) | undefined;
  socket.on('message', (data: Buffer) => {
    received.push(JSON.parse(data.toString('utf8')) as ProtocolMessage);
    wake?.();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.once('close', (code, reason) => {
      resolve({ code, reason: reason.toString('utf8') });
      wake?.();
    });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  return {
    socket,
    received,
    closed,
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    async next(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (read >= received.length) {
        if (socket.readyState === WebSocket.CLOSED) throw new Error(`the connection closed (${JSON.stringify(await closed)}) before another message came`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no message within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
      return received[read++]!;
    },
    async close() {
      if (socket.readyState !== WebSocket.CLOSED) socket.close(1000);
      await closed;
    },
  };
}

/** The HTTP status an upgrade request is refused with, or 101 when it is accepted (the connection is then closed). */
export function upgradeStatus(url: string, options: { headers?: Record<string, string>; protocols?: string[] } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options.protocols ?? [GRAPHQL_WS_PROTOCOL], { headers: options.headers });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => {
      resolve(101);
      socket.terminate();
    });
    socket.once('error', (error) => reject(error));
  });
}

/** A connection whose connection_init (with `authorization` in connectionParams) was acknowledged. */
export async function ackedSocket(url: string, authorization: string): Promise<RawSocket> {
  const socket = await openSocket(url);
  socket.send({ type: 'connection_init', payload: { authorization } });
  const ack = await socket.next();
  if (ack.type !== 'connection_ack') throw new Error(`expected connection_ack, got ${JSON.stringify(ack)}`);
  return socket;
}

/** Runs one query or mutation over `socket` as operation `id`: its `next` payload, then its `complete`. */
export async function wsRequest(socket: RawSocket, id: string, query: string, variables: Record<string, unknown> = {}): Promise<unknown> {
  socket.send({ id, type: 'subscribe', payload: { query, variables } });
  const result = await socket.next();
  if (result.type !== 'next' || result.id !== id) return result;
  const complete = await socket.next();
  if (complete.type !== 'complete' || complete.id !== id) throw new Error(`expected complete for ${id}, got ${JSON.stringify(complete)}`);
  return result.payload;
}

/** One subscription over a connection of its own, shaped like test/events/sse.ts's SseSubscription. */
export interface WsSubscription<T> {
  socket: RawSocket;
  /** Every `next` payload received so far, in order; an `error` message is pushed as `{ errors }`. */
  results: ExecutionResult<T>[];
  /** Whether the operation ended with `complete` or `error`. */
  readonly completed: boolean;
  /** Whether the operation got an `error` message. */
  readonly failed: boolean;
  until(what: string, check: (results: ExecutionResult<T>[]) => boolean, timeoutMs?: number): Promise<ExecutionResult<T>[]>;
  /** Waits until the operation ends (complete, error, or the connection closes). */
  ended(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Connects with `token` in connectionParams, subscribes to `document` as operation "1", and collects what comes. */
export async function subscribeWs<T, V>(httpUrl: string, document: TypedDocumentNode<T, V>, variables: V, token: string): Promise<WsSubscription<T>> {
  const socket = await ackedSocket(wsUrl(httpUrl), `Bearer ${token}`);
  const results: ExecutionResult<T>[] = [];
  let completed = false;
  let failed = false;
  let connectionClosed = false;
  void socket.closed.then(() => (connectionClosed = true));
  socket.socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString('utf8')) as ProtocolMessage;
    if (message.id !== '1') return;
    if (message.type === 'next') results.push(message.payload as ExecutionResult<T>);
    if (message.type === 'error') {
      results.push({ errors: message.payload } as ExecutionResult<T>);
      failed = completed = true;
    }
    if (message.type === 'complete') completed = true;
  });
  socket.send({ id: '1', type: 'subscribe', payload: { query: print(document), variables } });
  const ended = () => completed || connectionClosed;
  return {
    socket,
    results,
    get completed() {
      return completed;
    },
    get failed() {
      return failed;
    },
    async until(what, check, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!check(results)) {
        if (ended()) throw new Error(`the operation ended before ${what}: ${JSON.stringify(results)}`);
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(results)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return results;
    },
    async ended(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!ended()) {
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the operation to end: ${JSON.stringify(results)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close: () => socket.close(),
  };
}
