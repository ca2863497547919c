/**
 * How checks are executed on a real PostgreSQL, which skips no blocks: the one shared scan groups
 * its rows by the few-valued columns the value checks read, and judges each value condition once
 * per combination of values. Grouped and row by row must give the same verdicts and the exact
 * counts PostgreSQL itself gives, on dirty data: NULLs, NaN, ±Infinity, codes in the wrong case and
 * with blanks, a `where` on another column. A relationship whose parent keys are every integer of a
 * range is answered by the child's shared scan as a range test, with the counts a join gives.
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
  // Parents: every integer from 1 to 900 (a range), and the same keys less 450 (no range).
  await warehouse.execute(
    'create table x.dense as select cast(i as bigint) as k from generate_series(1, 900) g(i)',
  );
  await warehouse.execute('create table x.gapped as select k from x.dense where k <> 450');
  await warehouse.execute('create table x.lonely as select id, qty from x.facts');
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
      totalRows: await count("status = 'declined' and currency is not null"),
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

describe("PostgreSQL: a relationship to a range of integer keys in the child's shared scan", () => {
  async function orphans(parent: string, where = 'true'): Promise<{ failing: number; total: number }> {
    const { rows } = await warehouse.query(
      `select count(*) filter (where not exists (select 1 from x.${parent} p where p.k = f.qty)) as failing,
              count(*) as total
       from x.facts f where f.qty is not null and (${where})`,
    );
    return { failing: Number(rows[0]?.['failing']), total: Number(rows[0]?.['total']) };
  }

  it("counts the orphans a join counts, in the scan, and reads like the join's result", async () => {
    const [, folded, filtered, joined] = await run([
      check('not_null', 'facts', 'id'),
      check('relationships', 'facts', 'qty', { to: 'dense', field: 'k' }),
      check('relationships', 'facts', 'qty', { to: 'dense', field: 'k', where: "status = 'declined'" }),
      check('relationships', 'facts', 'qty', { to: 'gapped', field: 'k' }),
    ]);
    const all = await orphans('dense');
    const declined = await orphans('dense', "f.status = 'declined'");
    const gapped = await orphans('gapped');
    // qty runs 0..999 with NULLs: 0 and 901..999 have no parent, 450 none in `gapped` either.
    expect(all.failing).toBeGreaterThan(0);
    expect(gapped.failing).toBeGreaterThan(all.failing);
    expect(folded).toMatchObject({ status: 'fail', failingRows: all.failing, totalRows: all.total });
    expect(folded?.message).toBe(
      `${all.failing.toLocaleString('en-US')} of ${all.total.toLocaleString('en-US')} qty values have no dense.k`,
    );
    expect(folded?.sql).toContain('slipway_aggregate');
    expect(folded?.sql).not.toContain('JOIN');
    expect(filtered).toMatchObject({ failingRows: declined.failing, totalRows: declined.total });
    expect(filtered?.sql).toBe(folded?.sql);
    // No range: a join of its own, and the same kind of figures.
    expect(joined).toMatchObject({ status: 'fail', failingRows: gapped.failing, totalRows: gapped.total });
    expect(joined?.sql).toContain('LEFT JOIN');
    // Samples are the orphans themselves.
    expect(folded?.samples.length).toBeGreaterThan(0);
    for (const row of folded?.samples ?? []) {
      const qty = Number(row['qty']);
      expect(qty < 1 || qty > 900).toBe(true);
    }
  });

  it('a child with no row-level check of its own gets one scan counting both figures', async () => {
    const [alone] = await run([check('relationships', 'lonely', 'qty', { to: 'dense', field: 'k' })]);
    const all = await orphans('dense');
    expect(alone).toMatchObject({ failingRows: all.failing, totalRows: all.total });
    expect(alone?.sql).not.toContain('JOIN');
    expect(alone?.sql?.match(/FROM/g)?.length).toBe(1);
  });
});
