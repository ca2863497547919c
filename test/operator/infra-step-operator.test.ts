/**
 * The operator runs an environment's infrastructure step before the data release that needs it:
 * staging configures `infra:` (a stand-in `terraform`, test/helpers/terraform-stand-in.ts, that
 * records its arguments and answers in Terraform's machine-readable `-json` UI format, since
 * Terraform cannot be installed here). The first release applies it; a merge that changes
 * infra/ and whose apply fails stops the data release — staging and prod stay on their release,
 * and the release, the status and the audit log say why; `approval: manual` is never applied by
 * the operator.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorRuntime } from '../../src/cli/operator-runtime.js';
import type { TimelineEntry } from '../../src/operator/reconciler.js';
import { git } from '../helpers/release-project.js';
import { type TerraformStandIn, terraformStandIn } from '../helpers/terraform-stand-in.js';
import { announce, type GitOpsFixture, gitopsFixture, models, operatorProbe } from './gitops-fixture.js';

let fixture: GitOpsFixture;
let runtime: OperatorRuntime;
let terraform: TerraformStandIn;
let standInDir: string;
const timeline: TimelineEntry[] = [];
const { reached, environment, releases, events } = operatorProbe(() => runtime.url, timeline);

const config = (command: string, approval = 'auto') => `name: gitops-test
warehouse:
  default: local
  connections:
    local: { type: duckdb, path: .slipway/warehouse.duckdb, threads: 1 }
state: { type: sqlite, path: .slipway/state.db }
environments:
  staging: { strategy: blue-green, sync: auto, infra: { dir: infra/envs/staging, command: ${command}, approval: ${approval} } }
  prod: { strategy: blue-green, promote_from: staging, sync: auto, infra: { dir: infra/envs/prod, command: ${command} } }
defaults: { concurrency: 1 }
`;

const MAIN_TF = (minutes: number) =>
  `resource "aws_emrserverless_application" "spark" {\n  name = "spark"\n  idle_timeout_minutes = ${minutes}\n}\n`;

beforeAll(async () => {
  standInDir = await mkdtemp(path.join(tmpdir(), 'slipway-tf-stand-in-'));
  terraform = await terraformStandIn(standInDir);
  fixture = await gitopsFixture(config(terraform.command));
  await fixture.commitFiles(
    { 'infra/envs/staging/main.tf': MAIN_TF(15), 'infra/envs/prod/main.tf': MAIN_TF(15) },
    'staging and prod infrastructure',
  );
  runtime = await fixture.start({ onTimeline: (e) => timeline.push(e) });
  await runtime.leader();
}, 120_000);

afterAll(async () => {
  await fixture?.remove();
  await rm(standInDir, { recursive: true, force: true });
});

describe('the operator and the infrastructure step', () => {
  it("applies each environment's infrastructure before its first release (a promotion too), and records it", async () => {
    const sha = await git(fixture.project.root, 'rev-parse', 'HEAD');
    await reached(sha, 'prod', ['promoted']);
    const calls = await terraform.calls();
    const inDir = (env: string) => calls.filter((c) => c.cwd.endsWith(path.join('infra', 'envs', env)));
    expect(inDir('staging').map((c) => c.args[0])).toEqual(['init', 'plan', 'init', 'apply']);
    expect(inDir('prod').map((c) => c.args[0])).toEqual(['init', 'plan', 'init', 'apply']);
    expect(calls).toHaveLength(8);
    expect(inDir('staging')[3]?.args).toEqual(['apply', '-json', '-input=false', '-auto-approve']);
    // Staging's before its release, prod's before its promotion.
    expect(calls.slice(0, 4)).toEqual(inDir('staging'));
    // In the commit's checkout, not the working tree.
    for (const c of calls) expect(c.cwd.startsWith(fixture.project.root)).toBe(false);
    for (const env of ['staging', 'prod']) {
      const applied = (await events(env)).filter((e) => e.type === 'release.infra_applied');
      expect(applied).toHaveLength(1);
      expect(applied[0]?.actor).toMatch(/^operator/);
    }
  });

  it('a merge whose infrastructure step fails stops its data release: staging and prod stay, and say why', async () => {
    const good = (await environment('staging')).live?.releaseId;
    const prodBefore = (await environment('prod')).live?.releaseId;
    const before = (await terraform.calls()).length;
    await terraform.failNext('apply');
    const sha = await fixture.mergeFiles({ 'infra/envs/staging/main.tf': MAIN_TF(30), ...models(2) }, 21);
    expect(await announce(runtime.url, sha)).toBe(202);
    await reached(sha, 'staging', ['failed', 'blocked']);
    expect((await terraform.calls()).slice(before).map((c) => c.args[0])).toEqual([
      'init',
      'plan',
      'init',
      'apply',
    ]);
    expect((await environment('staging')).live?.releaseId).toBe(good);
    expect((await environment('prod')).live?.releaseId).toBe(prodBefore);
    const [failed] = await releases('staging');
    expect(failed).toMatchObject({ status: 'failed', commit: { sha } });
    expect(failed?.message).toContain('the infrastructure step failed: terraform apply failed:');
    expect(failed?.message).toContain('updating EMR Serverless Application');
    const infraFailed = (await events('staging')).filter((e) => e.type === 'release.infra_failed');
    expect(infraFailed.map((e) => e.message)).toEqual([
      expect.stringContaining(`${failed?.id} in staging: infrastructure failed`),
    ]);
  }, 120_000);

  it('with approval: manual the operator does not apply the infrastructure and says who must', async () => {
    await terraform.failNext('');
    const before = (await terraform.calls()).length;
    const sha = await fixture.mergeFiles(
      { 'slipway.yaml': config(terraform.command, 'manual'), 'infra/envs/staging/main.tf': MAIN_TF(45) },
      22,
    );
    expect(await announce(runtime.url, sha)).toBe(202);
    await reached(sha, 'staging', ['failed', 'blocked']);
    const [failed] = await releases('staging');
    expect(failed?.message).toContain('needs a person (infra.approval: manual): slipway apply --env staging');
    expect((await terraform.calls()).slice(before).some((c) => c.args[0] === 'apply')).toBe(false);
  }, 120_000);
});
