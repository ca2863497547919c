/**
 * Carries out one release of an environment — the steps every kind shares (apply, build,
 * promote, rollback): record it, build what it needs, ask the gate, switch the environment's
 * views in one warehouse transaction, then move the pointer in the state store. Each step is
 * announced to the step hook. The strategy (`strategyFor`) says where the gate runs: before the
 * switch, where it can stop the release (blue-green), or after it, where it reports (direct).
 *
 * Crash safety comes from the order: the warehouse switch (views plus the release marker, one
 * transaction) is the commit point; the state store is told `switching` before it and
 * `succeeded` after it, and `recoverEnvironment` settles a release stopped in between.
 */
import { randomBytes } from 'node:crypto';
import type { ReleaseCommit as CommitInfo } from '../core/commit.js';
import { errorMessage, WorkFailedError } from '../core/errors.js';
import type { ReleaseInfraStep } from '../core/infra-change.js';
import type { EnvironmentModels, ReleaseKind, ReleaseRecord, ReleaseStrategy } from '../core/release.js';
import type { StateStore } from '../state/state-store.js';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/tracer.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import type { BuiltVersion } from './build-versions.js';
import { checkSpanAttributes, resultsOf } from './check-span-attributes.js';
import type { ReleasePlan } from './plan-release.js';
import { STEP, type StepHook } from './release-steps.js';
import { strategyFor } from './strategies/strategy-for.js';
import { settleReplaced } from './verify-release.js';

/** What a gate (the data-quality checks of the quality context) answers about built versions. */
export interface GateResult {
  readonly passed: boolean;
  /** One line for the terminal and the release record. */
  readonly summary: string;
  readonly details?: unknown;
}

export interface GateContext {
  readonly environment: string;
  readonly strategy: ReleaseStrategy;
  readonly kind: ReleaseKind;
  readonly plan: ReleasePlan;
  /** The versions this release built (empty for promote and rollback). */
  readonly built: readonly BuiltVersion[];
  /** The environment's models after the switch, for checks that read across models. */
  readonly target: EnvironmentModels;
}

/**
 * Where gating checks plug in. Under a strategy that gates before the switch (blue-green), a
 * result that did not pass fails the release and leaves the environment on its previous release;
 * under one that gates after it (direct), the result is recorded and returned, and the
 * environment shows the new release.
 */
export type ReleaseGate = (context: GateContext) => Promise<GateResult>;

export interface ReleaseServices {
  readonly state: StateStore;
  readonly warehouse: Warehouse;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  readonly step?: StepHook;
}

export interface ReleaseSpec {
  readonly environment: string;
  readonly kind: ReleaseKind;
  readonly strategy: ReleaseStrategy;
  readonly commit: CommitInfo | undefined;
  readonly actor: string;
  readonly plan: ReleasePlan;
  readonly source?: string;
  /** For a rollback: why, recorded on the release it replaces (`rolled_back`). */
  readonly reason?: string;
  /** Builds the release's versions; `releaseId` is the release recorded for them. */
  readonly build?: (step: StepHook, releaseId: string) => Promise<BuiltVersion[]>;
  readonly gate?: ReleaseGate;
  /**
   * The environment's infrastructure step, run after the release is recorded and before anything
   * is built; its failure fails the release and leaves the environment on its release.
   */
  readonly infra?: ReleaseInfraStep;
  /**
   * Aborted when the caller may no longer switch (an operator that lost its lease): looked at
   * last thing before the switch, which is then not made; the release stays `switching` for the
   * next leader to settle (abandoned: the marker does not show it).
   */
  readonly signal?: AbortSignal;
}

export interface ReleaseOutcome {
  readonly release: ReleaseRecord;
  readonly built: readonly BuiltVersion[];
  readonly gate: GateResult | undefined;
  /** True when the gate ran after the switch (its failure did not stop the release). */
  readonly gatedAfterSwitch: boolean;
  readonly timings: {
    readonly buildMs: number;
    readonly gateMs: number;
    readonly switchMs: number;
    readonly totalMs: number;
  };
}

export function newReleaseId(): string {
  return `r-${randomBytes(4).toString('hex')}`;
}

export async function executeRelease(services: ReleaseServices, spec: ReleaseSpec): Promise<ReleaseOutcome> {
  const { state, warehouse } = services;
  const step = services.step ?? (async () => {});
  const began = performance.now();
  const plan = spec.infra && !spec.plan.infra ? { ...spec.plan, infra: spec.infra.plan } : spec.plan;
  const strategy = strategyFor(spec.strategy);
  return services.telemetry.rootSpan(
    `release ${spec.environment}`,
    {
      'slipway.span': 'release',
      'slipway.environment': spec.environment,
      'slipway.kind': spec.kind,
      'slipway.strategy': spec.strategy,
      'cicd.pipeline.name': `release ${spec.environment}`,
      'cicd.pipeline.action.name': 'RUN',
      ...(spec.commit ? { 'vcs.ref.head.revision': spec.commit.sha } : {}),
    },
    async (span) => {
      const pointer = await state.getPointer(spec.environment);
      const id = newReleaseId();
      span.setAttribute('slipway.release', id);
      span.setAttribute('cicd.pipeline.run.id', id);
      const traceId = span.spanContext().traceId;
      await state.createRelease({
        traceId,
        id,
        environment: spec.environment,
        kind: spec.kind,
        strategy: spec.strategy,
        commit: spec.commit,
        actor: spec.actor,
        models: plan.target,
        plan,
        previousReleaseId: pointer?.releaseId,
        ...(spec.source === undefined ? {} : { source: spec.source }),
      });
      await step(STEP.recorded);
      const fail = async (error: unknown, timings: Record<string, number>): Promise<never> => {
        span.setAttribute('cicd.pipeline.result', 'failure');
        const message = errorMessage(error);
        await state.setReleaseStatus(id, 'failed', { error: message, timings });
        throw error;
      };

      // Everything before the switch: a failure here (a build, the gate, the warehouse) marks
      // the release failed and leaves the environment as it was.
      const before: Record<string, number> = { buildMs: 0, gateMs: 0 };
      let built: BuiltVersion[] = [];
      let gate: GateResult | undefined;
      try {
        if (spec.infra) {
          const infraStarted = performance.now();
          await runInfra(services, spec, spec.infra, id);
          before['infraMs'] = performance.now() - infraStarted;
          await step(STEP.infra);
        }
        const buildStarted = performance.now();
        if (spec.build) built = await spec.build(step, id);
        before['buildMs'] = performance.now() - buildStarted;
        if (spec.gate && strategy.gate === 'before-switch') {
          const gateStarted = performance.now();
          gate = await askGate(services, spec, spec.gate, id, built);
          before['gateMs'] = performance.now() - gateStarted;
          if (!gate.passed) {
            throw new WorkFailedError(`the release gate failed: ${gate.summary}`, {
              hint: `${spec.environment} still shows its previous release`,
            });
          }
          await step(STEP.gated);
        }
        await warehouse.environments.prepare();
      } catch (error) {
        await fail(error, before);
      }
      const { buildMs = 0, gateMs = 0, infraMs } = before;
      await state.setReleaseStatus(id, 'switching');
      await step(STEP.beforeSwitch);
      spec.signal?.throwIfAborted();
      let switchMs = 0;
      try {
        switchMs = await services.telemetry.span(
          `switch ${spec.environment}`,
          {
            'slipway.span': 'switch',
            'slipway.environment': spec.environment,
            'slipway.release': id,
            'cicd.pipeline.task.name': 'switch',
            'cicd.pipeline.task.type': 'deploy',
          },
          () =>
            warehouse.environments.switch({
              environment: spec.environment,
              releaseId: id,
              models: plan.target,
              removed: plan.models.filter((m) => m.change === 'removed').map((m) => m.model),
            }),
        );
      } catch (error) {
        span.setAttribute('cicd.pipeline.result', 'failure');
        await fail(error, { buildMs, gateMs, ...(infraMs === undefined ? {} : { infraMs }) });
      }
      await step(STEP.afterSwitch);
      const totalMs = performance.now() - began;
      const timings = { buildMs, gateMs, switchMs, totalMs, ...(infraMs === undefined ? {} : { infraMs }) };
      await state.completeRelease({
        environment: spec.environment,
        releaseId: id,
        models: plan.target,
        switchedAt: new Date().toISOString(),
        timings,
        ...(spec.reason === undefined ? {} : { reason: spec.reason }),
      });
      await step(STEP.completed);
      await settleReplaced(state, pointer?.releaseId, id, spec.actor);
      services.logger.info({ release: id, environment: spec.environment, ...timings }, 'release switched');
      // After the switch the gate can only report: the environment already shows the release.
      const gatedAfterSwitch = spec.gate !== undefined && strategy.gate === 'after-switch';
      if (spec.gate && gatedAfterSwitch) gate = await askGate(services, spec, spec.gate, id, built);
      span.setAttribute('cicd.pipeline.result', gate?.passed === false ? 'failure' : 'success');
      return {
        release: (await state.getRelease(id)) as ReleaseRecord,
        built,
        gate,
        gatedAfterSwitch,
        timings,
      };
    },
  );
}

/**
 * Runs the infrastructure step and records how it ended in the audit log; a failure throws, which
 * fails the release before anything is built.
 */
async function runInfra(
  services: ReleaseServices,
  spec: ReleaseSpec,
  infra: ReleaseInfraStep,
  releaseId: string,
): Promise<void> {
  const outcome = await services.telemetry.span(
    `infra ${spec.environment}`,
    {
      'slipway.span': 'infra',
      'slipway.environment': spec.environment,
      'slipway.release': releaseId,
      'cicd.pipeline.task.name': 'infrastructure',
      'cicd.pipeline.task.type': 'deploy',
    },
    async (span) => {
      const result = await infra.run(spec.signal);
      span.setAttribute('slipway.passed', result.ok);
      return result;
    },
  );
  const { changes } = infra.plan;
  await services.state.appendEvent({
    type: outcome.ok ? 'release.infra_applied' : 'release.infra_failed',
    environment: spec.environment,
    releaseId,
    actor: spec.actor,
    data: {
      summary: `${releaseId} in ${spec.environment}: infrastructure ${outcome.ok ? 'applied' : 'failed'}: ${outcome.summary}`,
      reason: infra.plan.reason,
      applied: outcome.applied,
      planned: { added: changes.added, changed: changes.changed, removed: changes.removed },
      diagnostics: outcome.diagnostics,
    },
  });
  if (!outcome.ok)
    throw new WorkFailedError(`the infrastructure step failed: ${outcome.summary}`, {
      hint: `${spec.environment} still shows its previous release; nothing was built`,
    });
}

/** Runs the spec's gate on the release's new versions and records its verdict as an event. */
async function askGate(
  services: ReleaseServices,
  spec: ReleaseSpec,
  gate: ReleaseGate,
  releaseId: string,
  built: readonly BuiltVersion[],
): Promise<GateResult> {
  const result = await services.telemetry.span(
    `gate ${spec.environment}`,
    {
      'slipway.span': 'checks',
      'slipway.environment': spec.environment,
      'cicd.pipeline.task.name': 'gate',
      'cicd.pipeline.task.type': 'test',
    },
    async (span) => {
      const verdict = await gate({
        environment: spec.environment,
        strategy: spec.strategy,
        kind: spec.kind,
        plan: spec.plan,
        built,
        target: spec.plan.target,
      });
      span.setAttribute('slipway.passed', verdict.passed);
      span.setAttributes(checkSpanAttributes(resultsOf(verdict.details)));
      return verdict;
    },
  );
  await services.state.appendEvent({
    type: result.passed ? 'release.gate_passed' : 'release.gate_failed',
    environment: spec.environment,
    releaseId,
    actor: spec.actor,
    data: { summary: result.summary },
  });
  return result;
}
