/**
 * Environment locks, end to end: while one `apply` holds staging, a second exits 3 naming the
 * holder (the lock is taken before the warehouse is opened), `--wait` waits and then proceeds,
 * and a release of another environment that needs the same DuckDB file is a conflict (exit 3),
 * not an engine error; on PostgreSQL, whose server takes many writers, it simply runs. Each test
 * runs on DuckDB (SQLite state) and on PostgreSQL (warehouse and state in one database).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slipway, slipwayPausedAt } from '../helpers/cli.js';
import { type EngineProject, engineReleaseProject, RELEASE_ENGINES } from '../helpers/release-engines.js';
import { writeVersion } from '../helpers/release-project.js';

describe.each(RELEASE_ENGINES)('on %s', (engine) => {
  let project: EngineProject;
  beforeAll(async () => {
    project = await engineReleaseProject(engine, 1);
    const first = await slipway(['apply', '--env', 'staging'], { cwd: project.root, env: project.env });
    expect(first.code, first.stderr).toBe(0);
    await writeVersion(project, 2);
  });
  afterAll(async () => {
    await project?.remove();
  });

  describe('environment locks', () => {
    it('lets one of two concurrent applies proceed; the other exits 3 saying who holds it', async () => {
      const first = await slipwayPausedAt('before-switch', ['apply', '--env', 'staging'], {
        cwd: project.root,
        env: project.env,
      });
      try {
        const second = await slipway(['apply', '--env', 'staging'], { cwd: project.root, env: project.env });
        expect(second.code).toBe(3);
        expect(second.stderr).toMatch(
          /environment 'staging' is busy: .* \(pid \d+ on .*\) is running 'apply staging'/,
        );
        expect(second.stderr).toContain(`pid ${first.child.pid}`);
        expect(second.stderr).toMatch(/--wait/);

        const other = await slipway(['apply', '--env', 'prod'], { cwd: project.root, env: project.env });
        if (engine === 'duckdb') {
          expect(other.code).toBe(3);
          expect(other.stderr).toMatch(/in use by another process/);
          // Every command that finds the warehouse held exits 3 and names the holder (its pid and
          // command line), without naming a flag that does not exist.
          for (const args of [
            ['query', '--env', 'staging', 'select 1 as one'],
            ['build', '--env', 'dev'],
          ]) {
            const held = await slipway(args, { cwd: project.root, env: project.env });
            expect(held.code, `${args.join(' ')}: ${held.stderr}`).toBe(3);
            expect(held.stderr).toMatch(
              new RegExp(`in use by another process \\(pid ${first.child.pid}: [^)]*apply --env staging`),
            );
            expect(held.stderr).not.toMatch(/--read-only/);
          }
        } else {
          // Another environment's lock is its own, and the server takes both writers.
          expect(other.code, other.stderr).toBe(0);
        }

        const waiting = slipway(['apply', '--env', 'staging', '--wait', '--json'], {
          cwd: project.root,
          env: project.env,
        });
        await new Promise((resolve) => setTimeout(resolve, 800));
        first.child.kill('SIGUSR2');
        expect(await first.exited).toBe(0);
        const waited = await waiting;
        expect(waited.code).toBe(0);
        expect(JSON.parse(waited.stdout).release).toBeNull(); // the first one already released v2
      } finally {
        if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
      }
    });
  });
});
