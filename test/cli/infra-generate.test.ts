/**
 * `slipway infra generate` through the built CLI (dist/): the files it writes for a project with
 * alerts.yaml, a second run that changes no file (same bytes, same mtimes), a changed alert rule
 * that rewrites only the alarms file, and a bad alerts.yaml that exits 2 at `file:line:col`.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, runCli } from '../helpers/run-cli.js';
import { MINIMAL_CONFIG, type TempProject, tempProject } from '../helpers/temp-project.js';

const ALERTS = `channels:
  data-slack: { type: slack, webhook_url_env: SLACK_WEBHOOK_URL }
rules:
  - { name: prod-release-failed, kind: release_failed, severity: critical, owner: data-platform,
      environments: [prod] }
  - { name: slow-runs, kind: run_duration, severity: warning, owner: analytics, factor: 1.5, window: 20 }
`;

const FILES = ['slipway-alarms.tf.json', 'slipway-dashboards.tf.json', 'slipway-warehouse.tf.json'];

interface GenerateJson {
  readonly dir: string;
  readonly files: string[];
  readonly written: string[];
  readonly alarms: string[];
  readonly skipped: { rule: string; kind: string; reason: string }[];
}

let project: TempProject;
const generated = (file: string) => path.join(project.root, 'infra', 'generated', file);

async function snapshot(): Promise<Record<string, { text: string; mtimeMs: number }>> {
  const out: Record<string, { text: string; mtimeMs: number }> = {};
  for (const f of FILES)
    out[f] = { text: await readFile(generated(f), 'utf8'), mtimeMs: (await stat(generated(f))).mtimeMs };
  return out;
}

beforeAll(async () => {
  project = await tempProject({ 'slipway.yaml': MINIMAL_CONFIG, 'alerts.yaml': ALERTS });
});

afterAll(async () => {
  await project.remove();
});

describe('slipway infra generate (CLI)', () => {
  it('writes the dashboards, alarms and warehouse files, then changes nothing on a second run', async () => {
    const first = await runCli(['infra', 'generate', '--json'], { cwd: project.root });
    expect(first.code, first.stderr).toBe(0);
    const out = json<GenerateJson>(first);
    expect(out.files).toEqual(FILES);
    expect(out.written).toEqual(FILES);
    expect(out.alarms).toEqual(['prod/prod-release-failed']);
    expect(out.skipped.map((s) => s.rule)).toEqual(['slow-runs']);
    const before = await snapshot();
    const alarms = JSON.parse(before['slipway-alarms.tf.json']?.text ?? '{}') as {
      resource: { aws_cloudwatch_metric_alarm: Record<string, unknown> };
    };
    expect(Object.keys(alarms.resource.aws_cloudwatch_metric_alarm)).toEqual(['prod_prod_release_failed']);
    const dashboards = JSON.parse(before['slipway-dashboards.tf.json']?.text ?? '{}') as {
      resource: { aws_cloudwatch_dashboard: Record<string, unknown> };
    };
    expect(Object.keys(dashboards.resource.aws_cloudwatch_dashboard).sort()).toEqual([
      'dev',
      'prod',
      'staging',
    ]);

    // Wait past the file system's timestamp resolution, so a rewrite would show in the mtime.
    await new Promise((r) => setTimeout(r, 50));
    const second = await runCli(['infra', 'generate'], { cwd: project.root });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('3 files');
    expect(second.stdout).toContain('0 changed');
    expect(second.stderr).toContain('slow-runs');
    expect(await snapshot()).toEqual(before);
  });

  it('rewrites only the alarms file when an alert rule changes', async () => {
    await runCli(['infra', 'generate'], { cwd: project.root });
    const before = await snapshot();
    await project.write(
      'alerts.yaml',
      ALERTS.replace('environments: [prod]', 'environments: [staging, prod]'),
    );
    await new Promise((r) => setTimeout(r, 50));
    const result = await runCli(['infra', 'generate', '--json'], { cwd: project.root });
    expect(result.code, result.stderr).toBe(0);
    const out = json<GenerateJson>(result);
    expect(out.written).toEqual(['slipway-alarms.tf.json']);
    expect(out.alarms).toEqual(['staging/prod-release-failed', 'prod/prod-release-failed']);
    const after = await snapshot();
    expect(after['slipway-dashboards.tf.json']).toEqual(before['slipway-dashboards.tf.json']);
    expect(after['slipway-warehouse.tf.json']).toEqual(before['slipway-warehouse.tf.json']);
    expect(after['slipway-alarms.tf.json']?.text).not.toBe(before['slipway-alarms.tf.json']?.text);
    expect(after['slipway-alarms.tf.json']?.text).toContain('"test-project-staging-alerts"');
  });

  it('exits 2 at alerts.yaml:line:col for an unknown environment, without a stack trace or writing', async () => {
    await project.write('alerts.yaml', ALERTS.replace('environments: [prod]', 'environments: [prd]'));
    const before = await snapshot();
    const result = await runCli(['infra', 'generate'], { cwd: project.root });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/alerts\.yaml:5:22: error: unknown environment 'prd'/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(await snapshot()).toEqual(before);
  });
});
