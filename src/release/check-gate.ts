/**
 * The release gate made of the project's data-quality checks: the checks declared on the models
 * whose tables are new to the environment (built by this release or reused) run against them (references to other models resolve to
 * the tables the environment will show after the switch), and an error-severity failure stops
 * the release before the switch. Warn-severity failures are reported and do not block.
 */

import { plural } from '../core/plural.js';
import type { Project } from '../project/project.js';
import { isBlocking } from '../quality/check-result.js';
import { projectChecks } from '../quality/project-checks.js';
import { runChecks } from '../quality/run-checks.js';
import type { RelationRef, Warehouse } from '../warehouse/warehouse.js';
import type { ReleaseGate } from './execute-release.js';
import { physicalTable, sourceRelation } from './physical-layout.js';

export interface CheckGateOptions {
  readonly project: Project;
  readonly warehouse: Warehouse;
  /** Failing rows kept per failed check; default the project's `defaults.check_sample_rows`. */
  readonly sampleRows?: number;
  readonly signal?: AbortSignal;
}

/**
 * @example
 * await applyRelease(services, { ...request, gate: checkGate({ project, warehouse }) });
 */
export function checkGate({
  project,
  warehouse,
  sampleRows = project.config.defaults?.check_sample_rows,
  signal,
}: CheckGateOptions): ReleaseGate {
  return async function checksGate({ plan, target }) {
    // Every table new to the environment: built now, or reused from an earlier attempt that
    // may never have been checked (a release interrupted or failed after building it).
    const models = new Set([...plan.build, ...plan.reuse].map((b) => b.model));
    const checks = projectChecks(project, models);
    if (checks.length === 0) return { passed: true, summary: 'no checks on the new versions' };
    const relationOf = (name: string): RelationRef => {
      const pointer = target[name];
      if (pointer) return physicalTable(pointer.table);
      const source = project.sources.get(name);
      return source ? sourceRelation(source) : { schema: warehouse.defaultSchema, name };
    };
    const summary = await runChecks({
      warehouse,
      checks,
      relationOf,
      names: [...Object.keys(target), ...project.sources.keys()],
      ...(sampleRows === undefined ? {} : { sampleRows }),
      ...(signal ? { signal } : {}),
    });
    const blocking = summary.results.filter(isBlocking);
    const warned = summary.results.filter(
      (r) => r.status === 'warn' || (r.status !== 'pass' && !isBlocking(r)),
    );
    const head = `${plural(summary.results.length, 'check')} on ${plural(models.size, 'new model version')}`;
    const summaryLine =
      blocking.length > 0
        ? `${head}: ${blocking.length} failed (${blocking
            .slice(0, 5)
            .map((r) => `${r.id}: ${r.message}`)
            .join('; ')}${blocking.length > 5 ? '; …' : ''})`
        : `${head} passed${warned.length > 0 ? ` (${warned.length} warnings)` : ''}`;
    return { passed: !summary.blocking, summary: summaryLine, details: summary };
  };
}
