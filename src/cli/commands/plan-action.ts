/**
 * `slipway plan --env E`: what a release of the working tree (or `--commit`) to E would do — the
 * data plan, and beside it the infrastructure the commit changes (terraform plan where E
 * configures `infra:`, else the parsed HCL against the commit E shows).
 */
import type { Command } from 'commander';
import { openWarehouse } from '../../app/open-warehouse.js';
import { fingerprintProject } from '../../project/fingerprint.js';
import { planApply } from '../../release/apply-release.js';
import type { Warehouse } from '../../warehouse/warehouse.js';
import { infraPlanFor, releasedCommit } from '../infra-context.js';
import { type GlobalOptions, requireEnvironment } from '../project-context.js';
import {
  environmentStrategy,
  type LoadedRelease,
  loadReleaseProject,
  openNow,
  openStateStore,
} from '../release-context.js';
import { renderInfraMarkdown, renderInfraText } from '../render/infra-render.js';
import { renderPlanMarkdown, renderPlanText } from '../render/plan-render.js';
import { createOutput } from '../render/terminal.js';

interface PlanOptions extends GlobalOptions {
  readonly env: string;
  readonly strategy?: string;
  readonly commit?: string;
  readonly markdown?: boolean;
}

export async function planAction(this: Command) {
  const options = this.optsWithGlobals<PlanOptions>();
  const output = createOutput({ json: Boolean(options.json) });
  const loaded = await loadReleaseProject(options, options.commit);
  try {
    requireEnvironment(loaded.project, options.env);
    const strategy = environmentStrategy(loaded.project, options.env, options.strategy);
    const state = await openStateStore(loaded.project, loaded.root);
    const warehouse = await openForReading(loaded, options.env);
    try {
      const plan = await planApply(
        { state, warehouse },
        {
          project: loaded.project,
          fingerprints: fingerprintProject(loaded.project),
          environment: options.env,
          strategy,
          commit: loaded.commit,
        },
      );
      const infra = await infraPlanFor(loaded, options.env, {
        base: await releasedCommit(state, options.env),
        head: options.commit === undefined ? undefined : loaded.commit?.sha,
      });
      output.data(infra ? { ...plan, infra } : plan);
      output.line(options.markdown ? renderPlanMarkdown(plan) : renderPlanText(plan));
      if (infra) {
        output.line();
        output.line(options.markdown ? renderInfraMarkdown(infra) : renderInfraText(infra));
      }
    } finally {
      await warehouse.close();
      await state.close();
    }
  } finally {
    await loaded.dispose();
  }
}

/** The warehouse read-only; an empty one when nothing was ever built (so nothing is built yet). */
async function openForReading(loaded: LoadedRelease, environment: string): Promise<Warehouse> {
  const warehouse = await openWarehouse(loaded.project, {
    environment,
    readOnly: true,
    root: loaded.root,
    whenMissing: 'empty',
  });
  try {
    await openNow(warehouse);
  } catch (error) {
    await warehouse.close();
    throw error;
  }
  return warehouse;
}
