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
import type { ColumnInfo, RelationRef, Warehouse } from '../warehouse/warehouse.js';
import { checkDialectFor } from './check-dialect.js';
import {
  type ColumnEstimates,
  denseRange,
  type EstimateRequest,
  estimateColumns,
  lowCardinalityColumns,
  repeats,
} from './column-estimates.js';
import { commonValues } from './common-values.js';
import {
  type CheckNode,
  type DistinctProbe,
  type KeyBounds,
  node,
  type RelationshipNode,
  type ScanProbe,
} from './compiled-check.js';
import { singleColumnFilters } from './filter-columns.js';
import type { SqlFragment } from './sql-fragment.js';

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

const TEXT_TYPES = /^(VARCHAR|TEXT|STRING|CHAR|BPCHAR|CHARACTER VARYING)/;

/** Checks whose condition reads nothing but the checked column's value: worth grouping by value. */
const VALUE_CHECKS: ReadonlySet<string> = new Set(['accepted_values', 'pattern', 'length']);

/**
 * The runnable nodes: one `scan` per relation first, then the other nodes in order. The planning
 * reads (a statistics query per relation, the filters' parse trees, a parent range per integer
 * relationship, then a sample per relation with value columns) run side by side where they can.
 * `maxGroupValues`: 0 evaluates every value check row by row.
 */
export async function planChecks(
  warehouse: Warehouse,
  draft: DraftChecks,
  maxGroupValues: number,
): Promise<CheckNode[]> {
  const dialect = checkDialectFor(warehouse);
  const grouping = maxGroupValues > 0 && (dialect.sample !== undefined || dialect.statistics !== undefined);
  const wanted = new Map<string, { relation: RelationRef; distinct: Set<string>; bounds: Set<string> }>();
  const want = (relation: RelationRef, part: keyof EstimateRequest, columns: readonly string[]): void => {
    if (columns.length === 0) return;
    const key = relationKey(relation);
    const entry = wanted.get(key) ?? { relation, distinct: new Set<string>(), bounds: new Set<string>() };
    for (const c of columns) entry[part].add(c);
    wanted.set(key, entry);
  };
  for (const scan of draft.scans) {
    if (grouping) want(scan.relation, 'distinct', valueColumns(scan.probes));
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
  const filterColumns = grouping
    ? singleColumnFilters(
        warehouse,
        draft.scans.flatMap((s) => filterTexts(s.probes)),
      )
    : Promise.resolve(new Map<string, string>());
  // The common values are sampled for every text column a value check reads, while the statistics
  // are read: most of them are low-cardinality columns, and a sample is cheaper than waiting.
  const drafts = draft.scans.map(async (scan) => {
    const reads = await filterColumns;
    const probes = scan.probes.map((p) =>
      p.kind === 'distinct' ? p : withFilterColumn(p, scan.columns, reads),
    );
    const text = grouping
      ? valueColumns(probes).filter((name) =>
          TEXT_TYPES.test(scan.columns.find((c) => c.name === name)?.type ?? ''),
        )
      : [];
    const common = await commonValues(
      warehouse,
      scan.relation,
      text.map((column) => ({ column, conditions: perValueConditions(probes, column) })),
    );
    return { scan, probes, common: new Map(text.map((name, i) => [name, common[i] ?? []])) };
  });
  const estimates = new Map(
    await Promise.all(
      [...wanted].map(
        async ([key, { relation, distinct, bounds }]) =>
          [
            key,
            await estimateColumns(warehouse, relation, { distinct: [...distinct], bounds: [...bounds] }),
          ] as const,
      ),
    ),
  );
  const estimateOf = (relation: RelationRef): ColumnEstimates | undefined =>
    estimates.get(relationKey(relation));
  const scans = await Promise.all(
    drafts.map(async (drafted) => {
      const { scan, probes, common } = await drafted;
      const estimate = estimateOf(scan.relation);
      const names = lowCardinalityColumns(estimate, valueColumns(probes), maxGroupValues);
      return node({
        kind: 'scan',
        relation: scan.relation,
        probes: Object.freeze(probes.map((p) => (p.kind === 'distinct' ? withBitmap(p, estimate) : p))),
        valueColumns: Object.freeze(
          names.map((name) => Object.freeze({ name, common: Object.freeze([...(common.get(name) ?? [])]) })),
        ),
      });
    }),
  );
  const others = await Promise.all(
    draft.nodes.map(async (n): Promise<CheckNode> => {
      if (!isDraft(n)) return n;
      const { integers, ...rest } = n;
      return node({
        ...rest,
        grouped: repeats(estimateOf(n.relation), n.column),
        parentKeys: integers ? await parentRanges.get(parentKey(n)) : undefined,
      });
    }),
  );
  return [...scans, ...others];

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

/**
 * Every condition the scan evaluates per value of `column`: the failing conditions of the checks
 * on it and the filters that read only it (see `probeAnswer`), which the common values must all
 * answer alike.
 */
function perValueConditions(probes: readonly ScanProbe[], column: string): SqlFragment[] {
  const conditions: SqlFragment[] = [];
  for (const p of probes) {
    if (p.kind === 'distinct') continue;
    const filterHere = p.filter !== undefined && p.filterColumn === column;
    if (filterHere && p.filter) conditions.push(p.filter);
    if (p.kind === 'row_condition' && p.valueColumn === column && (!p.filter || filterHere))
      conditions.push(p.failing);
  }
  return conditions;
}

/** The columns of a scan's value checks (the ones grouping could serve). */
function valueColumns(probes: readonly ScanProbe[]): string[] {
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
