/**
 * The common values of value columns: for each column, the most frequent values of a block sample
 * that every per-value condition on the column (its checks' failing conditions and the `where`
 * filters that read only it) answers the same way as the most frequent one does. The column's scan
 * then skips their rows while reading (a comparison per row instead of a hash-table update) and
 * counts them as one group. The sample only picks the values; the answers are the engine's own, so
 * the counts are exact whatever the rest of the data holds.
 */

import { join, raw, type SqlFragment, sql } from '../warehouse/sql-fragment.js';
import type { RelationRef, Row, SqlValue, Warehouse } from '../warehouse/warehouse.js';
import { planningQuery } from './planning-query.js';

/** At most this many common values per column (each is one comparison per row). */
export const MAX_COMMON_VALUES = 16;
/** Percent of a relation sampled for its common values: ~20,000 rows of 10 million. */
const SAMPLE_PERCENT = 0.2;
/** …and of a relation so small that this leaves no rows. */
const SMALL_RELATION_PERCENT = 10;

/** A column and conditions to evaluate per value of it. */
export interface SampleRequest {
  readonly column: string;
  /** Conditions that read nothing but `column` (evaluated once per value). */
  readonly onColumn: readonly SqlFragment[];
  /**
   * Conditions that may read other columns too (`where` filters before parsing says which read
   * only `column`); answered as "true on any sampled row", meaningful only for those that do.
   */
  readonly onRows: readonly SqlFragment[];
}

/**
 * A sampled value and each condition's answer for it, `onColumn` then `onRows` (NULL counts as
 * false, as in a FILTER).
 */
export interface SampledValue {
  readonly value: SqlValue;
  readonly answers: readonly boolean[];
}

/**
 * The most frequent values of each column in one small block sample of the relation, most frequent
 * first, with each condition's answer; empty lists when the engine cannot sample or a condition
 * fails to evaluate.
 */
export async function sampleValues(
  warehouse: Warehouse,
  relation: RelationRef,
  requests: readonly SampleRequest[],
): Promise<readonly (readonly SampledValue[])[]> {
  const { sample } = warehouse.checkDialect;
  if (!sample || requests.length === 0) return requests.map(() => []);
  // Named like the relation, so that a `where` naming its columns as txns.status still binds.
  const self = raw(warehouse.quoteIdentifier(relation.name));
  const perColumn = requests.map(({ column, onColumn, onRows }, index) => {
    const c = raw(warehouse.quoteIdentifier(column));
    const answers = [
      ...onColumn.map((condition) => sql`coalesce((${condition}), false)`),
      ...onRows.map((condition) => sql`bool_or(coalesce((${condition}), false))`),
    ];
    return sql`(SELECT ${raw(String(index))} AS slipway_column, ${c} AS slipway_value, count(*) AS slipway_n, ARRAY[${join([sql`true`, ...answers], ', ')}] AS slipway_answers FROM slipway_sample AS ${self} WHERE ${c} IS NOT NULL GROUP BY ${c} ORDER BY slipway_n DESC, slipway_value LIMIT ${raw(String(MAX_COMMON_VALUES))})`;
  });
  // Undefined when a condition the engine cannot evaluate on some row fails the query: every row
  // is then grouped by value instead (and the condition's error is reported by the check itself).
  const drawn = (percent: number): Promise<readonly Row[] | undefined> =>
    planningQuery(
      warehouse,
      sql`WITH slipway_sample AS MATERIALIZED (SELECT * FROM ${sample(raw(warehouse.quoteRelation(relation)), percent)})\n${join(perColumn, '\nUNION ALL ')}`,
    );
  // A small sample finds the frequent values of a large relation; a relation too small to leave
  // any rows in it gets a larger one.
  let rows = await drawn(SAMPLE_PERCENT);
  if (rows?.length === 0) rows = await drawn(SMALL_RELATION_PERCENT);
  if (!rows) return requests.map(() => []);
  return requests.map((_, index) =>
    rows
      .filter((r) => Number(r['slipway_column']) === index)
      .sort(
        (a, b) =>
          Number(b['slipway_n']) - Number(a['slipway_n']) ||
          (String(a['slipway_value']) < String(b['slipway_value']) ? -1 : 1),
      )
      .map((r) => ({
        value: r['slipway_value'] ?? null,
        // The leading `true` keeps the list typed when there are no conditions.
        answers: (r['slipway_answers'] as boolean[]).slice(1).map(Boolean),
      })),
  );
}

/**
 * The common values: the sampled values whose answers to the conditions at `relevant` (indexes
 * into each value's answers) are those of the most frequent value.
 *
 * @example
 * commonValues([{ value: 'USD', answers: [false] }, { value: 'usd', answers: [true] }], [0]); // ['USD']
 */
export function commonValues(values: readonly SampledValue[], relevant: readonly number[]): SqlValue[] {
  const key = (v: SampledValue): string => relevant.map((i) => (v.answers[i] ? '1' : '0')).join('');
  const first = values[0];
  if (!first) return [];
  return values.filter((v) => key(v) === key(first)).map((v) => v.value);
}
