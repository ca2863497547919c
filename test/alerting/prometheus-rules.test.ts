/**
 * `slipway alerts export --format prometheus` (the built CLI) on a project with a rule of every
 * kind, checked by the real `promtool` of Debian's `prometheus` package
 * (scripts/install-test-services.sh installs it; without it this test fails, saying so):
 * `promtool check rules` accepts the file, and `promtool test rules` evaluates the exported
 * expressions against series shaped like the operator's /metrics — a failed prod release fires
 * the prod rule and not the staging one, a memory spike fires past its threshold only.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../helpers/run-cli.js';
import { MINIMAL_CONFIG, type TempProject, tempProject } from '../helpers/temp-project.js';

const ALERTS = `channels:
  mail: { type: email, host: smtp.example.com, port: 587, from: slipway@example.com, to: [oncall@example.com] }
rules:
  - { name: prod-release-failed, kind: release_failed, severity: critical, owner: platform, environments: [prod] }
  - { name: staging-release-failed, kind: release_failed, severity: warning, owner: platform, environments: [staging] }
  - { name: rolled-back, kind: release_rolled_back, severity: warning, owner: platform, environments: [staging, prod] }
  - { name: verification, kind: verification_failed, severity: critical, owner: platform }
  - { name: gate, kind: check_failed, severity: warning, owner: analytics }
  - { name: run-failed, kind: run_failed, severity: warning, owner: analytics }
  - { name: fresh, kind: source_freshness, severity: warning, owner: analytics }
  - { name: slow-runs, kind: run_duration, severity: info, owner: analytics, factor: 1.5, window: 20 }
  - { name: growth, kind: warehouse_growth, severity: warning, owner: platform, percent: 40, over: 1.5h }
  - { name: degraded, kind: operator_degraded, severity: critical, owner: platform }
  - { name: cpu, kind: cpu_spike, severity: warning, owner: platform, threshold: 80, for: 2m }
  - { name: memory, kind: memory_spike, severity: warning, owner: platform, threshold: 512 }
`;

const RULE_TESTS = `rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'slipway_releases_total{environment="prod",kind="apply",outcome="failed"}'
        values: '0 0 0 1 1 1'
      - series: 'slipway_releases_total{environment="staging",kind="apply",outcome="succeeded"}'
        values: '0 1 2 3 4 5'
      - series: 'slipway_process_resident_memory_bytes'
        values: '104857600 104857600 1073741824 1073741824 1073741824 1073741824'
    alert_rule_test:
      - eval_time: 5m
        alertname: prod-release-failed
        exp_alerts:
          - exp_labels: { severity: critical, owner: platform, service: slipway, environment: prod, kind: apply, outcome: failed }
            exp_annotations: { summary: release failed in prod }
      - eval_time: 5m
        alertname: staging-release-failed
        exp_alerts: []
      - eval_time: 1m
        alertname: memory
        exp_alerts: []
      - eval_time: 3m
        alertname: memory
        exp_alerts:
          - exp_labels: { severity: warning, owner: platform, service: slipway }
            exp_annotations: { summary: memory spike }
`;

function promtool(args: readonly string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    execFile('promtool', args, { cwd }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(
          new Error(
            "promtool is missing: install Debian's prometheus package (scripts/install-test-services.sh)",
          ),
        );
        return;
      }
      resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

let project: TempProject;

beforeAll(async () => {
  project = await tempProject({
    'slipway.yaml': MINIMAL_CONFIG,
    'models/one.sql': 'select 1 as id\n',
    'alerts.yaml': ALERTS,
  });
});

afterAll(async () => {
  await project?.remove();
});

describe('alerts export --format prometheus', () => {
  it('writes rules promtool accepts, evaluating as the rules say', async () => {
    const file = path.join(project.root, 'rules.yml');
    const result = await runCli([
      'alerts',
      'export',
      '--format',
      'prometheus',
      '--project',
      project.root,
      '--out',
      file,
    ]);
    expect(result.stderr).toContain('fresh not exported');
    expect(result.code).toBe(0);
    const check = await promtool(['check', 'rules', 'rules.yml'], project.root);
    expect(check.out).toContain('SUCCESS: 11 rules found');
    expect(check.code).toBe(0);
    await writeFile(path.join(project.root, 'rules.test.yml'), RULE_TESTS);
    const test = await promtool(['test', 'rules', 'rules.test.yml'], project.root);
    expect(test.out).toContain('SUCCESS');
    expect(test.code).toBe(0);
  }, 120_000);

  it('prints the same rules on stdout, and JSON with --json', async () => {
    const text = await runCli(['alerts', 'export', '--project', project.root]);
    expect(text.code).toBe(0);
    const doc = parse(text.stdout) as {
      groups: { name: string; rules: { alert: string; for?: string }[] }[];
    };
    expect(doc.groups[0]?.rules.map((r) => r.alert)).not.toContain('fresh');
    expect(doc.groups[0]?.rules.find((r) => r.alert === 'cpu')?.for).toBe('2m');
    const json = await runCli(['alerts', 'export', '--project', project.root, '--json']);
    const exported = JSON.parse(json.stdout) as { skipped: { rule: string }[] };
    expect(exported.skipped.map((s) => s.rule)).toEqual(['fresh']);
  }, 120_000);

  it('refuses another format, and a project without alerts.yaml, with exit 2', async () => {
    const wrong = await runCli(['alerts', 'export', '--format', 'nagios', '--project', project.root]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("--format must be prometheus, not 'nagios'");
    const bare = await tempProject({ 'slipway.yaml': MINIMAL_CONFIG, 'models/one.sql': 'select 1 as id\n' });
    try {
      const none = await runCli(['alerts', 'export', '--project', bare.root]);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('the project has no alerts.yaml');
      expect(none.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await bare.remove();
    }
  }, 120_000);
});
