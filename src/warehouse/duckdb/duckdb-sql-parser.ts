/**
 * DuckDB's own SQL parser, used by the project loader through the `SqlParser` seam. It runs
 * `json_serialize_sql` on a private in-memory instance, so parsing never touches a warehouse.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { type ParseResult, type SqlParser, utf8OffsetMapper } from '../../core/sql-parser.js';

interface SerializedError {
  readonly error: true;
  readonly error_message?: string;
  readonly position?: string;
}

export async function createDuckDbSqlParser(): Promise<SqlParser> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const statement = await connection.prepare('select json_serialize_sql($1::VARCHAR) as tree');
  let closed = false;
  return {
    async parseMany(texts) {
      if (closed) throw new Error('the SQL parser is closed');
      const results: ParseResult[] = [];
      for (const text of texts) {
        statement.bindVarchar(1, text);
        const reader = await statement.runAndReadAll();
        const raw = reader.getRows()[0]?.[0];
        const tree: unknown = JSON.parse(String(raw));
        if (typeof tree === 'object' && tree !== null && (tree as { error?: unknown }).error === true) {
          const error = tree as SerializedError;
          const position = error.position === undefined ? undefined : Number(error.position);
          results.push({
            ok: false,
            message: error.error_message ?? 'the SQL could not be parsed',
            offset:
              position === undefined || Number.isNaN(position) ? undefined : utf8OffsetMapper(text)(position),
          });
        } else {
          results.push({ ok: true, tree });
        }
      }
      return results;
    },
    async close() {
      if (closed) return;
      closed = true;
      statement.destroySync();
      connection.closeSync();
      instance.closeSync();
    },
  };
}
