import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlParser } from '../../src/core/sql-parser.js';
import { loadProject } from '../../src/project/load-project.js';
import { blockedModels } from '../../src/quality/blocked-models.js';
import type { CheckResult } from '../../src/quality/check-result.js';
import { createDuckDbSqlParser } from '../../src/warehouse/duckdb/duckdb-sql-parser.js';

let parser: SqlParser;
beforeAll(async () => {
  parser = await createDuckDbSqlParser();
});
afterAll(async () => {
  await parser.close();
});

describe('blockedModels', () => {
  it('skips only what is downstream of a source with a failing error-severity check', async () => {
    const project = await loadProject(path.resolve('examples/jkl-fraud'), { parser });
    const result = (target: string, status: CheckResult['status'], severity: 'error' | 'warn') =>
      ({ id: `${target}.x.not_null`, target, status, severity }) as CheckResult;
    const blocked = blockedModels(project, [
      result('devices', 'fail', 'error'),
      result('merchants', 'warn', 'warn'),
      result('stg_customers', 'fail', 'error'), // a model, not a source: not run's business
    ]);
    expect(blocked.get('stg_devices')).toEqual(['devices.x.not_null']);
    expect(blocked.has('fraud_alerts')).toBe(true);
    expect(blocked.has('stg_merchants')).toBe(false);
    expect(blocked.has('stg_transactions')).toBe(false);
  });
});
