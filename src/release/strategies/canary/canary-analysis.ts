/**
 * The canary's analysis of one step: each candidate model's version on the sample against its
 * live version on the same sample, as metrics that each pass, fail or are inconclusive:
 *
 * - `checks`: the error-severity checks of the candidate models, run on the candidate side;
 * - `row_count`: the ratio of the candidate's rows to the baseline's;
 * - `null_rate(c)`, `distinct(c)`, `min(c)`, `max(c)`: per column, the change of each;
 * - `changed_keys`: the share of keys whose output rows differ in any way (`changed_rows`, the
 *   share of rows, for a model whose output has no key column), against the share the author
 *   declared with `expected_change:` (default none);
 * - declared metrics (`analysis.metrics`), each within its own tolerance.
 *
 * A model that declares `expected_change` (or reads one that does) may move by that much; any
 * other may move by the analysis tolerance. A model with too few rows in the sample is
 * inconclusive. Every query is plain SQL with quoted identifiers, the same on every engine; a
 * query that fails is an error, never a pass.
 */
import type { Project } from '../../../project/project.js';
import { isBlocking } from '../../../quality/check-result.js';
import { projectChecks } from '../../../quality/project-checks.js';
import { runChecks } from '../../../quality/run-checks.js';
import { INTEGER_TYPES, TEXT_TYPES } from '../../../warehouse/check-dialect.js';
import { raw, renderSql } from '../../../warehouse/sql-fragment.js';
import type { ColumnInfo, RelationRef, Row, SqlValue, Warehouse } from '../../../warehouse/warehouse.js';
import { physicalTable } from '../../physical-layout.js';
import type { ReleasePlan } from '../../plan-release.js';
import type { BuiltSample, CanaryScope } from './canary-sample.js';
import type { CanarySettings } from './canary-settings.js';

export type MetricOutcome = 'pass' | 'fail' | 'inconclusive';

export interface CanaryMetric {
  /** The model it measures (undefined for the checks, which span the candidates). */
  readonly model: string | undefined;
  /** `row_count`, `null_rate(amount)`, `changed_keys`, `checks`, a declared metric's name … */
  readonly metric: string;
  readonly outcome: MetricOutcome;
  /** One line: measured against allowed. */
  readonly detail: string;
}

const NUMERIC_TYPES = /^(DECIMAL|NUMERIC|DOUBLE|REAL|FLOAT|HUGEINT|UHUGEINT)/;
const TIME_TYPES = /^(DATE|TIME|TIMESTAMP)/;
const ORDERED = (type: string) =>
  INTEGER_TYPES.test(type) || NUMERIC_TYPES.test(type) || TEXT_TYPES.test(type) || TIME_TYPES.test(type);
const COMPARABLE = (type: string) => ORDERED(type) || /^(BOOLEAN|BOOL|UUID)$/.test(type);
const NUMERIC = (type: string) => INTEGER_TYPES.test(type) || NUMERIC_TYPES.test(type);

export interface AnalysisInput {
  readonly warehouse: Warehouse;
  readonly project: Project;
  readonly plan: ReleasePlan;
  readonly settings: CanarySettings;
  readonly scope: CanaryScope;
  readonly sample: BuiltSample;
  readonly signal?: AbortSignal;
}

/** Every metric of one step, the checks first, then model by model in dependency order. */
export async function analyseSample(input: AnalysisInput): Promise<CanaryMetric[]> {
  const metrics: CanaryMetric[] = [];
  if (input.settings.checks) metrics.push(await checksMetric(input));
  for (const model of input.scope.candidates) {
    const candidate = input.sample.candidate.get(model);
    const baseline = input.sample.baseline.get(model);
    if (!candidate || !baseline) continue; // a new model: nothing to compare it with
    metrics.push(...(await compareModel(input, model, candidate, baseline)));
  }
  return metrics;
}

async function checksMetric(input: AnalysisInput): Promise<CanaryMetric> {
  const { project, plan, sample, warehouse } = input;
  const checks = projectChecks(project, new Set(input.scope.candidates));
  if (checks.length === 0) {
    return {
      model: undefined,
      metric: 'checks',
      outcome: 'pass',
      detail: 'no checks on the candidate models',
    };
  }
  const relationOf = (name: string): RelationRef => {
    if (
      input.scope.candidates.includes(name) ||
      input.scope.upstream.includes(name) ||
      project.sources.has(name)
    )
      return sample.candidateWorld(name) as RelationRef;
    // A model not built on the sample (a relationship's parent elsewhere): its table in the
    // release, which holds every key the sample has.
    const pointer = plan.target[name];
    return pointer ? physicalTable(pointer.table) : { schema: warehouse.defaultSchema, name };
  };
  const summary = await runChecks({
    warehouse,
    checks,
    relationOf,
    names: [...Object.keys(plan.target), ...project.sources.keys()],
    ...(input.signal ? { signal: input.signal } : {}),
  });
  const blocking = summary.results.filter(isBlocking);
  return blocking.length === 0
    ? {
        model: undefined,
        metric: 'checks',
        outcome: 'pass',
        detail: `${summary.results.length} checks on the candidate models passed on the sample`,
      }
    : {
        model: undefined,
        metric: 'checks',
        outcome: 'fail',
        detail: `${blocking.length} of ${summary.results.length} checks failed on the sample: ${blocking
          .slice(0, 3)
          .map((r) => `${r.id} (${r.message})`)
          .join('; ')}`,
      };
}

/** The change a model may show: its own `expected_change`, or one of a candidate it reads. */
export function allowanceOf(project: Project, scope: CanaryScope, model: string, tolerance: number): number {
  const candidates = new Set(scope.candidates);
  let allowed = tolerance;
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name) || !candidates.has(name)) return;
    seen.add(name);
    const node = project.models.get(name);
    allowed = Math.max(allowed, node?.expectedChange ?? 0);
    for (const parent of node?.dependsOn ?? []) visit(parent);
  };
  visit(model);
  return allowed;
}

async function compareModel(
  input: AnalysisInput,
  model: string,
  candidate: RelationRef,
  baseline: RelationRef,
): Promise<CanaryMetric[]> {
  const { warehouse, settings } = input;
  const allowed = allowanceOf(input.project, input.scope, model, settings.tolerance);
  const expected = allowed > settings.tolerance;
  const [candidateColumns = [], baselineColumns = []] = await Promise.all([
    warehouse.describe(candidate),
    warehouse.describe(baseline),
  ]);
  const byName = new Map(candidateColumns.map((c) => [c.name, c]));
  const common = baselineColumns.filter((b) => byName.has(b.name));
  const metrics: CanaryMetric[] = [];
  const removed = baselineColumns.filter((b) => !byName.has(b.name)).map((b) => b.name);
  if (removed.length > 0) {
    metrics.push({
      model,
      metric: 'columns',
      outcome: 'fail',
      detail: `the candidate no longer has ${removed.join(', ')}`,
    });
  }
  const profiled = common.filter((c) => COMPARABLE(c.type) && COMPARABLE(byName.get(c.name)?.type ?? ''));
  const [c, b] = await Promise.all([
    profile(warehouse, candidate, profiled),
    profile(warehouse, baseline, profiled),
  ]);
  const rowsC = num(c['n']);
  const rowsB = num(b['n']);
  const small = Math.max(rowsC, rowsB) < settings.minRows;
  // No difference passes however small the sample; a difference in too small a sample is
  // inconclusive rather than judged.
  const judge = (metric: string, delta: number, limit: number, shown: string): CanaryMetric => ({
    model,
    metric,
    outcome: delta === 0 ? 'pass' : small ? 'inconclusive' : delta <= limit + 1e-12 ? 'pass' : 'fail',
    detail:
      small && delta !== 0
        ? `${shown}; only ${Math.max(rowsC, rowsB)} rows in the sample (min_rows ${settings.minRows})`
        : `${shown}; allowed ${percent(limit)}`,
  });
  // A declared expected_change says how many keys change, not by how much: the values' profile
  // is then reported, not judged (the row count and the changed share still are).
  const profileOf = (metric: string, delta: number, shown: string): CanaryMetric =>
    expected
      ? { model, metric, outcome: 'pass', detail: `${shown}; not judged: an expected_change is declared` }
      : judge(metric, delta, allowed, shown);
  metrics.push(
    judge(
      'row_count',
      relative(rowsC, rowsB),
      allowed,
      `${rowsC} rows against ${rowsB} (${signed(rowsC, rowsB)})`,
    ),
  );
  profiled.forEach((column, i) => {
    const name = column.name;
    const nullC = rowsC === 0 ? 0 : 1 - num(c[`nn_${i}`]) / rowsC;
    const nullB = rowsB === 0 ? 0 : 1 - num(b[`nn_${i}`]) / rowsB;
    metrics.push(
      profileOf(
        `null_rate(${name})`,
        Math.abs(nullC - nullB),
        `null rate ${percent(nullC)} against ${percent(nullB)}`,
      ),
    );
    const distinctC = num(c[`d_${i}`]);
    const distinctB = num(b[`d_${i}`]);
    metrics.push(
      profileOf(
        `distinct(${name})`,
        relative(distinctC, distinctB),
        `${distinctC} distinct values against ${distinctB}`,
      ),
    );
    if (!ORDERED(column.type)) return;
    for (const [bound, key] of [
      ['min', `lo_${i}`],
      ['max', `hi_${i}`],
    ] as const) {
      const vc = c[key] ?? null;
      const vb = b[key] ?? null;
      const shown = `${bound} ${text(vc)} against ${text(vb)}`;
      if (NUMERIC(column.type) && vc !== null && vb !== null) {
        const span = Math.max(Math.abs(num(b[`hi_${i}`]) - num(b[`lo_${i}`])), Math.abs(num(vb)));
        const delta = span === 0 ? (num(vc) === num(vb) ? 0 : 1) : Math.abs(num(vc) - num(vb)) / span;
        metrics.push(profileOf(`${bound}(${name})`, delta, shown));
      } else {
        metrics.push(profileOf(`${bound}(${name})`, text(vc) === text(vb) ? 0 : 1, shown));
      }
    }
  });
  metrics.push(await changedShare(input, model, candidate, baseline, common, allowed, small));
  for (const declared of settings.metrics.filter((m) => m.model === model)) {
    const [vc, vb] = await Promise.all([
      scalar(warehouse, `SELECT (${declared.sql}) AS v FROM ${warehouse.quoteRelation(candidate)}`),
      scalar(warehouse, `SELECT (${declared.sql}) AS v FROM ${warehouse.quoteRelation(baseline)}`),
    ]);
    const shown = `${declared.sql} = ${text(vc)} against ${text(vb)}`;
    if (vc === null && vb === null) {
      metrics.push({
        model,
        metric: declared.name,
        outcome: 'inconclusive',
        detail: `${shown}: no value on either side`,
      });
    } else if (vc === null || vb === null || Number.isNaN(Number(vc)) || Number.isNaN(Number(vb))) {
      metrics.push({
        model,
        metric: declared.name,
        outcome: text(vc) === text(vb) ? 'pass' : 'fail',
        detail: shown,
      });
    } else {
      metrics.push(judge(declared.name, relative(num(vc), num(vb)), declared.tolerance, shown));
    }
  }
  return metrics;
}

/** One scan per side: row count, and per column non-null count, distinct count, min and max. */
async function profile(
  warehouse: Warehouse,
  relation: RelationRef,
  columns: readonly ColumnInfo[],
): Promise<Row> {
  const parts = ['count(*) AS n'];
  columns.forEach((column, i) => {
    const q = warehouse.quoteIdentifier(column.name);
    parts.push(`count(${q}) AS nn_${i}`, `count(DISTINCT ${q}) AS d_${i}`);
    if (ORDERED(column.type)) parts.push(`min(${q}) AS lo_${i}`, `max(${q}) AS hi_${i}`);
  });
  const result = await warehouse.query(
    `SELECT ${parts.join(', ')} FROM ${warehouse.quoteRelation(relation)}`,
  );
  return result.rows[0] ?? {};
}

/**
 * The share of keys (or, without a key column in the output, of rows) whose rows are not the
 * same on both sides: rows of one side missing from the other, duplicates counted (EXCEPT ALL).
 */
async function changedShare(
  input: AnalysisInput,
  model: string,
  candidate: RelationRef,
  baseline: RelationRef,
  common: readonly ColumnInfo[],
  allowed: number,
  small: boolean,
): Promise<CanaryMetric> {
  const { warehouse, settings } = input;
  const compared = common.filter((c) => COMPARABLE(c.type));
  const candidateTypes = new Map(
    ((await warehouse.describe(candidate)) ?? []).map((c) => [c.name, c.type] as const),
  );
  // A column whose type changed is compared as text, so the comparison still runs.
  const select =
    compared
      .map((c) => {
        const q = warehouse.quoteIdentifier(c.name);
        if (candidateTypes.get(c.name) === c.type) return q;
        return `${renderSql(warehouse.checkDialect.asText(raw(q))).text} AS ${q}`;
      })
      .join(', ') || '1 AS one';
  const hasKey = compared.some((c) => c.name === settings.key);
  const key = warehouse.quoteIdentifier(settings.key);
  const sqlText = `WITH c AS (SELECT ${select} FROM ${warehouse.quoteRelation(candidate)}),
b AS (SELECT ${select} FROM ${warehouse.quoteRelation(baseline)}),
d AS (SELECT * FROM (SELECT * FROM c EXCEPT ALL SELECT * FROM b) AS gone
  UNION ALL SELECT * FROM (SELECT * FROM b EXCEPT ALL SELECT * FROM c) AS came)
SELECT (SELECT count(*) FROM d) AS changed_rows,
  (SELECT count(*) FROM c) + (SELECT count(*) FROM b) AS all_rows${
    hasKey
      ? `,
  (SELECT count(DISTINCT ${key}) FROM d) AS changed_keys,
  (SELECT count(*) FROM (SELECT ${key} FROM c UNION SELECT ${key} FROM b) AS k) AS all_keys`
      : ''
  }`;
  const row = (await warehouse.query(sqlText)).rows[0] ?? {};
  const [changed, total, unit] = hasKey
    ? [num(row['changed_keys']), num(row['all_keys']), 'keys']
    : [num(row['changed_rows']), num(row['all_rows']), 'rows'];
  const metric = hasKey ? 'changed_keys' : 'changed_rows';
  const share = total === 0 ? 0 : changed / total;
  const declared = input.project.models.get(model)?.expectedChange;
  const shown = `${changed} of ${total} ${unit} changed (${percent(share)})`;
  const allowedText =
    declared === undefined && allowed === settings.tolerance ? 'expected_change none' : 'expected';
  if (changed > 0 && (small || total < settings.minRows)) {
    return {
      model,
      metric,
      outcome: 'inconclusive',
      detail: `${shown}; too few ${unit} in the sample (min_rows ${settings.minRows})`,
    };
  }
  return {
    model,
    metric,
    outcome: share <= allowed + 1e-12 ? 'pass' : 'fail',
    detail: `${shown}; allowed ${percent(allowed)} (${allowedText})`,
  };
}

async function scalar(warehouse: Warehouse, sqlText: string): Promise<SqlValue> {
  return (await warehouse.query(sqlText)).rows[0]?.['v'] ?? null;
}

function num(value: SqlValue | undefined): number {
  return value === null || value === undefined ? 0 : Number(value);
}

function relative(value: number, base: number): number {
  if (base === 0) return value === 0 ? 0 : 1;
  return Math.abs(value - base) / Math.abs(base);
}

function signed(value: number, base: number): string {
  if (base === 0) return value === 0 ? '±0%' : 'new rows';
  const change = (value - base) / base;
  return `${change >= 0 ? '+' : '−'}${percent(Math.abs(change))}`;
}

function percent(share: number): string {
  return `${Number((share * 100).toFixed(2))}%`;
}

function text(value: SqlValue | undefined): string {
  if (value === null || value === undefined) return 'NULL';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
