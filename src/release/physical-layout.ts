/**
 * Where things live in the warehouse. Physical tables (one per model version) sit in
 * `slipway_physical`; file sources are views in `slipway_sources`; an environment is a schema of
 * views named after the models, each selecting from one physical table.
 */
import { PHYSICAL_SCHEMA, SOURCES_SCHEMA } from '../core/warehouse-layout.js';
import type { ModelNode, SourceNode } from '../project/project.js';
import type { RelationRef } from '../warehouse/warehouse.js';

// The schema names themselves are shared with the warehouse adapters (`core/warehouse-layout.ts`).
export { PHYSICAL_SCHEMA, SOURCES_SCHEMA };

/** `model__<fingerprint>`: the name of one model version's physical table. */
export function physicalTableName(model: string, fingerprint: string): string {
  return `${model}__${fingerprint}`;
}

export function physicalRelation(model: Pick<ModelNode, 'name'>, fingerprint: string): RelationRef {
  return { schema: PHYSICAL_SCHEMA, name: physicalTableName(model.name, fingerprint) };
}

/** The relation of a physical table known by name (as pointers store it). */
export function physicalTable(name: string): RelationRef {
  return { schema: PHYSICAL_SCHEMA, name };
}

export function sourceRelation(source: SourceNode): RelationRef {
  return source.table ?? { schema: SOURCES_SCHEMA, name: source.name };
}

export function environmentRelation(environment: string, name: string): RelationRef {
  return { schema: environment, name };
}
