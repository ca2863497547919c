/**
 * The PostgreSQL wire protocol on a running operator (in-process runtime, real git, SQLite state,
 * the DuckDB warehouse the operator releases on), with real clients: Debian's psql lists schemas
 * and tables and describes a relation, the `pg` driver runs parameterised queries (extended
 * protocol), SHOW/SET/version() answer, a missing or wrong token is refused at connect, each
 * escape is an ErrorResponse with its SQLSTATE, the statement timeout and a cancel request stop a
 * statement, the row cap holds, and 100 concurrent connections are served or refused cleanly.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorRuntime } from '../../src/cli/operator-runtime.js';
import type { TimelineEntry } from '../../src/operator/reconciler.js';
import { git } from '../helpers/release-project.js';
import { type GitOpsFixture, gitopsFixture, operatorProbe, TOKENS } from '../operator/gitops-fixture.js';

let fixture: GitOpsFixture;
let runtime: OperatorRuntime;
const timeline: TimelineEntry[] = [];
const { reached } = operatorProbe(() => runtime.url, timeline);

beforeAll(async () => {
  fixture = await gitopsFixture();
  runtime = await fixture.start({
    onTimeline: (e) => timeline.push(e),
    pgPort: 0,
    pgMaxConnections: 60,
    readLimits: { maxRows: 1000, timeoutMs: 3000 },
  });
  await runtime.leader();
  await reached(await git(fixture.project.root, 'rev-parse', 'HEAD'), 'prod', ['promoted']);
}, 120_000);

afterAll(async () => {
  await fixture?.remove();
});

function psql(
  args: readonly string[],
  password: string | null = TOKENS.viewer,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      '/usr/bin/psql',
      ['-h', '127.0.0.1', '-p', String(runtime.pgPort), '-U', 'vera', '-d', 'prod', '-X', '-w', ...args],
      { env: { ...process.env, PGPASSWORD: password ?? '', PGSSLMODE: 'disable', PGCONNECT_TIMEOUT: '30' } },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function client(password: string = TOKENS.viewer, database = 'prod'): Promise<pg.Client> {
  const c = new pg.Client({
    host: '127.0.0.1',
    port: runtime.pgPort,
    user: 'vera',
    password,
    database,
  });
  await c.connect();
  return c;
}

describe('psql against the operator', () => {
  it('\\dn lists the environments as schemas', async () => {
    const result = await psql(['-c', '\\dn']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/List of schemas/);
    for (const env of ['staging', 'prod']) expect(result.stdout).toMatch(new RegExp(`^ ${env}\\s+\\|`, 'm'));
    expect(result.stdout).not.toMatch(/slipway_physical/);
  });

  it('\\dt prod.* lists the models of prod', async () => {
    const result = await psql(['-c', '\\dt prod.*']);
    expect(result.code, result.stderr).toBe(0);
    for (const model of ['customer_totals', 'grand_total', 'stg_orders']) {
      expect(result.stdout).toMatch(new RegExp(`prod\\s+\\| ${model}\\s+\\| table`));
    }
    expect(result.stdout).toMatch(/\(3 rows\)/);
  });

  it('\\d prod.customer_totals describes its columns', async () => {
    const result = await psql(['-c', '\\d prod.customer_totals']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Table "prod\.customer_totals"/);
    expect(result.stdout).toMatch(/customer_id \| bigint/);
    expect(result.stdout).toMatch(/total\s+\| (numeric|double precision)/);
    expect(result.stdout).toMatch(/version\s+\| integer/);
  });

  it('runs a query, and refuses a write with its SQLSTATE', async () => {
    const read = await psql(['-A', '-t', '-c', 'select total, version from grand_total']);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout.trim()).toBe('15.75|1');
    const write = await psql(['-v', 'VERBOSITY=verbose', '-c', 'delete from grand_total']);
    expect(write.code).not.toBe(0);
    expect(write.stderr).toMatch(/ERROR:\s+42501: refused: only SELECT statements are allowed/);
  });

  it('refuses a missing or wrong token at connect', async () => {
    const wrong = await psql(['-c', 'select 1'], 'not-a-token-0123456789');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/password authentication failed for user "vera"/);
    const none = await psql(['-c', 'select 1'], null);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/no password supplied|password authentication failed/);
  });
});

describe('the pg driver against the operator', () => {
  it('runs parameterised queries through the extended protocol', async () => {
    const c = await client();
    try {
      const one = await c.query(
        'select customer_id, total from customer_totals where customer_id = $1',
        [10],
      );
      // BIGINT comes back as a string, as the pg driver reads int8 from PostgreSQL itself.
      expect(one.rows).toEqual([{ customer_id: '10', total: 12.5 }]);
      expect(one.fields.map((f) => f.name)).toEqual(['customer_id', 'total']);
      const text = await c.query('select count(*) as n from stg_orders where customer_id::varchar = $1', [
        '20',
      ]);
      expect(Number(text.rows[0]?.n)).toBe(1);
      const named = await c.query({
        name: 'by-customer',
        text: 'select total from customer_totals where customer_id = $1',
        values: [20],
      });
      expect(named.rows).toEqual([{ total: 3.25 }]);
      const again = await c.query({
        name: 'by-customer',
        text: 'select total from customer_totals where customer_id = $1',
        values: [10],
      });
      expect(again.rows).toEqual([{ total: 12.5 }]);
    } finally {
      await c.end();
    }
  });

  it('answers SHOW, SET search_path and version()', async () => {
    const c = await client();
    try {
      expect((await c.query('show search_path')).rows).toEqual([{ search_path: 'prod' }]);
      expect((await c.query('show server_version')).rows[0]?.server_version).toBe('15.0');
      expect((await c.query('select version()')).rows[0]?.version).toMatch(/^PostgreSQL 15\.0 \(Slipway/);
      await c.query('set search_path = staging');
      expect((await c.query('show search_path')).rows).toEqual([{ search_path: 'staging' }]);
      expect((await c.query('select total from grand_total')).rows).toEqual([{ total: 15.75 }]);
      await expect(c.query('set search_path = slipway_physical')).rejects.toMatchObject({ code: '3F000' });
      await expect(c.query('show no_such_setting')).rejects.toMatchObject({ code: '42704' });
      // The session goes on after errors.
      expect((await c.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await c.end();
    }
  });

  it('refuses a wrong token at connect with 28P01', async () => {
    await expect(client('wrong-token-0123456789abcdef' as string)).rejects.toMatchObject({ code: '28P01' });
  });

  const escapes: readonly [string, string, RegExp][] = [
    ['insert into grand_total values (1, 1)', '42501', /only SELECT/],
    ['create table x (a int)', '42501', /only SELECT/],
    ["attach '/tmp/x.duckdb' as x", '42501', /only SELECT/],
    ['install httpfs', '42501', /only SELECT/],
    ['load httpfs', '42501', /only SELECT/],
    ["copy grand_total to '/tmp/x.csv'", '42501', /only SELECT/],
    ["select * from read_csv('/etc/passwd')", '42501', /table function read_csv/],
    ["select getenv('HOME')", '42501', /function getenv/],
    ['select * from slipway_physical.grand_total', '42501', /schema slipway_physical is not readable/],
    ['select * from no_such_model', '42501', /no relation prod\.no_such_model/],
  ];
  for (const [sql, code, message] of escapes) {
    it(`refuses ${sql} (${code})`, async () => {
      const c = await client();
      try {
        await expect(c.query(sql)).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
        await expect(
          c.query(sql.replace(/'[^']*'/, '$1'), sql.includes("'") ? ['x'] : []),
        ).rejects.toMatchObject({
          code,
        });
      } finally {
        await c.end();
      }
    });
  }

  it('stops a statement on a cancel request', async () => {
    const c = await client();
    try {
      const slow = c.query('select count(*) from range(10000000000000) t(x) where x % 7 = 3');
      await new Promise((resolve) => setTimeout(resolve, 200));
      // A CancelRequest on a new connection with the key the session sent (BackendKeyData).
      const { processID, secretKey } = c as unknown as { processID: number; secretKey: number };
      const request = Buffer.alloc(16);
      request.writeInt32BE(16, 0);
      request.writeInt32BE(80877102, 4);
      request.writeInt32BE(processID, 8);
      request.writeInt32BE(secretKey, 12);
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(runtime.pgPort as number, '127.0.0.1', () => socket.end(request));
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
      await expect(slow).rejects.toMatchObject({
        code: '57014',
        message: 'canceling statement due to user request',
      });
      expect((await c.query('select 2 as two')).rows).toEqual([{ two: 2 }]);
    } finally {
      await c.end();
    }
  });

  it('stops a statement at the statement timeout and caps the rows', async () => {
    const c = await client();
    const notices: string[] = [];
    c.on('notice', (notice) => notices.push(notice.message ?? ''));
    try {
      await expect(
        c.query('select count(*) from range(10000000000000) t(x) where x % 7 = 3'),
      ).rejects.toMatchObject({
        code: '57014',
        message: expect.stringMatching(/longer than 3000 ms/),
      });
      expect((await c.query('show statement_timeout')).rows).toEqual([{ statement_timeout: '3000ms' }]);
      const capped = await c.query('select range as n from range(5000)');
      expect(capped.rows).toHaveLength(1000);
      expect(notices.join('\n')).toMatch(/cut at 1000 rows/);
    } finally {
      await c.end();
    }
  });

  it('serves 100 concurrent connections or refuses them cleanly (53300), and keeps serving', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, async () => {
        try {
          const c = await client();
          try {
            const { rows } = await c.query('select total from grand_total');
            return rows[0]?.total === 15.75 ? 'served' : 'wrong';
          } finally {
            await c.end();
          }
        } catch (error) {
          return (error as { code?: string }).code === '53300' ? 'refused' : `failed: ${String(error)}`;
        }
      }),
    );
    const served = outcomes.filter((o) => o === 'served').length;
    const refused = outcomes.filter((o) => o === 'refused').length;
    expect(served + refused, outcomes.filter((o) => o !== 'served' && o !== 'refused').join('\n')).toBe(100);
    expect(served).toBeGreaterThan(0);
    const after = await client();
    expect((await after.query('select 3 as three')).rows).toEqual([{ three: 3 }]);
    await after.end();
  });
});
