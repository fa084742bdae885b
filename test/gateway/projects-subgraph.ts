/**
 * A second subgraph for the gateway tests (and `npm run compose`): it owns Project — its
 * display name — as the projects service of a platform would. vsnap adds Project's virtual
 * clusters and snapshot summary; the gateway joins the two by Project's key.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createYoga } from 'graphql-yoga';

export const PROJECTS_SUBGRAPH_NAME = 'projects';

/** The projects subgraph's SDL (Federation 2). */
export const PROJECTS_SUBGRAPH_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])

  "A project of the platform; vsnap adds its virtual clusters and snapshot summary."
  type Project @key(fields: "id") {
    id: ID!
    "The name people see."
    displayName: String!
  }

  type Query {
    "Every project."
    projects: [Project!]!
  }
`;

export interface Project {
  id: string;
  displayName: string;
}

export interface ProjectsSubgraph {
  url: string;
  /** The Authorization header of every request it answered, in order (null: none was sent). */
  authorizations: (string | null)[];
  close(): Promise<void>;
}

/** Serves `projects` on 127.0.0.1 (a random port) at /graphql. */
export async function startProjectsSubgraph(projects: readonly Project[]): Promise<ProjectsSubgraph> {
  const byId = new Map(projects.map((project) => [project.id, project]));
  const schema = buildSubgraphSchema({
    typeDefs: parse(PROJECTS_SUBGRAPH_SDL),
    resolvers: {
      Query: { projects: () => projects },
      Project: { __resolveReference: (reference: { id: string }) => byId.get(reference.id) ?? null },
    },
  });
  const authorizations: (string | null)[] = [];
  const yoga = createYoga({ schema, graphqlEndpoint: '/graphql', logging: false, landingPage: false, graphiql: false });
  const server = http.createServer((req, res) => {
    authorizations.push(req.headers.authorization ?? null);
    void yoga(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    authorizations,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
