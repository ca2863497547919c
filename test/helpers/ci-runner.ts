/**
 * Runs a generated CI file's steps as the provider's runner would, on this machine: a GitHub
 * Actions job's `run:` steps (each in `bash --noprofile --norc -eo pipefail`, GitHub's default
 * shell; `if: always()` steps after a failure, the others skipped) and a Bitbucket Pipelines
 * step's `script` (one shell session, stopping at the first failing command) then its
 * `after-script` (always, with BITBUCKET_EXIT_CODE). `uses:` actions are not run: the clean clone
 * the caller makes stands for actions/checkout, and this machine's Node 20 for actions/setup-node.
 * Only the `${{ … }}` expressions a caller lists are known; any other fails the run.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';

export interface StepResult {
  readonly name: string;
  /** `skipped` for a `uses:` action or a step not run after a failure. */
  readonly outcome: 'success' | 'failure' | 'skipped';
  readonly uses?: string;
  readonly stdout: string;
  readonly stderr: string;
}

/** The machine's own variables a job may read (PATH to find node/npm/git, HOME for npm's cache). */
function baseEnv(extra: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR', 'USER']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, CI: 'true', ...extra };
}

function runShell(
  args: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string>>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Replaces `${{ expr }}` by the caller's values; `a || b` takes the first non-empty one. */
function substitute(text: string, expressions: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => {
    for (const part of expr.split('||').map((p) => p.trim())) {
      if (!(part in expressions)) throw new Error(`the runner does not know the expression '${part}'`);
      const value = expressions[part] as string;
      if (value !== '') return value;
    }
    return '';
  });
}

interface GitHubStep {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly env?: Record<string, string>;
}

/**
 * Runs job `job` of a GitHub Actions workflow in `workspace` (a clean clone). `env` holds the
 * runner's documented variables (GITHUB_WORKSPACE, GITHUB_STEP_SUMMARY, GITHUB_BASE_REF, …).
 */
export async function runGitHubJob(
  workflowText: string,
  {
    job,
    workspace,
    env,
    expressions,
  }: {
    job: string;
    workspace: string;
    env: Readonly<Record<string, string>>;
    expressions: Readonly<Record<string, string>>;
  },
): Promise<StepResult[]> {
  const workflow = parse(workflowText) as {
    env?: Record<string, string>;
    jobs: Record<string, { env?: Record<string, string>; steps: GitHubStep[] }>;
  };
  const definition = workflow.jobs[job];
  if (!definition) throw new Error(`the workflow has no job '${job}'`);
  const evaluated = (vars: Record<string, string> | undefined) =>
    Object.fromEntries(Object.entries(vars ?? {}).map(([k, v]) => [k, substitute(String(v), expressions)]));
  const jobEnv = { ...evaluated(workflow.env), ...evaluated(definition.env) };
  const results: StepResult[] = [];
  let failed = false;
  for (const [index, step] of definition.steps.entries()) {
    const name = step.name ?? step.uses ?? step.run?.split('\n')[0] ?? `step ${index + 1}`;
    if (step.if !== undefined && step.if.replace(/[${}\s]/g, '') !== 'always()')
      throw new Error(`the runner does not know the condition '${step.if}'`);
    const runs = step.if !== undefined || !failed;
    if (step.uses !== undefined || !runs || step.run === undefined) {
      results.push({
        name,
        outcome: 'skipped',
        ...(step.uses ? { uses: step.uses } : {}),
        stdout: '',
        stderr: '',
      });
      continue;
    }
    const script = path.join(env['RUNNER_TEMP'] ?? workspace, `step-${index}.sh`);
    await writeFile(script, substitute(step.run, expressions));
    const result = await runShell(
      ['--noprofile', '--norc', '-eo', 'pipefail', script],
      workspace,
      baseEnv({ ...jobEnv, ...evaluated(step.env), ...env }),
    );
    if (result.code !== 0) failed = true;
    results.push({ name, outcome: result.code === 0 ? 'success' : 'failure', ...result });
  }
  return results;
}

interface BitbucketStep {
  readonly name?: string;
  readonly script: string[];
  readonly 'after-script'?: string[];
}

/** The step a Bitbucket pipeline runs for a pull request into any branch (`pull-requests: '**'`). */
export function pullRequestStep(pipelineText: string): BitbucketStep {
  const pipeline = parse(pipelineText) as {
    pipelines: { 'pull-requests': Record<string, { step: BitbucketStep }[]> };
  };
  const step = pipeline.pipelines['pull-requests']['**']?.[0]?.step;
  if (!step) throw new Error("the pipeline has no pull-requests '**' step");
  return step;
}

/**
 * Runs a Bitbucket Pipelines step in `cloneDir` (BITBUCKET_CLONE_DIR): its script commands in one
 * shell session, stopping at the first that fails, then its after-script.
 */
export async function runBitbucketStep(
  step: BitbucketStep,
  { cloneDir, env }: { cloneDir: string; env: Readonly<Record<string, string>> },
): Promise<{ script: StepResult; afterScript: StepResult }> {
  const session = ['set -e', ...step.script].join('\n');
  const scriptFile = path.join(cloneDir, '..', 'pipeline-script.sh');
  await writeFile(scriptFile, session);
  const result = await runShell([scriptFile], cloneDir, baseEnv({ ...env }));
  const after = ['set -e', ...(step['after-script'] ?? [])].join('\n');
  const afterFile = path.join(cloneDir, '..', 'pipeline-after-script.sh');
  await writeFile(afterFile, after);
  const afterResult = await runShell(
    [afterFile],
    cloneDir,
    baseEnv({ ...env, BITBUCKET_EXIT_CODE: String(result.code) }),
  );
  const outcome = (code: number) => (code === 0 ? 'success' : 'failure') as StepResult['outcome'];
  return {
    script: { name: step.name ?? 'script', outcome: outcome(result.code), ...result },
    afterScript: { name: 'after-script', outcome: outcome(afterResult.code), ...afterResult },
  };
}
