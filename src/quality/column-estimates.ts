/**
 * What the check planner knows about a relation's columns before any check runs: how many distinct
 * values a column has (value checks on a column with few are evaluated once per value, and a
 * relationship child whose values repeat is grouped before its join) and the bounds of an integer
 * key (its uniqueness is then counted with a bitmap). Both come from the engine's own column
 * statistics where it keeps them (DuckDB's `stats()`, read without scanning the data), else from a
 * ~1% block sample and a min/max query. The distinct counts only choose the plan: every plan counts
 * the same rows, so a wrong estimate costs time, never correctness. The bounds must hold for every
 * value: the engine's statistics are sound bounds (DuckDB relies on them itself to skip blocks and
 * to index its perfect-hash aggregates), and a min/max query is exact.
 */

import { type CheckDialect, type ColumnStatistics, MAX_BITMAP_RANGE } from '../warehouse/check-dialect.js';
import { join, raw, type SqlFragment, sql } from '../warehouse/sql-fragment.js';
import type { RelationRef, Row, SqlValue, Warehouse } from '../warehouse/warehouse.js';
import type { KeyBounds } from './compiled-check.js';
import { planningQuery } from './planning-query.js';

/** Below this many sampled rows the sample cannot tell; the relation is small, so grouping is cheap. */
const SMALL_SAMPLE = 4096;
/**
 * A column the engine's statistics give at most this many distinct values repeats enough to group
 * first: its groups fit in a small hash table whatever the row count, and on a small relation
 * grouping costs next to nothing.
 */
const REPEATING_DISTINCT = 65_536;

/** Estimates for some columns of one relation. */
export interface ColumnEstimates {
  /** Estimated distinct values per column. */
  readonly distinct: ReadonlyMap<string, number>;
  /** The columns with far fewer distinct values than rows (or on a relation too small to tell). */
  readonly repeating: ReadonlySet<string>;
  /** Bounds of the integer columns asked for, when their span fits a bitmap. */
  readonly bounds: ReadonlyMap<string, KeyBounds>;
}

/** The columns to learn about: distinct counts for `distinct`, bounds for the integer `bounds`. */
export interface EstimateRequest {
  readonly distinct: readonly string[];
  readonly bounds: readonly string[];
}

/**
 * Reads the engine's statistics of the columns, then samples for the distinct counts and queries
 * for the bounds they did not give.
 *
 * @example
 * const e = await estimateColumns(warehouse, txns, { distinct: ['currency'], bounds: ['id'] });
 * e.distinct.get('currency'); // 3
 * e.bounds.get('id'); // { min: 0n, max: 9999999n }
 */
export async function estimateColumns(
  warehouse: Warehouse,
  relation: RelationRef,
  wanted: EstimateRequest,
): Promise<ColumnEstimates> {
  const dialect = warehouse.checkDialect;
  const distinct = new Map<string, number>();
  const repeating = new Set<string>();
  const bounds = new Map<string, KeyBounds>();
  const stats = await readStatistics(warehouse, dialect, relation, [
    ...new Set([...wanted.distinct, ...wanted.bounds]),
  ]);
  for (const column of wanted.distinct) {
    const d = stats.get(column)?.distinct;
    if (d === undefined) continue;
    distinct.set(column, d);
    if (d <= REPEATING_DISTINCT) repeating.add(column);
  }
  const unsampled = wanted.distinct.filter((c) => !distinct.has(c));
  const unbounded = wanted.bounds.filter((c) => {
    const s = stats.get(c);
    if (s?.min === undefined || s.max === undefined) return true;
    // Statistics may be wider than the data (after deletes): then the exact bounds may still fit.
    if (!fitsBitmap(s.min, s.max)) return true;
    bounds.set(c, { min: asValue(s.min), max: asValue(s.max) });
    return false;
  });
  await Promise.all([
    sampleDistinct(warehouse, dialect, relation, unsampled).then((sample) => {
      if (!sample) return;
      for (const [column, d] of sample.distinct) {
        distinct.set(column, d);
        if (sample.sampled < SMALL_SAMPLE || d * 16 <= sample.sampled) repeating.add(column);
      }
    }),
    integerRanges(warehouse, relation, unbounded).then((exact) => {
      for (const [column, range] of exact) bounds.set(column, range);
    }),
  ]);
  return { distinct, repeating, bounds };
}

/**
 * The bounds of an integer column holding every integer between them (a dense surrogate key, say),
 * else undefined. Where the engine counts distinct integers with a bitmap, its statistics rule out
 * most sparse columns without reading any rows and one read counts the rest with the bitmap;
 * elsewhere (PostgreSQL, whose statistics bound nothing soundly) one exact read counts them with
 * `count(DISTINCT)`: a read of the parent the join it replaces would make anyway.
 *
 * @example
 * await denseRange(warehouse, merchants, 'merchant_id'); // { min: 1, max: 1000 }
 */
export async function denseRange(
  warehouse: Warehouse,
  relation: RelationRef,
  column: string,
): Promise<KeyBounds | undefined> {
  const dialect = warehouse.checkDialect;
  const { bitmapDistinct } = dialect;
  const q = raw(warehouse.quoteIdentifier(column));
  let distinctCount: SqlFragment = sql`count(DISTINCT ${q})`;
  if (bitmapDistinct) {
    const stats = (await readStatistics(warehouse, dialect, relation, [column])).get(column);
    if (stats?.min === undefined || stats.max === undefined || !fitsBitmap(stats.min, stats.max))
      return undefined;
    // Far more possible values than distinct ones: not dense (the estimate is approximate, so only
    // a clear gap skips the read).
    const span = stats.max - stats.min + 1n;
    if (stats.distinct !== undefined && span > 2n * BigInt(stats.distinct) + 1024n) return undefined;
    distinctCount = bitmapDistinct(q, asValue(stats.min), asValue(stats.max), undefined);
  }
  const row = await planningRow(
    warehouse,
    sql`SELECT min(${q}) AS lo, max(${q}) AS hi, ${distinctCount} AS n FROM ${raw(warehouse.quoteRelation(relation))}`,
  );
  const lo = row?.['lo'];
  const hi = row?.['hi'];
  const n = row?.['n'];
  if (lo === null || lo === undefined || hi === null || hi === undefined || n === null || n === undefined)
    return undefined;
  const dense =
    BigInt(hi as number | bigint) - BigInt(lo as number | bigint) + 1n === BigInt(n as number | bigint);
  return dense ? { min: lo, max: hi } : undefined;
}

/** Far fewer distinct values than rows (or too small a relation to tell). */
export function repeats(estimates: ColumnEstimates | undefined, column: string): boolean {
  return estimates?.repeating.has(column) ?? false;
}

/**
 * The columns of `columns` that repeat with at most `limit` distinct values, in the given order.
 *
 * @example
 * lowCardinalityColumns(await estimateColumns(warehouse, txns, { distinct: ['currency', 'note'], bounds: [] }), ['currency', 'note'], 256);
 * // ['currency']
 */
export function lowCardinalityColumns(
  estimates: ColumnEstimates | undefined,
  columns: readonly string[],
  limit: number,
): readonly string[] {
  if (!estimates) return [];
  return columns.filter(
    (column) =>
      (estimates.distinct.get(column) ?? Number.POSITIVE_INFINITY) <= limit && repeats(estimates, column),
  );
}

/** The engine's statistics of `columns` (one query that reads no data); empty when it keeps none. */
async function readStatistics(
  warehouse: Warehouse,
  dialect: CheckDialect,
  relation: RelationRef,
  columns: readonly string[],
): Promise<ReadonlyMap<string, ColumnStatistics>> {
  const { statistics } = dialect;
  if (!statistics || columns.length === 0) return new Map();
  const read = columns.map(
    (c, i) => sql`${statistics.expression(raw(warehouse.quoteIdentifier(c)))} AS ${raw(`s${i}`)}`,
  );
  const row = await planningRow(
    warehouse,
    sql`SELECT ${join(read, ', ')} FROM ${raw(warehouse.quoteRelation(relation))} LIMIT 1`,
  );
  const out = new Map<string, ColumnStatistics>();
  columns.forEach((c, i) => {
    const text = row?.[`s${i}`];
    if (typeof text === 'string') out.set(c, statistics.parse(text));
  });
  return out;
}

/** Distinct values of `columns` in a block sample; undefined when the engine cannot sample. */
async function sampleDistinct(
  warehouse: Warehouse,
  dialect: CheckDialect,
  relation: RelationRef,
  columns: readonly string[],
): Promise<{ readonly sampled: number; readonly distinct: ReadonlyMap<string, number> } | undefined> {
  const { sample } = dialect;
  if (!sample || columns.length === 0) return undefined;
  const counts = columns.map((c, i) => raw(`count(DISTINCT ${warehouse.quoteIdentifier(c)}) AS d${i}`));
  const row = await planningRow(
    warehouse,
    sql`SELECT count(*) AS sampled, ${join(counts, ', ')} FROM ${sample(raw(warehouse.quoteRelation(relation)), 1)}`,
  );
  if (!row) return undefined;
  return {
    sampled: Number(row['sampled'] ?? 0),
    distinct: new Map(columns.map((c, i) => [c, Number(row[`d${i}`] ?? 0)])),
  };
}

/** The exact bounds of integer columns small enough for a bitmap, all read by one query. */
async function integerRanges(
  warehouse: Warehouse,
  relation: RelationRef,
  columns: readonly string[],
): Promise<Map<string, KeyBounds>> {
  const ranges = new Map<string, KeyBounds>();
  if (columns.length === 0) return ranges;
  const selects = columns.map((column, i) => {
    const q = warehouse.quoteIdentifier(column);
    return `min(${q}) AS lo${i}, max(${q}) AS hi${i}`;
  });
  const row = await planningRow(
    warehouse,
    raw(`SELECT ${selects.join(', ')} FROM ${warehouse.quoteRelation(relation)}`),
  );
  columns.forEach((column, i) => {
    const lo = row?.[`lo${i}`];
    const hi = row?.[`hi${i}`];
    if (lo === null || lo === undefined || hi === null || hi === undefined) return;
    if (fitsBitmap(lo, hi)) ranges.set(column, { min: lo, max: hi });
  });
  return ranges;
}

/** A bound as a query row would carry it: a number when exact as one. */
const asValue = (n: bigint): SqlValue => (Number.isSafeInteger(Number(n)) ? Number(n) : n);

function fitsBitmap(min: SqlValue, max: SqlValue): boolean {
  return BigInt(max as number | bigint) - BigInt(min as number | bigint) + 1n <= BigInt(MAX_BITMAP_RANGE);
}

/**
 * The one row of a planning query; undefined when it fails. Only the plan depends on it: without an
 * estimate every value is checked row by row, without bounds uniqueness is a plain distinct count.
 */
async function planningRow(warehouse: Warehouse, statement: SqlFragment): Promise<Row | undefined> {
  return (await planningQuery(warehouse, statement))?.[0];
}
