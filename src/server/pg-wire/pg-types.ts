/**
 * Engine type names as PostgreSQL type OIDs and `format_type` names, and values in PostgreSQL's
 * text format (what drivers parse: `t`/`f` booleans, `YYYY-MM-DD HH:MM:SS` timestamps, JSON for
 * nested values). Every value is sent as text, so a type only needs its OID to be parsed right.
 */
import type { SqlValue } from '../../warehouse/warehouse.js';

interface PgType {
  readonly oid: number;
  readonly name: string;
}

const TEXT: PgType = { oid: 25, name: 'text' };

const TYPES: readonly [RegExp, PgType][] = [
  [/^BOOLEAN$/, { oid: 16, name: 'boolean' }],
  [/^(TINYINT|SMALLINT|UTINYINT)$/, { oid: 21, name: 'smallint' }],
  [/^(INTEGER|USMALLINT)$/, { oid: 23, name: 'integer' }],
  [/^(BIGINT|UINTEGER)$/, { oid: 20, name: 'bigint' }],
  [/^(UBIGINT|HUGEINT|UHUGEINT)$/, { oid: 1700, name: 'numeric' }],
  [/^(FLOAT|REAL)$/, { oid: 700, name: 'real' }],
  [/^DOUBLE$/, { oid: 701, name: 'double precision' }],
  [/^DECIMAL/, { oid: 1700, name: 'numeric' }],
  [/^DATE$/, { oid: 1082, name: 'date' }],
  [/^TIMESTAMP WITH TIME ZONE$/, { oid: 1184, name: 'timestamp with time zone' }],
  [/^TIMESTAMP/, { oid: 1114, name: 'timestamp without time zone' }],
  [/^TIME$/, { oid: 1083, name: 'time without time zone' }],
  [/^INTERVAL$/, { oid: 1186, name: 'interval' }],
  [/^UUID$/, { oid: 2950, name: 'uuid' }],
  [/^(VARCHAR|TEXT)$/, TEXT],
  [/^BLOB$/, { oid: 17, name: 'bytea' }],
  [/[[\]]$|^(STRUCT|MAP|LIST|JSON)/, { oid: 114, name: 'json' }],
];

function pgType(engineType: string): PgType {
  const type = engineType.toUpperCase();
  return TYPES.find(([pattern]) => pattern.test(type))?.[1] ?? TEXT;
}

export function typeOid(engineType: string): number {
  return pgType(engineType).oid;
}

/** `format_type` of an engine type (`numeric(18,2)` keeps its precision). */
export function formatType(engineType: string): string {
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/i.exec(engineType);
  if (decimal) return `numeric(${decimal[1]},${decimal[2]})`;
  return pgType(engineType).name;
}

/** A value in PostgreSQL's text format, or null for SQL NULL. */
export function textValue(value: SqlValue | undefined, engineType: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'bigint' || typeof value === 'number') return String(value);
  if (typeof value === 'string') {
    return /^TIMESTAMP/i.test(engineType) ? value.replace('T', ' ').replace(/Z$/, '+00') : value;
  }
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
