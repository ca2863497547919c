/**
 * A throwaway in-memory DuckDB for the lib tests: run statements and read rows as plain JSON
 * values, so each test checks the compiled SQL on the real engine.
 */
import { DuckDBInstance } from '@duckdb/node-api';

export interface TestEngine {
  run(sql: string): Promise<void>;
  rows(sql: string): Promise<readonly Record<string, unknown>[]>;
  close(): void;
}

export async function openTestEngine(): Promise<TestEngine> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  return {
    async run(sql) {
      await connection.run(sql);
    },
    async rows(sql) {
      return (await connection.runAndReadAll(sql)).getRowObjectsJson();
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
