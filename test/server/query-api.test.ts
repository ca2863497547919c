/**
 * `POST /api/v1/query` on a running operator (in-process runtime, real git, SQLite state and the
 * DuckDB warehouse the operator releases on): a viewer reads prod as JSON and as an Arrow IPC
 * stream, the sandbox refuses escapes (400), the row cap and the statement timeout hold, a client
 * that goes away frees its reader, and `slipway query` (the built CLI) goes through the operator.
 */
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorRuntime } from '../../src/cli/operator-runtime.js';
import type { TimelineEntry } from '../../src/operator/reconciler.js';
import { git } from '../helpers/release-project.js';
import { json, runCli } from '../helpers/run-cli.js';
import { type GitOpsFixture, gitopsFixture, operatorProbe, TOKENS } from '../operator/gitops-fixture.js';

let fixture: GitOpsFixture;
let runtime: OperatorRuntime;
const timeline: TimelineEntry[] = [];
const { reached } = operatorProbe(() => runtime.url, timeline);

beforeAll(async () => {
  fixture = await gitopsFixture();
  runtime = await fixture.start({ onTimeline: (e) => timeline.push(e) });
  await runtime.leader();
  await reached(await git(fixture.project.root, 'rev-parse', 'HEAD'), 'prod', ['promoted']);
}, 120_000);

afterAll(async () => {
  await fixture?.remove();
});

function query(
  body: unknown,
  {
    token = TOKENS.viewer,
    accept,
    signal,
  }: { token?: string | null; accept?: string; signal?: AbortSignal } = {},
): Promise<Response> {
  return fetch(`${runtime.url}/api/v1/query`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(accept ? { accept } : {}),
    },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

describe('POST /api/v1/query', () => {
  it('a viewer reads prod as JSON rows with column names and types', async () => {
    const response = await query({
      env: 'prod',
      sql: 'select customer_id, total, version from customer_totals where customer_id = $1',
      params: [10],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { columns: { name: string; type: string }[]; rows: unknown[] };
    expect(body.columns.map((c) => c.name)).toEqual(['customer_id', 'total', 'version']);
    expect(body.columns[0]?.type).toMatch(/INT/);
    expect(body.rows).toEqual([{ customer_id: 10, total: 12.5, version: 1 }]);
  });

  it('answers an Arrow IPC stream when asked for one', async () => {
    const response = await query(
      { env: 'prod', sql: 'select customer_id, total from customer_totals order by customer_id' },
      { accept: 'application/vnd.apache.arrow.stream' },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/vnd.apache.arrow.stream');
    const table = tableFromIPC(new Uint8Array(await response.arrayBuffer()));
    expect(table.schema.fields.map((f) => f.name)).toEqual(['customer_id', 'total']);
    expect(table.numRows).toBe(2);
    expect([...table.getChild('customer_id')!].map(Number)).toEqual([10, 20]);
    expect([...table.getChild('total')!]).toEqual([12.5, 3.25]);
  });

  it('refuses requests without a valid token', async () => {
    expect((await query({ env: 'prod', sql: 'select 1' }, { token: null })).status).toBe(401);
    expect((await query({ env: 'prod', sql: 'select 1' }, { token: 'wrong-token-0123456789' })).status).toBe(
      401,
    );
  });

  const escapes: readonly [string, RegExp][] = [
    ["select * from read_csv('/etc/passwd')", /table function read_csv/],
    ["select getenv('HOME')", /function getenv/],
    ['delete from customer_totals', /only SELECT/],
    ["attach '/tmp/x.duckdb' as x", /only SELECT/],
    ['select * from slipway_physical.customer_totals', /schema slipway_physical is not readable/],
  ];
  for (const [sql, message] of escapes) {
    it(`refuses ${sql} with 400`, async () => {
      const response = await query({ env: 'prod', sql });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toMatch(message);
    });
  }

  it('404 for an unknown environment, 400 for a bad body', async () => {
    expect((await query({ env: 'prd', sql: 'select 1' })).status).toBe(404);
    expect((await query({ env: 'prod' })).status).toBe(400);
  });

  it('caps the rows and says so; stops a statement at its timeout (504)', async () => {
    const capped = await query({ env: 'prod', sql: 'select * from customer_totals', limit: 1 });
    const body = (await capped.json()) as { rows: unknown[]; truncated: boolean };
    expect(body.rows).toHaveLength(1);
    expect(body.truncated).toBe(true);
    const slow = await query({
      env: 'prod',
      sql: 'select count(*) from range(10000000000000) t(x) where x % 7 = 3',
      timeoutMs: 200,
    });
    expect(slow.status).toBe(504);
    expect(((await slow.json()) as { message: string }).message).toMatch(/longer than 200 ms/);
  });

  it('a client that goes away frees its reader (more abandoned reads than reader connections)', async () => {
    // Each statement would run for hours; if a disconnect did not interrupt it, the two reader
    // connections would stay busy and the last read below would never be answered.
    for (let i = 0; i < 3; i += 1) {
      const controller = new AbortController();
      const pending = query(
        { env: 'prod', sql: 'select count(*) from range(10000000000000) t(x) where x % 7 = 3' },
        { signal: controller.signal },
      );
      await new Promise((resolve) => setTimeout(resolve, 150));
      controller.abort();
      await expect(pending).rejects.toThrow();
    }
    const after = await query({ env: 'prod', sql: 'select total from grand_total' });
    expect(after.status).toBe(200);
    expect(((await after.json()) as { rows: unknown[] }).rows).toEqual([{ total: 15.75 }]);
  });

  it('slipway query goes through the running operator', async () => {
    const env = { SLIPWAY_OPERATOR_URL: runtime.url, SLIPWAY_TOKEN: TOKENS.viewer };
    const read = await runCli(
      ['query', '--env', 'prod', 'select total, version from grand_total', '--json'],
      {
        cwd: fixture.project.root,
        env,
      },
    );
    expect(read.code, read.stderr).toBe(0);
    expect(json<{ rows: unknown[] }>(read).rows).toEqual([{ total: 15.75, version: 1 }]);
    const refused = await runCli(['query', '--env', 'prod', "select * from read_csv('/etc/passwd')"], {
      cwd: fixture.project.root,
      env,
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/operator: refused: the table function read_csv/);
    const anonymous = await runCli(['query', '--env', 'prod', 'select 1'], {
      cwd: fixture.project.root,
      env: { SLIPWAY_OPERATOR_URL: runtime.url, SLIPWAY_TOKEN: '' },
    });
    expect(anonymous.code).toBe(2);
    expect(anonymous.stderr).toMatch(/SLIPWAY_TOKEN/);
  });
});
