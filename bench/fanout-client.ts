/**
 * One client process of bench/fanout.ts: opens its share of graphql-ws connections (BENCH_WS_PER_CONNECTION
 * subscriptions each) and SSE streams, notes when each event arrives on each of them, and reports
 * to the parent over IPC. Not run by hand.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

export interface OpenOrder {
  type: 'open';
  /** http://host:port */
  url: string;
  token: string;
  query: string;
  /** Variables of each subscription, WebSocket ones first, then SSE ones (empty: none). */
  variables: Record<string, unknown>[];
  ws: number;
  sse: number;
  /** Connections being opened at once. */
  concurrency: number;
  /** graphql-ws subscriptions per connection (operation ids 1…n on one socket), as a page with several live views has. */
  perConnection: number;
}

export interface Opened {
  type: 'opened';
  ws: number;
  sse: number;
  failures: string[];
  /** Indexes (into the order's variables) of the subscriptions that could not be opened. */
  failed: number[];
}

export interface Report {
  type: 'report';
  /** Per cursor, when each subscription received it (epoch ms, sub-millisecond). */
  receipts: Record<string, Float64Array>;
  /** Deliveries received so far. */
  delivered: number;
  /** Operation errors by code, close codes of connections closed by the server. */
  errors: Record<string, number>;
  closes: Record<string, number>;
}

export type Order = OpenOrder | { type: 'count' } | { type: 'report' } | { type: 'close' };
export type ClientMessage = Opened | Report | { type: 'count'; delivered: number; closes: Record<string, number> };

/** Wall-clock time in ms with sub-millisecond precision, comparable across processes. */
export const now = () => performance.timeOrigin + performance.now();

/** First element of the subscription's data: its event cursor. */
const CURSOR = /"cursor":"(\d+)"/;

const receipts = new Map<string, number[]>();
const errors: Record<string, number> = {};
const closes: Record<string, number> = {};
const sockets: WebSocket[] = [];
const streams: http.ClientRequest[] = [];
let delivered = 0;

function received(text: string, at: number): void {
  const cursor = CURSOR.exec(text)?.[1];
  if (cursor === undefined) {
    const code = /"code":"([A-Z_]+)"/.exec(text)?.[1] ?? 'NO_CODE';
    errors[code] = (errors[code] ?? 0) + 1;
    return;
  }
  delivered++;
  let times = receipts.get(cursor);
  if (!times) receipts.set(cursor, (times = []));
  times.push(at);
}

function openWebSocket(order: OpenOrder, variables: (Record<string, unknown> | undefined)[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${order.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', { perMessageDeflate: false });
    sockets.push(socket);
    socket.once('error', reject);
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${order.token}` } })));
    socket.on('message', (data: Buffer) => {
      const at = now();
      const text = data.toString('utf8');
      if (text.startsWith('{"type":"connection_ack"')) {
        variables.forEach((each, index) => socket.send(JSON.stringify({ id: String(index + 1), type: 'subscribe', payload: { query: order.query, variables: each } })));
        resolve();
      } else if (!text.includes('"type":"complete"')) {
        received(text, at);
      }
    });
    socket.once('close', (code) => {
      closes[code] = (closes[code] ?? 0) + 1;
      reject(new Error(`closed with ${code} while opening`));
    });
  });
}

function openStream(order: OpenOrder, variables: Record<string, unknown> | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ query: order.query, variables });
    const request = http.request(`${order.url}/graphql`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${order.token}`, 'content-length': Buffer.byteLength(body) },
    });
    streams.push(request);
    request.once('error', reject);
    request.once('response', (response) => {
      if (response.statusCode !== 200) return reject(new Error(`SSE answered ${response.statusCode}`));
      resolve();
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        const at = now();
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith('event: next\n')) received(block, at);
        }
      });
      response.once('end', () => (closes.sse_end = (closes.sse_end ?? 0) + 1));
    });
    request.end(body);
  });
}

async function openAll(order: OpenOrder): Promise<Opened> {
  const failures: string[] = [];
  const failed: number[] = [];
  let opened = { ws: 0, sse: 0 };
  // Each job opens a connection: its subscriptions' indexes into the order's variables.
  const connections: number[][] = [];
  for (let first = 0; first < order.ws; first += order.perConnection) {
    connections.push(Array.from({ length: Math.min(order.perConnection, order.ws - first) }, (_, i) => first + i));
  }
  const jobs: { indexes: number[]; open: () => Promise<void> }[] = [
    ...connections.map((indexes) => ({
      indexes,
      open: () => openWebSocket(order, indexes.map((i) => order.variables[i])).then(() => void (opened.ws += indexes.length)),
    })),
    ...Array.from({ length: order.sse }, (_, i) => ({
      indexes: [order.ws + i],
      open: () => openStream(order, order.variables[order.ws + i]).then(() => void opened.sse++),
    })),
  ];
  let next = 0;
  await Promise.all(
    Array.from({ length: order.concurrency }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        await job.open().catch((error: unknown) => {
          failed.push(...job.indexes);
          if (failures.length < 5) failures.push(error instanceof Error ? error.message : String(error));
        });
      }
    }),
  );
  opened = { ...opened };
  return { type: 'opened', ...opened, failures, failed };
}

function report(): Report {
  return {
    type: 'report',
    receipts: Object.fromEntries([...receipts].map(([cursor, times]) => [cursor, Float64Array.from(times)])),
    delivered,
    errors,
    closes,
  };
}

process.on('message', (order: Order) => {
  const send = (message: ClientMessage) => process.send?.(message);
  if (order.type === 'open') void openAll(order).then(send);
  else if (order.type === 'count') send({ type: 'count', delivered, closes });
  else if (order.type === 'report') send(report());
  else if (order.type === 'close') {
    for (const socket of sockets) socket.terminate();
    for (const stream of streams) stream.destroy();
    process.exit(0);
  }
});
