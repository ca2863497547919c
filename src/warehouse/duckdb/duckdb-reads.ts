/**
 * Sandboxed reads on DuckDB (the warehouse's `reads` role): one SELECT, checked against DuckDB's
 * own parse tree (`duckdb-read-sandbox.ts`) and the catalog, then run on connections of the
 * readers' own over the same database the writers release on. The check and the read share one
 * transaction, so the catalog the check saw is the one the statement binds against, and the
 * statement reads one snapshot: a switch (one transaction) is seen wholly or not at all.
 *
 * `enable_external_access=false` would be the engine's own guard, but it is a setting of the
 * whole database and cannot be switched back on: the writers beside the readers read file
 * sources, so the sandbox refuses file access by the parse tree instead (and tests it).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  errorMessage,
  InvalidArgumentError,
  ReadRefusedError,
  ReadTimeoutError,
  SlipwayError,
  WarehouseError,
} from '../../core/errors.js';
import { quoteStringLiteral } from '../../core/sql-literal.js';
import type { ReadRequest, ReadResult, ReadSessions, Row } from '../warehouse.js';
import type { DuckDbConnectionPool } from './duckdb-connection-pool.js';
import { refusedRead } from './duckdb-read-sandbox.js';
import { interruptible, rowConverter, startStatement } from './duckdb-statement.js';

/** Catalog schemas every reader may read (what SQL clients ask when they connect). */
const CATALOG_SCHEMAS = ['information_schema', 'pg_catalog'];

/** DuckDB's error classes that mean the reader's SQL is wrong, not the warehouse. */
const USER_ERROR = /^(Parser|Binder|Catalog|Conversion|Invalid Input|Out of Range) Error/;

type CheckRequest = Pick<ReadRequest, 'sql' | 'schema' | 'alsoReadable' | 'environments'>;

export class DuckDbReads implements ReadSessions {
  readonly #pool: () => Promise<DuckDbConnectionPool>;

  /** `pool`: the readers' connections (a sibling of the writers' pool), opened on first use. */
  constructor(pool: () => Promise<DuckDbConnectionPool>) {
    this.#pool = pool;
  }

  async check(request: CheckRequest): Promise<void> {
    await this.#inReadTransaction((connection) => checkOn(connection, request));
  }

  async query(request: ReadRequest): Promise<ReadResult> {
    if (!Number.isInteger(request.maxRows) || request.maxRows < 0) {
      throw new InvalidArgumentError(`the row cap must be a whole number, not ${request.maxRows}`);
    }
    const timeout = request.timeoutMs === undefined ? undefined : AbortSignal.timeout(request.timeoutMs);
    const signals = [request.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length === 0 ? undefined : AbortSignal.any(signals);
    return this.#inReadTransaction(async (connection) => {
      await checkOn(connection, request);
      try {
        await connection.run(`SET search_path = ${quoteStringLiteral(request.schema)}`);
      } catch (error) {
        throw new SlipwayError('not_found', `the environment ${request.schema} has no views yet`, {
          cause: error,
          hint: 'nothing has been released to it',
        });
      }
      try {
        return await readOn(connection, request, signal);
      } catch (error) {
        if (timeout?.aborted && !request.signal?.aborted) {
          throw new ReadTimeoutError(`the query ran longer than ${request.timeoutMs} ms and was stopped`, {
            cause: error,
            hint: 'narrow it (filters, aggregates) or ask for a longer statement timeout',
          });
        }
        if (request.signal?.aborted) throw request.signal.reason;
        throw readError(error);
      }
    });
  }

  async #inReadTransaction<T>(body: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const pool = await this.#pool();
    const connection = await pool.acquire();
    let broken = false;
    try {
      await connection.run('BEGIN TRANSACTION READ ONLY');
      try {
        return await body(connection);
      } finally {
        try {
          await connection.run('ROLLBACK');
        } catch {
          broken = true;
        }
      }
    } finally {
      pool.release(connection, broken);
    }
  }
}

async function checkOn(connection: DuckDBConnection, request: CheckRequest): Promise<void> {
  const prepared = await connection.prepare('select json_serialize_sql($1::VARCHAR) as tree');
  let tree: unknown;
  try {
    prepared.bindVarchar(1, request.sql);
    const reader = await prepared.runAndReadAll();
    tree = JSON.parse(String(reader.getRows()[0]?.[0]));
  } finally {
    prepared.destroySync();
  }
  const schemas = new Set([request.schema, ...(request.alsoReadable ?? []), ...CATALOG_SCHEMAS]);
  const relations = new Set<string>();
  const bySchema = new Map<string, string[]>();
  const reader = await connection.runAndReadAll(
    'select table_schema, table_name from information_schema.tables',
  );
  for (const [schema, name] of reader.getRows()) {
    relations.add(`${String(schema).toLowerCase()}.${String(name).toLowerCase()}`);
    const names = bySchema.get(String(schema).toLowerCase()) ?? [];
    names.push(String(name));
    bySchema.set(String(schema).toLowerCase(), names);
  }
  const problem = refusedRead(tree, {
    schemas,
    defaultSchema: request.schema,
    exists: (schema, name) =>
      CATALOG_SCHEMAS.includes(schema.toLowerCase()) ||
      relations.has(`${schema.toLowerCase()}.${name.toLowerCase()}`),
    relationsIn: (schema) => bySchema.get(schema.toLowerCase()) ?? [],
    elsewhere: (schema, name) =>
      (request.environments ?? []).filter(
        (other) =>
          other.toLowerCase() !== schema.toLowerCase() &&
          relations.has(`${other.toLowerCase()}.${name.toLowerCase()}`),
      ),
  });
  if (problem) {
    throw new ReadRefusedError(`refused: ${problem.message}`, {
      hint: problem.hint ?? `a read is one SELECT over the views of ${request.schema} (and the catalogs)`,
    });
  }
}

async function readOn(
  connection: DuckDBConnection,
  request: ReadRequest,
  signal: AbortSignal | undefined,
): Promise<ReadResult> {
  const statement = await interruptible(connection, signal, () =>
    startStatement(connection, request.sql, request.params, true),
  );
  try {
    const { result } = statement;
    const toRow = rowConverter(result);
    const rows: Row[] = [];
    let truncated = false;
    while (!truncated) {
      const chunk = await interruptible(connection, signal, () => result.fetchChunk());
      if (chunk === null || chunk.rowCount === 0) break;
      for (const values of chunk.getRows()) {
        if (rows.length === request.maxRows) {
          truncated = true;
          break;
        }
        rows.push(toRow(values));
      }
    }
    const types = result.columnTypes();
    const columns = result.deduplicatedColumnNames().map((name, index) => ({
      name,
      type: String(types[index]),
      nullable: true,
    }));
    return { columns, rows, truncated };
  } finally {
    statement.dispose();
  }
}

function readError(error: unknown): Error {
  const message = errorMessage(error);
  if (USER_ERROR.test(message)) return new InvalidArgumentError(message, { cause: error });
  return new WarehouseError(message, { cause: error });
}
