/**
 * Check verdicts against Great Expectations' own: cases taken from the published test definitions
 * in GE's repository (`tests/test_definitions/column_map_expectations/…`, one `describe` per
 * file, the case titles as GE names them), for every check type both have, run on DuckDB and on a
 * real PostgreSQL. Each case asserts GE's expected `success` and the number of unexpected rows
 * (the length of its `unexpected_list`). GE's `mostly: m` is Slipway's `threshold: { percent:
 * (1 − m) × 100 }`: both pass while the failing share of the non-null values is at most that.
 *
 * Deliberate exceptions (docs/project-format.md says why), each refused at validate where GE runs
 * it: an empty regex (GE passes every value), an empty `value_set` (GE fails every value), a
 * `length` or `range` whose max is below its min (GE fails every value), and cross-type
 * comparisons (a number range on a text column, `length` or `pattern` on a number).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckKind } from '../../src/project/schemas.js';
import { runChecks } from '../../src/quality/run-checks.js';
import { createDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.js';
import { createPostgresWarehouse } from '../../src/warehouse/postgres/postgres-warehouse.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.js';
import { check } from './check-helpers.js';

/** A GE dataset: columns of equal length, with the SQL type each is created with. */
interface Dataset {
  readonly table: string;
  readonly columns: Readonly<
    Record<string, { readonly type: 'integer' | 'double' | 'text'; readonly values: readonly unknown[] }>
  >;
}

interface Case {
  readonly title: string;
  readonly table: string;
  readonly kind: CheckKind;
  readonly column: string | undefined;
  readonly params: Record<string, unknown>;
  /** GE's `mostly`, when the case has one. */
  readonly mostly?: number;
  readonly success: boolean;
  /** Rows GE lists as unexpected. */
  readonly unexpected: number;
}

const datasets: Dataset[] = [
  {
    // expect_column_values_to_be_between.json
    table: 'between',
    columns: {
      x: { type: 'integer', values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
      z: { type: 'integer', values: [1, 2, 3, 4, 5, null, null, null, null, null] },
    },
  },
  {
    // expect_column_values_to_be_unique.json
    table: 'uniq',
    columns: {
      a: { type: 'text', values: ['2', '2', '2', null] },
      c: { type: 'integer', values: [1, 1, 2, null] },
      n: { type: 'integer', values: [null, null, 2, null] },
      unique: { type: 'integer', values: [1, 2, 3, null] },
      nul: { type: 'text', values: [null, null, null, null] },
      mult_dup: { type: 'text', values: ['1', '1', '2', '2'] },
    },
  },
  {
    // expect_column_values_to_not_be_null.json
    table: 'nn',
    columns: {
      one_null: { type: 'integer', values: [4, 5, null, 7] },
      three_null: { type: 'integer', values: [null, null, null, 5] },
      no_null: { type: 'text', values: ['a', 'b', 'c', 'd'] },
      all_null: { type: 'text', values: [null, null, null, null] },
    },
  },
  {
    // expect_column_values_to_be_in_set.json
    table: 'inset',
    columns: {
      x: { type: 'integer', values: [1, 2, 4] },
      y: { type: 'double', values: [1.1, 2.2, 5.5] },
      z: { type: 'text', values: ['hello', 'jello', 'mello'] },
    },
  },
  // …and its empty column
  { table: 'empty', columns: { empty_column: { type: 'text', values: [] } } },
  {
    // expect_column_value_lengths_to_be_between.json
    table: 'lengths',
    columns: {
      s1: { type: 'text', values: ['smart', 'silly', 'sassy', 'slimy', 'sexy'] },
      s2: { type: 'text', values: ['cool', 'calm', 'collected', 'casual', 'creepy'] },
      s3: { type: 'text', values: ['cool', 'calm', 'collected', 'casual', null] },
    },
  },
  {
    // expect_column_values_to_match_regex.json
    table: 'regex',
    columns: {
      a: { type: 'text', values: ['aaa', 'abb', 'acc', 'add', 'bee'] },
      b: { type: 'text', values: ['aaa', 'abb', 'acc', 'bdd', null] },
      c: { type: 'text', values: [null, null, null, null, null] },
    },
  },
];

const range = (column: string, params: Record<string, unknown>) => ({
  kind: 'range' as const,
  column,
  params,
});
const cases: Case[] = [
  // expect_column_values_to_be_between
  {
    title: 'basic_positive_test',
    table: 'between',
    ...range('x', { min: 1, max: 10 }),
    success: true,
    unexpected: 0,
  },
  {
    title: 'another_basic_positive_test',
    table: 'between',
    ...range('x', { min: 0, max: 20 }),
    success: true,
    unexpected: 0,
  },
  { title: 'missing_min_value', table: 'between', ...range('x', { max: 20 }), success: true, unexpected: 0 },
  { title: 'missing_max_value', table: 'between', ...range('x', { min: 0 }), success: true, unexpected: 0 },
  {
    title: 'basic_negative_test',
    table: 'between',
    ...range('x', { min: 1, max: 9 }),
    success: false,
    unexpected: 1,
  },
  {
    title: 'another_negative_test',
    table: 'between',
    ...range('x', { min: 3, max: 10 }),
    success: false,
    unexpected: 2,
  },
  {
    title: 'positive_test_with_mostly',
    table: 'between',
    ...range('x', { min: 1, max: 10 }),
    mostly: 0.9,
    success: true,
    unexpected: 0,
  },
  {
    title: '3rd_positive_test_with_mostly',
    table: 'between',
    ...range('x', { min: 1, max: 9 }),
    mostly: 0.9,
    success: true,
    unexpected: 1,
  },
  {
    title: 'negative_test_with_mostly',
    table: 'between',
    ...range('x', { min: 3, max: 10 }),
    mostly: 0.9,
    success: false,
    unexpected: 2,
  },
  {
    title: 'negative_test_to_verify_that_the_denominator_for_mostly_works_with_missing_values',
    table: 'between',
    ...range('z', { min: 1, max: 4 }),
    mostly: 0.9,
    success: false,
    unexpected: 1,
  },
  {
    title: 'positive_test_to_verify_that_the_denominator_for_mostly_works_with_missing_values',
    table: 'between',
    ...range('z', { min: 1, max: 4 }),
    mostly: 0.8,
    success: true,
    unexpected: 1,
  },
  {
    title: 'test_strict_min_failure',
    table: 'between',
    ...range('x', { min: 1, max: 10, strict_min: true }),
    success: false,
    unexpected: 1,
  },
  {
    title: 'test_strict_min_success',
    table: 'between',
    ...range('x', { min: 1, max: 10, strict_min: false }),
    success: true,
    unexpected: 0,
  },
  {
    title: 'test_strict_max_failure',
    table: 'between',
    ...range('x', { min: 0, max: 10, strict_max: true }),
    success: false,
    unexpected: 1,
  },
  // expect_column_values_to_be_unique
  {
    title: 'basic_positive_test_case',
    table: 'uniq',
    kind: 'unique',
    column: 'unique',
    params: {},
    success: true,
    unexpected: 0,
  },
  {
    title: 'basic_negative_case_all_non_unique_character_values',
    table: 'uniq',
    kind: 'unique',
    column: 'a',
    params: {},
    success: false,
    unexpected: 3,
  },
  {
    title: 'positive_case_using_mostly',
    table: 'uniq',
    kind: 'unique',
    column: 'c',
    params: {},
    mostly: 0.3,
    success: true,
    unexpected: 2,
  },
  {
    title: 'negative_case_using_mostly',
    table: 'uniq',
    kind: 'unique',
    column: 'c',
    params: {},
    mostly: 0.4,
    success: false,
    unexpected: 2,
  },
  {
    title: 'positive_case_multiple_null_values',
    table: 'uniq',
    kind: 'unique',
    column: 'n',
    params: {},
    success: true,
    unexpected: 0,
  },
  {
    title: 'negative_case_non_unique_numeric_values',
    table: 'uniq',
    kind: 'unique',
    column: 'c',
    params: {},
    success: false,
    unexpected: 2,
  },
  {
    title: 'positive_case_all_null_values',
    table: 'uniq',
    kind: 'unique',
    column: 'nul',
    params: {},
    success: true,
    unexpected: 0,
  },
  {
    title: 'negative_multiple_duplicate_values',
    table: 'uniq',
    kind: 'unique',
    column: 'mult_dup',
    params: {},
    success: false,
    unexpected: 4,
  },
  // expect_column_values_to_match_regex (GE searches; so do both engines' regex matches)
  {
    title: 'Negative test, insufficient Mostly + one non-matching value',
    table: 'regex',
    kind: 'pattern',
    column: 'a',
    params: { regex: '^a' },
    mostly: 0.9,
    success: false,
    unexpected: 1,
  },
  {
    title: 'Positive test, exact mostly w/ one non-matching value',
    table: 'regex',
    kind: 'pattern',
    column: 'a',
    params: { regex: '^a' },
    mostly: 0.8,
    success: true,
    unexpected: 1,
  },
  {
    title: 'Positive test, sufficient mostly w/ one non-matching value',
    table: 'regex',
    kind: 'pattern',
    column: 'a',
    params: { regex: '^a' },
    mostly: 0.7,
    success: true,
    unexpected: 1,
  },
  {
    title: 'Negative test, one missing value and insufficent mostly',
    table: 'regex',
    kind: 'pattern',
    column: 'b',
    params: { regex: '^a' },
    mostly: 0.8,
    success: false,
    unexpected: 1,
  },
  {
    title: 'Positive test, one missing value and exact mostly',
    table: 'regex',
    kind: 'pattern',
    column: 'b',
    params: { regex: '^a' },
    mostly: 0.75,
    success: true,
    unexpected: 1,
  },
  {
    title: 'Positive test, one missing value and sufficent mostly',
    table: 'regex',
    kind: 'pattern',
    column: 'b',
    params: { regex: '^a' },
    mostly: 0.7,
    success: true,
    unexpected: 1,
  },
  {
    title: 'Positive test. all missing values',
    table: 'regex',
    kind: 'pattern',
    column: 'c',
    params: { regex: '^a' },
    success: true,
    unexpected: 0,
  },
  {
    title: 'Positive test. all missing values, mostly',
    table: 'regex',
    kind: 'pattern',
    column: 'c',
    params: { regex: '^a' },
    mostly: 0.2,
    success: true,
    unexpected: 0,
  },
  {
    title: 'Positive test, more complicated regex pattern',
    table: 'regex',
    kind: 'pattern',
    column: 'b',
    params: { regex: '[ab]{1}[a-d]{2}' },
    success: true,
    unexpected: 0,
  },
  {
    title: 'Positive test, match characters not at the beginning of string',
    table: 'regex',
    kind: 'pattern',
    column: 'a',
    params: { regex: 'b' },
    mostly: 0.4,
    success: true,
    unexpected: 3,
  },
  // expect_column_values_to_not_be_null (over every row: a NULL is what fails)
  {
    title: 'basic_positive_case_complete_result_format',
    table: 'nn',
    kind: 'not_null',
    column: 'no_null',
    params: {},
    success: true,
    unexpected: 0,
  },
  {
    title: 'negative_all_missing_values',
    table: 'nn',
    kind: 'not_null',
    column: 'all_null',
    params: {},
    success: false,
    unexpected: 4,
  },
  {
    title: 'positive_mostly',
    table: 'nn',
    kind: 'not_null',
    column: 'one_null',
    params: {},
    mostly: 0.7,
    success: true,
    unexpected: 1,
  },
  {
    title: 'negative_no_mostly_one_missing',
    table: 'nn',
    kind: 'not_null',
    column: 'one_null',
    params: {},
    success: false,
    unexpected: 1,
  },
  {
    title: 'negative_mostly',
    table: 'nn',
    kind: 'not_null',
    column: 'one_null',
    params: {},
    mostly: 0.8,
    success: false,
    unexpected: 1,
  },
  {
    title: 'positive_case_with_mostly_and_no_unexpected_values',
    table: 'nn',
    kind: 'not_null',
    column: 'no_null',
    params: {},
    mostly: 0.9,
    success: true,
    unexpected: 0,
  },
  {
    title: 'negative_case_with_75percent_null_values_no_mostly',
    table: 'nn',
    kind: 'not_null',
    column: 'three_null',
    params: {},
    success: false,
    unexpected: 3,
  },
  // expect_column_values_to_be_in_set (an empty value_set is refused at validate: see the header)
  {
    title: 'Basic positive test case, number set',
    table: 'inset',
    kind: 'accepted_values',
    column: 'x',
    params: { values: [1, 2, 4] },
    success: true,
    unexpected: 0,
  },
  {
    title: 'Negative test case, exclude existing column value',
    table: 'inset',
    kind: 'accepted_values',
    column: 'x',
    params: { values: [2, 4] },
    success: false,
    unexpected: 1,
  },
  {
    title: 'Basic Positive strings set',
    table: 'inset',
    kind: 'accepted_values',
    column: 'z',
    params: { values: ['hello', 'jello', 'mello'] },
    success: true,
    unexpected: 0,
  },
  {
    title: 'Negative test, strings set, extra value in column',
    table: 'inset',
    kind: 'accepted_values',
    column: 'z',
    params: { values: ['hello', 'jello'] },
    success: false,
    unexpected: 1,
  },
  {
    title: 'Negative test,  numbers set, no matching values',
    table: 'inset',
    kind: 'accepted_values',
    column: 'x',
    params: { values: [3] },
    success: false,
    unexpected: 3,
  },
  {
    title: 'Positive test, float set',
    table: 'inset',
    kind: 'accepted_values',
    column: 'y',
    params: { values: [1.1, 2.2, 5.5] },
    success: true,
    unexpected: 0,
  },
  {
    title: 'Negative test, float set',
    table: 'inset',
    kind: 'accepted_values',
    column: 'y',
    params: { values: [1.11, 2.22, 5.51] },
    success: false,
    unexpected: 3,
  },
  {
    title: 'Test empty column; should be vacuously true',
    table: 'empty',
    kind: 'accepted_values',
    column: 'empty_column',
    params: { values: ['cat', 'dog'] },
    success: true,
    unexpected: 0,
  },
  // expect_column_value_lengths_to_be_between (max below min is refused at validate: see the header)
  {
    title: 'positive_test_exact_min_and_max',
    table: 'lengths',
    kind: 'length',
    column: 's1',
    params: { min: 4, max: 5 },
    success: true,
    unexpected: 0,
  },
  {
    title: 'negative_test_matching_min_max_too_small',
    table: 'lengths',
    kind: 'length',
    column: 's2',
    params: { min: 4, max: 8 },
    success: false,
    unexpected: 1,
  },
  {
    title: 'negative_test_matching_max_min_too_large',
    table: 'lengths',
    kind: 'length',
    column: 's2',
    params: { min: 5, max: 9 },
    success: false,
    unexpected: 2,
  },
  {
    title: 'positive_test_with_null_min_value',
    table: 'lengths',
    kind: 'length',
    column: 's1',
    params: { max: 5 },
    success: true,
    unexpected: 0,
  },
  {
    title: 'positive_test_with_null_max_value',
    table: 'lengths',
    kind: 'length',
    column: 's1',
    params: { min: 4 },
    success: true,
    unexpected: 0,
  },
  {
    title: 'positive_test_with_missing_value_in_column',
    table: 'lengths',
    kind: 'length',
    column: 's3',
    params: { min: 4, max: 9 },
    success: true,
    unexpected: 0,
  },
];

/** `mostly` as a percent threshold, without floating-point residue (0.7 → 30, not 30.000000000000004). */
const percentFor = (mostly: number): number => Math.round((1 - mostly) * 1e6) / 1e4;

const SQL_TYPES = { integer: 'INTEGER', double: 'DOUBLE PRECISION', text: 'VARCHAR' } as const;

function createStatements(dataset: Dataset): string {
  const names = Object.keys(dataset.columns);
  const length = (Object.values(dataset.columns)[0]?.values ?? []).length;
  if (length === 0)
    return `CREATE TABLE ge.${dataset.table} (${names.map((n) => `"${n}" ${SQL_TYPES[dataset.columns[n]?.type ?? 'text']}`).join(', ')})`;
  const rows = Array.from({ length }, (_, i) =>
    names
      .map((name) => {
        const { type, values } = dataset.columns[name] as Dataset['columns'][string];
        const v = values[i];
        const literal = v === null ? 'NULL' : type === 'text' ? `'${String(v)}'` : String(v);
        return `CAST(${literal} AS ${SQL_TYPES[type]})`;
      })
      .join(', '),
  );
  return `CREATE TABLE ge.${dataset.table} AS SELECT * FROM (VALUES (${rows.join('), (')})) AS v(${names.map((n) => `"${n}"`).join(', ')})`;
}

interface Engine {
  readonly name: string;
  open(): Promise<{ warehouse: Warehouse; close(): Promise<void> }>;
}

const engines: Engine[] = [
  {
    name: 'DuckDB',
    open: async () => {
      const warehouse = createDuckDbWarehouse({ path: ':memory:', threads: 1 });
      return { warehouse, close: () => warehouse.close() };
    },
  },
  {
    name: 'PostgreSQL',
    open: async () => {
      const database: TestDatabase = await freshDatabase('slipway_ge_cases');
      const warehouse = createPostgresWarehouse({ url: database.url });
      return {
        warehouse,
        close: async () => {
          await warehouse.close();
          await database.drop();
        },
      };
    },
  },
];

describe.each(engines)('Great Expectations cases on $name', (engine) => {
  let opened: Awaited<ReturnType<Engine['open']>>;
  beforeAll(async () => {
    opened = await engine.open();
    await opened.warehouse.execute('CREATE SCHEMA ge');
    for (const dataset of datasets) await opened.warehouse.execute(createStatements(dataset));
  });
  afterAll(async () => {
    await opened?.close();
  });

  it.each(cases)('$kind: $title', async (c) => {
    const params =
      c.mostly === undefined ? c.params : { ...c.params, threshold: { percent: percentFor(c.mostly) } };
    const declared = check(c.kind, c.table, c.column, params);
    const summary = await runChecks({
      warehouse: opened.warehouse,
      checks: [declared],
      relationOf: (name) => ({ schema: 'ge', name }),
    });
    const [result] = summary.results;
    expect(result?.status, result?.message).toBe(c.success ? 'pass' : 'fail');
    expect(result?.failingRows).toBe(c.unexpected);
  });
});
