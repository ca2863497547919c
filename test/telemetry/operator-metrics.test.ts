/**
 * The operator's metrics, end to end: a real repository, the operator in-process, releases by
 * merge and signed webhook. GET /metrics shows the series a release must move (releases, rows
 * written, check results, switch and lock-wait times, syncs, webhooks, data age, warehouse file
 * size, process CPU/RSS/event-loop lag) and no high-cardinality label; the real `promtool check
 * metrics` passes on it; a real Prometheus (Debian's, on a free loopback port with a temporary
 * config and data folder) scrapes the operator and answers for Slipway's series through its
 * HTTP API. The same metrics go as EMF to a stand-in CloudWatch agent (emf-agent-stand-in.ts).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorRuntime } from '../../src/cli/operator-runtime.js';
import type { TimelineEntry } from '../../src/operator/reconciler.js';
import { git } from '../helpers/release-project.js';
import {
  announce,
  eventually,
  type GitOpsFixture,
  gitopsFixture,
  operatorProbe,
} from '../operator/gitops-fixture.js';
import { type EmfAgentStandIn, startEmfAgentStandIn } from './emf-agent-stand-in.js';
import { emfProblems } from './emf-spec.js';
import { parseExposition, type Sample, seriesValue, sumOf } from './prometheus-text.js';

let fixture: GitOpsFixture;
let runtime: OperatorRuntime;
let agent: EmfAgentStandIn;
const timeline: TimelineEntry[] = [];
const { reached } = operatorProbe(() => runtime.url, timeline);
let firstSha = '';
let before: Sample[] = [];
let after: Sample[] = [];
let afterText = '';
let secondSha = '';

async function scrape(): Promise<{ text: string; samples: Sample[]; contentType: string | null }> {
  const response = await fetch(`${runtime.url}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, samples: parseExposition(text), contentType: response.headers.get('content-type') };
}

beforeAll(async () => {
  agent = await startEmfAgentStandIn();
  fixture = await gitopsFixture();
  runtime = await fixture.start({
    onTimeline: (e) => timeline.push(e),
    telemetryEnv: { SLIPWAY_METRICS_EMF: agent.tcpUrl, SLIPWAY_METRICS_EMF_INTERVAL: '1' },
  });
  await runtime.leader();
  firstSha = await git(fixture.project.root, 'rev-parse', 'HEAD');
  await reached(firstSha, 'prod', ['promoted']);
  before = (await scrape()).samples;
  // A second change, announced by a signed GitHub push webhook.
  secondSha = await fixture.mergeVersion(2, 7);
  expect(await announce(runtime.url, secondSha)).toBeLessThan(300);
  await reached(secondSha, 'prod', ['promoted']);
  const scraped = await scrape();
  after = scraped.samples;
  afterText = scraped.text;
}, 120_000);

afterAll(async () => {
  await fixture?.remove();
  await agent?.close();
});

const delta = (name: string, labels: Record<string, string> = {}) =>
  sumOf(after, name, labels) - sumOf(before, name, labels);

describe('GET /metrics after releases', () => {
  it('counts each release by environment, kind and outcome, with its duration', () => {
    expect(delta('slipway_releases_total', { environment: 'staging', outcome: 'succeeded' })).toBe(1);
    expect(delta('slipway_releases_total', { environment: 'prod', outcome: 'succeeded' })).toBe(1);
    expect(sumOf(after, 'slipway_releases_total', { outcome: 'failed' })).toBe(0);
    expect(delta('slipway_release_duration_seconds_count', { environment: 'prod' })).toBe(1);
    expect(sumOf(after, 'slipway_release_duration_seconds_sum', { environment: 'staging' })).toBeGreaterThan(
      0,
    );
  });

  it('rows written per model, check results, switch and lock-wait times move with a release', () => {
    // customer_totals has two customers; grand_total one row. Staging builds, prod takes them by reference.
    expect(delta('slipway_model_rows_written_total', { model: 'customer_totals' })).toBe(2);
    expect(delta('slipway_model_rows_written_total', { model: 'grand_total' })).toBe(1);
    expect(
      delta('slipway_model_build_duration_seconds_count', { model: 'customer_totals', outcome: 'succeeded' }),
    ).toBe(1);
    expect(
      delta('slipway_check_results_total', { status: 'pass', severity: 'error' }),
    ).toBeGreaterThanOrEqual(1);
    expect(delta('slipway_switch_duration_seconds_count', { environment: 'staging' })).toBe(1);
    expect(delta('slipway_switch_duration_seconds_count', { environment: 'prod' })).toBe(1);
    expect(delta('slipway_lock_wait_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(delta('slipway_warehouse_statement_duration_seconds_count', { system: 'duckdb' })).toBeGreaterThan(
      3,
    );
  });

  it('webhook deliveries and syncs are counted', () => {
    expect(delta('slipway_webhooks_total', { provider: 'github' })).toBe(1);
    expect(delta('slipway_syncs_total', { outcome: 'succeeded' })).toBeGreaterThanOrEqual(1);
    expect(sumOf(after, 'slipway_git_errors_total')).toBe(0);
  });

  it('data age per environment and model, warehouse file size, and the process series', () => {
    const age = seriesValue(after, 'slipway_model_data_age_seconds', {
      environment: 'prod',
      model: 'customer_totals',
    });
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(600);
    // A view holds no data of its own.
    expect(seriesValue(after, 'slipway_model_data_age_seconds', { model: 'stg_orders' })).toBeUndefined();
    expect(seriesValue(after, 'slipway_warehouse_file_size_bytes')).toBeGreaterThan(0);
    expect(seriesValue(after, 'process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
    expect(seriesValue(after, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(seriesValue(after, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(seriesValue(after, 'slipway_telemetry_dropped_total', { exporter: 'emf' })).toBe(0);
  });

  it('no label carries a release id, a commit or a trace id', () => {
    const values = after.flatMap((s) => Object.values(s.labels));
    expect(values.filter((v) => /\br-[0-9a-f]{8}\b|[0-9a-f]{32}|[0-9a-f]{40}/.test(v))).toEqual([]);
    expect(afterText).not.toContain(firstSha);
    expect(afterText).not.toContain(secondSha);
    for (const s of after) {
      if (s.name.startsWith('slipway_') && /_total$/.test(s.name))
        expect(s.name).toMatch(/^slipway_[a-z_]+_total$/);
    }
  });

  it('passes the real promtool check metrics', () => {
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: afterText, encoding: 'utf8' });
    if (promtool.error) {
      throw new Error(
        `promtool is missing (${promtool.error.message}): run scripts/install-test-services.sh`,
      );
    }
    expect(`${promtool.stdout}${promtool.stderr}`).toBe('');
    expect(promtool.status).toBe(0);
  });
});

describe('CloudWatch EMF from the operator', () => {
  it('the stand-in agent receives conforming documents with the release series', async () => {
    await runtime.observability.flush();
    const docs = () => agent.tcp.map((t) => JSON.parse(t) as Record<string, unknown>);
    // Counters arrive as increases per interval: their sum over the documents is the total.
    const prodReleases = () =>
      docs()
        .filter((d) => d['environment'] === 'prod' && typeof d['slipway_releases_total'] === 'number')
        .reduce((n, d) => n + (d['slipway_releases_total'] as number), 0);
    const stagingSwitches = () =>
      docs()
        .filter((d) => d['environment'] === 'staging' && 'slipway_switch_duration_seconds' in d)
        .flatMap((d) => [d['slipway_switch_duration_seconds']].flat() as number[]);
    // Delivered to the socket is not yet read by the agent: wait for it, then compare exactly.
    await eventually(
      'EMF release documents',
      () => prodReleases() >= 2 && stagingSwitches().length >= 2,
      60_000,
    );
    for (const t of agent.tcp) expect(emfProblems(t)).toEqual([]);
    expect(prodReleases()).toBe(2);
    expect(stagingSwitches()).toHaveLength(2);
    expect(stagingSwitches().every((v) => v > 0 && v < 600)).toBe(true);
  });
});

describe('a real Prometheus scraping the operator', () => {
  it("answers for Slipway's series through /api/v1/query", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'slipway-prometheus-'));
    const port = await freePort();
    const target = new URL(runtime.url).host;
    await writeFile(
      path.join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: slipway\n    metrics_path: /metrics\n    static_configs:\n      - targets: ['${target}']\n`,
    );
    let prometheus: ChildProcess | undefined;
    let log = '';
    try {
      prometheus = spawn(
        'prometheus',
        [
          `--config.file=${path.join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${path.join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--log.level=warn',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const started = prometheus;
      const failedToStart = new Promise<never>((_, reject) =>
        started.once('error', (e) =>
          reject(new Error(`prometheus is missing (${e.message}): run scripts/install-test-services.sh`)),
        ),
      );
      // Read by every wait below; a rejection no wait is reading must not go unhandled.
      failedToStart.catch(() => {});
      started.stderr?.on('data', (c: Buffer) => {
        log += c.toString();
      });
      const query = async (promql: string) => {
        const response = await fetch(
          `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`,
        );
        const body = (await response.json()) as {
          status: string;
          data: { result: { metric: Record<string, string>; value: [number, string] }[] };
        };
        expect(body.status).toBe('success');
        return body.data.result;
      };
      const answered = async (promql: string, ok: (r: Awaited<ReturnType<typeof query>>) => boolean) => {
        await Promise.race([
          failedToStart,
          eventually(
            `Prometheus to answer ${promql}`,
            async () => ok(await query(promql).catch(() => [])),
            90_000,
          ),
        ]);
        return query(promql);
      };
      const up = await answered('up{job="slipway"}', (r) => r[0]?.value[1] === '1');
      expect(up[0]?.metric['instance']).toBe(target);
      const releases = await answered('slipway_releases_total{environment="prod"}', (r) => r.length > 0);
      expect(releases.reduce((n, r) => n + Number(r.value[1]), 0)).toBe(2);
      expect(releases.every((r) => r.metric['outcome'] === 'succeeded')).toBe(true);
      const rows = await answered('sum by (model) (slipway_model_rows_written_total)', (r) => r.length > 0);
      expect(Object.fromEntries(rows.map((r) => [r.metric['model'], Number(r.value[1])]))).toMatchObject({
        customer_totals: 4,
        grand_total: 2,
      });
      const rss = await answered('process_resident_memory_bytes{job="slipway"}', (r) => r.length > 0);
      expect(Number(rss[0]?.value[1])).toBeGreaterThan(0);
    } catch (error) {
      throw new Error(`${String(error)}\nprometheus log:\n${log}`);
    } finally {
      if (prometheus && prometheus.exitCode === null) {
        const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
        prometheus.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

/** A loopback port free now (taken, then released for Prometheus). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
