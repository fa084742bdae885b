import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { startEmbeddedPostgres } from './embedded.ts';
import { openDatabase } from './orm.ts';

export interface Database {
  orm: MikroORM;
  url: string;
  close(): Promise<void>;
}

/** Connects to DATABASE_URL, or starts the embedded server, then applies migrations. */
export async function openConfiguredDatabase(config: Config, logger: Logger): Promise<Database> {
  const embedded =
    config.database.kind === 'embedded'
      ? await startEmbeddedPostgres({ ...config.database, database: 'vsnap', logger })
      : undefined;
  const url = embedded?.url ?? (config.database.kind === 'url' ? config.database.url : '');
  try {
    const orm = await openDatabase(url);
    logger.info({ database: redact(url) }, 'database ready, migrations applied');
    return {
      orm,
      url,
      close: async () => {
        await orm.close();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
