import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships both index.mjs ("module") and index.js ("main"). Node and the externalized
    // Pothos/yoga packages load index.js; without this alias Vite would hand our sources the .mjs
    // copy and graphql would refuse types "from another realm".
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    // VSNAP_TEST_FILES (comma-separated) narrows the run: mutation testing runs one module group's tests.
    include: process.env.VSNAP_TEST_FILES ? process.env.VSNAP_TEST_FILES.split(',') : ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: files run in parallel, each on its own database.
    pool: 'forks',
    maxWorkers: 2,
  },
});
