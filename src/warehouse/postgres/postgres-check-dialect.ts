/**
 * PostgreSQL's check SQL. PostgreSQL declares no `sample` (TABLESAMPLE refuses views), so it never
 * groups value checks by value, and no block skipping, so every check is an aggregate in one scan.
 */
import type { CheckDialect } from '../check-dialect.js';
import { sql } from '../sql-fragment.js';

export const postgresCheckDialect: CheckDialect = Object.freeze({
  regexMatches: (text, regex) => sql`(${text} ~ ${regex})`,
  isNaN: (value) => sql`(${value} = 'NaN')`,
  epochMs: (value, type) =>
    /WITH TIME ZONE|TIMESTAMPTZ/.test(type)
      ? sql`(extract(epoch from ${value}) * 1000)`
      : sql`(extract(epoch from CAST(${value} AS TIMESTAMP) AT TIME ZONE 'UTC') * 1000)`,
  length: (text) => sql`char_length(${text})`,
  asText: (value) => sql`CAST(${value} AS TEXT)`,
  countIf: (condition) => sql`count(*) FILTER (WHERE ${condition})`,
  skipsBlocks: false,
} satisfies CheckDialect);
