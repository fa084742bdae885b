/**
 * `BENCH_FLOOR=1 npm run bench:fanout`: the same clients, subscriptions and pacing as the real
 * run, against a server with nothing of vsnap — what this machine can do at best with one write
 * per subscriber per event. It speaks just enough of both transports for bench/fanout-client.ts:
 * graphql-ws (`connection_ack` to any `connection_init`, each `subscribe` noted) and SSE (any POST
 * to /graphql answered `200 text/event-stream` and held open), counts them on /metrics as vsnap
 * does, and on each `{ broadcast: cursor }` from the bench (over IPC, instead of a commit) writes
 * one `next` message with a snapshotEvents-sized payload to every subscription at once: one
 * `JSON.stringify` per message, as a graphql-ws server does, and one SSE block per stream.
 * Started by bench/fanout-processes.ts with bench/fanout-probe.ts preloaded (memory, profiles).
 */
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

const sockets = new Map<WebSocket, string[]>();
const streams = new Set<http.ServerResponse>();

const payloadFor = (cursor: number) => ({
  data: {
    snapshotEvents: {
      cursor: String(cursor),
      kind: 'STATUS_CHANGED',
      snapshotId: 'a3f1c2d4-0000-4000-8000-000000000000',
      virtualClusterId: 'b3f1c2d4-0000-4000-8000-000000000000',
      from: 'SCHEDULED',
      to: 'IN_PROGRESS',
      at: new Date().toISOString(),
    },
  },
});

function broadcast(cursor: number): void {
  const payload = payloadFor(cursor);
  for (const [socket, ids] of sockets) for (const id of ids) socket.send(JSON.stringify({ id, type: 'next', payload }));
  const block = `event: next\ndata: ${JSON.stringify(payload)}\n\n`;
  for (const response of streams) response.write(block);
}

const server = http.createServer((request, response) => {
  if (request.url === '/metrics') {
    let subscriptions = 0;
    for (const ids of sockets.values()) subscriptions += ids.length;
    response.end(`vsnap_subscriptions_active{transport="graphql-ws"} ${subscriptions}\nvsnap_subscriptions_active{transport="sse"} ${streams.size}\n`);
    return;
  }
  request.resume();
  request.once('end', () => {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    response.flushHeaders();
    streams.add(response);
    response.once('close', () => streams.delete(response));
  });
});

const webSockets = new WebSocketServer({ server, path: '/graphql' });
webSockets.on('connection', (socket) => {
  const ids: string[] = [];
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString('utf8')) as { type: string; id?: string };
    if (message.type === 'connection_init') {
      sockets.set(socket, ids);
      socket.send('{"type":"connection_ack"}');
    } else if (message.type === 'subscribe' && message.id !== undefined) {
      ids.push(message.id);
    }
  });
  socket.once('close', () => sockets.delete(socket));
});

process.on('message', (order: unknown) => {
  if (typeof order === 'object' && order !== null && 'broadcast' in order) broadcast((order as { broadcast: number }).broadcast);
});

process.once('SIGTERM', () => {
  for (const socket of sockets.keys()) socket.close(1001, 'server shutting down');
  for (const response of streams) response.end();
  server.close(() => process.exit(0));
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  // The line startService waits for, as src/main.ts logs it.
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}/graphql`, msg: 'vsnap is serving GraphQL' }));
});
