/**
 * The lifecycle wrapper on its own, around a scripted adapter: one shared initialisation, retry
 * after a failed one, close waiting for work in flight, and error wrapping.
 */

import { describe, expect, it } from 'vitest';
import { ConflictError, WarehouseError } from '../../src/core/errors.js';
import { RuntimeWarehouse, type WarehouseAdapter } from '../../src/warehouse/runtime-warehouse.js';
import type { QueryResult, Row, WarehouseRoles } from '../../src/warehouse/warehouse.js';

interface Deferred {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
}

function deferred(): Deferred {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const EMPTY: QueryResult = { columns: [], rows: [] };

/** A scripted adapter: counts lifecycle calls and lets a test decide what `query` does. */
class FakeAdapter implements WarehouseAdapter {
  readonly engine = 'fake';
  readonly defaultSchema = 'main';
  readonly capabilities = {
    cancel: false,
    readsLocalFiles: false,
    maxConcurrency: 1,
  };
  createRoles(): WarehouseRoles {
    throw new Error('the scripted adapter has no roles');
  }
  inits = 0;
  destroys = 0;
  initGate: Promise<void> = Promise.resolve();
  failInit: Error | undefined;
  onQuery: (sql: string) => Promise<QueryResult> = async () => EMPTY;

  async init(): Promise<void> {
    this.inits += 1;
    await this.initGate;
    if (this.failInit !== undefined) throw this.failInit;
  }
  async destroy(): Promise<void> {
    this.destroys += 1;
  }
  async execute(): Promise<void> {}
  query(sql: string): Promise<QueryResult> {
    return this.onQuery(sql);
  }
  async *stream(): AsyncGenerator<readonly Row[]> {
    yield [{ n: 1 }];
    yield [{ n: 2 }];
  }
  async transaction<T>(
    body: (tx: { execute: () => Promise<void>; query: () => Promise<QueryResult> }) => Promise<T>,
  ) {
    return body({ execute: async () => {}, query: async () => EMPTY });
  }
  quoteIdentifier(name: string): string {
    return `"${name}"`;
  }
  quoteRelation(ref: { schema: string; name: string }): string {
    return `"${ref.schema}"."${ref.name}"`;
  }
  async listSchemas(): Promise<string[]> {
    return [];
  }
  async listRelations() {
    return [];
  }
  async describe() {
    return undefined;
  }
  async rowCount(): Promise<number> {
    return 0;
  }
  async createSchema(): Promise<void> {}
  async createTableAs(): Promise<void> {}
  async createView(): Promise<void> {}
  async replaceViews(): Promise<void> {}
  async dropRelation(): Promise<void> {}
}

describe('RuntimeWarehouse', () => {
  it('initialises lazily, once, even for concurrent first calls', async () => {
    const adapter = new FakeAdapter();
    const gate = deferred();
    adapter.initGate = gate.promise;
    const warehouse = new RuntimeWarehouse(adapter);
    expect(adapter.inits).toBe(0);
    const calls = [warehouse.query('a'), warehouse.listSchemas(), warehouse.execute('b')];
    gate.resolve();
    await Promise.all(calls);
    await warehouse.query('c');
    expect(adapter.inits).toBe(1);
    await warehouse.close();
    expect(adapter.destroys).toBe(1);
  });

  it('retries initialisation after a failure and wraps the failure', async () => {
    const adapter = new FakeAdapter();
    adapter.failInit = new Error('disk on fire');
    const warehouse = new RuntimeWarehouse(adapter);
    const error = await warehouse.query('select 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WarehouseError);
    expect((error as WarehouseError).message).toBe('disk on fire');
    adapter.failInit = undefined;
    await warehouse.query('select 1');
    expect(adapter.inits).toBe(2);
    await warehouse.close();
  });

  it('never destroys an adapter that was never opened', async () => {
    const adapter = new FakeAdapter();
    const warehouse = new RuntimeWarehouse(adapter);
    await warehouse.close();
    expect(adapter.inits).toBe(0);
    expect(adapter.destroys).toBe(0);
  });

  it('answers an aborted call at once on an engine that cannot cancel, and close waits for the statement', async () => {
    const adapter = new FakeAdapter();
    expect(adapter.capabilities.cancel).toBe(false);
    const gate = deferred();
    let finished = false;
    adapter.onQuery = async () => {
      await gate.promise;
      finished = true;
      return EMPTY;
    };
    const warehouse = new RuntimeWarehouse(adapter);
    const controller = new AbortController();
    const running = warehouse.query('select slowly', { signal: controller.signal });
    controller.abort(new Error('leadership lost'));
    const error = await running.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WarehouseError);
    expect((error as WarehouseError).message).toBe('statement was cancelled: leadership lost');
    expect((error as WarehouseError).sql).toBe('select slowly');
    expect(finished).toBe(false);
    let closed = false;
    const closing = warehouse.close().then(() => {
      closed = true;
    });
    await Promise.resolve();
    expect(closed).toBe(false);
    gate.resolve();
    await closing;
    expect(finished).toBe(true);
    expect(adapter.destroys).toBe(1);
  });

  it('close waits for work in flight and refuses new work at once', async () => {
    const adapter = new FakeAdapter();
    const gate = deferred();
    adapter.onQuery = async () => {
      await gate.promise;
      return EMPTY;
    };
    const warehouse = new RuntimeWarehouse(adapter);
    const running = warehouse.query('slow');
    await Promise.resolve();
    const closing = warehouse.close();
    expect(warehouse.isClosed).toBe(true);
    await expect(warehouse.query('late')).rejects.toThrow('warehouse is closed');
    let closed = false;
    void closing.then(() => {
      closed = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(false);
    expect(adapter.destroys).toBe(0);
    gate.resolve();
    await running;
    await closing;
    expect(adapter.destroys).toBe(1);
    expect(warehouse.close()).toBe(closing);
  });

  it('lets a running transaction finish its statements while close waits', async () => {
    const adapter = new FakeAdapter();
    const warehouse = new RuntimeWarehouse(adapter);
    const inBody = deferred();
    const proceed = deferred();
    const running = warehouse.transaction(async (tx) => {
      inBody.resolve();
      await proceed.promise;
      await tx.execute('insert after close was called');
      return 'done';
    });
    await inBody.promise;
    const closing = warehouse.close();
    proceed.resolve();
    expect(await running).toBe('done');
    await closing;
    expect(adapter.destroys).toBe(1);
  });

  it('wraps engine errors with the SQL and cause, and passes Slipway errors through', async () => {
    const adapter = new FakeAdapter();
    const engineError = new TypeError('boom');
    const conflict = new ConflictError('busy');
    adapter.onQuery = async (sql) => {
      throw sql === 'conflict' ? conflict : engineError;
    };
    const warehouse = new RuntimeWarehouse(adapter);
    const wrapped = (await warehouse.query('select boom').catch((e: unknown) => e)) as WarehouseError;
    expect(wrapped).toBeInstanceOf(WarehouseError);
    expect(wrapped.sql).toBe('select boom');
    expect(wrapped.cause).toBe(engineError);
    expect(wrapped.stack).toContain('runtime-warehouse.test');
    await expect(warehouse.query('conflict')).rejects.toBe(conflict);
    await warehouse.close();
  });

  it('streams through the adapter and refuses to stream after close', async () => {
    const adapter = new FakeAdapter();
    const warehouse = new RuntimeWarehouse(adapter);
    const seen: unknown[] = [];
    for await (const batch of warehouse.stream('s')) seen.push(...batch.map((r) => r['n']));
    expect(seen).toEqual([1, 2]);
    await warehouse.close();
    const iterator = warehouse.stream('s')[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toThrow('warehouse is closed');
  });
});
