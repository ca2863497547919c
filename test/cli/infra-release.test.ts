/**
 * Infrastructure in the release flow, through the built CLI on the reference project in a real
 * git repository: `dev` configures `infra: { dir: infra/envs/dev }`, staging configures nothing.
 * Terraform cannot be installed here, so a stand-in `terraform` on PATH (test/helpers/
 * terraform-stand-in.ts) records its arguments and answers in Terraform's machine-readable UI
 * format (`-json`: planned_change, change_summary, apply_complete, diagnostic).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, runCli } from '../helpers/run-cli.js';
import { type TerraformStandIn, terraformStandIn } from '../helpers/terraform-stand-in.js';

let workspace: string;
let project: string;
let terraform: TerraformStandIn;
const EMR = 'module.data_platform.aws_emrserverless_application.spark';

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    SLIPWAY_ACTOR: 'ada',
    PATH: `${terraform.bin}${path.delimiter}${process.env['PATH'] ?? ''}`,
    TF_STAND_IN_LOG: terraform.log,
    ...extra,
  };
}

function git(...args: string[]): string {
  return execFileSync(
    'git',
    ['-C', project, '-c', 'user.name=Ada Analyst', '-c', 'user.email=ada@jkl.example', ...args],
    { encoding: 'utf8' },
  ).trim();
}

async function edit(file: string, from: string, to: string): Promise<void> {
  const full = path.join(project, file);
  const text = await readFile(full, 'utf8');
  expect(text).toContain(from);
  await writeFile(full, text.replace(from, to));
}

function db<T>(sql: string, ...params: unknown[]): T[] {
  const d = new Database(path.join(project, '.slipway', 'state.db'), { readonly: true });
  try {
    return d.prepare(sql).all(...params) as T[];
  } finally {
    d.close();
  }
}

async function releases(): Promise<Record<string, string | null>> {
  const status = json<{ environments: { environment: string; release: { id: string } | null }[] }>(
    await runCli(['status', '--json'], { cwd: project, env: env() }),
  );
  return Object.fromEntries(status.environments.map((e) => [e.environment, e.release?.id ?? null]));
}

interface PlanJson {
  readonly infra: {
    readonly step: string;
    readonly reason: string;
    readonly changes: {
      source: string;
      filesChanged: boolean;
      added: string[];
      changed: string[];
      removed: string[];
    };
  };
}

beforeAll(async () => {
  workspace = await mkdtemp(path.join(tmpdir(), 'slipway-infra-release-'));
  project = path.join(workspace, 'jkl');
  terraform = await terraformStandIn(workspace);
  const init = await runCli(['init', project, '--scale', '0.02', '--no-install'], { env: env() });
  expect(init.code, init.stderr).toBe(0);
  await edit(
    'slipway.yaml',
    'dev: { strategy: direct }',
    'dev: { strategy: direct, infra: { dir: infra/envs/dev } }',
  );
  git('commit', '-q', '-am', 'dev applies its infrastructure');
}, 180_000);

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

describe('infrastructure in the release flow', () => {
  it("a first release applies the environment's infrastructure before building, and records it", async () => {
    const result = await runCli(['apply', '--env', 'dev', '--yes', '--json'], { cwd: project, env: env() });
    expect(result.code, result.stderr).toBe(0);
    const out = json<{
      release: { id: string };
      infra: PlanJson['infra'];
      infraStep: { ok: boolean; summary: string; applied: string[] };
    }>(result);
    expect(out.infra.step).toBe('apply');
    expect(out.infra.changes.source).toBe('terraform plan');
    expect(out.infra.changes.changed).toEqual([EMR]);
    expect(out.infraStep).toEqual({
      ok: true,
      summary: 'Apply complete! Resources: 0 added, 1 changed, 0 destroyed.',
      applied: [EMR],
      diagnostics: [],
    });
    const calls = await terraform.calls();
    expect(calls.map((c) => c.args)).toEqual([
      ['init', '-input=false', '-no-color', '-backend-config=backend.hcl'],
      ['plan', '-json', '-input=false'],
      ['init', '-input=false', '-no-color', '-backend-config=backend.hcl'],
      ['apply', '-json', '-input=false', '-auto-approve'],
    ]);
    for (const c of calls) expect(c.cwd).toBe(path.join(project, 'infra', 'envs', 'dev'));
    const [record] = db<{ plan: string; status: string; timings: string }>(
      'select plan, status, timings from releases where id = ?',
      out.release.id,
    );
    expect(record?.status).toBe('succeeded');
    expect((JSON.parse(record?.plan ?? '{}') as PlanJson).infra.step).toBe('apply');
    expect(Object.keys(JSON.parse(record?.timings ?? '{}'))).toContain('infraMs');
    const events = db<{ type: string; actor: string; data: string }>(
      'select type, actor, data from events where release_id = ? and type like ?',
      out.release.id,
      'release.infra%',
    );
    expect(events.map((e) => [e.type, e.actor])).toEqual([['release.infra_applied', 'ada']]);
    expect(JSON.parse(events[0]?.data ?? '{}').applied).toEqual([EMR]);
  }, 180_000);

  it('a commit that changes no infrastructure file does not run the step', async () => {
    const before = (await terraform.calls()).length;
    await edit('README.md', 'JKL', 'JKL Enterprises');
    git('commit', '-q', '-am', 'README wording');
    const plan = await runCli(['plan', '--env', 'dev', '--json'], { cwd: project, env: env() });
    expect(plan.code, plan.stderr).toBe(0);
    const infra = json<PlanJson>(plan).infra;
    expect(infra.step).toBe('none');
    expect(infra.changes.filesChanged).toBe(false);
    expect(infra.reason).toMatch(/^no file under infra changed since [0-9a-f]{10}$/);
    const apply = await runCli(['apply', '--env', 'dev', '--yes'], { cwd: project, env: env() });
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain('No changes');
    expect((await terraform.calls()).length).toBe(before);
  }, 120_000);

  it('the plan and the ci report of a commit that changes infra/ show the change: terraform plan where configured, else the parsed HCL', async () => {
    await edit(
      'infra/modules/data-platform/compute.tf',
      'idle_timeout_minutes = 15',
      'idle_timeout_minutes = 30',
    );
    git('commit', '-q', '-am', 'EMR: idle timeout 30 minutes');
    const before = (await terraform.calls()).length;
    const configured = await runCli(['plan', '--env', 'dev'], { cwd: project, env: env() });
    expect(configured.code, configured.stderr).toBe(0);
    expect(configured.stdout).toMatch(/Infrastructure for dev \(terraform plan against [0-9a-f]{10}\)/);
    expect(configured.stdout).toContain(`~ ${EMR}`);
    expect(configured.stdout).toContain('0 to add, 1 to change, 0 to remove');
    expect(configured.stdout).toContain('applied before the data release');
    const calls = (await terraform.calls()).slice(before).map((c) => c.args[0]);
    expect(calls).toEqual(['init', 'plan']);

    // Pull-request gate against the commit before: prod configures no infra:, so the parsed HCL.
    const report = path.join(workspace, 'ci.md');
    const ci = await runCli(['ci', '--base', 'HEAD~1', '--markdown', report, '--json'], {
      cwd: project,
      env: env(),
    });
    expect(ci.code, ci.stderr).toBe(0);
    const infra = json<PlanJson>(ci).infra;
    expect(infra.changes).toMatchObject({
      source: 'parsed HCL',
      filesChanged: true,
      added: [],
      changed: ['infra/modules/data-platform:aws_emrserverless_application.spark'],
      removed: [],
    });
    expect(infra.step).toBe('none');
    const markdown = await readFile(report, 'utf8');
    expect(markdown).toContain('### Infrastructure');
    expect(markdown).toContain(
      '| change | `infra/modules/data-platform:aws_emrserverless_application.spark` |',
    );
    expect((await terraform.calls()).length).toBe(before + 2);
  }, 240_000);

  it('a release whose infrastructure step fails leaves every environment on its release and says why', async () => {
    // The same commit also changes a model: the failed infrastructure step must stop its build.
    await edit('models/marts/fraud_alerts.sql', 'device_card_count >= 5', 'device_card_count >= 4');
    git('commit', '-q', '-am', 'fraud_alerts: note');
    const before = await releases();
    const tables = db<{ n: number }>('select count(*) as n from physical_tables')[0]?.n;
    const result = await runCli(['apply', '--env', 'dev', '--yes'], {
      cwd: project,
      env: env({ TF_STAND_IN_FAIL: 'apply' }),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'the infrastructure step failed: terraform apply failed: ../../modules/data-platform/compute.tf:1:1: updating EMR Serverless Application',
    );
    expect(result.stderr).toContain('dev still shows its previous release; nothing was built');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(await releases()).toEqual(before);
    expect(db<{ n: number }>('select count(*) as n from physical_tables')[0]?.n).toBe(tables);
    const [failed] = db<{ id: string; status: string; error: string }>(
      "select id, status, error from releases where environment = 'dev' order by seq desc limit 1",
    );
    expect(failed?.status).toBe('failed');
    expect(failed?.error).toContain('the infrastructure step failed');
    const events = db<{ type: string }>(
      'select type from events where release_id = ? order by seq',
      failed?.id,
    );
    expect(events.map((e) => e.type)).toContain('release.infra_failed');
  }, 120_000);
});
