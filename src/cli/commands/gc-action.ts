/** `slipway gc [--keep N] [--dry-run]`: drop physical tables nothing references any more. */
import type { Command } from 'commander';
import { InvalidArgumentError } from '../../core/errors.js';
import { plural } from '../../core/plural.js';
import { collectGarbage } from '../../release/collect-garbage.js';
import type { GlobalOptions } from '../project-context.js';
import { loadReleaseProject, withReleaseSession } from '../release-context.js';
import { createOutput, status } from '../render/terminal.js';

interface GcOptions extends GlobalOptions {
  readonly keep: string;
  readonly dryRun?: boolean;
  readonly wait?: boolean;
}

export async function gcAction(this: Command) {
  const options = this.optsWithGlobals<GcOptions>();
  const output = createOutput({ json: Boolean(options.json) });
  const keep = Number(options.keep);
  if (!Number.isInteger(keep) || keep < 0)
    throw new InvalidArgumentError(`--keep must be 0 or more, not '${options.keep}'`);
  const loaded = await loadReleaseProject(options);
  try {
    const environments = Object.keys(loaded.project.config.environments);
    await withReleaseSession(
      loaded,
      { environments, purpose: 'gc', wait: Boolean(options.wait) },
      async (session) => {
        const report = await collectGarbage(session, {
          keep,
          dryRun: Boolean(options.dryRun),
          environments,
        });
        output.data(report);
        const verb = report.dryRun ? 'would drop' : 'dropped';
        for (const d of report.dropped)
          output.line(`${report.dryRun ? '-' : status.fail('-')} ${d.table} ${status.dim(`(${d.reason})`)}`);
        output.line(
          `${status.ok('✓')} ${verb} ${report.dropped.length} physical table${report.dropped.length === 1 ? '' : 's'}; kept ${report.kept}`,
        );
        if (report.unmanaged.length > 0)
          output.line(
            status.dim(
              `  ${plural(report.unmanaged.length, 'table')} not managed by releases (slipway build) were left alone`,
            ),
          );
      },
    );
  } finally {
    await loaded.dispose();
  }
}
