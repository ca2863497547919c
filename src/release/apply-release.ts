/**
 * `apply`: release the desired project to an environment, in three verbs. `prepareApply` settles
 * any release a crash left unfinished (before planning, so the plan sees what the environment
 * really shows); `planApply` plans against the live state (read-only); `applyReleasePlan`
 * carries out exactly the plan it is given — it never plans again — building only the versions
 * the plan lists (an incremental model's new table is backfilled in full), asking the gate, then
 * switching. `applyRelease` is the three in a row, for callers that confirm nothing.
 */

import type { ReleaseCommit as CommitInfo } from '../core/commit.js';
import { ConflictError } from '../core/errors.js';
import type { ReleaseInfraStep } from '../core/infra-change.js';
import type { ReleaseStrategy } from '../core/release.js';
import type { Project } from '../project/project.js';
import { createSourceViews, prepareSchemas } from './build-models.js';
import type { BuildReporter } from './build-results.js';
import { buildVersions } from './build-versions.js';
import {
  executeRelease,
  type ReleaseGate,
  type ReleaseOutcome,
  type ReleaseServices,
} from './execute-release.js';
import { readLiveState } from './live-state.js';
import { modelDefinition } from './model-definition.js';
import { type DesiredModel, planRelease, type ReleasePlan } from './plan-release.js';
import { type RecoveryAction, recoverEnvironment } from './recover-releases.js';
import { strategyFor } from './strategies/strategy-for.js';

export interface ApplyRequest {
  readonly project: Project;
  readonly fingerprints: ReadonlyMap<string, string>;
  readonly environment: string;
  readonly strategy: ReleaseStrategy;
  readonly commit: CommitInfo | undefined;
  readonly actor: string;
  readonly concurrency: number;
  /** Gating checks; see `ReleaseGate`. Without one, nothing gates the switch. */
  readonly gate?: ReleaseGate;
  readonly reporter?: BuildReporter;
  /** One line per stage a strategy rehearses (the canary's steps), for a terminal. */
  readonly progress?: (line: string) => void;
  readonly signal?: AbortSignal;
  /** The environment's infrastructure step, when the commit changed infrastructure (src/app wires it). */
  readonly infra?: ReleaseInfraStep;
}

/** What carrying out a plan needs besides the plan: the project it builds from, and who asks. */
export type ApplyPlanRequest = Pick<
  ApplyRequest,
  'project' | 'fingerprints' | 'actor' | 'concurrency' | 'gate' | 'reporter' | 'progress' | 'signal' | 'infra'
> & {
  /** `build` for the dev loop's `slipway build` (recorded so that `history` tells them apart). */
  readonly kind?: 'apply' | 'build';
};

export interface ApplyOutcome {
  readonly plan: ReleasePlan;
  readonly recovered: readonly RecoveryAction[];
  /** Undefined when the environment already shows the desired project (nothing to release). */
  readonly outcome: ReleaseOutcome | undefined;
}

/** The desired models of a project, in dependency order, with their fingerprints. */
export function desiredModels(project: Project, fingerprints: ReadonlyMap<string, string>): DesiredModel[] {
  return project.order.flatMap((name) => {
    const model = project.models.get(name);
    return model
      ? [{ definition: modelDefinition(model), fingerprint: fingerprints.get(name) as string }]
      : [];
  });
}

/**
 * Settles what a killed release left (the caller holds the environment's lock). Runs before
 * planning: a release that switched before it was killed is completed first, so the plan is
 * made against what the environment shows.
 */
export function prepareApply(
  services: Pick<ReleaseServices, 'state' | 'warehouse'>,
  environment: string,
): Promise<RecoveryAction[]> {
  return recoverEnvironment(services.state, services.warehouse, environment);
}

/** Plans a release of the project to the environment (read-only). */
export async function planApply(
  services: Pick<ReleaseServices, 'state' | 'warehouse'>,
  request: Pick<ApplyRequest, 'project' | 'fingerprints' | 'environment' | 'strategy' | 'commit'>,
): Promise<ReleasePlan> {
  const { live, builtTables } = await readLiveState(services.state, services.warehouse, request.environment);
  return planRelease({
    environment: request.environment,
    strategy: request.strategy,
    commit: request.commit,
    desired: desiredModels(request.project, request.fingerprints),
    live,
    builtTables,
  });
}

/**
 * Carries out `plan` — its builds, its gate, its switch — and nothing else. Refuses (a conflict)
 * when the environment no longer shows the release the plan was made against. Returns undefined
 * when the plan changes nothing and the views still show the environment's release.
 *
 * @example
 * await prepareApply(session, 'staging');
 * const plan = await planApply(session, request);
 * // … show the plan, ask for confirmation …
 * await applyReleasePlan(session, plan, request);
 */
export async function applyReleasePlan(
  services: ReleaseServices,
  plan: ReleasePlan,
  request: ApplyPlanRequest,
): Promise<ReleaseOutcome | undefined> {
  const { state, warehouse } = services;
  const { environment } = plan;
  const pointer = await state.getPointer(environment);
  if (pointer?.releaseId !== plan.fromRelease) {
    throw new ConflictError(
      `${environment} shows ${pointer?.releaseId ?? 'no release'}, not ${plan.fromRelease ?? 'no release'} as the plan assumed`,
      { hint: 'plan again: another release reached it since' },
    );
  }
  // With nothing to change, there is still work when the views no longer show the release the
  // state store points at (rewritten behind Slipway's back): switch them back.
  const drifted =
    pointer !== undefined &&
    (await warehouse.environments.switchedRelease(environment)) !== pointer.releaseId;
  const { rehearse, refuse } = strategyFor(plan.strategy);
  refuse?.(request.project, plan);
  // An infrastructure change is a release too, even when no model changed: it is recorded.
  if (!plan.changes && plan.build.length === 0 && !drifted && !request.infra) return undefined;
  const desired = desiredModels(request.project, request.fingerprints);
  await state.putModelVersions(
    desired.map((d) => ({ fingerprint: d.fingerprint, model: d.definition.name, definition: d.definition })),
  );
  await prepareSchemas(warehouse, environment);
  if (plan.build.length > 0) await createSourceViews(warehouse, [...request.project.sources.values()]);
  return executeRelease(services, {
    environment,
    kind: request.kind ?? 'apply',
    strategy: plan.strategy,
    commit: plan.commit,
    actor: request.actor,
    plan,
    ...(request.gate ? { gate: request.gate } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
    ...(request.infra ? { infra: request.infra } : {}),
    build: async (step, releaseId) => {
      // The strategy's rehearsal (the canary's sample steps) comes before the full build; a
      // throw fails the release with nothing built in full or switched.
      if (rehearse && plan.build.length > 0) {
        await rehearse({
          releaseId,
          actor: request.actor,
          project: request.project,
          plan,
          warehouse,
          state,
          telemetry: services.telemetry,
          logger: services.logger,
          step,
          ...(request.progress ? { progress: request.progress } : {}),
          ...(request.signal ? { signal: request.signal } : {}),
        });
      }
      return buildVersions({
        project: request.project,
        warehouse,
        state,
        target: plan.target,
        build: plan.build,
        concurrency: request.concurrency,
        step,
        telemetry: services.telemetry,
        logger: services.logger,
        ...(request.reporter ? { reporter: request.reporter } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
    },
  });
}

/** Settles, plans and carries out the plan, with no one to confirm it (the operator, tests). */
export async function applyRelease(services: ReleaseServices, request: ApplyRequest): Promise<ApplyOutcome> {
  const recovered = await prepareApply(services, request.environment);
  const plan = await planApply(services, request);
  const outcome = await applyReleasePlan(services, plan, request);
  return { plan, recovered, outcome };
}
