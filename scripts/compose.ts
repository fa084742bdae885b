/**
 * `npm run -s compose [-- --vsnap <url> --projects <url>]`: prints the supergraph SDL of vsnap
 * and the projects subgraph the gateway tests run beside it (test/gateway/projects-subgraph.ts),
 * composed as the tests compose it; fails, naming each composition error, when they do not compose.
 */
import { parseArgs } from 'node:util';
import { vsnapWithProjects } from '../test/gateway/supergraph.ts';

const { values } = parseArgs({
  options: {
    vsnap: { type: 'string', default: 'http://localhost:4000/graphql' },
    projects: { type: 'string', default: 'http://localhost:4001/graphql' },
  },
});

try {
  process.stdout.write(`${vsnapWithProjects({ vsnap: values.vsnap, projects: values.projects }).trimEnd()}\n`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
