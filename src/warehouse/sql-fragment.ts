/**
 * SQL text with its bound values kept beside it. Checks are assembled from many small conditions
 * (one per check) into one statement; each condition keeps its user values as parameter slots, and
 * only `renderSql` numbers them (`$1`, `$2`, …) for the final statement. Values are therefore never
 * concatenated into SQL, however the fragments are combined.
 */
import type { SqlValue } from './warehouse.js';

/** A bound value inside a fragment. */
export interface ParamPart {
  readonly kind: 'param';
  readonly value: SqlValue;
}

export type SqlPart = string | ParamPart;

/** An immutable piece of SQL: text and parameter slots, in order. */
export interface SqlFragment {
  readonly kind: 'sql';
  readonly parts: readonly SqlPart[];
}

/**
 * Tagged template: interpolated `SqlFragment`s are spliced in, anything else becomes a bound value.
 *
 * @example sql`${column} < ${min}` // "col" < $1, with min bound
 */
export function sql(
  strings: TemplateStringsArray,
  ...values: readonly (SqlFragment | SqlValue)[]
): SqlFragment {
  const parts: SqlPart[] = [];
  strings.forEach((text, index) => {
    if (text) parts.push(text);
    if (index >= values.length) return;
    const value = values[index] as SqlFragment | SqlValue;
    if (isFragment(value)) parts.push(...value.parts);
    else parts.push(Object.freeze({ kind: 'param', value }));
  });
  return Object.freeze({ kind: 'sql', parts: Object.freeze(parts) });
}

/** Trusted text (quoted identifiers, the user's own SQL conditions) as a fragment. */
export function raw(text: string): SqlFragment {
  return Object.freeze({ kind: 'sql', parts: Object.freeze([text]) });
}

export function join(fragments: readonly SqlFragment[], separator: string): SqlFragment {
  const parts: SqlPart[] = [];
  fragments.forEach((fragment, index) => {
    if (index > 0) parts.push(separator);
    parts.push(...fragment.parts);
  });
  return Object.freeze({ kind: 'sql', parts: Object.freeze(parts) });
}

export function isFragment(value: unknown): value is SqlFragment {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'sql';
}

/** Numbers the parameter slots: the statement text and the values to bind, in order. */
export function renderSql(fragment: SqlFragment): { readonly text: string; readonly params: SqlValue[] } {
  let text = '';
  const params: SqlValue[] = [];
  for (const part of fragment.parts) {
    if (typeof part === 'string') text += part;
    else {
      params.push(part.value);
      text += `$${params.length}`;
    }
  }
  return { text, params };
}

/** The statement with its values written out, for reports only (never executed). */
export function displaySql(fragment: SqlFragment): string {
  return fragment.parts.map((part) => (typeof part === 'string' ? part : displayValue(part.value))).join('');
}

function displayValue(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value);
  return JSON.stringify(value);
}
