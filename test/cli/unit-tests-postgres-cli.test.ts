/**
 * `slipway test` through the built CLI on a PostgreSQL project: a copy of the reference project
 * whose default warehouse is a fresh PostgreSQL database (its sources declared as tables, as on a
 * real database). The tests pass there, a wrong expected row fails with its diff (exit 1), an
 * unset URL variable is one line (exit 2, no password), and `--engine duckdb` runs without it.
 * Needs `npm run build` (scripts/test.sh builds before running vitest).
 */
import { access, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.js';
import { runCli } from '../helpers/run-cli.js';

const URL_VARIABLE = 'JKL_UNIT_TEST_PG_URL';
let root: string;
let dir: string;
let database: TestDatabase;

function slipwayTest(args: readonly string[], env: NodeJS.ProcessEnv) {
  return runCli(['test', '--project', dir, ...args], { env });
}

async function edit(file: string, change: (text: string) => string): Promise<void> {
  const before = await readFile(file, 'utf8');
  const after = change(before);
  expect(after).not.toBe(before);
  await writeFile(file, after);
}

beforeAll(async () => {
  await access(path.resolve('dist/cli/bin.js'));
  database = await freshDatabase('slipway_unit_cli');
  root = await mkdtemp(path.join(tmpdir(), 'slipway-unit-pg-'));
  dir = path.join(root, 'jkl');
  await cp(path.resolve('examples/jkl-fraud'), dir, { recursive: true });
  await edit(path.join(dir, 'slipway.yaml'), (text) =>
    text.replace(
      /type: duckdb\n\s+path: \.slipway\/warehouse\.duckdb\n\s+threads: 2/,
      `type: postgres\n      url_env: ${URL_VARIABLE}`,
    ),
  );
  for (const file of await readdir(path.join(dir, 'sources'))) {
    await edit(path.join(dir, 'sources', file), (text) =>
      text.replace(/files: data\/(\w+)\/\*\.parquet\n\s+format: parquet/g, 'table: raw.$1'),
    );
  }
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  await database?.drop();
});

describe('slipway test on a PostgreSQL project', () => {
  it("passes the reference project's unit tests on the project's database", async () => {
    const result = await slipwayTest([], { [URL_VARIABLE]: database.url });
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('8 passed, 0 failed, 0 errors');
    expect(result.code).toBe(0);
  });

  it('fails a wrong expected row with its diff (exit 1)', async () => {
    const staging = path.join(dir, 'tests', 'staging.yml');
    const original = await readFile(staging, 'utf8');
    try {
      await edit(staging, (text) =>
        text.replace(
          '- { chargeback_id: 503, txn_id: 9002, reason_code: "13.3", is_fraud: false }',
          '- { chargeback_id: 503, txn_id: 9002, reason_code: "99.9", is_fraud: false }',
        ),
      );
      const result = await slipwayTest(['--select', 'stg_chargebacks'], { [URL_VARIABLE]: database.url });
      expect(result.stdout).toContain('stg_chargebacks_one_per_transaction');
      expect(result.stdout).toContain('reason_code: expected "99.9", got "13.3"');
      expect(result.stdout).toContain('0 passed, 1 failed');
      expect(result.code).toBe(1);
    } finally {
      await writeFile(staging, original);
    }
  });

  it('refuses in one line when the URL variable is unset (exit 2)', async () => {
    const result = await slipwayTest([], { [URL_VARIABLE]: '' });
    expect(result.code).toBe(2);
    // The wording is open-warehouse's; what matters is one error line naming the variable.
    expect(result.stderr).toMatch(new RegExp(`^error: .*\\b${URL_VARIABLE}\\b.*is not set`));
    expect(
      result.stderr
        .trim()
        .split('\n')
        .filter((line) => !line.trim().startsWith('hint:')).length,
    ).toBe(1);
    expect(result.stdout).not.toContain('passed');
  });

  it('never prints the password when the database refuses the connection', async () => {
    const wrong = new URL(database.url);
    wrong.password = 'not-the-password-x7';
    const result = await slipwayTest([], { [URL_VARIABLE]: wrong.toString() });
    expect(result.code).toBe(2);
    expect(`${result.stdout}${result.stderr}`).not.toContain('not-the-password-x7');
  });

  it('runs on in-memory DuckDB with --engine duckdb, without the database', async () => {
    const result = await slipwayTest(['--engine', 'duckdb'], { [URL_VARIABLE]: '' });
    expect(result.stdout).toContain('8 passed, 0 failed, 0 errors');
    expect(result.code).toBe(0);
  });
});
