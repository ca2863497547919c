/**
 * Safe SQL text for the risk compilers: identifiers are validated and double-quoted, strings are
 * single-quoted with quotes doubled, numbers must be finite. Anything else is refused, so compiled
 * expressions can be embedded in a model's SELECT without injection.
 */

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Quote a plain identifier (`[A-Za-z_][A-Za-z0-9_]*`, at most 63 characters). */
export function quoteIdentifier(name: string): string {
  if (!IDENTIFIER.test(name) || name.length > 63) {
    throw new TypeError(`not a plain identifier: ${JSON.stringify(name)}`);
  }
  return `"${name}"`;
}

/** Quote a string literal; NUL cannot be represented and is refused. */
export function quoteString(value: string): string {
  if (value.includes('\0')) throw new TypeError('a SQL string literal may not contain NUL');
  return `'${value.replaceAll("'", "''")}'`;
}

/** Render a finite number as a SQL numeric literal. */
export function sqlNumber(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`not a finite number: ${value}`);
  return String(value);
}

export type SqlScalar = string | number | boolean;

/** Render a scalar as a SQL literal of its type. */
export function sqlLiteral(value: SqlScalar): string {
  if (typeof value === 'string') return quoteString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return sqlNumber(value);
}
