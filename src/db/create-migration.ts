/**
 * `npm run migration:create`: writes a migration for the difference between
 * the entities and the schema the existing migrations build.
 */
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { openConfiguredDatabase } from './connect.ts';

const config = loadConfig();
const logger = createLogger(config.logLevel);
const db = await openConfiguredDatabase(config, logger);
try {
  const result = await db.orm.migrator.create(undefined, false, false, process.argv[2]);
  if (result.diff.up.length === 0) logger.info('entities and migrations agree: no migration written');
  else logger.info({ file: result.fileName }, 'migration written');
} finally {
  await db.close();
}
