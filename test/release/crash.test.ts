/**
 * Crash safety, end to end on the built CLI: a release is killed with SIGKILL at every step it
 * takes (each model's build start, table written, table recorded; before and after the switch;
 * …). After each kill the environment is wholly on the old or wholly on the new version, and a
 * re-run of `apply` completes, reusing the tables already recorded as built. The steps come
 * from a recorded run, so every distinct step is covered, not a sample. On DuckDB (each copy a
 * folder) and on PostgreSQL (each copy also a database cloned from the template's).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slipway, slipwayJson, slipwayPausedAt } from '../helpers/cli.js';
import {
  copyEngineProject,
  type EngineProject,
  engineReleaseProject,
  openProjectState,
  openReader,
  RELEASE_ENGINES,
} from '../helpers/release-engines.js';
import { commitAll, releaseModels, writeVersion } from '../helpers/release-project.js';

const MODELS = ['stg_orders', 'customer_totals', 'grand_total', 'fct_orders'];

describe.each(RELEASE_ENGINES)('on %s', (engine) => {
  let template: EngineProject;
  let scratch: string;
  let copies = 0;

  beforeAll(async () => {
    template = await engineReleaseProject(engine, 1);
    scratch = await mkdtemp(path.join(tmpdir(), 'slipway-crash-'));
    const first = await slipway(['apply', '--env', 'staging'], { cwd: template.root, env: template.env });
    expect(first.code, first.stderr).toBe(0);
    await writeVersion(template, 2);
    await commitAll(template.root, 'version 2');
  });
  afterAll(async () => {
    await template?.remove();
    await rm(scratch, { recursive: true, force: true });
  });

  async function copyProject(): Promise<EngineProject> {
    copies += 1;
    return copyEngineProject(template, path.join(scratch, `p${copies}`));
  }

  /** The versions the environment's views show (one value per view). */
  async function shownVersions(dir: EngineProject, environment: string): Promise<number[]> {
    const warehouse = openReader(dir);
    try {
      const versions: number[] = [];
      for (const model of MODELS) {
        const { rows } = await warehouse.query(`select max(version) as v from "${environment}"."${model}"`);
        versions.push(Number(rows[0]?.['v']));
      }
      return versions;
    } finally {
      await warehouse.close();
    }
  }

  async function recordSteps(): Promise<string[]> {
    const dir = await copyProject();
    const log = path.join(dir.root, 'steps.log');
    const result = await slipway(['apply', '--env', 'staging'], {
      cwd: dir.root,
      env: { ...dir.env, SLIPWAY_TEST_STEP_LOG: log },
    });
    expect(result.code, result.stderr).toBe(0);
    const steps = (await readFile(log, 'utf8')).trim().split('\n');
    await dir.remove();
    return steps;
  }

  async function killAtAndRecover(step: string): Promise<void> {
    const dir = await copyProject();
    try {
      const paused = await slipwayPausedAt(step, ['apply', '--env', 'staging'], {
        cwd: dir.root,
        env: dir.env,
      });
      paused.child.kill('SIGKILL'); // also ends it when an assertion below fails
      expect(await paused.exited).toBe('SIGKILL');
      const afterKill = await shownVersions(dir, 'staging');
      expect(new Set(afterKill).size, `${step}: mixed versions ${afterKill}`).toBe(1);
      expect([1, 2]).toContain(afterKill[0]);
      if (['locked', 'release-recorded', 'before-switch'].includes(step) || step.includes(':')) {
        expect(afterKill[0], `${step}: the switch had not happened`).toBe(1);
      }
      if (step === 'after-switch' || step === 'completed') expect(afterKill[0]).toBe(2);

      const rerun = await slipwayJson<{
        release: { id: string } | null;
        recovered: { outcome: string }[];
        plan: { reuse: { model: string }[]; build: { model: string }[] };
      }>(['apply', '--env', 'staging'], { cwd: dir.root, env: dir.env });
      expect(await shownVersions(dir, 'staging')).toEqual([2, 2, 2, 2]);
      const [model] = step.startsWith('built:') ? [step.slice('built:'.length)] : [];
      if (model)
        expect(
          rerun.plan.reuse.map((r) => r.model),
          `${step}: reuses what was built`,
        ).toContain(model);
      const state = await openProjectState(dir);
      try {
        expect(await state.unfinishedReleases('staging')).toEqual([]);
        const pointer = await state.getPointer('staging');
        expect((await state.getRelease(pointer?.releaseId ?? ''))?.status).toBe('succeeded');
        const tables = await state.getPhysicalTables(
          Object.values(pointer?.models ?? {}).map((m) => m.table),
        );
        expect(tables.map((t) => t.status)).toEqual(['built', 'built', 'built', 'built']);
      } finally {
        await state.close();
      }
    } finally {
      await dir.remove();
    }
  }

  describe('crash safety', () => {
    it('is wholly old or wholly new after a SIGKILL at every step, and a re-run completes', async () => {
      const steps = await recordSteps();
      for (const model of MODELS) {
        expect(steps).toContain(`build:${model}`);
        expect(steps).toContain(`materialized:${model}`);
        expect(steps).toContain(`built:${model}`);
      }
      expect(steps).toEqual(
        expect.arrayContaining(['locked', 'release-recorded', 'before-switch', 'after-switch', 'completed']),
      );
      expect(new Set(steps).size).toBe(steps.length);
      // Two at a time: each copy is its own project, warehouse and state store.
      const queue = [...steps];
      const worker = async (): Promise<void> => {
        for (let step = queue.shift(); step !== undefined; step = queue.shift()) await killAtAndRecover(step);
      };
      await Promise.all([worker(), worker()]);
    }, 480_000);

    it('never references a half-built table, and gc drops it', async () => {
      const dir = await copyProject();
      try {
        const paused = await slipwayPausedAt('materialized:customer_totals', ['apply', '--env', 'staging'], {
          cwd: dir.root,
          env: dir.env,
        });
        paused.child.kill('SIGKILL');
        await paused.exited;
        // The project moves on before anyone re-runs the interrupted release.
        for (const [file, text] of Object.entries(releaseModels(3)))
          await writeFile(path.join(dir.root, file), text);
        expect((await slipway(['apply', '--env', 'staging'], { cwd: dir.root, env: dir.env })).code).toBe(0);
        expect(await shownVersions(dir, 'staging')).toEqual([3, 3, 3, 3]);
        const gc = await slipwayJson<{ dropped: { table: string; reason: string }[] }>(
          ['gc', '--keep', '1'],
          {
            cwd: dir.root,
            env: dir.env,
          },
        );
        expect(gc.dropped).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              table: expect.stringMatching(/^customer_totals__/),
              reason: 'half-built',
            }),
          ]),
        );
        expect(await shownVersions(dir, 'staging')).toEqual([3, 3, 3, 3]);
      } finally {
        await dir.remove();
      }
    }, 120_000);

    it('the apply after a kill settles first, then shows the plan it carries out', async () => {
      for (const step of ['built:customer_totals', 'after-switch']) {
        const copy = await copyProject();
        try {
          const paused = await slipwayPausedAt(step, ['apply', '--env', 'staging'], {
            cwd: copy.root,
            env: copy.env,
          });
          paused.child.kill('SIGKILL');
          await paused.exited;
          const rerun = await slipway(['apply', '--env', 'staging'], { cwd: copy.root, env: copy.env });
          expect(rerun.code, rerun.stderr).toBe(0);
          const state = await openProjectState(copy);
          try {
            const releases = await state.listReleases({ environment: 'staging' });
            const [latest] = releases;
            expect(latest?.status).toBe('succeeded');
            if (step === 'after-switch') {
              // The killed release had switched: recovery completes it, and the plan made after
              // recovery has nothing left to do — so nothing is shown and nothing new is released.
              expect(rerun.stderr).toMatch(
                new RegExp(`settled interrupted release ${latest?.id}: completed`),
              );
              expect(rerun.stdout).not.toMatch(/Plan for staging/);
              expect(rerun.stdout).toMatch(/No changes/);
              expect(releases.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
            } else {
              expect(rerun.stderr).toMatch(/settled interrupted release r-\w+: abandoned/);
              const carried = latest?.plan as {
                build: { model: string; table: string }[];
                reuse: { model: string; table: string }[];
              };
              const printedBuild = /^\s*build: (.+)$/m.exec(rerun.stdout)?.[1]?.split(', ') ?? [];
              const printedReuse = [...rerun.stdout.matchAll(/\breuse (\S+)/g)].map((m) => m[1]);
              expect(printedBuild).toEqual(carried.build.map((b) => b.table));
              expect(printedReuse.sort()).toEqual(carried.reuse.map((r) => r.table).sort());
              expect(carried.reuse.map((r) => r.model).sort()).toEqual(['customer_totals', 'stg_orders']);
              expect(carried.build.map((b) => b.model).sort()).toEqual(['fct_orders', 'grand_total']);
            }
          } finally {
            await state.close();
          }
        } finally {
          await copy.remove();
        }
      }
    }, 240_000);
  });
});
