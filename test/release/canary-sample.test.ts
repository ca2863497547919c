/**
 * The canary's sample, on DuckDB and PostgreSQL: the same keys on every run, each step's keys a
 * subset of the next one's, close to the step's share, and every source that carries the key
 * sampled by the same keys (joins stay whole) while a source without it is read whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintProject } from '../../src/project/fingerprint.js';
import type { Project } from '../../src/project/project.js';
import { planApply } from '../../src/release/apply-release.js';
import type { ReleaseServices } from '../../src/release/execute-release.js';
import type { ReleasePlan } from '../../src/release/plan-release.js';
import {
  buildSample,
  canaryScope,
  dropSample,
  sampleSchemas,
} from '../../src/release/strategies/canary/canary-sample.js';
import { canarySettings } from '../../src/release/strategies/canary/canary-settings.js';
import { canaryProject, seedCanaryData } from '../helpers/canary-project.js';
import { type EngineProject, engineServices, RELEASE_ENGINES } from '../helpers/release-engines.js';
import { closeServices, loadAt } from '../helpers/release-project.js';

/** Keys picked by each engine at 5 %, to compare the engines at the end. */
const picked = new Map<string, string[]>();

describe.each(RELEASE_ENGINES)('the canary sample on %s', (engine) => {
  let project: EngineProject;
  let services: ReleaseServices;
  let loaded: Project;
  let plan: ReleasePlan;

  beforeAll(async () => {
    project = await canaryProject(engine);
    services = await engineServices(project);
    await seedCanaryData(services.warehouse, engine);
    loaded = await loadAt(project.root);
    plan = await planApply(services, {
      project: loaded,
      fingerprints: fingerprintProject(loaded),
      environment: 'prod',
      strategy: 'canary',
      commit: undefined,
    });
  });
  afterAll(async () => {
    await closeServices(services);
    await project?.remove();
  });

  /** Builds the step on `services` and reads which customers its sampled sources hold. */
  async function sampleAt(basisPoints: number, on: ReleaseServices = services) {
    const scope = canaryScope(loaded, plan, new Map());
    const settings = canarySettings(loaded, 'prod');
    await buildSample(on, loaded, plan, settings, scope, basisPoints);
    const { shared } = sampleSchemas('prod');
    const read = async (sql: string) => (await on.warehouse.query(sql)).rows;
    const keys = (await read(`select distinct customer_id from "${shared}"."transactions" order by 1`)).map(
      (r) => String(r['customer_id']),
    );
    const customers = (await read(`select customer_id from "${shared}"."customers" order by 1`)).map((r) =>
      String(r['customer_id']),
    );
    const [txns] = await read(`select count(*) as n from "${shared}"."transactions"`);
    const [merchants] = await read(
      `select count(*) as n from "${sampleSchemas('prod').candidate}"."stg_transactions" s where s.category is not null`,
    );
    return { keys, customers, transactions: Number(txns?.['n']), joined: Number(merchants?.['n']) };
  }

  it('picks the same keys on every run, and the 5% keys are a subset of the 25% keys', async () => {
    const five = await sampleAt(500);
    const quarter = await sampleAt(2500);
    // A second run, on connections of its own (on DuckDB the same file once the first closes).
    await closeServices(services);
    const again = await engineServices(project);
    try {
      const fiveAgain = await sampleAt(500, again);
      expect(fiveAgain.keys).toEqual(five.keys);
      await dropSample(again.warehouse, 'prod');
      for (const schema of Object.values(sampleSchemas('prod')))
        expect(await again.warehouse.listRelations(schema)).toEqual([]);
    } finally {
      services = again;
    }
    const wider = new Set(quarter.keys);
    expect(five.keys.every((k) => wider.has(k))).toBe(true);
    // Close to the share of the 10,000 customers: within about 4 standard deviations of a
    // binomial draw (22 keys at 5 %, 43 at 25 %); the exact counts never change between runs.
    expect(five.keys.length).toBeGreaterThan(400);
    expect(five.keys.length).toBeLessThan(600);
    expect(quarter.keys.length).toBeGreaterThan(2300);
    expect(quarter.keys.length).toBeLessThan(2700);
    picked.set(engine, five.keys);
  });

  it('samples every source that carries the key by the same keys, and reads the others whole', async () => {
    const five = await sampleAt(500);
    // customers and transactions hold the same customers, with all 5 transactions each ...
    expect(five.customers).toEqual(five.keys);
    expect(five.transactions).toBe(5 * five.keys.length);
    // ... and every transaction still finds its merchant: merchants (no key) are read whole.
    expect(five.joined).toBe(five.transactions);
  });
});

describe('both engines', () => {
  it('pick the same keys for the same key values (md5 of the text on both)', () => {
    expect([...picked.keys()].sort()).toEqual(['duckdb', 'postgres']);
    expect(picked.get('postgres')).toEqual(picked.get('duckdb'));
  });
});
