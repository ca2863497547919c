/**
 * Dev-only runner for examples/jkl-fraud/tests/*.yml until `slipway test` exists: loads each
 * fixture into an in-memory DuckDB (types inferred by read_json_auto / read_csv_auto), builds the
 * model's SELECT against them and compares the expected rows (subset of columns, unordered,
 * numbers compared numerically).
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parse } from 'yaml';

interface TestCase {
  name: string;
  model: string;
  inputs: Record<string, { rows?: Record<string, unknown>[]; csv?: string }>;
  expect: { rows: Record<string, unknown>[] };
}

const project = 'examples/jkl-fraud';
const modelSql = new Map<string, string>();
for (const layer of ['staging', 'intermediate', 'marts']) {
  for (const f of await readdir(join(project, 'models', layer))) {
    if (!f.endsWith('.sql')) continue;
    const text = await readFile(join(project, 'models', layer, f), 'utf8');
    modelSql.set(f.replace(/\.sql$/, ''), text.replace(/^\/\* @slipway[\s\S]*?\*\/\n/, ''));
  }
}
const same = (a: unknown, b: unknown): boolean => {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (typeof a === 'number' || typeof a === 'boolean')
    return String(a) === String(b) || Number(a) === Number(b);
  return String(a) === String(b);
};
const tmp = await mkdtemp(join(tmpdir(), 'jkl-tests-'));
let failed = 0;
try {
  for (const file of await readdir(join(project, 'tests'))) {
    if (!file.endsWith('.yml')) continue;
    const { tests } = parse(await readFile(join(project, 'tests', file), 'utf8')) as { tests: TestCase[] };
    for (const t of tests) {
      const instance = await DuckDBInstance.create(':memory:');
      const conn = await instance.connect();
      try {
        for (const [name, input] of Object.entries(t.inputs)) {
          let source: string;
          if (input.csv) source = `read_csv_auto('${join(project, 'tests', dirname(file), input.csv)}')`;
          else {
            const path = join(tmp, `${t.name}-${name}.json`);
            await writeFile(path, JSON.stringify(input.rows ?? []));
            source = `read_json_auto('${path}')`;
          }
          await conn.run(`create table ${name} as select * from ${source}`);
        }
        const sql = modelSql.get(t.model);
        if (!sql) throw new Error(`no model ${t.model}`);
        const actual = (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
        const missing = t.expect.rows.filter(
          (e) => !actual.some((a) => Object.entries(e).every(([k, v]) => same(v, a[k]))),
        );
        const ok = missing.length === 0 && actual.length === t.expect.rows.length;
        if (!ok) failed++;
        console.log(`${ok ? 'PASS' : 'FAIL'} ${file} ${t.name}`);
        if (!ok) console.log('  missing', missing, '\n  actual', actual);
      } catch (e) {
        failed++;
        console.log(`ERROR ${file} ${t.name}: ${String(e)}`);
      } finally {
        conn.closeSync();
      }
    }
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
