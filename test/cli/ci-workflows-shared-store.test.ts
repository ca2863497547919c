/**
 * The gate on a shared PostgreSQL state store and warehouse: `init --ci` reads the project's
 * `url_env` and the workflows pass that repository secret to the job; the "prod's state and input
 * data" step (run here as the runner runs it) says prod comes from the shared store when the secret
 * is there, and fails at once, saying why, when it is not (a pull request from a fork).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { bitbucketPipeline, ciWorkflowOptions, githubWorkflow } from '../../src/cli/commands/ci-workflows.js';
import { parseProjectConfig } from '../../src/project/load-project.js';
import { pullRequestStep, runBitbucketStep, runGitHubJob } from '../helpers/ci-runner.js';

const CONFIG = `name: shared
warehouse:
  default: pg
  connections:
    pg: { type: postgres, url_env: JKL_PROD_PG_URL }
state: { type: postgres, url_env: JKL_PROD_PG_URL }
environments:
  prod: { strategy: blue-green }
`;

let workspace: string;

beforeAll(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), 'slipway-shared-gate-'));
});

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

const options = () => ciWorkflowOptions(parseProjectConfig(CONFIG, workspace));

/** The GitHub workflow with only its "Prod's state and input data" step, run with `secret` as the secret's value. */
async function prodStep(secret: string) {
  const workflow = parse(githubWorkflow(options())) as {
    jobs: { gate: { steps: { name?: string }[] } };
  };
  workflow.jobs.gate.steps = workflow.jobs.gate.steps.filter((s) => s.name === "Prod's state and input data");
  const summary = path.join(workspace, `summary-${secret ? 'set' : 'unset'}.md`);
  await writeFile(summary, '');
  const [result] = await runGitHubJob(stringify(workflow), {
    job: 'gate',
    workspace,
    env: {
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_WORKSPACE: workspace,
      RUNNER_TEMP: workspace,
    },
    expressions: { 'github.event.repository.default_branch': 'main', 'secrets.JKL_PROD_PG_URL': secret },
  });
  return { result, summary: await readFile(summary, 'utf8') };
}

describe('the gate on a shared PostgreSQL store', () => {
  it('maps the url_env secret into the job, and generates no sample data', () => {
    expect(options()).toEqual({ sharedUrlEnvs: ['JKL_PROD_PG_URL'] });
    const github = githubWorkflow(options());
    expect((parse(github) as { env: Record<string, string> }).env['JKL_PROD_PG_URL']).toBe(
      ['$', '{{ secrets.JKL_PROD_PG_URL }}'].join(''),
    );
    expect(github).not.toContain('slipway generate');
    expect(bitbucketPipeline(options())).not.toContain('slipway generate');
  });

  it('says prod comes from the shared store when the secret is set', async () => {
    const { result, summary } = await prodStep('postgres://ci:secret@db.internal:5432/jkl');
    expect(result?.outcome, result?.stderr).toBe('success');
    expect(summary).toContain(
      'the shared PostgreSQL state store and warehouse (repository secret JKL_PROD_PG_URL)',
    );
    expect(summary).not.toContain('db.internal');
  });

  it('fails at once, in the summary and the log, when the secret is not there (a fork)', async () => {
    const { result, summary } = await prodStep('');
    expect(result?.outcome).toBe('failure');
    expect(summary).toContain('The repository secret JKL_PROD_PG_URL is not set');
    expect(result?.stderr).toMatch(/error: the secret JKL_PROD_PG_URL is not set/);
  });

  it('the Bitbucket step stops the same way without the repository variable', async () => {
    const step = pullRequestStep(bitbucketPipeline(options()));
    const prod = step.script.find((line) => line.includes('JKL_PROD_PG_URL')) as string;
    const clone = path.join(workspace, 'build');
    await rm(clone, { recursive: true, force: true });
    await mkdir(clone, { recursive: true });
    const { script } = await runBitbucketStep(
      { script: ['mkdir -p reports', prod] },
      { cloneDir: clone, env: { BITBUCKET_CLONE_DIR: clone } },
    );
    expect(script.outcome).toBe('failure');
    expect(await readFile(path.join(clone, 'reports/prod-data.md'), 'utf8')).toContain(
      'The repository secret JKL_PROD_PG_URL is not set',
    );
  });
});
