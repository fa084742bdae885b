/**
 * `npm run -s token -- --project p1 --role member`: prints a token for trying vsnap's roles,
 * signed with the development secret in VSNAP_DATA_DIR (or AUTH_JWT_SECRET when set).
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { loadDevelopmentSecret, signToken } from '../src/auth/tokens.ts';
import { PROJECT_ROLES, type ProjectRole } from '../src/auth/viewer.ts';
import { ConfigError, loadConfig, type Config } from '../src/config.ts';

const USAGE = `usage: npm run -s token -- [--project <id>]... [--role admin|member] [--platform-admin] [--subject <name>] [--expires <span>]

  --project <id>     a project the token holds a role in (repeat for several)
  --role <role>      the role in every --project: admin (default) or member
  --platform-admin   a platform admin: sees and manages every project
  --subject <name>   the token's sub (default: dev-<role>, or dev-platform-admin)
  --expires <span>   lifetime, e.g. 30m, 12h, 7d (default 30d)

Prints the token alone on stdout; send it as "Authorization: Bearer <token>".`;

/** A command line vsnap cannot act on: the message, then the usage. */
class UsageError extends Error {}
/** A setup `npm run token` cannot sign for: the message alone. */
class Refusal extends Error {}

const OPTIONS = {
  project: { type: 'string', multiple: true, default: [] as string[] },
  role: { type: 'string', default: 'admin' },
  'platform-admin': { type: 'boolean', default: false },
  subject: { type: 'string' },
  expires: { type: 'string', default: '30d' },
  help: { type: 'boolean', short: 'h', default: false },
} satisfies ParseArgsOptionsConfig;

/** parseArgs, its complaints (unknown option, missing value) turned into usage errors. */
function parseArgsOrExplain(argv: string[]) {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options: OPTIONS });
  } catch (error) {
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) throw new UsageError(error.message);
    throw error;
  }
}

function parse(argv: string[]) {
  const { values } = parseArgsOrExplain(argv);
  const role = values.role as ProjectRole;
  if (!PROJECT_ROLES.includes(role)) throw new UsageError(`--role must be ${PROJECT_ROLES.join(' or ')}, not ${JSON.stringify(values.role)}`);
  const blank = values.project.find((project) => project.trim() === '');
  if (blank !== undefined) throw new UsageError('--project needs a project id');
  const platformAdmin = values['platform-admin'];
  return {
    help: values.help,
    platformAdmin,
    projects: Object.fromEntries(values.project.map((project) => [project, role])),
    subject: values.subject ?? (platformAdmin ? 'dev-platform-admin' : `dev-${role}`),
    expires: values.expires,
  };
}

async function signingSecret(config: Config): Promise<Uint8Array> {
  switch (config.auth.kind) {
    case 'secret':
      return new TextEncoder().encode(config.auth.secret);
    case 'development':
      return loadDevelopmentSecret(config.dataDir);
    case 'jwks':
      throw new Refusal(
        'vsnap verifies tokens against AUTH_JWKS_URL here: only that identity provider can issue them. ' +
          'npm run token signs with AUTH_JWT_SECRET or the development secret (neither AUTH_JWT_SECRET nor AUTH_JWKS_URL set).',
      );
  }
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = loadConfig();
  const secret = await signingSecret(config);
  const token = await signToken(
    secret,
    options.subject,
    { platformAdmin: options.platformAdmin, projects: options.projects },
    { issuer: config.auth.issuer, audience: config.auth.audience, expiresIn: options.expires },
  ).catch((error: unknown) => {
    // jose's span syntax ("30m", "12h", "7d"); a typo is a usage error, not a stack trace.
    if (error instanceof TypeError && /time period/i.test(error.message)) {
      throw new UsageError(`--expires takes a span such as 30m, 12h or 7d, not ${JSON.stringify(options.expires)}`);
    }
    throw error;
  });
  const roles = [options.platformAdmin ? 'platform admin' : '', ...Object.entries(options.projects).map(([project, role]) => `${role} of ${project}`)].filter(Boolean);
  process.stderr.write(`token for ${options.subject} (${roles.join(', ') || 'no roles'}), valid ${options.expires}:\n`);
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError || error instanceof Refusal || error instanceof ConfigError) {
    console.error(`vsnap token: ${error.message}`);
    if (error instanceof UsageError) console.error(`\n${USAGE}`);
  } else {
    console.error(error);
  }
  process.exit(1);
});
