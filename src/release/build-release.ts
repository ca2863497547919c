/**
 * `slipway build --env E`, the dev loop, as a release: a `direct` release of kind `build`
 * through the same path as `apply` (`applyReleasePlan` → `executeRelease` → `buildVersions`),
 * so `history` shows it, crash recovery covers it and gc knows its tables. The selected models
 * are built again every time (their data is refreshed); the environment is switched only when
 * every one of them built, so it is never left half built.
 */
import type { ReleaseCommit as CommitInfo } from '../core/commit.js';
import type { ReleaseRecord } from '../core/release.js';
import type { Project } from '../project/project.js';
import { applyReleasePlan, desiredModels, prepareApply } from './apply-release.js';
import type { BuildReporter, ModelBuildResult } from './build-results.js';
import type { ReleaseServices } from './execute-release.js';
import { readLiveState } from './live-state.js';
import { planBuild } from './plan-build.js';
import type { ReleasePlan } from './plan-release.js';
import { DirectStrategy } from './strategies/direct-strategy.js';

export interface BuildRequest {
  readonly project: Project;
  readonly fingerprints: ReadonlyMap<string, string>;
  readonly environment: string;
  /** Model names to build, in dependency order. */
  readonly selected: readonly string[];
  readonly commit: CommitInfo | undefined;
  readonly actor: string;
  readonly concurrency: number;
  readonly reporter?: BuildReporter;
  readonly signal?: AbortSignal;
}

export interface BuildSummary {
  readonly environment: string;
  readonly plan: ReleasePlan;
  /** One per selected model, in the order given. */
  readonly results: readonly ModelBuildResult[];
  /** True when every selected model built and the environment was switched. */
  readonly switched: boolean;
  /** The release the build recorded, when it switched. */
  readonly release: ReleaseRecord | undefined;
  readonly durationMs: number;
}

export async function buildRelease(services: ReleaseServices, request: BuildRequest): Promise<BuildSummary> {
  const began = performance.now();
  const { environment, selected } = request;
  await prepareApply(services, environment);
  const { live, builtTables } = await readLiveState(services.state, services.warehouse, environment);
  const plan = planBuild(
    {
      environment,
      strategy: DirectStrategy.name,
      commit: request.commit,
      desired: desiredModels(request.project, request.fingerprints),
      live,
      builtTables,
    },
    selected,
  );
  const results = new Map<string, ModelBuildResult>();
  const reporter: BuildReporter = {
    started: (model) => request.reporter?.started(model),
    finished: (result) => {
      results.set(result.name, result);
      request.reporter?.finished(result);
    },
  };
  const summary = (switched: boolean, release: ReleaseRecord | undefined): BuildSummary => ({
    environment,
    plan,
    results: selected.flatMap((n) => results.get(n) ?? []),
    switched,
    release,
    durationMs: performance.now() - began,
  });
  try {
    const outcome = await applyReleasePlan(services, plan, {
      project: request.project,
      fingerprints: request.fingerprints,
      kind: 'build',
      actor: request.actor,
      concurrency: request.concurrency,
      reporter,
      ...(request.signal ? { signal: request.signal } : {}),
    });
    return summary(true, outcome?.release);
  } catch (error) {
    // Models that failed (or were skipped below a failure) are the build's answer, model by
    // model: the release is recorded as failed and the environment shows what it showed.
    const everyModelAnswered = selected.every((n) => results.has(n));
    const someDidNotBuild = [...results.values()].some((r) => r.status !== 'built');
    if (everyModelAnswered && someDidNotBuild) return summary(false, undefined);
    throw error;
  }
}
