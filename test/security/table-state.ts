/**
 * What every table of a test database holds, as one comparable value: row count and a
 * hash of the rows per table. Equal before and after a request means it wrote nothing
 * (no insert, update or delete), whatever table it could have touched.
 */
import type { MikroORM } from '@mikro-orm/postgresql';

export type TableState = Record<string, { rows: number; hash: string }>;

/** The tables of each database, read once: no test creates one. */
const tablesOf = new WeakMap<MikroORM, Promise<{ name: string }[]>>();

export async function tableState(orm: MikroORM): Promise<TableState> {
  const connection = orm.em.getConnection();
  if (!tablesOf.has(orm)) {
    tablesOf.set(
      orm,
      connection.execute<{ name: string }[]>(
        `select quote_ident(table_name) as name from information_schema.tables
         where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`,
      ),
    );
  }
  const tables = await tablesOf.get(orm)!;
  if (tables.length === 0) return {};
  const rows = await connection.execute<{ name: string; rows: number; hash: string }[]>(
    tables
      .map(
        ({ name }) =>
          `select '${name}' as name, count(*)::int as rows, md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) as hash from ${name} t`,
      )
      .join(' union all '),
  );
  return Object.fromEntries(rows.map(({ name, rows: count, hash }) => [name, { rows: count, hash }]));
}
