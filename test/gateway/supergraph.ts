/**
 * The supergraph of vsnap and the test's projects subgraph, composed with
 * @theguild/federation-composition: what the gateway tests serve and `npm run compose` prints.
 */
import { compositionHasErrors, composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { printSchemaFile } from '../../src/graphql/sdl.ts';
import { PROJECTS_SUBGRAPH_NAME, PROJECTS_SUBGRAPH_SDL } from './projects-subgraph.ts';

export const VSNAP_SUBGRAPH_NAME = 'vsnap';

export interface SubgraphSource {
  name: string;
  /** The subgraph's GraphQL endpoint, as the gateway reaches it. */
  url: string;
  sdl: string;
}

/** The supergraph SDL; throws with every composition error when the subgraphs do not compose. */
export function composeSupergraph(subgraphs: readonly SubgraphSource[]): string {
  const result = composeServices(subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })));
  if (compositionHasErrors(result)) {
    throw new Error(`the subgraphs do not compose:\n${result.errors.map((error) => `- ${error.message}`).join('\n')}`);
  }
  return result.supergraphSdl;
}

/** vsnap (its printed subgraph SDL) and the projects subgraph, at these endpoints. */
export function vsnapWithProjects(urls: { vsnap: string; projects: string }): string {
  return composeSupergraph([
    { name: VSNAP_SUBGRAPH_NAME, url: urls.vsnap, sdl: printSchemaFile() },
    { name: PROJECTS_SUBGRAPH_NAME, url: urls.projects, sdl: PROJECTS_SUBGRAPH_SDL },
  ]);
}
