/**
 * `run`: refresh the data of the release an environment shows. `table` models are rebuilt (by
 * the builder's per-model step, `buildModelVersion`),
 * `incremental` models take new rows from their watermark (the engine's `warehouse.incremental` merge), views
 * need nothing. Models run in dependency order from the definitions the state store kept for
 * their fingerprints, so a run refreshes what was released, not what the working tree says now.
 */
import { randomBytes } from 'node:crypto';
import { errorMessage, InvalidArgumentError, WorkFailedError } from '../core/errors.js';
import { runDag } from '../core/run-dag.js';
import { compileSqlModel } from '../project/compile-model.js';
import { topologicalOrder } from '../project/dependency-graph.js';
import type { Project } from '../project/project.js';
import type { RunRecord } from '../state/state-store.js';
import type { RelationRef } from '../warehouse/warehouse.js';
import { buildModelVersion } from './build-model-version.js';
import { compileModel } from './build-models.js';
import type { ReleaseServices } from './execute-release.js';
import type { ModelDefinition } from './model-definition.js';
import { physicalTable, sourceRelation } from './physical-layout.js';
import { recoverEnvironment } from './recover-releases.js';

export interface ModelRunResult {
  readonly model: string;
  readonly table: string;
  readonly kind: ModelDefinition['kind'];
  readonly action: 'rebuilt' | 'incremental' | 'unchanged' | 'failed' | 'skipped';
  readonly rows: number | undefined;
  readonly added: number | undefined;
  readonly durationMs: number;
  readonly error: string | undefined;
}

export interface RunRequest {
  /** The working-tree project: for source relations and TypeScript models' build functions. */
  readonly project: Project;
  readonly environment: string;
  readonly actor: string;
  readonly concurrency: number;
  /** Only these models (default: all of the release's). */
  readonly select?: ReadonlySet<string>;
}

export interface RunOutcome {
  readonly run: RunRecord;
  readonly models: readonly ModelRunResult[];
}

export function runEnvironment(services: ReleaseServices, request: RunRequest): Promise<RunOutcome> {
  return services.telemetry.rootSpan(
    `run ${request.environment}`,
    {
      'slipway.span': 'run',
      'slipway.environment': request.environment,
      'cicd.pipeline.name': `run ${request.environment}`,
      'cicd.pipeline.action.name': 'RUN',
    },
    async (span) => {
      const outcome = await runInSpan(services, request);
      span.setAttribute('cicd.pipeline.run.id', outcome.run.id);
      const failed = outcome.run.status === 'failed';
      span.setAttribute('cicd.pipeline.result', failed ? 'failure' : 'success');
      if (failed) span.setStatus({ code: 2, message: outcome.run.error ?? 'the run failed' });
      return outcome;
    },
  );
}

async function runInSpan(services: ReleaseServices, request: RunRequest): Promise<RunOutcome> {
  const { state, warehouse } = services;
  await recoverEnvironment(state, warehouse, request.environment);
  const pointer = await state.getPointer(request.environment);
  if (!pointer) {
    throw new InvalidArgumentError(`'${request.environment}' has no release to run`, {
      hint: `release to it first: slipway apply --env ${request.environment}`,
    });
  }
  const versions = await state.getModelVersions(Object.values(pointer.models).map((m) => m.fingerprint));
  const definitionOf = (model: string): ModelDefinition | undefined =>
    versions.get(pointer.models[model]?.fingerprint ?? '')?.definition as ModelDefinition | undefined;
  const order = topologicalOrder(
    new Map(Object.keys(pointer.models).map((m) => [m, definitionOf(m)?.dependsOn ?? []])),
  ).filter((m) => request.select === undefined || request.select.has(m));
  const resolve = (name: string): string => {
    const target = pointer.models[name];
    if (target) return warehouse.quoteRelation(physicalTable(target.table));
    const source = request.project.sources.get(name);
    if (source) return warehouse.quoteRelation(sourceRelation(source));
    throw new WorkFailedError(`${name} is neither a model of the release nor a source of the project`);
  };
  const run = await state.createRun({
    id: `run-${randomBytes(4).toString('hex')}`,
    environment: request.environment,
    releaseId: pointer.releaseId,
    actor: request.actor,
  });
  const results = new Map<string, ModelRunResult>();
  await runDag({
    order,
    dependsOn: (name) => definitionOf(name)?.dependsOn ?? [],
    concurrency: request.concurrency,
    onSkip: (name, because) => {
      const pointerOf = pointer.models[name];
      results.set(name, {
        model: name,
        table: pointerOf?.table ?? '',
        kind: definitionOf(name)?.kind ?? 'table',
        action: 'skipped',
        rows: undefined,
        added: undefined,
        durationMs: 0,
        error: because,
      });
    },
    run: async (name) => {
      const began = performance.now();
      const table = pointer.models[name]?.table as string;
      const definition = definitionOf(name);
      const base = { model: name, table, kind: definition?.kind ?? ('table' as const) };
      try {
        if (!definition) throw new WorkFailedError(`the state store has no definition of ${name}'s version`);
        if (definition.kind === 'view') {
          results.set(name, {
            ...base,
            action: 'unchanged',
            rows: undefined,
            added: undefined,
            durationMs: 0,
            error: undefined,
          });
          return;
        }
        const compile = () =>
          compileFor(definition, request.project, pointer.models[name]?.fingerprint, resolve, services);
        const relation = physicalTable(table);
        if (definition.kind === 'incremental' && definition.timeColumn) {
          const r = await warehouse.incremental.merge(relation, await compile(), {
            timeColumn: definition.timeColumn,
            uniqueKey: definition.uniqueKey,
            lookbackMs: definition.lookbackMs,
          });
          results.set(name, {
            ...base,
            action: 'incremental',
            rows: r.rows,
            added: r.added,
            durationMs: performance.now() - began,
            error: undefined,
          });
        } else {
          const before = await warehouse.rowCount(relation).catch(() => 0);
          // A full refresh is the builder's own step: the same table, built again in place.
          const rows = await buildModelVersion(services, {
            model: name,
            kind: definition.kind,
            relation,
            compile,
            lineage: {
              job: name,
              inputs: definition.dependsOn.flatMap((d): RelationRef[] => {
                const target = pointer.models[d];
                if (target) return [physicalTable(target.table)];
                const source = request.project.sources.get(d);
                return source ? [sourceRelation(source)] : [];
              }),
            },
          });
          results.set(name, {
            ...base,
            action: 'rebuilt',
            rows,
            added: (rows ?? 0) - before,
            durationMs: performance.now() - began,
            error: undefined,
          });
        }
      } catch (error) {
        const message = errorMessage(error);
        results.set(name, {
          ...base,
          action: 'failed',
          rows: undefined,
          added: undefined,
          durationMs: performance.now() - began,
          error: message,
        });
        throw error;
      }
    },
  });
  const models = order.map((m) => results.get(m) as ModelRunResult);
  const failed = models.filter((m) => m.action === 'failed');
  const error = failed.length > 0 ? failed.map((m) => `${m.model}: ${m.error}`).join('; ') : undefined;
  await state.finishRun(run.id, {
    status: failed.length > 0 ? 'failed' : 'succeeded',
    models,
    ...(error === undefined ? {} : { error }),
  });
  const finished = (await state.listRuns({ environment: request.environment })).find(
    (r) => r.id === run.id,
  ) as RunRecord;
  return { run: finished, models };
}

async function compileFor(
  definition: ModelDefinition,
  project: Project,
  fingerprint: string | undefined,
  resolve: (name: string) => string,
  services: ReleaseServices,
): Promise<string> {
  if (definition.language === 'sql') return compileSqlModel(definition, resolve);
  const model = project.models.get(definition.name);
  if (!model || model.normalized !== definition.normalized) {
    throw new WorkFailedError(
      `${definition.name} is a TypeScript model whose released version (${fingerprint}) differs from the working tree`,
      { hint: 'run from a checkout of the released commit' },
    );
  }
  return compileModel(model, resolve, services.warehouse);
}
