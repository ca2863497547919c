/**
 * The PostgreSQL column type of a source column declared with a DuckDB type (the reference
 * project's `sources/*.yml` declare DuckDB types: `BIGINT`, `DECIMAL(12,2)`, `VARCHAR`, …). Only
 * types whose CSV text both engines read the same way are mapped; anything else is refused, so
 * a loaded table never holds silently converted values.
 */
import { InvalidArgumentError } from '../../../core/errors.js';

/** A declared type in both engines' spelling. */
export interface ColumnTypePair {
  /** The DuckDB type, normalised (upper case, single spaces): safe to embed in a CAST. */
  readonly duckdb: string;
  /** The PostgreSQL type for CREATE TABLE. */
  readonly postgres: string;
}

const SIMPLE: Readonly<Record<string, string>> = {
  BIGINT: 'bigint',
  INT8: 'bigint',
  LONG: 'bigint',
  INTEGER: 'integer',
  INT: 'integer',
  INT4: 'integer',
  SMALLINT: 'smallint',
  INT2: 'smallint',
  DOUBLE: 'double precision',
  'DOUBLE PRECISION': 'double precision',
  FLOAT8: 'double precision',
  REAL: 'real',
  FLOAT: 'real',
  FLOAT4: 'real',
  VARCHAR: 'text',
  TEXT: 'text',
  STRING: 'text',
  BOOLEAN: 'boolean',
  BOOL: 'boolean',
  DATE: 'date',
  TIMESTAMP: 'timestamp',
  DATETIME: 'timestamp',
  TIMESTAMPTZ: 'timestamptz',
  'TIMESTAMP WITH TIME ZONE': 'timestamptz',
  TIME: 'time',
  UUID: 'uuid',
  HUGEINT: 'numeric(38, 0)',
  UBIGINT: 'numeric(20, 0)',
};

const DECIMAL = /^(?:DECIMAL|NUMERIC)(?:\s*\(\s*(\d{1,2})\s*(?:,\s*(\d{1,2})\s*)?\))?$/;
const VARCHAR_N = /^VARCHAR\s*\(\s*(\d{1,5})\s*\)$/;

/**
 * Maps a declared DuckDB column type to PostgreSQL's.
 *
 * @example
 * postgresColumnType('DECIMAL(12,2)', 'card_transactions.amount')
 * // { duckdb: 'DECIMAL(12, 2)', postgres: 'numeric(12, 2)' }
 */
export function postgresColumnType(declared: string, column: string): ColumnTypePair {
  const type = declared.trim().replace(/\s+/g, ' ').toUpperCase();
  const simple = SIMPLE[type];
  if (simple !== undefined) return { duckdb: type, postgres: simple };
  const decimal = DECIMAL.exec(type);
  if (decimal) {
    // DuckDB's DECIMAL without arguments is DECIMAL(18, 3), and its scale defaults to 0.
    const precision = Number(decimal[1] ?? 18);
    const scale = Number(decimal[2] ?? (decimal[1] === undefined ? 3 : 0));
    if (precision >= 1 && precision <= 38 && scale <= precision) {
      return { duckdb: `DECIMAL(${precision}, ${scale})`, postgres: `numeric(${precision}, ${scale})` };
    }
  }
  const varchar = VARCHAR_N.exec(type);
  if (varchar) return { duckdb: 'VARCHAR', postgres: `varchar(${Number(varchar[1])})` };
  throw new InvalidArgumentError(`column ${column}: type '${declared}' has no PostgreSQL mapping`, {
    hint: 'declare one of BIGINT, INTEGER, SMALLINT, DOUBLE, REAL, DECIMAL(p,s), VARCHAR, BOOLEAN, DATE, TIMESTAMP, TIMESTAMPTZ, TIME, UUID',
  });
}
