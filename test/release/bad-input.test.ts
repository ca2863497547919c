/**
 * Bad input to the release commands, end to end: clear messages, exit 2 for the user's mistakes
 * and 1 when the work cannot run (the warehouse is down, a model fails), and nothing changed.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStateStore } from '../../src/state/sqlite/sqlite-state-store.js';
import { slipway } from '../helpers/cli.js';
import { releaseProject } from '../helpers/release-project.js';
import type { TempProject } from '../helpers/temp-project.js';

let project: TempProject;
beforeAll(async () => {
  project = await releaseProject(1);
  expect((await slipway(['apply', '--env', 'staging'], { cwd: project.root })).code).toBe(0);
});
afterAll(async () => {
  await project?.remove();
});

async function releases(): Promise<string[]> {
  const state = openSqliteStateStore({ path: path.join(project.root, '.slipway', 'state.db') });
  try {
    return (await state.listReleases()).map((r) => `${r.environment}:${r.status}`);
  } finally {
    await state.close();
  }
}

describe('bad input to release commands', () => {
  it('refuses an unknown environment, release, or commit with exit 2 and changes nothing', async () => {
    const before = await releases();
    const cases: [string[], RegExp][] = [
      [['plan', '--env', 'stagin'], /unknown environment 'stagin'[\s\S]*did you mean 'staging'/],
      [['apply', '--env', 'qa'], /unknown environment 'qa'/],
      [['rollback', '--env', 'staging', '--to', 'r-00000000'], /unknown release 'r-00000000'/],
      [['rollback', '--env', 'prod'], /'prod' has no release to roll back/],
      [['promote', 'prod', 'staging'], /'prod' has no release to promote/],
      [['apply', '--env', 'staging', '--commit', 'deadbeef1234'], /commit 'deadbeef1234' does not exist/],
      [['plan', '--env', 'staging', '--commit', '--nope'], /./],
      [['history', '--env', 'staging', '--limit', '0'], /--limit must be a positive whole number/],
      [['apply', '--env', 'staging', '--strategy', 'rainbow'], /unknown strategy 'rainbow'/],
      [['apply', '--env', 'staging', '--strategy', 'canary'], /environment 'staging' has no canary settings/],
    ];
    for (const [args, message] of cases) {
      const result = await slipway(args, { cwd: project.root });
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    expect(await releases()).toEqual(before);
  });

  it('refuses a canary strategy without its settings at validate (file:line:col), and on the command line', async () => {
    const before = await releases();
    const flag = await slipway(['apply', '--env', 'staging', '--strategy', 'canary'], { cwd: project.root });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/add `canary: \{ key: customer_id \}` to environments\.staging/);
    const config = path.join(project.root, 'slipway.yaml');
    const good = await readFile(config, 'utf8');
    await writeFile(
      config,
      good.replace('staging: { strategy: blue-green }', 'staging: { strategy: canary }'),
    );
    try {
      const line = good.split('\n').findIndex((l) => l.includes('staging: { strategy')) + 1;
      for (const args of [['validate'], ['apply', '--env', 'staging']]) {
        const result = await slipway(args, { cwd: project.root });
        expect(result.code, args.join(' ')).toBe(2);
        expect(result.stderr).toMatch(
          new RegExp(
            `slipway\\.yaml:${line}:\\d+: error: environment 'staging': the canary strategy needs canary settings`,
          ),
        );
        expect(result.stderr).not.toMatch(/\n\s+at /);
      }
      expect(await releases()).toEqual(before);
    } finally {
      await writeFile(config, good);
    }
  });

  it('fails a release whose model does not build with exit 1 and keeps the environment as it was', async () => {
    const before = await releases();
    const file = path.join(project.root, 'models', 'grand_total.sql');
    const good = await readFile(file, 'utf8');
    await writeFile(file, good.replace('sum(total)', 'sum(total) / no_such_function(1)'));
    try {
      const result = await slipway(['apply', '--env', 'staging'], { cwd: project.root });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/grand_total: .*no_such_function/);
      expect(await releases()).toEqual(['staging:failed', ...before]);
      const status = await slipway(['status', '--env', 'staging', '--json'], { cwd: project.root });
      expect(JSON.parse(status.stdout).environments[0].lock).toBeNull();
    } finally {
      await writeFile(file, good);
    }
  });

  it('stops a release whose data-quality checks fail before the switch (exit 1); --no-checks skips them', async () => {
    const before = await releases();
    const file = path.join(project.root, 'models', 'grand_total.sql');
    const good = await readFile(file, 'utf8');
    await writeFile(
      file,
      good
        .replace('kind: table\n', 'kind: table\nchecks:\n  - row_count: { min: 2 }\n')
        .replace('max(version)', '2 + max(version) - 1'),
    );
    try {
      const result = await slipway(['apply', '--env', 'staging'], { cwd: project.root });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(
        /release gate failed: 1 check on 1 new model version: 1 failed \(grand_total\.\*\.row_count/,
      );
      expect(await releases()).toEqual(['staging:failed', ...before]);
      const skipped = await slipway(['apply', '--env', 'staging', '--no-checks'], { cwd: project.root });
      expect(skipped.code, skipped.stderr).toBe(0);
    } finally {
      await writeFile(file, good);
    }
  });

  it('reports a warehouse that is down with exit 1 and records nothing', async () => {
    const before = await releases();
    const config = path.join(project.root, 'slipway.yaml');
    const good = await readFile(config, 'utf8');
    // A folder where the database file should be: DuckDB cannot open it.
    await mkdir(path.join(project.root, 'broken.duckdb'), { recursive: true });
    await writeFile(config, good.replace('.slipway/warehouse.duckdb', 'broken.duckdb'));
    try {
      for (const args of [
        ['plan', '--env', 'staging'],
        ['apply', '--env', 'staging'],
      ]) {
        const result = await slipway(args, { cwd: project.root });
        expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(1);
        expect(result.stderr).toMatch(/cannot open the DuckDB warehouse/);
      }
      expect(await releases()).toEqual(before);
    } finally {
      await writeFile(config, good);
    }
  });
});
