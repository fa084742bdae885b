/**
 * Reads of the GraphQL read path as named prepared statements on the ORM's own pg pool: a page
 * of snapshots went through MikroORM's raw execute (Kysely's compile and result transform, the
 * ORM's logging and context lookups) and Postgres parsed and planned each statement anew; here
 * each connection parses a statement once and then only binds and executes it.
 *
 * For reads of committed rows outside any transaction (a request's loaders): the statement runs
 * on a pooled connection of its own, never on an EntityManager's transaction. Name the columns:
 * a prepared `select *` fails (0A000, cached plan must not change result type) on every
 * connection that prepared it once a migration adds a column to the table.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import type pg from 'pg';
import { sqlStatements } from './orm.ts';

export type Row = Record<string, unknown>;

const pools = new WeakMap<object, Promise<pg.Pool>>();
/** Statement texts by name; a text is named once per process, and each connection prepares it on first use. */
const names = new Map<string, string>();

function poolOf(em: EntityManager): Promise<pg.Pool> {
  const connection = em.getConnection();
  let pool = pools.get(connection);
  if (!pool) {
    pool = connection.getNativeClient() as Promise<pg.Pool>;
    pools.set(connection, pool);
    // A failed first connection is not kept: the next read tries again.
    pool.catch(() => pools.delete(connection));
  }
  return pool;
}

/** The rows of `text` (placeholders `$1`, `$2`, …) with `values`, as a named prepared statement. */
export async function preparedRows(em: EntityManager, text: string, values: unknown[]): Promise<Row[]> {
  let name = names.get(text);
  if (!name) {
    name = `vsnap_read_${names.size + 1}`;
    names.set(text, name);
  }
  const pool = await poolOf(em);
  sqlStatements.count += 1;
  const result = await pool.query<Row>({ name, text, values });
  return result.rows;
}
