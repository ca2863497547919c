/**
 * Issue #10's scenario end to end on the built CLI with real DuckDB, SQLite and git: a model
 * gains a column; `slipway diff` (which reads each view's columns from the catalog) reports it on
 * staging after apply, reports no column difference once prod is promoted to the same table, and
 * reports it again after prod is rolled back. Nothing reads the views in between, so the answer
 * comes from what the switch left in `information_schema.columns`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.js';
import { slipway, slipwayJson } from '../helpers/cli.js';
import { commitAll, releaseProject } from '../helpers/release-project.js';
import type { TempProject } from '../helpers/temp-project.js';

interface DiffJson {
  diffs: {
    model: string;
    diff: { schema: { added: { name: string }[]; removed: { name: string }[] } };
  }[];
}

let project: TempProject;

beforeAll(async () => {
  project = await releaseProject(1);
}, 60_000);
afterAll(async () => {
  await project?.remove();
});

/** `+ column` / `- column` lines of `diff prod staging` for customer_totals. */
async function columnChanges(): Promise<string[]> {
  const result = await slipwayJson<DiffJson>(
    ['diff', 'prod', 'staging', '--model', 'customer_totals', '--key', 'customer_id'],
    { cwd: project.root },
  );
  const schema = result.diffs.find((d) => d.model === 'customer_totals')?.diff.schema;
  expect(schema).toBeDefined();
  return [
    ...(schema?.added ?? []).map((c) => `+ ${c.name}`),
    ...(schema?.removed ?? []).map((c) => `- ${c.name}`),
  ];
}

/** The view's columns as the catalog lists them, read in-process (read-only). */
async function catalogColumns(environment: string): Promise<string[]> {
  const warehouse = createDuckDbWarehouse({
    path: path.join(project.root, '.slipway', 'warehouse.duckdb'),
    readOnly: true,
  });
  try {
    const { rows } = await warehouse.query(
      `select column_name from information_schema.columns
       where table_schema = $1 and table_name = 'customer_totals' order by ordinal_position`,
      { params: [environment] },
    );
    return rows.map((r) => String(r['column_name']));
  } finally {
    await warehouse.close();
  }
}

describe('the catalog after a switch', () => {
  it('lists the columns each view returns through apply, promote and rollback', async () => {
    const ok = async (args: string[]) => {
      const result = await slipway(args, { cwd: project.root });
      expect(result.code, `${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(0);
    };
    await ok(['apply', '--env', 'staging']);
    await ok(['promote', 'staging', 'prod']);
    expect(await columnChanges()).toEqual([]);

    const file = path.join(project.root, 'models', 'customer_totals.sql');
    const sql = await readFile(file, 'utf8');
    expect(sql).toContain('count(*) as orders,');
    await writeFile(
      file,
      sql.replace('count(*) as orders,', 'count(*) as orders, avg(amount) as avg_amount,'),
    );
    await commitAll(project.root, 'customer_totals gains avg_amount');

    await ok(['apply', '--env', 'staging']);
    expect(await catalogColumns('staging')).toEqual([
      'customer_id',
      'total',
      'orders',
      'avg_amount',
      'version',
    ]);
    expect(await columnChanges()).toEqual(['+ avg_amount']);

    await ok(['promote', 'staging', 'prod']);
    expect(await catalogColumns('prod')).toEqual(['customer_id', 'total', 'orders', 'avg_amount', 'version']);
    expect(await columnChanges()).toEqual([]);

    await ok(['rollback', '--env', 'prod']);
    expect(await catalogColumns('prod')).toEqual(['customer_id', 'total', 'orders', 'version']);
    expect(await columnChanges()).toEqual(['+ avg_amount']);
  });
});
