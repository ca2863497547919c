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
      'slipway.model': job.model,
      'slipway.kind': job.kind,
      'slipway.relation': `${relation.schema}.${relation.name}`,
    },
    async function buildModelSpan(span) {
      const sql = await job.compile();
      if (job.kind === 'view') {
        await warehouse.createView(relation, sql);
        return undefined;
      }
      await warehouse.createTableAs(relation, sql, job.signal ? { signal: job.signal } : undefined);
      const rows = await warehouse.rowCount(relation);
      span.setAttribute('slipway.rows', rows);
      return rows;
    },
  );
}
