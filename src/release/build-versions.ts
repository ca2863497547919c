/**
 * The builder: builds the model versions a release needs (apply, build, CI, self-heal), in
 * dependency order with the project's concurrency (`runDag`), each into its own physical table
 * by the one per-model step (`buildModelVersion`). The state store hears of each table before it
 * is built (`building`) and after (`built`), so a killed release leaves only tables that are
 * either recorded as built (and reused by the next attempt) or never referenced (and collected).
 */
import { WorkFailedError } from '../core/errors.js';
import type { EnvironmentModels } from '../core/release.js';
import { runDag } from '../core/run-dag.js';
import type { ModelNode, Project } from '../project/project.js';
import type { StateStore } from '../state/state-store.js';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/tracer.js';
import type { RelationRef, Warehouse } from '../warehouse/warehouse.js';
import { buildModelVersion } from './build-model-version.js';
import { compileModel } from './build-models.js';
import { type BuildReporter, BuildResults } from './build-results.js';
import { physicalTable, sourceRelation } from './physical-layout.js';
import { STEP, type StepHook } from './release-steps.js';

export interface BuiltVersion {
  readonly model: string;
  readonly fingerprint: string;
  readonly kind: ModelNode['kind'];
  readonly relation: RelationRef;
  readonly rows: number | undefined;
  /** Ids of the checks declared on the model. */
  readonly checks: readonly string[];
}

export interface BuildVersionsRequest {
  readonly project: Project;
  readonly warehouse: Warehouse;
  readonly state: StateStore;
  /** The environment's models after the release: where every reference resolves. */
  readonly target: EnvironmentModels;
  readonly build: readonly { readonly model: string; readonly table: string }[];
  readonly concurrency: number;
  readonly step: StepHook;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  readonly reporter?: BuildReporter;
  readonly signal?: AbortSignal;
}

export async function buildVersions(request: BuildVersionsRequest): Promise<BuiltVersion[]> {
  const { project, warehouse, state, target, step, reporter } = request;
  const tableOf = new Map(request.build.map((b) => [b.model, b.table]));
  const resolve = (name: string): string => {
    const source = project.sources.get(name);
    if (source) return warehouse.quoteRelation(sourceRelation(source));
    const pointer = target[name];
    if (!pointer) throw new Error(`${name} is not part of the release`);
    return warehouse.quoteRelation(physicalTable(pointer.table));
  };
  const inputRelation = (name: string): RelationRef[] => {
    const source = project.sources.get(name);
    if (source) return [sourceRelation(source)];
    const pointer = target[name];
    return pointer ? [physicalTable(pointer.table)] : [];
  };
  const results = new BuildResults(request.logger, reporter);
  const outcomes = await runDag<BuiltVersion>({
    order: request.build.map((b) => b.model),
    dependsOn: (name) => project.models.get(name)?.dependsOn ?? [],
    concurrency: request.concurrency,
    signal: request.signal,
    onSkip: (name, because) => {
      results.skipped(
        project.models.get(name) as ModelNode,
        physicalTable(tableOf.get(name) as string),
        because,
      );
    },
    run: async (name) => {
      const model = project.models.get(name) as ModelNode;
      const table = tableOf.get(name) as string;
      const relation = physicalTable(table);
      const fingerprint = target[name]?.fingerprint as string;
      await step(STEP.build(name));
      reporter?.started(model);
      const began = performance.now();
      try {
        await state.markPhysicalBuilding({ name: table, model: name, fingerprint, kind: model.kind });
        const rows = await buildModelVersion(request, {
          model: name,
          kind: model.kind,
          relation,
          compile: () => compileModel(model, resolve, warehouse),
          signal: request.signal,
          lineage: { job: model.name, inputs: model.dependsOn.flatMap((d) => inputRelation(d)) },
        });
        await step(STEP.materialized(name));
        const columns = (await warehouse.describe(relation))?.map((c) => ({ name: c.name, type: c.type }));
        const durationMs = performance.now() - began;
        await state.markPhysicalBuilt(table, { rows, columns, buildMs: durationMs });
        results.built(model, relation, rows, began);
        await step(STEP.built(name));
        return {
          model: name,
          fingerprint,
          kind: model.kind,
          relation,
          rows,
          checks: model.checks.map((c) => c.id),
        };
      } catch (error) {
        results.failed(model, relation, error, began);
        throw error;
      }
    },
  });
  const failed = [...outcomes].filter(([, o]) => o.status !== 'succeeded');
  if (failed.length > 0) {
    const lines = failed.map(([name]) => `${name}: ${results.get(name)?.message ?? 'did not build'}`);
    throw new WorkFailedError(
      `${failed.length} of ${request.build.length} models did not build\n  ${lines.join('\n  ')}`,
    );
  }
  return request.build.map((b) => {
    const outcome = outcomes.get(b.model);
    return (outcome as { value: BuiltVersion }).value;
  });
}
