/**
 * Running one statement on one PostgreSQL connection: without parameters through the simple query
 * protocol (several statements in one round trip), with parameters through the extended protocol
 * (bound, never spliced into the text); reading rows as arrays so duplicate column names survive;
 * streaming through a server-side cursor (`DECLARE … CURSOR`, `FETCH n`) inside a transaction; and
 * cancelling the running statement when the caller's `AbortSignal` fires.
 */

import type pg from 'pg';
import type { ExecuteOptions, QueryResult, Row, SqlValue } from '../warehouse.js';
import type { PostgresConnectionPool, PostgresLease } from './postgres-connection-pool.js';
import { toPostgresParam } from './postgres-values.js';

/** How often an aborted statement is cancelled again, in case the first request came too early. */
const CANCEL_REPEAT_MS = 50;

type ArrayResult = pg.QueryArrayResult<SqlValue[]>;

/** Sends `sql` (a script when it has no parameters) and returns the last statement's result. */
async function send(
  lease: PostgresLease,
  sql: string,
  params: readonly SqlValue[] | undefined,
): Promise<ArrayResult> {
  const config: pg.QueryArrayConfig = {
    text: sql,
    rowMode: 'array',
    ...(params === undefined || params.length === 0 ? {} : { values: params.map(toPostgresParam) }),
  };
  const result = (await lease.client.query(config)) as ArrayResult | ArrayResult[];
  const last = Array.isArray(result) ? result.at(-1) : result;
  if (last === undefined) throw new Error('the statement returned no result');
  return last;
}

/** Runs a statement (or script) whose rows, if any, are not wanted. */
export async function executeOn(
  pool: PostgresConnectionPool,
  lease: PostgresLease,
  sql: string,
  options?: ExecuteOptions,
): Promise<void> {
  await cancellable(pool, lease, options?.signal, () => send(lease, sql, options?.params));
}

/** Runs a statement and reads every row; for small results (use streaming for large ones). */
export async function queryOn(
  pool: PostgresConnectionPool,
  lease: PostgresLease,
  sql: string,
  options?: ExecuteOptions,
): Promise<QueryResult> {
  const result = await cancellable(pool, lease, options?.signal, () => send(lease, sql, options?.params));
  const fields = result.fields ?? [];
  const names = deduplicated(fields.map((f) => f.name));
  const types = await pool.typeNames(lease, fields);
  return {
    // A result column's nullability is not known; describe() reports it for relations.
    columns: names.map((name, index) => ({ name, type: types[index] ?? 'UNKNOWN', nullable: true })),
    rows: result.rows.map((values) => toRow(names, values)),
  };
}

/**
 * Reads `sql` in batches of `batchSize` rows from a server-side cursor, in a transaction of its
 * own that is rolled back when the reader stops early or fails (a cursor only lives in one).
 */
export async function* streamOn(
  pool: PostgresConnectionPool,
  lease: PostgresLease,
  sql: string,
  options: ExecuteOptions & { readonly batchSize: number },
): AsyncGenerator<readonly Row[], void, undefined> {
  const signal = options.signal;
  let finished = false;
  await cancellable(pool, lease, signal, () => send(lease, 'BEGIN', undefined));
  try {
    // The trailing line break ends a comment the caller's SQL may finish with.
    await cancellable(pool, lease, signal, () =>
      send(
        lease,
        `DECLARE slipway_stream NO SCROLL CURSOR FOR ${withoutTrailingSemicolon(sql)}\n`,
        options.params,
      ),
    );
    while (true) {
      const result = await cancellable(pool, lease, signal, () =>
        send(lease, `FETCH FORWARD ${options.batchSize} FROM slipway_stream`, undefined),
      );
      const names = deduplicated((result.fields ?? []).map((f) => f.name));
      if (result.rows.length > 0) yield result.rows.map((values) => toRow(names, values));
      if (result.rows.length < options.batchSize) break;
    }
    await send(lease, 'COMMIT', undefined);
    finished = true;
  } finally {
    if (!finished && !lease.broken) {
      await send(lease, 'ROLLBACK', undefined).catch(() => {
        lease.broken = true;
      });
    }
  }
}

/**
 * Runs one engine call so that aborting `signal` cancels it on the server. The cancel request is
 * repeated until the call settles (an abort that lands before the server starts the statement
 * would otherwise be lost), and the connection is then marked broken so that a late cancel
 * request can never hit the next statement it would run.
 */
export async function cancellable<T>(
  pool: PostgresConnectionPool,
  lease: PostgresLease,
  signal: AbortSignal | undefined,
  work: () => Promise<T>,
): Promise<T> {
  if (signal === undefined) return work();
  signal.throwIfAborted();
  let timer: NodeJS.Timeout | undefined;
  let cancelling: Promise<void> | undefined;
  const cancel = (): void => {
    if (cancelling !== undefined) return;
    cancelling = pool.cancel(lease.pid).then(
      () => {
        cancelling = undefined;
      },
      () => {
        cancelling = undefined;
      },
    );
  };
  const onAbort = (): void => {
    lease.broken = true;
    cancel();
    timer = setInterval(cancel, CANCEL_REPEAT_MS);
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

/** `a, a, b` → `a, a_1, b`, so every column keeps its value in a `Row`. */
function deduplicated(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((name) => {
    let candidate = name;
    for (let n = 1; seen.has(candidate); n += 1) candidate = `${name}_${n}`;
    seen.add(candidate);
    return candidate;
  });
}

function toRow(names: readonly string[], values: readonly SqlValue[]): Row {
  // Object.fromEntries defines own properties, so a column named `__proto__` stays a column.
  return Object.fromEntries(names.map((name, index) => [name, values[index] ?? null]));
}

function withoutTrailingSemicolon(sql: string): string {
  return sql.replace(/[\s;]+$/, '');
}
