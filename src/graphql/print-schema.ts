/** `npm run schema:print`: writes the subgraph SDL to schema/schema.graphql. */
import fs from 'node:fs/promises';
import { printSchemaFile, SCHEMA_FILE } from './sdl.ts';

await fs.writeFile(SCHEMA_FILE, printSchemaFile());
console.error(`wrote ${SCHEMA_FILE}`);
