/**
 * `slipway apply --env E`: release the working tree (or `--commit SHA`) to E. Under the lock it
 * settles an interrupted release first, then plans, shows the plan (and asks, on a terminal,
 * unless --yes), then carries out exactly that plan: what a person confirms is what happens.
 */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { infraStepForRelease } from '../../app/open-infra.js';
import { formatDuration } from '../../core/duration.js';
import { InvalidArgumentError, WorkFailedError } from '../../core/errors.js';
import type { InfraStepOutcome, ReleaseInfraStep } from '../../core/infra-change.js';
import { fingerprintProject } from '../../project/fingerprint.js';
import { applyReleasePlan, planApply, prepareApply } from '../../release/apply-release.js';
import { checkGate } from '../../release/check-gate.js';
import { infraPlanFor, releasedCommit } from '../infra-context.js';
import { interruptible } from '../interruptible.js';
import { type GlobalOptions, requireEnvironment } from '../project-context.js';
import { environmentStrategy, loadReleaseProject, withReleaseSession } from '../release-context.js';
import { createBuildProgress } from '../render/build-progress.js';
import { renderInfraText } from '../render/infra-render.js';
import { renderPlanText } from '../render/plan-render.js';
import { createOutput, status } from '../render/terminal.js';
import { startVerification, verificationOutcome } from '../verify-after-switch.js';

interface ApplyOptions extends GlobalOptions {
  readonly env: string;
  readonly strategy?: string;
  readonly commit?: string;
  readonly yes?: boolean;
  readonly wait?: boolean;
  readonly concurrency?: string;
  readonly checks: boolean;
  readonly verify: boolean;
}

export async function applyAction(this: Command) {
  const options = this.optsWithGlobals<ApplyOptions>();
  const output = createOutput({ json: Boolean(options.json) });
  const loaded = await loadReleaseProject(options, options.commit);
  try {
    const { project } = loaded;
    requireEnvironment(project, options.env);
    const strategy = environmentStrategy(project, options.env, options.strategy);
    const concurrency = Number(options.concurrency ?? project.config.defaults?.concurrency ?? 4);
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new InvalidArgumentError(
        `--concurrency must be a positive whole number, not '${options.concurrency}'`,
      );
    const fingerprints = fingerprintProject(project);
    const applied = await withReleaseSession(
      loaded,
      { environments: [options.env], purpose: `apply ${options.env}`, wait: Boolean(options.wait) },
      async (session) => {
        const request = {
          project,
          fingerprints,
          environment: options.env,
          strategy,
          commit: loaded.commit,
          actor: session.actor,
          concurrency,
        };
        const recovered = await prepareApply(session, options.env);
        for (const r of recovered)
          output.note(status.warn(`settled interrupted release ${r.releaseId}: ${r.outcome}`));
        // The plan is made after recovery and shown before anything is built; on a terminal
        // it is confirmed unless --yes. The same value is carried out below.
        const plan = await planApply(session, request);
        // The infrastructure the commit changes, applied first when the environment configures it.
        const infraPlan = await infraPlanFor(loaded, options.env, {
          base: await releasedCommit(session.state, options.env),
          head: options.commit === undefined ? undefined : loaded.commit?.sha,
        });
        const step = infraStepForRelease(project, infraPlan, { automated: false });
        let infraOutcome: InfraStepOutcome | undefined;
        const infra: ReleaseInfraStep | undefined = step && {
          plan: step.plan,
          run: async function recordingInfraStep(signal) {
            infraOutcome = await step.run(signal);
            return infraOutcome;
          },
        };
        if (plan.changes) output.line(renderPlanText(plan));
        if (infraPlan?.changes.filesChanged) {
          output.line();
          output.line(renderInfraText(infraPlan));
        }
        if ((plan.changes || infra) && !options.yes && output.interactive && process.stdin.isTTY) {
          const rl = createInterface({ input: process.stdin, output: process.stdout });
          const answer = await rl.question(`\nApply this plan to ${options.env}? [y/N] `);
          rl.close();
          if (!/^y(es)?$/i.test(answer.trim())) {
            output.line('Nothing applied.');
            return undefined;
          }
        }
        const progress = createBuildProgress(output, plan.build.length);
        // Ctrl-C cancels the builds: the release is recorded as failed, nothing is switched,
        // and the lock is released (a second Ctrl-C, or a kill, is left to crash recovery).
        return interruptible(async function applyInterruptible(signal) {
          const gate = options.checks ? checkGate({ project, warehouse: session.warehouse }) : undefined;
          const outcome = await applyReleasePlan(session, plan, {
            ...request,
            reporter: progress,
            progress: (line: string) => output.note(line),
            signal,
            ...(gate ? { gate } : {}),
            ...(infra ? { infra } : {}),
          });
          const result = { plan, recovered, outcome, infra: infraPlan, infraOutcome };
          progress.stop();
          const release = result.outcome?.release;
          const gated = result.outcome?.gate;
          if (infraOutcome?.ok)
            output.line(`${status.ok('✓')} infrastructure of ${options.env}: ${infraOutcome.summary}`);
          if (gated) output.line(`${gated.passed ? status.ok('✓') : status.fail('✗')} ${gated.summary}`);
          if (release && result.outcome) {
            const t = result.outcome.timings;
            output.line(
              `${status.ok('✓')} ${options.env} now shows release ${status.bold(release.id)} ` +
                `(${result.plan.build.length} built, ${result.plan.reuse.length} reused) — ` +
                `built in ${formatDuration(t.buildMs)}, switched in ${formatDuration(t.switchMs)}`,
            );
          }
          const verification = await startVerification(session, {
            project,
            checksProject: async () => project,
            release,
            skip: !options.verify,
            output,
            signal,
          });
          return { result, release, verification };
        }).finally(() => progress.stop());
      },
    );
    if (!applied) return;
    const { result, release } = applied;
    const verified = await verificationOutcome(applied.verification, loaded);
    output.data({
      environment: options.env,
      release: verified?.release ?? null,
      recovered: result.recovered,
      plan: result.plan,
      infra: result.infra ?? null,
      infraStep: result.infraOutcome ?? null,
      built:
        result.outcome?.built.map((b) => ({
          model: b.model,
          table: b.relation.name,
          rows: b.rows ?? null,
        })) ?? [],
      timings: result.outcome?.timings ?? null,
      gate: result.outcome?.gate
        ? { passed: result.outcome.gate.passed, summary: result.outcome.gate.summary }
        : null,
      verification: verified?.report ?? null,
    });
    if (!release) {
      output.line(`No changes: ${options.env} already shows this project.`);
      return;
    }
    if (verified?.failure) throw verified.failure;
    const gate = result.outcome?.gate;
    if (gate && !gate.passed && result.outcome?.gatedAfterSwitch) {
      throw new WorkFailedError(`checks failed after the switch: ${gate.summary}`, {
        hint: `${options.env} shows release ${release.id} (the ${result.plan.strategy} strategy checks after switching); fix the model, or roll back: slipway rollback --env ${options.env}`,
      });
    }
  } finally {
    await loaded.dispose();
  }
}
