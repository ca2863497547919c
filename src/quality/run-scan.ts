/**
 * Runs a `scan` node: its row-level statement and its uniqueness query side by side, then the
 * judgement of each probe (samples only for failures). A probe whose query fails is isolated, so
 * one bad `where` does not hide the other checks of its relation.
 */
import { formatDuration } from '../core/duration.js';
import { errorMessage } from '../core/errors.js';
import { plural } from '../core/plural.js';
import { displaySql, join, raw, type SqlFragment, sql } from '../warehouse/sql-fragment.js';
import type { Row, SqlValue } from '../warehouse/warehouse.js';
import { baseResult, type CheckResult, exceedsThreshold, failedStatus, percentOf } from './check-result.js';
import {
  type DistinctProbe,
  node,
  type RowConditionProbe,
  type ScanNode,
  type ScanProbe,
} from './compiled-check.js';
import {
  and,
  errorResult,
  formatPercent,
  guarded,
  num,
  orphanMessage,
  query,
  type RunContext,
  samplesFor,
  threshold,
  thresholdText,
  timedRow,
} from './run-context.js';
import { distinctStatement, scanStatement } from './scan-statements.js';

/** Every probe of the scan judged, in the scan's order. */
export async function runScan(context: RunContext, scan: ScanNode): Promise<CheckResult[]> {
  const stats = scan.probes.filter((p) => p.kind !== 'distinct');
  const distinct = scan.probes.filter((p): p is DistinctProbe => p.kind === 'distinct');
  const [measured, unique] = await Promise.all([
    stats.length > 0 ? runStats(context, node({ ...scan, probes: Object.freeze(stats) })) : [],
    distinct.length > 0 ? runDistinct(context, scan, distinct) : [],
  ]);
  return [...measured, ...unique];
}

/** One statement; when it fails, each probe alone, so that only the broken ones are errors. */
async function isolated(
  context: RunContext,
  probes: readonly ScanProbe[],
  statement: SqlFragment,
  judge: (row: Row, ms: number) => Promise<CheckResult[]>,
  alone: (probe: ScanProbe) => Promise<CheckResult[]>,
): Promise<CheckResult[]> {
  let row: Row;
  let ms: number;
  try {
    [row, ms] = await timedRow(context, statement);
  } catch (error) {
    if (probes.length > 1) return (await Promise.all(probes.map(alone))).flat();
    const probe = probes[0] as ScanProbe;
    return [errorResult(probe.check, errorMessage(error), displaySql(statement))];
  }
  return judge(row, ms);
}

async function runStats(context: RunContext, scan: ScanNode): Promise<CheckResult[]> {
  const { statement, columns } = scanStatement(context.warehouse, scan);
  const shown = displaySql(statement);
  return isolated(
    context,
    scan.probes,
    statement,
    (row, ms) =>
      Promise.all(
        scan.probes.map((probe, index) =>
          guarded(probe.check, async () => {
            const at = columns[index];
            if (!at) throw new Error(`${probe.kind} is not answered by the scan statement`);
            const total = num(row[at.total]);
            const answer = at.answer === undefined ? null : (row[at.answer] ?? null);
            const base = { ...baseResult(probe.check), sql: shown, durationMs: ms };
            if (probe.kind === 'row_count') return judgeRowCount(probe.check, total, base);
            if (probe.kind === 'freshness') return judgeFreshness(context, probe, total, answer, base);
            if (probe.kind !== 'row_condition') throw new Error(`${probe.kind} is not a row probe`);
            return judgeRows(context, scan, probe, total, num(answer), base);
          }),
        ),
      ),
    (probe) => runStats(context, node({ ...scan, probes: Object.freeze([probe]) })),
  );
}

async function runDistinct(
  context: RunContext,
  scan: ScanNode,
  probes: readonly DistinctProbe[],
): Promise<CheckResult[]> {
  const statement = distinctStatement(context.warehouse, scan, probes);
  const shown = displaySql(statement);
  return isolated(
    context,
    probes,
    statement,
    (row, ms) =>
      Promise.all(
        probes.map((probe, index) =>
          guarded(probe.check, () =>
            judgeDistinct(context, scan, probe, num(row[`n${index}`]), num(row[`f${index}`]), {
              ...baseResult(probe.check),
              sql: shown,
              durationMs: ms,
            }),
          ),
        ),
      ),
    (probe) => runDistinct(context, scan, [probe as DistinctProbe]),
  );
}

type Base = Pick<CheckResult, 'sql' | 'durationMs'> & ReturnType<typeof baseResult>;

function judgeRowCount(check: ScanProbe['check'], total: number, base: Base): CheckResult {
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
    samples: [],
  };
}

function judgeFreshness(
  context: RunContext,
  probe: Extract<ScanProbe, { kind: 'freshness' }>,
  total: number,
  newest: SqlValue,
  base: Base,
): CheckResult {
  const check = probe.check;
  if (newest === null) {
    return {
      ...base,
      status: failedStatus(check),
      failingRows: undefined,
      totalRows: total,
      failingPercent: undefined,
      message: `no ${probe.column} values: the data has no age`,
      samples: [],
    };
  }
  const age = context.now() - Number(newest);
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
    samples: [],
    newestMs: Number(newest),
  };
}

async function judgeRows(
  context: RunContext,
  scan: ScanNode,
  probe: RowConditionProbe,
  total: number,
  failing: number,
  base: Base,
): Promise<CheckResult> {
  const check = probe.check;
  const percent = percentOf(failing, total);
  let bad: boolean;
  let message: string;
  if (check.kind === 'not_null_proportion') {
    const atLeast = Number(check.params['at_least']);
    const share = total === 0 ? 1 : (total - failing) / total;
    bad = share < atLeast;
    message = `${(share * 100).toFixed(2)}% not null (at least ${(atLeast * 100).toFixed(2)}%)`;
  } else if (probe.orphanOf) {
    const { parent, field, column } = probe.orphanOf;
    bad = exceedsThreshold(failing, total, threshold(check));
    message = orphanMessage(failing, total, column, parent, field, check);
  } else {
    bad = exceedsThreshold(failing, total, threshold(check));
    const rows = probe.nonNullColumn !== undefined ? 'non-null rows' : 'rows';
    message = `${failing.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} ${rows} fail (${formatPercent(percent)})${thresholdText(check)}`;
  }
  const samples = await samplesFor(
    context,
    bad && failing > 0,
    sql`SELECT * FROM ${raw(context.warehouse.quoteRelation(scan.relation))} WHERE ${and(probe.filter, probe.failing)}`,
  );
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

/**
 * The failing rows are every row whose key repeats (both rows of a pair, as Great Expectations
 * counts them), beside the number of repeated keys. Rows compared = distinct keys means none
 * repeats; otherwise one grouped count finds both figures.
 */
async function judgeDistinct(
  context: RunContext,
  scan: ScanNode,
  probe: DistinctProbe,
  total: number,
  distinct: number,
  base: Base,
): Promise<CheckResult> {
  const { warehouse } = context;
  const keys = join(
    probe.columns.map((c) => raw(warehouse.quoteIdentifier(c))),
    ', ',
  );
  const relation = raw(warehouse.quoteRelation(scan.relation));
  const compared = and(probe.filter, probe.keyNotNull);
  let failing = 0;
  let repeated = 0;
  if (total > distinct) {
    const [row = {}] = await query(
      context,
      sql`SELECT coalesce(sum(slipway_n), 0) AS slipway_rows, count(*) AS slipway_keys FROM (SELECT count(*) AS slipway_n FROM ${relation} WHERE ${compared} GROUP BY ${keys} HAVING count(*) > 1) AS slipway_repeats`,
    );
    failing = num(row['slipway_rows']);
    repeated = num(row['slipway_keys']);
  }
  const bad = exceedsThreshold(failing, total, threshold(probe.check));
  const samples = await samplesFor(
    context,
    bad,
    sql`SELECT ${keys}, count(*) AS duplicate_count FROM ${relation} WHERE ${compared} GROUP BY ${keys} HAVING count(*) > 1 ORDER BY duplicate_count DESC, ${keys}`,
  );
  const key = probe.columns.length > 1 ? `(${probe.columns.join(', ')})` : (probe.columns[0] as string);
  const what = probe.columns.length > 1 ? 'combination' : 'value';
  return {
    ...base,
    status: bad ? failedStatus(probe.check) : 'pass',
    failingRows: failing,
    repeatedKeys: repeated,
    totalRows: total,
    failingPercent: percentOf(failing, total),
    message: `${plural(failing, 'row')} of ${total.toLocaleString('en-US')} carry a repeated ${key} (${plural(repeated, what)} repeated)${thresholdText(probe.check)}`,
    samples,
  };
}
