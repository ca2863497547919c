/**
 * `promote FROM TO` and `rollback`: releases that only re-point views at tables that are already
 * built — another environment's (promote by reference) or an earlier release's (rollback).
 * Nothing is computed; a missing table refuses the release instead of switching to it.
 */
import { InvalidArgumentError, WorkFailedError } from '../core/errors.js';
import type { ReleaseInfraStep } from '../core/infra-change.js';
import type { EnvironmentModels, ReleaseRecord, ReleaseStrategy } from '../core/release.js';
import {
  executeRelease,
  type ReleaseGate,
  type ReleaseOutcome,
  type ReleaseServices,
} from './execute-release.js';
import { readLiveState } from './live-state.js';
import { planPointerSwitch, type ReleasePlan } from './plan-release.js';
import { recoverEnvironment } from './recover-releases.js';

export interface PointerReleaseResult {
  readonly plan: ReleasePlan;
  readonly outcome: ReleaseOutcome | undefined;
  readonly source: ReleaseRecord;
}

interface PointerRelease {
  readonly environment: string;
  readonly kind: 'promote' | 'rollback';
  readonly strategy: ReleaseStrategy;
  readonly actor: string;
  readonly source: ReleaseRecord;
  readonly target: EnvironmentModels;
  /** The environment's infrastructure step, when the release's commit changed it there. */
  readonly infra?: ReleaseInfraStep;
  readonly gate?: ReleaseGate;
  readonly reason?: string;
}

async function releasePointers(
  services: ReleaseServices,
  request: PointerRelease,
): Promise<PointerReleaseResult> {
  const { state, warehouse } = services;
  await recoverEnvironment(state, warehouse, request.environment);
  const fingerprints = Object.values(request.target).map((m) => m.fingerprint);
  const { live, builtTables } = await readLiveState(state, warehouse, request.environment, {
    extraFingerprints: fingerprints,
    verifyTables: false,
  });
  const plan = planPointerSwitch({
    environment: request.environment,
    strategy: request.strategy,
    commit: request.source.commit,
    live,
    target: request.target,
    definitions: live.definitions,
    builtTables,
  });
  if (plan.build.length > 0) {
    throw new WorkFailedError(
      `${plan.build.length} table${plan.build.length === 1 ? '' : 's'} of release ${request.source.id} no longer exist (${plan.build
        .slice(0, 3)
        .map((b) => b.table)
        .join(', ')}${plan.build.length > 3 ? ', …' : ''})`,
      { hint: 'they were garbage-collected; apply that commit again instead' },
    );
  }
  // An infrastructure change is a release too, even when the models are the same.
  if (!plan.changes && !request.infra) return { plan, outcome: undefined, source: request.source };
  const outcome = await executeRelease(services, {
    environment: request.environment,
    kind: request.kind,
    strategy: request.strategy,
    commit: request.source.commit,
    actor: request.actor,
    plan,
    source: request.source.id,
    ...(request.gate ? { gate: request.gate } : {}),
    ...(request.infra ? { infra: request.infra } : {}),
    ...(request.reason === undefined ? {} : { reason: request.reason }),
  });
  return { plan, outcome, source: request.source };
}

/** Gives `to` exactly the models `from` shows; nothing is rebuilt. */
export async function promoteRelease(
  services: ReleaseServices,
  request: {
    readonly from: string;
    readonly to: string;
    readonly strategy: ReleaseStrategy;
    readonly actor: string;
    readonly gate?: ReleaseGate;
    /** `to`'s infrastructure step for the promoted release's commit (src/app wires it). */
    readonly infra?: ReleaseInfraStep;
  },
): Promise<PointerReleaseResult> {
  if (request.from === request.to) throw new InvalidArgumentError('promote needs two different environments');
  const pointer = await services.state.getPointer(request.from);
  if (!pointer) {
    throw new InvalidArgumentError(`'${request.from}' has no release to promote`, {
      hint: `apply to it first: slipway apply --env ${request.from}`,
    });
  }
  const source = (await services.state.getRelease(pointer.releaseId)) as ReleaseRecord;
  return releasePointers(services, {
    environment: request.to,
    kind: 'promote',
    strategy: request.strategy,
    actor: request.actor,
    source,
    target: pointer.models,
    ...(request.gate ? { gate: request.gate } : {}),
    ...(request.infra ? { infra: request.infra } : {}),
  });
}

/**
 * Re-points the environment at an earlier release: the named one, or the one its current
 * release replaced (so two rollbacks in a row undo each other). The release it replaces is
 * marked `rolled_back` with `reason`. Any release the environment once showed can be named; the
 * one before is not taken unnamed when it failed its post-deploy verification (after an
 * automatic rollback, a second rollback would otherwise bring the failed release back).
 */
export async function rollbackRelease(
  services: ReleaseServices,
  request: {
    readonly environment: string;
    readonly to?: string;
    readonly strategy: ReleaseStrategy;
    readonly actor: string;
    /** Why; recorded on the release rolled back (default `rolled back by <actor>`). */
    readonly reason?: string;
  },
): Promise<PointerReleaseResult> {
  const { state } = services;
  const pointer = await state.getPointer(request.environment);
  if (!pointer) throw new InvalidArgumentError(`'${request.environment}' has no release to roll back`);
  let targetId = request.to;
  if (targetId === undefined) {
    targetId = (await state.getRelease(pointer.releaseId))?.previousReleaseId;
    if (targetId === undefined) {
      throw new InvalidArgumentError(`'${request.environment}' has no earlier release to roll back to`);
    }
    const before = await state.getRelease(targetId);
    if (before?.verification?.status === 'failed') {
      throw new InvalidArgumentError(
        `the release before ${pointer.releaseId} in '${request.environment}' is ${targetId}, which failed its post-deploy verification (${before.verification.summary ?? ''})`,
        {
          hint: `name the release to go back to: slipway rollback --env ${request.environment} --to RELEASE (slipway history --env ${request.environment} lists them)`,
        },
      );
    }
  }
  const source = await state.getRelease(targetId);
  if (!source) {
    throw new InvalidArgumentError(`unknown release '${targetId}'`, {
      hint: `list them with: slipway history --env ${request.environment}`,
    });
  }
  if (source.environment !== request.environment) {
    throw new InvalidArgumentError(
      `release '${targetId}' was a release of '${source.environment}', not '${request.environment}'`,
      { hint: `to give ${request.environment} what another environment has, use promote` },
    );
  }
  // A release that was switched in (and perhaps rolled back since) can be shown again.
  if (source.status !== 'succeeded' && source.status !== 'rolled_back') {
    throw new InvalidArgumentError(
      `release '${targetId}' did not succeed (${source.status}); it cannot be rolled back to`,
    );
  }
  return releasePointers(services, {
    environment: request.environment,
    kind: 'rollback',
    strategy: request.strategy,
    actor: request.actor,
    source,
    target: source.models,
    ...(request.reason === undefined ? {} : { reason: request.reason }),
  });
}
