/**
 * DuckDB against the warehouse contract (in memory and on a file), plus what only DuckDB has:
 * the single-writer file lock and read-only opening.
 */

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, WarehouseError } from '../../src/core/errors.js';
import { createDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.js';
import { warehouseContract } from './warehouse-contract.js';
import { warehouseRolesContract } from './warehouse-roles-contract.js';

const tmp = await mkdtemp(join(tmpdir(), 'slipway-duckdb-'));
let files = 0;

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

warehouseContract('duckdb :memory:', async () => createDuckDbWarehouse({ path: ':memory:', threads: 2 }));

warehouseContract('duckdb file', async () => {
  files += 1;
  return createDuckDbWarehouse({ path: join(tmp, `contract-${files}.duckdb`), threads: 2, poolSize: 3 });
});

warehouseRolesContract('duckdb :memory:', async () =>
  createDuckDbWarehouse({ path: ':memory:', threads: 2 }),
);

describe('duckdb specifics', () => {
  it('declares its capabilities honestly', () => {
    const warehouse = createDuckDbWarehouse({ path: ':memory:', poolSize: 6 });
    expect(warehouse.engine).toBe('duckdb');
    expect(warehouse.capabilities).toEqual({
      cancel: true,
      readsLocalFiles: true,
      maxConcurrency: 6,
    });
  });

  it('reports the engine type names of result columns', async () => {
    const warehouse = createDuckDbWarehouse({ path: ':memory:' });
    try {
      const { columns } = await warehouse.query(
        "select 1::hugeint as h, timestamptz '2024-01-01 00:00:00+00' as t, [1]::integer[] as l",
      );
      expect(columns.map((c) => c.type)).toEqual(['HUGEINT', 'TIMESTAMP WITH TIME ZONE', 'INTEGER[]']);
    } finally {
      await warehouse.close();
    }
  });

  it('hands connections out first come, first served', async () => {
    const warehouse = createDuckDbWarehouse({ path: ':memory:', poolSize: 1 });
    try {
      const finished: number[] = [];
      await Promise.all(
        [0, 1, 2, 3, 4].map((i) =>
          warehouse.query('select $1::integer as i', { params: [i] }).then(() => finished.push(i)),
        ),
      );
      expect(finished).toEqual([0, 1, 2, 3, 4]);
    } finally {
      await warehouse.close();
    }
  });

  it('close does not wait for a stream its consumer left paused', async () => {
    const warehouse = createDuckDbWarehouse({ path: ':memory:', poolSize: 1 });
    const iterator = warehouse
      .stream('select range as i from range(100000)', { batchSize: 10 })
      [Symbol.asyncIterator]();
    expect((await iterator.next()).value).toHaveLength(10);
    await warehouse.close();
    await expect(iterator.next()).rejects.toThrow('warehouse is closed');
  });

  it('cancels a stream between batches', async () => {
    const warehouse = createDuckDbWarehouse({ path: ':memory:' });
    try {
      const controller = new AbortController();
      let batches = 0;
      const consume = async (): Promise<void> => {
        for await (const _ of warehouse.stream('select range from range(1000000)', {
          batchSize: 1000,
          signal: controller.signal,
        })) {
          batches += 1;
          if (batches === 3) controller.abort();
        }
      };
      await expect(consume()).rejects.toThrow(/cancelled/);
      expect(batches).toBe(3);
      expect((await warehouse.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await warehouse.close();
    }
  });

  describe('files', () => {
    const file = join(tmp, 'shared.duckdb');

    beforeAll(async () => {
      const writer = createDuckDbWarehouse({ path: file });
      await writer.createTableAs({ schema: 'main', name: 'kept' }, 'select 42 as answer');
      await writer.close();
    });

    it('opens a file read-only and refuses writes', async () => {
      const reader = createDuckDbWarehouse({ path: file, readOnly: true });
      try {
        expect((await reader.query('select answer from kept')).rows).toEqual([{ answer: 42 }]);
        const error = await reader.execute('create table nope (x integer)').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WarehouseError);
        expect((error as Error).message).toMatch(/read-only/i);
      } finally {
        await reader.close();
      }
    });

    it('explains a file held by another process', async () => {
      const holder = spawn(
        process.execPath,
        [
          '-e',
          `require('@duckdb/node-api').DuckDBInstance.create(${JSON.stringify(file)})
             .then(() => { console.log('holding'); setInterval(() => {}, 1000); })`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      try {
        await new Promise<void>((resolve, reject) => {
          holder.stdout.once('data', () => resolve());
          holder.once('exit', (code) => reject(new Error(`holder exited early with ${code}`)));
        });
        const warehouse = createDuckDbWarehouse({ path: file });
        const error = await warehouse.listSchemas().catch((e: unknown) => e);
        // A conflict (exit 3) naming the holder: its pid and its command line.
        expect(error).toBeInstanceOf(ConflictError);
        const message = (error as ConflictError).message;
        expect(message).toContain(`the warehouse file ${file} is in use by another process`);
        expect(message).toMatch(new RegExp(`pid ${holder.pid}: node -e require`));
        expect(message).not.toContain('--read-only');
        await warehouse.close();
      } finally {
        const exited = new Promise((resolve) => holder.once('exit', resolve));
        holder.kill();
        await exited;
      }
      // Once the other process is gone the same file opens again.
      const again = createDuckDbWarehouse({ path: file });
      expect((await again.query('select answer from kept')).rows).toEqual([{ answer: 42 }]);
      await again.close();
    });
  });
});
