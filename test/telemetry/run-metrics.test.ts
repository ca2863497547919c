/**
 * A run's metrics on the library API with real DuckDB and SQLite: the run is counted with its
 * duration, and rows written per model include what an incremental refresh merged (the rows of
 * its increment: new ones and those re-read within the lookback), not only full rebuilds.
 */
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintProject } from '../../src/project/fingerprint.js';
import { applyRelease } from '../../src/release/apply-release.js';
import type { ReleaseServices } from '../../src/release/execute-release.js';
import { runEnvironment } from '../../src/release/run-environment.js';
import { SlipwayMetrics } from '../../src/telemetry/metrics/slipway-metrics.js';
import { SpanMetrics } from '../../src/telemetry/metrics/span-metrics.js';
import { createTelemetry } from '../../src/telemetry/tracer.js';
import { closeServices, loadAt, releaseProject, releaseServices } from '../helpers/release-project.js';
import type { TempProject } from '../helpers/temp-project.js';
import { parseExposition, type Sample, sumOf } from './prometheus-text.js';

let project: TempProject;
let services: ReleaseServices;
const metrics = new SlipwayMetrics({ processMetrics: false });

beforeAll(async () => {
  project = await releaseProject(1);
  services = {
    ...releaseServices(project.root),
    telemetry: createTelemetry({ processors: [new SpanMetrics(metrics)] }),
  };
});
afterAll(async () => {
  await closeServices(services);
  await project?.remove();
});

const read = async (): Promise<Sample[]> => parseExposition((await metrics.exposition()).body);

describe('run metrics', () => {
  it('counts the run and the rows each model wrote, incremental merges included', async () => {
    const loaded = await loadAt(project.root);
    await applyRelease(services, {
      project: loaded,
      fingerprints: fingerprintProject(loaded),
      environment: 'staging',
      strategy: 'blue-green',
      commit: undefined,
      actor: 'tester',
      concurrency: 1,
    });
    const before = await read();
    // The incremental model's first build is its full backfill: four orders.
    expect(sumOf(before, 'slipway_model_rows_written_total', { model: 'fct_orders' })).toBe(4);
    await appendFile(path.join(project.root, 'data', 'orders.csv'), '5,20,1.00,2026-01-03 15:00:00\n');
    const outcome = await runEnvironment(services, {
      project: await loadAt(project.root),
      environment: 'staging',
      actor: 'tester',
      concurrency: 1,
    });
    expect(outcome.run.status).toBe('succeeded');
    const after = await read();
    const delta = (model: string) =>
      sumOf(after, 'slipway_model_rows_written_total', { model }) -
      sumOf(before, 'slipway_model_rows_written_total', { model });
    // Order 5 is new; order 4 is re-read within the 1 day lookback: two rows merged.
    expect(outcome.models.find((m) => m.model === 'fct_orders')).toMatchObject({
      action: 'incremental',
      added: 1,
    });
    expect(delta('fct_orders')).toBe(2);
    expect(delta('customer_totals')).toBe(3);
    expect(delta('grand_total')).toBe(1);
    expect(sumOf(after, 'slipway_runs_total', { environment: 'staging', outcome: 'succeeded' })).toBe(1);
    expect(sumOf(after, 'slipway_run_duration_seconds_count', { environment: 'staging' })).toBe(1);
  });
});
