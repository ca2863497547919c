/**
 * Column types for fixture rows written in YAML, when neither the source nor the model's upstream
 * says. Strings that look like timestamps or dates become TIMESTAMP / TIMESTAMPTZ / DATE, so window
 * frames such as `RANGE BETWEEN INTERVAL 1 HOUR PRECEDING` and date arithmetic work in the test
 * as they do on the warehouse; whole numbers become BIGINT, other numbers DOUBLE PRECISION. Every type named here is
 * spelled so that DuckDB and PostgreSQL both accept it.
 */

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/;
const TIMESTAMPTZ = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$/i;

/** The SQL type that holds every non-null value of a column. */
export function inferColumnType(values: readonly unknown[]): string {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length === 0) return 'VARCHAR';
  if (present.every((v) => typeof v === 'boolean')) return 'BOOLEAN';
  if (present.every((v) => typeof v === 'number' || typeof v === 'bigint')) {
    return present.every((v) => typeof v === 'bigint' || Number.isInteger(v)) ? 'BIGINT' : 'DOUBLE PRECISION';
  }
  const texts = present.map((v) => (v instanceof Date ? v.toISOString() : v));
  if (texts.every((v) => typeof v === 'string')) {
    const strings = texts as string[];
    if (strings.every((s) => DATE.test(s))) return 'DATE';
    if (strings.every((s) => TIMESTAMPTZ.test(s))) return 'TIMESTAMPTZ';
    if (strings.every((s) => DATE.test(s) || TIMESTAMP.test(s))) return 'TIMESTAMP';
  }
  return 'VARCHAR';
}

/** A YAML value as a bound parameter for a column of `type`. */
export function fixtureValue(value: unknown, type: string): string | number | boolean | bigint | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  if (type === 'VARCHAR' && typeof value !== 'string') return String(value);
  return value as string | number | boolean | bigint;
}
