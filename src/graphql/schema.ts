import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.ts';
import { checkEntityRepresentations } from './entities.ts';
import '../clusters/schema.ts';
import '../clusters/mutations.ts';
import '../snapshots/schema.ts';
import '../snapshots/mutations.ts';
import '../snapshots/retention-schema.ts';
import '../snapshots/policy-outcome-schema.ts';
import '../events/schema.ts';
import '../events/subscriptions.ts';
import '../locations/schema.ts';
import '../locations/mutations.ts';

/** The vsnap subgraph: Federation 2 entities VirtualCluster and Snapshot; Project by reference. */
export const schema = checkEntityRepresentations(builder.toSubGraphSchema({ linkUrl: 'https://specs.apollo.dev/federation/v2.6' }));

export const sortedSchema = lexicographicSortSchema(schema);
