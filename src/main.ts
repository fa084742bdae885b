/** `npm start`: vsnap on its configured (or embedded) database. */
import { createTokenVerifier, loadDevelopmentSecret, signToken } from './auth/tokens.ts';
import { resealInlineKubeconfigs } from './clusters/kubeconfig.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { openConfiguredDatabase } from './db/connect.ts';
import { startEngine } from './jobs/engine.ts';
import { createLogger } from './logger.ts';
import { createProcessMetrics } from './metrics.ts';
import { startServer } from './server.ts';
import { openLocationStore } from './locations/store.ts';
import { openSecretBox } from './secrets/secret-box.ts';

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`vsnap: ${error.message}`);
  process.exit(1);
}

const logger = createLogger(config.logLevel, config.logFormat);
const developmentSecret = config.auth.kind === 'development' ? await loadDevelopmentSecret(config.dataDir) : undefined;
const verifier = createTokenVerifier(config.auth, developmentSecret);

const database = await openConfiguredDatabase(config, logger).catch((error: unknown) => {
  logger.fatal({ err: error }, 'could not open the database');
  process.exit(1);
});
const inline = config.kubeconfigs.inline;
const inlineBox = await (async () => {
  if (inline.kind === 'refused') return undefined;
  const box = await openSecretBox(inline, config.dataDir);
  await resealInlineKubeconfigs(database.orm.em.fork(), box, logger);
  return box;
})().catch(async (error: unknown) => {
  logger.fatal({ err: error }, 'could not open or re-seal the inline kubeconfigs');
  await database.close();
  process.exit(1);
});
logger.info({ kubeApiEgress: config.kubeconfigs.egress.describe(), inlineKubeconfigs: config.kubeconfigs.inline.kind }, 'kubeconfig rules');
const metrics = createProcessMetrics();
const engine = await startEngine({
  orm: database.orm,
  postgresUrl: database.url,
  config: config.engine,
  logger,
  worker: config.roles.includes('worker'),
  inlineBox,
  metrics,
}).catch(async (error: unknown) => {
  logger.fatal({ err: error }, 'could not start the job scheduler');
  await database.close();
  process.exit(1);
});
const server = config.roles.includes('api')
  ? await startServer({
      config,
      orm: database.orm,
      verifier,
      logger,
      jobs: engine.scheduler,
      storage: (location) => openLocationStore(location, config.engine.storage),
      kubeconfigs: { egress: config.kubeconfigs.egress, inlineBox },
      metrics,
    }).catch(async (error: unknown) => {
      logger.fatal({ err: error }, 'could not start the server');
      await engine.stop(0);
      await database.close();
      process.exit(1);
    })
  : undefined;

if (server) logger.info({ url: `${server.url}/graphql`, roles: config.roles }, 'vsnap is serving GraphQL');
else logger.info({ roles: config.roles }, 'vsnap worker started (no API in this process)');
if (server && developmentSecret) {
  const token = await signToken(developmentSecret, 'dev-admin', { platformAdmin: true }, { issuer: config.auth.issuer, audience: config.auth.audience });
  process.stdout.write(
    `\nvsnap development mode: no AUTH_JWT_SECRET or AUTH_JWKS_URL set.\n` +
      (config.graphiql ? `GraphiQL: ${server.url}/graphql\n` : '') +
      `Platform-admin token (valid 30 days), send as "Authorization: Bearer <token>":\n\n${token}\n\n` +
      `Tokens for other roles: npm run -s token -- --project <id> --role admin|member\n\n`,
  );
}

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: no new requests, finishing in-flight ones and running snapshots');
  await server?.close();
  await engine.stop(config.shutdownTimeoutMs);
  await database.close();
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
