/**
 * DuckDB reads local CSV and Parquet files itself (`read_csv`, `read_parquet`): file sources are
 * views over them, and SQL unit-test fixtures are loaded from their CSV files in one statement.
 */
import { quoteStringLiteral } from '../../core/sql-literal.js';
import type { DeclaredColumn, FileFormat, FileReader, RelationRef, Warehouse } from '../warehouse.js';

export class DuckDbFileReader implements FileReader {
  readonly #warehouse: Warehouse;

  constructor(warehouse: Warehouse) {
    this.#warehouse = warehouse;
  }

  selectFiles(files: string, format: FileFormat, declared: readonly DeclaredColumn[] = []): string {
    if (format === 'csv') {
      // The sniffer reads the other columns; declared ones are parsed as their type (`01234` stays text).
      const types =
        declared.length === 0
          ? ''
          : `, types = {${declared.map((c) => `${quoteStringLiteral(c.name)}: ${quoteStringLiteral(c.type)}`).join(', ')}}`;
      return `select * from read_csv(${quoteStringLiteral(files)}, header = true, auto_detect = true, union_by_name = true${types})`;
    }
    // Parquet carries its own types: declared ones are cast to (REPLACE names a column the files lack).
    const replace =
      declared.length === 0
        ? ''
        : ` replace (${declared
            .map((c) => {
              const q = this.#warehouse.quoteIdentifier(c.name);
              return `CAST(${q} AS ${c.type}) AS ${q}`;
            })
            .join(', ')})`;
    return `select *${replace} from read_parquet(${quoteStringLiteral(files)}, union_by_name = true)`;
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
