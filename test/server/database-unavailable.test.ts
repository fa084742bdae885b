/**
 * Which failures are "the database is unreachable" (answered 503 by the API) and
 * which are not, on errors produced by the real drivers where that is cheap: a
 * MikroORM query and a pg pool against a closed port, a connection terminated by
 * the server; and the look-alikes that must stay what they are (a Kubernetes or S3
 * endpoint refusing, a constraint violation).
 */
import net from 'node:net';
import { MikroORM, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { ormOptions } from '../../src/db/orm.ts';
import { databaseEndpoint, isDatabaseUnavailableAt } from '../../src/db/outage.ts';
import { StorageError } from '../../src/storage/index.ts';
import { createTestDatabase } from '../support/database.ts';

/** A port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A database endpoint the errors below do not name: what counts must count for what it is, not for its port. */
const ELSEWHERE = { host: '192.0.2.1', port: 1 };

const failureOf = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe('isDatabaseUnavailableAt (the API edge)', () => {
  it('recognises a MikroORM query and a transaction against a database that refuses connections', async () => {
    const port = await closedPort();
    const url = `postgres://postgres@127.0.0.1:${port}/vsnap`;
    const orm = await MikroORM.init({ ...ormOptions(url), allowGlobalContext: true });
    try {
      const query = await failureOf(orm.em.fork().execute('select 1'));
      expect(query).toMatchObject({ name: 'DriverException', code: 'ECONNREFUSED' });
      expect(isDatabaseUnavailableAt(query, ELSEWHERE)).toBe(true);
      // A transaction acquires its connection without MikroORM wrapping the failure: recognised by the database's port.
      const transaction = await failureOf(orm.em.fork().transactional((em) => em.execute('select 1')));
      expect(isDatabaseUnavailableAt(transaction, databaseEndpoint(url))).toBe(true);
      expect(isDatabaseUnavailableAt(transaction, { host: '127.0.0.1', port: port + 1 })).toBe(false);
    } finally {
      await orm.close();
    }
  });

  it('recognises a connection the server terminated (57P01) and a pool that cannot connect', async () => {
    const database = await createTestDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    client.on('error', () => undefined);
    try {
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      const admin = new pg.Client({ connectionString: inject('postgresAdminUrl') });
      await admin.connect();
      const terminated = failureOf(client.query('select pg_sleep(10)'));
      await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
      await admin.end();
      const error = await terminated;
      expect(error).toMatchObject({ code: '57P01' });
      expect(isDatabaseUnavailableAt(error, ELSEWHERE)).toBe(true);
      // The same client afterwards: not queryable, says pg.
      const after = await failureOf(client.query('select 1'));
      expect(isDatabaseUnavailableAt(after, ELSEWHERE)).toBe(true);
    } finally {
      await client.end().catch(() => undefined);
      await database.drop();
    }
    const pool = new pg.Pool({ host: '127.0.0.1', port: await closedPort(), connectionTimeoutMillis: 500 });
    const refused = await failureOf(pool.query('select 1'));
    await pool.end();
    expect(isDatabaseUnavailableAt(refused, { host: '127.0.0.1', port: (refused as { port: number }).port })).toBe(true);
  });

  it('is wrapped: a cause chain that ends in a database outage counts', () => {
    const outage = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01', severity: 'FATAL' });
    expect(isDatabaseUnavailableAt(new Error('could not record the result', { cause: outage }), ELSEWHERE)).toBe(true);
  });

  it.each([
    ['a Kubernetes API refusing (another port)', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port: 6443 })],
    ['an S3 endpoint refusing, wrapped as a StorageError', new StorageError('unreachable', 'cannot reach http://127.0.0.1:9000', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), { code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port: 9000 }) })],
    ['a unique constraint violation', new UniqueConstraintViolationException(Object.assign(new Error('duplicate key value'), { code: '23505' }))],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a 57P01 code on something that is not a database error', Object.assign(new Error('odd'), { code: '57P01' })],
    ['not an Error at all', 'ECONNREFUSED'],
  ])('is false for %s', (_what, error) => {
    expect(isDatabaseUnavailableAt(error, { host: '127.0.0.1', port: 5432 })).toBe(false);
  });
});
