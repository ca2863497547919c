/** `slipway diff ENV_A ENV_B [--model M]`: what changed in the data between two environments. */
import type { Command } from 'commander';
import { openWarehouse } from '../../app/open-warehouse.js';
import { InvalidArgumentError } from '../../core/errors.js';
import type { ModelNode } from '../../project/project.js';
import { type DataDiffResult, diffData, diffKeyOf as keyOf } from '../../quality/data-diff.js';
import { environmentRelation } from '../../release/physical-layout.js';
import { type GlobalOptions, openProject, requireEnvironment } from '../project-context.js';
import { printDiff } from '../render/quality-output.js';
import { createOutput, jsonReplacer, status } from '../render/terminal.js';

interface DiffOptions extends GlobalOptions {
  readonly model?: string[];
  readonly key?: string[];
  readonly examples: string;
}

export async function diffAction(this: Command, envA: string, envB: string) {
  const options = this.optsWithGlobals<DiffOptions>();
  const output = createOutput({ json: Boolean(options.json) });
  const project = await openProject(options);
  requireEnvironment(project, envA, { ephemeral: true });
  requireEnvironment(project, envB, { ephemeral: true });
  const models =
    options.model ?? [...project.models.values()].filter((m) => keyOf(m).length > 0).map((m) => m.name);
  for (const m of models) {
    if (!project.models.has(m)) throw new InvalidArgumentError(`unknown model '${m}'`);
    if (!options.key && keyOf(project.models.get(m) as ModelNode).length === 0)
      throw new InvalidArgumentError(`${m} has no unique_key to match rows by`, {
        hint: 'pass --key col [col …]',
      });
  }
  const warehouse = await openWarehouse(project, { readOnly: true });
  const diffs: { model: string; diff: DataDiffResult }[] = [];
  try {
    for (const model of models) {
      const node = project.models.get(model);
      const a = environmentRelation(envA, model);
      const b = environmentRelation(envB, model);
      if (!(await warehouse.describe(a)) || !(await warehouse.describe(b))) {
        output.note(status.warn(`${model}: not in both ${envA} and ${envB}; skipped`));
        continue;
      }
      const diff = await diffData({
        warehouse,
        a,
        b,
        key: options.key ?? (node ? keyOf(node) : []),
        exampleRows: Number(options.examples),
      });
      diffs.push({ model, diff });
      if (!output.json) {
        printDiff(output, model, diff);
        output.line();
      }
    }
  } finally {
    await warehouse.close();
  }
  if (output.json) process.stdout.write(`${JSON.stringify({ envA, envB, diffs }, jsonReplacer, 2)}\n`);
}
