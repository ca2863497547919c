/**
 * The SQL unit tests on PostgreSQL: the reference project's tests, run through the composition
 * root's engines for a project whose default warehouse is PostgreSQL, each in its own scratch
 * schema of a fresh database; a wrong expected row is reported with its row diff, as on DuckDB;
 * and no scratch schema is left behind.
 */
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openUnitTestEngines } from '../../src/app/open-unit-test-warehouse.js';
import type { SqlParser } from '../../src/core/sql-parser.js';
import { loadProject } from '../../src/project/load-project.js';
import type { Project, UnitTest } from '../../src/project/project.js';
import { runUnitTests } from '../../src/quality/unit-tests/run-unit-tests.js';
import { createDuckDbSqlParser } from '../../src/warehouse/duckdb/duckdb-sql-parser.js';
import { SCRATCH_SCHEMA_PREFIX } from '../../src/warehouse/postgres/postgres-scratch-schemas.js';
import { freshDatabase, type TestDatabase } from '../helpers/postgres.js';

const URL_VARIABLE = 'SLIPWAY_UNIT_TEST_PG_URL';

let parser: SqlParser;
let database: TestDatabase;
let reference: Project;

/** The reference project with its default warehouse switched to PostgreSQL. */
function onPostgres(project: Project): Project {
  return {
    ...project,
    config: {
      ...project.config,
      warehouse: { default: 'pg', connections: { pg: { type: 'postgres', url_env: URL_VARIABLE } } },
    },
  };
}

async function scratchSchemasLeft(): Promise<string[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>(
      'select nspname from pg_namespace where starts_with(nspname, $1)',
      [SCRATCH_SCHEMA_PREFIX],
    );
    return rows.map((row) => row.nspname);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  parser = await createDuckDbSqlParser();
  database = await freshDatabase('slipway_unit_tests');
  process.env[URL_VARIABLE] = database.url;
  reference = onPostgres(await loadProject(path.resolve('examples/jkl-fraud'), { parser }));
});
afterAll(async () => {
  delete process.env[URL_VARIABLE];
  await parser?.close();
  await database?.drop();
});

describe('unit tests on PostgreSQL', () => {
  it("runs the reference project's unit tests in scratch schemas of the project's database", async () => {
    const engines = await openUnitTestEngines(reference);
    expect(engines.engine).toBe('postgres');
    const probe = await engines.open();
    expect(await scratchSchemasLeft()).toEqual([probe.defaultSchema]);
    await probe.close();
    expect(await scratchSchemasLeft()).toEqual([]);
    // Tests run side by side, at most as many as the shared pool has connections: count open
    // schemas. The first two wait for each other (however fast each test would be), so that the
    // count shows tests running side by side, not how the machine's load interleaved them; how
    // many more join them (up to the pool's four) depends on the pool's timing.
    let open = 0;
    let mostOpen = 0;
    let twoOpen: () => void = () => undefined;
    const sideBySide = new Promise<void>((resolve) => {
      twoOpen = resolve;
    });
    let opened = 0;
    const counted = async () => {
      const warehouse = await engines.open();
      mostOpen = Math.max(mostOpen, ++open);
      // The first engine is the runner's look at the inputs' shapes, alone; the tests follow.
      if (++opened > 1) {
        if (open === 2) twoOpen();
        await sideBySide;
      }
      const close = async (): Promise<void> => {
        open--;
        await warehouse.close();
      };
      return new Proxy(warehouse, {
        get: (target, key) => {
          if (key === 'close') return close;
          const value: unknown = Reflect.get(target, key, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    };
    let results: Awaited<ReturnType<typeof runUnitTests>>['results'];
    try {
      ({ results } = await runUnitTests({
        project: reference,
        tests: reference.tests,
        openEngine: counted,
        concurrency: engines.concurrency ?? 1,
      }));
    } finally {
      await engines.close();
    }
    expect(engines.concurrency).toBe(4);
    expect(mostOpen).toBeGreaterThanOrEqual(2);
    expect(mostOpen).toBeLessThanOrEqual(4);
    expect(open).toBe(0);
    expect(results).toHaveLength(8);
    expect(
      results.filter((r) => r.status !== 'pass').map((r) => `${r.name}: ${r.message}\n${r.diff}`),
    ).toEqual([]);
    expect(await scratchSchemasLeft()).toEqual([]);
  });

  it('reports a wrong expected row with its row diff', async () => {
    const original = reference.tests.find(
      (t) => t.name === 'stg_chargebacks_one_per_transaction',
    ) as UnitTest;
    expect(original.expect.rows?.[1]).toMatchObject({ chargeback_id: 503, reason_code: '13.3' });
    const wrong: UnitTest = {
      ...original,
      name: 'wrong_reason_code',
      expect: {
        ...original.expect,
        rows: (original.expect.rows ?? []).map((row, i) => (i === 1 ? { ...row, reason_code: '99.9' } : row)),
      },
    };
    const engines = await openUnitTestEngines(reference);
    let result: Awaited<ReturnType<typeof runUnitTests>>['results'][number] | undefined;
    try {
      ({
        results: [result],
      } = await runUnitTests({ project: reference, tests: [wrong], openEngine: engines.open }));
    } finally {
      await engines.close();
    }
    expect(result?.status).toBe('fail');
    expect(result?.message).toBe('output differs from the expected rows');
    expect(result?.diff).toContain('reason_code: expected "99.9", got "13.3"');
    expect(result?.diff).toContain('- { chargeback_id: 503, txn_id: 9002, reason_code: "99.9"');
    expect(result?.diff).toContain('+ { chargeback_id: 503, txn_id: 9002, reason_code: "13.3"');
    expect(await scratchSchemasLeft()).toEqual([]);
  });

  it('reports a fixture that lacks a column the model reads at the test', async () => {
    const original = reference.tests.find(
      (t) => t.name === 'stg_chargebacks_one_per_transaction',
    ) as UnitTest;
    const fixture = original.inputs['chargebacks'];
    expect(fixture?.rows?.[0]).toHaveProperty('reported_ts');
    const lacking: UnitTest = {
      ...original,
      name: 'lacks_reported_ts',
      inputs: {
        chargebacks: {
          csv: undefined,
          rows: (fixture?.rows ?? []).map(({ reported_ts: _dropped, ...rest }) => rest),
        },
      },
    };
    const engines = await openUnitTestEngines(reference);
    try {
      const { results } = await runUnitTests({
        project: reference,
        tests: [lacking],
        openEngine: engines.open,
      });
      expect(results[0]?.status).toBe('error');
      expect(results[0]?.diagnostic?.message).toContain("reads column 'reported_ts'");
      expect(results[0]?.diagnostic?.position).toEqual(original.position);
    } finally {
      await engines.close();
    }
  });

  it('refuses in one line when the URL variable is unset', async () => {
    delete process.env[URL_VARIABLE];
    try {
      await expect(openUnitTestEngines(reference)).rejects.toMatchObject({
        code: 'invalid_argument',
        message: expect.stringContaining(URL_VARIABLE),
      });
    } finally {
      process.env[URL_VARIABLE] = database.url;
    }
  });

  it('runs on in-memory DuckDB when forced, whatever the project', async () => {
    const engines = await openUnitTestEngines(reference, { engine: 'duckdb' });
    expect(engines.engine).toBe('duckdb');
    await engines.close();
    await expect(openUnitTestEngines(reference, { engine: 'sqlite' })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });
});
