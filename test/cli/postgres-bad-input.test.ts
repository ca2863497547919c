/**
 * Bad input on PostgreSQL at the command line: the URL variable unset, a server that is not
 * there, a wrong password, a role that may not create a schema, and a file source on a warehouse
 * that reads no files. Each is one line (no stack), exit 2, the password in neither stdout nor
 * stderr, and nothing half done: no release recorded, no folder left by init.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStateStore } from '../../src/state/sqlite/sqlite-state-store.js';
import { type CliResult, slipway } from '../helpers/cli.js';
import {
  type EngineProject,
  engineReleaseProject,
  onDatabase,
  POSTGRES_RELEASE_CONFIG,
  URL_VARIABLE,
} from '../helpers/release-engines.js';
import { commitAll } from '../helpers/release-project.js';

const SECRET = 'Wr0ng-pa55word';
let project: EngineProject;
let workspace: string;
const role = `slipway_nocreate_${process.pid}`;

beforeAll(async () => {
  project = await engineReleaseProject('postgres');
  workspace = await mkdtemp(path.join(tmpdir(), 'slipway-pg-bad-'));
  await onDatabase(project.url as string, `CREATE ROLE ${role} LOGIN PASSWORD '${SECRET}'`);
});
afterAll(async () => {
  const url = project?.url;
  await project?.remove();
  if (url) await onDatabase(new URL('/postgres', url).toString(), `DROP ROLE IF EXISTS ${role}`);
  await rm(workspace, { recursive: true, force: true });
});

/** `url` as another user (or with another password or port). */
function variant(edit: (url: URL) => void): string {
  const url = new URL(project.url as string);
  edit(url);
  return url.toString();
}

function expectOneLine(result: CliResult, code: number, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(code);
  const [first, ...rest] = result.stderr.trim().split('\n');
  expect(first).toMatch(pattern);
  // At most a hint follows; never a stack trace.
  expect(rest.every((line) => /^\s+hint: /.test(line))).toBe(true);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout + result.stderr).not.toContain(SECRET);
}

async function releasesOf(root: string): Promise<number> {
  const state = openSqliteStateStore({ path: path.join(root, '.slipway', 'state.db') });
  try {
    return (await state.listReleases({ environment: 'dev' })).length;
  } finally {
    await state.close();
  }
}

describe('bad input on PostgreSQL', () => {
  it('the URL variable unset: one line naming it', async () => {
    const result = await slipway(['apply', '--env', 'dev'], {
      cwd: project.root,
      env: { [URL_VARIABLE]: '' },
    });
    expectOneLine(result, 2, new RegExp(`^error: .*${URL_VARIABLE}.* not set`));
    const init = await slipway(
      [
        'init',
        path.join(workspace, 'unset'),
        '--no-install',
        '--warehouse',
        'postgres',
        '--url-env',
        'SLIPWAY_NOT_SET_URL',
      ],
      {
        env: { SLIPWAY_NOT_SET_URL: '' },
      },
    );
    expectOneLine(init, 2, /^error: the database URL variable SLIPWAY_NOT_SET_URL is not set$/);
    expect(existsSync(path.join(workspace, 'unset'))).toBe(false);
  });

  it('a server that is not there, and a wrong password: one line, no password', async () => {
    const closed = variant((u) => {
      u.port = '1';
      u.password = SECRET;
    });
    expectOneLine(
      await slipway(['apply', '--env', 'dev'], { cwd: project.root, env: { [URL_VARIABLE]: closed } }),
      2,
      /^error: cannot connect/,
    );
    const wrong = variant((u) => {
      u.password = SECRET;
    });
    expectOneLine(
      await slipway(['apply', '--env', 'dev'], { cwd: project.root, env: { [URL_VARIABLE]: wrong } }),
      2,
      /^error: cannot connect.*password/,
    );
    const init = await slipway(
      ['init', path.join(workspace, 'wrong'), '--no-install', '--warehouse', 'postgres'],
      {
        env: { SLIPWAY_PG_URL: wrong },
      },
    );
    expectOneLine(init, 2, /^error: PostgreSQL refused the password of user slipway/);
    expect(existsSync(path.join(workspace, 'wrong'))).toBe(false);
  });

  it('a role that may not create a schema: one line, no password, no release recorded', async () => {
    // State in SQLite here, so the warehouse is what refuses (the state file shows nothing was released).
    await project.write(
      'slipway.yaml',
      POSTGRES_RELEASE_CONFIG.replace(
        `state: { type: postgres, url_env: ${URL_VARIABLE} }`,
        'state: { type: sqlite, path: .slipway/state.db }',
      ),
    );
    await commitAll(project.root, 'state in SQLite');
    const reader = variant((u) => {
      u.username = role;
      u.password = SECRET;
    });
    const result = await slipway(['apply', '--env', 'dev'], {
      cwd: project.root,
      env: { [URL_VARIABLE]: reader },
    });
    expectOneLine(result, 2, /^error: .*(permission|may not create|cannot create)/i);
    expect(await releasesOf(project.root)).toBe(0);
  });

  it('validate refuses a file source on the PostgreSQL warehouse at file:line:col, without connecting', async () => {
    await project.write('sources/orders.yml', 'sources:\n  - name: orders\n    files: data/orders.csv\n');
    const result = await slipway(['validate'], { cwd: project.root, env: { [URL_VARIABLE]: '' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /sources\/orders\.yml:2:\d+: error: source 'orders' reads local files, which the postgres warehouse 'local' \(environments dev, staging, prod\) cannot read/,
    );
    expect(result.stderr).toMatch(/hint: .*table: schema\.name/);
  });
});
