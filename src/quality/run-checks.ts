/**
 * Runs checks on a warehouse: compiles them (per relation one statement for the row-level checks
 * and one distinct-count query for the uniqueness checks; one query per relationship / custom query
 * check), runs each as soon as it is planned, a few at a time, judges each check, and fetches
 * failing-row samples only for the checks that failed.
 * `apply` calls this as its gate before the switch; `slipway check` calls it on an environment.
 */
import { ProjectError } from '../core/errors.js';
import { displaySql, join, raw, type SqlFragment, sql } from '../warehouse/sql-fragment.js';
import {
  baseResult,
  type CheckResult,
  exceedsThreshold,
  failedStatus,
  isBlocking,
  percentOf,
} from './check-result.js';
import { type CompileChecksRequest, compileChecks } from './compile-checks.js';
import type { CheckNode, CustomQueryNode, RelationshipNode, SchemaNode } from './compiled-check.js';
import {
  and,
  errorResult,
  guarded,
  num,
  orphanMessage,
  type RunContext,
  samplesFor,
  threshold,
  thresholdText,
  timedRow,
} from './run-context.js';
import { runScan } from './run-scan.js';

/** What to check and where (shared with the compiler), and how to run it. */
export interface RunChecksRequest extends CompileChecksRequest {
  /** Failing rows fetched per failed check (project `defaults.check_sample_rows`, default 5). */
  readonly sampleRows?: number;
  /** Statements run at once (default: the warehouse's concurrency). */
  readonly concurrency?: number;
  /** The clock freshness is measured against (epoch ms). */
  readonly now?: () => number;
  readonly signal?: AbortSignal;
}

export interface CheckRunSummary {
  readonly results: readonly CheckResult[];
  /** Queries sent to the warehouse, samples included. */
  readonly queries: number;
  readonly durationMs: number;
  /** An error-severity check failed or could not run. */
  readonly blocking: boolean;
}

/**
 * Runs `checks`, returning one result per check in declaration order. Throws a `ProjectError`
 * (every problem at once, at `file:line`) when a check names a column its relation lacks or a
 * regex the engine rejects; a check whose relation is missing is reported with status `error`.
 *
 * @example
 * const summary = await runChecks({
 *   warehouse,
 *   checks: projectChecks(project),
 *   relationOf: (name) => ({ schema: 'ci_1a2b', name }),
 * });
 * if (summary.blocking) throw new WorkFailedError('checks failed');
 */
export async function runChecks(request: RunChecksRequest): Promise<CheckRunSummary> {
  const started = performance.now();
  const { warehouse, checks } = request;
  const compiled = await compileChecks(request);
  if (compiled.diagnostics.length > 0) {
    // Nothing will run; the planning reads still under way finish on their own.
    for (const n of compiled.nodes) n.catch(() => undefined);
    throw new ProjectError(compiled.diagnostics);
  }
  const context: RunContext = {
    warehouse,
    sampleRows: request.sampleRows ?? 5,
    now: request.now ?? Date.now,
    signal: request.signal,
    queries: 0,
  };
  const byId = new Map<string, CheckResult>();
  await forEachLimited(
    compiled.nodes,
    request.concurrency ?? warehouse.capabilities.maxConcurrency,
    async (planned) => {
      const n = await planned;
      if (n) for (const result of await runNode(context, n)) byId.set(result.id, result);
    },
  );
  const results = checks.map((c) => byId.get(c.id)).filter((r): r is CheckResult => r !== undefined);
  return {
    results,
    queries: context.queries,
    durationMs: performance.now() - started,
    blocking: results.some(isBlocking),
  };
}

async function runNode(context: RunContext, n: CheckNode): Promise<CheckResult[]> {
  switch (n.kind) {
    case 'scan':
      return runScan(context, n);
    case 'relationship':
      return [await guarded(n.check, () => runRelationship(context, n))];
    case 'custom_query':
      return [await guarded(n.check, () => runCustomQuery(context, n))];
    case 'schema':
      return [await guarded(n.check, () => runSchema(context, n))];
    case 'unrunnable':
      return [errorResult(n.check, n.reason, '')];
  }
}

async function runRelationship(context: RunContext, n: RelationshipNode): Promise<CheckResult> {
  const { statement, orphans } = relationshipStatement(context.warehouse, n);
  const [row, ms] = await timedRow(context, statement);
  const total = num(row['total']);
  const failing = num(row['failing']);
  const bad = exceedsThreshold(failing, total, threshold(n.check));
  const samples = await samplesFor(context, bad, sql`SELECT slipway_child.* ${orphans}`);
  return {
    ...baseResult(n.check),
    status: bad ? failedStatus(n.check) : 'pass',
    failingRows: failing,
    totalRows: total,
    failingPercent: percentOf(failing, total),
    message: orphanMessage(failing, total, n.column, n.parent, n.field, n.check),
    samples,
    sql: displaySql(statement),
    durationMs: ms,
  };
}

/** The counting statement of a relationship (`total`, `failing`) and the FROM … WHERE of its orphans. */
function relationshipStatement(
  warehouse: RunContext['warehouse'],
  n: RelationshipNode,
): { readonly statement: SqlFragment; readonly orphans: SqlFragment } {
  const child = raw(warehouse.quoteRelation(n.relation));
  const col = raw(`slipway_child.${warehouse.quoteIdentifier(n.column)}`);
  const compared = and(n.filter, sql`${col} IS NOT NULL`);
  if (n.parentKeys) {
    // Every integer from min to max is a parent key, so a child value is an orphan exactly when it
    // lies outside the range: two filtered counts DuckDB answers from its block statistics (a
    // clean column is not even read) instead of a join.
    // Elsewhere, one scan counts both.
    const outside = sql`${compared} AND (${col} < ${n.parentKeys.min} OR ${col} > ${n.parentKeys.max})`;
    const { countIf, skipsBlocks } = warehouse.checkDialect;
    return {
      statement: skipsBlocks
        ? sql`SELECT (SELECT count(*) FROM ${child} AS slipway_child WHERE ${compared}) AS total, (SELECT count(*) FROM ${child} AS slipway_child WHERE ${outside}) AS failing`
        : sql`SELECT ${countIf(compared)} AS total, ${countIf(outside)} AS failing FROM ${child} AS slipway_child`,
      orphans: sql`FROM ${child} AS slipway_child WHERE ${outside}`,
    };
  }
  const field = raw(warehouse.quoteIdentifier(n.field));
  // A left join to the distinct parent keys: a hash join, several times faster on DuckDB than
  // NOT EXISTS inside an aggregate, and no duplicate parents can multiply the child rows.
  const parentKeys = sql`(SELECT DISTINCT ${field} FROM ${raw(warehouse.quoteRelation(n.parent))}) AS slipway_parent`;
  const from = sql`FROM ${child} AS slipway_child LEFT JOIN ${parentKeys} ON slipway_parent.${field} = ${col} WHERE ${compared}`;
  const orphan = sql`slipway_parent.${field} IS NULL`;
  // A child column with few distinct values is grouped first: the join then sees one row per
  // value instead of one per child row (measured 3x faster on 10M rows with 1,000 values).
  const statement = n.grouped
    ? sql`SELECT sum(slipway_child.slipway_rows) AS total, coalesce(sum(slipway_child.slipway_rows) FILTER (WHERE ${orphan}), 0) AS failing FROM (SELECT ${raw(warehouse.quoteIdentifier(n.column))}, count(*) AS slipway_rows FROM ${child} AS slipway_child WHERE ${compared} GROUP BY ${col}) AS slipway_child LEFT JOIN ${parentKeys} ON slipway_parent.${field} = ${col}`
    : sql`SELECT count(*) AS total, ${warehouse.checkDialect.countIf(orphan)} AS failing ${from}`;
  return { statement, orphans: sql`${from} AND ${orphan}` };
}

async function runCustomQuery(context: RunContext, n: CustomQueryNode): Promise<CheckResult> {
  const statement = sql`SELECT count(*) AS failing FROM (\n${n.query}\n) AS slipway_failures`;
  const [row, ms] = await timedRow(context, statement);
  const failing = num(row['failing']);
  const rowsLimit = (threshold(n.check)?.rows ?? 0) as number;
  const bad = failing > rowsLimit;
  const samples = await samplesFor(context, bad, sql`SELECT * FROM (\n${n.query}\n) AS slipway_failures`);
  return {
    ...baseResult(n.check),
    status: bad ? failedStatus(n.check) : 'pass',
    failingRows: failing,
    totalRows: undefined,
    failingPercent: undefined,
    message: `the query returned ${failing.toLocaleString('en-US')} failing rows${thresholdText(n.check)}`,
    samples,
    sql: displaySql(statement),
    durationMs: ms,
  };
}

/** Spellings of one SQL type, mapped to the name DuckDB reports. */
const TYPE_ALIASES: Readonly<Record<string, string>> = {
  INT: 'INTEGER',
  INT4: 'INTEGER',
  INT8: 'BIGINT',
  LONG: 'BIGINT',
  INT2: 'SMALLINT',
  SHORT: 'SMALLINT',
  INT1: 'TINYINT',
  FLOAT8: 'DOUBLE',
  'DOUBLE PRECISION': 'DOUBLE',
  FLOAT4: 'FLOAT',
  REAL: 'FLOAT',
  TEXT: 'VARCHAR',
  STRING: 'VARCHAR',
  'CHARACTER VARYING': 'VARCHAR',
  BOOL: 'BOOLEAN',
  TIMESTAMPTZ: 'TIMESTAMP WITH TIME ZONE',
  DATETIME: 'TIMESTAMP',
  NUMERIC: 'DECIMAL(18,3)',
  DECIMAL: 'DECIMAL(18,3)',
};

/** Type names as engines print them, so `INT8` and `BIGINT` or `DECIMAL(12, 2)` and `decimal(12,2)` agree. */
export function normalizeType(type: string): string {
  const t = type
    .toUpperCase()
    .replace(/\s+/g, ' ')
    .replace(/\s*([(),])\s*/g, '$1')
    .trim();
  const bare = t.replace(/^NUMERIC\(/, 'DECIMAL(');
  return TYPE_ALIASES[bare] ?? bare;
}

async function runSchema(context: RunContext, n: SchemaNode): Promise<CheckResult> {
  const p = n.check.params;
  const expected = Object.entries((p['columns'] ?? {}) as Record<string, string>);
  const nullable = (p['nullable'] ?? {}) as Record<string, boolean>;
  const allowExtra = p['allow_extra'] === true;
  const actual = new Map(n.actual.map((c) => [c.name.toLowerCase(), c]));
  const problems: string[] = [];
  for (const [name, type] of expected) {
    const found = actual.get(name.toLowerCase());
    if (!found) problems.push(`missing column ${name} ${type}`);
    else if (normalizeType(found.type) !== normalizeType(type))
      problems.push(`${name} is ${found.type}, expected ${type.toUpperCase()}`);
  }
  if (!allowExtra) {
    const declared = new Set(expected.map(([name]) => name.toLowerCase()));
    for (const c of n.actual)
      if (!declared.has(c.name.toLowerCase())) problems.push(`unexpected column ${c.name} ${c.type}`);
  }
  // Views report every column nullable; for NOT NULL contracts the data decides.
  const mustNotBeNull = Object.entries(nullable)
    .filter(
      ([name, ok]) =>
        !ok && actual.get(name.toLowerCase())?.nullable !== false && actual.has(name.toLowerCase()),
    )
    .map(([name]) => (actual.get(name.toLowerCase()) as { name: string }).name);
  let statement = '';
  let ms = 0;
  if (mustNotBeNull.length > 0) {
    const { warehouse } = context;
    const fragment = sql`SELECT ${join(
      mustNotBeNull.map((c, i) =>
        raw(`count(*) FILTER (WHERE ${warehouse.quoteIdentifier(c)} IS NULL) AS n${i}`),
      ),
      ', ',
    )} FROM ${raw(warehouse.quoteRelation(n.relation))}`;
    statement = displaySql(fragment);
    const [row, took] = await timedRow(context, fragment);
    ms = took;
    mustNotBeNull.forEach((c, i) => {
      const nulls = num(row[`n${i}`]);
      if (nulls > 0) problems.push(`${c} must not be null but has ${nulls.toLocaleString('en-US')} NULLs`);
    });
  }
  return {
    ...baseResult(n.check),
    status: problems.length > 0 ? failedStatus(n.check) : 'pass',
    failingRows: problems.length,
    totalRows: undefined,
    failingPercent: undefined,
    message: problems.length > 0 ? problems.join('; ') : `${expected.length} columns as declared`,
    samples: [],
    sql: statement,
    durationMs: ms,
  };
}

async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
