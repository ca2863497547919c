/**
 * The reference project's synthetic data (`slipway generate`, `init`, `demo`): a DuckDB program
 * (`range()`, `hash()`, `COPY … TO … (FORMAT parquet)`) run on a private in-memory DuckDB that
 * writes Parquet files, whatever warehouse the project uses. Wired here so the CLI never imports
 * the DuckDB folder.
 */

import { createDuckDbWarehouse } from '../warehouse/duckdb/duckdb-warehouse.js';
import {
  type GeneratedSummary,
  type GenerateJklDataOptions,
  generateJklData,
} from '../warehouse/duckdb/reference-data/jkl-fraud-data.js';

export type { GeneratedSummary };

export type GenerateReferenceDataOptions = Omit<GenerateJklDataOptions, 'exec' | 'queryCount'>;

/** Writes one slice of the data set under `options.dataDir`; resolves to what it wrote. */
export async function generateReferenceData(
  options: GenerateReferenceDataOptions,
): Promise<GeneratedSummary> {
  // One connection: the statements run one after another anyway.
  const engine = createDuckDbWarehouse({ path: ':memory:', poolSize: 1 });
  try {
    return await generateJklData({
      ...options,
      exec: (sql) => engine.execute(sql),
      queryCount: async (sql) => {
        const [row] = (await engine.query(sql)).rows;
        return Number(Object.values(row ?? {})[0] ?? 0);
      },
    });
  } finally {
    await engine.close();
  }
}
