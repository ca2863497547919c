/**
 * PostgreSQL's check SQL: POSIX regular expressions (`~`), NaN as a value (`= 'NaN'`, PostgreSQL
 * orders NaN above every number and equal to itself), `count(*) FILTER`, epoch conversions, and the
 * capabilities PostgreSQL has:
 * - no block skipping (`skipsBlocks: false`): every check is an aggregate in one shared scan;
 * - a block sample (`TABLESAMPLE SYSTEM … REPEATABLE`), which PostgreSQL allows on tables and
 *   materialized views only: on a plain view the planning read fails, and the planner then takes
 *   its slower path (never another verdict);
 * - column statistics from `pg_stats` (as of the last ANALYZE): a distinct estimate only. Its
 *   histogram bounds are not sound (rows written since the last ANALYZE may lie outside them), so
 *   no bounds are claimed, and integer key bounds come from an exact min/max query instead;
 * - function stability from `pg_proc.provolatile` (immutable or stable: the same answer within a
 *   statement). There is no syntax tree to read from SQL (`parseSelects`), so filters are always
 *   evaluated row by row, and no bitmap distinct count.
 */
import type { CheckDialect, ColumnStatistics } from '../check-dialect.js';
import { raw, sql } from '../sql-fragment.js';

/** Reads the distinct estimate `statistics.expression` selects (a number, as text). */
export function parsePostgresStats(text: string): ColumnStatistics {
  const distinct = Number(text);
  return Number.isFinite(distinct) && distinct >= 0 ? { distinct: Math.round(distinct) } : {};
}

export const postgresCheckDialect: CheckDialect = Object.freeze({
  regexMatches: (text, regex) => sql`(${text} ~ ${regex})`,
  isNaN: (value) => sql`(${value} = 'NaN')`,
  // A type that is neither a timestamp nor a date goes through its text, as DuckDB's cast does:
  // PostgreSQL refuses to cast an integer to a timestamp when planning, even on no rows, where
  // DuckDB fails only on a value; through text, both fail only on a value.
  epochMs: (value, type) =>
    /WITH TIME ZONE|TIMESTAMPTZ/.test(type)
      ? sql`(extract(epoch from ${value}) * 1000)`
      : /^(TIMESTAMP|DATE)/.test(type)
        ? sql`(extract(epoch from CAST(${value} AS TIMESTAMP) AT TIME ZONE 'UTC') * 1000)`
        : sql`(extract(epoch from CAST(CAST(${value} AS TEXT) AS TIMESTAMP) AT TIME ZONE 'UTC') * 1000)`,
  length: (text) => sql`char_length(${text})`,
  asText: (value) => sql`CAST(${value} AS TEXT)`,
  countIf: (condition) => sql`count(*) FILTER (WHERE ${condition})`,
  // The first 32 bits of the md5 of the key's text, read as an unsigned integer (bit(32) casts
  // to bigint without a sign); the same bucket as the DuckDB adapter's for the same text.
  sampleBucket: (key) =>
    sql`(CAST(CAST(('x' || substr(md5(CAST(${key} AS TEXT)), 1, 8)) AS bit(32)) AS BIGINT) % 10000)`,
  skipsBlocks: false,
  // Whole pages, seeded so plans repeat.
  sample: (relation, percent) =>
    sql`${relation} TABLESAMPLE SYSTEM (${raw(String(Number(percent)))}) REPEATABLE (42)`,
  statistics: {
    // pg_stats' n_distinct: a count, or minus the fraction of rows that are distinct. Selected from
    // the relation itself, whose `tableoid` names it (pg_stats, a view, has no `tableoid` of its
    // own, so the reference reaches the relation). A plain view has neither `tableoid` nor
    // statistics: the planning read fails and the planner samples or scans instead.
    expression: (column) =>
      sql`(SELECT CAST(CASE WHEN st.n_distinct >= 0 THEN st.n_distinct ELSE -st.n_distinct * greatest(c.reltuples, 0) END AS TEXT)
           FROM (SELECT s.n_distinct, tableoid AS relation FROM pg_catalog.pg_stats s
                 WHERE s.attname = ${columnName(column)} AND format('%I.%I', s.schemaname, s.tablename)::regclass = tableoid
                 ORDER BY s.inherited LIMIT 1) st
           JOIN pg_catalog.pg_class c ON c.oid = st.relation)`,
    parse: parsePostgresStats,
  },
  functionStability: (names) =>
    sql`SELECT proname AS function_name FROM pg_catalog.pg_proc WHERE proname = ANY(CAST(${[...names]} AS TEXT[])) GROUP BY proname HAVING bool_and(provolatile IN ('i', 's'))`,
} satisfies CheckDialect);

/** The name a quoted identifier fragment (`"a""b"`) stands for, as a bound value. */
function columnName(column: { readonly parts: readonly unknown[] }): string {
  const text = column.parts.length === 1 && typeof column.parts[0] === 'string' ? column.parts[0] : '';
  const quoted = /^"((?:[^"]|"")*)"$/.exec(text);
  return quoted ? (quoted[1] as string).replaceAll('""', '"') : text;
}
