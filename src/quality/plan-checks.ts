/**
 * Planning, between compiling checks and running them: learns what the engine knows about the
 * checked columns (its statistics, else a sample) and picks how each node runs — which value checks
 * are evaluated once per distinct value, whether a uniqueness check counts with a bitmap, whether a
 * relationship is a range test, a grouped join or a plain join. Every choice counts the same rows;
 * only the cost differs. The one input that must hold, an integer column's bounds, comes from sound
 * statistics or an exact query (see `column-estimates.ts`).
 */
import type { RelationRef, Warehouse } from '../warehouse/warehouse.js';
import { checkDialectFor } from './check-dialect.js';
import {
  type ColumnEstimates,
  denseRange,
  type EstimateRequest,
  estimateColumns,
  lowCardinalityColumns,
  repeats,
} from './column-estimates.js';
import {
  type CheckNode,
  type DistinctProbe,
  type KeyBounds,
  node,
  type RelationshipNode,
  type ScanProbe,
} from './compiled-check.js';

/** A relation's probes, before planning picks their grouping and bitmaps. */
export interface DraftScan {
  readonly relation: RelationRef;
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
 * The runnable nodes: one `scan` per relation first, then the other nodes in order. The planning
 * reads (a statistics query per relation, a parent range per integer relationship) run side by side.
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
  const scans = draft.scans.map((scan) => {
    const estimate = estimateOf(scan.relation);
    return node({
      kind: 'scan',
      relation: scan.relation,
      probes: Object.freeze(scan.probes.map((p) => (p.kind === 'distinct' ? withBitmap(p, estimate) : p))),
      groupBy: Object.freeze([...lowCardinalityColumns(estimate, valueColumns(scan.probes), maxGroupValues)]),
    });
  });
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
