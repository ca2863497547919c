/**
 * Conversion between DuckDB values (as `@duckdb/node-api` reads them) and Slipway's
 * JSON-friendly `SqlValue`: exact where JavaScript can be exact (big integers stay `bigint`
 * beyond 2^53), ISO-8601 strings for dates and times, plain arrays and objects for nested types.
 */

import {
  DuckDBArrayValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBType,
  DuckDBTypeId,
  DuckDBUnionValue,
  type DuckDBValue,
  listValue,
  structValue,
} from '@duckdb/node-api';
import type { SqlValue } from '../warehouse.js';

/**
 * Converts one value read from DuckDB, guided by its column type.
 *
 * @example
 * toSqlValue(9007199254740993n, BIGINT) // 9007199254740993n (unsafe as a number)
 * toSqlValue(timestampValue(0n), TIMESTAMP) // '1970-01-01T00:00:00'
 */
export function toSqlValue(value: DuckDBValue, type: DuckDBType): SqlValue {
  if (value === null) return null;
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return value === true;
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      // NaN and ±Infinity stay numbers: JavaScript has them too.
      return typeof value === 'number' ? value : Number(value);
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
      return typeof value === 'bigint' ? integerFromBigint(value) : toPlainValue(value);
    case DuckDBTypeId.DECIMAL:
      return value instanceof DuckDBDecimalValue ? value.toDouble() : toPlainValue(value);
    case DuckDBTypeId.DATE:
      return String(value);
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return isoFromDuckDbTimestamp(String(value), false);
    case DuckDBTypeId.TIMESTAMP_TZ:
      return timestampTzToIso(value);
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return value instanceof DuckDBListValue || value instanceof DuckDBArrayValue
        ? value.items.map((item) => toSqlValue(item, type.valueType))
        : toPlainValue(value);
    case DuckDBTypeId.STRUCT: {
      if (!(value instanceof DuckDBStructValue)) return toPlainValue(value);
      const { entries } = value;
      return Object.fromEntries(
        type.entryNames.map((name, index) => [
          name,
          toSqlValue(entries[name] ?? null, type.entryTypes[index]!),
        ]),
      );
    }
    case DuckDBTypeId.MAP:
      if (!(value instanceof DuckDBMapValue)) return toPlainValue(value);
      return value.entries.map((entry) => ({
        key: toSqlValue(entry.key, type.keyType),
        value: toSqlValue(entry.value, type.valueType),
      }));
    case DuckDBTypeId.UNION:
      if (!(value instanceof DuckDBUnionValue)) return toPlainValue(value);
      return toSqlValue(value.value, type.memberTypeForTag(value.tag));
    default:
      // VARCHAR, ENUM, UUID, TIME, INTERVAL, BLOB, BIT, …: their DuckDB text form.
      return toPlainValue(value);
  }
}

/**
 * Converts a bound parameter to the value `@duckdb/node-api` binds: arrays become lists and
 * objects structs, recursively.
 */
export function toDuckDbValue(value: SqlValue): DuckDBValue {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return listValue(value.map(toDuckDbValue));
  return structValue(
    Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toDuckDbValue(item)])),
  );
}

function integerFromBigint(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

function toPlainValue(value: DuckDBValue): SqlValue {
  if (value === null || typeof value !== 'object') return value;
  return String(value);
}

/** TIMESTAMP WITH TIME ZONE as UTC (`…Z`), independent of the process's time zone. */
function timestampTzToIso(value: DuckDBValue): SqlValue {
  if (!(value instanceof DuckDBTimestampTZValue)) return toPlainValue(value);
  // A plain TIMESTAMP with the same micros prints the UTC wall clock.
  return isoFromDuckDbTimestamp(String(new DuckDBTimestampValue(value.micros)), true);
}

/** DuckDB prints `2024-01-02 03:04:05.123`; ISO-8601 wants a `T` (and `Z` for UTC). */
function isoFromDuckDbTimestamp(text: string, utc: boolean): string {
  if (text === 'infinity' || text === '-infinity') return text;
  const iso = text.replace(' ', 'T');
  return utc ? `${iso}Z` : iso;
}
