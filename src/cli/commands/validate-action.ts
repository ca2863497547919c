/**
 * `slipway validate`: load the project and report every problem, or a one-line summary. Besides
 * the project's own rules it refuses what the configured warehouses cannot do (read without
 * connecting, from the capabilities each engine declares), and on a DuckDB project what the
 * models' columns rule out (checks on columns a model does not produce, unit-test fixtures with
 * wrong or missing columns), bound on a private in-memory DuckDB.
 */
import type { Command } from 'commander';
import { offlineShapeProblems } from '../../app/offline-shapes.js';
import { warehouseMisfits } from '../../app/warehouse-fit.js';
import { ProjectError } from '../../core/errors.js';
import { plural } from '../../core/plural.js';
import { type GlobalOptions, openProject, projectCacheDir } from '../project-context.js';
import { createOutput, status } from '../render/terminal.js';

export async function validateAction(this: Command) {
  const options = this.optsWithGlobals<GlobalOptions>();
  const output = createOutput({ json: Boolean(options.json) });
  const project = await openProject(options);
  const problems = [
    ...warehouseMisfits(project),
    ...(await offlineShapeProblems(project, { cacheDir: projectCacheDir(project.root) })),
  ];
  if (problems.length > 0) throw new ProjectError(problems);
  const checks = [...project.models.values(), ...project.sources.values()].reduce(
    (n, node) => n + node.checks.length,
    0,
  );
  const summary = {
    valid: true,
    project: project.config.name,
    models: project.models.size,
    sources: project.sources.size,
    checks,
    unitTests: project.tests.length,
    environments: Object.keys(project.config.environments),
  };
  output.data(summary);
  output.line(
    `${status.ok('✓')} ${status.bold(summary.project)} is valid: ${plural(summary.models, 'model')}, ${plural(summary.sources, 'source')}, ` +
      `${plural(summary.checks, 'check')}, ${plural(summary.unitTests, 'unit test')}; environments ${summary.environments.join(', ')}`,
  );
}
