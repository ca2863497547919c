/**
 * An environment's `infra:` settings in slipway.yaml, validated with the rest of the project:
 * every problem at `slipway.yaml:line:col`, exit 2, no stack trace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { type TempProject, tempProject } from '../helpers/temp-project.js';

const CONFIG = `name: test-project
warehouse:
  default: local
  connections:
    local: { type: duckdb, path: .slipway/warehouse.duckdb }
environments:
  dev:
    strategy: direct
    infra: { dir: infra/envs/dev }
  staging:
    infra:
      dir: infra/envs/nowhere
      approval: sometimes
  prod:
    infra: { dir: ../outside, paths: [infra, missing] }
`;

let project: TempProject;

beforeAll(async () => {
  project = await tempProject({ 'slipway.yaml': CONFIG, 'infra/envs/dev/main.tf': '' });
});

afterAll(async () => {
  await project.remove();
});

describe('infra: settings', () => {
  it('reports every bad setting at its line and column, with exit 2', async () => {
    const result = await runCli(['validate'], { cwd: project.root });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/slipway\.yaml:13:17: error: .*auto.*manual/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a missing folder and one outside the project once the schema holds', async () => {
    await project.write('slipway.yaml', CONFIG.replace('approval: sometimes', 'approval: manual'));
    const result = await runCli(['validate'], { cwd: project.root });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "slipway.yaml:12:12: error: environment 'staging': infra folder 'infra/envs/nowhere' does not exist",
    );
    expect(result.stderr).toContain(
      "slipway.yaml:15:19: error: environment 'prod': infra folder '../outside' must be inside the project",
    );
    expect(result.stderr).toMatch(
      /slipway\.yaml:15:\d+: error: environment 'prod': infra folder 'missing' does not exist/,
    );
    expect(result.stderr).not.toContain("'infra/envs/dev'");
    await project.write(
      'slipway.yaml',
      CONFIG.replace('approval: sometimes', 'approval: manual').replace(/\n {2}staging:[\s\S]*$/, '\n'),
    );
    const valid = await runCli(['validate'], { cwd: project.root });
    expect(valid.code, valid.stderr).toBe(0);
  });
});
