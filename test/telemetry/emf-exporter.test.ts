/**
 * CloudWatch EMF: the documents keep the specification's limits (test/telemetry/emf-spec.ts
 * checks each one) and are split when a flush holds more than one document may; the exporter
 * delivers them to a stand-in CloudWatch agent over TCP and UDP (emf-agent-stand-in.ts; the
 * real agent cannot run here), to a file, and counts what an unreachable agent cost.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMF_LIMITS, type EmfSample, emfDocuments } from '../../src/telemetry/metrics/emf/emf-documents.js';
import { EmfExporter } from '../../src/telemetry/metrics/emf/emf-exporter.js';
import { openEmfSink, parseEmfTarget } from '../../src/telemetry/metrics/emf/emf-sinks.js';
import { SlipwayMetrics } from '../../src/telemetry/metrics/slipway-metrics.js';
import { type EmfAgentStandIn, startEmfAgentStandIn } from './emf-agent-stand-in.js';
import { emfProblems } from './emf-spec.js';

let agent: EmfAgentStandIn;
let dir: string;

beforeAll(async () => {
  agent = await startEmfAgentStandIn();
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-emf-'));
});

afterAll(async () => {
  await agent?.close();
  await rm(dir, { recursive: true, force: true });
});

const parsed = (text: string) =>
  JSON.parse(text) as Record<string, unknown> & {
    _aws: { CloudWatchMetrics: { Metrics: { Name: string }[]; Dimensions: string[][] }[] };
  };

describe('EMF documents', () => {
  it('a release counter and duration become one conforming document per label set', () => {
    const docs = emfDocuments(
      [
        {
          name: 'slipway_releases_total',
          unit: 'Count',
          labels: { environment: 'prod', kind: 'promote', outcome: 'succeeded' },
          values: [1],
        },
        {
          name: 'slipway_switch_duration_seconds',
          unit: 'Seconds',
          labels: { environment: 'prod' },
          values: [0.02, 0.03],
        },
      ],
      { namespace: 'Slipway', timestamp: 1_767_225_600_000 },
    );
    expect(docs).toHaveLength(2);
    for (const d of docs) expect(emfProblems(d)).toEqual([]);
    const releases = docs.map(parsed).find((d) => 'slipway_releases_total' in d);
    expect(releases).toMatchObject({
      environment: 'prod',
      kind: 'promote',
      outcome: 'succeeded',
      slipway_releases_total: 1,
    });
    // The full label set, and the environment alone (what the generated dashboards filter on).
    expect(releases?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([
      ['environment', 'kind', 'outcome'],
      ['environment'],
    ]);
    const switches = docs.map(parsed).find((d) => 'slipway_switch_duration_seconds' in d);
    expect(switches?.['slipway_switch_duration_seconds']).toEqual([0.02, 0.03]);
  });

  it('more than 100 metrics, 100 values, 30 labels or the byte limit is split, never dropped', () => {
    const manyMetrics: EmfSample[] = Array.from({ length: 250 }, (_, i) => ({
      name: `slipway_metric_${i}_total`,
      unit: 'Count' as const,
      labels: { environment: 'prod' },
      values: [i + 1],
    }));
    const manyValues: EmfSample = {
      name: 'slipway_lock_wait_seconds',
      unit: 'Seconds',
      labels: { environment: 'prod' },
      values: Array.from({ length: 350 }, (_, i) => i / 1000),
    };
    const wide: EmfSample = {
      name: 'slipway_wide_total',
      unit: 'Count',
      labels: Object.fromEntries(
        Array.from({ length: 40 }, (_, i) => [`l${String(i).padStart(2, '0')}`, 'x']),
      ),
      values: [1],
    };
    const docs = emfDocuments([...manyMetrics, manyValues, wide], {
      namespace: 'Slipway',
      timestamp: Date.now(),
    });
    for (const d of docs) expect(emfProblems(d)).toEqual([]);
    const all = docs.map(parsed);
    const definitions = all.flatMap((d) => d._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name) ?? []);
    for (let i = 0; i < 250; i += 1)
      expect(definitions.filter((n) => n === `slipway_metric_${i}_total`)).toHaveLength(1);
    const lockValues = all.flatMap((d) => {
      const v = d['slipway_lock_wait_seconds'];
      return v === undefined ? [] : Array.isArray(v) ? v : [v];
    });
    expect(lockValues).toHaveLength(350);
    expect(Math.max(...all.map((d) => d._aws.CloudWatchMetrics[0]?.Metrics.length ?? 0))).toBe(
      EMF_LIMITS.metricsPerDirective,
    );
    const wideDoc = all.find((d) => 'slipway_wide_total' in d);
    expect(wideDoc?._aws.CloudWatchMetrics[0]?.Dimensions[0]).toHaveLength(30);

    // A small byte limit (a UDP datagram, here much smaller) splits by metrics, then by values.
    const small = emfDocuments([...manyMetrics.slice(0, 40), manyValues], {
      namespace: 'Slipway',
      timestamp: Date.now(),
      maxBytes: 1500,
    });
    for (const d of small) {
      expect(Buffer.byteLength(d)).toBeLessThanOrEqual(1500);
      expect(emfProblems(d)).toEqual([]);
    }
    const smallValues = small.map(parsed).flatMap((d) => {
      const v = d['slipway_lock_wait_seconds'];
      return v === undefined ? [] : Array.isArray(v) ? v : [v];
    });
    expect(smallValues).toEqual(manyValues.values);
  });

  it('destinations parse, and a wrong one is a clear usage error', () => {
    expect(parseEmfTarget('stdout')).toEqual({ kind: 'stdout' });
    expect(parseEmfTarget('file:/var/log/emf.log')).toEqual({ kind: 'file', path: '/var/log/emf.log' });
    expect(parseEmfTarget('tcp://127.0.0.1:25888')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 25888 });
    expect(parseEmfTarget('udp://[::1]:25888')).toEqual({ kind: 'udp', host: '::1', port: 25888 });
    expect(() => parseEmfTarget('http://agent:25888')).toThrow(/not an EMF destination/);
    expect(() => parseEmfTarget('tcp://agent:99999')).toThrow(/not an EMF destination/);
  });
});

describe('EMF exporter', () => {
  const record = (metrics: SlipwayMetrics) => {
    metrics.releases.inc({ environment: 'staging', kind: 'apply', outcome: 'succeeded' });
    metrics.observe(metrics.switchDuration, { environment: 'staging' }, 0.042);
    metrics.observe(metrics.switchDuration, { environment: 'staging' }, 0.058);
  };
  const received = (texts: readonly string[]) => texts.map(parsed);

  for (const transport of ['tcp', 'udp'] as const) {
    it(`delivers conforming documents to the agent over ${transport}, counters as increases`, async () => {
      const metrics = new SlipwayMetrics({ processMetrics: true });
      const sink = openEmfSink(parseEmfTarget(transport === 'tcp' ? agent.tcpUrl : agent.udpUrl));
      const exporter = new EmfExporter(metrics, sink, {
        namespace: `Slipway/${transport}`,
        intervalMs: 3_600_000,
      });
      const texts = transport === 'tcp' ? agent.tcp : agent.udp;
      const seen = texts.length;
      record(metrics);
      await exporter.flush();
      await waitFor(() => received(texts.slice(seen)).some((d) => 'slipway_switch_duration_seconds' in d));
      const first = received(texts.slice(seen));
      for (const t of texts.slice(seen)) expect(emfProblems(t)).toEqual([]);
      expect(
        first.find((d) => 'slipway_switch_duration_seconds' in d)?.['slipway_switch_duration_seconds'],
      ).toEqual([0.042, 0.058]);
      expect(first.find((d) => 'slipway_releases_total' in d)).toMatchObject({
        environment: 'staging',
        slipway_releases_total: 1,
      });
      expect(first.some((d) => typeof d['process_resident_memory_bytes'] === 'number')).toBe(true);
      expect(
        first.every((d) =>
          d._aws.CloudWatchMetrics.every(
            (c) => (c as unknown as { Namespace: string }).Namespace === `Slipway/${transport}`,
          ),
        ),
      ).toBe(true);

      // The next flush carries only what changed: one more release, no repeated observations.
      const second = texts.length;
      metrics.releases.inc({ environment: 'staging', kind: 'apply', outcome: 'succeeded' });
      metrics.releases.inc({ environment: 'staging', kind: 'apply', outcome: 'succeeded' });
      await exporter.flush();
      await waitFor(() => received(texts.slice(second)).some((d) => 'slipway_releases_total' in d));
      const next = received(texts.slice(second));
      expect(next.find((d) => 'slipway_releases_total' in d)?.['slipway_releases_total']).toBe(2);
      expect(next.some((d) => 'slipway_switch_duration_seconds' in d)).toBe(false);
      await exporter.shutdown();
      expect(exporter.stats.dropped).toBe(0);
    });
  }

  it('appends one document per line to a file', async () => {
    const file = path.join(dir, 'emf.log');
    const metrics = new SlipwayMetrics({ processMetrics: false });
    const exporter = new EmfExporter(metrics, openEmfSink(parseEmfTarget(`file:${file}`)), {
      namespace: 'Slipway',
    });
    record(metrics);
    await exporter.shutdown();
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(emfProblems(line)).toEqual([]);
    expect(
      lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .some((d) => d['slipway_releases_total'] === 1),
    ).toBe(true);
  });

  it('an agent that refuses connections costs counted drops, not an error to the caller', async () => {
    const port = await closedPort();
    const metrics = new SlipwayMetrics({ processMetrics: false });
    const errors: unknown[] = [];
    const exporter = new EmfExporter(metrics, openEmfSink(parseEmfTarget(`tcp://127.0.0.1:${port}`)), {
      namespace: 'Slipway',
      onError: (e) => errors.push(e),
    });
    record(metrics);
    await exporter.flush();
    expect(exporter.stats.dropped).toBeGreaterThanOrEqual(2);
    expect(exporter.stats.delivered).toBe(0);
    expect(String(errors[0])).toMatch(/ECONNREFUSED/);
    await exporter.shutdown();
  });
});

async function waitFor(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !predicate(); i += 1) await new Promise((r) => setTimeout(r, 10));
  if (!predicate()) throw new Error('the stand-in agent did not receive the documents');
}

/** A loopback port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
