/**
 * SQL string literals for the few places a statement cannot take a bound parameter (DDL such as
 * `CREATE VIEW … read_parquet('…')`). Standard SQL quoting, understood alike by DuckDB and by
 * PostgreSQL with standard_conforming_strings (its default).
 */
export function quoteStringLiteral(value: string): string {
  if (value.includes('\u0000')) throw new Error('a SQL string cannot contain a NUL character');
  return `'${value.replaceAll("'", "''")}'`;
}
