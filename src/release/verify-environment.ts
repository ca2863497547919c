/**
 * Post-deploy verification, measured: after an environment is switched, what its users now see
 * is checked — the error-severity checks of its models run on the environment's own views (so
 * checks that read across models see exactly the switched state, including checks of models the
 * release did not change), and every model whose table changed is counted against the table the
 * release before showed. `judgeVerification` turns the numbers into the verdict; `verifyRelease`
 * records it, and its caller (the operator, `slipway apply` or `promote`) rolls back on a failure.
 *
 * Source checks are left out on purpose: they judge arriving data, which no rollback repairs.
 */

import type { ReleaseRecord } from '../core/release.js';
import type { Project } from '../project/project.js';
import { projectChecks } from '../quality/project-checks.js';
import { type CheckRunSummary, runChecks } from '../quality/run-checks.js';
import type { RelationRef } from '../warehouse/warehouse.js';
import { checkSpanAttributes } from './check-span-attributes.js';
import type { ReleaseServices } from './execute-release.js';
import { environmentRelation, PHYSICAL_SCHEMA, physicalTable, sourceRelation } from './physical-layout.js';
import {
  judgeVerification,
  type RowCount,
  type VerificationVerdict,
  type VerifyPolicy,
} from './verification-verdict.js';

export interface VerifyEnvironmentRequest {
  /** The project at the verified release's commit (its checks are the ones that apply). */
  readonly project: Project;
  readonly environment: string;
  /** The release the environment shows now. */
  readonly release: ReleaseRecord;
  /** The release it replaced, whose tables the row counts compare with. */
  readonly previous: ReleaseRecord | undefined;
  readonly policy: VerifyPolicy;
  readonly sampleRows?: number;
  readonly signal?: AbortSignal;
}

export interface VerificationOutcome extends VerificationVerdict {
  readonly checks: CheckRunSummary | undefined;
  readonly rowCounts: readonly RowCount[];
  readonly durationMs: number;
}

/**
 * @example
 * const outcome = await verifyEnvironment(services, { project, environment: 'prod', release, previous, policy });
 * if (!outcome.passed) await rollbackRelease(services, { environment: 'prod', strategy, actor: 'operator' });
 */
export async function verifyEnvironment(
  services: Pick<ReleaseServices, 'warehouse' | 'telemetry'>,
  request: VerifyEnvironmentRequest,
): Promise<VerificationOutcome> {
  const began = performance.now();
  return services.telemetry.span(
    `verify ${request.environment}`,
    {
      'slipway.span': 'verify',
      'slipway.environment': request.environment,
      'slipway.release': request.release.id,
      'cicd.pipeline.task.name': 'verify',
      'cicd.pipeline.task.type': 'test',
    },
    async (span) => {
      const [checks, rowCounts] = await Promise.all([
        request.policy.checks ? liveChecks(services, request) : Promise.resolve(undefined),
        request.policy.maxRowChangePercent === undefined
          ? Promise.resolve([])
          : changedRowCounts(services, request),
      ]);
      const verdict = judgeVerification(request.policy, { checks: checks?.results, rowCounts });
      span.setAttribute('slipway.passed', verdict.passed);
      span.setAttributes(checkSpanAttributes(checks?.results ?? []));
      return { ...verdict, checks, rowCounts, durationMs: performance.now() - began };
    },
  );
}

async function liveChecks(
  { warehouse }: Pick<ReleaseServices, 'warehouse'>,
  { project, environment, release, sampleRows, signal }: VerifyEnvironmentRequest,
): Promise<CheckRunSummary> {
  const models = new Set(Object.keys(release.models));
  const checks = projectChecks(project, models).filter((c) => c.severity === 'error');
  const relationOf = (name: string): RelationRef => {
    if (models.has(name)) return environmentRelation(environment, name);
    const source = project.sources.get(name);
    return source ? sourceRelation(source) : environmentRelation(environment, name);
  };
  return runChecks({
    warehouse,
    checks,
    relationOf,
    names: [...models, ...project.sources.keys()],
    ...(sampleRows === undefined ? {} : { sampleRows }),
    ...(signal ? { signal } : {}),
  });
}

/** Rows of each model whose table the release changed: the previous table's, and the live view's. */
async function changedRowCounts(
  { warehouse }: Pick<ReleaseServices, 'warehouse'>,
  { environment, release, previous, signal }: VerifyEnvironmentRequest,
): Promise<RowCount[]> {
  if (!previous) return [];
  const changed = Object.entries(release.models).flatMap(([model, pointer]) => {
    const before = previous.models[model];
    return before && before.table !== pointer.table ? [{ model, before: before.table }] : [];
  });
  if (changed.length === 0) return [];
  const present = new Set((await warehouse.listRelations(PHYSICAL_SCHEMA)).map((r) => r.name));
  // Every count in one statement: one round trip however many models changed.
  const counts = changed.flatMap(({ model, before }, i) => {
    const live = `(select count(*) from ${warehouse.quoteRelation(environmentRelation(environment, model))}) as after_${i}`;
    return present.has(before)
      ? [live, `(select count(*) from ${warehouse.quoteRelation(physicalTable(before))}) as before_${i}`]
      : [live];
  });
  const { rows } = await warehouse.query(`select ${counts.join(', ')}`, signal ? { signal } : {});
  const row = rows[0] ?? {};
  return changed.map(({ model, before }, i) => ({
    model,
    before: present.has(before) ? Number(row[`before_${i}`]) : undefined,
    after: Number(row[`after_${i}`]),
  }));
}
