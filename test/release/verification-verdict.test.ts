/**
 * The decision rules of post-deploy verification, without a database: which checks fail it, how
 * a row-count change is measured and bounded, what the one-line summary says, and how a
 * `verify:` block in slipway.yaml becomes the policy.
 */
import { describe, expect, it } from 'vitest';
import { promotionChain } from '../../src/operator/promotion-chain.js';
import type { ProjectConfig } from '../../src/project/schemas.js';
import { projectConfigSchema } from '../../src/project/schemas.js';
import {
  judgeVerification,
  rowChangePercent,
  type VerifyPolicy,
} from '../../src/release/verification-verdict.js';

const POLICY: VerifyPolicy = { checks: true, maxRowChangePercent: 50, delayMs: 0, rollback: true };

const check = (
  id: string,
  status: 'pass' | 'fail' | 'warn' | 'error',
  severity: 'error' | 'warn' = 'error',
) => ({
  id,
  status,
  severity,
  message: `${id} measured`,
});

describe('rowChangePercent', () => {
  it('is the relative change either way, from the previous count', () => {
    expect(rowChangePercent(1000, 200)).toBe(80);
    expect(rowChangePercent(200, 300)).toBe(50);
    expect(rowChangePercent(100, 100)).toBe(0);
    expect(rowChangePercent(0, 0)).toBe(0);
    expect(rowChangePercent(0, 5)).toBe(Number.POSITIVE_INFINITY);
    expect(rowChangePercent(5, 0)).toBe(100);
  });
});

describe('judgeVerification', () => {
  it('passes when every check passes and every changed model stays within the bound', () => {
    const verdict = judgeVerification(POLICY, {
      checks: [check('a.x.not_null', 'pass'), check('b.*.row_count', 'warn', 'warn')],
      rowCounts: [
        { model: 'a', before: 100, after: 120 },
        { model: 'b', before: 10, after: 6 },
      ],
    });
    expect(verdict).toEqual({
      passed: true,
      failures: [],
      summary: '2 checks passed; 2 changed models within 50% rows (largest: b −40%)',
    });
  });

  it('names no largest change when no row count moved', () => {
    const verdict = judgeVerification(POLICY, {
      checks: [],
      rowCounts: [{ model: 'a', before: 7, after: 7 }],
    });
    expect(verdict.summary).toBe('0 checks passed; 1 changed model within 50% rows');
  });

  it('a change exactly at the bound passes; just beyond it fails', () => {
    const at = judgeVerification(POLICY, { checks: [], rowCounts: [{ model: 'a', before: 10, after: 5 }] });
    expect(at.passed).toBe(true);
    const beyond = judgeVerification(POLICY, {
      checks: [],
      rowCounts: [{ model: 'a', before: 1000, after: 499 }],
    });
    expect(beyond).toMatchObject({
      passed: false,
      failures: [{ kind: 'row_change', subject: 'a' }],
      summary: 'a rows 1,000 → 499 (−50.1%, bound 50%)',
    });
  });

  it('growth counts as much as loss, and rows appearing in an empty table exceed any bound', () => {
    const verdict = judgeVerification(
      { ...POLICY, maxRowChangePercent: 200 },
      {
        checks: [],
        rowCounts: [
          { model: 'grew', before: 10, after: 40 },
          { model: 'was_empty', before: 0, after: 3 },
          { model: 'still_empty', before: 0, after: 0 },
        ],
      },
    );
    expect(verdict.failures.map((f) => f.message)).toEqual([
      'grew rows 10 → 40 (+300%, bound 200%)',
      'was_empty rows 0 → 3 (from none, bound 200%)',
    ]);
  });

  it('an error-severity check that fails or cannot run fails it; warnings never do', () => {
    const verdict = judgeVerification(POLICY, {
      checks: [
        check('a.id.unique', 'fail'),
        check('b.*.query', 'error'),
        check('c.x.range', 'warn', 'warn'),
        check('d.*.query', 'error', 'warn'),
      ],
      rowCounts: [],
    });
    expect(verdict.passed).toBe(false);
    expect(verdict.failures).toEqual([
      { kind: 'check', subject: 'a.id.unique', message: 'check a.id.unique failed: a.id.unique measured' },
      { kind: 'check', subject: 'b.*.query', message: 'check b.*.query could not run: b.*.query measured' },
    ]);
    expect(verdict.summary).toBe(
      'check a.id.unique failed: a.id.unique measured; check b.*.query could not run: b.*.query measured',
    );
  });

  it('a model whose previous table is gone is not judged on rows', () => {
    const verdict = judgeVerification(POLICY, {
      checks: [],
      rowCounts: [{ model: 'a', before: undefined, after: 1 }],
    });
    expect(verdict).toMatchObject({
      passed: true,
      summary: '0 checks passed; no changed model to compare rows with',
    });
  });

  it('without a bound row counts are not judged; with checks off, check results are ignored', () => {
    const rows = judgeVerification(
      { ...POLICY, maxRowChangePercent: undefined },
      { checks: [check('a.x.not_null', 'pass')], rowCounts: [{ model: 'a', before: 100, after: 1 }] },
    );
    expect(rows).toMatchObject({ passed: true, summary: '1 check passed' });
    const noChecks = judgeVerification(
      { ...POLICY, checks: false, maxRowChangePercent: undefined },
      { checks: [check('a.x.not_null', 'fail')], rowCounts: [] },
    );
    expect(noChecks).toMatchObject({ passed: true, summary: 'nothing to verify' });
  });

  it('the summary names the first three failures and counts the rest', () => {
    const verdict = judgeVerification(POLICY, {
      checks: [check('a', 'fail'), check('b', 'fail'), check('c', 'fail'), check('d', 'fail')],
      rowCounts: [{ model: 'm', before: 10, after: 1 }],
    });
    expect(verdict.failures).toHaveLength(5);
    expect(verdict.summary).toMatch(/^check a failed: .*; check c failed: c measured; and 2 more$/);
  });
});

describe('the verify block of slipway.yaml', () => {
  const config = (prod: unknown): ProjectConfig =>
    projectConfigSchema.parse({
      name: 'p',
      warehouse: { default: 'local', connections: { local: { type: 'duckdb', path: ':memory:' } } },
      environments: { staging: { sync: 'auto' }, prod: { promote_from: 'staging', ...(prod as object) } },
    });

  it('becomes the environment policy, with defaults: checks on, no row bound, no delay, rollback on', () => {
    const [staging, prod] = promotionChain(
      config({ verify: { max_row_change: '12.5%', delay: '2m', checks: false, rollback: false } }),
    );
    expect(staging?.verify).toBeUndefined();
    expect(prod?.verify).toEqual({
      checks: false,
      maxRowChangePercent: 12.5,
      delayMs: 120_000,
      rollback: false,
    });
    expect(promotionChain(config({ verify: {} }))[1]?.verify).toEqual({
      checks: true,
      maxRowChangePercent: undefined,
      delayMs: 0,
      rollback: true,
    });
  });

  it('refuses a bound that is not a percentage and keys it does not know', () => {
    expect(() => config({ verify: { max_row_change: 50 } })).toThrow();
    expect(() => config({ verify: { max_row_change: '50' } })).toThrow(/a percentage such as 50%/);
    expect(() => config({ verify: { max_rows: '50%' } })).toThrow();
  });
});
