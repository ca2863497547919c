/**
 * `slipway apply` with the canary strategy, end to end on the built CLI with DuckDB: the steps are
 * reported as they pass; a planted regression exits 1 saying which step and metric stopped it,
 * with no stack trace, and prod keeps its release; a release that changes an incremental model is
 * refused (exit 2) before anything is recorded.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStateStore } from '../../src/state/sqlite/sqlite-state-store.js';
import { createDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.js';
import { CANARY_MODELS, canaryProject, STG_TRANSACTIONS, seedCanaryData } from '../helpers/canary-project.js';
import { slipway } from '../helpers/cli.js';
import type { EngineProject } from '../helpers/release-engines.js';

let project: EngineProject;
beforeAll(async () => {
  project = await canaryProject();
  await mkdir(path.join(project.root, '.slipway'), { recursive: true });
  const warehouse = createDuckDbWarehouse({ path: path.join(project.root, '.slipway', 'warehouse.duckdb') });
  try {
    await seedCanaryData(warehouse);
  } finally {
    await warehouse.close();
  }
});
afterAll(async () => {
  await project?.remove();
});

async function releases(): Promise<{ id: string; status: string; error: string | undefined }[]> {
  const state = openSqliteStateStore({ path: path.join(project.root, '.slipway', 'state.db') });
  try {
    return (await state.listReleases({ environment: 'prod' })).map((r) => ({
      id: r.id,
      status: r.status,
      error: r.error,
    }));
  } finally {
    await state.close();
  }
}

describe('slipway apply with the canary strategy', () => {
  it('reports each step, then switches at 100%', async () => {
    const result = await slipway(['apply', '--env', 'prod', '--yes'], { cwd: project.root });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/canary 5%: \d+ metrics passed, 0 failed, 0 inconclusive → widen/);
    expect(result.stderr).toMatch(/canary 25%: \d+ metrics passed, 0 failed, 0 inconclusive → widen/);
    expect(result.stdout).toMatch(/prod now shows release r-[0-9a-f]{8}/);
  });

  it('exits 1 naming the step and the metric that stopped a planted regression; prod keeps its release', async () => {
    const before = await releases();
    await project.write(
      'models/stg_transactions.sql',
      STG_TRANSACTIONS.replace('using (merchant_id)', "using (merchant_id)\nwhere m.category <> 'jewelry'"),
    );
    try {
      const result = await slipway(['apply', '--env', 'prod', '--yes'], { cwd: project.root });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(
        /canary aborted at the 5% step: stg_transactions\.changed_keys: \d+ of \d+ keys changed/,
      );
      expect(result.stderr).toMatch(/prod still shows its live release/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      const after = await releases();
      expect(after).toHaveLength(before.length + 1);
      expect(after[0]?.status).toBe('failed');
      expect(after[0]?.error).toMatch(/^canary aborted at the 5% step/);
      const query = await slipway(
        [
          'query',
          '--env',
          'prod',
          "select count(*) as n from stg_transactions where category = 'jewelry'",
          '--json',
        ],
        { cwd: project.root },
      );
      expect(query.code, query.stderr).toBe(0);
      expect(query.stdout).toMatch(/"n": 303/);
    } finally {
      await project.write(
        'models/stg_transactions.sql',
        CANARY_MODELS['models/stg_transactions.sql'] as string,
      );
    }
  });

  it('refuses a release that changes an incremental model (exit 2) and records nothing', async () => {
    const before = await releases();
    await project.write(
      'models/txn_log.sql',
      '/* @slipway\nkind: incremental\ntime_column: txn_id\n*/\nselect txn_id, customer_id from stg_transactions\n',
    );
    const result = await slipway(['apply', '--env', 'prod', '--yes'], { cwd: project.root });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(
      /the canary strategy does not release incremental models yet: txn_log is incremental/,
    );
    expect(result.stderr).toMatch(/--strategy blue-green/);
    expect(await releases()).toEqual(before);
  });
});
