/**
 * The span → metric mapping for the series a small operator test cannot provoke cheaply: failed
 * git operations, and the freshness lag read from freshness check results (a source's load
 * time, a model's time column). Real tracer, real prom-client registry, injected clock.
 */
import { describe, expect, it } from 'vitest';
import { checkSpanAttributes } from '../../src/release/check-span-attributes.js';
import { SlipwayMetrics } from '../../src/telemetry/metrics/slipway-metrics.js';
import { SpanMetrics } from '../../src/telemetry/metrics/span-metrics.js';
import { createTelemetry } from '../../src/telemetry/tracer.js';
import { parseExposition, seriesValue } from './prometheus-text.js';

const NOW = Date.parse('2026-12-04T03:00:00Z');

function setup() {
  const metrics = new SlipwayMetrics({ processMetrics: false, now: () => NOW });
  const telemetry = createTelemetry({ processors: [new SpanMetrics(metrics)] });
  const read = async () => parseExposition((await metrics.exposition()).body);
  return { metrics, telemetry, read };
}

describe('metrics read from spans', () => {
  it('a failed git fetch counts one git error; a successful one none', async () => {
    const { telemetry, read } = setup();
    const fetch = (fail: boolean) =>
      telemetry.span('git fetch', { 'slipway.span': 'git', 'slipway.git.operation': 'fetch' }, async () => {
        if (fail) throw new Error('could not read from remote repository');
      });
    await fetch(false);
    await expect(fetch(true)).rejects.toThrow(/remote repository/);
    expect(seriesValue(await read(), 'slipway_git_errors_total', { operation: 'fetch' })).toBe(1);
  });

  it('freshness checks give the lag of a source and a model, measured at scrape time', async () => {
    const { telemetry, read } = setup();
    const results = [
      {
        id: 'orders.loaded_at.source_freshness',
        kind: 'freshness' as const,
        target: 'orders',
        status: 'pass' as const,
        severity: 'error' as const,
        newestMs: NOW - 90_000,
      },
      {
        id: 'daily_sales.freshness',
        kind: 'freshness' as const,
        target: 'daily_sales',
        status: 'warn' as const,
        severity: 'warn' as const,
        newestMs: NOW - 7_200_000,
      },
      {
        id: 'orders.id.not_null',
        kind: 'not_null' as const,
        target: 'orders',
        status: 'pass' as const,
        severity: 'error' as const,
      },
    ];
    await telemetry.span(
      'gate prod',
      { 'slipway.span': 'checks', 'slipway.environment': 'prod' },
      async (span) => {
        span.setAttributes(checkSpanAttributes(results));
      },
    );
    const samples = await read();
    expect(seriesValue(samples, 'slipway_freshness_lag_seconds', { kind: 'source', name: 'orders' })).toBe(
      90,
    );
    expect(
      seriesValue(samples, 'slipway_freshness_lag_seconds', { kind: 'model', name: 'daily_sales' }),
    ).toBe(7200);
    expect(seriesValue(samples, 'slipway_check_results_total', { status: 'pass', severity: 'error' })).toBe(
      2,
    );
    expect(seriesValue(samples, 'slipway_check_results_total', { status: 'warn', severity: 'warn' })).toBe(1);
  });
});
