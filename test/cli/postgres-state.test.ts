/**
 * The built CLI with `state: { type: postgres, url_env: … }`: a release recorded in PostgreSQL
 * (its environment lock a fenced lease there), and bad input said in one line with exit 2 and
 * no password: the variable unset, the wrong password, a server that is not there.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStateStore } from '../../src/state/postgres/postgres-state-store.js';
import { slipway } from '../helpers/cli.js';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.js';
import { RELEASE_CONFIG, releaseProject } from '../helpers/release-project.js';
import type { TempProject } from '../helpers/temp-project.js';

const VARIABLE = 'SLIPWAY_TEST_STATE_URL';
let project: TempProject;
let db: TestDatabase;

beforeAll(async () => {
  db = await freshDatabase('slipway_cli_state');
  project = await releaseProject();
  await project.write(
    'slipway.yaml',
    RELEASE_CONFIG.replace(
      'state: { type: sqlite, path: .slipway/state.db }',
      `state: { type: postgres, url_env: ${VARIABLE} }`,
    ),
  );
});

afterAll(async () => {
  await project?.remove();
  await db?.drop();
});

const run = (args: readonly string[], url: string | undefined) =>
  slipway([...args, '--project', project.root], {
    env: url === undefined ? {} : { [VARIABLE]: url },
  });

describe('state in PostgreSQL', () => {
  it('records a release and its lock in the database the variable names', async () => {
    const applied = await run(['apply', '--env', 'dev', '--yes'], db.url);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    const state = await openPostgresStateStore({ url: db.url });
    try {
      const [release] = await state.listReleases({ environment: 'dev' });
      expect(release?.status).toBe('succeeded');
      expect((await state.getPointer('dev'))?.releaseId).toBe(release?.id);
      // The environment lock was a lease there, given up when the command ended.
      expect(await state.getLock('env:dev')).toBeUndefined();
    } finally {
      await state.close();
    }
    const status = await run(['status', '--json'], db.url);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('"environment": "dev"');
    expect(existsInProject('.slipway/state.db')).toBe(false);
  });

  it('says in one line that the variable is not set (exit 2)', async () => {
    const result = await run(['status'], undefined);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe(`error: the state store's URL variable ${VARIABLE} is not set`);
  });

  it('says the server refused the password without showing it (exit 2)', async () => {
    const wrong = new URL(db.url);
    wrong.password = 'Wr0ng-pa55word';
    const result = await run(['status'], wrong.toString());
    expect(result.code).toBe(2);
    const [line] = result.stderr.split('\n');
    expect(line).toMatch(
      /^error: cannot connect to the state store at postgres:\/\/slipway@127\.0\.0\.1:\d+\/\w+: .*password/,
    );
    expect(result.stderr + result.stdout).not.toContain('Wr0ng-pa55word');
    expect(result.stderr).toContain(VARIABLE);
  });

  it('says the server is not there (exit 2)', async () => {
    const gone = new URL(db.url);
    gone.port = '1';
    gone.password = 'Wr0ng-pa55word';
    const result = await run(['status'], gone.toString());
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toMatch(
      /^error: cannot connect to the state store at postgres:\/\/slipway@127\.0\.0\.1:1\//,
    );
    expect(result.stderr + result.stdout).not.toContain('Wr0ng-pa55word');
  });
});

function existsInProject(file: string): boolean {
  return existsSync(path.join(project.root, file));
}
