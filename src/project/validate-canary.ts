/**
 * Validation of the `canary:` settings of slipway.yaml's environments. What the file alone can
 * tell (a canary strategy without settings, steps that do not widen to 100 %) is checked with the
 * file; what needs the project (a key column a source does not declare, a metric on an unknown
 * model) is collected as references with their positions and checked once sources and models are
 * loaded, so every error is reported at once, at `file:line:col`.
 */
import { closestMatch } from '../core/did-you-mean.js';
import type { Diagnostic, SourcePosition } from '../core/errors.js';
import type { ModelNode, SourceNode } from './project.js';
import type { ProjectConfig } from './schemas.js';
import type { YamlSource } from './yaml-source.js';

/** A name in an environment's canary settings that only the loaded project can resolve. */
export type CanaryReference =
  | {
      readonly kind: 'key-column';
      readonly environment: string;
      readonly source: string;
      readonly column: string;
      readonly position: SourcePosition;
    }
  | {
      readonly kind: 'metric-model';
      readonly environment: string;
      readonly model: string;
      readonly position: SourcePosition;
    };

/** Checks what slipway.yaml alone can tell; returns what needs the project. */
export function validateCanarySettings(
  source: YamlSource,
  config: ProjectConfig,
  diagnostics: Diagnostic[],
): CanaryReference[] {
  const references: CanaryReference[] = [];
  for (const [environment, env] of Object.entries(config.environments)) {
    const canary = env.canary;
    if (!canary) {
      if (env.strategy === 'canary') {
        diagnostics.push({
          position: source.positionOf(['environments', environment, 'strategy']),
          message: `environment '${environment}': the canary strategy needs canary settings (at least the key)`,
          hint: 'add `canary: { key: customer_id }` to the environment (docs/canary.md)',
        });
      }
      continue;
    }
    const steps = canary.steps ?? [];
    const widening = steps.every((s, i) => i === 0 || s > (steps[i - 1] as number));
    if (canary.steps && (!widening || steps[steps.length - 1] !== 100)) {
      diagnostics.push({
        position: source.positionOf(['environments', environment, 'canary', 'steps']),
        message: `environment '${environment}': canary steps must increase and end at 100, not [${steps.join(', ')}]`,
        hint: 'for example steps: [5, 25, 100]',
      });
    }
    for (const [name, column] of Object.entries(canary.key_columns ?? {})) {
      references.push({
        kind: 'key-column',
        environment,
        source: name,
        column,
        position: source.positionOf(['environments', environment, 'canary', 'key_columns', name]),
      });
    }
    (canary.analysis?.metrics ?? []).forEach((metric, index) => {
      references.push({
        kind: 'metric-model',
        environment,
        model: metric.model,
        position: source.positionOf([
          'environments',
          environment,
          'canary',
          'analysis',
          'metrics',
          index,
          'model',
        ]),
      });
    });
  }
  return references;
}

/** Checks the references against the loaded sources (their declared columns) and models. */
export function validateCanaryReferences(
  references: readonly CanaryReference[],
  sources: ReadonlyMap<string, SourceNode>,
  models: ReadonlyMap<string, ModelNode>,
  diagnostics: Diagnostic[],
): void {
  for (const ref of references) {
    if (ref.kind === 'metric-model') {
      if (!models.has(ref.model)) {
        const near = closestMatch(ref.model, [...models.keys()]);
        diagnostics.push({
          position: ref.position,
          message: `environment '${ref.environment}': canary metric on unknown model '${ref.model}'`,
          ...(near ? { hint: `did you mean '${near}'?` } : {}),
        });
      }
      continue;
    }
    const source = sources.get(ref.source);
    if (!source) {
      const near = closestMatch(ref.source, [...sources.keys()]);
      diagnostics.push({
        position: ref.position,
        message: `environment '${ref.environment}': canary key_columns names unknown source '${ref.source}'`,
        ...(near ? { hint: `did you mean '${near}'?` } : {}),
      });
      continue;
    }
    const declared = source.columns.map((c) => c.name);
    if (!declared.includes(ref.column)) {
      const near = closestMatch(ref.column, declared);
      diagnostics.push({
        position: ref.position,
        message:
          declared.length === 0
            ? `environment '${ref.environment}': source '${ref.source}' declares no columns, so its canary key column '${ref.column}' cannot be checked`
            : `environment '${ref.environment}': source '${ref.source}' has no column '${ref.column}' to carry the canary key`,
        hint:
          declared.length === 0
            ? `declare the source's columns in ${source.file}`
            : near
              ? `did you mean '${near}'?`
              : `its columns: ${declared.join(', ')}`,
      });
    }
  }
}
