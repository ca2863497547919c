/**
 * Sandboxed reads on PostgreSQL (the warehouse's `reads` role, as `duckdb-reads.ts` is DuckDB's).
 * What a reader may touch is the server's job: the role in the connection URL and its grants
 * (PostgreSQL has no file-reading table functions without superuser or `pg_read_server_files`).
 * This role adds what every read gets whatever the grants: one SELECT (the statement is placed in
 * a subquery, so a second statement, a write or DDL does not parse), a READ ONLY transaction (the
 * server refuses every write, `nextval`, `set_config(..., false)` included), a `statement_timeout`
 * local to that transaction, `search_path` set to the environment, and a row cap.
 */
import { errorMessage, InvalidArgumentError, ReadRefusedError, ReadTimeoutError } from '../../core/errors.js';
import type { ReadRequest, ReadResult, ReadSessions, Warehouse, WarehouseTransaction } from '../warehouse.js';

/** SQLSTATEs that mean the reader's SQL is wrong (syntax, unknown names, types), not the server. */
const USER_ERROR_CLASSES = ['42', '22', '0A'];

type CheckRequest = Pick<ReadRequest, 'sql' | 'schema' | 'alsoReadable'>;

export class PostgresReads implements ReadSessions {
  readonly #warehouse: Warehouse;

  constructor(warehouse: Warehouse) {
    this.#warehouse = warehouse;
  }

  async check(request: CheckRequest): Promise<void> {
    await this.#inReadTransaction(request, undefined, (tx) =>
      tx.execute(`EXPLAIN ${wrapped(request.sql, 0)}`),
    );
  }

  async query(request: ReadRequest): Promise<ReadResult> {
    if (!Number.isInteger(request.maxRows) || request.maxRows < 0) {
      throw new InvalidArgumentError(`the row cap must be a whole number, not ${request.maxRows}`);
    }
    const result = await this.#inReadTransaction(request, request.timeoutMs, (tx) =>
      tx.query(wrapped(request.sql, request.maxRows + 1), {
        ...(request.params ? { params: request.params } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      }),
    );
    return {
      columns: result.columns,
      rows: result.rows.slice(0, request.maxRows),
      truncated: result.rows.length > request.maxRows,
    };
  }

  async #inReadTransaction<T>(
    request: CheckRequest,
    timeoutMs: number | undefined,
    body: (tx: WarehouseTransaction) => Promise<T>,
  ): Promise<T> {
    const path = [request.schema, ...(request.alsoReadable ?? [])]
      .map((s) => this.#warehouse.quoteIdentifier(s))
      .join(', ');
    try {
      return await this.#warehouse.transaction(async (tx) => {
        await tx.execute('SET TRANSACTION READ ONLY');
        await tx.execute(`SET LOCAL search_path = ${path}`);
        if (timeoutMs !== undefined) {
          if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
            throw new InvalidArgumentError(`the statement timeout must be a positive whole number of ms`);
          }
          await tx.execute(`SET LOCAL statement_timeout = ${timeoutMs}`);
        }
        return body(tx);
      });
    } catch (error) {
      throw readError(error, timeoutMs);
    }
  }
}

/** The reader's statement as a subquery: anything but one SELECT (or VALUES/WITH) is a syntax error. */
function wrapped(sql: string, limit: number): string {
  // The line break ends a `--` comment the reader's SQL may finish with.
  return `select * from (\n${sql.replace(/[\s;]+$/, '')}\n) as slipway_read limit ${limit}`;
}

function readError(error: unknown, timeoutMs: number | undefined): unknown {
  if (error instanceof InvalidArgumentError) return error;
  const sqlState = sqlStateOf(error);
  if (sqlState === '57014' && timeoutMs !== undefined) {
    return new ReadTimeoutError(`the query ran longer than ${timeoutMs} ms and was stopped`, {
      cause: error,
      hint: 'narrow it (filters, aggregates) or ask for a longer statement timeout',
    });
  }
  if (sqlState === '25006' || sqlState === '42501') {
    return new ReadRefusedError(`refused: ${rootMessage(error)}`, {
      cause: error,
      hint: 'a read is one SELECT over the views of the environment',
    });
  }
  if (sqlState === '42601') {
    return new ReadRefusedError(
      `refused: only one SELECT is allowed (no writes, DDL, SET or several statements): ${rootMessage(error)}`,
      { cause: error },
    );
  }
  if (sqlState !== undefined && USER_ERROR_CLASSES.includes(sqlState.slice(0, 2))) {
    return new InvalidArgumentError(rootMessage(error), { cause: error });
  }
  return error;
}

/** The SQLSTATE of the server's error, found along the `cause` chain. */
function sqlStateOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

function rootMessage(error: unknown): string {
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && e.cause instanceof Error && depth < 5; depth += 1) e = e.cause;
  return errorMessage(e);
}
