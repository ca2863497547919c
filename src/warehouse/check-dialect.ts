/**
 * The check compiler's warehouse role: the few engine-specific pieces of check SQL, supplied by
 * each adapter (`warehouse.checkDialect`). Everything else the compiler writes is standard SQL
 * (`NOT IN`, `count(DISTINCT …) FILTER (WHERE …)`, CTEs, `GROUP BY`, anti-joins) that every engine
 * runs. The optional members are declared capabilities: the compiler uses them where the engine has
 * them and falls back to plain SQL where it does not (an engine without `sample` never groups value
 * checks by value; one without `statistics` estimates columns by scanning).
 */
import type { SqlFragment } from './sql-fragment.js';
import type { SqlValue } from './warehouse.js';

export interface CheckDialect {
  /** True when `text` matches `regex` anywhere (anchor with ^ and $ to match the whole value). */
  regexMatches(text: SqlFragment, regex: string): SqlFragment;
  /** True for NaN (only asked for floating-point columns, `type` as described). */
  isNaN(value: SqlFragment, type: string): SqlFragment;
  /** Epoch milliseconds of a time value; naive timestamps are read as UTC. */
  epochMs(value: SqlFragment, type: string): SqlFragment;
  /** Character length of a text value. */
  length(text: SqlFragment): SqlFragment;
  /** A value as text. */
  asText(value: SqlFragment): SqlFragment;
  /** Rows for which `condition` is true (NULL counts as false). */
  countIf(condition: SqlFragment): SqlFragment;
  /**
   * The canary sample's bucket of a key: an integer in [0, 9999] from a hash of the key's text,
   * the same for the same value on every run (NULL for a NULL key). A sample of `bp` basis
   * points is `bucket < bp`, so a wider sample contains every narrower one.
   */
  sampleBucket(key: SqlFragment): SqlFragment;
  /**
   * Distinct integers in [min, max] counted with a bitmap instead of a hash table (one bit per
   * possible value), when the engine has it: the uniqueness of a dense integer key then costs
   * about as much as reading the column. Used for ranges up to `MAX_BITMAP_RANGE` values.
   */
  readonly bitmapDistinct?: (
    value: SqlFragment,
    min: SqlValue,
    max: SqlValue,
    filter: SqlFragment | undefined,
  ) => SqlFragment;
  /**
   * The engine keeps min/max (and NULL) statistics per storage block and skips the blocks a `WHERE`
   * rules out (DuckDB's zone maps). A check is then a filtered count that reads nothing on clean
   * data; without it, every check is an aggregate in one shared scan (value checks included: grouping
   * rows by value would cost another scan per column there).
   */
  readonly skipsBlocks: boolean;
  /**
   * A cheap sample of about `percent`% of a relation (whole storage blocks, not a row-by-row draw),
   * when the engine can sample any relation; without it value checks are always evaluated row by row.
   */
  readonly sample?: (relation: SqlFragment, percent: number) => SqlFragment;
  /**
   * A statement with one row per text of `texts`: the `text` and its `tree`, the engine's syntax
   * tree of that SELECT as JSON text (one query, however many texts).
   */
  readonly parseSelects?: (texts: readonly string[]) => SqlFragment;
  /** A statement listing (`function_name`) those of `names` whose every overload is deterministic. */
  readonly functionStability?: (names: readonly string[]) => SqlFragment;
  /**
   * The engine's own statistics of a column, read without scanning the data, when it keeps them:
   * the expression to select (from the relation, one row) and how to read its value.
   */
  readonly statistics?: {
    readonly expression: (column: SqlFragment) => SqlFragment;
    readonly parse: (text: string) => ColumnStatistics;
  };
}

/** What an engine's column statistics say; each part only when it knows. */
export interface ColumnStatistics {
  /** Approximate distinct values. */
  readonly distinct?: number;
  /** Bounds every (non-NULL) value lies within, for integer columns; possibly wider than the data. */
  readonly min?: bigint;
  readonly max?: bigint;
}

/** Integer key ranges up to this many values use `bitmapDistinct` (32 MiB of state). */
export const MAX_BITMAP_RANGE = 2 ** 28;

/** Column type families, shared with validation (which reads declared types). */
export { INTEGER_TYPES, TEXT_TYPES } from '../core/column-types.js';
