/**
 * The canary strategy on the library API, with real DuckDB and SQLite, on a generated project
 * (`canary-project.ts`): a planted regression that changes the output of 3 % of the customers is
 * stopped at the 5 % step with the metric named and prod untouched; a refactor with identical
 * output promotes through every step; a change to half the customers promotes when the model
 * declares `expected_change` and is stopped when it does not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintProject } from '../../src/project/fingerprint.js';
import { applyRelease } from '../../src/release/apply-release.js';
import type { ReleaseServices } from '../../src/release/execute-release.js';
import { sampleSchemas } from '../../src/release/strategies/canary/canary-sample.js';
import {
  CANARY_MODELS,
  CUSTOMER_SPEND,
  canaryProject,
  STG_TRANSACTIONS,
  seedCanaryData,
} from '../helpers/canary-project.js';
import { type EngineProject, engineServices, RELEASE_ENGINES } from '../helpers/release-engines.js';
import { closeServices, loadAt } from '../helpers/release-project.js';

describe.each(RELEASE_ENGINES)('the canary strategy on %s', (engine) => {
  let project: EngineProject;
  let services: ReleaseServices;

  beforeAll(async () => {
    project = await canaryProject(engine);
    services = await engineServices(project);
    await seedCanaryData(services.warehouse, engine);
  });
  afterAll(async () => {
    await closeServices(services);
    await project?.remove();
  });

  async function apply(progress?: string[]) {
    const loaded = await loadAt(project.root);
    return applyRelease(services, {
      project: loaded,
      fingerprints: fingerprintProject(loaded),
      environment: 'prod',
      strategy: 'canary',
      commit: undefined,
      actor: 'tester',
      concurrency: 1,
      ...(progress ? { progress: (line: string) => progress.push(line) } : {}),
    });
  }

  /** The error a release that must fail throws (failing the test when it succeeds). */
  async function failure(): Promise<Error> {
    try {
      await apply();
    } catch (error) {
      return error as Error;
    }
    throw new Error('the release succeeded');
  }

  async function prodJewelryRows(): Promise<number> {
    const { rows } = await services.warehouse.query(
      `select count(*) as n from "prod"."stg_transactions" where category = 'jewelry'`,
    );
    return Number(rows[0]?.['n']);
  }

  async function scratchRelations(): Promise<number> {
    let count = 0;
    for (const schema of Object.values(sampleSchemas('prod'))) {
      count += (await services.warehouse.listRelations(schema)).length;
    }
    return count;
  }

  async function reset(): Promise<void> {
    for (const [file, text] of Object.entries(CANARY_MODELS)) await project.write(file, text);
  }

  it('releases a first version through its steps (nothing to compare: the checks run on each sample)', async () => {
    const progress: string[] = [];
    const first = await apply(progress);
    expect(first.outcome?.release.status).toBe('succeeded');
    expect(first.outcome?.release.strategy).toBe('canary');
    expect(progress.map((l) => l.replace(/:.*→/, ' →'))).toEqual(['canary 5% → widen', 'canary 25% → widen']);
    // Every 33rd of the 10,000 customers bought once at the jewelry merchant.
    expect(await prodJewelryRows()).toBe(303);
    expect(await scratchRelations()).toBe(0);
  });

  it('stops a regression touching 3% of the keys at the 5% step, naming the metric; prod is untouched', async () => {
    const before = await services.state.getPointer('prod');
    await project.write(
      'models/stg_transactions.sql',
      STG_TRANSACTIONS.replace('using (merchant_id)', "using (merchant_id)\nwhere m.category <> 'jewelry'"),
    );
    const error = await failure();
    expect(error.message).toMatch(/^canary aborted at the 5% step: /);
    expect(error.message).toContain('stg_transactions.changed_keys');
    expect(error.message).toContain('customer_spend.changed_keys');

    // The environment still shows its live release and data; nothing was built in full.
    expect((await services.state.getPointer('prod'))?.releaseId).toBe(before?.releaseId);
    expect(await prodJewelryRows()).toBeGreaterThan(0);
    const releases = await services.state.listReleases({ environment: 'prod' });
    const failed = releases.find((r) => r.id !== before?.releaseId && r.status === 'failed');
    expect(failed?.error).toMatch(/canary aborted at the 5% step: .*changed_keys/);
    expect(failed?.switchedAt).toBeUndefined();
    const loaded = await loadAt(project.root);
    const newTable = `customer_spend__${fingerprintProject(loaded).get('customer_spend')}`;
    expect((await services.state.getPhysicalTables()).map((t) => t.name)).not.toContain(newTable);
    const events = await services.state.listEvents({ environment: 'prod' });
    const aborted = events.filter((e) => e.type === 'release.canary_aborted' && e.releaseId === failed?.id);
    expect(aborted).toHaveLength(1);
    const data = aborted[0]?.data as { percent: number; failed: { metric: string }[] };
    expect(data.percent).toBe(5);
    expect(data.failed.map((f) => f.metric)).toContain('stg_transactions.changed_keys');
    expect(await scratchRelations()).toBe(0);
    await reset();
  });

  it('promotes a refactor with identical output through every step, with no person involved', async () => {
    const before = await services.state.getPointer('prod');
    await project.write(
      'models/stg_transactions.sql',
      STG_TRANSACTIONS.replace('using (merchant_id)', 'on m.merchant_id = t.merchant_id'),
    );
    const progress: string[] = [];
    const result = await apply(progress);
    expect(result.outcome?.release.status).toBe('succeeded');
    expect(result.outcome?.release.previousReleaseId).toBe(before?.releaseId);
    expect(progress).toHaveLength(2);
    for (const line of progress) expect(line).toMatch(/passed, 0 failed, 0 inconclusive → widen$/);
    const steps = (await services.state.listEvents({ environment: 'prod' })).filter(
      (e) => e.type === 'release.canary_step' && e.releaseId === result.outcome?.release.id,
    );
    expect(steps.map((e) => (e.data as { percent: number }).percent)).toEqual([5, 25]);
    expect(await prodJewelryRows()).toBeGreaterThan(0);
  });

  it('stops a change to half the customers that declares no expected_change', async () => {
    const before = await services.state.getPointer('prod');
    await project.write(
      'models/customer_spend.sql',
      CUSTOMER_SPEND.replace(
        'sum(amount) as total',
        'sum(amount) * (case when customer_id % 2 = 0 then 2 else 1 end) as total',
      ),
    );
    const error = await failure();
    expect(error.message).toMatch(
      /^canary aborted at the 5% step: customer_spend\.changed_keys: \d+ of \d+ keys changed \((4|5|6)\d(\.\d+)?%\); allowed 0\.5% \(expected_change none\)/,
    );
    expect((await services.state.getPointer('prod'))?.releaseId).toBe(before?.releaseId);
  });

  it('promotes the same change when the model declares it with expected_change', async () => {
    const before = await services.state.getPointer('prod');
    await project.write(
      'models/customer_spend.sql',
      CUSTOMER_SPEND.replace('kind: table', 'kind: table\nexpected_change: 60%').replace(
        'sum(amount) as total',
        'sum(amount) * (case when customer_id % 2 = 0 then 2 else 1 end) as total',
      ),
    );
    // The declared metric (sum(total) within 1%) would stop it: it is the one thing not expected.
    await project.write(
      'slipway.yaml',
      (await import('../helpers/canary-project.js')).CANARY_CONFIG.replace(
        'tolerance: 1%, name: spend',
        'tolerance: 100%, name: spend',
      ),
    );
    const result = await apply();
    expect(result.outcome?.release.status).toBe('succeeded');
    expect(result.outcome?.release.previousReleaseId).toBe(before?.releaseId);
    const { rows } = await services.warehouse.query(
      `select count(*) filter (where customer_id % 2 = 0) as doubled from "prod"."customer_spend"`,
    );
    expect(Number(rows[0]?.['doubled'])).toBe(5000);
  });

  it('pauses when a difference shows in too small a sample, and fails when the analysis cannot run', async () => {
    const before = await services.state.getPointer('prod');
    const config = (await import('../helpers/canary-project.js')).CANARY_CONFIG;
    await project.write(
      'models/customer_spend.sql',
      CUSTOMER_SPEND.replace(
        'count(*) as txn_count',
        'count(*) + (customer_id % 7 = 0)::INTEGER as txn_count',
      ),
    );
    // Every model has fewer rows than min_rows: a difference is inconclusive, and the canary
    // pauses (the default) rather than judging it.
    await project.write(
      'slipway.yaml',
      config
        .replace('steps: [5, 25, 100]', 'steps: [5, 25, 100]\n      analysis: { min_rows: 1000000 }')
        .replace(/\n {6}analysis:\n {8}metrics: .*\n/, '\n'),
    );
    const paused = await failure();
    expect(paused.message).toMatch(
      /^canary paused at the 5% step: the analysis is inconclusive \(customer_spend\./,
    );
    // A declared metric whose SQL does not run: an error naming the step, never a pass.
    await project.write('slipway.yaml', config.replace("sql: 'sum(total)'", "sql: 'sum(no_such_column)'"));
    const broken = await failure();
    expect(broken.message).toMatch(/^the canary could not run its 5% step: .*no_such_column/);
    expect((await services.state.getPointer('prod'))?.releaseId).toBe(before?.releaseId);
    expect(await scratchRelations()).toBe(0);
    const types = (await services.state.listEvents({ environment: 'prod' })).map((e) => e.type);
    expect(types).toContain('release.canary_paused');
  });
});
