/**
 * The definition behind a fingerprint, as the state store keeps it: enough to show a SQL diff,
 * classify a change against a later version (the normalized parse tree) and re-run the model in
 * a later `slipway run` without the commit it came from (text, reference positions, settings).
 * Plain JSON, so it round-trips through any state store.
 */
import type { ModelNode } from '../project/project.js';

export type ModelDefinition = Pick<
  ModelNode,
  | 'name'
  | 'kind'
  | 'language'
  | 'file'
  | 'text'
  | 'bodyOffset'
  | 'references'
  | 'dependsOn'
  | 'normalized'
  | 'timeColumn'
  | 'uniqueKey'
  | 'lookbackMs'
  | 'changeCategory'
> & {
  /** Ids of the checks declared on the model (what gates a release that builds it). */
  readonly checks: readonly string[];
};

export function modelDefinition(model: ModelNode): ModelDefinition {
  return {
    name: model.name,
    kind: model.kind,
    language: model.language,
    file: model.file,
    text: model.text,
    bodyOffset: model.bodyOffset,
    references: model.references,
    dependsOn: model.dependsOn,
    normalized: model.normalized,
    timeColumn: model.timeColumn,
    uniqueKey: model.uniqueKey,
    lookbackMs: model.lookbackMs,
    changeCategory: model.changeCategory,
    checks: model.checks.map((c) => c.id),
  };
}

/** The SELECT of a SQL model without its header (what a diff shows). */
export function modelBody(definition: Pick<ModelDefinition, 'text' | 'bodyOffset'>): string {
  return `${definition.text.slice(definition.bodyOffset).trim()}\n`;
}
