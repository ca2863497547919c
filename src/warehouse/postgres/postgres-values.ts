/**
 * Converting between PostgreSQL's text values and Slipway's JSON-friendly `SqlValue`, the same way
 * the DuckDB adapter does: integers exact (BIGINT stays `bigint` beyond 2^53), NUMERIC as a number,
 * dates and timestamps as ISO-8601 strings (TIMESTAMPTZ in UTC with `Z`), arrays as arrays. The
 * parsers are installed per connection (`postgresTypes`), never globally on the `pg` module, so
 * other PostgreSQL users in the process (the state store) keep their own conversions.
 */

import pg from 'pg';
import type { SqlValue } from '../warehouse.js';

type Parser = (text: string) => SqlValue;

/** Type OIDs of the built-in types this module converts (stable across PostgreSQL versions). */
const OID = {
  bytea: 17,
  int8: 20,
  text: 25,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  money: 790,
  int8Array: 1016,
  textArray: 1009,
  byteaArray: 1001,
  dateArray: 1182,
  timestampArray: 1115,
  timestamptzArray: 1185,
  numericArray: 1231,
} as const;

/** BIGINT as a number where that is exact, a `bigint` beyond. */
function parseInteger(text: string): number | bigint {
  const value = BigInt(text);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

/** NUMERIC as a double, like DuckDB's DECIMAL (`NaN` and ±Infinity included). */
function parseNumeric(text: string): number {
  return Number(text);
}

/**
 * `2024-01-02 03:04:05.123` → `2024-01-02T03:04:05.123`; a TIMESTAMPTZ (`…+00`, the session runs
 * in UTC) → `…Z`, any other offset as `±HH:MM`. `infinity`, `-infinity` and BC values keep their text.
 */
function parseTimestamp(text: string): string {
  if (text === 'infinity' || text === '-infinity' || text.endsWith(' BC')) return text;
  const iso = text.replace(' ', 'T');
  const offset = /([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?$/.exec(iso);
  if (offset === null || !iso.includes('T') || offset.index <= iso.indexOf('T')) return iso;
  const [, sign, hours, minutes = '00', seconds] = offset;
  const base = iso.slice(0, offset.index);
  if (hours === '00' && minutes === '00' && seconds === undefined) return `${base}Z`;
  return `${base}${sign}${hours}:${minutes}${seconds === undefined ? '' : `:${seconds}`}`;
}

function keepText(text: string): string {
  return text;
}

const textArrayParser = (
  pg.types.getTypeParser as (oid: number, format: 'text') => (text: string) => unknown
)(OID.textArray, 'text');

/** An array type's parser: PostgreSQL's array syntax split as text, then each element parsed. */
function arrayOf(element: Parser): Parser {
  const convert = (item: unknown): SqlValue =>
    item === null ? null : Array.isArray(item) ? item.map(convert) : element(String(item));
  return (text) => convert(textArrayParser(text));
}

const PARSERS: ReadonlyMap<number, Parser> = new Map<number, Parser>([
  [OID.int8, parseInteger],
  [OID.numeric, parseNumeric],
  [OID.date, keepText],
  [OID.timestamp, parseTimestamp],
  [OID.timestamptz, parseTimestamp],
  // BYTEA in its text form (`\x…`), as DuckDB prints a BLOB: a Buffer is not a SqlValue.
  [OID.bytea, keepText],
  [OID.money, keepText],
  [OID.int8Array, arrayOf(parseInteger)],
  [OID.numericArray, arrayOf(parseNumeric)],
  [OID.dateArray, arrayOf(keepText)],
  [OID.timestampArray, arrayOf(parseTimestamp)],
  [OID.timestamptzArray, arrayOf(parseTimestamp)],
  [OID.byteaArray, arrayOf(keepText)],
]);

/**
 * The `types` option of every connection the adapter opens: Slipway's parsers where they differ
 * from `pg`'s defaults (which turn dates into `Date`s and BIGINTs into strings), `pg`'s otherwise.
 *
 * @example
 * new pg.Pool({ connectionString, types: postgresTypes });
 */
export const postgresTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    PARSERS.get(oid) ?? pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * A bound parameter as `pg` sends it: `bigint`s as their decimal text (exact), arrays as
 * PostgreSQL arrays and objects as JSON (`pg`'s own conversions).
 */
export function toPostgresParam(value: SqlValue): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * Type names of common result column OIDs, as `format_type` prints them upper-cased (the names
 * `describe` reports); others are looked up once per connection pool.
 */
export const KNOWN_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [16, 'BOOLEAN'],
  [17, 'BYTEA'],
  [20, 'BIGINT'],
  [21, 'SMALLINT'],
  [23, 'INTEGER'],
  [25, 'TEXT'],
  [26, 'OID'],
  [114, 'JSON'],
  [700, 'REAL'],
  [701, 'DOUBLE PRECISION'],
  [1043, 'CHARACTER VARYING'],
  [1082, 'DATE'],
  [1083, 'TIME WITHOUT TIME ZONE'],
  [1114, 'TIMESTAMP WITHOUT TIME ZONE'],
  [1184, 'TIMESTAMP WITH TIME ZONE'],
  [1186, 'INTERVAL'],
  [1700, 'NUMERIC'],
  [2950, 'UUID'],
  [3802, 'JSONB'],
  [1007, 'INTEGER[]'],
  [1016, 'BIGINT[]'],
  [1009, 'TEXT[]'],
]);
