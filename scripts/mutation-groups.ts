/**
 * The module groups of `npm run test:mutation`, each with the small set of tests that states
 * its behaviour, and the mutants no test can kill because they change nothing observable.
 */

export interface Group {
  /** Files mutated. */
  mutate: string[];
  /** The tests that state their behaviour. */
  tests: string[];
}

export const GROUPS: Record<string, Group> = {
  lifecycle: { mutate: ['src/snapshots/lifecycle.ts'], tests: ['test/snapshots/lifecycle.test.ts'] },
  'retention-policy': {
    mutate: ['src/snapshots/retention-policy.ts', 'src/snapshots/retention-calendar.ts'],
    tests: ['test/snapshots/retention-policy.test.ts', 'test/snapshots/retention-calendar.test.ts', 'test/snapshots/retention-properties.test.ts'],
  },
  keyset: { mutate: ['src/db/keyset.ts'], tests: ['test/db/keyset.test.ts'] },
  'cluster-input': { mutate: ['src/clusters/input.ts'], tests: ['test/clusters/input.test.ts'] },
  'location-input': {
    mutate: ['src/locations/input.ts', 'src/storage/local-directory.ts'],
    tests: ['test/locations/input.test.ts', 'test/storage/local-directory.test.ts'],
  },
  tokens: { mutate: ['src/auth/tokens.ts'], tests: ['test/auth/tokens.test.ts'] },
  'volume-plan': {
    mutate: ['src/kube/volume-plan.ts'],
    tests: ['test/kube-volumes/volume-rules.test.ts', 'test/kube-volumes/volume-plan.test.ts', 'test/kube-volumes/volume-plan-reads.test.ts'],
  },
  'local-store': { mutate: ['src/storage/local.ts'], tests: ['test/storage/local.test.ts', 'test/storage/local-errors.test.ts'] },
  admission: { mutate: ['src/kube/admission.ts'], tests: ['test/kube-reader/admission.test.ts'] },
  egress: { mutate: ['src/kube/egress.ts'], tests: ['test/kube-reader/egress.test.ts', 'test/kube-reader/connect.test.ts'] },
  'event-log': { mutate: ['src/events/log.ts', 'src/events/retention.ts'], tests: ['test/events/log.test.ts'] },
  'request-size': { mutate: ['src/http/request-size.ts'], tests: ['test/security/http.test.ts'] },
  'subscription-expiry': { mutate: ['src/http/subscription-expiry.ts'], tests: ['test/http/subscription-expiry-stream.test.ts', 'test/auth/subscription-expiry.test.ts'] },
};

/**
 * A mutant that behaves exactly as the code does, found by its file, mutator, the code it
 * replaces and its replacement, on the line that contains `line`. Left out of the score (as
 * Stryker leaves out mutants disabled in the source); the run warns when one is killed or
 * no longer found, so the list cannot go stale.
 */
export interface Equivalent {
  file: string;
  mutator: string;
  original: string;
  replacement: string;
  line: string;
  reason: string;
}

const SORT_TIE =
  'ids are unique, and V8 sorts calling the comparator as (later element, earlier element) of two distinct ones: 0 instead of 1 for such a pair, or -1 instead of 0 for equal ids, orders alike';
const FORMATTER_CACHE = 'a cache: a formatter made anew for each call reads the same';

export const EQUIVALENT: Equivalent[] = [
  {
    file: 'src/auth/tokens.ts',
    mutator: 'BooleanLiteral',
    original: 'false',
    replacement: 'true',
    line: "const key = crypto.subtle.importKey('raw', new Uint8Array(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);",
    reason: 'whether the HS256 key could be exported: it never leaves the verifier, so nothing can try (kept non-extractable as hardening)',
  },
  {
    file: 'src/auth/tokens.ts',
    mutator: 'CallExpression',
    original: 'key.catch(() => undefined);',
    replacement: ';',
    line: 'key.catch(() => undefined);',
    reason: 'importKey rejects only for a key WebCrypto refuses, which a secret of bytes never is: the guard against an unobserved rejection has nothing to catch',
  },
  {
    file: 'src/db/keyset.ts',
    mutator: 'BlockStatement',
    original: '{\n    return undefined;\n  }',
    replacement: '{}',
    line: '} catch {',
    reason: 'a function that returns nothing returns undefined too',
  },
  // clusters/input.ts
  ...(
    [
      ['ObjectLiteral', '{ timezone: timeZone, paused: true }', '{}'],
      ['BooleanLiteral', 'true', 'false'],
    ] as const
  ).map(([mutator, original, replacement]) => ({
    file: 'src/clusters/input.ts',
    mutator,
    original,
    replacement,
    line: 'const cron = new Cron(schedule, { timezone: timeZone, paused: true });',
    reason: 'only whether the schedule ever fires is asked, which no time zone changes; and croner starts no timer without a callback, paused or not',
  })),
  {
    file: 'src/clusters/input.ts',
    mutator: 'Regex',
    original: '/^CronPattern: /',
    replacement: '/CronPattern: /',
    line: ".replace(/^CronPattern: /, '')",
    reason: 'croner writes "CronPattern: " only at the start of a message',
  },
  ...(
    [
      ['ArrayDeclaration', '[]', '["Stryker was here"]'],
      ['StringLiteral', "'is invalid'", '""'],
    ] as const
  ).map(([mutator, original, replacement]) => ({
    file: 'src/clusters/input.ts',
    mutator,
    original,
    replacement,
    line: "throw fieldError(fieldPrefix, (issue?.path ?? []).map(String), issue?.message ?? 'is invalid');",
    reason: 'unreachable: a failed zod parse has at least one issue, and every issue a path and a message',
  })),
  // retention-policy.ts: newestFirst's tie-break on id.
  ...(
    [
      ['ConditionalExpression', 'a.id < b.id', 'false'],
      ['EqualityOperator', 'a.id < b.id', 'a.id <= b.id'],
      ['ConditionalExpression', 'a.id > b.id', 'true'],
      ['EqualityOperator', 'a.id > b.id', 'a.id >= b.id'],
    ] as const
  ).map(([mutator, original, replacement]) => ({
    file: 'src/snapshots/retention-policy.ts',
    mutator,
    original,
    replacement,
    line: '(a.id < b.id ? 1 : a.id > b.id ? -1 : 0)',
    reason: SORT_TIE,
  })),
  // kube/admission.ts (and egress.ts): the URL parser's own host form.
  ...(
    [
      ['src/kube/admission.ts', '/\\[(.*)\\]$/'],
      ['src/kube/admission.ts', '/^\\[(.*)\\]/'],
      ['src/kube/egress.ts', '/\\[(.*)\\]$/'],
      ['src/kube/egress.ts', '/^\\[(.*)\\]/'],
    ] as const
  ).map(([file, replacement]) => ({
    file,
    mutator: 'Regex',
    original: '/^\\[(.*)\\]$/',
    replacement,
    line: "url.hostname.replace(/^\\[(.*)\\]$/, '$1')",
    reason: "a URL's hostname holds '[' and ']' only as the brackets around a whole IPv6 literal (elsewhere they are forbidden host code points), so either anchor alone matches the same hosts",
  })),
  {
    file: 'src/kube/admission.ts',
    mutator: 'Regex',
    original: '/\\s+/g',
    replacement: '/\\s/g',
    line: "const value = stringField(body, key, at)?.replace(/\\s+/g, '');",
    reason: 'removing every whitespace run or every whitespace character leaves the same text',
  },
  ...(
    [
      ['ConditionalExpression', "typeof error.reason === 'string'", 'true', 'const reason ='],
      ['StringLiteral', "'unreadable'", '""', 'const reason ='],
      ['StringLiteral', "''", '"Stryker was here!"', 'const where ='],
    ] as const
  ).map(([mutator, original, replacement, line]) => ({
    file: 'src/kube/admission.ts',
    mutator,
    original,
    replacement,
    line,
    reason: 'unreachable: js-yaml throws only YAMLException, each with a string reason and a mark of numeric line and column (a nesting too deep included)',
  })),
  {
    file: 'src/kube/egress.ts',
    mutator: 'StringLiteral',
    original: "''",
    replacement: '"Stryker was here!"',
    line: "const [address = '', prefixText, extra] = entry.split('/');",
    reason: 'unreachable: split returns at least one string, so the default is never taken (it is there for the type)',
  },
  // storage/local.ts
  {
    file: 'src/storage/local.ts',
    mutator: 'MethodExpression',
    original: 'path.relative(this.root, this.location).split(path.sep).filter(Boolean)',
    replacement: 'path.relative(this.root, this.location).split(path.sep)',
    line: 'for (const component of path.relative(this.root, this.location).split(path.sep).filter(Boolean))',
    reason:
      "only the root itself gives an empty component (path.relative answers ''), and joining '' leaves the root's real path: its mkdir answers EEXIST (ignored) and its lstat a directory, as without the component",
  },
  ...(
    [
      ["{\n  const handle = await fs.open(directory, 'r');\n  try {\n    await handle.sync();\n  } finally {\n    await handle.close();\n  }\n}", 'async function syncDirectory(directory: string): Promise<void> {'],
      ['{\n    await handle.sync();\n  }', 'try {'],
    ] as const
  ).map(([original, line]) => ({
    file: 'src/storage/local.ts',
    mutator: 'BlockStatement',
    original,
    replacement: '{}',
    line,
    reason: "the directory's fsync makes the rename survive a power loss, which no test can make happen; open and fsync of a directory vsnap just renamed into do not fail otherwise",
  })),
  { file: 'src/snapshots/retention-calendar.ts', mutator: 'ConditionalExpression', original: '!formatter', replacement: 'true', line: 'if (!formatter)', reason: FORMATTER_CACHE },
  {
    file: 'src/snapshots/retention-calendar.ts',
    mutator: 'CallExpression',
    original: 'formatters.set(timeZone, formatter);',
    replacement: ';',
    line: 'formatters.set(timeZone, formatter);',
    reason: FORMATTER_CACHE,
  },
  {
    file: 'src/snapshots/retention-calendar.ts',
    mutator: 'ConditionalExpression',
    original: "part.type !== 'literal'",
    replacement: 'true',
    line: "if (part.type !== 'literal')",
    reason: 'the literal parts (separators) land under the key "literal", which nothing reads',
  },
];
