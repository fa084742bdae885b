import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { printSubgraphSchema } from '@apollo/subgraph';
import { sortedSchema } from './schema.ts';

export const SCHEMA_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schema/schema.graphql');

/** The subgraph SDL with federation directives, as the gateway composes it. */
export function printSchemaFile(): string {
  return `${printSubgraphSchema(sortedSchema).trimEnd()}\n`;
}
