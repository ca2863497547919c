/**
 * bench/telemetry: what all of Slipway's telemetry costs a release. The reference project
 * (examples/jkl-fraud, its generated data at `scale`) is released to staging — every model built,
 * the check gate, the switch — on fresh warehouse and state files each round, with telemetry
 * all off (no span processor, no statement spans, no metrics, no lineage, logs silent) and all
 * on (OTLP/HTTP protobuf traces, OpenLineage over HTTP, metrics read from spans with a scrape of
 * the Prometheus text after each release, CloudWatch EMF over TCP, recent traces, a span per
 * warehouse statement, JSON logs at info to a file), every exporter pointed at receivers in this
 * process on 127.0.0.1. Rounds are interleaved off/on/on/off… so drift hits both alike; the
 * figure is median(on) / median(off) − 1 (target ≤ 3 %). What the exporters ship is flushed
 * after each timed release, outside the timing, and counted, so none of it is dropped unseen.
 *
 * Wall time is the figure; the process's CPU time (its DuckDB threads included) is printed
 * beside it, being less moved by other work on a shared machine. `--only PART,…` turns on just
 * some parts (otlp, lineage, emf, metrics, statements, logs) to see what each costs.
 *
 *   npx tsx bench/telemetry.ts              # scale 1, 6 rounds of each
 *   npx tsx bench/telemetry.ts 0.3 10       # scale 0.3, 10 rounds of each
 *   npx tsx bench/telemetry.ts 0.3 10 --only lineage
 */
import { createWriteStream } from 'node:fs';
import { cp, mkdir, rm, stat } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openObservability } from '../src/app/open-observability.js';
import { generateData } from '../src/cli/commands/generate-action.js';
import { fingerprintProject } from '../src/project/fingerprint.js';
import { loadProject } from '../src/project/load-project.js';
import type { Project } from '../src/project/project.js';
import { applyRelease } from '../src/release/apply-release.js';
import { checkGate } from '../src/release/check-gate.js';
import { openSqliteStateStore } from '../src/state/sqlite/sqlite-state-store.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createTelemetry } from '../src/telemetry/tracer.js';
import { createDuckDbSqlParser } from '../src/warehouse/duckdb/duckdb-sql-parser.js';
import { createDuckDbWarehouse } from '../src/warehouse/duckdb/duckdb-warehouse.js';

const root = path.resolve(import.meta.dirname, '..');
const { values: flags, positionals } = parseArgs({
  options: { only: { type: 'string' } },
  allowPositionals: true,
});
const scale = Number(positionals[0] ?? 1) || 1;
const rounds = Math.max(2, Number(positionals[1] ?? 6) || 6);
const PARTS = ['otlp', 'lineage', 'emf', 'metrics', 'statements', 'logs'] as const;
const parts = new Set(flags.only ? flags.only.split(',').map((p) => p.trim()) : PARTS);
for (const p of parts) {
  if (!(PARTS as readonly string[]).includes(p)) {
    console.error(`--only takes ${PARTS.join(', ')}; not ${p}`);
    process.exit(2);
  }
}
const out = path.join(root, 'bench', '.out', `telemetry-${scale}`);
const reference = path.join(root, 'examples', 'jkl-fraud');

/** Receivers for every exporter: OTLP/HTTP traces, OpenLineage, an EMF agent; they count and discard. */
async function startReceivers() {
  const counts = { otlpRequests: 0, lineageEvents: 0, emfBytes: 0 };
  const http = createHttpServer((request, response) => {
    request.on('data', () => {});
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        counts.otlpRequests += 1;
        // An empty ExportTraceServiceResponse encodes to zero bytes.
        response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      } else if (request.url === '/api/v1/lineage') {
        counts.lineageEvents += 1;
        response.writeHead(201).end();
      } else response.writeHead(404).end();
    });
  });
  const emf = createTcpServer((socket) => {
    socket.on('data', (chunk) => {
      counts.emfBytes += chunk.length;
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => emf.listen(0, '127.0.0.1', resolve));
  return {
    counts,
    httpUrl: `http://127.0.0.1:${(http.address() as { port: number }).port}`,
    emfUrl: `tcp://127.0.0.1:${(emf.address() as { port: number }).port}`,
    close: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      emf.close();
    },
  };
}

async function prepareData(): Promise<string> {
  const data = path.join(out, 'data');
  const have = await stat(path.join(data, '.generator.json')).then(
    () => true,
    () => false,
  );
  if (!have) {
    process.stderr.write(`generating the reference data at scale ${scale}…\n`);
    await rm(data, { recursive: true, force: true });
    await mkdir(out, { recursive: true });
    await generateData(out, { scale, slice: 0, seed: 42 });
  }
  return data;
}

/** A fresh copy of the reference project (data linked by copy once per round's folder). */
async function freshProject(name: string, data: string): Promise<string> {
  const dir = path.join(out, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const part of ['slipway.yaml', 'sources', 'models', 'lib']) {
    await cp(path.join(reference, part), path.join(dir, part), { recursive: true });
  }
  await cp(data, path.join(dir, 'data'), { recursive: true });
  return dir;
}

async function load(dir: string): Promise<Project> {
  const parser = await createDuckDbSqlParser();
  return loadProject(dir, { parser }).finally(() => parser.close());
}

type Receivers = Awaited<ReturnType<typeof startReceivers>>;

interface Timing {
  readonly wallMs: number;
  readonly cpuMs: number;
}

/** One release of the reference project to staging; its wall and CPU time (the release call only). */
async function releaseOnce(dir: string, telemetryOn: boolean, receivers: Receivers): Promise<Timing> {
  const project = await load(dir);
  const on = (part: (typeof PARTS)[number]) => telemetryOn && parts.has(part);
  const env: Record<string, string> = {};
  if (on('otlp'))
    Object.assign(env, { OTEL_EXPORTER_OTLP_ENDPOINT: receivers.httpUrl, OTEL_BSP_SCHEDULE_DELAY: '200' });
  if (on('lineage')) env['OPENLINEAGE_URL'] = receivers.httpUrl;
  if (on('emf'))
    Object.assign(env, { SLIPWAY_METRICS_EMF: receivers.emfUrl, SLIPWAY_METRICS_EMF_INTERVAL: '1' });
  const observability = telemetryOn
    ? openObservability({ operator: on('metrics') || on('emf'), env })
    : undefined;
  const logFile = on('logs') ? createWriteStream(path.join(dir, 'slipway.log')) : undefined;
  const logger = createLogger({
    level: logFile ? 'info' : 'silent',
    ...(logFile ? { destination: logFile, format: 'json' as const } : {}),
  });
  const telemetry = observability?.telemetry ?? createTelemetry();
  const warehouse = createDuckDbWarehouse(
    { path: path.join(dir, '.slipway', 'warehouse.duckdb'), threads: 2 },
    observability && on('statements') ? { observer: observability.statementObserver } : {},
  );
  await mkdir(path.join(dir, '.slipway'), { recursive: true });
  const state = openSqliteStateStore({ path: path.join(dir, '.slipway', 'state.db') });
  try {
    const began = performance.now();
    const cpu = process.cpuUsage();
    const result = await applyRelease(
      { state, warehouse, telemetry, logger },
      {
        project,
        fingerprints: fingerprintProject(project),
        environment: 'staging',
        strategy: 'blue-green',
        commit: undefined,
        actor: 'bench',
        concurrency: project.config.defaults?.concurrency ?? 1,
        gate: checkGate({ project, warehouse }),
      },
    );
    if (observability?.metrics) await observability.metrics.exposition();
    const elapsed = performance.now() - began;
    const used = process.cpuUsage(cpu);
    if (result.outcome?.release.status !== 'succeeded') throw new Error('the release did not succeed');
    if (observability) {
      await observability.flush();
      const dropped = observability.exporters().reduce((n, e) => n + e.stats.dropped, 0);
      if (dropped > 0)
        throw new Error(`${dropped} telemetry items were dropped: the receivers should take all`);
    }
    return { wallMs: elapsed, cpuMs: (used.user + used.system) / 1000 };
  } finally {
    await warehouse.close();
    await state.close();
    await observability?.shutdown();
    await new Promise<void>((resolve) => (logFile ? logFile.end(() => resolve()) : resolve()));
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function main(): Promise<void> {
  const data = await prepareData();
  const receivers = await startReceivers();
  try {
    const times = { off: [] as Timing[], on: [] as Timing[] };
    // A warm-up of each, not counted (module loading, DuckDB's first open).
    await releaseOnce(await freshProject('warmup-off', data), false, receivers);
    await releaseOnce(await freshProject('warmup-on', data), true, receivers);
    for (let i = 0; i < rounds * 2; i += 1) {
      // off, on, on, off, off, on, …: each kind as often first as second.
      const on = i % 4 === 1 || i % 4 === 2;
      const t = await releaseOnce(await freshProject(`round-${i % 4}`, data), on, receivers);
      (on ? times.on : times.off).push(t);
      process.stderr.write(
        `round ${i + 1}/${rounds * 2}: telemetry ${on ? 'on ' : 'off'} ${t.wallMs.toFixed(0)} ms wall, ${t.cpuMs.toFixed(0)} ms CPU\n`,
      );
    }
    const wall = (ts: Timing[]) => median(ts.map((t) => t.wallMs));
    const cpu = (ts: Timing[]) => median(ts.map((t) => t.cpuMs));
    const overhead = wall(times.on) / wall(times.off) - 1;
    const cpuOverhead = cpu(times.on) / cpu(times.off) - 1;
    const list = (ts: Timing[]) => ts.map((t) => t.wallMs.toFixed(0)).join(', ');
    console.log(
      `reference project release to staging (scale ${scale}, ${rounds} rounds each, interleaved; on = ${[...parts].join(', ')})`,
    );
    console.log(
      `  telemetry off: median ${wall(times.off).toFixed(0)} ms wall, ${cpu(times.off).toFixed(0)} ms CPU  [${list(times.off)}]`,
    );
    console.log(
      `  telemetry on:  median ${wall(times.on).toFixed(0)} ms wall, ${cpu(times.on).toFixed(0)} ms CPU  [${list(times.on)}]`,
    );
    console.log(
      `  received: ${receivers.counts.otlpRequests} OTLP requests, ${receivers.counts.lineageEvents} lineage events, ${receivers.counts.emfBytes} EMF bytes`,
    );
    console.log(
      `  overhead: ${(overhead * 100).toFixed(1)} % wall (target ≤ 3 %: ${overhead <= 0.03 ? 'met' : 'NOT met'}), ${(cpuOverhead * 100).toFixed(1)} % CPU`,
    );
  } finally {
    await receivers.close();
  }
}

await main();
