/**
 * The outcome rules of a canary step, as Argo Rollouts has them: failures beyond the failure
 * limit abort; otherwise an inconclusive metric pauses (or aborts when configured); otherwise the
 * canary widens. Pure: metrics in, verdict out.
 */
import { describe, expect, it } from 'vitest';
import type { CanaryMetric, MetricOutcome } from '../../src/release/strategies/canary/canary-analysis.js';
import { judgeStep } from '../../src/release/strategies/canary/canary-verdict.js';

const metric = (name: string, outcome: MetricOutcome): CanaryMetric => ({
  model: 'm',
  metric: name,
  outcome,
  detail: name,
});

describe('judgeStep', () => {
  const pass = metric('row_count', 'pass');
  const fail = metric('changed_keys', 'fail');
  const unsure = metric('null_rate(x)', 'inconclusive');

  it('widens when every metric passes', () => {
    expect(judgeStep([pass, pass], { failureLimit: 0, inconclusive: 'pause' }).verdict).toBe('widen');
  });

  it('aborts on more failures than the limit, even with inconclusive metrics', () => {
    const judged = judgeStep([pass, fail, unsure], { failureLimit: 0, inconclusive: 'pause' });
    expect(judged.verdict).toBe('abort');
    expect(judged.failed).toEqual([fail]);
    expect(judged.inconclusive).toEqual([unsure]);
  });

  it('tolerates failures up to the limit', () => {
    expect(judgeStep([fail, pass], { failureLimit: 1, inconclusive: 'pause' }).verdict).toBe('widen');
    expect(judgeStep([fail, fail], { failureLimit: 1, inconclusive: 'pause' }).verdict).toBe('abort');
  });

  it('pauses on an inconclusive metric, or aborts when the environment says so', () => {
    expect(judgeStep([pass, unsure], { failureLimit: 0, inconclusive: 'pause' }).verdict).toBe('pause');
    expect(judgeStep([pass, unsure], { failureLimit: 0, inconclusive: 'abort' }).verdict).toBe('abort');
  });
});
