/**
 * Environment locks, end to end: while one `apply` holds staging, a second exits 3 naming the
 * holder (the lock is taken before the warehouse is opened), `--wait` waits and then proceeds,
 * and a release of another environment that needs the same DuckDB file is a conflict (exit 3),
 * not an engine error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slipway, slipwayPausedAt } from '../helpers/cli.js';
import { releaseProject, writeVersion } from '../helpers/release-project.js';
import type { TempProject } from '../helpers/temp-project.js';

let project: TempProject;
beforeAll(async () => {
  project = await releaseProject(1);
  expect((await slipway(['apply', '--env', 'staging'], { cwd: project.root })).code).toBe(0);
  await writeVersion(project, 2);
});
afterAll(async () => {
  await project?.remove();
});

describe('environment locks', () => {
  it('lets one of two concurrent applies proceed; the other exits 3 saying who holds it', async () => {
    const first = await slipwayPausedAt('before-switch', ['apply', '--env', 'staging'], {
      cwd: project.root,
    });
    try {
      const second = await slipway(['apply', '--env', 'staging'], { cwd: project.root });
      expect(second.code).toBe(3);
      expect(second.stderr).toMatch(
        /environment 'staging' is busy: .* \(pid \d+ on .*\) is running 'apply staging'/,
      );
      expect(second.stderr).toContain(`pid ${first.child.pid}`);
      expect(second.stderr).toMatch(/--wait/);

      const other = await slipway(['apply', '--env', 'prod'], { cwd: project.root });
      expect(other.code).toBe(3);
      expect(other.stderr).toMatch(/in use by another process/);

      const waiting = slipway(['apply', '--env', 'staging', '--wait', '--json'], { cwd: project.root });
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
