/**
 * Faults: an OTLP collector that hangs, then one that is down (the stand-in of
 * telemetry-receivers.ts, stopped). Releases still complete end to end through the operator,
 * the spans that could not go are dropped and counted in `/metrics`
 * (`slipway_telemetry_dropped_total{exporter="otlp_traces"}`), and the operator's own view of
 * its traces is untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorRuntime } from '../../src/cli/operator-runtime.js';
import type { TimelineEntry } from '../../src/operator/reconciler.js';
import { git } from '../helpers/release-project.js';
import {
  announce,
  api,
  type GitOpsFixture,
  gitopsFixture,
  operatorProbe,
} from '../operator/gitops-fixture.js';
import { parseExposition, seriesValue } from './prometheus-text.js';
import { type Receivers, startReceivers } from './telemetry-receivers.js';

let fixture: GitOpsFixture;
let runtime: OperatorRuntime;
let collector: Receivers;
const timeline: TimelineEntry[] = [];
const { reached, releases } = operatorProbe(() => runtime.url, timeline);

const dropped = async (): Promise<number> => {
  const text = await (await fetch(`${runtime.url}/metrics`)).text();
  return (
    seriesValue(parseExposition(text), 'slipway_telemetry_dropped_total', { exporter: 'otlp_traces' }) ??
    Number.NaN
  );
};

beforeAll(async () => {
  collector = await startReceivers();
  collector.mode = 'hang';
  fixture = await gitopsFixture();
  runtime = await fixture.start({
    onTimeline: (e) => timeline.push(e),
    telemetryEnv: {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_TIMEOUT: '300',
      OTEL_BSP_EXPORT_TIMEOUT: '300',
      OTEL_BSP_SCHEDULE_DELAY: '20',
      OTEL_BSP_MAX_QUEUE_SIZE: '16',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '8',
    },
  });
  await runtime.leader();
}, 60_000);

afterAll(async () => {
  await fixture?.remove();
  await collector?.close();
});

describe('an OTLP collector that hangs, then is down', () => {
  it('a hanging collector: the releases complete, the spans are dropped and counted', async () => {
    const sha = await git(fixture.project.root, 'rev-parse', 'HEAD');
    await reached(sha, 'prod', ['promoted']);
    const [prod] = await releases('prod');
    expect(prod?.status).toBe('succeeded');
    expect(collector.requests.get('/v1/traces') ?? 0).toBeGreaterThan(0);
    expect(collector.spans).toHaveLength(0);
    // The small buffer overflowed while the collector held the first batch.
    expect(await dropped()).toBeGreaterThan(16);
    // The operator's recent traces do not depend on the collector.
    const [record] = await runtime.state.listReleases({ environment: 'prod', limit: 1 });
    expect(record?.traceId).toMatch(/^[0-9a-f]{32}$/);
    const { json } = await api(runtime.url, 'GET', `/api/v1/traces?traceId=${record?.traceId}`, {
      role: 'viewer',
    });
    expect((json['traces'] as { name: string }[])[0]?.name).toBe('release prod');
  });

  it('a collector that is down: the next release completes and more spans are counted as dropped', async () => {
    const droppedBefore = await dropped();
    await collector.close();
    const sha = await fixture.mergeVersion(3, 11);
    expect(await announce(runtime.url, sha)).toBeLessThan(300);
    await reached(sha, 'prod', ['promoted']);
    const [prod] = await releases('prod');
    expect(prod?.commit.sha).toBe(sha);
    expect(prod?.status).toBe('succeeded');
    await runtime.observability.flush();
    expect(await dropped()).toBeGreaterThan(droppedBefore);
  });
});
