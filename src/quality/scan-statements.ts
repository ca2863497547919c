/**
 * The statements of a `scan` node. One statement answers the row-level probes, every count exact:
 * an aggregate grouped by the relation's low-cardinality value columns counts the rows (per
 * `where`) and evaluates the value checks on those columns once per distinct value; each other
 * check is a filtered count in a scalar subquery, which DuckDB answers from its per-block min/max
 * and NULL statistics wherever they rule failing rows out, so clean data costs next to nothing and
 * dirty data costs a read of the checked columns. Engines without block skipping (PostgreSQL) get
 * those counts as aggregates of the one grouped scan instead. Uniqueness probes share one
 * distinct-count query.
 */
import type { Warehouse } from '../warehouse/warehouse.js';
import { checkDialectFor } from './check-dialect.js';
import type { DistinctProbe, ScanNode, ScanProbe } from './compiled-check.js';
import { and } from './run-context.js';
import { displaySql, join, raw, type SqlFragment, sql } from './sql-fragment.js';

/**
 * How the scan statement answers a probe:
 * - `total`: the rows counted (row_count), from the grouped aggregate;
 * - `per_value`: the condition reads only a grouped column: evaluated once per distinct value;
 * - `filtered`: a filtered count (or newest value) of its own, which an engine that skips blocks
 *   answers from its block statistics where they rule the failing rows out (`SELECT count(*) …
 *   WHERE id IS NULL` reads nothing when no block holds a NULL);
 * - `aggregate`: an aggregate in the shared grouped scan (engines that do not skip blocks);
 * - `distinct`: not in this statement (uniqueness).
 */
export type ProbeAnswer = 'total' | 'per_value' | 'filtered' | 'aggregate' | 'distinct';

export function probeAnswer(
  warehouse: Pick<Warehouse, 'dialect'>,
  scan: ScanNode,
  probe: ScanProbe,
): ProbeAnswer {
  switch (probe.kind) {
    case 'row_count':
      return 'total';
    case 'distinct':
      return 'distinct';
    case 'freshness':
      return checkDialectFor(warehouse).skipsBlocks ? 'filtered' : 'aggregate';
    case 'row_condition':
      if (probe.valueColumn !== undefined && scan.groupBy.includes(probe.valueColumn)) return 'per_value';
      return checkDialectFor(warehouse).skipsBlocks ? 'filtered' : 'aggregate';
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
  const dialect = checkDialectFor(warehouse);
  const relation = raw(warehouse.quoteRelation(scan.relation));
  const inner: SqlFragment[] = [];
  const innerAliases = new Map<string, string>();
  /** A per-group aggregate, computed once however many probes use it. */
  const perGroup = (aggregate: SqlFragment): SqlFragment => {
    const key = displaySql(aggregate);
    let alias = innerAliases.get(key);
    if (!alias) {
      alias = `slipway_a${innerAliases.size}`;
      innerAliases.set(key, alias);
      inner.push(sql`${aggregate} AS ${raw(alias)}`);
    }
    return raw(alias);
  };
  const rowsOf = (filter: SqlFragment | undefined): SqlFragment =>
    perGroup(filter ? dialect.countIf(filter) : sql`count(*)`);
  const outer: SqlFragment[] = [];
  const totals = new Map<string, string>();
  const totalOf = (filter: SqlFragment | undefined): string => {
    const key = filter ? displaySql(filter) : '';
    let alias = totals.get(key);
    if (!alias) {
      alias = `slipway_t${totals.size}`;
      totals.set(key, alias);
      outer.push(sql`coalesce(sum(${rowsOf(filter)}), 0) AS ${raw(alias)}`);
    }
    return alias;
  };
  const columns = scan.probes.map((probe, index): ProbeColumns | undefined => {
    const how = probeAnswer(warehouse, scan, probe);
    if (how === 'distinct') return undefined;
    const total = totalOf(probe.filter);
    if (how === 'total') return { total, answer: undefined };
    const alias = `slipway_p${index}`;
    let answer: SqlFragment;
    if (probe.kind === 'freshness') {
      answer =
        how === 'filtered'
          ? // The newest value as a top-1 rather than max(): the same value (the type's own order,
            // NULLs left out, NULL when no row is left), but the engine then skips every block
            // whose max is below the best value found so far instead of reading the whole column.
            sql`(SELECT ${dialect.epochMs(probe.value, probe.type)} FROM ${relation} WHERE ${and(probe.filter, sql`${probe.value} IS NOT NULL`)} ORDER BY ${probe.value} DESC LIMIT 1)`
          : dialect.epochMs(
              sql`max(${perGroup(probe.filter ? sql`max(${probe.value}) FILTER (WHERE ${probe.filter})` : sql`max(${probe.value})`)})`,
              probe.type,
            );
    } else if (probe.kind !== 'row_condition') {
      return { total, answer: undefined };
    } else if (how === 'per_value') {
      // The failing condition reads only the grouped column: evaluated once per distinct value.
      answer = sql`coalesce(sum(${rowsOf(probe.filter)}) FILTER (WHERE ${probe.failing}), 0)`;
    } else if (how === 'filtered') {
      answer = sql`(SELECT count(*) FROM ${relation} WHERE ${and(probe.filter, probe.failing)})`;
    } else {
      answer = sql`coalesce(sum(${perGroup(dialect.countIf(and(probe.filter, probe.failing)))}), 0)`;
    }
    outer.push(sql`${answer} AS ${raw(alias)}`);
    return { total, answer: alias };
  });
  const keys = join(
    scan.groupBy.map((c) => raw(warehouse.quoteIdentifier(c))),
    ', ',
  );
  const grouped = scan.groupBy.length > 0;
  const statement = sql`WITH slipway_groups AS (\n  SELECT ${grouped ? sql`${keys}, ` : sql``}${join(inner, ',\n    ')}\n  FROM ${relation}${grouped ? sql`\n  GROUP BY ${keys}` : sql``}\n)\nSELECT ${join(outer, ',\n  ')}\nFROM slipway_groups`;
  return { statement, columns };
}

/** One query for every uniqueness probe of a relation: rows compared `n{i}`, distinct keys `f{i}`. */
export function distinctStatement(
  warehouse: Warehouse,
  scan: ScanNode,
  probes: readonly DistinctProbe[],
): SqlFragment {
  const dialect = checkDialectFor(warehouse);
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
