/**
 * The SQL parser the project loader reads models with: DuckDB's own, on a private in-memory
 * instance (parsing never touches a warehouse). Wired here so nothing else imports the adapter.
 * With a cache folder, what the parser answered is kept there and DuckDB is loaded only for SQL
 * it has not seen (see cached-sql-parser.ts).
 */
import { readFileSync } from 'node:fs';
import type { SqlParser } from '../core/sql-parser.js';
import { createCachedSqlParser } from './cached-sql-parser.js';

function openDuckDbParser(): Promise<SqlParser> {
  // Imported when needed: loading DuckDB's native module is most of a cold start.
  return import('../warehouse/duckdb/duckdb-sql-parser.js').then((m) => m.createDuckDbSqlParser());
}

let duckDbVersion: string | undefined;

/** The DuckDB client this package pins (its parser's answers are cached per version). */
export function parserVersion(): string {
  if (duckDbVersion === undefined) {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    duckDbVersion = `duckdb-${manifest.dependencies?.['@duckdb/node-api'] ?? 'unknown'}`;
  }
  return duckDbVersion;
}

/** Opens a parser; the caller closes it. `cacheDir` keeps its answers (a project's `.slipway/cache`). */
export function openSqlParser({ cacheDir }: { readonly cacheDir?: string } = {}): Promise<SqlParser> {
  if (cacheDir === undefined) return openDuckDbParser();
  return createCachedSqlParser({ directory: cacheDir, version: parserVersion(), open: openDuckDbParser });
}
