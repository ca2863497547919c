/** `slipway promote FROM TO`: TO takes FROM's model versions by reference; nothing is rebuilt. */
import type { Command } from 'commander';
import { formatDuration } from '../../core/duration.js';
import { promoteRelease } from '../../release/promote-release.js';
import { type GlobalOptions, requireEnvironment } from '../project-context.js';
import { environmentStrategy, loadReleaseProject, withReleaseSession } from '../release-context.js';
import { renderPlanText } from '../render/plan-render.js';
import { createOutput, status } from '../render/terminal.js';

interface PromoteOptions extends GlobalOptions {
  readonly wait?: boolean;
}

export function registerPromote(program: Command): void {
  program
    .command('promote')
    .description("release an environment's model versions to another without rebuilding")
    .argument('<from>', 'environment to take the release from (e.g. staging)')
    .argument('<to>', 'environment to release to (e.g. prod)')
    .option('--wait', 'wait for the environment locks instead of failing (exit 3)')
    .action(async function promoteAction(this: Command, from: string, to: string) {
      const options = this.optsWithGlobals<PromoteOptions>();
      const output = createOutput({ json: Boolean(options.json) });
      const loaded = await loadReleaseProject(options);
      try {
        requireEnvironment(loaded.project, from);
        requireEnvironment(loaded.project, to);
        const strategy = environmentStrategy(loaded.project, to);
        await withReleaseSession(
          loaded,
          { environments: [to, from], purpose: `promote ${from} ${to}`, wait: Boolean(options.wait) },
          async (session) => {
            const result = await promoteRelease(session, { from, to, strategy, actor: session.actor });
            output.data({
              from,
              to,
              source: result.source.id,
              release: result.outcome?.release ?? null,
              plan: result.plan,
              timings: result.outcome?.timings ?? null,
            });
            output.line(renderPlanText(result.plan));
            output.line();
            if (!result.outcome) {
              output.line(`No changes: ${to} already shows what ${from} shows.`);
              return;
            }
            output.line(
              `${status.ok('✓')} ${to} now shows release ${status.bold(result.outcome.release.id)} ` +
                `(${from}'s ${result.source.id}, nothing rebuilt) in ${formatDuration(result.outcome.timings.totalMs)}`,
            );
          },
        );
      } finally {
        await loaded.dispose();
      }
    });
}
