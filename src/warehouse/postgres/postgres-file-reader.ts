/**
 * PostgreSQL reads no files from the machine Slipway runs on (`COPY … FROM` reads the server's
 * disk, and needs a privileged role), so file sources are refused with what to do instead. SQL
 * unit-test fixtures are small, so their CSV is parsed here and inserted with bound parameters.
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from '../../core/errors.js';
import type { FileFormat, FileReader, RelationRef, SqlValue, Warehouse } from '../warehouse.js';
import { parseCsv } from './postgres-csv.js';

/** Bound parameters per INSERT, well below PostgreSQL's limit of 65535. */
const PARAMS_PER_INSERT = 10_000;

export class PostgresFileReader implements FileReader {
  readonly #warehouse: Warehouse;

  constructor(warehouse: Warehouse) {
    this.#warehouse = warehouse;
  }

  selectFiles(files: string, _format: FileFormat): string {
    throw new InvalidArgumentError(
      `the PostgreSQL warehouse cannot read local files (${files}): a file source needs an engine that reads files`,
      {
        hint: 'load the files into a table (COPY, or your loader) and declare the source with `table:` instead of `files:`',
      },
    );
  }

  async createTableFromCsv(
    ref: RelationRef,
    file: string,
    { allText }: { readonly allText: boolean },
  ): Promise<void> {
    const { header, rows } = parseCsv(await readFile(file, 'utf8'), file);
    const types = header.map((_, index) =>
      allText ? 'TEXT' : inferType(rows.map((row) => row[index] ?? null)),
    );
    const warehouse = this.#warehouse;
    const columns = header.map((name, index) => `${warehouse.quoteIdentifier(name)} ${types[index]}`);
    const table = warehouse.quoteRelation(ref);
    const perInsert = Math.max(1, Math.floor(PARAMS_PER_INSERT / Math.max(1, header.length)));
    await warehouse.transaction(async (tx) => {
      await tx.execute(`CREATE TABLE ${table} (${columns.join(', ')})`);
      for (let start = 0; start < rows.length; start += perInsert) {
        const params: SqlValue[] = [];
        const tuples = rows.slice(start, start + perInsert).map(
          (row) =>
            `(${header
              .map((_, index) => {
                params.push(row[index] ?? null);
                return `$${params.length}::${types[index]}`;
              })
              .join(', ')})`,
        );
        await tx.execute(`INSERT INTO ${table} VALUES ${tuples.join(', ')}`, { params });
      }
    });
  }
}

const INTEGER = /^[+-]?\d{1,18}$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEAN = /^(true|false)$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;
const TIMESTAMPTZ = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$/;

/**
 * The narrowest type every value of a column fits, as DuckDB's CSV sniffer picks it (BIGINT,
 * DOUBLE, BOOLEAN, DATE, TIMESTAMP, else text); empty fields (NULL) fit any type.
 */
function inferType(values: readonly (string | null)[]): string {
  const present = values.filter((value): value is string => value !== null);
  if (present.length === 0) return 'TEXT';
  const all = (pattern: RegExp): boolean => present.every((value) => pattern.test(value));
  if (all(INTEGER)) return 'BIGINT';
  if (all(NUMBER)) return 'DOUBLE PRECISION';
  if (all(BOOLEAN)) return 'BOOLEAN';
  if (all(DATE)) return 'DATE';
  if (all(TIMESTAMP)) return 'TIMESTAMP';
  if (all(TIMESTAMPTZ)) return 'TIMESTAMPTZ';
  return 'TEXT';
}
