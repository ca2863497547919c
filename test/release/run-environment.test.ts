/**
 * Runs and the gate seam on the library API with real DuckDB and SQLite: incremental models
 * take rows past their watermark, merge late rows within the lookback by unique key, add
 * nothing on a second run; table models are rebuilt; a changed incremental model is backfilled
 * before the switch; a gate that fails leaves the environment on its previous release.
 */
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkFailedError } from '../../src/core/errors.js';
import { fingerprintProject } from '../../src/project/fingerprint.js';
import type { Project } from '../../src/project/project.js';
import { applyRelease } from '../../src/release/apply-release.js';
import type { GateContext, ReleaseServices } from '../../src/release/execute-release.js';
import { runEnvironment } from '../../src/release/run-environment.js';
import {
  closeServices,
  loadAt,
  releaseProject,
  releaseServices,
  writeVersion,
} from '../helpers/release-project.js';
import type { TempProject } from '../helpers/temp-project.js';

let project: TempProject;
let services: ReleaseServices;

beforeAll(async () => {
  project = await releaseProject(1);
  services = releaseServices(project.root);
});
afterAll(async () => {
  await closeServices(services);
  await project?.remove();
});

async function load(): Promise<Project> {
  return loadAt(project.root);
}

async function apply(gate?: (c: GateContext) => Promise<{ passed: boolean; summary: string }>) {
  const loaded = await load();
  return applyRelease(services, {
    project: loaded,
    fingerprints: fingerprintProject(loaded),
    environment: 'staging',
    strategy: 'blue-green',
    commit: undefined,
    actor: 'tester',
    concurrency: 2,
    ...(gate ? { gate } : {}),
  });
}

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await services.warehouse.query(sql)).rows.map((r) => ({ ...r }));
}

async function run() {
  return runEnvironment(services, {
    project: await load(),
    environment: 'staging',
    actor: 'tester',
    concurrency: 2,
  });
}

describe('runs', () => {
  it('appends, merges late rows by key within the lookback, and is idempotent', async () => {
    await apply();
    expect(await rows('select count(*)::INT as n from staging.fct_orders')).toEqual([{ n: 4 }]);

    await appendFile(
      path.join(project.root, 'data', 'orders.csv'),
      // a new order, and a late correction of order 4 (same event time, inside the 1 day lookback)
      '5,20,1.00,2026-01-03 15:00:00\n4,30,99.00,2026-01-03 14:00:00\n',
    );
    // stg_orders keeps one row per order: the source now has order 4 twice, so dedupe it there.
    await project.write(
      'models/stg_orders.sql',
      'select order_id, customer_id, amount::DECIMAL(10, 2) as amount, event_ts::TIMESTAMP as event_ts, 1 as version from orders qualify row_number() over (partition by order_id order by amount desc) = 1\n',
    );
    const changed = await apply();
    // A changed incremental model gets a new physical table, backfilled in full before the switch.
    expect(changed.plan.build.map((b) => b.model)).toContain('fct_orders');
    expect(
      await rows('select order_id, amount::DOUBLE as amount from staging.fct_orders order by order_id'),
    ).toEqual([
      { order_id: 1, amount: 5 },
      { order_id: 2, amount: 7.5 },
      { order_id: 3, amount: 3.25 },
      { order_id: 4, amount: 99 },
      { order_id: 5, amount: 1 },
    ]);

    await appendFile(
      path.join(project.root, 'data', 'orders.csv'),
      '6,10,2.00,2026-01-04 08:00:00\n5,20,50.00,2026-01-03 15:00:00\n1,10,500.00,2026-01-01 10:00:00\n',
    );
    const first = await run();
    expect(first.run.status).toBe('succeeded');
    const fct = first.models.find((m) => m.model === 'fct_orders');
    expect(fct).toMatchObject({ action: 'incremental', rows: 6, added: 1 });
    expect(first.models.find((m) => m.model === 'customer_totals')).toMatchObject({ action: 'rebuilt' });
    expect(first.models.find((m) => m.model === 'stg_orders')).toMatchObject({ action: 'unchanged' });
    expect(
      await rows('select order_id, amount::DOUBLE as amount from staging.fct_orders order by order_id'),
    ).toEqual([
      // order 1's late correction is older than the lookback (1 day before the watermark): not re-read
      { order_id: 1, amount: 5 },
      { order_id: 2, amount: 7.5 },
      { order_id: 3, amount: 3.25 },
      { order_id: 4, amount: 99 },
      // order 5's correction is inside the lookback: merged on order_id
      { order_id: 5, amount: 50 },
      { order_id: 6, amount: 2 },
    ]);
    expect(
      await rows('select count(*)::INT as n from staging.customer_totals where customer_id = 10'),
    ).toEqual([{ n: 1 }]);

    const second = await run();
    expect(second.models.find((m) => m.model === 'fct_orders')).toMatchObject({ rows: 6, added: 0 });
    const runs = await services.state.listRuns({ environment: 'staging' });
    expect(runs).toHaveLength(2);
  });

  it('a failing gate leaves the environment on its previous release', async () => {
    const before = await services.state.getPointer('staging');
    await writeVersion(project, 7);
    const seen: string[] = [];
    await expect(
      apply(async (context) => {
        seen.push(...context.built.map((b) => b.model));
        return { passed: false, summary: '1 error check failed' };
      }),
    ).rejects.toThrow(WorkFailedError);
    expect(seen).toContain('stg_orders');
    expect((await services.state.getPointer('staging'))?.releaseId).toBe(before?.releaseId);
    expect(await rows('select max(version) as v from staging.grand_total')).toEqual([{ v: 1 }]);
    const [failed] = await services.state.listReleases({ environment: 'staging', limit: 1 });
    expect(failed).toMatchObject({ status: 'failed', error: expect.stringMatching(/gate failed/) });

    const passed = await apply(async () => ({ passed: true, summary: 'all checks passed' }));
    expect(passed.plan.build).toEqual([]); // everything was built by the gated attempt
    expect(await rows('select max(version) as v from staging.grand_total')).toEqual([{ v: 7 }]);
  });
});

describe('drift', () => {
  it('apply puts back views rewritten behind its back, even with nothing to build', async () => {
    // `slipway build` is a release now (it moves the pointer); what rewrites views without the
    // state store knowing is someone else, which this stands for.
    const pointer = await services.state.getPointer('staging');
    await services.warehouse.environments.forget('staging');
    await services.warehouse.replaceViews(
      Object.keys(pointer?.models ?? {}).map((name) => ({
        view: { schema: 'staging', name },
        sql: 'select 8 as version',
      })),
    );
    expect(await rows('select max(version) as v from staging.grand_total')).toEqual([{ v: 8 }]);
    const repaired = await apply();
    expect(repaired.plan.changes).toBe(false);
    expect(repaired.outcome?.release.status).toBe('succeeded');
    expect(await rows('select max(version) as v from staging.grand_total')).toEqual([{ v: 7 }]);
    expect((await services.state.getPointer('staging'))?.models).toEqual(pointer?.models);
  });
});

describe('rollback to a table dropped behind the state store', () => {
  it('fails in the switch and leaves the environment as it was', async () => {
    const { rollbackRelease } = await import('../../src/release/promote-release.js');
    const pointer = await services.state.getPointer('staging');
    const differs = (await services.state.listReleases({ environment: 'staging' })).find(
      (r) =>
        r.status === 'succeeded' &&
        Object.values(r.models).some(
          (m) => !Object.values(pointer?.models ?? {}).some((p) => p.table === m.table),
        ),
    );
    const gone = Object.values(differs?.models ?? {}).find(
      (m) => !Object.values(pointer?.models ?? {}).some((p) => p.table === m.table),
    );
    expect(gone).toBeDefined();
    const [record] = await services.state.getPhysicalTables([gone!.table]);
    await services.warehouse.dropRelation(
      { schema: 'slipway_physical', name: gone!.table },
      record?.kind === 'view' ? 'view' : 'table',
    );
    const before = await rows('select max(version) as v from staging.grand_total');
    await expect(
      rollbackRelease(services, {
        environment: 'staging',
        to: differs?.id as string,
        strategy: 'blue-green',
        actor: 'tester',
      }),
    ).rejects.toThrow();
    expect((await services.state.getPointer('staging'))?.releaseId).toBe(pointer?.releaseId);
    expect(await rows('select max(version) as v from staging.grand_total')).toEqual(before);
    const [last] = await services.state.listReleases({ environment: 'staging', limit: 1 });
    expect(last).toMatchObject({ kind: 'rollback', status: 'failed' });
  });
});
