/**
 * `slipway infra generate`: Terraform JSON for what the project defines (CloudWatch dashboard
 * per environment, CloudWatch alarms from alerts.yaml, the environments' warehouse databases)
 * into infra/generated/. Files whose bytes would not change are left alone.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { alarmDefinitions } from '../../infra/alarm-rules.js';
import { generateInfra, writeGeneratedInfra } from '../../infra/generate.js';
import { type GlobalOptions, openProject } from '../project-context.js';
import { createOutput, status } from '../render/terminal.js';

interface InfraGenerateOptions extends GlobalOptions {
  out?: string;
  region: string;
}

export async function infraGenerateAction(this: Command) {
  const options = this.optsWithGlobals<InfraGenerateOptions>();
  const output = createOutput({ json: Boolean(options.json) });
  const project = await openProject(options);
  const environments = Object.keys(project.config.environments);
  const { alarms, skipped } = alarmDefinitions(environments, project.alerts);
  const files = generateInfra(
    {
      name: project.config.name,
      owner: project.config.defaults?.owner ?? 'unknown',
      region: options.region,
      // An environment's relations live in the schema named after it (release/physical-layout.ts).
      environments: environments.map((name) => ({ name, schema: name })),
    },
    alarms,
  );
  const dir = options.out ?? path.join(project.root, 'infra', 'generated');
  const written = await writeGeneratedInfra(dir, files);
  output.data({
    dir,
    files: Object.keys(files).sort(),
    written,
    alarms: alarms.map((a) => `${a.environment}/${a.name}`),
    skipped,
  });
  output.line(
    `${status.ok('✓')} ${Object.keys(files).length} files in ${dir}; ${written.length} changed; ${alarms.length} alarms`,
  );
  for (const s of skipped)
    output.note(status.warn(`! alert rule ${s.rule} (${s.kind}) has no CloudWatch alarm: ${s.reason}`));
}
