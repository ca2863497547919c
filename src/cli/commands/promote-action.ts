/**
 * `slipway promote FROM TO`: TO takes FROM's model versions by reference; nothing is rebuilt.
 * TO's `verify:` block is honoured after the switch, as the operator honours it.
 */
import type { Command } from 'commander';
import { formatDuration } from '../../core/duration.js';
import type { ReleaseRecord } from '../../core/release.js';
import type { Project } from '../../project/project.js';
import { promoteRelease } from '../../release/promote-release.js';
import { interruptible } from '../interruptible.js';
import { type GlobalOptions, requireEnvironment } from '../project-context.js';
import {
  environmentStrategy,
  type LoadedRelease,
  loadReleaseProject,
  withReleaseSession,
} from '../release-context.js';
import { renderPlanText } from '../render/plan-render.js';
import { createOutput, type Output, status } from '../render/terminal.js';
import { startVerification, verificationOutcome } from '../verify-after-switch.js';

interface PromoteOptions extends GlobalOptions {
  readonly wait?: boolean;
  readonly verify: boolean;
}

export async function promoteAction(this: Command, from: string, to: string) {
  const options = this.optsWithGlobals<PromoteOptions>();
  const output = createOutput({ json: Boolean(options.json) });
  const loaded = await loadReleaseProject(options);
  const disposals: (() => Promise<void>)[] = [];
  try {
    requireEnvironment(loaded.project, from);
    requireEnvironment(loaded.project, to);
    const strategy = environmentStrategy(loaded.project, to);
    const promoted = await withReleaseSession(
      loaded,
      { environments: [to, from], purpose: `promote ${from} ${to}`, wait: Boolean(options.wait) },
      async (session) => {
        const result = await promoteRelease(session, { from, to, strategy, actor: session.actor });
        output.line(renderPlanText(result.plan));
        output.line();
        const release = result.outcome?.release;
        if (release && result.outcome) {
          output.line(
            `${status.ok('✓')} ${to} now shows release ${status.bold(release.id)} ` +
              `(${from}'s ${result.source.id}, nothing rebuilt) in ${formatDuration(result.outcome.timings.totalMs)}`,
          );
        }
        const verification = await interruptible((signal) =>
          startVerification(session, {
            project: loaded.project,
            checksProject: (promoted) => projectAt(options, loaded, promoted, output, disposals),
            release,
            skip: !options.verify,
            output,
            signal,
          }),
        );
        return { result, release, verification };
      },
    );
    // The source's lock and the warehouse are let go before a verify.delay is waited out.
    const { result, release } = promoted;
    const verified = await verificationOutcome(promoted.verification, loaded);
    output.data({
      from,
      to,
      source: result.source.id,
      release: verified?.release ?? null,
      plan: result.plan,
      timings: result.outcome?.timings ?? null,
      verification: verified?.report ?? null,
    });
    if (!release) {
      output.line(`No changes: ${to} already shows what ${from} shows.`);
      return;
    }
    if (verified?.failure) throw verified.failure;
  } finally {
    for (const dispose of disposals) await dispose();
    await loaded.dispose();
  }
}

/**
 * The project whose checks verify the promoted release: the working tree when it is at the
 * release's commit, else that commit (as the operator verifies it); the working tree, with a
 * note, when the commit is not in this repository.
 */
async function projectAt(
  options: GlobalOptions,
  loaded: LoadedRelease,
  release: ReleaseRecord,
  output: Output,
  disposals: (() => Promise<void>)[],
): Promise<Project> {
  const sha = release.commit?.sha;
  if (sha === undefined || sha === loaded.commit?.sha) return loaded.project;
  try {
    const atCommit = await loadReleaseProject(options, sha);
    disposals.push(atCommit.dispose);
    return atCommit.project;
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    output.note(
      status.warn(
        `! verifying with the working tree's checks: commit ${sha.slice(0, 10)} cannot be read (${why})`,
      ),
    );
    return loaded.project;
  }
}
