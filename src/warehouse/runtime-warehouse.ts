/**
 * The one lifecycle wrapper every warehouse adapter runs inside (Kysely's `RuntimeDriver` idea).
 * It initialises the adapter once (concurrent first calls share that one initialisation), refuses
 * work after `close()`, makes `close()` idempotent and wait for in-flight statements, turns
 * engine errors into `WarehouseError`s carrying the SQL (never the parameters) and a `cause`,
 * reports cancellation uniformly (on an engine that declares no `cancel`, an aborted caller is
 * answered at once while the statement runs out) and keeps the caller's stack in the error. Adapters therefore
 * only speak to their engine; none of them repeats these guards.
 *
 * "In flight" means a statement or transaction that is running. A stream counts while it fetches
 * a batch; one its consumer has left paused between batches does not hold `close()` up: its next
 * pull rejects with the closed error and the adapter's `destroy` frees its connection.
 */

import { errorMessage, SlipwayError, WarehouseError } from '../core/errors.js';
import type { StatementInfo, StatementObserver } from './statement-observer.js';
import type {
  ColumnInfo,
  ExecuteOptions,
  QueryResult,
  RelationInfo,
  RelationRef,
  Row,
  ViewDefinition,
  Warehouse,
  WarehouseCapabilities,
  WarehouseRoles,
  WarehouseTransaction,
} from './warehouse.js';

/**
 * What an adapter implements: the `Warehouse` operations without the lifecycle, plus `init` and
 * `destroy`. The runtime calls `init` once before the first operation and `destroy` once on
 * close, after in-flight work has settled.
 */
export interface WarehouseAdapter extends Omit<Warehouse, 'close' | keyof WarehouseRoles> {
  /**
   * The engine's role objects (switch, incremental merge, file reading, …), built once over the
   * lifecycle-wrapped warehouse so their statements run inside the same guards as any other.
   */
  createRoles(warehouse: Warehouse): WarehouseRoles;
  /** Open the engine (files, connection pool). Called once; called again only if it failed. */
  init(): Promise<void>;
  /** Release every engine resource, including connections held by abandoned streams. */
  destroy(): Promise<void>;
}

type StreamOptions = ExecuteOptions & { readonly batchSize?: number };

/** The message every call made after `close()` rejects with. */
export const WAREHOUSE_CLOSED_MESSAGE = 'warehouse is closed';

/**
 * Wraps an adapter into a `Warehouse` with a safe lifecycle.
 *
 * @example
 * const warehouse: Warehouse = new RuntimeWarehouse(new DuckDbWarehouse({ path: ':memory:' }));
 * await warehouse.query('select 1 as one'); // initialises the adapter on first use
 * await warehouse.close();
 */
export class RuntimeWarehouse implements Warehouse {
  readonly #adapter: WarehouseAdapter;
  #initPromise: Promise<void> | undefined;
  #closePromise: Promise<void> | undefined;
  readonly #inFlight = new Set<Promise<unknown>>();
  #roles: WarehouseRoles | undefined;
  readonly #observer: StatementObserver | undefined;

  /** `observer` sees every statement (tracing); without one statements run as they are. */
  constructor(adapter: WarehouseAdapter, { observer }: { readonly observer?: StatementObserver } = {}) {
    this.#adapter = adapter;
    this.#observer = observer;
  }

  #observe<T>(
    method: string,
    sql: string | undefined,
    work: () => Promise<T>,
    relation?: RelationRef,
  ): () => Promise<T> {
    const observer = this.#observer;
    if (!observer) return work;
    const info: StatementInfo = {
      method,
      sql,
      engine: this.#adapter.engine,
      ...(relation ? { relation } : {}),
    };
    return () => observer.observe(info, work);
  }

  get capabilities(): WarehouseCapabilities {
    return this.#adapter.capabilities;
  }

  get engine(): string {
    return this.#adapter.engine;
  }

  get defaultSchema(): string {
    return this.#adapter.defaultSchema;
  }

  get environments(): WarehouseRoles['environments'] {
    return this.#rolesOf().environments;
  }

  get incremental(): WarehouseRoles['incremental'] {
    return this.#rolesOf().incremental;
  }

  get files(): WarehouseRoles['files'] {
    return this.#rolesOf().files;
  }

  get checkDialect(): WarehouseRoles['checkDialect'] {
    return this.#rolesOf().checkDialect;
  }

  get reads(): WarehouseRoles['reads'] {
    return this.#rolesOf().reads;
  }

  #rolesOf(): WarehouseRoles {
    this.#roles ??= this.#adapter.createRoles(this);
    return this.#roles;
  }

  /** True once `close()` has been called (even while it is still waiting for work to end). */
  get isClosed(): boolean {
    return this.#closePromise !== undefined;
  }

  execute(sql: string, options?: ExecuteOptions): Promise<void> {
    return this.#run(
      sql,
      options?.signal,
      this.#observe('execute', sql, () => this.#adapter.execute(sql, options)),
    );
  }

  query(sql: string, options?: ExecuteOptions): Promise<QueryResult> {
    return this.#run(
      sql,
      options?.signal,
      this.#observe('query', sql, () => this.#adapter.query(sql, options)),
    );
  }

  stream(sql: string, options?: StreamOptions): AsyncIterable<readonly Row[]> {
    const callSite = new Error('call site');
    return {
      [Symbol.asyncIterator]: () => this.#streamIterator(sql, options, callSite),
    };
  }

  async transaction<T>(body: (tx: WarehouseTransaction) => Promise<T>): Promise<T> {
    const callSite = new Error('call site');
    // The body's own errors pass through untouched; only engine failures (BEGIN, COMMIT,
    // ROLLBACK) are wrapped. Statements inside the body are wrapped by `#wrapTransaction`.
    let bodyFailure: { readonly error: unknown } | undefined;
    const guardedBody = async (tx: WarehouseTransaction): Promise<T> => {
      try {
        return await body(this.#wrapTransaction(tx));
      } catch (error) {
        bodyFailure = { error };
        throw error;
      }
    };
    try {
      return await this.#track(
        this.#observe('transaction', undefined, () => this.#adapter.transaction(guardedBody)),
      );
    } catch (error) {
      if (bodyFailure !== undefined && bodyFailure.error === error) throw error;
      throw toWarehouseError(error, undefined, undefined, callSite);
    }
  }

  quoteIdentifier(name: string): string {
    return this.#adapter.quoteIdentifier(name);
  }

  quoteRelation(ref: RelationRef): string {
    return this.#adapter.quoteRelation(ref);
  }

  listSchemas(): Promise<string[]> {
    return this.#run(
      undefined,
      undefined,
      this.#observe('listSchemas', undefined, () => this.#adapter.listSchemas()),
    );
  }

  listRelations(schema: string): Promise<RelationInfo[]> {
    return this.#run(
      undefined,
      undefined,
      this.#observe('listRelations', undefined, () => this.#adapter.listRelations(schema), {
        schema,
        name: '',
      }),
    );
  }

  describe(ref: RelationRef): Promise<ColumnInfo[] | undefined> {
    return this.#run(
      undefined,
      undefined,
      this.#observe('describe', undefined, () => this.#adapter.describe(ref), ref),
    );
  }

  rowCount(ref: RelationRef): Promise<number> {
    return this.#run(
      undefined,
      undefined,
      this.#observe('rowCount', undefined, () => this.#adapter.rowCount(ref), ref),
    );
  }

  createSchema(schema: string): Promise<void> {
    return this.#run(
      undefined,
      undefined,
      this.#observe('createSchema', undefined, () => this.#adapter.createSchema(schema), {
        schema,
        name: '',
      }),
    );
  }

  createTableAs(ref: RelationRef, sql: string, options?: ExecuteOptions): Promise<void> {
    return this.#run(
      sql,
      options?.signal,
      this.#observe('createTableAs', sql, () => this.#adapter.createTableAs(ref, sql, options), ref),
    );
  }

  createView(ref: RelationRef, sql: string): Promise<void> {
    return this.#run(
      sql,
      undefined,
      this.#observe('createView', sql, () => this.#adapter.createView(ref, sql), ref),
    );
  }

  replaceViews(views: readonly ViewDefinition[]): Promise<void> {
    return this.#run(
      undefined,
      undefined,
      this.#observe('replaceViews', undefined, () => this.#adapter.replaceViews(views)),
    );
  }

  dropRelation(ref: RelationRef, kind: 'table' | 'view'): Promise<void> {
    return this.#run(
      undefined,
      undefined,
      this.#observe(
        kind === 'table' ? 'dropTable' : 'dropView',
        undefined,
        () => this.#adapter.dropRelation(ref, kind),
        ref,
      ),
    );
  }

  /** Stop accepting work, wait for statements in flight, then release the engine. Idempotent. */
  close(): Promise<void> {
    if (this.#closePromise === undefined) {
      this.#closePromise = this.#shutdown();
    }
    return this.#closePromise;
  }

  async #shutdown(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
    if (this.#initPromise === undefined) return;
    try {
      await this.#initPromise;
    } catch {
      // Initialisation failed: there is nothing open to destroy.
      return;
    }
    await this.#adapter.destroy();
  }

  #ensureOpen(): void {
    if (this.#closePromise !== undefined) {
      throw new WarehouseError(WAREHOUSE_CLOSED_MESSAGE, {
        hint: 'the warehouse was closed; open a new one to keep working',
      });
    }
  }

  #init(): Promise<void> {
    if (this.#initPromise === undefined) {
      const init = this.#adapter.init().catch((error: unknown) => {
        // A failed open (a locked file, say) may succeed later: let the next call retry.
        if (this.#initPromise === init) this.#initPromise = undefined;
        throw error;
      });
      this.#initPromise = init;
    }
    return this.#initPromise;
  }

  /** Runs `work` after initialisation, counted as in flight so `close()` waits for it. */
  #track<T>(work: () => Promise<T>): Promise<T> {
    this.#ensureOpen();
    const promise = this.#init().then(work);
    this.#inFlight.add(promise);
    const forget = (): void => {
      this.#inFlight.delete(promise);
    };
    promise.then(forget, forget);
    return promise;
  }

  async #run<T>(
    sql: string | undefined,
    signal: AbortSignal | undefined,
    work: () => Promise<T>,
  ): Promise<T> {
    const callSite = new Error('call site');
    try {
      throwIfAborted(signal, sql);
      const running = this.#track(work);
      // An engine that cannot cancel runs the statement to its end (still in flight, so close()
      // waits for it); the caller is answered at once.
      if (signal !== undefined && !this.#adapter.capabilities.cancel) {
        return await rejectOnAbort(running, signal, sql);
      }
      return await running;
    } catch (error) {
      throw toWarehouseError(error, sql, signal, callSite);
    }
  }

  async *#streamIterator(
    sql: string,
    options: StreamOptions | undefined,
    callSite: Error,
  ): AsyncGenerator<readonly Row[], void, undefined> {
    const signal = options?.signal;
    let iterator: AsyncIterator<readonly Row[]> | undefined;
    try {
      throwIfAborted(signal, sql);
      iterator = await this.#track(async () => this.#adapter.stream(sql, options)[Symbol.asyncIterator]());
      while (true) {
        const current = iterator;
        // Rows the adapter already buffered must not be handed out once the caller cancelled.
        throwIfAborted(signal, sql);
        const step = await this.#track(() => current.next());
        if (step.done === true) return;
        yield step.value;
      }
    } catch (error) {
      throw toWarehouseError(error, sql, signal, callSite);
    } finally {
      // The consumer stopped early (break, throw) or the stream failed: free the connection.
      if (iterator?.return !== undefined) await iterator.return();
    }
  }

  #wrapTransaction(tx: WarehouseTransaction): WarehouseTransaction {
    const run = async <T>(
      sql: string,
      signal: AbortSignal | undefined,
      work: () => Promise<T>,
    ): Promise<T> => {
      const callSite = new Error('call site');
      try {
        // No closed check here: a transaction already running is work in flight, which close()
        // lets finish.
        throwIfAborted(signal, sql);
        return await work();
      } catch (error) {
        throw toWarehouseError(error, sql, signal, callSite);
      }
    };
    return {
      execute: (sql, options) =>
        run(
          sql,
          options?.signal,
          this.#observe('execute', sql, () => tx.execute(sql, options)),
        ),
      query: (sql, options) =>
        run(
          sql,
          options?.signal,
          this.#observe('query', sql, () => tx.query(sql, options)),
        ),
    };
  }
}

function throwIfAborted(signal: AbortSignal | undefined, sql: string | undefined): void {
  if (signal?.aborted === true) {
    throw cancelledError(signal, sql, undefined);
  }
}

/** `running`, or a cancellation error as soon as `signal` aborts (whichever comes first). */
function rejectOnAbort<T>(running: Promise<T>, signal: AbortSignal, sql: string | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelledError(signal, sql, undefined));
    signal.addEventListener('abort', onAbort, { once: true });
    running.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function cancelledError(signal: AbortSignal, sql: string | undefined, cause: unknown): WarehouseError {
  const reason: unknown = signal.reason;
  const why = reason instanceof Error ? `: ${reason.message}` : '';
  return new WarehouseError(`statement was cancelled${why}`, {
    sql,
    cause: cause ?? reason,
  });
}

/**
 * Wraps anything an adapter threw into a `WarehouseError` with the SQL (parameters are left out
 * on purpose: they may hold secrets) and extends its stack with the caller's, which the engine's
 * native callbacks would otherwise have cut off.
 */
function toWarehouseError(
  error: unknown,
  sql: string | undefined,
  signal: AbortSignal | undefined,
  callSite: Error,
): SlipwayError {
  if (error instanceof SlipwayError) return error;
  const wrapped =
    signal?.aborted === true
      ? cancelledError(signal, sql, error)
      : new WarehouseError(errorMessage(error), { sql, cause: error });
  return extendStackTrace(wrapped, callSite);
}

/** Kysely's trick: append the frames recorded synchronously at the call site. */
function extendStackTrace<E extends Error>(error: E, callSite: Error): E {
  const callerFrames = callSite.stack?.split('\n').slice(1).join('\n');
  if (error.stack !== undefined && callerFrames !== undefined && callerFrames.length > 0) {
    error.stack = `${error.stack}\n${callerFrames}`;
  }
  return error;
}
