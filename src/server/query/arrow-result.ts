/**
 * A read's result as an Apache Arrow IPC stream (`application/vnd.apache.arrow.stream`), for data
 * scientists (`pyarrow.ipc.open_stream`, polars, DuckDB's own `read_arrow`). Column types follow
 * the engine's type names: integers are Int64, floating and decimal numbers Float64, booleans
 * Bool, dates and timestamps Arrow dates and timestamps (UTC), everything else UTF-8 (nested
 * values as JSON text).
 */
import {
  Bool,
  type DataType,
  DateMillisecond,
  Float64,
  Int64,
  Table,
  TimestampMillisecond,
  tableToIPC,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow';
import type { ColumnInfo, ReadResult, SqlValue } from '../../warehouse/warehouse.js';

export const ARROW_STREAM_TYPE = 'application/vnd.apache.arrow.stream';

/** Encodes a read's columns and rows as one Arrow IPC stream. */
export function arrowStream(result: ReadResult): Uint8Array {
  const vectors: Record<string, Vector> = {};
  for (const column of result.columns) {
    const kind = arrowKind(column);
    const values = result.rows.map((row) => arrowValue(row[column.name] ?? null, kind));
    vectors[column.name] = vectorFromArray(values, arrowType(kind) as DataType);
  }
  return tableToIPC(new Table(vectors), 'stream');
}

type ArrowKind = 'int' | 'float' | 'bool' | 'date' | 'timestamp' | 'text';

function arrowKind(column: ColumnInfo): ArrowKind {
  const type = column.type.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|U?TINYINT|USMALLINT|UINTEGER|INT[248])$/.test(type))
    return 'int';
  if (/^(FLOAT|DOUBLE|REAL|FLOAT[48]|DECIMAL|NUMERIC)/.test(type)) return 'float';
  if (type === 'BOOLEAN' || type === 'BOOL') return 'bool';
  if (type === 'DATE') return 'date';
  if (type.startsWith('TIMESTAMP')) return 'timestamp';
  return 'text';
}

function arrowType(kind: ArrowKind): DataType {
  switch (kind) {
    case 'int':
      return new Int64();
    case 'float':
      return new Float64();
    case 'bool':
      return new Bool();
    case 'date':
      return new DateMillisecond();
    case 'timestamp':
      return new TimestampMillisecond('UTC');
    default:
      return new Utf8();
  }
}

function arrowValue(value: SqlValue, kind: ArrowKind): unknown {
  if (value === null) return null;
  switch (kind) {
    case 'int':
      return typeof value === 'bigint' ? value : BigInt(Math.trunc(Number(value)));
    case 'float':
      return Number(value);
    case 'bool':
      return value === true;
    case 'date':
    case 'timestamp': {
      const text = String(value);
      const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) || kind === 'date' ? text : `${text}Z`);
      return Number.isNaN(ms) ? null : new Date(ms);
    }
    default:
      return typeof value === 'object'
        ? JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
        : String(value);
  }
}
