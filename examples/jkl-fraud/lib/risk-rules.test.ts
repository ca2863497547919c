import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestEngine, type TestEngine } from './duckdb-test-engine.js';
import { compileRiskReasons, compileRiskScore, type RiskRule, validateRiskRules } from './risk-rules.js';

const RULES: readonly RiskRule[] = [
  { name: 'fraud_chargeback', column: 'fraud_chargeback_count', op: '>=', value: 1, weight: 40 },
  { name: 'high_chargeback_rate', column: 'chargeback_rate', op: '>=', value: 0.02, weight: 20 },
  { name: 'risky_segment', column: 'segment', op: 'in', value: ['student', "o'neil"], weight: 30 },
  { name: 'loyal', column: 'tenure_days', op: '>', value: 1000, weight: -25 },
];

describe('risk rules', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await openTestEngine();
    await engine.run(
      `
      create table customers as select * from (values
        (1, 0, 0.0,   'retail',  100),
        (2, 2, 0.05,  'student', 10),
        (3, 1, 0.01,  'retail',  2000),
        (4, 0, 0.0,   'retail',  5000),
        (5, null, null, "o'neil", null)
      ) t(customer_id, fraud_chargeback_count, chargeback_rate, segment, tenure_days)`.replace(
        `"o'neil"`,
        `'o''neil'`,
      ),
    );
  });
  afterAll(() => engine.close());

  it('compiles to a clamped sum of quoted, escaped CASE terms', () => {
    const sql = compileRiskScore(RULES);
    expect(sql).toBe(
      'least(100, greatest(0, ' +
        '(case when "fraud_chargeback_count" >= 1 then 40 else 0 end) + ' +
        '(case when "chargeback_rate" >= 0.02 then 20 else 0 end) + ' +
        `(case when "segment" in ('student', 'o''neil') then 30 else 0 end) + ` +
        '(case when "tenure_days" > 1000 then -25 else 0 end)))',
    );
  });

  it('scores rows on DuckDB, clamping at 0 and max, NULLs firing nothing', async () => {
    const rows = await engine.rows(
      `select customer_id, ${compileRiskScore(RULES, { max: 80 })} as score, ${compileRiskReasons(RULES)} as reasons
       from customers order by customer_id`,
    );
    expect(rows).toEqual([
      { customer_id: 1, score: 0, reasons: '' },
      { customer_id: 2, score: 80, reasons: 'fraud_chargeback,high_chargeback_rate,risky_segment' },
      { customer_id: 3, score: 15, reasons: 'fraud_chargeback,loyal' },
      { customer_id: 4, score: 0, reasons: 'loyal' },
      { customer_id: 5, score: 30, reasons: 'risky_segment' },
    ]);
  });

  it('refuses unsafe or malformed rules before producing SQL', () => {
    const base = RULES[0]!;
    const bad: readonly RiskRule[] = [
      { ...base, column: 'x"; drop table customers; --' },
      { ...base, name: 'has space' },
      { ...base, weight: Number.NaN },
      { ...base, op: 'like' as RiskRule['op'] },
      { ...base, op: 'in', value: [] },
      { ...base, op: '>=', value: [1, 2] },
      { ...base, value: Number.POSITIVE_INFINITY },
      { ...base, value: 'a\0b' },
    ];
    for (const rule of bad) expect(() => compileRiskScore([rule])).toThrow(TypeError);
    expect(() => validateRiskRules([])).toThrow(/at least one rule/);
    expect(() => validateRiskRules([base, base])).toThrow(/duplicate/);
  });
});
