/**
 * What the check runners share: the run's warehouse and settings, the counted `query`, and the
 * small helpers that turn a failure into an `error` result and numbers into a message.
 */

import { errorMessage } from '../core/errors.js';
import type { CheckDeclaration } from '../project/project.js';
import { raw, renderSql, type SqlFragment, sql } from '../warehouse/sql-fragment.js';
import type { RelationRef, Row, SqlValue, Warehouse } from '../warehouse/warehouse.js';
import { baseResult, type CheckResult, type Threshold } from './check-result.js';

export interface RunContext {
  readonly warehouse: Warehouse;
  readonly sampleRows: number;
  readonly now: () => number;
  readonly signal: AbortSignal | undefined;
  queries: number;
}

/** Runs one statement, counting it. */
export async function query(context: RunContext, statement: SqlFragment): Promise<readonly Row[]> {
  const { text, params } = renderSql(statement);
  context.queries += 1;
  return (await context.warehouse.query(text, { params, signal: context.signal })).rows;
}

export async function timed<T>(body: () => Promise<T>): Promise<[T, number]> {
  const began = performance.now();
  const value = await body();
  return [value, performance.now() - began];
}

/** Runs a one-row measuring statement, counting it: the row (empty when none) and its time in ms. */
export async function timedRow(context: RunContext, statement: SqlFragment): Promise<[Row, number]> {
  const [[row = {}], ms] = await timed(() => query(context, statement));
  return [row, ms];
}

/**
 * The failing-row samples of a check: the first `sampleRows` rows of `statement`, fetched only when
 * the check failed (and samples are wanted), so a passing run sends no sample query.
 */
export async function samplesFor(
  context: RunContext,
  failed: boolean,
  statement: SqlFragment,
): Promise<readonly Row[]> {
  if (!failed || context.sampleRows <= 0) return [];
  return query(context, sql`${statement} LIMIT ${raw(String(context.sampleRows))}`);
}

/** Runs one check's work; an error becomes that check's `error` result, not the run's. */
export async function guarded(
  check: CheckDeclaration,
  body: () => Promise<CheckResult>,
): Promise<CheckResult> {
  try {
    return await body();
  } catch (error) {
    return errorResult(check, errorMessage(error), '');
  }
}

export function errorResult(check: CheckDeclaration, reason: string, statement: string): CheckResult {
  return {
    ...baseResult(check),
    status: 'error',
    failingRows: undefined,
    totalRows: undefined,
    failingPercent: undefined,
    message: `could not run: ${reason.split('\n')[0]}`,
    samples: [],
    sql: statement,
    durationMs: 0,
  };
}

export const num = (value: SqlValue | undefined): number =>
  value === null || value === undefined ? 0 : Number(value);

export const threshold = (check: CheckDeclaration): Threshold | undefined =>
  check.params['threshold'] as Threshold | undefined;

/** `filter AND (condition)`, or just the condition. */
export const and = (filter: SqlFragment | undefined, condition: SqlFragment): SqlFragment =>
  filter ? sql`${filter} AND (${condition})` : sql`(${condition})`;

export function thresholdText(check: CheckDeclaration): string {
  const t = threshold(check);
  if (t?.rows !== undefined) return `; fails above ${t.rows} rows`;
  if (t?.percent !== undefined) return `; fails above ${t.percent}%`;
  return '';
}

export function formatPercent(percent: number): string {
  if (percent === 0) return '0%';
  if (percent < 0.01) return '<0.01%';
  return `${percent.toFixed(2)}%`;
}

/** A relationship's verdict line, whichever statement counted it. */
export function orphanMessage(
  failing: number,
  total: number,
  column: string,
  parent: RelationRef,
  field: string,
  check: CheckDeclaration,
): string {
  return `${failing.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} ${column} values have no ${parent.name}.${field}${thresholdText(check)}`;
}
