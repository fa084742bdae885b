import SchemaBuilder from '@pothos/core';
import DirectivePlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import { z } from 'zod';
import type { Context } from '../context.ts';
import { quoted } from '../errors.ts';

/** The request scope resolvers see (built per request by context.ts). */
export type { Context };

/**
 * The one Pothos builder. Scopes: platform admins see everything; a project's
 * admins see its snapshot data and may change it; its members see its clusters.
 */
export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: {
    platformAdmin: boolean;
    projectAdmin: string;
    projectMember: string;
  };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
  };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}>({
  defaultFieldNullability: false,
  // Auth wraps resolvers, so it comes before federation (see the federation plugin's docs).
  plugins: [ScopeAuthPlugin, RelayPlugin, DirectivePlugin, FederationPlugin],
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (context) => ({
      platformAdmin: context.viewer.isPlatformAdmin,
      projectAdmin: (projectId) => context.viewer.isProjectAdmin(projectId),
      projectMember: (projectId) => context.viewer.belongsTo(projectId),
    }),
    unauthorizedError: (_parent, _context, info) =>
      new GraphQLError(`not allowed to read ${info.parentType.name}.${info.fieldName}`, {
        extensions: { code: 'FORBIDDEN' },
      }),
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
  },
});

/** Per-project scope maps kept for the process; more projects than this and the memo starts over. */
const MAX_MEMOISED_PROJECTS = 10_000;

function memoised<T>(make: (projectId: string) => T): (projectId: string) => T {
  const maps = new Map<string, T>();
  return (projectId) => {
    let map = maps.get(projectId);
    if (!map) {
      if (maps.size >= MAX_MEMOISED_PROJECTS) maps.clear();
      map = make(projectId);
      maps.set(projectId, map);
    }
    return map;
  };
}

/**
 * The scope maps of the per-object rules, one object per project. scope-auth caches a map's
 * outcome per request by the map's identity, so the 50 snapshots of a page (one project) are
 * judged once and each further node only looks the outcome up. They are rules, not outcomes:
 * each request still judges them against its own caller. Never mutate one.
 */
export const projectAdminsScope = memoised((projectId) => ({ platformAdmin: true, projectAdmin: projectId }));
export const projectMembersScope = memoised((projectId) => ({ platformAdmin: true, projectMember: projectId }));

/** An ISO-8601 date-time with a UTC offset: "2026-03-01T02:00:00Z", "2026-03-01T03:00:00.5+01:00". */
const isoDateTime = z.iso.datetime({ offset: true });

builder.scalarType('DateTime', {
  description: 'An instant in time, as an ISO-8601 string in UTC.',
  serialize: (value) => value.toISOString(),
  // A refused value is a coercion error like an Int out of range: BAD_USER_INPUT for a
  // variable, GRAPHQL_VALIDATION_FAILED for a literal (see maskError in server.ts).
  parseValue: (value) => {
    const date = typeof value === 'string' && isoDateTime.safeParse(value).success ? new Date(value) : undefined;
    if (!date || Number.isNaN(date.getTime())) {
      const shown = typeof value === 'string' ? quoted(value) : `a ${value === null ? 'null' : typeof value}`;
      throw new GraphQLError(`DateTime must be an ISO-8601 date-time with an offset, such as "2026-03-01T02:00:00Z"; got ${shown}`);
    }
    return date;
  },
});

builder.queryType({});
builder.mutationType({});
