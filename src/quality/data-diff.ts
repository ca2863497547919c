/**
 * Data diff: what changed between two versions of a relation (a model in prod and in a CI
 * environment). Schema differences come from the catalog; row counts, rows added / removed /
 * changed by key and the share of changed values per column come from one full outer join the
 * warehouse computes; a few example rows of each kind are fetched after. Nothing but those
 * counts and examples crosses into Node.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { ModelNode } from '../project/project.js';
import type { ColumnInfo, RelationRef, Row, Warehouse } from '../warehouse/warehouse.js';

export interface DataDiffRequest {
  readonly warehouse: Warehouse;
  /** The base version (e.g. prod). */
  readonly a: RelationRef;
  /** The new version (e.g. ci_1a2b). */
  readonly b: RelationRef;
  /** Columns identifying a row (the model's unique_key, or --key). */
  readonly key: readonly string[];
  /** Example rows per kind (default 5). */
  readonly exampleRows?: number;
}

export interface ColumnChange {
  readonly name: string;
  /** Matched rows whose value differs. */
  readonly changed: number;
  /** changed / matched rows (0 when nothing matched). */
  readonly share: number;
}

export interface DataDiffResult {
  readonly a: RelationRef;
  readonly b: RelationRef;
  readonly key: readonly string[];
  readonly schema: {
    /** In B, not in A. */
    readonly added: readonly ColumnInfo[];
    /** In A, not in B. */
    readonly removed: readonly ColumnInfo[];
    readonly retyped: readonly { readonly name: string; readonly from: string; readonly to: string }[];
  };
  readonly rowsA: number;
  readonly rowsB: number;
  /** Keys only in B. */
  readonly added: number;
  /** Keys only in A. */
  readonly removed: number;
  /** Keys in both with at least one differing value. */
  readonly changed: number;
  readonly unchanged: number;
  /** Keys that occur more than once, in A and in B (the diff is then by row pairs). */
  readonly duplicateKeysA: number;
  readonly duplicateKeysB: number;
  readonly columns: readonly ColumnChange[];
  readonly examples: {
    readonly added: readonly Row[];
    readonly removed: readonly Row[];
    readonly changed: readonly Row[];
  };
  readonly sql: string;
  readonly durationMs: number;
}

/**
 * @example
 * const diff = await diffData({ warehouse, a: { schema: 'prod', name: 'fraud_alerts' },
 *   b: { schema: 'ci_1a2b', name: 'fraud_alerts' }, key: ['alert_id'] });
 */
export async function diffData(request: DataDiffRequest): Promise<DataDiffResult> {
  const began = performance.now();
  const { warehouse, a, b } = request;
  const limit = request.exampleRows ?? 5;
  const [colsA, colsB] = await Promise.all([warehouse.describe(a), warehouse.describe(b)]);
  if (!colsA) throw new InvalidArgumentError(`${a.schema}.${a.name} does not exist`);
  if (!colsB) throw new InvalidArgumentError(`${b.schema}.${b.name} does not exist`);
  const byName = (cols: readonly ColumnInfo[]) => new Map(cols.map((c) => [c.name.toLowerCase(), c]));
  const mapA = byName(colsA);
  const mapB = byName(colsB);
  const key = request.key.map((k) => {
    const inA = mapA.get(k.toLowerCase());
    const inB = mapB.get(k.toLowerCase());
    if (!inA || !inB)
      throw new InvalidArgumentError(`the key column '${k}' is not in both versions`, {
        hint: `${a.schema}.${a.name}: ${colsA.map((c) => c.name).join(', ')}`,
      });
    return inA.name;
  });
  const keySet = new Set(key.map((k) => k.toLowerCase()));
  const common = colsA.filter((c) => mapB.has(c.name.toLowerCase()) && !keySet.has(c.name.toLowerCase()));
  const q = (n: string) => warehouse.quoteIdentifier(n);
  // NULL-safe key equality (a NULL key matches a NULL key) written as plain equalities, so that
  // every engine can hash the FULL JOIN: PostgreSQL refuses a FULL JOIN on `IS NOT DISTINCT FROM`.
  // The NULL flags must agree, and NULLs are replaced by one value of the key (any will do, the
  // flags keep them apart from real ones), read once from either side.
  const relA = warehouse.quoteRelation(a);
  const relB = warehouse.quoteRelation(b);
  const on = key
    .map((k) => {
      const filler = `coalesce((SELECT ${q(k)} FROM ${relA} WHERE ${q(k)} IS NOT NULL LIMIT 1), (SELECT ${q(k)} FROM ${relB} WHERE ${q(k)} IS NOT NULL LIMIT 1))`;
      return `(slipway_a.${q(k)} IS NULL) = (slipway_b.${q(k)} IS NULL) AND coalesce(slipway_a.${q(k)}, ${filler}) = coalesce(slipway_b.${q(k)}, ${filler})`;
    })
    .join(' AND ');
  const both = 'slipway_a.slipway_in_a AND slipway_b.slipway_in_b';
  const differs = (c: ColumnInfo) => `slipway_a.${q(c.name)} IS DISTINCT FROM slipway_b.${q(c.name)}`;
  const anyDiffers = common.length ? common.map(differs).join(' OR ') : 'FALSE';
  const joined = `FROM (SELECT *, TRUE AS slipway_in_a FROM ${warehouse.quoteRelation(a)}) AS slipway_a
FULL OUTER JOIN (SELECT *, TRUE AS slipway_in_b FROM ${warehouse.quoteRelation(b)}) AS slipway_b ON ${on}`;
  const statement = `SELECT
  count(*) FILTER (WHERE slipway_a.slipway_in_a IS NULL) AS added,
  count(*) FILTER (WHERE slipway_b.slipway_in_b IS NULL) AS removed,
  count(*) FILTER (WHERE ${both}) AS matched,
  count(*) FILTER (WHERE ${both} AND (${anyDiffers})) AS changed${common
    .map((c, i) => `,\n  count(*) FILTER (WHERE ${both} AND ${differs(c)}) AS c${i}`)
    .join('')}
${joined}`;
  const keyList = key.map(q).join(', ');
  const dupes = (rel: RelationRef) =>
    `(SELECT count(*) FROM (SELECT ${keyList} FROM ${warehouse.quoteRelation(rel)} GROUP BY ${keyList} HAVING count(*) > 1) AS d)`;
  const countsSql = `SELECT (SELECT count(*) FROM ${warehouse.quoteRelation(a)}) AS rows_a, (SELECT count(*) FROM ${warehouse.quoteRelation(b)}) AS rows_b, ${dupes(a)} AS dup_a, ${dupes(b)} AS dup_b`;
  const [main, counts] = await Promise.all([warehouse.query(statement), warehouse.query(countsSql)]);
  const row = main.rows[0] ?? {};
  const n = (v: unknown) => Number(v ?? 0);
  const matched = n(row['matched']);
  const columns = common.map((c, i) => {
    const changed = n(row[`c${i}`]);
    return { name: c.name, changed, share: matched === 0 ? 0 : changed / matched };
  });
  const changedColumns = common.filter((_, i) => n(row[`c${i}`]) > 0);
  const side = (alias: string, cols: readonly ColumnInfo[]) =>
    cols.map((c) => `${alias}.${q(c.name)}`).join(', ');
  const examples = async (
    where: string,
    select: string,
    order: string,
    count: number,
  ): Promise<readonly Row[]> =>
    count === 0 || limit === 0
      ? []
      : (await warehouse.query(`SELECT ${select} ${joined} WHERE ${where} ORDER BY ${order} LIMIT ${limit}`))
          .rows;
  const orderBy = (alias: string) => key.map((k) => `${alias}.${q(k)}`).join(', ');
  const changedSelect = [
    ...key.map((k) => `coalesce(slipway_a.${q(k)}, slipway_b.${q(k)}) AS ${q(k)}`),
    ...changedColumns.flatMap((c) => [
      `slipway_a.${q(c.name)} AS ${q(`${c.name} (a)`)}`,
      `slipway_b.${q(c.name)} AS ${q(`${c.name} (b)`)}`,
    ]),
  ].join(', ');
  const [added, removed, changed] = await Promise.all([
    examples(
      'slipway_a.slipway_in_a IS NULL',
      side('slipway_b', colsB),
      orderBy('slipway_b'),
      n(row['added']),
    ),
    examples(
      'slipway_b.slipway_in_b IS NULL',
      side('slipway_a', colsA),
      orderBy('slipway_a'),
      n(row['removed']),
    ),
    examples(`${both} AND (${anyDiffers})`, changedSelect, orderBy('slipway_a'), n(row['changed'])),
  ]);
  const schemaAdded = colsB.filter((c) => !mapA.has(c.name.toLowerCase()));
  const schemaRemoved = colsA.filter((c) => !mapB.has(c.name.toLowerCase()));
  const retyped = colsA
    .filter((c) => mapB.has(c.name.toLowerCase()) && mapB.get(c.name.toLowerCase())?.type !== c.type)
    .map((c) => ({ name: c.name, from: c.type, to: (mapB.get(c.name.toLowerCase()) as ColumnInfo).type }));
  const c = counts.rows[0] ?? {};
  return {
    a,
    b,
    key,
    schema: { added: schemaAdded, removed: schemaRemoved, retyped },
    rowsA: n(c['rows_a']),
    rowsB: n(c['rows_b']),
    added: n(row['added']),
    removed: n(row['removed']),
    changed: n(row['changed']),
    unchanged: matched - n(row['changed']),
    duplicateKeysA: n(c['dup_a']),
    duplicateKeysB: n(c['dup_b']),
    columns,
    examples: { added, removed, changed },
    sql: statement,
    durationMs: performance.now() - began,
  };
}

/** The columns a model's rows are matched by: its unique_key, else its first `unique` check's. */
export function diffKeyOf(model: Pick<ModelNode, 'uniqueKey' | 'checks'>): readonly string[] {
  if (model.uniqueKey.length > 0) return model.uniqueKey;
  const unique = model.checks.find((c) => c.kind === 'unique');
  if (!unique) return [];
  return unique.column !== undefined
    ? [unique.column]
    : ((unique.params['columns'] as string[] | undefined) ?? []);
}
