/**
 * `slipway validate`: load the project and report every problem, or a one-line summary. Besides
 * the project's own rules it refuses what the configured warehouses cannot do (read without
 * connecting, from the capabilities each engine declares).
 */
import type { Command } from 'commander';
import { warehouseMisfits } from '../../app/warehouse-fit.js';
import { ProjectError } from '../../core/errors.js';
import { plural } from '../../core/plural.js';
import { type GlobalOptions, openProject } from '../project-context.js';
import { createOutput, status } from '../render/terminal.js';

export async function validateAction(this: Command) {
  const options = this.optsWithGlobals<GlobalOptions>();
  const output = createOutput({ json: Boolean(options.json) });
  const project = await openProject(options);
  const misfits = warehouseMisfits(project);
  if (misfits.length > 0) throw new ProjectError(misfits);
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
