/**
 * The release lifecycle on the reference project, end to end on the built CLI with real DuckDB,
 * SQLite and git, and again on PostgreSQL (`init --warehouse postgres`: warehouse and state in
 * one fresh database): apply staging, promote prod (nothing rebuilt), change one model, apply,
 * promote, rollback (nothing rebuilt), re-apply, release an earlier commit, run, history,
 * status and gc.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slipway as runSlipway, slipwayJson as runSlipwayJson } from '../helpers/cli.js';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.js';
import { onDatabase, openReader, RELEASE_ENGINES, URL_VARIABLE } from '../helpers/release-engines.js';
import { commitAll, git } from '../helpers/release-project.js';

interface PlanJson {
  models: { model: string; change: string; category?: string; action: string }[];
  build: { model: string; table: string }[];
  reuse: { model: string }[];
  target: Record<string, { table: string }>;
}
interface ApplyJson {
  release: { id: string; commit: { sha: string; author: string } | undefined } | null;
  plan: PlanJson;
}

describe.each(RELEASE_ENGINES)('on %s', (engine) => {
  let tmp: string;
  let root: string;
  let firstCommit: string;
  let db: TestDatabase | undefined;
  const env = (): NodeJS.ProcessEnv => (db ? { [URL_VARIABLE]: db.url } : {});
  const slipway = (args: readonly string[], options: { cwd?: string } = {}) =>
    runSlipway(args, { ...options, env: env() });
  const slipwayJson = <T>(args: readonly string[], options: { cwd?: string } = {}) =>
    runSlipwayJson<T>(args, { ...options, env: env() });

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'slipway-lifecycle-'));
    root = path.join(tmp, 'jkl');
    if (engine === 'postgres') db = await freshDatabase('slipway_lifecycle');
    const init = await slipway([
      'init',
      root,
      '--no-install',
      '--scale',
      '0.02',
      ...(db ? ['--warehouse', 'postgres', '--url-env', URL_VARIABLE] : []),
    ]);
    expect(init.code, init.stderr).toBe(0);
    firstCommit = await git(root, 'rev-parse', 'HEAD');
  }, 300_000);
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
    await db?.drop();
  });

  /**
   * The next day of data arrives: generated files on DuckDB; on PostgreSQL, where the sources are
   * tables, the latest day's authorisations again a day later, as a loader would append them.
   */
  const nextDay = async (): Promise<void> => {
    if (!db) {
      expect((await slipway(['generate', '--slice', '1'], { cwd: root })).code).toBe(0);
      return;
    }
    await onDatabase(
      db.url,
      `insert into raw.card_transactions
       select txn_id + 100000000, card_id, customer_id, merchant_id, device_id, amount, currency, status,
              event_ts + interval '1 day', loaded_at + interval '1 day', channel, country
       from raw.card_transactions
       where event_ts > (select max(event_ts) - interval '1 day' from raw.card_transactions)`,
    );
  };

  /** A count read in-process (read-only; no command holds the file between steps). */
  const count = async (env: string, table: string): Promise<number> => {
    const warehouse = openReader({ engine, root, url: db?.url });
    try {
      const { rows } = await warehouse.query(`select count(*)::INT as n from "${env}"."${table}"`);
      return Number(rows[0]?.['n']);
    } finally {
      await warehouse.close();
    }
  };

  describe('release lifecycle on the reference project', () => {
    it('apply, promote, change, apply, rollback, re-apply, commit release, run, gc', async () => {
      const plan = await slipwayJson<PlanJson>(['plan', '--env', 'staging'], { cwd: root });
      expect(plan.models.every((m) => m.change === 'added')).toBe(true);
      expect(plan.build.length).toBe(plan.models.length);

      const first = await slipwayJson<ApplyJson>(['apply', '--env', 'staging'], { cwd: root });
      expect(first.release?.commit?.sha).toBe(firstCommit);
      expect(first.release?.commit?.author).toBe('Slipway <slipway@localhost>');

      const promoted = await slipwayJson<ApplyJson>(['promote', 'staging', 'prod'], { cwd: root });
      expect(promoted.plan.build).toEqual([]);
      expect(promoted.plan.reuse.length).toBe(plan.models.length);
      const alertsV1 = await count('prod', 'fraud_alerts');
      expect(alertsV1).toBeGreaterThan(0);

      // One model changes (a stricter rule: fewer alerts), committed by a named author.
      const file = path.join(root, 'models', 'marts', 'fraud_alerts.sql');
      const sql = await readFile(file, 'utf8');
      expect(sql).toContain('where score >= 40');
      await writeFile(file, sql.replace('where score >= 40', 'where score >= 60'));
      const sha = await commitAll(root, 'Raise the alert threshold');

      const changedPlan = await slipway(['plan', '--env', 'staging', '--markdown'], { cwd: root });
      expect(changedPlan.code).toBe(0);
      expect(changedPlan.stdout).toContain('```diff');
      expect(changedPlan.stdout).toMatch(/`fraud_alerts` \| modified \| breaking/);

      const second = await slipwayJson<ApplyJson>(['apply', '--env', 'staging'], { cwd: root });
      expect(second.release?.commit?.sha).toBe(sha);
      expect(second.release?.commit?.author).toBe('Tess Ter <tess@example.com>');
      const rebuilt = second.plan.build.map((b) => b.model).sort();
      expect(rebuilt).toEqual(['customer_risk_scores', 'daily_merchant_report', 'fraud_alerts']);

      const promotedAgain = await slipwayJson<ApplyJson>(['promote', 'staging', 'prod'], { cwd: root });
      expect(promotedAgain.plan.build).toEqual([]);
      const alertsV2 = await count('prod', 'fraud_alerts');
      expect(alertsV2).toBeLessThan(alertsV1);

      const rolledBack = await slipwayJson<{ to: string; release: { id: string } }>(
        ['rollback', '--env', 'prod'],
        { cwd: root },
      );
      expect(rolledBack.to).toBe(promoted.release?.id);
      expect(await count('prod', 'fraud_alerts')).toBe(alertsV1);

      // Re-apply the current commit to prod: every table already exists, nothing is rebuilt.
      const reapplied = await slipwayJson<ApplyJson>(['apply', '--env', 'prod'], { cwd: root });
      expect(reapplied.plan.build).toEqual([]);
      expect(await count('prod', 'fraud_alerts')).toBe(alertsV2);

      // Release the first commit to staging: its tables are still there, so again nothing to build.
      const old = await slipwayJson<ApplyJson>(
        ['apply', '--env', 'staging', '--commit', firstCommit.slice(0, 10)],
        { cwd: root },
      );
      expect(old.release?.commit?.sha).toBe(firstCommit);
      expect(old.plan.build).toEqual([]);
      expect(await count('staging', 'fraud_alerts')).toBe(alertsV1);

      const history = await slipwayJson<{
        current: string;
        releases: {
          id: string;
          kind: string;
          status: string;
          verification: { status: string } | null;
          rolledBack: { by: string; reason: string } | null;
        }[];
      }>(['history', '--env', 'prod'], { cwd: root });
      expect(history.releases.map((r) => r.kind)).toEqual(['apply', 'rollback', 'promote', 'promote']);
      // The promotion the rollback replaced reads as rolled back, by whom; the rest succeeded.
      expect(history.releases.map((r) => r.status)).toEqual([
        'succeeded',
        'succeeded',
        'rolled_back',
        'succeeded',
      ]);
      expect(history.releases[2]?.rolledBack).toEqual({
        by: rolledBack.release.id,
        reason: 'rolled back by tester',
      });
      // Prod's verify: block was honoured by every release the CLI switched in, not by the rollback.
      expect(history.releases.map((r) => r.verification?.status ?? null)).toEqual([
        'passed',
        null,
        'passed',
        'passed',
      ]);
      expect(history.current).toBe(reapplied.release?.id);
      const text = await slipway(['history', '--env', 'prod'], { cwd: root });
      expect(text.stdout).toContain(rolledBack.release.id);

      // Runs: the next day of data arrives; the incremental fact grows once, not twice.
      await nextDay();
      const run1 = await slipwayJson<{ models: { model: string; added: number }[] }>(
        ['run', '--env', 'prod'],
        {
          cwd: root,
        },
      );
      const added = run1.models.find((m) => m.model === 'fct_transactions')?.added ?? 0;
      expect(added).toBeGreaterThan(0);
      const run2 = await slipwayJson<{ models: { model: string; added: number }[] }>(
        ['run', '--env', 'prod'],
        {
          cwd: root,
        },
      );
      expect(run2.models.find((m) => m.model === 'fct_transactions')?.added).toBe(0);

      const status = await slipwayJson<{
        environments: { environment: string; release: { id: string } | null; lastRun: unknown }[];
      }>(['status'], { cwd: root });
      const prod = status.environments.find((e) => e.environment === 'prod');
      expect(prod?.release?.id).toBe(reapplied.release?.id);
      expect(prod?.lastRun).toMatchObject({ status: 'succeeded' });

      // gc --keep 1 drops only what no environment needs: both environments read as before.
      const prodAlerts = await count('prod', 'fraud_alerts');
      const dry = await slipwayJson<{ dropped: unknown[]; dryRun: boolean }>(
        ['gc', '--keep', '1', '--dry-run'],
        { cwd: root },
      );
      expect(dry.dryRun).toBe(true);
      const gc = await slipwayJson<{ dropped: unknown[] }>(['gc', '--keep', '1'], { cwd: root });
      expect(gc.dropped).toEqual(dry.dropped);
      expect(await count('prod', 'fraud_alerts')).toBe(prodAlerts);
      expect(await count('staging', 'fraud_alerts')).toBe(alertsV1);
    }, 480_000);
  });
});
