/**
 * Builds models into the physical layer and points an environment's views at them. Used by
 * `slipway build` (the dev loop). Models run in dependency order, independent ones concurrently;
 * a failure skips only what is downstream, and the environment is switched only when every
 * selected model built, in one transaction, so it is never left half built.
 */

import { InvalidArgumentError } from '../core/errors.js';
import { runDag } from '../core/run-dag.js';
import { compileSqlModel } from '../project/compile-model.js';
import type { ModelNode, Project, SourceNode } from '../project/project.js';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/tracer.js';
import type { RelationRef, Warehouse } from '../warehouse/warehouse.js';
import { type BuildReporter, BuildResults, type ModelBuildResult } from './build-results.js';
import {
  environmentRelation,
  PHYSICAL_SCHEMA,
  physicalRelation,
  SOURCES_SCHEMA,
  sourceRelation,
} from './physical-layout.js';

export interface BuildRequest {
  readonly project: Project;
  readonly warehouse: Warehouse;
  readonly environment: string;
  /** Model names to build, in dependency order. */
  readonly selected: readonly string[];
  readonly fingerprints: ReadonlyMap<string, string>;
  readonly concurrency: number;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  readonly reporter?: BuildReporter;
  readonly signal?: AbortSignal;
}

export interface BuildSummary {
  readonly environment: string;
  readonly results: readonly ModelBuildResult[];
  /** True when every selected model built and the environment was switched. */
  readonly switched: boolean;
  readonly durationMs: number;
}

export async function buildModels(request: BuildRequest): Promise<BuildSummary> {
  const { project, warehouse, environment, selected, fingerprints, telemetry, logger, reporter } = request;
  const startedAt = performance.now();
  return telemetry.span(
    'slipway.build',
    {
      'slipway.environment': environment,
      'slipway.models': selected.length,
      'slipway.project': project.config.name,
    },
    async (buildSpan) => {
      await prepareSchemas(warehouse, environment);
      await createSourceViews(warehouse, [...project.sources.values()]);
      const existing = new Set((await warehouse.listRelations(PHYSICAL_SCHEMA)).map((r) => r.name));
      const chosen = new Set(selected);
      const physicalOf = (name: string): RelationRef => {
        const model = project.models.get(name) as ModelNode;
        return physicalRelation(model, fingerprints.get(name) ?? '');
      };
      for (const name of selected) {
        const model = project.models.get(name) as ModelNode;
        for (const parent of model.dependsOn) {
          if (project.models.has(parent) && !chosen.has(parent) && !existing.has(physicalOf(parent).name)) {
            throw new InvalidArgumentError(
              `${name} reads ${parent}, which is not built in this version yet`,
              {
                hint: `select it too: --select +${name}`,
              },
            );
          }
        }
      }
      const resolve = (name: string): string => {
        const source = project.sources.get(name);
        return warehouse.quoteRelation(source ? sourceRelation(source) : physicalOf(name));
      };

      const results = new BuildResults(logger, reporter);
      const outcomes = await runDag({
        order: selected,
        dependsOn: (name) => project.models.get(name)?.dependsOn ?? [],
        concurrency: request.concurrency,
        signal: request.signal,
        onSkip: (name, because) => {
          results.skipped(project.models.get(name) as ModelNode, physicalOf(name), because);
        },
        run: (name) => {
          const model = project.models.get(name) as ModelNode;
          reporter?.started(model);
          const relation = physicalOf(name);
          const began = performance.now();
          return telemetry
            .span(
              `model ${name}`,
              {
                'slipway.model': name,
                'slipway.kind': model.kind,
                'slipway.relation': `${relation.schema}.${relation.name}`,
              },
              async (span) => {
                const sql = await compileModel(model, resolve, warehouse);
                const rows = await materialize(warehouse, model.kind, relation, sql, request.signal);
                if (rows !== undefined) span.setAttribute('slipway.rows', rows);
                return rows;
              },
            )
            .then(
              (rows) => results.built(model, relation, rows, began),
              (error: unknown) => {
                results.failed(model, relation, error, began);
                throw error;
              },
            );
        },
      });
      const allBuilt = selected.every((n) => outcomes.get(n)?.status === 'succeeded');
      if (allBuilt) {
        const built = new Set((await warehouse.listRelations(PHYSICAL_SCHEMA)).map((r) => r.name));
        const views = [...project.models.keys()]
          .filter((n) => built.has(physicalOf(n).name))
          .map((n) => ({
            view: environmentRelation(environment, n),
            sql: `select * from ${warehouse.quoteRelation(physicalOf(n))}`,
          }));
        // The views no longer show a release: the next release must replace all of them.
        await warehouse.environments.forget(environment);
        await warehouse.replaceViews(views);
      }
      buildSpan.setAttribute('slipway.switched', allBuilt);
      return {
        environment,
        results: selected.map((n) => results.get(n) as ModelBuildResult),
        switched: allBuilt,
        durationMs: performance.now() - startedAt,
      };
    },
  );
}

/**
 * Builds one model version into its physical relation: a view for `view` models, a table (the
 * full result: for an incremental model, its backfill) otherwise. Returns the table's row count.
 */
export async function materialize(
  warehouse: Warehouse,
  kind: ModelNode['kind'],
  relation: RelationRef,
  sql: string,
  signal?: AbortSignal,
): Promise<number | undefined> {
  if (kind === 'view') {
    await warehouse.createView(relation, sql);
    return undefined;
  }
  await warehouse.createTableAs(relation, sql, signal ? { signal } : undefined);
  return warehouse.rowCount(relation);
}

export async function prepareSchemas(warehouse: Warehouse, environment: string): Promise<void> {
  for (const schema of [SOURCES_SCHEMA, PHYSICAL_SCHEMA, environment]) await warehouse.createSchema(schema);
}

/** File sources become views over the files (where the engine reads files), so models read them by name. */
export async function createSourceViews(warehouse: Warehouse, sources: readonly SourceNode[]): Promise<void> {
  // Refused before any view is created, so nothing is half done.
  const fileSource = warehouse.capabilities.readsLocalFiles ? undefined : sources.find((s) => s.files);
  if (fileSource) {
    throw new InvalidArgumentError(
      `${positionOf(fileSource)}: source '${fileSource.name}' reads the local files ${fileSource.files}, which the ${warehouse.engine} warehouse cannot read`,
      {
        hint: 'load the files into a table and declare the source with `table:`, or use a warehouse that reads files',
      },
    );
  }
  for (const source of sources) {
    if (!source.files) continue;
    await warehouse.createView(
      sourceRelation(source),
      warehouse.files.selectFiles(source.files, source.format ?? 'parquet'),
    );
  }
}

function positionOf({ position }: SourceNode): string {
  return `${position.file}:${position.line}:${position.column}`;
}

/** The SELECT that builds a model, with every reference resolved. */
export async function compileModel(
  model: ModelNode,
  resolve: (name: string) => string,
  warehouse: Warehouse,
): Promise<string> {
  if (model.language === 'sql') return compileSqlModel(model, resolve);
  if (!model.build) throw new Error(`${model.name} has no build function`);
  const inputs = new Set(model.dependsOn);
  const sql = await model.build({
    ref: (name) => {
      if (!inputs.has(name)) {
        throw new InvalidArgumentError(`${model.name} calls ref('${name}') but does not list it in inputs`, {
          hint: `add '${name}' to inputs in ${model.file}`,
        });
      }
      return resolve(name);
    },
    sql: async (query) => (await warehouse.query(query)).rows,
  });
  return `${sql.trim().replace(/;\s*$/, '')}\n`;
}
