import { isUnionType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { z } from 'zod';
import { parseInput } from '../clusters/input.ts';

/**
 * Federation's `_entities` takes any JSON as a representation, and @apollo/subgraph's
 * resolver fails on anything but an object naming one of our entity types (an internal
 * error otherwise). This checks every representation first — VALIDATION on
 * `representations.<index>.<key>` — so what reaches resolveReference is
 * `{ __typename: <entity>, id: string }`. An id that names nothing the caller may see
 * resolves to null, as federation expects of a missing entity.
 */
export function checkEntityRepresentations(schema: GraphQLSchema): GraphQLSchema {
  const field = schema.getQueryType()?.getFields()._entities;
  const entityUnion = schema.getType('_Entity');
  if (!field?.resolve || !isUnionType(entityUnion)) return schema;
  const entityTypes = entityUnion.getTypes().map((type) => type.name);
  const representations = z.array(z.looseObject({ __typename: z.enum(entityTypes), id: z.string() }));
  const resolve: GraphQLFieldResolver<unknown, unknown, { representations: unknown }> = field.resolve;
  field.resolve = (source, args: { representations: unknown }, context, info) => {
    parseInput(representations, args.representations, 'representations');
    return resolve(source, args, context, info);
  };
  return schema;
}
