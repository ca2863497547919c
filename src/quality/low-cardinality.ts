/**
 * Which columns have few distinct values, estimated from a block sample of the relation. Value
 * checks (pattern, accepted_values, length) on such a column are evaluated once per distinct value
 * instead of once per row, and a relationship child whose values repeat is grouped before its join. The estimate only
 * chooses the plan: both plans count the same rows, so a wrong guess costs time, never correctness.
 */
import type { RelationRef, Row, Warehouse } from '../warehouse/warehouse.js';
import { checkDialectFor } from './check-dialect.js';
import { join, raw, renderSql, sql } from './sql-fragment.js';

/** A scan is grouped into at most about this many groups (the product of the estimates). */
export const MAX_GROUPS = 4096;
/** Below this many sampled rows the sample cannot tell; the relation is small, so grouping is cheap. */
const SMALL_SAMPLE = 4096;

/** Distinct values per column in a block sample of a relation. */
export interface DistinctEstimate {
  readonly sampled: number;
  readonly distinct: ReadonlyMap<string, number>;
}

/**
 * Counts the distinct values of `columns` in a sample of `relation`; undefined when the engine
 * cannot sample it.
 */
export async function estimateDistinct(
  warehouse: Warehouse,
  relation: RelationRef,
  columns: readonly string[],
): Promise<DistinctEstimate | undefined> {
  const { sample } = checkDialectFor(warehouse);
  if (!sample || columns.length === 0) return undefined;
  const counts = columns.map((c, i) => raw(`count(DISTINCT ${warehouse.quoteIdentifier(c)}) AS d${i}`));
  const statement = sql`SELECT count(*) AS sampled, ${join(counts, ', ')} FROM ${sample(raw(warehouse.quoteRelation(relation)))}`;
  const { text, params } = renderSql(statement);
  let row: Row;
  try {
    row = (await warehouse.query(text, { params })).rows[0] ?? {};
  } catch {
    // Only the plan depends on the estimate: without one, every value is checked row by row, and
    // whatever broke the sample (a view that fails, say) is reported by the checks themselves.
    return undefined;
  }
  return {
    sampled: Number(row['sampled'] ?? 0),
    distinct: new Map(columns.map((c, i) => [c, Number(row[`d${i}`] ?? 0)])),
  };
}

/** Far fewer distinct values than rows sampled (or too small a sample to tell: a small relation). */
export function repeats(estimate: DistinctEstimate | undefined, column: string): boolean {
  const distinct = estimate?.distinct.get(column);
  if (!estimate || distinct === undefined) return false;
  return estimate.sampled < SMALL_SAMPLE || distinct * 16 <= estimate.sampled;
}

/**
 * The columns of `columns` that repeat with at most `limit` distinct values in the sample, fewest
 * first, while the product of their counts stays under `MAX_GROUPS`.
 *
 * @example
 * lowCardinalityColumns(await estimateDistinct(warehouse, txns, ['currency', 'note']), ['currency', 'note'], 256);
 * // ['currency']
 */
export function lowCardinalityColumns(
  estimate: DistinctEstimate | undefined,
  columns: readonly string[],
  limit: number,
): readonly string[] {
  if (!estimate) return [];
  const estimates = columns
    .map((column) => ({ column, distinct: estimate.distinct.get(column) ?? Number.POSITIVE_INFINITY }))
    .filter(({ column, distinct }) => distinct <= limit && repeats(estimate, column))
    .sort((a, b) => a.distinct - b.distinct);
  const chosen: string[] = [];
  let groups = 1;
  for (const { column, distinct } of estimates) {
    // +1: NULL is a group of its own.
    if (groups * (distinct + 1) > MAX_GROUPS) break;
    groups *= distinct + 1;
    chosen.push(column);
  }
  return chosen;
}
