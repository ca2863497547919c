/**
 * Running one statement on one DuckDB connection: binding parameters through a prepared
 * statement, reading result chunks into `Row`s, and interrupting the statement when the caller's
 * `AbortSignal` fires. The warehouse adapter composes these; they know nothing of pools.
 */

import type { DuckDBConnection, DuckDBResult, DuckDBValue } from '@duckdb/node-api';
import type { ExecuteOptions, QueryResult, Row, SqlValue } from '../warehouse.js';
import { toDuckDbValue, toSqlValue } from './duckdb-values.js';

/** How often an aborted statement is interrupted again, in case the first one came too early. */
const INTERRUPT_REPEAT_MS = 25;

/** A started statement and what to free once its result has been read. */
export interface Statement {
  readonly result: DuckDBResult;
  dispose(): void;
}

/**
 * Starts `sql` on `connection`. Without parameters it runs as a script (several statements
 * allowed); with parameters it is prepared and bound, never spliced into the text.
 */
export async function startStatement(
  connection: DuckDBConnection,
  sql: string,
  params: readonly SqlValue[] | undefined,
  streaming: boolean,
): Promise<Statement> {
  if (params === undefined || params.length === 0) {
    const result = streaming ? await connection.stream(sql) : await connection.run(sql);
    return { result, dispose: () => {} };
  }
  const prepared = await connection.prepare(sql);
  try {
    prepared.bind(params.map(toDuckDbValue));
    const result = streaming ? await prepared.stream() : await prepared.run();
    return { result, dispose: () => prepared.destroySync() };
  } catch (error) {
    prepared.destroySync();
    throw error;
  }
}

/** Runs a statement (or script) whose rows, if any, are not wanted. */
export async function executeOn(
  connection: DuckDBConnection,
  sql: string,
  options?: ExecuteOptions,
): Promise<void> {
  const statement = await interruptible(connection, options?.signal, () =>
    startStatement(connection, sql, options?.params, false),
  );
  statement.dispose();
}

/** Runs a statement and reads every row; for small results (use streaming for large ones). */
export async function queryOn(
  connection: DuckDBConnection,
  sql: string,
  options?: ExecuteOptions,
): Promise<QueryResult> {
  const signal = options?.signal;
  const statement = await interruptible(connection, signal, () =>
    startStatement(connection, sql, options?.params, false),
  );
  try {
    const { result } = statement;
    const toRow = rowConverter(result);
    const rows: Row[] = [];
    while (true) {
      const chunk = await interruptible(connection, signal, () => result.fetchChunk());
      if (chunk === null || chunk.rowCount === 0) break;
      for (const values of chunk.getRows()) rows.push(toRow(values));
    }
    const types = result.columnTypes();
    const columns = result.deduplicatedColumnNames().map((name, index) => ({
      name,
      type: String(types[index]),
      // A result column's nullability is not known; describe() reports it for relations.
      nullable: true,
    }));
    return { columns, rows };
  } finally {
    statement.dispose();
  }
}

/** A function turning one chunk row into a `Row` keyed by (deduplicated) column names. */
export function rowConverter(result: DuckDBResult): (values: readonly DuckDBValue[]) => Row {
  const names = result.deduplicatedColumnNames();
  const types = result.columnTypes();
  return (values) =>
    // Object.fromEntries defines own properties, so a column named `__proto__` stays a column.
    Object.fromEntries(names.map((name, index) => [name, toSqlValue(values[index] ?? null, types[index]!)]));
}

/**
 * Runs one engine call so that aborting `signal` interrupts it. The interrupt is repeated until
 * the call settles, because an abort that lands just before DuckDB starts the statement would
 * otherwise be lost.
 */
export async function interruptible<T>(
  connection: DuckDBConnection,
  signal: AbortSignal | undefined,
  work: () => Promise<T>,
): Promise<T> {
  if (signal === undefined) return work();
  signal.throwIfAborted();
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    connection.interrupt();
    timer = setInterval(() => connection.interrupt(), INTERRUPT_REPEAT_MS);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const value = await work();
    signal.throwIfAborted();
    return value;
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (timer !== undefined) clearInterval(timer);
  }
}
