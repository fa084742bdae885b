/** Checked-in artefacts that are generated from the code must match what the code generates now. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { describe, expect, it } from 'vitest';
import codegenConfig from '../../codegen.ts';
import { printSchemaFile, SCHEMA_FILE } from '../../src/graphql/sdl.ts';
import { ROOT } from './helpers.ts';

describe('generated files', () => {
  it('schema/schema.graphql is the SDL the schema prints now', async () => {
    const onDisk = await fs.readFile(SCHEMA_FILE, 'utf8');
    expect(onDisk === printSchemaFile(), 'schema/schema.graphql is stale: run `npm run schema:print`').toBe(true);
    // Show the difference too when it is stale.
    expect(onDisk).toBe(printSchemaFile());
  });

  it('test/generated/graphql.ts is what codegen generates from the operations and schema now', { timeout: 60_000 }, async () => {
    const outputs = (await generate({ ...codegenConfig, cwd: ROOT, silent: true }, false)) as { filename: string; content: string }[];
    const targets = Object.keys(codegenConfig.generates);
    expect(outputs.map((output) => path.resolve(ROOT, output.filename))).toEqual(targets.map((target) => path.resolve(ROOT, target)));
    for (const output of outputs) {
      const onDisk = await fs.readFile(path.resolve(ROOT, output.filename), 'utf8').catch(() => '(missing)');
      expect(onDisk === output.content, `${output.filename} is stale: run \`npm run codegen\``).toBe(true);
      expect(onDisk).toBe(output.content);
    }
  });
});
