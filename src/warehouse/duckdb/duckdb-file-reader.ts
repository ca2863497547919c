/**
 * DuckDB reads local CSV and Parquet files itself (`read_csv`, `read_parquet`): file sources are
 * views over them, and SQL unit-test fixtures are loaded from their CSV files in one statement.
 */
import { quoteStringLiteral } from '../../core/sql-literal.js';
import type { FileFormat, FileReader, RelationRef, Warehouse } from '../warehouse.js';

export class DuckDbFileReader implements FileReader {
  readonly #warehouse: Warehouse;

  constructor(warehouse: Warehouse) {
    this.#warehouse = warehouse;
  }

  selectFiles(files: string, format: FileFormat): string {
    const reader =
      format === 'csv'
        ? `read_csv(${quoteStringLiteral(files)}, header = true, auto_detect = true, union_by_name = true)`
        : `read_parquet(${quoteStringLiteral(files)}, union_by_name = true)`;
    return `select * from ${reader}`;
  }

  async createTableFromCsv(
    ref: RelationRef,
    file: string,
    { allText }: { readonly allText: boolean },
  ): Promise<void> {
    const options = allText ? 'header = true, all_varchar = true' : 'header = true, auto_detect = true';
    await this.#warehouse.execute(
      `CREATE TABLE ${this.#warehouse.quoteRelation(ref)} AS SELECT * FROM read_csv(${quoteStringLiteral(file)}, ${options})`,
    );
  }
}
