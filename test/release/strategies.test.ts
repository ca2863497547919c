/**
 * Strategies as objects, on the library API with real DuckDB and SQLite: `direct` and
 * `blue-green` differ in what they do — where the gate runs (before the switch, where it stops
 * the release, or after it, where it reports) and whether gc keeps the replaced release's tables
 * for rollback — and `slipway build` is a direct release of kind `build` through the same path.
 * The canary's own behaviour is in canary.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import type { ReleaseStrategy } from '../../src/core/release.js';
import { fingerprintProject } from '../../src/project/fingerprint.js';
import { applyRelease } from '../../src/release/apply-release.js';
import { buildRelease } from '../../src/release/build-release.js';
import { collectGarbage } from '../../src/release/collect-garbage.js';
import type { ReleaseGate, ReleaseServices } from '../../src/release/execute-release.js';
import { AVAILABLE_STRATEGIES, strategyFor } from '../../src/release/strategies/strategy-for.js';
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

const failingGate: ReleaseGate = async () => ({ passed: false, summary: 'row_count: 0 rows' });

async function apply(environment: string, strategy: ReleaseStrategy, gate?: ReleaseGate) {
  const loaded = await loadAt(project.root);
  return applyRelease(services, {
    project: loaded,
    fingerprints: fingerprintProject(loaded),
    environment,
    strategy,
    commit: undefined,
    actor: 'tester',
    concurrency: 2,
    ...(gate ? { gate } : {}),
  });
}

async function shown(environment: string): Promise<number> {
  const { rows } = await services.warehouse.query(
    `select max(version) as v from "${environment}"."grand_total"`,
  );
  return Number(rows[0]?.['v']);
}

describe('strategyFor', () => {
  it('chooses the strategy objects by name and refuses an unknown one, naming what is available', () => {
    expect(strategyFor('direct')).toMatchObject({ gate: 'after-switch', keepsPrevious: false });
    expect(strategyFor('blue-green')).toMatchObject({ gate: 'before-switch', keepsPrevious: true });
    // The canary gates and keeps as blue-green does, and rehearses on samples first.
    expect(strategyFor('canary')).toMatchObject({ gate: 'before-switch', keepsPrevious: true });
    expect(typeof strategyFor('canary').rehearse).toBe('function');
    expect(strategyFor('blue-green').rehearse).toBeUndefined();
    expect(AVAILABLE_STRATEGIES).toEqual(['direct', 'blue-green', 'canary']);
    let error: unknown;
    try {
      strategyFor('rainbow');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).hint).toBe('available: direct or blue-green or canary');
  });
});

describe('the gate, by strategy', () => {
  it('blue-green: a failing gate stops the release before the switch', async () => {
    await apply('staging', 'blue-green');
    await writeVersion(project, 2);
    await expect(apply('staging', 'blue-green', failingGate)).rejects.toThrow(/release gate failed/);
    expect(await shown('staging')).toBe(1);
    const [latest] = await services.state.listReleases({ environment: 'staging', limit: 1 });
    expect(latest?.status).toBe('failed');
  });

  it('direct: the environment switches, then the gate runs and reports', async () => {
    await writeVersion(project, 3);
    const result = await apply('dev', 'direct', failingGate);
    expect(result.outcome?.gatedAfterSwitch).toBe(true);
    expect(result.outcome?.gate).toMatchObject({ passed: false, summary: 'row_count: 0 rows' });
    expect(result.outcome?.release.status).toBe('succeeded');
    expect(await shown('dev')).toBe(3);
    const events = await services.state.listEvents({ environment: 'dev' });
    const gateEvent = events.find((e) => e.type === 'release.gate_failed');
    const switched = events.find((e) => e.type === 'release.succeeded');
    expect(gateEvent?.releaseId).toBe(result.outcome?.release.id);
    expect(gateEvent && switched && gateEvent.seq > switched.seq).toBe(true);
  });
});

describe('what gc keeps, by strategy', () => {
  it('keeps the tables a blue-green release replaced, and releases those a direct one replaced', async () => {
    const tablesOf = async (environment: string): Promise<string[]> =>
      Object.values((await services.state.getPointer(environment))?.models ?? {}).map((m) => m.table);
    await writeVersion(project, 10);
    await apply('dev', 'direct');
    const devReplaced = await tablesOf('dev');
    await writeVersion(project, 11);
    await apply('dev', 'direct');
    await writeVersion(project, 20);
    await apply('staging', 'blue-green');
    const stagingReplaced = await tablesOf('staging');
    await writeVersion(project, 21);
    await apply('staging', 'blue-green');

    const report = await collectGarbage(services, { keep: 5, dryRun: true, environments: [] });
    const dropped = new Set(report.dropped.map((d) => d.table));
    expect(devReplaced).toHaveLength(4);
    expect(devReplaced.filter((t) => !dropped.has(t))).toEqual([]);
    expect(stagingReplaced).toHaveLength(4);
    expect(stagingReplaced.filter((t) => dropped.has(t))).toEqual([]);
    for (const table of [...(await tablesOf('dev')), ...(await tablesOf('staging'))])
      expect(dropped.has(table), table).toBe(false);
  });
});

describe('build: a direct release of kind build', () => {
  it('records the build, rebuilds its selection every time, and is listed with the other releases', async () => {
    const loaded = await loadAt(project.root);
    const request = {
      project: loaded,
      fingerprints: fingerprintProject(loaded),
      environment: 'dev',
      selected: ['grand_total'],
      commit: undefined,
      actor: 'tester',
      concurrency: 1,
    };
    const first = await buildRelease(services, request);
    expect(first.switched).toBe(true);
    expect(first.plan.build.map((b) => b.model)).toEqual(['grand_total']);
    expect(first.results.map((r) => [r.name, r.status])).toEqual([['grand_total', 'built']]);
    const second = await buildRelease(services, request);
    expect(second.plan.build.map((b) => b.model)).toEqual(['grand_total']);
    expect(second.release?.id).not.toBe(first.release?.id);
    const releases = await services.state.listReleases({ environment: 'dev', limit: 2 });
    expect(releases.map((r) => [r.id, r.kind, r.strategy, r.status])).toEqual([
      [second.release?.id, 'build', 'direct', 'succeeded'],
      [first.release?.id, 'build', 'direct', 'succeeded'],
    ]);
    expect(await shown('dev')).toBe(21);
  });

  it('refuses a selection whose parent has no table for its version', async () => {
    await writeVersion(project, 30);
    const loaded = await loadAt(project.root);
    await expect(
      buildRelease(services, {
        project: loaded,
        fingerprints: fingerprintProject(loaded),
        environment: 'dev',
        selected: ['grand_total'],
        commit: undefined,
        actor: 'tester',
        concurrency: 1,
      }),
    ).rejects.toThrow(/grand_total reads customer_totals, which is not built in this version yet/);
  });
});
