/**
 * Every check a project declares, in the order reports list them (sources, then models in
 * dependency order), plus each source's `freshness:` expectation as a freshness check on its
 * `loaded_at` column.
 */
import type { CheckDeclaration, Project, SourceNode } from '../project/project.js';

export function projectChecks(project: Project, nodes?: ReadonlySet<string>): CheckDeclaration[] {
  const out: CheckDeclaration[] = [];
  for (const name of project.order) {
    if (nodes && !nodes.has(name)) continue;
    const source = project.sources.get(name);
    const node = source ?? project.models.get(name);
    if (!node) continue;
    if (source) {
      const freshness = sourceFreshnessCheck(source);
      if (freshness) out.push(freshness);
    }
    out.push(...node.checks);
  }
  return out;
}

/** A source's `freshness: { warn_after, error_after }` as a check on its load-time column. */
export function sourceFreshnessCheck(source: SourceNode): CheckDeclaration | undefined {
  const column = source.loadedAt ?? source.eventTime;
  const { warnAfterMs, errorAfterMs } = source.freshness;
  if (!column || (warnAfterMs === undefined && errorAfterMs === undefined)) return undefined;
  const params: Record<string, unknown> = { column };
  if (warnAfterMs !== undefined) params['warn_after'] = `${warnAfterMs}ms`;
  if (errorAfterMs !== undefined) params['error_after'] = `${errorAfterMs}ms`;
  return Object.freeze({
    id: `${source.name}.${column}.source_freshness`,
    kind: 'freshness',
    target: source.name,
    column,
    severity: 'error',
    params: Object.freeze(params),
    position: source.position,
  });
}
