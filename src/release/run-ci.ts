/**
 * `slipway ci`: what a pull request needs, in one pass. Unit tests; a plan against the baseline
 * environment (prod); only the changed models and what their change forces downstream built into
 * an ephemeral environment whose other views point at the baseline's own physical tables; the
 * checks of the changed models (and of sources whose declarations changed) run there; every
 * changed model diffed against the baseline by its key. The baseline is only read: its pointer,
 * views and tables are never touched. The ephemeral environment is dropped afterwards (with the
 * tables built only for it) unless kept, and a `ci` event goes to the audit log.
 */

import type { ReleaseCommit as CommitInfo } from '../core/commit.js';
import { WorkFailedError } from '../core/errors.js';
import type { EnvironmentModels, ReleaseStrategy } from '../core/release.js';
import type { BranchChanges } from '../git/git-changes.js';
import type { CheckDeclaration, Project } from '../project/project.js';
import type { CheckResult } from '../quality/check-result.js';
import { diffData, diffKeyOf } from '../quality/data-diff.js';
import { projectChecks } from '../quality/project-checks.js';
import type { ModelDiff } from '../quality/reports/quality-report.js';
import { type CheckRunSummary, runChecks } from '../quality/run-checks.js';
import { runUnitTests, type UnitTestSummary } from '../quality/unit-tests/run-unit-tests.js';
import type { IsolatedWarehouseFactory, RelationRef } from '../warehouse/warehouse.js';
import { desiredModels } from './apply-release.js';
import type { BuildReporter, ModelBuildResult } from './build-results.js';
import { buildVersions } from './build-versions.js';
import {
  dropCiSchema,
  dropUnreferencedTables,
  prepareCiEnvironment,
  showCiModels,
} from './ci-environment.js';
import type { ReleaseServices } from './execute-release.js';
import { readLiveState } from './live-state.js';
import { environmentRelation, physicalTable, sourceRelation } from './physical-layout.js';
import { planRelease, type ReleasePlan } from './plan-release.js';

export interface CiRequest {
  readonly project: Project;
  readonly fingerprints: ReadonlyMap<string, string>;
  /** The baseline environment the branch is compared with (prod). */
  readonly environment: string;
  /** The ephemeral environment's name (`ci_<sha>`). */
  readonly ciEnvironment: string;
  readonly strategy: ReleaseStrategy;
  readonly commit: CommitInfo | undefined;
  /** What the branch changes since its merge base with `--base` (undefined outside git). */
  readonly changes: BranchChanges | undefined;
  readonly actor: string;
  readonly concurrency: number;
  /** Opens the isolated engine each SQL unit test runs on (wired by `src/app/`). */
  readonly openUnitTestEngine: IsolatedWarehouseFactory;
  /** Leave the ephemeral environment (and its tables) in place. */
  readonly keep: boolean;
  readonly sampleRows?: number;
  readonly reporter?: BuildReporter;
  /** One line per stage, as it starts. */
  readonly onStage?: (message: string) => void;
}

export interface CiOutcome {
  readonly environment: string;
  readonly ciEnvironment: string;
  /** The baseline's release; undefined when it was never released (everything is new). */
  readonly baselineRelease: string | undefined;
  readonly plan: ReleasePlan;
  readonly tests: UnitTestSummary;
  /** Every model build CI attempted (only the changed models and what they force downstream). */
  readonly builds: readonly ModelBuildResult[];
  /** Models whose views read the baseline's tables (nothing built for them). */
  readonly reused: readonly string[];
  /** Models and sources whose checks ran. */
  readonly checked: readonly string[];
  readonly checks: CheckRunSummary | undefined;
  readonly diffs: readonly ModelDiff[];
  readonly notDiffed: readonly { readonly model: string; readonly reason: string }[];
  /** Why the branch must not merge (empty when nothing blocks). */
  readonly blockers: readonly string[];
  readonly kept: boolean;
  /** Physical tables dropped with the ephemeral environment. */
  readonly dropped: readonly string[];
  readonly durationMs: number;
}

export function runCi(services: ReleaseServices, request: CiRequest): Promise<CiOutcome> {
  return services.telemetry.rootSpan(
    `ci ${request.ciEnvironment}`,
    {
      'slipway.span': 'ci',
      'slipway.environment': request.environment,
      'cicd.pipeline.name': 'slipway ci',
      'cicd.pipeline.action.name': 'BUILD',
      ...(request.commit ? { 'vcs.ref.head.revision': request.commit.sha } : {}),
    },
    async (span) => {
      const outcome = await runCiInSpan(services, request);
      const blocked = outcome.blockers.length > 0;
      span.setAttribute('cicd.pipeline.result', blocked ? 'failure' : 'success');
      if (blocked) span.setStatus({ code: 2, message: outcome.blockers.slice(0, 3).join('; ') });
      return outcome;
    },
  );
}

async function runCiInSpan(services: ReleaseServices, request: CiRequest): Promise<CiOutcome> {
  const began = performance.now();
  const { state, warehouse } = services;
  const { project, ciEnvironment } = request;
  const stage = request.onStage ?? (() => {});
  let outcome: CiOutcome | undefined;
  let built: readonly string[] = [];
  let failure: unknown;
  try {
    stage(`unit tests: ${project.tests.length}`);
    const tests = await runUnitTests({
      project,
      tests: project.tests,
      openEngine: request.openUnitTestEngine,
    });

    const { live, builtTables } = await readLiveState(state, warehouse, request.environment);
    const plan = planRelease({
      environment: request.environment,
      strategy: request.strategy,
      commit: request.commit,
      desired: desiredModels(project, request.fingerprints),
      live,
      builtTables,
    });
    built = plan.build.map((b) => b.table);
    stage(
      live.releaseId
        ? `plan against ${request.environment} (release ${live.releaseId}): ${plan.build.length} to build, ${plan.reuse.length} reused`
        : `${request.environment} has never been released: every model is new and is built`,
    );

    stage(
      plan.build.length > 0
        ? `environment ${ciEnvironment}: building ${plan.build.length} of ${plan.models.length} models`
        : `environment ${ciEnvironment}: nothing to build, every view reads an existing table`,
    );
    await prepareCiEnvironment(warehouse, project, ciEnvironment);
    const results = new Map<string, ModelBuildResult>();
    let buildFailed = false;
    try {
      await buildVersions({
        project,
        warehouse,
        state,
        target: plan.target,
        build: plan.build,
        concurrency: request.concurrency,
        step: async () => {},
        telemetry: services.telemetry,
        logger: services.logger,
        reporter: {
          started: (model) => request.reporter?.started(model),
          finished: (result) => {
            results.set(result.name, result);
            request.reporter?.finished(result);
          },
        },
      });
    } catch (error) {
      if (!(error instanceof WorkFailedError)) throw error;
      buildFailed = true;
    }
    const unavailable = new Set([...results.values()].filter((r) => r.status !== 'built').map((r) => r.name));
    const shown: Record<string, EnvironmentModels[string]> = {};
    for (const [model, pointer] of Object.entries(plan.target))
      if (!unavailable.has(model)) shown[model] = pointer;
    await showCiModels(warehouse, ciEnvironment, shown);

    const targets = checkTargets(request, plan, live.definitions, unavailable);
    stage(
      targets.length === 0
        ? unavailable.size > 0
          ? 'no checks: the changed models did not build'
          : 'no checks: no model or source changed'
        : `checks of ${targets.length > 6 ? `${targets.length} models and sources` : targets.join(', ')}`,
    );
    const checks = await runCiChecks(request, services, targets, shown);

    const { diffs, notDiffed } = await diffChanged(services, request, plan, unavailable, stage);
    const blockers = [
      ...tests.results
        .filter((t) => t.status !== 'pass')
        .map((t) => `unit test ${t.name} ${t.status === 'fail' ? 'failed' : 'could not run'}`),
      ...(buildFailed
        ? [...results.values()]
            .filter((r) => r.status === 'failed')
            .map((r) => `model ${r.name} did not build`)
        : []),
      ...(checks?.results ?? [])
        .filter((r) => r.status === 'fail' || (r.status === 'error' && r.severity === 'error'))
        .map((r: CheckResult) => `check ${r.id} ${r.status === 'fail' ? 'failed' : 'could not run'}`),
    ];
    outcome = {
      environment: request.environment,
      ciEnvironment,
      baselineRelease: live.releaseId,
      plan,
      tests,
      builds: plan.build.flatMap((b) => results.get(b.model) ?? []),
      reused: plan.models.filter((m) => m.action === 'keep' || m.action === 'reuse').map((m) => m.model),
      checked: targets,
      checks,
      diffs,
      notDiffed,
      blockers,
      kept: request.keep,
      dropped: [],
      durationMs: 0,
    };
  } catch (error) {
    failure = error;
  } finally {
    let dropped: string[] = [];
    if (!request.keep) {
      await dropCiSchema(warehouse, ciEnvironment);
      dropped = await dropUnreferencedTables(services, built);
    }
    await state.appendEvent({
      type: 'ci',
      environment: ciEnvironment,
      actor: request.actor,
      data: {
        against: request.environment,
        baselineRelease: outcome?.baselineRelease ?? null,
        commit: request.commit?.sha ?? null,
        base: request.changes?.base ?? null,
        mergeBase: request.changes?.mergeBase ?? null,
        built: outcome?.builds.map((b) => b.relation.name) ?? [],
        blocking: outcome ? outcome.blockers.length > 0 : true,
        blockers: outcome?.blockers ?? [],
        error: failure instanceof Error ? failure.message : failure === undefined ? null : String(failure),
        kept: request.keep,
      },
    });
    if (outcome) outcome = { ...outcome, dropped, durationMs: performance.now() - began };
  }
  if (failure !== undefined || outcome === undefined) throw failure;
  return outcome;
}

/**
 * Models whose version differs from the baseline (built or reused) or whose file changed at all
 * (a new check on an unchanged model must run too), and sources whose declaring file changed.
 */
function checkTargets(
  request: CiRequest,
  plan: ReleasePlan,
  definitions: ReadonlyMap<string, { readonly text: string }>,
  unavailable: ReadonlySet<string>,
): string[] {
  const { project, changes } = request;
  const names = new Set<string>();
  for (const m of plan.models) {
    if (m.change === 'removed' || unavailable.has(m.model)) continue;
    const previous = m.from ? definitions.get(m.from.fingerprint) : undefined;
    const edited = previous === undefined || previous.text !== project.models.get(m.model)?.text;
    if (m.action === 'build' || m.action === 'reuse' || edited) names.add(m.model);
  }
  const changedFiles = new Set(changes?.files.map((f) => f.path) ?? []);
  for (const source of project.sources.values()) if (changedFiles.has(source.file)) names.add(source.name);
  return project.order.filter((n) => names.has(n));
}

async function runCiChecks(
  request: CiRequest,
  services: Pick<ReleaseServices, 'warehouse'>,
  targets: readonly string[],
  shown: EnvironmentModels,
): Promise<CheckRunSummary | undefined> {
  const { project } = request;
  const checks: CheckDeclaration[] = projectChecks(project, new Set(targets));
  if (checks.length === 0) return undefined;
  const relationOf = (name: string): RelationRef => {
    const pointer = shown[name];
    if (pointer) return physicalTable(pointer.table);
    const source = project.sources.get(name);
    return source ? sourceRelation(source) : { schema: request.ciEnvironment, name };
  };
  return runChecks({
    warehouse: services.warehouse,
    checks,
    relationOf,
    names: [...Object.keys(shown), ...project.sources.keys()],
    ...(request.sampleRows === undefined ? {} : { sampleRows: request.sampleRows }),
  });
}

/** Every model with a new table, diffed against the baseline's table by its key. */
async function diffChanged(
  services: Pick<ReleaseServices, 'warehouse'>,
  request: CiRequest,
  plan: ReleasePlan,
  unavailable: ReadonlySet<string>,
  stage: (message: string) => void,
): Promise<{ diffs: ModelDiff[]; notDiffed: { model: string; reason: string }[] }> {
  const diffs: ModelDiff[] = [];
  const notDiffed: { model: string; reason: string }[] = [];
  const changed = plan.models.filter(
    (m) => (m.action === 'build' || m.action === 'reuse') && !unavailable.has(m.model),
  );
  if (changed.length > 0)
    stage(`data diff of ${changed.length} changed models against ${request.environment}`);
  for (const m of changed) {
    const model = request.project.models.get(m.model);
    if (!m.from || !m.to || !model) {
      notDiffed.push({ model: m.model, reason: `new: not in ${request.environment}` });
      continue;
    }
    const key = diffKeyOf(model);
    if (key.length === 0) {
      notDiffed.push({ model: m.model, reason: 'no unique_key or unique check to match rows by' });
      continue;
    }
    // The environments' own views: the report then reads `prod → ci_1a2b3c4d`. Both point at
    // exactly the tables of the plan (prod's pointer, the ci build).
    const a = environmentRelation(request.environment, m.model);
    const b = environmentRelation(request.ciEnvironment, m.model);
    const [before, after] = await Promise.all([
      services.warehouse.describe(a),
      services.warehouse.describe(b),
    ]);
    const has = (cols: typeof before, k: string) =>
      cols?.some((c) => c.name.toLowerCase() === k.toLowerCase()) === true;
    if (before === undefined) {
      notDiffed.push({ model: m.model, reason: `${request.environment} has no view of it` });
      continue;
    }
    const keyInBoth = key.every((k) => has(before, k) && has(after, k));
    if (!keyInBoth) {
      notDiffed.push({ model: m.model, reason: `the key (${key.join(', ')}) is not in both versions` });
      continue;
    }
    diffs.push({ model: m.model, diff: await diffData({ warehouse: services.warehouse, a, b, key }) });
  }
  return { diffs, notDiffed };
}
