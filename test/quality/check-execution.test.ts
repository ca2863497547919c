/**
 * How checks are executed, against real DuckDB: counts answered from DuckDB's block statistics
 * (clean blocks skipped, dirty blocks read) must be the exact counts, NaN and infinities included;
 * value checks evaluated once per distinct value must count what row-by-row evaluation counts.
 * The table spans several storage blocks (row groups of 122,880 rows), dirt in only some of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/quality/check-result.js';
import { runChecks } from '../../src/quality/run-checks.js';
import { createDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { check } from './check-helpers.js';

let warehouse: Warehouse;
const ROWS = 400_000;

beforeAll(async () => {
  warehouse = createDuckDbWarehouse({ path: ':memory:', threads: 1 });
  await warehouse.execute('create schema x');
  // Clean everywhere except: NULLs, NaN, ±Infinity and bad codes only past row 300,000.
  await warehouse.execute(`create table x.facts as select
      i as id,
      case when i = 300001 or i = 399999 then null else i % 1000 end as qty,
      case when i = 300002 then 'NaN'::double when i = 300003 then 'Infinity'::double
           when i = 350000 then '-Infinity'::double else (i % 100) / 10.0 end as amount,
      case when i > 300000 and i % 997 = 0 then 'usd' when i > 300000 and i % 991 = 0 then ' EUR'
           when i > 300000 and i % 983 = 0 then null when i > 300000 and i % 977 = 0 then 'ÉUR'
           else (['USD', 'EUR', 'GBP'])[1 + i % 3] end as currency,
      case when i % 10 = 0 then 'declined' else 'approved' end as status,
      'note ' || i as note,
      1 + i % 50 as merchant_id
    from range(${ROWS}) r(i)`);
  // Merchants 1..47 but 13: not a dense key, so relationships to it join.
  await warehouse.execute(
    'create table x.merchants as select i as merchant_id from range(1, 48) r(i) where i <> 13',
  );
  // Every integer 3..47 (5 twice, and a NULL): a dense key, so relationships to it are a range test.
  await warehouse.execute(`create table x.dense_merchants as
    select i::integer as merchant_id from range(3, 48) r(i) union all select 5 union all select null`);
  await warehouse.execute('create table x.quantities as select i as qty from range(0, 999) r(i)');
  // Keys far apart (no bitmap), and keys whose statistics cover a range the data no longer fills.
  await warehouse.execute(`create table x.wide as select * from (values
    (-5::bigint), (-5), (3), (1099511627776), (null)) v(k)`);
  await warehouse.execute('create table x.shrunk as select i as k from range(0, 1000) r(i)');
  await warehouse.execute('delete from x.shrunk where k > 10');
  await warehouse.execute('insert into x.shrunk values (3)');
});
afterAll(async () => {
  await warehouse.close();
});

const relationOf = (target: string) => ({ schema: 'x', name: target });
async function run(checks: ReturnType<typeof check>[], maxGroupValues?: number): Promise<CheckResult[]> {
  const summary = await runChecks({ warehouse, checks, relationOf, sampleRows: 1, maxGroupValues });
  return [...summary.results];
}
async function count(condition: string): Promise<number> {
  const { rows } = await warehouse.query(`select count_if(${condition}) as n from x.facts`);
  return Number(rows[0]?.['n']);
}

describe('counts from block statistics', () => {
  it('clean data passes with zero failures; dirt in one block is counted exactly', async () => {
    const [clean, nulls, range] = await run([
      check('not_null', 'facts', 'id'),
      check('not_null', 'facts', 'qty'),
      check('range', 'facts', 'qty', { min: 0, max: 998 }),
    ]);
    expect(clean).toMatchObject({ status: 'pass', failingRows: 0, totalRows: ROWS, samples: [] });
    expect(nulls).toMatchObject({ status: 'fail', failingRows: 2, totalRows: ROWS });
    expect(range?.failingRows).toBe(await count('qty > 998'));
    expect(range?.samples).toHaveLength(1);
  });

  it('NaN fails every range, +Infinity only a max, -Infinity only a min', async () => {
    const [both, minOnly, maxOnly, exclusive, clean] = await run([
      check('range', 'facts', 'amount', { min: 0, max: 10 }),
      check('range', 'facts', 'amount', { min: 0 }),
      check('range', 'facts', 'amount', { max: 10 }),
      check('range', 'facts', 'amount', { min: 0, max: 9.9, inclusive: false }),
      check('range', 'facts', 'amount', { min: 0, where: 'id < 300000' }),
    ]);
    expect(both?.failingRows).toBe(3); // NaN, +Inf, -Inf
    expect(minOnly?.failingRows).toBe(2); // NaN, -Inf
    expect(maxOnly?.failingRows).toBe(2); // NaN, +Inf
    expect(exclusive?.failingRows).toBe(await count('amount <= 0 or amount >= 9.9 or isnan(amount)'));
    expect(clean).toMatchObject({ status: 'pass', failingRows: 0, totalRows: 300_000 });
  });

  it('where filters count only their rows, in the failures and in the total', async () => {
    const [declined, late] = await run([
      check('not_null', 'facts', 'qty', { where: "status = 'declined'" }),
      check('range', 'facts', 'amount', { max: 10, where: 'id > 300002' }),
    ]);
    expect(declined).toMatchObject({ failingRows: 0, totalRows: ROWS / 10, status: 'pass' });
    expect(late).toMatchObject({ failingRows: 1, totalRows: ROWS - 300_003 }); // +Infinity
  });
});

describe('value checks once per distinct value', () => {
  const valueChecks = () => [
    check('accepted_values', 'facts', 'currency', { values: ['USD', 'EUR', 'GBP'] }),
    check('pattern', 'facts', 'currency', { regex: '^[A-Z]{3}$' }),
    check('length', 'facts', 'currency', { min: 3, max: 3 }),
    check('not_null', 'facts', 'currency'),
    check('accepted_values', 'facts', 'currency', { values: ['USD'], where: "status = 'declined'" }),
    check('pattern', 'facts', 'currency', { regex: '^[A-Z]+$', threshold: { percent: 1 } }),
    check('not_null_proportion', 'facts', 'currency', { at_least: 0.999 }),
    // Common values the checks answer differently (USD passes, EUR and GBP fail).
    check('accepted_values', 'facts', 'currency', { values: ['USD'] }),
    // Filters that read only the value column: evaluated per value, also for other columns' totals.
    check('row_count', 'facts', undefined, { min: 1, where: "currency = 'EUR'" }),
    check('range', 'facts', 'amount', { min: 0, where: "currency = 'GBP'" }),
    check('pattern', 'facts', 'currency', {
      regex: '^[A-Z]{3}$',
      where: "lower(currency) in ('usd', 'eur')",
    }),
    // A volatile filter is never evaluated per value.
    check('accepted_values', 'facts', 'currency', { values: ['USD', 'EUR', 'GBP'], where: 'random() < 2' }),
    // Nor one naming the relation (it still binds in the sample that picks the common values).
    check('pattern', 'facts', 'currency', { regex: '^[A-Z]{3}$', where: "facts.currency <> 'GBP'" }),
  ];

  it('grouped by value and row by row give the same results on dirty data', async () => {
    const grouped = await run(valueChecks());
    const perRow = await run(valueChecks(), 0);
    expect(grouped[0]?.sql).toContain('GROUP BY "currency"');
    // The sample's common values (USD, EUR, GBP in some order) are skipped while reading.
    expect(grouped[0]?.sql).toContain('"currency" IS DISTINCT FROM');
    expect(perRow[0]?.sql).not.toContain('GROUP BY');
    const strip = (r: CheckResult) => ({ ...r, sql: '', durationMs: 0, id: '', position: undefined });
    expect(grouped.map(strip)).toEqual(perRow.map(strip));
    expect(grouped[0]?.failingRows).toBe(await count("currency not in ('USD', 'EUR', 'GBP')"));
    expect(grouped[1]?.failingRows).toBe(await count("not regexp_matches(currency, '^[A-Z]{3}$')"));
    expect(grouped[2]?.failingRows).toBe(await count('length(currency) <> 3'));
    expect(grouped[3]?.failingRows).toBe(await count('currency is null'));
    expect(grouped[4]?.failingRows).toBe(await count("status = 'declined' and currency <> 'USD'"));
    expect(grouped.slice(0, 7).map((r) => r.status)).toEqual([
      'fail',
      'fail',
      'fail',
      'fail',
      'fail',
      'pass',
      'pass',
    ]);
    expect(grouped[7]?.failingRows).toBe(await count("currency <> 'USD'"));
    expect(grouped[8]?.totalRows).toBe(await count("currency = 'EUR'"));
    expect(grouped[9]).toMatchObject({
      failingRows: await count("currency = 'GBP' and (amount < 0 or isnan(amount))"),
      totalRows: await count("currency = 'GBP'"),
    });
    expect(grouped[10]).toMatchObject({
      failingRows: await count(
        "lower(currency) in ('usd', 'eur') and not regexp_matches(currency, '^[A-Z]{3}$')",
      ),
      totalRows: await count("lower(currency) in ('usd', 'eur')"),
    });
    expect(grouped[11]?.failingRows).toBe(await count("currency not in ('USD', 'EUR', 'GBP')"));
    expect(grouped[12]).toMatchObject({
      failingRows: await count("currency <> 'GBP' and not regexp_matches(currency, '^[A-Z]{3}$')"),
      totalRows: await count("currency <> 'GBP'"),
    });
  });

  it('a column with many distinct values is checked row by row', async () => {
    const [r] = await run([check('pattern', 'facts', 'note', { regex: '^note [0-9]+$' })]);
    expect(r).toMatchObject({ status: 'pass', failingRows: 0 });
    expect(r?.sql).not.toContain('GROUP BY');
  });

  it('relationships: a repeating child column grouped first counts the same orphans', async () => {
    const rel = () => [
      check('relationships', 'facts', 'merchant_id', { to: 'merchants', field: 'merchant_id' }),
    ];
    const [grouped] = await run(rel());
    const [perRow] = await run(rel(), 0);
    expect(grouped?.sql).toContain('GROUP BY');
    expect(perRow?.sql).not.toContain('GROUP BY');
    const orphans = await count('merchant_id > 47 or merchant_id = 13');
    expect(grouped).toMatchObject({ failingRows: orphans, totalRows: ROWS });
    expect(perRow).toMatchObject({ failingRows: orphans, totalRows: ROWS });
  });
});

describe('uniqueness counted with a bitmap over the bounds in the statistics', () => {
  it('is exact with the bitmap, a where filter, NULLs, wide keys and stale statistics', async () => {
    const [ids, qty, filtered] = await run([
      check('unique', 'facts', 'id'),
      check('unique', 'facts', 'qty'),
      check('unique', 'facts', 'qty', { where: 'id < 2000' }),
    ]);
    expect(ids?.sql).toContain('bitstring_agg');
    expect(ids).toMatchObject({ status: 'pass', failingRows: 0, totalRows: ROWS });
    // Every row whose key repeats fails (both rows of a pair), beside the number of repeated keys.
    const repeats = async (where: string) => {
      const { rows } = await warehouse.query(
        `select coalesce(sum(c), 0) as r, count(*) as k from (select count(*) as c from x.facts where qty is not null and ${where} group by qty having count(*) > 1) s`,
      );
      return { failingRows: Number(rows[0]?.['r']), repeatedKeys: Number(rows[0]?.['k']) };
    };
    const { rows } = await warehouse.query('select count(qty) as n from x.facts');
    const n = Number(rows[0]?.['n']);
    expect(qty).toMatchObject({ status: 'fail', ...(await repeats('true')), totalRows: n });
    expect(filtered).toMatchObject({ ...(await repeats('id < 2000')), totalRows: 2000 });
    expect(filtered?.failingRows).toBeGreaterThan(filtered?.repeatedKeys ?? 0);
    const [wide, shrunk] = await run([check('unique', 'wide', 'k'), check('unique', 'shrunk', 'k')]);
    expect(wide?.sql).not.toContain('bitstring_agg');
    expect(wide).toMatchObject({ failingRows: 2, repeatedKeys: 1, totalRows: 4 });
    expect(shrunk).toMatchObject({ failingRows: 2, repeatedKeys: 1, totalRows: 12 });
  });
});

describe('relationships to a dense integer key', () => {
  it('are a range test with the same counts as the join: orphans on both sides, NULLs, where', async () => {
    const [all, filtered, nulls] = await run([
      check('relationships', 'facts', 'merchant_id', { to: 'dense_merchants', field: 'merchant_id' }),
      check('relationships', 'facts', 'merchant_id', {
        to: 'dense_merchants',
        field: 'merchant_id',
        where: 'id < 1000',
      }),
      check('relationships', 'facts', 'qty', { to: 'quantities', field: 'qty' }),
    ]);
    expect(all?.sql).not.toContain('JOIN');
    expect(all).toMatchObject({
      status: 'fail',
      failingRows: await count('merchant_id < 3 or merchant_id > 47'),
      totalRows: ROWS,
    });
    expect([1, 2, 48, 49, 50]).toContain(Number(all?.samples[0]?.['merchant_id']));
    expect(filtered).toMatchObject({
      failingRows: await count('id < 1000 and (merchant_id < 3 or merchant_id > 47)'),
      totalRows: 1000,
    });
    // qty: NULLs are not compared; 999 has no parent (0..998).
    expect(nulls?.sql).not.toContain('JOIN');
    expect(nulls).toMatchObject({ failingRows: await count('qty > 998'), totalRows: ROWS - 2 });
  });
});
