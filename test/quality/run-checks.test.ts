import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectError } from '../../src/core/errors.js';
import type { CheckResult } from '../../src/quality/check-result.js';
import { runChecks } from '../../src/quality/run-checks.js';
import { createDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { check } from './check-helpers.js';

let warehouse: Warehouse;
const NOW = Date.parse('2026-01-10T12:00:00Z');

beforeAll(async () => {
  warehouse = createDuckDbWarehouse({ path: ':memory:', threads: 1 });
  await warehouse.execute('create schema t');
  await warehouse.execute(`create table t.people as select * from (values
    (1,    'ada',   'GB',  10.5::double, timestamptz '2026-01-10 10:00:00+00', 'a'),
    (2,    'bob',   'US',  'NaN'::double, timestamptz '2026-01-10 09:00:00+02', 'b'),
    (3,    'çé',    'us',  'Infinity'::double, null, ' c'),
    (null, null,    null,  '-Infinity'::double, timestamptz '2026-01-09 00:00:00-05', null),
    (3,    ' ada ', 'FR',  null, timestamptz '2026-01-10 11:00:00+00', 'e')
  ) v(id, name, country, score, seen_at, code)`);
  await warehouse.execute('create table t.empty (id bigint, name varchar)');
  await warehouse.execute(`create table t.pairs as select * from (values
    (1, 'a', 1), (1, 'b', 2), (1, 'a', 3), (null, 'a', 4), (null, 'a', 5), (2, null, 6)) v(k1, k2, parent_id)`);
  await warehouse.execute('create table t.parents as select * from (values (1), (2), (null)) v(id)');
});
afterAll(async () => {
  await warehouse.close();
});

const relationOf = (target: string) => ({ schema: 't', name: target });
async function run(...checks: ReturnType<typeof check>[]): Promise<CheckResult[]> {
  const names = ['people', 'parents', 'pairs', 'empty'];
  const summary = await runChecks({ warehouse, checks, relationOf, names, now: () => NOW, sampleRows: 2 });
  return [...summary.results];
}
async function one(c: ReturnType<typeof check>): Promise<CheckResult> {
  return (await run(c))[0] as CheckResult;
}

describe('row-level checks', () => {
  it('not_null finds NULLs in any position and samples only failures', async () => {
    const r = await one(check('not_null', 'people', 'id'));
    expect(r).toMatchObject({ status: 'fail', failingRows: 1, totalRows: 5, failingPercent: 20 });
    expect(r.samples).toHaveLength(1);
    const ok = await one(check('not_null', 'people', 'country', { where: 'id is not null' }));
    expect(ok).toMatchObject({ status: 'pass', failingRows: 0, totalRows: 4, samples: [] });
  });

  it('accepted_values is exact on Unicode, case and whitespace; NULL passes', async () => {
    const r = await one(check('accepted_values', 'people', 'name', { values: ['ada', 'bob', 'çé'] }));
    expect(r).toMatchObject({ status: 'fail', failingRows: 1 });
    expect(r.samples[0]?.['name']).toBe(' ada ');
    const n = await one(check('accepted_values', 'people', 'id', { values: [1, 2, 3] }));
    expect(n.status).toBe('pass');
  });

  it('range: NaN fails, infinities fail the bound they cross, inclusive or not', async () => {
    const both = await one(check('range', 'people', 'score', { min: 0, max: 100 }));
    expect(both.failingRows).toBe(3); // NaN, +Inf, -Inf
    const minOnly = await one(check('range', 'people', 'score', { min: 0 }));
    expect(minOnly.failingRows).toBe(2); // NaN, -Inf
    const exclusive = await one(check('range', 'people', 'id', { min: 1, max: 3, inclusive: false }));
    expect(exclusive.failingRows).toBe(3); // 1, 3, 3
    const inclusive = await one(check('range', 'people', 'id', { min: 1, max: 3 }));
    expect(inclusive.status).toBe('pass');
  });

  it('range on timestamps with time zones compares instants', async () => {
    const r = await one(check('range', 'people', 'seen_at', { min: '2026-01-09 06:00:00+00' }));
    expect(r.failingRows).toBe(1); // 2026-01-09 00:00-05 = 05:00Z
  });

  it('pattern and length work on Unicode and whitespace', async () => {
    const p = await one(check('pattern', 'people', 'country', { regex: '^[A-Z]{2}$' }));
    expect(p).toMatchObject({ failingRows: 1, status: 'fail' });
    const l = await one(check('length', 'people', 'name', { min: 2, max: 3 }));
    expect(l.failingRows).toBe(1); // ' ada ' is 5 characters; 'çé' is 2
    const codes = await one(check('pattern', 'people', 'code', { regex: '^\\S+$' }));
    expect(codes.failingRows).toBe(1);
  });

  it('thresholds fail only above the limit', async () => {
    const atRows = await one(check('not_null', 'people', 'id', { threshold: { rows: 1 } }));
    expect(atRows.status).toBe('pass');
    const atPercent = await one(check('not_null', 'people', 'id', { threshold: { percent: 20 } }));
    expect(atPercent.status).toBe('pass');
    const above = await one(check('not_null', 'people', 'name', { threshold: { percent: 19.99 } }));
    expect(above.status).toBe('fail');
  });

  it('warn severity warns; where filters fold into each aggregate', async () => {
    const [a, b] = await run(
      check('not_null', 'people', 'id', { severity: 'warn' }),
      check('not_null', 'people', 'id', { where: "country = 'GB'" }),
    );
    expect(a?.status).toBe('warn');
    expect(b).toMatchObject({ status: 'pass', totalRows: 1 });
    expect(a?.sql).toBe(b?.sql); // one scan answered both
  });

  it('expression: NULL passes (as in a CHECK constraint)', async () => {
    const r = await one(check('expression', 'people', undefined, { sql: 'id < 3' }));
    expect(r.failingRows).toBe(2);
  });

  it('not_null_proportion', async () => {
    expect((await one(check('not_null_proportion', 'people', 'seen_at', { at_least: 0.8 }))).status).toBe(
      'pass',
    );
    expect((await one(check('not_null_proportion', 'people', 'seen_at', { at_least: 0.81 }))).status).toBe(
      'fail',
    );
  });

  it('empty tables: row checks pass, row_count min fails, freshness has no age', async () => {
    const [nn, rc, fr, u] = await run(
      check('not_null', 'empty', 'id'),
      check('row_count', 'empty', undefined, { min: 1 }),
      check('freshness', 'empty', undefined, { column: 'id', error_after: '1h' }),
      check('unique', 'empty', 'id'),
    );
    expect(nn).toMatchObject({ status: 'pass', totalRows: 0, failingPercent: 0 });
    expect(rc?.status).toBe('fail');
    expect(u?.status).toBe('pass');
    expect(fr?.status).toBe('fail');
  });

  it('all failing', async () => {
    const r = await one(check('accepted_values', 'people', 'country', { values: ['XX'] }));
    // Over the non-null values (the NULL country neither fails nor counts), as GE's `mostly`.
    expect(r).toMatchObject({ failingRows: 4, totalRows: 4, failingPercent: 100, status: 'fail' });
    expect(r.message).toBe('4 of 4 non-null rows fail (100.00%)');
  });

  it('row_count bounds are inclusive', async () => {
    expect((await one(check('row_count', 'people', undefined, { min: 5, max: 5 }))).status).toBe('pass');
    expect((await one(check('row_count', 'people', undefined, { max: 4 }))).status).toBe('fail');
  });
});

describe('freshness', () => {
  it('compares the newest instant (time zones respected) with now', async () => {
    const fresh = await one(
      check('freshness', 'people', 'seen_at', { warn_after: '30m', error_after: '2h' }),
    );
    expect(fresh.status).toBe('warn'); // newest 11:00Z, an hour before 12:00Z
    const stale = await one(check('freshness', 'people', 'seen_at', { error_after: '30m' }));
    expect(stale.status).toBe('fail');
    const ok = await one(check('freshness', 'people', 'seen_at', { error_after: '2h' }));
    expect(ok.status).toBe('pass');
  });
});

describe('uniqueness and relationships', () => {
  it('unique on one column ignores NULLs, counts both rows of a pair and samples the duplicated keys', async () => {
    const r = await one(check('unique', 'people', 'id'));
    expect(r).toMatchObject({
      status: 'fail',
      failingRows: 2,
      repeatedKeys: 1,
      totalRows: 4,
      failingPercent: 50,
    });
    expect(r.message).toBe('2 rows of 4 carry a repeated id (1 value repeated)');
    expect(r.samples).toEqual([{ id: 3, duplicate_count: 2 }]);
  });

  it('composite keys: rows with a NULL in the key are not compared', async () => {
    const r = await one(check('unique', 'pairs', undefined, { columns: ['k1', 'k2'] }));
    expect(r).toMatchObject({ failingRows: 2, repeatedKeys: 1, totalRows: 3 });
    expect(r.samples).toEqual([{ k1: 1, k2: 'a', duplicate_count: 2 }]);
    const filtered = await one(
      check('unique', 'pairs', undefined, { columns: ['k1', 'k2'], where: 'parent_id > 1' }),
    );
    expect(filtered.status).toBe('pass');
  });

  it('composite keys: ignore_row_if chooses which rows with NULLs are compared, as in GE', async () => {
    await warehouse.execute(
      "create or replace table t.halves as select * from (values (1, 'a'), (1, 'a'), (null, 'a'), (null, 'a'), (null, null), (null, null), (2, 'b')) v(k1, k2)",
    );
    const key = (ignore?: string) =>
      check('unique', 'halves', undefined, {
        columns: ['k1', 'k2'],
        ...(ignore ? { ignore_row_if: ignore } : {}),
      });
    const [any, all, never] = await run(key(), key('all_values_are_missing'), key('never'));
    expect(any).toMatchObject({ failingRows: 2, repeatedKeys: 1, totalRows: 3 });
    expect(all).toMatchObject({ failingRows: 4, repeatedKeys: 2, totalRows: 5 });
    expect(never).toMatchObject({ failingRows: 6, repeatedKeys: 3, totalRows: 7 });
    const error = await run(check('unique', 'halves', 'k1', { ignore_row_if: 'never' })).catch((e) => e);
    expect(error).toBeInstanceOf(ProjectError);
    expect((error as ProjectError).diagnostics[0]?.message).toMatch(
      /ignore_row_if applies to a key of several columns/,
    );
  });

  it('relationships: orphans fail, NULL children pass, NULL parents never match', async () => {
    const r = await one(check('relationships', 'pairs', 'k1', { to: 'parents', field: 'id' }));
    expect(r.status).toBe('pass');
    const orphans = await one(check('relationships', 'pairs', 'parent_id', { to: 'parents', field: 'id' }));
    expect(orphans).toMatchObject({ failingRows: 4, totalRows: 6 });
    expect(orphans.samples).toHaveLength(2);
  });

  it('relationships to an empty parent: every compared child is an orphan', async () => {
    const r = await one(check('relationships', 'pairs', 'k1', { to: 'empty', field: 'id' }));
    expect(r).toMatchObject({ status: 'fail', failingRows: 4, totalRows: 4 });
    const none = await one(check('relationships', 'empty', 'id', { to: 'parents', field: 'id' }));
    expect(none).toMatchObject({ status: 'pass', failingRows: 0, totalRows: 0 });
  });
});

describe('custom queries and schema contracts', () => {
  it('a query whose rows are failures reads models by bare name', async () => {
    const r = await one(
      check('query', 'people', undefined, { sql: 'select * from people p join parents using (id)' }),
    );
    expect(r).toMatchObject({ status: 'fail', failingRows: 2 });
    expect(r.samples).toHaveLength(2);
  });

  it('schema: types, missing and extra columns, nullability from the data', async () => {
    const ok = await one(check('schema', 'parents', undefined, { columns: { id: 'int' } }));
    expect(ok.status).toBe('pass');
    const bad = await one(
      check('schema', 'pairs', undefined, {
        columns: { k1: 'BIGINT', nope: 'VARCHAR' },
        nullable: { k1: false },
      }),
    );
    expect(bad.status).toBe('fail');
    expect(bad.message).toContain('k1 is INTEGER, expected BIGINT');
    expect(bad.message).toContain('missing column nope');
    expect(bad.message).toContain('unexpected column k2');
    expect(bad.message).toContain('k1 must not be null but has 2 NULLs');
  });
});

describe('bad input', () => {
  it("bounds relative to the run's clock: now, now - 1d, on a timestamp with its zone", async () => {
    // NOW is 2026-01-10 12:00Z; seen_at holds 10:00Z, 07:00Z, NULL, 2026-01-09 05:00Z and 11:00Z.
    const [day, hours, future] = await run(
      check('range', 'people', 'seen_at', { min: 'now - 1d', max: 'now' }),
      check('range', 'people', 'seen_at', { min: 'now - 2h' }),
      check('range', 'people', 'seen_at', { max: 'now - 3h' }),
    );
    expect(day).toMatchObject({ status: 'fail', failingRows: 1, totalRows: 4 });
    expect(hours).toMatchObject({ failingRows: 2 });
    expect(future).toMatchObject({ failingRows: 2 }); // 10:00Z and 11:00Z are after 09:00Z
    const error = await run(check('range', 'people', 'id', { min: 'now - 1d' })).catch((e) => e);
    expect((error as ProjectError).diagnostics[0]?.message).toMatch(
      /a bound relative to now needs a date or timestamp column, and column id is INTEGER/,
    );
  });

  it('a check the column type cannot take is refused before anything runs, with the type named', async () => {
    const error = await run(
      check('pattern', 'people', 'id', { regex: '^[0-9]+$' }),
      check('length', 'people', 'score', { max: 3 }),
      check('range', 'people', 'name', { min: 1 }),
      check('range', 'people', 'id', { min: 'a', max: 'b' }),
    ).catch((e) => e);
    expect(error).toBeInstanceOf(ProjectError);
    expect((error as ProjectError).diagnostics.map((d) => d.message.replace(/^check \S+: /, ''))).toEqual([
      "'pattern' reads text, and column id is INTEGER",
      "'length' reads text, and column score is DOUBLE",
      "'range' has number bounds, and column name is VARCHAR: its values would be compared as text",
    ]);
  });

  it('an unknown column and a regex the engine rejects are errors at file:line', async () => {
    const unknown = check('not_null', 'people', 'nope');
    const regex = check('pattern', 'people', 'name', { regex: '(' });
    // A good pattern beside the bad one: only the bad one is reported.
    const fine = check('pattern', 'people', 'name', { regex: '^[A-Z]' });
    const error = await run(unknown, regex, fine).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProjectError);
    const diagnostics = (error as ProjectError).diagnostics;
    expect(diagnostics.map((d) => d.position.line)).toEqual([unknown.position.line, regex.position.line]);
    expect(diagnostics[0]?.message).toContain("has no column 'nope'");
    expect(diagnostics[1]?.message).toContain('rejects the regex');
  });

  it('a bad user condition errors only its own check; a missing relation is an error result', async () => {
    const [good, bad, missing, unique] = await run(
      check('not_null', 'people', 'id'),
      check('expression', 'people', undefined, { sql: 'no_such_column > 1' }),
      check('not_null', 'ghost', 'id'),
      check('unique', 'people', 'id'),
    );
    expect(good?.status).toBe('fail');
    expect(bad?.status).toBe('error');
    expect(missing?.status).toBe('error');
    expect(unique).toMatchObject({ status: 'fail', failingRows: 2 });
  });
});

describe('compiled execution', () => {
  it('row-level checks on one relation cost one statement, uniqueness one more; samples only on failure', async () => {
    const checks = [
      check('not_null', 'people', 'country', { where: 'id is not null' }),
      check('range', 'people', 'id', { min: 1 }),
      check('unique', 'people', 'name'),
      check('accepted_values', 'people', 'country', { values: ['GB', 'US', 'us', 'FR'] }),
      check('row_count', 'people', undefined, { min: 1 }),
      check('freshness', 'people', 'seen_at', { error_after: '1d' }),
    ];
    const passing = await runChecks({ warehouse, checks, relationOf, now: () => NOW });
    expect(passing.results.map((r) => r.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass', 'pass']);
    expect(passing.queries).toBe(2); // the row-level statement and the distinct count
    const failing = await runChecks({
      warehouse,
      checks: [...checks, check('not_null', 'people', 'id')],
      relationOf,
      now: () => NOW,
    });
    expect(failing.queries).toBe(3); // the same two, then the one failed check's samples
    expect(failing.blocking).toBe(true);
  });
});

describe('uniqueness of integer keys', () => {
  it('uses a bitmap for dense ranges and a hash for sparse ones, with the same answers', async () => {
    await warehouse.execute(
      'create or replace table t.ints as select * from (values (-5::bigint), (-5), (3), (null), (10)) v(id)',
    );
    await warehouse.execute(
      'create or replace table t.sparse as select * from (values (0::bigint), (1099511627776), (1099511627776)) v(id)',
    );
    const dense = await one(check('unique', 'ints', 'id'));
    expect(dense).toMatchObject({ status: 'fail', failingRows: 2, repeatedKeys: 1, totalRows: 4 });
    expect(dense.sql).toContain('bitstring_agg');
    expect(dense.samples).toEqual([{ id: -5, duplicate_count: 2 }]);
    expect((await one(check('unique', 'ints', 'id', { where: 'id > 0' }))).status).toBe('pass');
    const sparse = await one(check('unique', 'sparse', 'id'));
    expect(sparse).toMatchObject({ status: 'fail', failingRows: 2 });
    expect(sparse.sql).not.toContain('bitstring_agg');
  });
});
