/**
 * The SQL parser the project loader reads models with: DuckDB's own, on a private in-memory
 * instance (parsing never touches a warehouse). Wired here so nothing else imports the adapter.
 */
import type { SqlParser } from '../core/sql-parser.js';
import { createDuckDbSqlParser } from '../warehouse/duckdb/duckdb-sql-parser.js';

/** Opens a parser; the caller closes it. */
export function openSqlParser(): Promise<SqlParser> {
  return createDuckDbSqlParser();
}
