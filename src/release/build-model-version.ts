/**
 * The one step that builds a model version's physical relation, shared by every builder: a
 * release's `buildVersions` (apply, build, CI, self-heal) and `run`'s full rebuild of a table.
 * The SELECT is compiled inside the model's span, so a slow TypeScript model shows as its own.
 */
import type { ModelNode } from '../project/project.js';
import type { Telemetry } from '../telemetry/tracer.js';
import type { RelationRef, Warehouse } from '../warehouse/warehouse.js';

export interface ModelVersionJob {
  readonly model: string;
  readonly kind: ModelNode['kind'];
  readonly relation: RelationRef;
  /** The model's SELECT with every reference resolved. */
  readonly compile: () => Promise<string>;
  readonly signal?: AbortSignal | undefined;
  /** What lineage needs (only read when lineage is on): the job's name and what the model reads. */
  readonly lineage?: {
    readonly job: string;
    readonly inputs: readonly RelationRef[];
  };
}

/**
 * Builds the relation — a view for `view` models, a table otherwise (an incremental model's
 * table is its full backfill) — and returns the table's row count (undefined for a view).
 *
 * @example
 * const rows = await buildModelVersion({ warehouse, telemetry }, {
 *   model: 'orders', kind: 'table', relation, compile: async () => 'select 1 as id',
 * });
 */
export async function buildModelVersion(
  services: { readonly warehouse: Warehouse; readonly telemetry: Telemetry },
  job: ModelVersionJob,
): Promise<number | undefined> {
  const { warehouse } = services;
  const { relation } = job;
  return services.telemetry.span(
    `model ${job.model}`,
    {
      'slipway.span': 'model',
      'slipway.model': job.model,
      'slipway.kind': job.kind,
      'slipway.relation': `${relation.schema}.${relation.name}`,
      'cicd.pipeline.task.name': job.model,
      'cicd.pipeline.task.type': 'build',
    },
    async function buildModelSpan(span) {
      const sql = await job.compile();
      const lineage = services.telemetry.lineage;
      const namespace = lineage?.datasetNamespace(warehouse.engine) ?? '';
      const dataset = (r: RelationRef) => ({ namespace, name: `${r.schema}.${r.name}` });
      const run =
        lineage && job.lineage
          ? lineage.start({
              name: job.lineage.job,
              inputs: job.lineage.inputs.map(dataset),
              outputs: [dataset(relation)],
              sql,
            })
          : undefined;
      try {
        let rows: number | undefined;
        if (job.kind === 'view') {
          await warehouse.createView(relation, sql);
        } else {
          await warehouse.createTableAs(relation, sql, job.signal ? { signal: job.signal } : undefined);
          rows = await warehouse.rowCount(relation);
          span.setAttribute('slipway.rows', rows);
        }
        if (run) {
          const schema = (await warehouse.describe(relation))?.map((c) => ({ name: c.name, type: c.type }));
          run.complete({
            outputs: [
              {
                dataset: dataset(relation),
                ...(schema ? { schema } : {}),
                ...(rows === undefined ? {} : { rowCount: rows }),
              },
            ],
          });
        }
        return rows;
      } catch (error) {
        run?.fail(error instanceof Error ? error.message : String(error));
        throw error;
      }
    },
  );
}
