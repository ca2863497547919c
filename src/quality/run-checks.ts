/**
 * Runs checks on a warehouse: compiles them (one aggregate scan per relation for every row-level
 * and uniqueness check, one query per relationship / custom query check), runs the queries a few at
 * a time, judges each check, and fetches failing-row samples only for the checks that failed.
 * `apply` calls this as its gate before the switch; `slipway check` calls it on an environment.
 */
import { formatDuration } from '../core/duration.js';
import { ProjectError } from '../core/errors.js';
import type { CheckDeclaration } from '../project/project.js';
import type { RelationRef, Row, SqlValue, Warehouse } from '../warehouse/warehouse.js';
import { checkDialectFor } from './check-dialect.js';
import {
  baseResult,
  type CheckResult,
  exceedsThreshold,
  failedStatus,
  isBlocking,
  percentOf,
  type Threshold,
} from './check-result.js';
import { compileChecks } from './compile-checks.js';
import type {
  CheckNode,
  CustomQueryNode,
  DistinctProbe,
  RelationshipNode,
  ScanNode,
  ScanProbe,
  SchemaNode,
} from './compiled-check.js';
import { displaySql, join, raw, renderSql, type SqlFragment, sql } from './sql-fragment.js';

export interface RunChecksRequest {
  readonly warehouse: Warehouse;
  readonly checks: readonly CheckDeclaration[];
  /** Where a check's target (model or source name) lives for this run, e.g. `"prod"."fraud_alerts"`. */
  readonly relationOf: (target: string) => RelationRef;
  /** Model and source names custom `query` checks may read by bare name (default: the targets). */
  readonly names?: readonly string[];
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
  if (compiled.diagnostics.length > 0) throw new ProjectError(compiled.diagnostics);
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
    async (n) => {
      for (const result of await runNode(context, n)) byId.set(result.id, result);
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

interface RunContext {
  readonly warehouse: Warehouse;
  readonly sampleRows: number;
  readonly now: () => number;
  readonly signal: AbortSignal | undefined;
  queries: number;
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

async function query(context: RunContext, statement: SqlFragment): Promise<readonly Row[]> {
  const { text, params } = renderSql(statement);
  context.queries += 1;
  return (await context.warehouse.query(text, { params, signal: context.signal })).rows;
}

async function timed<T>(body: () => Promise<T>): Promise<[T, number]> {
  const began = performance.now();
  const value = await body();
  return [value, performance.now() - began];
}

async function guarded(check: CheckDeclaration, body: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await body();
  } catch (error) {
    return errorResult(check, error instanceof Error ? error.message : String(error), '');
  }
}

function errorResult(check: CheckDeclaration, reason: string, statement: string): CheckResult {
  return {
    ...baseResult(check),
    status: 'error',
    failingRows: undefined,
    totalRows: undefined,
    failingPercent: undefined,
    message: `could not run: ${reason.split('\n')[0]}`,
    samples: [],
    sql: statement,
    durationMs: 0,
  };
}

const num = (value: SqlValue | undefined): number =>
  value === null || value === undefined ? 0 : Number(value);
const threshold = (check: CheckDeclaration): Threshold | undefined =>
  check.params['threshold'] as Threshold | undefined;
const and = (filter: SqlFragment | undefined, condition: SqlFragment): SqlFragment =>
  filter ? sql`${filter} AND (${condition})` : sql`(${condition})`;

/** The single aggregate statement answering every probe of a scan. */
export function scanStatement(warehouse: Warehouse, scan: ScanNode): SqlFragment {
  const dialect = checkDialectFor(warehouse);
  const columns: SqlFragment[] = [];
  const totals = new Map<string, string>();
  const totalOf = (filter: SqlFragment | undefined): string => {
    const key = filter ? displaySql(filter) : '';
    let alias = totals.get(key);
    if (!alias) {
      alias = `t${totals.size}`;
      totals.set(key, alias);
      columns.push(
        filter ? sql`${dialect.countIf(filter)} AS ${raw(alias)}` : sql`count(*) AS ${raw(alias)}`,
      );
    }
    return alias;
  };
  scan.probes.forEach((probe, index) => {
    totalOf(probe.filter);
    const alias = raw(`f${index}`);
    if (probe.kind === 'row_condition')
      columns.push(sql`${dialect.countIf(and(probe.filter, probe.failing))} AS ${alias}`);
    if (probe.kind === 'freshness') {
      const newest = probe.filter
        ? sql`max(${probe.value}) FILTER (WHERE ${probe.filter})`
        : sql`max(${probe.value})`;
      columns.push(sql`${dialect.epochMs(newest, probe.type)} AS ${alias}`);
    }
    if (probe.kind === 'distinct') {
      if (probe.distinctCount) {
        const compared = and(probe.filter, probe.keyNotNull);
        columns.push(sql`${dialect.countIf(compared)} AS ${raw(`n${index}`)}`);
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
    }
  });
  return sql`SELECT ${join(columns, ',\n  ')}\nFROM ${raw(warehouse.quoteRelation(scan.relation))}`;
}

/** The alias of the total a probe is measured against (same numbering as scanStatement). */
function totalAliases(scan: ScanNode): string[] {
  const totals = new Map<string, string>();
  return scan.probes.map((probe) => {
    const key = probe.filter ? displaySql(probe.filter) : '';
    let alias = totals.get(key);
    if (!alias) {
      alias = `t${totals.size}`;
      totals.set(key, alias);
    }
    return alias;
  });
}

async function runScan(context: RunContext, scan: ScanNode): Promise<CheckResult[]> {
  const statement = scanStatement(context.warehouse, scan);
  let row: Row;
  let ms: number;
  try {
    [[row = {}], ms] = (await timed(() => query(context, statement))) as [Row[], number];
  } catch (error) {
    // One bad `where` or expression must not hide the others: isolate each probe.
    if (scan.probes.length > 1)
      return (await Promise.all(scan.probes.map((p) => runScan(context, { ...scan, probes: [p] })))).flat();
    const probe = scan.probes[0] as ScanProbe;
    return [
      errorResult(probe.check, error instanceof Error ? error.message : String(error), displaySql(statement)),
    ];
  }
  const aliases = totalAliases(scan);
  const shown = displaySql(statement);
  return Promise.all(
    scan.probes.map((probe, index) =>
      guarded(probe.check, () =>
        judgeProbe(
          context,
          scan,
          probe,
          num(row[aliases[index] as string]),
          row[`f${index}`] ?? null,
          shown,
          ms,
          num(row[`n${index}`]),
        ),
      ),
    ),
  );
}

async function judgeProbe(
  context: RunContext,
  scan: ScanNode,
  probe: ScanProbe,
  total: number,
  measured: SqlValue,
  shownSql: string,
  durationMs: number,
  compared: number,
): Promise<CheckResult> {
  const check = probe.check;
  const base = { ...baseResult(check), sql: shownSql, durationMs, samples: [] as Row[] };
  if (probe.kind === 'row_count') {
    const min = check.params['min'] as number | undefined;
    const max = check.params['max'] as number | undefined;
    const bad = (min !== undefined && total < min) || (max !== undefined && total > max);
    const bounds = [min !== undefined ? `min ${min}` : '', max !== undefined ? `max ${max}` : ''].filter(
      Boolean,
    );
    return {
      ...base,
      status: bad ? failedStatus(check) : 'pass',
      failingRows: undefined,
      totalRows: total,
      failingPercent: undefined,
      message: `${total.toLocaleString('en-US')} rows (${bounds.join(', ') || 'no bounds'})`,
    };
  }
  if (probe.kind === 'freshness') {
    if (measured === null) {
      return {
        ...base,
        status: total === 0 ? failedStatus(check) : failedStatus(check),
        failingRows: undefined,
        totalRows: total,
        failingPercent: undefined,
        message: `no ${probe.column} values: the data has no age`,
      };
    }
    const age = context.now() - Number(measured);
    const status =
      probe.errorAfterMs !== undefined && age > probe.errorAfterMs
        ? failedStatus(check)
        : probe.warnAfterMs !== undefined && age > probe.warnAfterMs
          ? 'warn'
          : 'pass';
    const limits = [
      probe.warnAfterMs !== undefined ? `warn after ${formatDuration(probe.warnAfterMs)}` : '',
      probe.errorAfterMs !== undefined ? `error after ${formatDuration(probe.errorAfterMs)}` : '',
    ].filter(Boolean);
    return {
      ...base,
      status,
      failingRows: undefined,
      totalRows: total,
      failingPercent: undefined,
      message: `newest ${probe.column} is ${formatDuration(Math.max(0, age))} old (${limits.join(', ')})`,
    };
  }
  if (probe.kind === 'distinct') return judgeDistinct(context, scan, probe, compared, num(measured), base);
  const failing = num(measured);
  const percent = percentOf(failing, total);
  let bad: boolean;
  let message: string;
  if (check.kind === 'not_null_proportion') {
    const atLeast = Number(check.params['at_least']);
    const share = total === 0 ? 1 : (total - failing) / total;
    bad = share < atLeast;
    message = `${(share * 100).toFixed(2)}% not null (at least ${(atLeast * 100).toFixed(2)}%)`;
  } else {
    bad = exceedsThreshold(failing, total, threshold(check));
    message = `${failing.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} rows fail (${formatPercent(percent)})${thresholdText(check)}`;
  }
  const samples =
    bad && failing > 0 && context.sampleRows > 0
      ? await query(
          context,
          sql`SELECT * FROM ${raw(context.warehouse.quoteRelation(scan.relation))} WHERE ${and(probe.filter, probe.failing)} LIMIT ${raw(String(context.sampleRows))}`,
        )
      : [];
  return {
    ...base,
    status: bad ? failedStatus(check) : 'pass',
    failingRows: failing,
    totalRows: total,
    failingPercent: percent,
    message,
    samples,
  };
}

/** Duplicate rows = rows compared − distinct keys; the duplicated keys are grouped only on failure. */
async function judgeDistinct(
  context: RunContext,
  scan: ScanNode,
  probe: DistinctProbe,
  total: number,
  distinct: number,
  base: Pick<CheckResult, 'sql' | 'durationMs'> & ReturnType<typeof baseResult>,
): Promise<CheckResult> {
  const { warehouse } = context;
  const failing = total - distinct;
  const bad = exceedsThreshold(failing, total, threshold(probe.check));
  const keys = join(
    probe.columns.map((c) => raw(warehouse.quoteIdentifier(c))),
    ', ',
  );
  const samples =
    bad && context.sampleRows > 0
      ? await query(
          context,
          sql`SELECT ${keys}, count(*) AS duplicate_count FROM ${raw(warehouse.quoteRelation(scan.relation))} WHERE ${and(probe.filter, probe.keyNotNull)} GROUP BY ${keys} HAVING count(*) > 1 ORDER BY duplicate_count DESC, ${keys} LIMIT ${raw(String(context.sampleRows))}`,
        )
      : [];
  const what =
    probe.columns.length > 1 ? `(${probe.columns.join(', ')}) combinations` : `${probe.columns[0]} values`;
  return {
    ...base,
    status: bad ? failedStatus(probe.check) : 'pass',
    failingRows: failing,
    totalRows: total,
    failingPercent: percentOf(failing, total),
    message: `${failing.toLocaleString('en-US')} duplicate rows (repeated ${what}) among ${total.toLocaleString('en-US')} rows${thresholdText(probe.check)}`,
    samples,
  };
}

async function runRelationship(context: RunContext, n: RelationshipNode): Promise<CheckResult> {
  const { warehouse } = context;
  const col = raw(`slipway_child.${warehouse.quoteIdentifier(n.column)}`);
  const field = raw(warehouse.quoteIdentifier(n.field));
  // A left join to the distinct parent keys: a hash join, several times faster on DuckDB than
  // NOT EXISTS inside an aggregate, and no duplicate parents can multiply the child rows.
  const from = sql`FROM ${raw(warehouse.quoteRelation(n.relation))} AS slipway_child LEFT JOIN (SELECT DISTINCT ${field} FROM ${raw(warehouse.quoteRelation(n.parent))}) AS slipway_parent ON slipway_parent.${field} = ${col} WHERE ${and(n.filter, sql`${col} IS NOT NULL`)}`;
  const orphan = sql`slipway_parent.${field} IS NULL`;
  const statement = sql`SELECT count(*) AS total, ${checkDialectFor(warehouse).countIf(orphan)} AS failing ${from}`;
  const [[row = {}], ms] = (await timed(() => query(context, statement))) as [Row[], number];
  const total = num(row['total']);
  const failing = num(row['failing']);
  const bad = exceedsThreshold(failing, total, threshold(n.check));
  const samples =
    bad && context.sampleRows > 0
      ? await query(
          context,
          sql`SELECT slipway_child.* ${from} AND ${orphan} LIMIT ${raw(String(context.sampleRows))}`,
        )
      : [];
  return {
    ...baseResult(n.check),
    status: bad ? failedStatus(n.check) : 'pass',
    failingRows: failing,
    totalRows: total,
    failingPercent: percentOf(failing, total),
    message: `${failing.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} ${n.column} values have no ${n.parent.name}.${n.field}${thresholdText(n.check)}`,
    samples,
    sql: displaySql(statement),
    durationMs: ms,
  };
}

async function runCustomQuery(context: RunContext, n: CustomQueryNode): Promise<CheckResult> {
  const statement = sql`SELECT count(*) AS failing FROM (\n${n.query}\n) AS slipway_failures`;
  const [[row = {}], ms] = (await timed(() => query(context, statement))) as [Row[], number];
  const failing = num(row['failing']);
  const rowsLimit = (threshold(n.check)?.rows ?? 0) as number;
  const bad = failing > rowsLimit;
  const samples =
    bad && context.sampleRows > 0
      ? await query(
          context,
          sql`SELECT * FROM (\n${n.query}\n) AS slipway_failures LIMIT ${raw(String(context.sampleRows))}`,
        )
      : [];
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

/** Type names as engines print them, so `INT8` and `BIGINT` or `DECIMAL(12, 2)` and `decimal(12,2)` agree. */
export function normalizeType(type: string): string {
  const t = type
    .toUpperCase()
    .replace(/\s+/g, ' ')
    .replace(/\s*([(),])\s*/g, '$1')
    .trim();
  const aliases: Readonly<Record<string, string>> = {
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
  const bare = t.replace(/^NUMERIC\(/, 'DECIMAL(');
  return aliases[bare] ?? bare;
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
    const [[row = {}], took] = (await timed(() => query(context, fragment))) as [Row[], number];
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

function thresholdText(check: CheckDeclaration): string {
  const t = threshold(check);
  if (t?.rows !== undefined) return `; fails above ${t.rows} rows`;
  if (t?.percent !== undefined) return `; fails above ${t.percent}%`;
  return '';
}

function formatPercent(percent: number): string {
  if (percent === 0) return '0%';
  if (percent < 0.01) return '<0.01%';
  return `${percent.toFixed(2)}%`;
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
