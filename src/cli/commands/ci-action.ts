/**
 * `slipway ci --base REF`: the pull-request gate in one command. Validates the working tree's
 * project, runs the unit tests, plans against an environment (prod), builds only what changed
 * into `ci_<sha>` (the rest read prod's tables by reference), runs the changed models' checks,
 * diffs them against prod, writes the reports, and drops `ci_<sha>` unless `--keep`. Exit 1 when
 * anything blocks the merge.
 */

import type { Command } from 'commander';
import { openUnitTestEngines } from '../../app/open-unit-test-warehouse.js';
import { InvalidArgumentError, ProjectError, WorkFailedError } from '../../core/errors.js';
import type { InfraPlan } from '../../core/infra-change.js';
import { plural } from '../../core/plural.js';
import { changesSince } from '../../git/git-changes.js';
import { isGitRepository, readCommit } from '../../git/git-commit.js';
import { fingerprintProject } from '../../project/fingerprint.js';
import { renderDiagnosticAnnotations } from '../../quality/reports/github-annotations.js';
import { ciEnvironmentName } from '../../release/ci-environment.js';
import { runCi } from '../../release/run-ci.js';
import { infraPlanFor, releasedCommit } from '../infra-context.js';
import { type GlobalOptions, requireEnvironment } from '../project-context.js';
import { environmentStrategy, loadReleaseProject, withReleaseSession } from '../release-context.js';
import { createBuildProgress } from '../render/build-progress.js';
import { ciJson, ciReport, printCiSummary } from '../render/ci-render.js';
import { renderInfraMarkdown, renderInfraText } from '../render/infra-render.js';
import { writeReportFiles } from '../render/quality-output.js';
import type { ReportFileOptions } from '../render/report-options.js';
import { createOutput, pc } from '../render/terminal.js';

interface CiOptions extends GlobalOptions, ReportFileOptions {
  readonly base?: string;
  readonly env: string;
  readonly keep?: boolean;
  readonly wait?: boolean;
  readonly concurrency?: string;
}

export async function ciAction(this: Command) {
  const options = this.optsWithGlobals<CiOptions>();
  try {
    await ci(options);
  } catch (error) {
    // A project that does not load (or a check on a column that does not exist) stops the run
    // before any report; the pull request still gets its problems on their lines.
    if (error instanceof ProjectError && options.annotations === 'github')
      for (const line of renderDiagnosticAnnotations(error.diagnostics)) process.stdout.write(`${line}\n`);
    throw error;
  }
}

async function ci(options: CiOptions): Promise<void> {
  const output = createOutput({ json: Boolean(options.json) });
  const stage = (text: string): void => output.line(`${pc.cyan('→')} ${text}`);
  const loaded = await loadReleaseProject(options);
  try {
    const { project, root } = loaded;
    stage(
      `${project.config.name} is valid: ${plural(project.models.size, 'model')}, ${plural(project.sources.size, 'source')}`,
    );
    requireEnvironment(project, options.env);
    const strategy = environmentStrategy(project, options.env);
    const concurrency = Number(options.concurrency ?? project.config.defaults?.concurrency ?? 4);
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new InvalidArgumentError(
        `--concurrency must be a positive whole number, not '${options.concurrency}'`,
      );
    const changes = options.base === undefined ? undefined : await changesSince(root, options.base);
    if (changes)
      stage(
        `compared with ${changes.base} (merge base ${changes.mergeBase.slice(0, 8)}): ${plural(changes.commits.length, 'commit')}, ${plural(changes.files.length, 'file')} changed`,
      );
    const head = (await isGitRepository(root)) ? await readCommit(root) : undefined;
    const ciEnvironment = ciEnvironmentName(head?.sha);
    const progress = createBuildProgress(output, 0);
    let infra: InfraPlan | undefined;
    const outcome = await withReleaseSession(
      loaded,
      {
        environments: [ciEnvironment],
        warehouseEnvironment: options.env,
        purpose: `ci against ${options.env}`,
        wait: Boolean(options.wait),
      },
      async (session) => {
        // Infrastructure beside the data plan: against the merge base, else what the environment shows.
        infra = await infraPlanFor(loaded, options.env, {
          base: changes?.mergeBase ?? (await releasedCommit(session.state, options.env)),
          head: undefined,
        });
        // The unit tests run on the project's engine: a scratch schema each on PostgreSQL.
        const unitTestEngines = await openUnitTestEngines(project);
        try {
          return await runCi(session, {
            project,
            fingerprints: fingerprintProject(project),
            environment: options.env,
            ciEnvironment,
            strategy,
            commit: loaded.commit,
            changes,
            actor: session.actor,
            concurrency,
            openUnitTestEngine: unitTestEngines.open,
            keep: Boolean(options.keep),
            ...(project.config.defaults?.check_sample_rows === undefined
              ? {}
              : { sampleRows: project.config.defaults.check_sample_rows }),
            reporter: progress,
            onStage: stage,
          });
        } finally {
          progress.stop();
          await unitTestEngines.close();
        }
      },
    );
    const report = ciReport(project, outcome, changes);
    await writeReportFiles(
      options,
      infra
        ? {
            ...report,
            sections: [
              ...(report.sections ?? []),
              { title: 'Infrastructure', markdown: renderInfraMarkdown(infra) },
            ],
          }
        : report,
    );
    output.data({ ...(ciJson(outcome, changes) as Record<string, unknown>), infra: infra ?? null });
    if (!output.json) {
      printCiSummary(output, outcome);
      if (infra) {
        output.line();
        output.line(renderInfraText(infra));
      }
    }
    if (outcome.blockers.length > 0) {
      throw new WorkFailedError(
        `${plural(outcome.blockers.length, 'blocking problem')}: ${outcome.blockers.slice(0, 3).join('; ')}${outcome.blockers.length > 3 ? '; …' : ''}`,
        { hint: 'this change must not merge as it is; the reports show the failing rows' },
      );
    }
  } finally {
    await loaded.dispose();
  }
}
