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
import { missingRelationHint } from '../missing-relation-hint.js';
import type { ReadRequest, ReadResult, ReadSessions, Warehouse, WarehouseTransaction } from '../warehouse.js';

/** SQLSTATEs that mean the reader's SQL is wrong (syntax, unknown names, types), not the server. */
const USER_ERROR_CLASSES = ['42', '22', '0A'];

type CheckRequest = Pick<ReadRequest, 'sql' | 'schema' | 'alsoReadable' | 'environments'>;

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
      if (sqlStateOf(error) === '42P01') throw await this.#missingRelation(error, request);
      throw readError(error, timeoutMs);
    }
  }

  /** `relation "x" does not exist`, as the server words it, with the near names and where it exists. */
  async #missingRelation(error: unknown, request: CheckRequest): Promise<InvalidArgumentError> {
    const message = rootMessage(error);
    const quoted = /relation "([^"]+)" does not exist/.exec(message)?.[1];
    const parts = quoted?.split('.') ?? [];
    const name = parts.at(-1);
    const schema = parts.length > 1 ? (parts.at(-2) ?? request.schema) : request.schema;
    let hint: string | undefined;
    if (name !== undefined) {
      const schemas = [...new Set([schema, ...(request.environments ?? [])])];
      const found = await this.#warehouse
        .query(
          'select table_schema, table_name from information_schema.tables where table_schema = any($1)',
          {
            params: [schemas],
          },
        )
        .then((r) => r.rows)
        .catch(() => []);
      const inSchema = (s: string) =>
        found.filter((r) => r['table_schema'] === s).map((r) => String(r['table_name']));
      hint = missingRelationHint({
        schema,
        name,
        relations: inSchema(schema),
        elsewhere: schemas.filter((s) => s !== schema && inSchema(s).includes(name)),
      });
    }
    return new InvalidArgumentError(message, { cause: error, ...(hint ? { hint } : {}) });
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
