/**
 * Loads a CSV file with a header row into an existing PostgreSQL table without `COPY` (no COPY
 * stream is installed for `pg`, and `COPY … FROM` a file reads the server's disk): batched
 * multi-row INSERTs, each value a bound parameter cast to its column's declared type. Meant for
 * seeding at small scale (`slipway init --warehouse postgres`), inside the caller's transaction.
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from '../../core/errors.js';
import type { SqlValue, Warehouse, WarehouseTransaction } from '../warehouse.js';
import { parseCsv } from './postgres-csv.js';

/** Bound parameters per INSERT, well below PostgreSQL's limit of 65535. */
const PARAMS_PER_INSERT = 10_000;

/** Inserts a CSV file's rows, each value bound and cast to its column's type; resolves to the count. */
export async function insertCsvRows(
  warehouse: Warehouse,
  tx: WarehouseTransaction,
  relation: string,
  columns: readonly { readonly name: string; readonly postgresType: string }[],
  file: string,
): Promise<number> {
  const { header, rows } = parseCsv(await readFile(file, 'utf8'), file);
  const order = columns.map((c) => header.indexOf(c.name));
  const missing = columns.find((_, i) => order[i] === -1);
  if (missing) throw new InvalidArgumentError(`${file}: the CSV file has no column ${missing.name}`);
  const names = columns.map((c) => warehouse.quoteIdentifier(c.name)).join(', ');
  const perInsert = Math.max(1, Math.floor(PARAMS_PER_INSERT / Math.max(1, columns.length)));
  for (let start = 0; start < rows.length; start += perInsert) {
    const params: SqlValue[] = [];
    const tuples = rows.slice(start, start + perInsert).map((row) => {
      const values = columns.map((column, i) => {
        params.push(row[order[i] as number] ?? null);
        return `$${params.length}::${column.postgresType}`;
      });
      return `(${values.join(', ')})`;
    });
    await tx.execute(`INSERT INTO ${relation} (${names}) VALUES ${tuples.join(', ')}`, { params });
  }
  return rows.length;
}
