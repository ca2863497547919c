/**
 * Compiled checks: small immutable trees (frozen objects with a `kind` tag), built by
 * `compileChecks` and executed by `runChecks`. Row-level checks on one relation become probes of a
 * `scan` node (one statement, see `scan-statements.ts`); uniqueness probes share one
 * distinct-count query; relationships and custom queries are nodes of their own; a schema contract
 * needs no query at all.
 */
import type { CheckDeclaration } from '../project/project.js';
import type { SqlFragment } from '../warehouse/sql-fragment.js';
import type { ColumnInfo, RelationRef, SqlValue } from '../warehouse/warehouse.js';

/** A row condition (true = the row fails). */
export interface RowConditionProbe {
  readonly kind: 'row_condition';
  readonly check: CheckDeclaration;
  readonly failing: SqlFragment;
  /** The check's `where`, folded into its aggregates; undefined = every row. */
  readonly filter: SqlFragment | undefined;
  /** The one column `filter` reads, when planning found it reads only one (deterministically). */
  readonly filterColumn?: string;
  /**
   * The column whose value alone decides `failing` (every column check; not `expression`). When
   * the scan groups by that column, the condition is evaluated once per distinct value.
   */
  readonly valueColumn: string | undefined;
  /**
   * The total counts only the rows where this column is not NULL: a column-value check (range,
   * pattern, length, accepted values, an expression on a column), whose percent threshold is over
   * the non-null values as Great Expectations' `mostly` is. A NULL value never fails one either.
   */
  readonly nonNullColumn?: string;
  /**
   * A relationship answered inside its child's scan (engines without block skipping, a parent whose
   * keys are every integer of a range): `filter` is the check's `where`, `nonNullColumn` the child
   * column, `failing` the range test, and the result reads as the relationship's own would.
   */
  readonly orphanOf?: { readonly parent: RelationRef; readonly field: string; readonly column: string };
}

/** Rows (under the filter) counted for `row_count`. */
export interface RowCountProbe {
  readonly kind: 'row_count';
  readonly check: CheckDeclaration;
  readonly filter: SqlFragment | undefined;
  readonly filterColumn?: string;
}

/** The newest value of a time column (read as epoch milliseconds after max()), for `freshness`. */
export interface FreshnessProbe {
  readonly kind: 'freshness';
  readonly check: CheckDeclaration;
  readonly value: SqlFragment;
  readonly type: string;
  readonly column: string;
  readonly filter: SqlFragment | undefined;
  readonly filterColumn?: string;
  readonly warnAfterMs: number | undefined;
  readonly errorAfterMs: number | undefined;
}

/**
 * Uniqueness, counted as `count(DISTINCT key)` (or a bitmap) against the rows compared (rows
 * with a NULL in the key are not compared, as in SQL UNIQUE); a relation's uniqueness probes share
 * one query. The duplicated keys themselves are only grouped when the check failed, for the samples.
 */
export interface DistinctProbe {
  readonly kind: 'distinct';
  readonly check: CheckDeclaration;
  readonly columns: readonly string[];
  /** The key as one value: the column, or a row of the columns. */
  readonly key: SqlFragment;
  readonly keyNotNull: SqlFragment;
  readonly filter: SqlFragment | undefined;
  /** The distinct-key count when a cheaper form than count(DISTINCT) applies (integer bitmap). */
  readonly distinctCount: SqlFragment | undefined;
}

export type ScanProbe = RowConditionProbe | RowCountProbe | FreshnessProbe | DistinctProbe;

/**
 * The probes of one relation, answered by one statement. Each value column is read once by a scan
 * of its own that counts its rows per distinct value, and the conditions (and `where` filters)
 * reading only that column are evaluated once per value; every other condition is a filtered count
 * the engine can answer from its block statistics where they rule rows out.
 */
export interface ScanNode {
  readonly kind: 'scan';
  readonly relation: RelationRef;
  readonly probes: readonly ScanProbe[];
  /** Low-cardinality columns counted per distinct value (chosen from estimates). */
  readonly valueColumns: readonly ValueColumn[];
}

/** A column whose rows are counted per distinct value. */
export interface ValueColumn {
  readonly name: string;
  /**
   * Values every per-value condition on the column treats alike, as planning checked on a sample
   * (the most common values, usually): their rows are counted together, as all rows less the
   * others, so only the other rows are grouped. Empty: every row is grouped by value.
   */
  readonly common: readonly SqlValue[];
}

/** Inclusive bounds of an integer column. */
export interface KeyBounds {
  readonly min: SqlValue;
  readonly max: SqlValue;
}

/**
 * Child rows whose value has no match in the parent: an anti-join, or a range test when the parent
 * keys are every integer of a range.
 */
export interface RelationshipNode {
  readonly kind: 'relationship';
  readonly check: CheckDeclaration;
  readonly relation: RelationRef;
  readonly column: string;
  readonly parent: RelationRef;
  readonly field: string;
  readonly filter: SqlFragment | undefined;
  /** The child column has few distinct values: group it before the join. */
  readonly grouped: boolean;
  /**
   * The parent's keys are every integer from `min` to `max` (and the child column is an integer):
   * a child value has a parent exactly when it lies in the range, so no join is needed.
   */
  readonly parentKeys: KeyBounds | undefined;
}

/** The user's query; every row it returns is a failure. */
export interface CustomQueryNode {
  readonly kind: 'custom_query';
  readonly check: CheckDeclaration;
  /** The query with model and source names bound to this run's relations. */
  readonly query: SqlFragment;
}

/** A schema contract, judged from the relation's described columns. */
export interface SchemaNode {
  readonly kind: 'schema';
  readonly check: CheckDeclaration;
  readonly relation: RelationRef;
  readonly actual: readonly ColumnInfo[];
}

/** A check that cannot run (its relation is missing); reported as status `error`. */
export interface UnrunnableNode {
  readonly kind: 'unrunnable';
  readonly check: CheckDeclaration;
  readonly reason: string;
}

export type CheckNode = ScanNode | RelationshipNode | CustomQueryNode | SchemaNode | UnrunnableNode;

/** Freezes a node (shallowly; its parts are frozen when built). */
export function node<T extends CheckNode | ScanProbe>(value: T): T {
  return Object.freeze(value);
}

export function isScan(value: CheckNode): value is ScanNode {
  return value.kind === 'scan';
}

/** Every declaration a node answers for. */
export function checksOf(value: CheckNode): readonly CheckDeclaration[] {
  return value.kind === 'scan' ? value.probes.map((p) => p.check) : [value.check];
}
