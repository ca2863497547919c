/**
 * How checks are executed on a real PostgreSQL, which skips no blocks: the one shared scan groups
 * its rows by the few-valued columns the value checks read, and judges each value condition once
 * per combination of values. Grouped and row by row must give the same verdicts and the exact
 * counts PostgreSQL itself gives, on dirty data: NULLs, NaN, ±Infinity, codes in the wrong case and
 * with blanks, a `where` on another column.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/quality/check-result.js';
import { runChecks } from '../../src/quality/run-checks.js';
import { createPostgresWarehouse } from '../../src/warehouse/postgres/postgres-warehouse.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.js';
import { check } from './check-helpers.js';

let database: TestDatabase;
let warehouse: Warehouse;
const ROWS = 50_000;

beforeAll(async () => {
  database = await freshDatabase('slipway_check_execution');
  warehouse = createPostgresWarehouse({ url: database.url });
  await warehouse.execute('create schema x');
  await warehouse.execute(`create table x.facts as select
      i as id,
      case when i % 4999 = 0 then null else i % 1000 end as qty,
      case when i = 30002 then 'NaN'::double precision when i = 30003 then 'Infinity'::double precision
           when i = 35000 then '-Infinity'::double precision else (i % 100) / 10.0 end as amount,
      case when i % 997 = 0 then 'usd' when i % 991 = 0 then ' EUR' when i % 983 = 0 then null
           when i % 977 = 0 then 'ÉUR' else (array['USD', 'EUR', 'GBP'])[1 + i % 3] end as currency,
      case when i % 10 = 0 then 'declined' when i % 1009 = 0 then null else 'approved' end as status,
      timestamp '2026-01-01' + make_interval(secs => i) as event_ts
    from generate_series(1, ${ROWS}) g(i)`);
  // The statistics the planner reads (as autovacuum leaves a table a release built).
  await warehouse.execute('analyze x.facts');
});
afterAll(async () => {
  await warehouse?.close();
  await database?.drop();
});

const relationOf = (target: string) => ({ schema: 'x', name: target });
async function run(checks: ReturnType<typeof check>[], maxGroupValues?: number): Promise<CheckResult[]> {
  const summary = await runChecks({
    warehouse,
    checks,
    relationOf,
    maxGroupValues,
    now: () => Date.parse('2026-02-01T00:00:00Z'),
  });
  return [...summary.results];
}
async function count(condition: string): Promise<number> {
  const { rows } = await warehouse.query(`select count(*) filter (where ${condition}) as n from x.facts`);
  return Number(rows[0]?.['n']);
}

describe('PostgreSQL: value checks judged once per combination of values in the one scan', () => {
  const checks = () => [
    check('accepted_values', 'facts', 'currency', { values: ['USD', 'EUR', 'GBP'] }),
    check('pattern', 'facts', 'currency', { regex: '^[A-Z]{3}$' }),
    check('length', 'facts', 'currency', { min: 3, max: 3 }),
    check('not_null', 'facts', 'currency'),
    check('accepted_values', 'facts', 'status', { values: ['approved', 'declined'] }),
    check('accepted_values', 'facts', 'currency', { values: ['USD'], where: "status = 'declined'" }),
    check('range', 'facts', 'amount', { min: 0, max: 9.9 }),
    check('not_null', 'facts', 'qty'),
    check('row_count', 'facts', undefined, { min: 1 }),
    check('freshness', 'facts', 'event_ts', { column: 'event_ts', error_after: '45d' }),
    check('pattern', 'facts', 'currency', { regex: '^[A-Z]+$', threshold: { percent: 1 } }),
  ];

  it('gives the results row-by-row evaluation gives, with the exact counts', async () => {
    const grouped = await run(checks());
    const perRow = await run(checks(), 0);
    expect(grouped[0]?.sql).toMatch(/GROUP BY "currency", "status"/);
    expect(perRow[0]?.sql).not.toContain('GROUP BY');
    const strip = (r: CheckResult) => ({ ...r, sql: '', durationMs: 0, id: '', position: undefined });
    expect(grouped.map(strip)).toEqual(perRow.map(strip));
    expect(grouped[0]?.failingRows).toBe(await count("currency not in ('USD', 'EUR', 'GBP')"));
    expect(grouped[1]?.failingRows).toBe(await count("not currency ~ '^[A-Z]{3}$'"));
    expect(grouped[2]?.failingRows).toBe(await count('char_length(currency) <> 3'));
    expect(grouped[3]?.failingRows).toBe(await count('currency is null'));
    expect(grouped[4]?.failingRows).toBe(await count("status not in ('approved', 'declined')"));
    expect(grouped[5]).toMatchObject({
      failingRows: await count("status = 'declined' and currency <> 'USD'"),
      totalRows: await count("status = 'declined'"),
    });
    expect(grouped[6]?.failingRows).toBe(await count("amount < 0 or amount > 9.9 or amount = 'NaN'"));
    expect(grouped[7]?.failingRows).toBe(await count('qty is null'));
    expect(grouped[8]?.totalRows).toBe(ROWS);
    expect(grouped.map((r) => r.status)).toEqual([
      'fail',
      'fail',
      'fail',
      'fail',
      'pass',
      'fail',
      'fail',
      'fail',
      'pass',
      'pass',
      'pass',
    ]);
    // Each figure is a count the data really has (not a default of zero).
    for (const i of [0, 1, 2, 3, 5, 6, 7]) expect(grouped[i]?.failingRows).toBeGreaterThan(0);
  });

  it('a filter that matches no row gives zero rows, not a missing figure', async () => {
    const [grouped] = await run([
      check('accepted_values', 'facts', 'currency', { values: ['USD'], where: "status = 'nobody'" }),
      check('pattern', 'facts', 'currency', { regex: '^[A-Z]{3}$' }),
    ]);
    expect(grouped).toMatchObject({ status: 'pass', failingRows: 0, totalRows: 0 });
    expect(grouped?.sql).toContain('GROUP BY');
  });
});
