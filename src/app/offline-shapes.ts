/**
 * The shape problems `validate` reports without connecting (see `quality/shape-problems.ts`): on a
 * DuckDB project the models are bound on a private in-memory DuckDB, the engine they run on. A
 * project on another engine would need its server to bind them; `test` and `check` find those
 * problems there.
 *
 * The answer is kept in the project's cache folder under a digest of everything it depends on
 * (the models' SQL and checks, the sources' declared columns, the unit tests and their CSV
 * fixtures, the DuckDB version), so a `validate` of an unchanged project does not load DuckDB's
 * native module, as the parser cache already spares it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic } from '../core/errors.js';
import type { Project } from '../project/project.js';
import { readCacheJson, writeCacheJson } from './cache-file.js';
import { parserVersion } from './open-sql-parser.js';

interface CacheFile {
  readonly key: string;
  readonly problems: readonly Diagnostic[];
}

export async function offlineShapeProblems(
  project: Project,
  { cacheDir }: { readonly cacheDir?: string } = {},
): Promise<readonly Diagnostic[]> {
  const { warehouse } = project.config;
  if (warehouse.connections[warehouse.default]?.type !== 'duckdb') return [];
  const file = cacheDir === undefined ? undefined : path.join(cacheDir, 'shape-problems.json');
  const key = await shapeKey(project);
  const cached = file === undefined ? undefined : await readCache(file);
  if (cached?.key === key) return cached.problems;
  // Imported when needed: loading DuckDB's native module is most of a cold start.
  const [{ shapeProblems }, { openUnitTestWarehouse }] = await Promise.all([
    import('../quality/shape-problems.js'),
    import('./open-unit-test-warehouse.js'),
  ]);
  const problems = await shapeProblems(project, openUnitTestWarehouse);
  if (file !== undefined) await writeCacheJson(file, { key, problems } satisfies CacheFile);
  return problems;
}

/** A digest of what the shapes and the problems found from them depend on. */
async function shapeKey(project: Project): Promise<string> {
  const hash = createHash('sha256');
  const add = (value: unknown) => hash.update(JSON.stringify(value) ?? 'undefined').update('\n');
  add(parserVersion());
  add(project.order);
  for (const source of project.sources.values()) add([source.name, source.columns, source.checks]);
  for (const model of project.models.values()) {
    add([
      model.name,
      model.language,
      model.file,
      model.text,
      model.bodyOffset,
      model.dependsOn,
      model.checks,
    ]);
  }
  for (const test of project.tests) {
    add(test);
    for (const fixture of [...Object.values(test.inputs), test.expect]) {
      if (fixture.csv !== undefined) add(await readFile(fixture.csv, 'utf8').catch(() => null));
    }
  }
  return hash.digest('base64url');
}

async function readCache(file: string): Promise<CacheFile | undefined> {
  const parsed = (await readCacheJson(file)) as Partial<CacheFile> | undefined;
  return typeof parsed?.key === 'string' && Array.isArray(parsed.problems)
    ? (parsed as CacheFile)
    : undefined;
}
