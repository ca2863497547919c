/**
 * What `validate` finds from the models' columns on a real in-memory DuckDB, without data: checks
 * on columns a model does not produce, and unit-test fixtures with columns their input does not
 * have or without columns the model reads — every one named, at the check's or the test's line.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { offlineShapeProblems } from '../../src/app/offline-shapes.js';
import { openSqlParser } from '../../src/app/open-sql-parser.js';
import { openUnitTestWarehouse } from '../../src/app/open-unit-test-warehouse.js';
import { formatDiagnostic } from '../../src/core/errors.js';
import { loadProject } from '../../src/project/load-project.js';
import { shapeProblems } from '../../src/quality/shape-problems.js';
import { MINIMAL_CONFIG, type TempProject, tempProject } from '../helpers/temp-project.js';

const SOURCES = `sources:
  - name: txns
    files: data/*.parquet
    columns:
      - { name: txn_id, type: BIGINT }
      - { name: amount, type: DOUBLE }
      - { name: country, type: VARCHAR }
`;

let project: TempProject | undefined;
afterEach(async () => {
  await project?.remove();
  project = undefined;
});

async function shapes(files: Record<string, string>): Promise<string[]> {
  project = await tempProject({ 'slipway.yaml': MINIMAL_CONFIG, 'sources/txns.yml': SOURCES, ...files });
  return (await shapeProblems(await load(project.root), openUnitTestWarehouse)).map((d) =>
    formatDiagnostic(d),
  );
}

async function load(root: string) {
  const parser = await openSqlParser();
  try {
    return await loadProject(root, { parser });
  } finally {
    await parser.close();
  }
}

describe('shape problems at validate', () => {
  it('finds a check on a column the model does not produce, with the near name', async () => {
    const found = await shapes({
      'models/spend.sql': `/* @slipway
columns:
  total: { checks: [not_null] }
  totl: { checks: [not_null] }
  nothing_like: { checks: [{ range: { min: 0 } }] }
*/
select country, sum(amount) as total from txns group by 1`,
    });
    expect(found).toEqual([
      expect.stringMatching(
        /^models\/spend\.sql:4:\d+: error: spend has no column 'totl' \(its not_null check cannot run\)\n {2}hint: did you mean 'total'\?$/,
      ),
      expect.stringMatching(
        /^models\/spend\.sql:5:\d+: error: spend has no column 'nothing_like' \(its range check cannot run\)\n {2}hint: its columns: country, total$/,
      ),
    ]);
  });

  it('names every fixture column the input lacks and every column the model reads that no fixture has', async () => {
    const found = await shapes({
      'models/spend.sql': 'select txn_id, country, amount * 2 as doubled from txns',
      'tests/spend.yml': `tests:
  - name: doubles
    model: spend
    inputs:
      txns: { rows: [{ txn_idd: 1, amout: 2.0 }] }
    expect: { rows: [] }
`,
    });
    expect(found).toEqual([
      "tests/spend.yml:2:11: error: test doubles: the fixture for txns has columns 'txn_idd', 'amout', which txns does not have\n  hint: did you mean 'txn_id'?",
      "tests/spend.yml:2:11: error: test doubles: spend reads columns 'txn_id', 'country', 'amount', which the fixtures of txns do not have\n  hint: add them to the fixture rows (or CSV header) of the input they belong to",
    ]);
  });

  it('is silent on a project whose checks and fixtures fit its models', async () => {
    const found = await shapes({
      'models/spend.sql': `/* @slipway
columns:
  doubled: { checks: [not_null] }
*/
select txn_id, amount * 2 as doubled from txns`,
      'tests/spend.yml': `tests:
  - name: doubles
    model: spend
    inputs:
      txns: { rows: [{ txn_id: 1, amount: 2.0 }] }
    expect: { rows: [{ txn_id: 1, doubled: 4.0 }] }
`,
    });
    expect(found).toEqual([]);
  });

  it('answers an unchanged project from the cache and binds again when a fixture changes', async () => {
    project = await tempProject({
      'slipway.yaml': MINIMAL_CONFIG,
      'sources/txns.yml': SOURCES,
      'models/spend.sql': 'select txn_id, amount * 2 as doubled from txns',
      'tests/spend.yml': `tests:
  - name: doubles
    model: spend
    inputs:
      txns: { csv: fixtures/txns.csv }
    expect: { rows: [] }
`,
      'tests/fixtures/txns.csv': 'txn_id,amount\n1,2.0\n',
    });
    const cacheDir = join(project.root, '.slipway', 'cache');
    const run = async () =>
      (await offlineShapeProblems(await load(project?.root as string), { cacheDir })).map((d) => d.message);
    expect(await run()).toEqual([]);
    expect(JSON.parse(await readFile(join(cacheDir, 'shape-problems.json'), 'utf8')).problems).toEqual([]);
    expect(await run()).toEqual([]);
    await project.write('tests/fixtures/txns.csv', 'txn_id,amont\n1,2.0\n');
    expect(await run()).toEqual([
      "test doubles: the fixture for txns has column 'amont', which txns does not have",
      "test doubles: spend reads column 'amount', which the fixtures of txns do not have",
    ]);
  });
});
