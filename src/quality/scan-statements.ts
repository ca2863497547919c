/**
 * The statements of a `scan` node. One statement answers the row-level probes, every count exact.
 * Each value column (few distinct values) is read once by a scan of its own that counts its rows
 * per value, and every condition or `where` reading only that column is then evaluated once per
 * value. When planning found common values that all those conditions treat alike, the scan skips
 * them with a filter the engine applies while reading (`c IS DISTINCT FROM 'USD' AND …`) and groups
 * only the other rows; the common rows are counted as all rows less those, under one of their
 * values. Each other check is a filtered count in a scalar subquery, which DuckDB answers from its
 * per-block min/max and NULL statistics wherever they rule failing rows out, so clean data costs
 * next to nothing and dirty data costs a read of the checked columns. Engines without block
 * skipping (PostgreSQL) get those counts as aggregates of one shared scan instead, its rows grouped
 * by the value columns, so a value condition is judged once per combination of values. Uniqueness
 * probes share one distinct-count query of their own (a bitmap for an integer key).
 */

import { displaySql, join, raw, type SqlFragment, sql } from '../warehouse/sql-fragment.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import type { DistinctProbe, ScanNode, ScanProbe, ValueColumn } from './compiled-check.js';
import { and } from './run-context.js';

/**
 * How the scan statement answers a probe:
 * - `total`: the rows counted (row_count);
 * - `per_value`: the condition (and the `where`, if any) reads only a value column: evaluated once
 *   per distinct value;
 * - `filtered`: a filtered count (or newest value) of its own, which an engine that skips blocks
 *   answers from its block statistics where they rule the failing rows out (`SELECT count(*) …
 *   WHERE id IS NULL` reads nothing when no block holds a NULL);
 * - `aggregate`: an aggregate in one shared scan (engines that do not skip blocks);
 * - `distinct`: not in this statement (uniqueness).
 */
export type ProbeAnswer = 'total' | 'per_value' | 'filtered' | 'aggregate' | 'distinct';

export function probeAnswer(
  warehouse: Pick<Warehouse, 'checkDialect'>,
  scan: ScanNode,
  probe: ScanProbe,
): ProbeAnswer {
  switch (probe.kind) {
    case 'row_count':
      return 'total';
    case 'distinct':
      return 'distinct';
    case 'freshness':
      return warehouse.checkDialect.skipsBlocks ? 'filtered' : 'aggregate';
    case 'row_condition': {
      const column = valueColumnOf(scan, probe.valueColumn);
      const filterFits = !probe.filter || (column !== undefined && sameName(probe.filterColumn, column.name));
      if (column && filterFits) return 'per_value';
      return warehouse.checkDialect.skipsBlocks ? 'filtered' : 'aggregate';
    }
  }
}

/** Where a probe's numbers are in the statement's one row. */
export interface ProbeColumns {
  /** Rows the probe looked at (after its `where`). */
  readonly total: string;
  /** Failing rows (row conditions) or the newest value in epoch ms (freshness). */
  readonly answer: string | undefined;
}

export interface ScanStatement {
  readonly statement: SqlFragment;
  /** Per probe of the scan, in order (undefined for uniqueness probes). */
  readonly columns: readonly (ProbeColumns | undefined)[];
}

/** The one statement answering every non-uniqueness probe of `scan`. */
export function scanStatement(warehouse: Warehouse, scan: ScanNode): ScanStatement {
  const dialect = warehouse.checkDialect;
  const relation = raw(warehouse.quoteRelation(scan.relation));
  const q = (name: string): SqlFragment => raw(warehouse.quoteIdentifier(name));
  const ctes: SqlFragment[] = [];
  let rowsCte: SqlFragment | undefined;
  /** All rows of the relation (one count, which DuckDB answers from its metadata for a table). */
  const allRows = (): SqlFragment => {
    if (!rowsCte) {
      rowsCte = raw('slipway_rows');
      ctes.push(sql`slipway_rows AS MATERIALIZED (SELECT count(*) AS slipway_n FROM ${relation})`);
    }
    return sql`(SELECT slipway_n FROM slipway_rows)`;
  };
  const groupsOf = new Map<string, SqlFragment>();
  /** The relation's rows counted per value of `column` (`column`, `slipway_n`), built on first use. */
  const groups = (column: ValueColumn): SqlFragment => {
    let name = groupsOf.get(column.name);
    if (name) return name;
    name = raw(`slipway_v${groupsOf.size}`);
    groupsOf.set(column.name, name);
    const c = q(column.name);
    const [first] = column.common;
    if (first === undefined) {
      ctes.push(
        sql`${name} AS MATERIALIZED (SELECT ${c}, count(*) AS slipway_n FROM ${relation} GROUP BY ${c})`,
      );
      return name;
    }
    // The other rows: a filter DuckDB applies while reading (NULLs are "distinct", so kept here).
    const others = raw(`slipway_o${groupsOf.size - 1}`);
    const skip = join(
      column.common.map((v) => sql`${c} IS DISTINCT FROM ${v}`),
      ' AND ',
    );
    ctes.push(
      sql`${others} AS MATERIALIZED (SELECT ${c}, count(*) AS slipway_n FROM ${relation} WHERE ${skip} GROUP BY ${c})`,
    );
    // The common rows are all rows less the others; any common value stands for them, since planning
    // checked that every per-value condition gives each of them the same answer.
    ctes.push(
      sql`${name} AS MATERIALIZED (SELECT ${c}, slipway_n FROM ${others} UNION ALL SELECT CAST(${first} AS VARCHAR) AS ${c}, ${allRows()} - (SELECT coalesce(sum(slipway_n), 0) FROM ${others}) AS slipway_n)`,
    );
    return name;
  };
  // Engines without block skipping group the one shared scan's rows by the value columns (planning
  // kept their combinations few): the aggregates are per group, summed (or their max taken) in the
  // outer SELECT, and a per-value condition is judged once per group there.
  const grouped = !dialect.skipsBlocks && scan.valueColumns.length > 0;
  const perValue = (column: ValueColumn, condition: SqlFragment | undefined): SqlFragment => {
    if (grouped) {
      rowCount(); // the rows of each group, which the outer sums are taken over
      return condition
        ? sql`coalesce(sum(slipway_aggregate.slipway_n) FILTER (WHERE ${condition}), 0)`
        : sql`coalesce(sum(slipway_aggregate.slipway_n), 0)`;
    }
    return condition
      ? sql`(SELECT coalesce(sum(slipway_n) FILTER (WHERE ${condition}), 0) FROM ${groups(column)})`
      : sql`(SELECT coalesce(sum(slipway_n), 0) FROM ${groups(column)})`;
  };
  // Aggregates of one shared scan (engines without block skipping only).
  // One column per distinct aggregate: probes asking for the same count share it.
  const aggregates: SqlFragment[] = [];
  const aggregateNames = new Map<string, SqlFragment>();
  const aggregateOf = (
    aggregate: SqlFragment,
    combine: 'sum' | 'max',
    fixedName?: SqlFragment,
  ): SqlFragment => {
    const key = displaySql(aggregate);
    let name = aggregateNames.get(key);
    if (!name) {
      name = fixedName ?? raw(`slipway_a${aggregates.length}`);
      aggregateNames.set(key, name);
      aggregates.push(sql`${aggregate} AS ${name}`);
    }
    const value = sql`slipway_aggregate.${name}`;
    if (!grouped) return value;
    return combine === 'sum' ? sql`coalesce(sum(${value}), 0)` : sql`max(${value})`;
  };
  /** The relation's rows, as an aggregate of the shared scan (per group when grouped). */
  const rowCount = (): SqlFragment => aggregateOf(sql`count(*)`, 'sum', raw('slipway_n'));
  const outer: SqlFragment[] = [];
  const totals = new Map<string, string>();
  /**
   * Rows under a probe's `where` (and, for a column-value check, with a value): all rows, per value
   * of the column the condition reads, or counted.
   */
  const totalOf = (probe: Exclude<ScanProbe, DistinctProbe>): string => {
    const { filter, filterColumn } = totalFilter(warehouse, probe);
    const key = filter ? displaySql(filter) : '';
    let alias = totals.get(key);
    if (alias) return alias;
    alias = `slipway_t${totals.size}`;
    totals.set(key, alias);
    const column = filter ? valueColumnOf(scan, filterColumn) : undefined;
    const nonNull = probe.kind === 'row_condition' && !probe.filter ? probe.nonNullColumn : undefined;
    /** Rows where `where` holds: counted by a filtered read (skipping engines) or the shared scan. */
    const counted = (where: SqlFragment): SqlFragment =>
      dialect.skipsBlocks
        ? sql`(SELECT count(*) FROM ${relation} WHERE ${where})`
        : aggregateOf(dialect.countIf(and(undefined, where)), 'sum');
    let value: SqlFragment;
    if (!filter) value = dialect.skipsBlocks ? allRows() : rowCount();
    else if (column) value = perValue(column, filter);
    else if (nonNull !== undefined)
      // All rows less the NULLs: a count DuckDB answers from its blocks' NULL statistics (nothing
      // read on a clean column), and one a not_null check's aggregate shares.
      value = sql`(${dialect.skipsBlocks ? allRows() : rowCount()} - ${counted(sql`${q(nonNull)} IS NULL`)})`;
    else value = dialect.skipsBlocks ? counted(filter) : aggregateOf(dialect.countIf(filter), 'sum');
    outer.push(sql`${value} AS ${raw(alias)}`);
    return alias;
  };
  const columns = scan.probes.map((probe, index): ProbeColumns | undefined => {
    const how = probeAnswer(warehouse, scan, probe);
    if (probe.kind === 'distinct' || how === 'distinct') return undefined;
    const total = totalOf(probe);
    if (probe.kind === 'row_count') return { total, answer: undefined };
    let answer: SqlFragment;
    if (probe.kind === 'freshness') {
      answer =
        how === 'filtered'
          ? // The newest value as a top-1 rather than max(): the same value (the type's own order,
            // NULLs left out, NULL when no row is left), but the engine then skips every block
            // whose max is below the best value found so far instead of reading the whole column.
            sql`(SELECT ${dialect.epochMs(probe.value, probe.type)} FROM ${relation} WHERE ${and(probe.filter, sql`${probe.value} IS NOT NULL`)} ORDER BY ${probe.value} DESC LIMIT 1)`
          : dialect.epochMs(
              aggregateOf(
                probe.filter
                  ? sql`max(${probe.value}) FILTER (WHERE ${probe.filter})`
                  : sql`max(${probe.value})`,
                'max',
              ),
              probe.type,
            );
    } else if (how === 'per_value') {
      answer = perValue(
        valueColumnOf(scan, probe.valueColumn) as ValueColumn,
        and(probe.filter, probe.failing),
      );
    } else if (how === 'filtered') {
      answer = sql`(SELECT count(*) FROM ${relation} WHERE ${and(probe.filter, probe.failing)})`;
    } else {
      answer = aggregateOf(dialect.countIf(and(probe.filter, probe.failing)), 'sum');
    }
    const alias = `slipway_p${index}`;
    outer.push(sql`${answer} AS ${raw(alias)}`);
    return { total, answer: alias };
  });
  if (aggregates.length > 0) {
    const keys = grouped ? scan.valueColumns.map((c) => q(c.name)) : [];
    const groupBy = keys.length > 0 ? sql` GROUP BY ${join(keys, ', ')}` : sql``;
    ctes.push(
      sql`slipway_aggregate AS (SELECT ${join([...keys, ...aggregates], ',\n    ')} FROM ${relation}${groupBy})`,
    );
  }
  const withClause = ctes.length > 0 ? sql`WITH ${join(ctes, ',\n')}\n` : sql``;
  const from = aggregates.length > 0 ? sql`\nFROM slipway_aggregate` : sql``;
  const statement = sql`${withClause}SELECT ${join(outer, ',\n  ')}${from}`;
  return { statement, columns };
}

/**
 * The condition a probe's total counts under, and the one column it reads when known: the `where`,
 * and for a column-value check also its column not NULL (then the column it reads is that column
 * when the `where` reads only it too, or there is none).
 */
function totalFilter(
  warehouse: Pick<Warehouse, 'quoteIdentifier'>,
  probe: Exclude<ScanProbe, DistinctProbe>,
): { readonly filter: SqlFragment | undefined; readonly filterColumn: string | undefined } {
  if (probe.kind !== 'row_condition' || probe.nonNullColumn === undefined)
    return { filter: probe.filter, filterColumn: probe.filterColumn };
  const column = probe.nonNullColumn;
  return {
    filter: and(probe.filter, sql`${raw(warehouse.quoteIdentifier(column))} IS NOT NULL`),
    filterColumn: !probe.filter || sameName(probe.filterColumn, column) ? column : undefined,
  };
}

function valueColumnOf(scan: ScanNode, name: string | undefined): ValueColumn | undefined {
  return name === undefined ? undefined : scan.valueColumns.find((c) => sameName(c.name, name));
}

/** SQL identifiers as the engine resolves unquoted ones: case-insensitively. */
function sameName(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

export function distinctStatement(
  warehouse: Warehouse,
  scan: ScanNode,
  probes: readonly DistinctProbe[],
): SqlFragment {
  const dialect = warehouse.checkDialect;
  const columns: SqlFragment[] = [];
  probes.forEach((probe, index) => {
    const alias = raw(`f${index}`);
    if (probe.distinctCount) {
      const compared = and(probe.filter, probe.keyNotNull);
      columns.push(
        probe.columns.length === 1 && !probe.filter
          ? sql`count(${probe.key}) AS ${raw(`n${index}`)}`
          : sql`${dialect.countIf(compared)} AS ${raw(`n${index}`)}`,
      );
      columns.push(sql`${probe.distinctCount} AS ${alias}`);
    } else if (probe.columns.length === 1 && !probe.filter) {
      // count() and count(DISTINCT) skip NULLs by themselves; a FILTER clause measured slower.
      columns.push(sql`count(${probe.key}) AS ${raw(`n${index}`)}`);
      columns.push(sql`count(DISTINCT ${probe.key}) AS ${alias}`);
    } else {
      const compared = and(probe.filter, probe.keyNotNull);
      columns.push(sql`${dialect.countIf(compared)} AS ${raw(`n${index}`)}`);
      columns.push(sql`count(DISTINCT ${probe.key}) FILTER (WHERE ${compared}) AS ${alias}`);
    }
  });
  return sql`SELECT ${join(columns, ',\n  ')}\nFROM ${raw(warehouse.quoteRelation(scan.relation))}`;
}
