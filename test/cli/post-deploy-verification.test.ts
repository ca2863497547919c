/**
 * `slipway apply` and `promote` honour the target environment's `verify:` block as the operator
 * does, end to end on the built CLI with real DuckDB, SQLite and git: prod verifies row counts
 * within 50 % of the release before and rolls back on failure (exit 1 naming it, the release
 * marked rolled_back with the reason, events in the audit log); a second rollback does not bring
 * the failed release back unnamed; `--no-verify` is recorded; qa verifies after a delay, with
 * visible progress; audit (`rollback: false`) only reports; a bad block is exit 2 at file:line:col.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pendingText } from '../../src/cli/commands/status-action.js';
import type { ReleaseRecord } from '../../src/core/release.js';
import type { IncidentRecord } from '../../src/state/operator-store.js';
import { SqliteOperatorStore } from '../../src/state/sqlite/sqlite-operator-store.js';
import { openSqliteStateStore } from '../../src/state/sqlite/sqlite-state-store.js';
import type { EventRecord } from '../../src/state/state-store.js';
import { createDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.js';
import { slipway, slipwayJson, slipwayOnceItSays } from '../helpers/cli.js';
import { commitAll, RELEASE_CONFIG, releaseModels, releaseProject } from '../helpers/release-project.js';
import type { TempProject } from '../helpers/temp-project.js';

const CONFIG = RELEASE_CONFIG.replace(
  '  prod: { strategy: blue-green, promote_from: staging }\n',
  `  prod:
    strategy: blue-green
    promote_from: staging
    verify: { max_row_change: 50% }
  qa: { strategy: blue-green, verify: { delay: 1500ms } }
  slow: { strategy: blue-green, verify: { delay: 20s } }
  audit: { strategy: direct, verify: { max_row_change: 50%, rollback: false } }
`,
);

interface ReleaseJson {
  release: (ReleaseRecord & { verification: ReleaseRecord['verification'] }) | null;
  verification: {
    status: string;
    summary: string;
    dueAt: string | null;
    rollback: { to: string; releaseId: string | null } | null;
  } | null;
}

interface HistoryJson {
  current: string;
  releases: {
    id: string;
    kind: string;
    status: string;
    verification: { status: string; summary: string | null } | null;
    rolledBack: { by: string; reason: string } | null;
    note: string | null;
  }[];
}

let project: TempProject;
const commits: Record<string, string> = {};

/** Version `v` of the models with all orders but the first filtered out of stg_orders. */
function shrunk(v: number): Record<string, string> {
  const files = releaseModels(v);
  files['models/stg_orders.sql'] = (files['models/stg_orders.sql'] as string).replace(
    'from orders',
    'from orders where order_id = 1',
  );
  return files;
}

async function commit(files: Record<string, string>, message: string): Promise<string> {
  for (const [file, text] of Object.entries(files)) await project.write(file, text);
  return commitAll(project.root, message);
}

const cli = (args: string[]) => slipway(args, { cwd: project.root });
const cliJson = <T>(args: string[], expected = 0) => slipwayJson<T>(args, { cwd: project.root, expected });

/** What an environment's stg_orders shows: rows and version (read-only, in-process). */
async function shows(environment: string): Promise<{ n: number; v: number }> {
  const warehouse = createDuckDbWarehouse({
    path: path.join(project.root, '.slipway', 'warehouse.duckdb'),
    readOnly: true,
  });
  try {
    const { rows } = await warehouse.query(
      `select count(*)::INT as n, max(version)::INT as v from "${environment}".stg_orders`,
    );
    return { n: Number(rows[0]?.['n']), v: Number(rows[0]?.['v']) };
  } finally {
    await warehouse.close();
  }
}

async function events(environment: string): Promise<EventRecord[]> {
  const state = openSqliteStateStore({ path: path.join(project.root, '.slipway', 'state.db') });
  try {
    return await state.listEvents({ environment });
  } finally {
    await state.close();
  }
}

/** The environment's open incident, from the operator store beside the project's state store. */
async function openIncident(environment: string): Promise<IncidentRecord | undefined> {
  const store = new SqliteOperatorStore(path.join(project.root, '.slipway', 'operator.db'));
  try {
    return await store.openIncident(environment);
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  project = await releaseProject(1);
  commits['v1'] = await commit({ 'slipway.yaml': CONFIG }, 'Verify prod, qa and audit');
  expect((await cli(['apply', '--env', 'staging'])).code).toBe(0);
});

afterAll(async () => {
  await project?.remove();
});

describe('post-deploy verification from the CLI', () => {
  it('promote verifies prod after the switch and records it on the release', async () => {
    const first = await cliJson<ReleaseJson>(['promote', 'staging', 'prod']);
    // Prod's first release: no release before to compare rows with, and no checks declared.
    expect(first.verification).toMatchObject({
      status: 'passed',
      summary: '0 checks passed; no changed model to compare rows with',
    });
    expect(first.release?.verification).toMatchObject({ status: 'passed' });

    commits['v2'] = await commit(releaseModels(2), 'Version 2');
    expect((await cli(['apply', '--env', 'staging'])).code).toBe(0);
    const text = await cli(['promote', 'staging', 'prod']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/✓ prod verified: 0 checks passed; 4 changed models within 50% rows/);
    expect(await shows('prod')).toEqual({ n: 4, v: 2 });
    const verified = (await events('prod')).filter((e) => e.type === 'release.verified');
    expect(verified.map((e) => e.actor)).toEqual(['tester', 'tester']);
  });

  it('a promotion that fails verification is rolled back: exit 1 naming the failure, the release rolled_back', async () => {
    commits['bad'] = await commit(shrunk(3), 'Left a notebook filter in');
    // Staging asks for no verification: it takes the change.
    expect((await cli(['apply', '--env', 'staging'])).code).toBe(0);
    const before = (await cliJson<HistoryJson>(['history', '--env', 'prod'])).current;
    const result = await cli(['promote', 'staging', 'prod']);
    expect(result.code, result.stdout).toBe(1);
    expect(result.stderr).toMatch(
      /error: post-deploy verification of prod failed: stg_orders rows 4 → 1 \(−75%, bound 50%\)/,
    );
    expect(result.stderr).toMatch(new RegExp(`hint: prod was rolled back to ${before}`));
    expect(result.stdout).toMatch(new RegExp(`↩ prod rolled back to ${before} as release r-[0-9a-f]{8}`));
    // Prod shows version 2 again, all four orders.
    expect(await shows('prod')).toEqual({ n: 4, v: 2 });

    const history = await cliJson<HistoryJson>(['history', '--env', 'prod']);
    const [rollback, promoted] = history.releases;
    expect(rollback).toMatchObject({ kind: 'rollback', status: 'succeeded', verification: null });
    expect(history.current).toBe(rollback?.id);
    expect(promoted).toMatchObject({
      kind: 'promote',
      status: 'rolled_back',
      rolledBack: { by: rollback?.id },
      verification: { status: 'failed', summary: expect.stringMatching(/^stg_orders rows 4 → 1/) },
    });
    expect(promoted?.rolledBack?.reason).toMatch(/^post-deploy verification failed: stg_orders rows 4 → 1/);
    const table = await cli(['history', '--env', 'prod']);
    const line = table.stdout.split('\n').find((l) => l.includes(promoted?.id ?? '?'));
    expect(line).toMatch(
      /rolled_back .*failed .*rolled back by r-[0-9a-f]{8}: post-deploy verification failed/,
    );

    const log = (await events('prod')).map((e) => `${e.type}:${e.actor}:${e.releaseId}`);
    expect(log).toContain(`release.verification_failed:tester:${promoted?.id}`);
    expect(log).toContain(`release.rolled_back:tester:${promoted?.id}`);
    expect(log.indexOf(`release.rolled_back:tester:${promoted?.id}`)).toBeGreaterThan(
      log.indexOf(`release.verification_failed:tester:${promoted?.id}`),
    );
    // Recorded as the operator records it: an incident opened, resolved once the rollback restored prod.
    expect(log).toContain(`incident.opened:tester:${promoted?.id}`);
    expect(log.indexOf(`incident.resolved:tester:${promoted?.id}`)).toBeGreaterThan(
      log.indexOf(`release.rolled_back:tester:${promoted?.id}`),
    );
    expect(await openIncident('prod')).toBeUndefined();
  });

  it('a second rollback does not bring the failed release back unless it is named', async () => {
    const result = await cli(['rollback', '--env', 'prod']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/which failed its post-deploy verification \(stg_orders rows 4 → 1/);
    expect(result.stderr).toMatch(
      /hint: name the release to go back to: slipway rollback --env prod --to RELEASE/,
    );
    expect(await shows('prod')).toEqual({ n: 4, v: 2 });
  });

  it('--no-verify skips the verification and says so in the history and the audit log', async () => {
    const skipped = await cliJson<ReleaseJson>(['promote', 'staging', 'prod', '--no-verify']);
    expect(skipped.verification).toMatchObject({
      status: 'skipped',
      summary: 'released with --no-verify by tester',
    });
    expect(await shows('prod')).toEqual({ n: 1, v: 3 });
    const [latest] = (await cliJson<HistoryJson>(['history', '--env', 'prod'])).releases;
    expect(latest).toMatchObject({ status: 'succeeded', verification: { status: 'skipped' } });
    const log = await events('prod');
    expect(log.find((e) => e.type === 'release.verification_skipped')).toMatchObject({
      actor: 'tester',
      releaseId: latest?.id,
      data: { summary: expect.stringMatching(/not verified: released with --no-verify by tester/) },
    });
    // The release before it was the rollback (never verified): a rollback by hand may go there,
    // and its reason is recorded on the release it rolls back.
    expect(
      (await cli(['rollback', '--env', 'prod', '--reason', 'released unverified by mistake'])).code,
    ).toBe(0);
    expect(await shows('prod')).toEqual({ n: 4, v: 2 });
    const [, rolledBack] = (await cliJson<HistoryJson>(['history', '--env', 'prod'])).releases;
    expect(rolledBack).toMatchObject({
      id: latest?.id,
      status: 'rolled_back',
      rolledBack: { reason: 'released unverified by mistake' },
    });
  });

  it('apply waits for verify.delay with visible progress, then verifies', async () => {
    const began = Date.now();
    const result = await cli(['apply', '--env', 'qa', '--commit', commits['v2'] as string, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(Date.now() - began).toBeGreaterThanOrEqual(1500);
    expect(result.stderr).toMatch(/Verifying qa in 1\.\d+s \(verify\.delay; r-[0-9a-f]{8} is live/);
    const applied = JSON.parse(result.stdout) as ReleaseJson;
    expect(applied.verification?.status).toBe('passed');
    const switched = Date.parse(applied.release?.switchedAt ?? '');
    const verification = applied.release?.verification;
    expect(Date.parse(verification?.dueAt ?? '') - switched).toBeGreaterThanOrEqual(1400);
    expect(Date.parse(verification?.at ?? '')).toBeGreaterThanOrEqual(Date.parse(verification?.dueAt ?? ''));
  });

  it('a release killed while it waits for its verification stays pending, and the next release settles it', async () => {
    const running = await slipwayOnceItSays(
      'Verifying qa in',
      ['apply', '--env', 'qa', '--commit', commits['bad'] as string],
      {
        cwd: project.root,
      },
    );
    running.child.kill('SIGKILL');
    expect(await running.exited).toBe('SIGKILL');
    const [killed] = (await cliJson<HistoryJson>(['history', '--env', 'qa'])).releases;
    expect(killed).toMatchObject({ status: 'succeeded', verification: { status: 'pending' } });

    const next = await cliJson<ReleaseJson>(['apply', '--env', 'qa', '--commit', commits['v2'] as string]);
    expect(next.verification?.status).toBe('passed');
    const settled = (await cliJson<HistoryJson>(['history', '--env', 'qa'])).releases.find(
      (r) => r.id === killed?.id,
    );
    expect(settled?.verification).toMatchObject({
      status: 'skipped',
      summary: `replaced by ${next.release?.id} before it was verified`,
    });
    const log = await events('qa');
    expect(log.some((e) => e.type === 'release.verification_skipped' && e.releaseId === killed?.id)).toBe(
      true,
    );
  });

  // The delay is long enough for a query and a release to finish during it on a loaded machine.
  it('while apply waits out verify.delay, others can query and release; a release replaced meanwhile is not verified', async () => {
    const waiting = await slipwayOnceItSays(
      'Verifying slow in',
      ['apply', '--env', 'slow', '--commit', commits['v2'] as string, '--json'],
      { cwd: project.root },
    );
    const stdout: string[] = [];
    waiting.child.stdout?.on('data', (d: Buffer) => stdout.push(d.toString()));
    // Neither the warehouse file nor slow's lock is held during the wait.
    const query = await cli(['query', '--env', 'slow', 'select count(*) as n from stg_orders']);
    expect(query.code, query.stderr).toBe(0);
    const replacing = await cliJson<ReleaseJson>([
      'apply',
      '--env',
      'slow',
      '--commit',
      commits['bad'] as string,
      '--no-verify',
    ]);
    expect(await waiting.exited).toBe(0);
    const waited = JSON.parse(stdout.join('')) as ReleaseJson;
    expect(waited.verification).toMatchObject({
      status: 'skipped',
      summary: `replaced by ${replacing.release?.id} before it was verified`,
    });
    expect(waiting.stderr()).toMatch(/slow's verification of r-[0-9a-f]{8} was settled meanwhile: skipped/);
    expect(await shows('slow')).toEqual({ n: 1, v: 3 });
  }, 180_000);

  it('a pending verification more than a minute late reads as overdue', () => {
    const due = '2026-11-27T03:00:00.000Z';
    expect(pendingText(due, Date.parse(due) - 5_000)).toBe(`pending (due ${due})`);
    expect(pendingText(due, Date.parse(due) + 30_000)).toBe(`pending (due ${due})`);
    expect(pendingText(due, Date.parse(due) + 125_000)).toBe(`pending, overdue by 2m 5s (due ${due})`);
  });

  it('verify: { rollback: false } only reports: the environment stays, the failure is recorded', async () => {
    expect((await cli(['apply', '--env', 'audit', '--commit', commits['v2'] as string])).code).toBe(0);
    const result = await cli(['apply', '--env', 'audit']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: post-deploy verification of audit failed: stg_orders rows 4 → 1/);
    expect(result.stderr).toMatch(/hint: audit stays on r-[0-9a-f]{8} \(verify: \{ rollback: false \}\)/);
    expect(await shows('audit')).toEqual({ n: 1, v: 3 });
    const history = await cliJson<HistoryJson>(['history', '--env', 'audit']);
    const [latest] = history.releases;
    expect(history.current).toBe(latest?.id);
    expect(history.releases).toHaveLength(2);
    expect(latest).toMatchObject({
      status: 'succeeded',
      rolledBack: null,
      verification: { status: 'failed' },
      note: expect.stringMatching(/^post-deploy verification failed: stg_orders rows 4 → 1/),
    });
    const log = await events('audit');
    expect(log.some((e) => e.type === 'release.verification_failed' && e.releaseId === latest?.id)).toBe(
      true,
    );
    expect(log.some((e) => e.type === 'release.rolled_back')).toBe(false);
    // No rollback: the incident stays open until a release passes its verification.
    expect(await openIncident('audit')).toMatchObject({ environment: 'audit', releaseId: latest?.id });
    // The fix is compared with the last release that did not fail (4 rows), not with the failure
    // (1 row, from which 4 would be +300 %).
    commits['fix'] = await commit(releaseModels(4), 'Filter removed');
    const fixed = await cliJson<ReleaseJson>(['apply', '--env', 'audit']);
    expect(fixed.verification).toMatchObject({ status: 'passed' });
    expect(fixed.verification?.summary).toBe('0 checks passed; 4 changed models within 50% rows');
    expect(await openIncident('audit')).toBeUndefined();
    const resolved = (await events('audit')).find((e) => e.type === 'incident.resolved');
    expect(resolved?.data).toMatchObject({ summary: expect.stringMatching(/passed its verification/) });
  });

  it('a bad verify block is exit 2 at file:line:col, and nothing is released', async () => {
    const before = (await cliJson<HistoryJson>(['history', '--env', 'prod'])).releases.length;
    await project.write('slipway.yaml', CONFIG.replace('max_row_change: 50% }', 'max_row_change: lots }'));
    try {
      const result = await cli(['promote', 'staging', 'prod']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /^slipway\.yaml:13:31: error: environments\.prod\.verify\.max_row_change: a percentage such as 50%/m,
      );
    } finally {
      await project.write('slipway.yaml', CONFIG);
    }
    expect((await cliJson<HistoryJson>(['history', '--env', 'prod'])).releases).toHaveLength(before);
  });
});
