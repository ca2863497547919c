/** `slipway rollback --env E [--to RELEASE]`: re-point E at an earlier release; nothing is rebuilt. */
import type { Command } from 'commander';
import { formatDuration } from '../../core/duration.js';
import { plural } from '../../core/plural.js';
import type { ActionResult } from '../../operator/operator-backend.js';
import { rollbackRelease } from '../../release/promote-release.js';
import { discoverOperator } from '../operator-client.js';
import { type GlobalOptions, requireEnvironment } from '../project-context.js';
import { environmentStrategy, loadReleaseProject, withReleaseSession } from '../release-context.js';
import { createOutput, status } from '../render/terminal.js';

interface RollbackOptions extends GlobalOptions {
  readonly env: string;
  readonly to?: string;
  readonly wait?: boolean;
  readonly reason?: string;
}

export async function rollbackAction(this: Command) {
  const options = this.optsWithGlobals<RollbackOptions>();
  const output = createOutput({ json: Boolean(options.json) });
  const operator = await discoverOperator(options);
  if (operator) {
    // The operator owns the warehouse and pauses auto-sync so the rollback stays.
    const result = await operator.post<ActionResult>(
      `/api/v1/environments/${encodeURIComponent(options.env)}/rollback`,
      {
        ...(options.to ? { to: options.to } : {}),
        ...(options.reason ? { reason: options.reason } : {}),
      },
    );
    output.data(result);
    output.line(`${status.ok('✓')} ${result.message} ${status.dim(`(operator at ${operator.url})`)}`);
    return;
  }
  const loaded = await loadReleaseProject(options);
  try {
    requireEnvironment(loaded.project, options.env);
    const strategy = environmentStrategy(loaded.project, options.env);
    await withReleaseSession(
      loaded,
      { environments: [options.env], purpose: `rollback ${options.env}`, wait: Boolean(options.wait) },
      async (session) => {
        const result = await rollbackRelease(session, {
          environment: options.env,
          ...(options.to === undefined ? {} : { to: options.to }),
          strategy,
          actor: session.actor,
          ...(options.reason === undefined ? {} : { reason: options.reason }),
        });
        output.data({
          environment: options.env,
          to: result.source.id,
          release: result.outcome?.release ?? null,
          timings: result.outcome?.timings ?? null,
        });
        if (!result.outcome) {
          output.line(`No changes: ${options.env} already shows what ${result.source.id} showed.`);
          return;
        }
        const changed = result.plan.models.filter((m) => m.change !== 'unchanged').length;
        output.line(
          `${status.ok('✓')} ${options.env} rolled back to ${status.bold(result.source.id)} ` +
            `(${plural(changed, 'view')} re-pointed) as release ${result.outcome.release.id} in ${formatDuration(result.outcome.timings.totalMs)}`,
        );
      },
    );
  } finally {
    await loaded.dispose();
  }
}
