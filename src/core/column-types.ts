/**
 * Column type families by name, as warehouses report types (`ColumnInfo.type`, upper case) and
 * as projects declare them (any case): what decides whether a check can read a column at all.
 */

/*
 * Column type names as `ColumnInfo.type` reports them (upper case). The patterns cover the names
 * of every engine Slipway has an adapter for (DuckDB's unsigned integers, PostgreSQL's `BPCHAR`
 * and `CHARACTER VARYING`); an adapter whose type names fall outside them adds them here.
 */

/** Integer column types. */
export const INTEGER_TYPES =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|INT[1248]?)$/;
/** Text column types. */
export const TEXT_TYPES = /^(VARCHAR|TEXT|STRING|CHAR|BPCHAR|CHARACTER VARYING)/;
/**
 * Why a check cannot read a column of `type`, or undefined: `pattern` and `length` read text, and a
 * `range` with number bounds on a text column would compare text ('10' < '9').
 */
export function columnTypeProblem(
  kind: string,
  params: Readonly<Record<string, unknown>>,
  column: string,
  type: string | undefined,
): string | undefined {
  if (type === undefined) return undefined;
  const upper = type.trim().toUpperCase();
  if ((kind === 'pattern' || kind === 'length') && !TEXT_TYPES.test(upper))
    return `'${kind}' reads text, and column ${column} is ${upper}`;
  if (
    kind === 'range' &&
    TEXT_TYPES.test(upper) &&
    (typeof params['min'] === 'number' || typeof params['max'] === 'number')
  )
    return `'range' has number bounds, and column ${column} is ${upper}: its values would be compared as text`;
  return undefined;
}

/** Why a `range` or `length` can pass no value (its `min` above its `max`), or undefined. */
export function boundsProblem(kind: string, params: Readonly<Record<string, unknown>>): string | undefined {
  const { min, max } = params;
  if (
    (kind === 'range' || kind === 'length') &&
    typeof min === 'number' &&
    typeof max === 'number' &&
    min > max
  )
    return `'${kind}' has min ${min} above max ${max}: no value can pass`;
  return undefined;
}

/** What to do about a `columnTypeProblem`. */
export const TYPE_HINT =
  'cast the column in a model (or fix its declared type), or choose a check for its type';
