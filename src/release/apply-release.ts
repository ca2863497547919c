/**
 * `apply`: release the desired project to an environment. Settles any release a crash left
 * unfinished, plans against the live state, builds only the versions no table exists for yet
 * (an incremental model's new table is backfilled in full), asks the gate, then switches.
 */

import type { ReleaseCommit as CommitInfo } from '../core/commit.js';
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
  readonly signal?: AbortSignal;
}

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

export async function applyRelease(services: ReleaseServices, request: ApplyRequest): Promise<ApplyOutcome> {
  const { state, warehouse } = services;
  const recovered = await recoverEnvironment(state, warehouse, request.environment);
  const plan = await planApply(services, request);
  // With nothing to change, there is still work when the views no longer show the release the
  // state store points at (the dev loop's `slipway build` rewrote them): switch them back.
  const pointer = await state.getPointer(request.environment);
  const drifted =
    pointer !== undefined &&
    (await warehouse.environments.switchedRelease(request.environment)) !== pointer.releaseId;
  if (!plan.changes && !drifted) return { plan, recovered, outcome: undefined };
  const desired = desiredModels(request.project, request.fingerprints);
  await state.putModelVersions(
    desired.map((d) => ({ fingerprint: d.fingerprint, model: d.definition.name, definition: d.definition })),
  );
  await prepareSchemas(warehouse, request.environment);
  if (plan.build.length > 0) await createSourceViews(warehouse, [...request.project.sources.values()]);
  const outcome = await executeRelease(services, {
    environment: request.environment,
    kind: 'apply',
    strategy: request.strategy,
    commit: request.commit,
    actor: request.actor,
    plan,
    ...(request.gate ? { gate: request.gate } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
    build: (step) =>
      buildVersions({
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
      }),
  });
  return { plan, recovered, outcome };
}
