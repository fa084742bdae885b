/**
 * `npm run bench:ws-floor`: what one WebSocket message costs this machine with nothing of vsnap
 * in the way — a bare `ws` server sending a snapshotEvents-sized `next` message to BENCH_WS
 * connections held by two client processes, BENCH_ROUNDS times. Prints the server's CPU per
 * send (user and system) and the time one round takes: the floor under `bench:fanout`'s CPU per
 * delivery, since every subscriber of an event costs at least one such write.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { envNumber } from './support.ts';

const MESSAGE = JSON.stringify({
  id: '1',
  type: 'next',
  payload: {
    data: {
      snapshotEvents: {
        cursor: '123456',
        kind: 'STATUS_CHANGED',
        snapshotId: 'a3f1c2d4-0000-4000-8000-000000000000',
        virtualClusterId: 'b3f1c2d4-0000-4000-8000-000000000000',
        from: 'SCHEDULED',
        to: 'IN_PROGRESS',
        at: '2026-11-29T12:00:00.000Z',
      },
    },
  },
});

/** A client process: opens `count` connections to `url`, says "ready", then answers each message with how many it received. */
async function client(url: string, count: number): Promise<void> {
  let received = 0;
  for (let i = 0; i < count; i++) {
    const socket = new WebSocket(url);
    socket.on('message', () => received++);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  }
  process.send!('ready');
  process.on('message', () => process.send!(received));
}

async function main(): Promise<void> {
  const connections = Math.round(envNumber('BENCH_WS', 4000));
  const rounds = Math.round(envNumber('BENCH_ROUNDS', 20));
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
  const self = fileURLToPath(import.meta.url);
  const clients = [0, 1].map((index) =>
    fork(self, ['client', url, String(Math.floor(connections / 2) + (index === 0 ? connections % 2 : 0))], { execArgv: ['--import', 'tsx'] }),
  );
  await Promise.all(clients.map((child) => new Promise((resolve) => child.once('message', resolve))));
  console.log(`bare ws floor — node ${process.version}, ${connections} connections over 2 client processes, ${rounds} rounds, ${Buffer.byteLength(MESSAGE)}-byte message`);
  for (const mode of ['string', 'buffer'] as const) {
    const payload = mode === 'buffer' ? Buffer.from(MESSAGE) : MESSAGE;
    let busyMs = 0;
    const before = process.cpuUsage();
    for (let round = 0; round < rounds; round++) {
      const started = performance.now();
      for (const socket of server.clients) socket.send(payload);
      busyMs += performance.now() - started;
      // Let the sends drain and the clients read before the next round.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const cpu = process.cpuUsage(before);
    const sends = rounds * server.clients.size;
    console.log(
      `  ${mode.padEnd(6)}: ${((cpu.user + cpu.system) / sends).toFixed(1)} µs CPU per send (user ${(cpu.user / sends).toFixed(1)}, system ${(cpu.system / sends).toFixed(1)}); ` +
        `one round of ${server.clients.size} sends takes ${(busyMs / rounds).toFixed(1)} ms of the event loop`,
    );
  }
  const received = await Promise.all(clients.map((child) => new Promise<number>((resolve) => (child.once('message', resolve), child.send('count')))));
  console.log(`  received ${received.reduce((a, b) => a + b, 0)} of ${2 * rounds * connections}`);
  for (const child of clients) child.kill();
  server.close();
}

if (process.argv[2] === 'client') await client(process.argv[3]!, Number(process.argv[4]));
else await main();
