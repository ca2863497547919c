/**
 * Planning, between compiling checks and running them: learns what the engine knows about the
 * checked columns (its statistics, else a sample) and picks how each node runs — which columns are
 * counted per distinct value (and which common values their scans skip while reading), which
 * `where` filters read only such a column, whether a uniqueness check counts with a bitmap, whether
 * a relationship is a range test, a grouped join or a plain join. Every choice counts the same
 * rows; only the cost differs. What must hold for exactness is checked, not estimated: an integer
 * column's bounds come from sound statistics or an exact query (`column-estimates.ts`), the columns
 * a filter reads from the engine's parser (`filter-columns.ts`), and the common values' answers
 * from the engine itself (`common-values.ts`).
 */

import { TEXT_TYPES } from '../warehouse/check-dialect.js';
import { displaySql, type SqlFragment } from '../warehouse/sql-fragment.js';
import type { ColumnInfo, RelationRef, Warehouse } from '../warehouse/warehouse.js';
import {
  type ColumnEstimates,
  denseRange,
  type EstimateRequest,
  estimateColumns,
  lowCardinalityColumns,
  repeats,
} from './column-estimates.js';
import { commonValues, sampleValues } from './common-values.js';
import {
  type CheckNode,
  type DistinctProbe,
  type KeyBounds,
  node,
  type RelationshipNode,
  type ScanProbe,
} from './compiled-check.js';
import { singleColumnFilters } from './filter-columns.js';

/** A relation's probes, before planning picks their value columns and bitmaps. */
export interface DraftScan {
  readonly relation: RelationRef;
  /** The relation's columns, as described. */
  readonly columns: readonly ColumnInfo[];
  readonly probes: readonly ScanProbe[];
}

/** A relationship before planning; `integers`: both columns are integers, so a range may do. */
export type DraftRelationship = Omit<RelationshipNode, 'grouped' | 'parentKeys'> & {
  readonly integers: boolean;
};

/** What the compiler hands to planning. */
export interface DraftChecks {
  readonly scans: readonly DraftScan[];
  readonly nodes: readonly (CheckNode | DraftRelationship)[];
  /** Ids of the uniqueness checks on one integer column: a bitmap when their bounds fit one. */
  readonly bitmapKeys: ReadonlySet<string>;
}

/** Checks whose condition reads nothing but the checked column's value: worth grouping by value. */
const VALUE_CHECKS: ReadonlySet<string> = new Set(['accepted_values', 'pattern', 'length']);

/**
 * The runnable nodes, each as soon as its planning reads are in: uniqueness first (it needs only
 * the statistics), then the row-level scans (they also wait for a sample), then the other nodes in
 * order. The planning reads (a statistics query per relation, the filters' parse trees, a sample
 * per relation with value columns, a parent range per integer relationship) run side by side, and
 * a node runs while the others are still being planned. No promise rejects: every planning read
 * that fails only leaves its plan on a slower path. `maxGroupValues`: 0 evaluates every value check
 * row by row.
 */
export function planChecks(
  warehouse: Warehouse,
  draft: DraftChecks,
  maxGroupValues: number,
): readonly Promise<CheckNode>[] {
  const dialect = warehouse.checkDialect;
  const grouping = maxGroupValues > 0 && (dialect.sample !== undefined || dialect.statistics !== undefined);
  // Where the engine skips blocks and reads one column at a time (DuckDB), each grouped value
  // column gets a cheap read of its own (the rows outside its common values, found by a sample).
  // Where it does not (PostgreSQL), a read of its own would be a whole extra scan: the one shared
  // scan groups its rows by the value columns instead (`scan-statements.ts`), so each value check
  // is judged once per combination of values, and no sample is needed.
  const groupValues = grouping;
  const ownReads = dialect.skipsBlocks;
  const wanted = new Map<string, { relation: RelationRef; distinct: Set<string>; bounds: Set<string> }>();
  const want = (relation: RelationRef, part: keyof EstimateRequest, columns: readonly string[]): void => {
    if (columns.length === 0) return;
    const key = relationKey(relation);
    const entry = wanted.get(key) ?? { relation, distinct: new Set<string>(), bounds: new Set<string>() };
    for (const c of columns) entry[part].add(c);
    wanted.set(key, entry);
  };
  for (const scan of draft.scans) {
    if (groupValues) want(scan.relation, 'distinct', valueColumnsOf(scan.probes));
    for (const p of scan.probes)
      if (p.kind === 'distinct' && draft.bitmapKeys.has(p.check.id)) want(scan.relation, 'bounds', p.columns);
  }
  const parentRanges = new Map<string, Promise<KeyBounds | undefined>>();
  for (const n of draft.nodes) {
    if (!isDraft(n)) continue;
    if (grouping) want(n.relation, 'distinct', [n.column]);
    const key = parentKey(n);
    if (n.integers && !parentRanges.has(key)) parentRanges.set(key, denseRange(warehouse, n.parent, n.field));
  }
  const estimates = new Map(
    [...wanted].map(([key, { relation, distinct, bounds }]) => [
      key,
      estimateColumns(warehouse, relation, { distinct: [...distinct], bounds: [...bounds] }),
    ]),
  );
  const estimateOf = async (relation: RelationRef): Promise<ColumnEstimates | undefined> =>
    estimates.get(relationKey(relation));
  const filterColumns = groupValues
    ? singleColumnFilters(
        warehouse,
        draft.scans.flatMap((s) => filterTexts(s.probes)),
      )
    : Promise.resolve(new Map<string, string>());
  const uniqueness = draft.scans
    .filter((scan) => scan.probes.some((p) => p.kind === 'distinct'))
    .map(async (scan) => {
      const estimate = await estimateOf(scan.relation);
      const probes = scan.probes.flatMap((p) => (p.kind === 'distinct' ? [withBitmap(p, estimate)] : []));
      return node({
        kind: 'scan',
        relation: scan.relation,
        probes: Object.freeze(probes),
        valueColumns: Object.freeze([]),
      });
    });
  const rowLevel = draft.scans
    .filter((scan) => scan.probes.some((p) => p.kind !== 'distinct'))
    .map((scan) => ({ ...scan, probes: scan.probes.filter((p) => p.kind !== 'distinct') }))
    .map(async (scan) => {
      // Sampled side by side with the statistics and the filters' parse: the values of every text
      // column a value check reads (most are low-cardinality), with the answers of every condition
      // that may turn out to be evaluated per value.
      const columns = ownReads
        ? valueColumnsOf(scan.probes).filter((name) =>
            TEXT_TYPES.test(scan.columns.find((c) => c.name === name)?.type ?? ''),
          )
        : [];
      const sampled = columns.map((column) => sampledConditions(scan.probes, column));
      // Answers come back in this order: the conditions on the column, then the filters.
      const conditions = sampled.map(({ onColumn, onRows }) => [...onColumn, ...onRows]);
      const [values, estimate, reads] = await Promise.all([
        sampleValues(
          warehouse,
          scan.relation,
          sampled.map(({ onColumn, onRows }, i) => ({
            column: columns[i] as string,
            onColumn: onColumn.map((x) => x.condition),
            onRows: onRows.map((x) => x.condition),
          })),
        ),
        estimateOf(scan.relation),
        filterColumns,
      ]);
      const probes = scan.probes.map((p) => withFilterColumn(p, scan.columns, reads));
      const lowCardinality = groupValues
        ? lowCardinalityColumns(estimate, valueColumnsOf(probes), maxGroupValues)
        : [];
      const grouped = ownReads ? lowCardinality : withinGroups(estimate, lowCardinality);
      const valueColumns = grouped.map((name) => {
        const at = columns.indexOf(name);
        const relevant = (conditions[at] ?? [])
          .map((c, i) => (c.perValue(probes) ? i : -1))
          .filter((i) => i >= 0);
        const common = at < 0 ? [] : commonValues(values[at] ?? [], relevant);
        return Object.freeze({ name, common: Object.freeze(common) });
      });
      return node({
        kind: 'scan',
        relation: scan.relation,
        probes: Object.freeze(probes),
        valueColumns: Object.freeze(valueColumns),
      });
    });
  const others = draft.nodes.map(async (n): Promise<CheckNode> => {
    if (!isDraft(n)) return n;
    const { integers, ...rest } = n;
    return node({
      ...rest,
      grouped: repeats(await estimateOf(n.relation), n.column),
      parentKeys: integers ? await parentRanges.get(parentKey(n)) : undefined,
    });
  });
  return [...uniqueness, ...rowLevel, ...others];

  /** A single-column uniqueness probe counted with a bitmap over its key's bounds, when known. */
  function withBitmap(probe: DistinctProbe, estimate: ColumnEstimates | undefined): DistinctProbe {
    const only = probe.columns.length === 1 ? (probe.columns[0] as string) : undefined;
    const bounds = only === undefined ? undefined : estimate?.bounds.get(only);
    if (!bounds || !dialect.bitmapDistinct || !draft.bitmapKeys.has(probe.check.id)) return probe;
    return node({
      ...probe,
      distinctCount: dialect.bitmapDistinct(probe.key, bounds.min, bounds.max, probe.filter),
    });
  }
}

/**
 * The value columns one shared scan groups its rows by (engines without block skipping): in order,
 * as long as the estimated combinations of their values stay within `MAX_SCAN_GROUPS`, which a hash
 * aggregate holds in memory at no cost worth measuring.
 */
function withinGroups(estimate: ColumnEstimates | undefined, columns: readonly string[]): string[] {
  const chosen: string[] = [];
  let combinations = 1;
  for (const column of columns) {
    const distinct = estimate?.distinct.get(column);
    if (distinct === undefined || combinations * Math.max(1, distinct) > MAX_SCAN_GROUPS) continue;
    combinations *= Math.max(1, distinct);
    chosen.push(column);
  }
  return chosen;
}

/** The most value combinations a shared scan groups its rows into. */
export const MAX_SCAN_GROUPS = 4096;

export const relationKey = (relation: RelationRef): string => `${relation.schema}\u0000${relation.name}`;

const parentKey = (n: DraftRelationship): string => `${relationKey(n.parent)}\u0000${n.field}`;

const isDraft = (n: CheckNode | DraftRelationship): n is DraftRelationship => 'integers' in n;

/** The `where` texts of a scan's probes. */
function filterTexts(probes: readonly ScanProbe[]): string[] {
  return probes.flatMap((p) =>
    typeof p.check.params['where'] === 'string' ? [p.check.params['where']] : [],
  );
}

/** A probe with the one column its `where` reads (named as the relation names it), when known. */
function withFilterColumn(
  probe: Exclude<ScanProbe, DistinctProbe>,
  columns: readonly ColumnInfo[],
  filterColumns: ReadonlyMap<string, string>,
): ScanProbe {
  const where = probe.check.params['where'];
  const read = typeof where === 'string' ? filterColumns.get(where) : undefined;
  const column = read === undefined ? undefined : columns.find((c) => c.name.toLowerCase() === read);
  return column ? node({ ...probe, filterColumn: column.name }) : probe;
}

/** A condition sampled per value of a column, and whether the scan will evaluate it per value. */
interface SampledCondition {
  readonly condition: SqlFragment;
  /** Given the probes as planned (with their filter columns). */
  readonly perValue: (probes: readonly ScanProbe[]) => boolean;
}

/**
 * The conditions the scan may evaluate per value of `column` (see `probeAnswer`), which the common
 * values must all answer alike: `onColumn`, the failing condition of each check on the column (per
 * value when it has no `where` or one that reads only the column); `onRows`, every `where` of the
 * scan (per value when it reads only the column — known only after parsing, so all are sampled).
 */
function sampledConditions(
  probes: readonly ScanProbe[],
  column: string,
): { readonly onColumn: SampledCondition[]; readonly onRows: SampledCondition[] } {
  const onColumn: SampledCondition[] = [];
  probes.forEach((p, index) => {
    if (p.kind !== 'row_condition' || p.valueColumn !== column) return;
    onColumn.push({
      condition: p.failing,
      perValue: (planned) => {
        const q = planned[index];
        return q !== undefined && q.kind !== 'distinct' && (!q.filter || q.filterColumn === column);
      },
    });
  });
  const filters = new Map<string, SqlFragment>();
  for (const p of probes) if (p.kind !== 'distinct' && p.filter) filters.set(displaySql(p.filter), p.filter);
  const onRows = [...filters].map(
    ([text, filter]): SampledCondition => ({
      condition: filter,
      perValue: (planned) =>
        planned.some(
          (q) =>
            q.kind !== 'distinct' && q.filter && displaySql(q.filter) === text && q.filterColumn === column,
        ),
    }),
  );
  return { onColumn, onRows };
}

/** The columns of a scan's value checks (the ones grouping could serve). */
function valueColumnsOf(probes: readonly ScanProbe[]): string[] {
  return [
    ...new Set(
      probes.flatMap((p) =>
        p.kind === 'row_condition' && VALUE_CHECKS.has(p.check.kind) && p.valueColumn !== undefined
          ? [p.valueColumn]
          : [],
      ),
    ),
  ];
}
