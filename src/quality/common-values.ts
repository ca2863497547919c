/**
 * The common values of value columns: for each column, the most frequent values of a block sample
 * that every per-value condition on the column (its checks' failing conditions and the `where`
 * filters that read only it) answers the same way as the most frequent one does. The column's scan
 * then skips their rows while reading (a comparison per row instead of a hash-table update) and
 * counts them as one group. The sample only picks the values; the answers are the engine's own, so
 * the counts are exact whatever the rest of the data holds.
 */
import type { RelationRef, Row, SqlValue, Warehouse } from '../warehouse/warehouse.js';
import { checkDialectFor } from './check-dialect.js';
import { join, raw, renderSql, type SqlFragment, sql } from './sql-fragment.js';

/** At most this many common values per column (each is one comparison per row). */
export const MAX_COMMON_VALUES = 16;
/** Percent of a relation sampled for its common values: ~20,000 rows of 10 million. */
const SAMPLE_PERCENT = 0.2;
/** …and of a relation so small that this leaves no rows. */
const SMALL_RELATION_PERCENT = 10;

/** A text column and the conditions on it alone that the scan evaluates per value. */
export interface ValueConditions {
  readonly column: string;
  readonly conditions: readonly SqlFragment[];
}

/**
 * The common values of each column (same order), most frequent first; empty lists when the engine
 * cannot sample or a condition cannot be evaluated. One sample of the relation serves every column.
 *
 * @example
 * await commonValues(warehouse, txns, [{ column: 'currency', conditions: [sql`NOT regexp_matches("currency", ${'^[A-Z]{3}$'})`] }]);
 * // [['USD', 'EUR', 'GBP']]
 */
export async function commonValues(
  warehouse: Warehouse,
  relation: RelationRef,
  columns: readonly ValueConditions[],
): Promise<readonly (readonly SqlValue[])[]> {
  const { sample } = checkDialectFor(warehouse);
  const wanted = columns.filter((c) => c.conditions.length > 0);
  if (!sample || wanted.length === 0) return columns.map(() => []);
  const q = (name: string): SqlFragment => raw(warehouse.quoteIdentifier(name));
  const perColumn = wanted.map(({ column, conditions }, index) => {
    const c = q(column);
    // NULL and false count alike: a FILTER (WHERE …) keeps neither.
    const answers = join(
      conditions.map((condition) => sql`coalesce((${condition}), false)`),
      ', ',
    );
    return sql`(SELECT ${raw(String(index))} AS slipway_column, CAST(${c} AS VARCHAR) AS slipway_value, count(*) AS slipway_n, list_value(${answers}) AS slipway_answers FROM slipway_sample WHERE ${c} IS NOT NULL GROUP BY ${c} ORDER BY slipway_n DESC, slipway_value LIMIT ${raw(String(MAX_COMMON_VALUES))})`;
  });
  const read = join([...new Set(wanted.map((w) => w.column))].map(q), ', ');
  const drawn = async (percent: number): Promise<readonly Row[] | undefined> => {
    const statement = sql`WITH slipway_sample AS MATERIALIZED (SELECT ${read} FROM ${sample(raw(warehouse.quoteRelation(relation)), percent)})\n${join(perColumn, '\nUNION ALL ')}`;
    const { text, params } = renderSql(statement);
    try {
      return (await warehouse.query(text, { params })).rows;
    } catch {
      // A condition the engine cannot evaluate on some value: every row is grouped by value
      // instead (and the condition's error is reported by the check itself).
      return undefined;
    }
  };
  // A small sample finds the frequent values of a large relation; a relation too small to leave
  // any rows in it gets a larger one.
  let rows = await drawn(SAMPLE_PERCENT);
  if (rows?.length === 0) rows = await drawn(SMALL_RELATION_PERCENT);
  if (!rows) return columns.map(() => []);
  return columns.map((column) => {
    const index = wanted.indexOf(column);
    const values = rows
      .filter((r) => Number(r['slipway_column']) === index)
      .sort(
        (a, b) =>
          Number(b['slipway_n']) - Number(a['slipway_n']) ||
          (String(a['slipway_value']) < String(b['slipway_value']) ? -1 : 1),
      );
    const first = JSON.stringify(values[0]?.['slipway_answers'] ?? null);
    return values
      .filter((r) => JSON.stringify(r['slipway_answers']) === first)
      .map((r) => r['slipway_value'] ?? null);
  });
}
