/* global module */
/**
 * The layers of the house (../shared/STYLE.md), checked by `npm run lint`:
 * adapters to the outside import no domain module and no GraphQL; the domain imports no
 * process wiring; nothing imports in a circle.
 */
const DOMAIN = '^src/(clusters|snapshots|locations|events|auth|secrets)/';
const ADAPTERS = '^src/(storage|kube)/';
const GRAPHQL = '^src/graphql/|^node_modules/(graphql|graphql-yoga|@pothos)/';
const WIRING = '^src/(main|server|config|context)\\.ts$|^src/app/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle hides which module stands on which.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'adapters-import-no-domain',
      severity: 'error',
      comment: 'S3, filesystem and Kubernetes adapters know nothing of clusters, snapshots or GraphQL.',
      from: { path: ADAPTERS },
      to: { path: [DOMAIN, GRAPHQL] },
    },
    {
      name: 'domain-imports-no-wiring',
      severity: 'error',
      comment: 'Domain modules are wired by the process; they never reach up into it.',
      from: { path: DOMAIN },
      to: { path: WIRING },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
