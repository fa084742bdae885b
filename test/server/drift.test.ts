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

  it("test/generated/graphql.ts and the console's ui/src/gql/ are what codegen generates from the operations and schema now", { timeout: 60_000 }, async () => {
    const outputs = (await generate({ ...codegenConfig, cwd: ROOT, silent: true }, false)) as { filename: string; content: string }[];
    // A file target is one output; a directory target (the client preset's) is every file in it.
    for (const target of Object.keys(codegenConfig.generates)) {
      const made = outputs.filter((output) => (target.endsWith('/') ? output.filename.startsWith(target) : output.filename === target));
      expect(made.length, `${target} is generated`).toBeGreaterThan(0);
      if (target.endsWith('/')) {
        const onDisk = (await fs.readdir(path.resolve(ROOT, target))).map((name) => `${target}${name}`).sort();
        expect(onDisk, `${target} holds exactly what codegen makes`).toEqual(made.map((output) => output.filename).sort());
      }
    }
    for (const output of outputs) {
      const onDisk = await fs.readFile(path.resolve(ROOT, output.filename), 'utf8').catch(() => '(missing)');
      expect(onDisk === output.content, `${output.filename} is stale: run \`npm run codegen\``).toBe(true);
      expect(onDisk).toBe(output.content);
    }
  });
});
