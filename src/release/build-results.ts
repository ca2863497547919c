/**
 * What happened to each model of a build, recorded in one place for both builders (`slipway
 * build`'s `buildModels` and a release's `buildVersions`): the result is kept, the reporter hears
 * of it, and the log says so.
 */

import { errorMessage } from '../core/errors.js';
import type { ModelNode } from '../project/project.js';
import type { Logger } from '../telemetry/logger.js';
import type { RelationRef } from '../warehouse/warehouse.js';

export interface ModelBuildResult {
  readonly name: string;
  readonly kind: ModelNode['kind'];
  readonly status: 'built' | 'failed' | 'skipped';
  readonly relation: RelationRef;
  readonly rows: number | undefined;
  readonly durationMs: number;
  readonly message: string | undefined;
}

export interface BuildReporter {
  started(model: ModelNode): void;
  finished(result: ModelBuildResult): void;
}

export class BuildResults {
  readonly #results = new Map<string, ModelBuildResult>();
  readonly #reporter: BuildReporter | undefined;
  readonly #logger: Logger;

  constructor(logger: Logger, reporter: BuildReporter | undefined) {
    this.#logger = logger;
    this.#reporter = reporter;
  }

  /** The model's result, once it has one. */
  get(name: string): ModelBuildResult | undefined {
    return this.#results.get(name);
  }

  skipped(model: ModelNode, relation: RelationRef, because: string): void {
    this.#record({ ...this.#of(model, relation, 0), status: 'skipped', message: because });
  }

  /** Records a built model; `began` is when its build started (`performance.now()`). */
  built(model: ModelNode, relation: RelationRef, rows: number | undefined, began: number): void {
    const result = {
      ...this.#of(model, relation, performance.now() - began),
      status: 'built' as const,
      rows,
    };
    this.#record(result);
    this.#logger.debug({ model: model.name, rows, ms: Math.round(result.durationMs) }, 'model built');
  }

  /** Records a failed model and returns the failure's message. */
  failed(model: ModelNode, relation: RelationRef, error: unknown, began: number): string {
    const message = errorMessage(error);
    this.#record({ ...this.#of(model, relation, performance.now() - began), status: 'failed', message });
    this.#logger.error({ model: model.name, err: message }, 'model failed');
    return message;
  }

  #of(model: ModelNode, relation: RelationRef, durationMs: number): Omit<ModelBuildResult, 'status'> {
    return { name: model.name, kind: model.kind, relation, rows: undefined, durationMs, message: undefined };
  }

  #record(result: ModelBuildResult): void {
    this.#results.set(result.name, result);
    this.#reporter?.finished(result);
  }
}
