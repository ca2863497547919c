/**
 * The canary's steps before the full build: for each step below 100 % it builds the candidate
 * and baseline on that share of keys (`buildSample`), analyses them (`analyseSample`) and judges
 * (`judgeStep`). A step that aborts or pauses stops the release before anything is built in full
 * or switched: the release is recorded as failed with the step and the metrics named, an event
 * (`release.canary_aborted` / `release.canary_paused`) goes to the audit log, and the scratch
 * tables are dropped. When every sample step widens, the release goes on to its 100 % step: the
 * full build, gate and switch that blue-green does.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage, InvalidArgumentError, ProjectError, WorkFailedError } from '../../../core/errors.js';
import type { ModelDefinition } from '../../model-definition.js';
import type { RehearsalContext } from '../strategy.js';
import { analyseSample, type CanaryMetric } from './canary-analysis.js';
import { buildSample, canaryScope, dropSample } from './canary-sample.js';
import { canarySettings } from './canary-settings.js';
import { judgeStep, metricLabel, type StepVerdict } from './canary-verdict.js';

export interface CanaryStepReport {
  readonly percent: number;
  readonly verdict: StepVerdict;
  readonly metrics: readonly CanaryMetric[];
  readonly buildMs: number;
  readonly analysisMs: number;
}

/** A canary stopped by its analysis (exit 1): the step and the metrics that stopped it. */
export class CanaryStoppedError extends WorkFailedError {
  readonly report: CanaryStepReport;
  constructor(message: string, report: CanaryStepReport, hint: string) {
    super(message, { hint });
    this.report = report;
  }
}

export async function runCanary(context: RehearsalContext): Promise<CanaryStepReport[]> {
  const { project, plan, warehouse, state } = context;
  const settings = canarySettings(project, plan.environment);
  const fingerprints = plan.models.flatMap((m) => (m.from ? [m.from.fingerprint] : []));
  const versions = await state.getModelVersions(fingerprints);
  const live = new Map<string, ModelDefinition>();
  for (const [fp, v] of versions) live.set(fp, v.definition as ModelDefinition);
  const scope = canaryScope(project, plan, live);
  const reports: CanaryStepReport[] = [];
  if (scope.candidates.length === 0) return reports;
  const samples = settings.steps.filter((bp) => bp < 10_000);
  try {
    for (const [index, basisPoints] of samples.entries()) {
      if (index > 0 && settings.intervalMs > 0)
        await sleep(settings.intervalMs, undefined, context.signal ? { signal: context.signal } : {});
      const percent = basisPoints / 100;
      await context.step(`canary:${percent}%`);
      const report = await context.telemetry.span(
        `canary ${plan.environment} ${percent}%`,
        {
          'slipway.span': 'canary',
          'slipway.environment': plan.environment,
          'slipway.release': context.releaseId,
          'slipway.canary.percent': percent,
          'cicd.pipeline.task.name': `canary ${percent}%`,
          'cicd.pipeline.task.type': 'test',
        },
        async (span) => {
          const report = await runStep(context, settings, scope, basisPoints);
          span.setAttribute('slipway.canary.verdict', report.verdict);
          return report;
        },
      );
      reports.push(report);
      await record(context, 'release.canary_step', report, stepLine(report));
      context.progress?.(stepLine(report));
      if (report.verdict === 'widen') continue;
      const judged = judgeStep(report.metrics, settings);
      const stopping = byWeight(
        report.verdict === 'abort' && judged.failed.length > 0 ? judged.failed : judged.inconclusive,
      );
      const named =
        stopping
          .slice(0, 3)
          .map((m) => `${metricLabel(m)}: ${m.detail}`)
          .join('; ') + (stopping.length > 3 ? `; and ${stopping.length - 3} more` : '');
      const stopped =
        report.verdict === 'abort'
          ? new CanaryStoppedError(
              `canary aborted at the ${percent}% step: ${named}`,
              report,
              `${plan.environment} still shows its live release; nothing was built in full or switched`,
            )
          : new CanaryStoppedError(
              `canary paused at the ${percent}% step: the analysis is inconclusive (${named})`,
              report,
              `${plan.environment} still shows its live release. Resuming a paused canary is not built yet: widen the sample (larger steps or min_rows), or set inconclusive: abort`,
            );
      const type = report.verdict === 'abort' ? 'release.canary_aborted' : 'release.canary_paused';
      await record(context, type, report, stopped.message);
      throw stopped;
    }
  } finally {
    await dropSample(warehouse, plan.environment).catch((error: unknown) =>
      context.logger.warn(
        { environment: plan.environment, error: errorMessage(error) },
        'could not drop the canary scratch tables',
      ),
    );
  }
  return reports;
}

async function runStep(
  context: RehearsalContext,
  settings: ReturnType<typeof canarySettings>,
  scope: ReturnType<typeof canaryScope>,
  basisPoints: number,
): Promise<CanaryStepReport> {
  const { project, plan, warehouse } = context;
  const services = {
    warehouse,
    telemetry: context.telemetry,
    ...(context.signal ? { signal: context.signal } : {}),
  };
  const percent = basisPoints / 100;
  try {
    const began = performance.now();
    const sample = await buildSample(services, project, plan, settings, scope, basisPoints);
    const built = performance.now();
    const metrics = await analyseSample({
      warehouse,
      project,
      plan,
      settings,
      scope,
      sample,
      ...(context.signal ? { signal: context.signal } : {}),
    });
    const analysisMs = performance.now() - built;
    return {
      percent,
      verdict: judgeStep(metrics, settings).verdict,
      metrics,
      buildMs: built - began,
      analysisMs,
    };
  } catch (error) {
    // An analysis that cannot run is an error, never a pass; bad input stays bad input.
    if (error instanceof InvalidArgumentError || error instanceof ProjectError || context.signal?.aborted)
      throw error;
    throw new WorkFailedError(`the canary could not run its ${percent}% step: ${errorMessage(error)}`, {
      cause: error,
      hint: `${plan.environment} still shows its live release`,
    });
  }
}

async function record(
  context: RehearsalContext,
  type: string,
  report: CanaryStepReport,
  summary: string,
): Promise<void> {
  await context.state.appendEvent({
    type,
    environment: context.plan.environment,
    releaseId: context.releaseId,
    actor: context.actor,
    data: {
      summary,
      percent: report.percent,
      verdict: report.verdict,
      failed: report.metrics
        .filter((m) => m.outcome === 'fail')
        .map((m) => ({ metric: metricLabel(m), detail: m.detail })),
      inconclusive: report.metrics
        .filter((m) => m.outcome === 'inconclusive')
        .map((m) => ({ metric: metricLabel(m), detail: m.detail })),
      metrics: report.metrics.length,
      buildMs: Math.round(report.buildMs),
      analysisMs: Math.round(report.analysisMs),
    },
  });
}

/** The metrics that say most first: checks, changed keys, declared metrics, row counts, then the profile. */
function byWeight(metrics: readonly CanaryMetric[]): CanaryMetric[] {
  const weight = (m: CanaryMetric): number => {
    if (m.metric === 'checks') return 0;
    if (m.metric === 'changed_keys' || m.metric === 'changed_rows') return 1;
    if (m.metric === 'row_count' || m.metric === 'columns') return 3;
    return /\(/.test(m.metric) ? 4 : 2;
  };
  return [...metrics].sort((a, b) => weight(a) - weight(b));
}

function stepLine(report: CanaryStepReport): string {
  const failed = report.metrics.filter((m) => m.outcome === 'fail').length;
  const inconclusive = report.metrics.filter((m) => m.outcome === 'inconclusive').length;
  const passed = report.metrics.length - failed - inconclusive;
  return `canary ${report.percent}%: ${passed} metrics passed, ${failed} failed, ${inconclusive} inconclusive → ${report.verdict}`;
}
