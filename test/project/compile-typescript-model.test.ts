/**
 * TypeScript models compiled by esbuild (no module hooks): `slipway` and relative `.js` imports of
 * `.ts` files resolve, the compiled module is reused while its inputs are unchanged, and a change
 * to a file it imports (not only to the model) compiles it again.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importTypeScriptModel } from '../../src/project/compile-typescript-model.js';
import { type TempProject, tempProject } from '../helpers/temp-project.js';

let project: TempProject;

const MODEL = `import { defineModel } from 'slipway';
import { THRESHOLD } from '../lib/threshold.js';

export default defineModel({
  name: 'big_orders',
  kind: 'table',
  inputs: ['orders'],
  description: \`orders above \${THRESHOLD}\`,
  build: async () => 'select 1',
});
`;

beforeAll(async () => {
  project = await tempProject({
    'models/big_orders.model.ts': MODEL,
    'lib/threshold.ts': 'export const THRESHOLD: number = 100;\n',
  });
});

afterAll(async () => {
  await project?.remove();
});

async function load(): Promise<{ description?: string }> {
  return (await importTypeScriptModel(
    project.root,
    path.join(project.root, 'models/big_orders.model.ts'),
  )) as {
    description?: string;
  };
}

async function modules(): Promise<string[]> {
  return (await readdir(path.join(project.root, '.slipway', 'ts-models'))).filter((f) => f.endsWith('.mjs'));
}

describe('TypeScript models', () => {
  it('compiles a model with its relative .ts imports and slipway, and reuses it while nothing changed', async () => {
    expect((await load()).description).toBe('orders above 100');
    const first = await modules();
    expect(first).toHaveLength(1);
    expect((await load()).description).toBe('orders above 100');
    expect(await modules()).toEqual(first);
  });

  it('compiles again when a file the model imports changes', async () => {
    await project.write('lib/threshold.ts', 'export const THRESHOLD: number = 250;\n');
    expect((await load()).description).toBe('orders above 250');
    expect(await modules()).toHaveLength(2);
  });
});
