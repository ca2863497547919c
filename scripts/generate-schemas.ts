/**
 * Writes `schema/*.json` (the JSON Schemas editors use) from the loader's zod schemas.
 * `--check` fails when the committed files are stale.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { projectJsonSchemas } from '../src/project/json-schemas.js';

const check = process.argv.includes('--check');
const dir = path.resolve(import.meta.dirname, '..', 'schema');
await mkdir(dir, { recursive: true });
let stale = 0;
for (const [file, schema] of Object.entries(projectJsonSchemas())) {
  const target = path.join(dir, file);
  const text = `${JSON.stringify(schema, null, 2)}\n`;
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current === text) continue;
  if (check) {
    console.error(`schema/${file} is out of date: run npx tsx scripts/generate-schemas.ts`);
    stale++;
  } else {
    await writeFile(target, text);
    console.log(`wrote schema/${file}`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
