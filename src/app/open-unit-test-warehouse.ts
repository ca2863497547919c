/**
 * The isolated engine SQL unit tests run on (and model shapes are inferred on): a private
 * in-memory DuckDB with one thread and one connection, so many tests run side by side, one each.
 */
import { createDuckDbWarehouse } from '../warehouse/duckdb/duckdb-warehouse.js';
import type { IsolatedWarehouseFactory, Warehouse } from '../warehouse/warehouse.js';

export const openUnitTestWarehouse: IsolatedWarehouseFactory =
  async function openUnitTestWarehouse(): Promise<Warehouse> {
    return createDuckDbWarehouse({ path: ':memory:', threads: 1, poolSize: 1 });
  };
