import type { CodegenConfig } from '@graphql-codegen/cli';

const scalars = { DateTime: 'string' };

/** Typed documents checked against the printed subgraph SDL: the tests' operations, and the console's. */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  generates: {
    'test/generated/graphql.ts': {
      documents: ['test/operations/**/*.graphql'],
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        scalars,
        enumsAsTypes: true,
        useTypeImports: true,
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
      },
    },
    // The console's operations are written with graphql(`…`) in ui/src; the preset types them.
    'ui/src/gql/': {
      documents: ['ui/src/**/*.{ts,tsx}', '!ui/src/gql/**'],
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: { scalars, enumsAsTypes: true, useTypeImports: true, skipTypename: true, dedupeFragments: true },
    },
  },
};

export default config;
