/**
 * The operator's traces and lineage, end to end: a real repository, the operator in-process, and
 * stand-in receivers (telemetry-receivers.ts: an OTLP/HTTP collector decoding the protobuf with
 * the official definitions, and an OpenLineage endpoint as Marquez serves it). A release is a
 * root span with its model builds, gate, switch and warehouse statements as children (db.* with
 * no literals, cicd.*); the release record carries the
 * trace id; `/api/v1/traces` shows it; OpenLineage events are START then COMPLETE per model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorRuntime } from '../../src/cli/operator-runtime.js';
import type { TimelineEntry } from '../../src/operator/reconciler.js';
import { git } from '../helpers/release-project.js';
import {
  api,
  eventually,
  type GitOpsFixture,
  gitopsFixture,
  operatorProbe,
} from '../operator/gitops-fixture.js';
import { type DecodedSpan, type Receivers, startReceivers } from './telemetry-receivers.js';

let fixture: GitOpsFixture;
let runtime: OperatorRuntime;
let receivers: Receivers;
const timeline: TimelineEntry[] = [];
const { reached } = operatorProbe(() => runtime.url, timeline);

beforeAll(async () => {
  receivers = await startReceivers();
  fixture = await gitopsFixture();
  runtime = await fixture.start({
    onTimeline: (e) => timeline.push(e),
    telemetryEnv: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receivers.url,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=jkl',
      OTEL_SERVICE_NAME: 'slipway-under-test',
      OTEL_BSP_SCHEDULE_DELAY: '50',
      OPENLINEAGE_URL: receivers.url,
      OPENLINEAGE_NAMESPACE: 'jkl',
    },
  });
  await runtime.leader();
  const sha = await git(fixture.project.root, 'rev-parse', 'HEAD');
  await reached(sha, 'prod', ['promoted']);
  await runtime.observability.flush();
});

afterAll(async () => {
  await fixture?.remove();
  await receivers?.close();
});

const childrenOf = (parent: DecodedSpan): DecodedSpan[] =>
  receivers.spans.filter((s) => s.traceId === parent.traceId && s.parentSpanId === parent.spanId);

describe('traces over OTLP/HTTP protobuf', () => {
  it('a release is a root span with its builds, gate, switch and statements below it', async () => {
    const release = receivers.spans.find((s) => s.name === 'release staging');
    expect(release, receivers.spans.map((s) => s.name).join(', ')).toBeDefined();
    if (!release) return;
    expect(release.parentSpanId).toBe('');
    expect(release.resource['service.name']).toBe('slipway-under-test');
    expect(release.attributes).toMatchObject({
      'slipway.span': 'release',
      'slipway.environment': 'staging',
      'slipway.strategy': 'blue-green',
      'cicd.pipeline.name': 'release staging',
      'cicd.pipeline.result': 'success',
    });
    expect(release.attributes['cicd.pipeline.run.id']).toMatch(/^r-[0-9a-f]{8}$/);
    const children = childrenOf(release).map((s) => s.name);
    expect(children).toEqual(
      expect.arrayContaining(['model stg_orders', 'model customer_totals', 'gate staging', 'switch staging']),
    );
    const model = receivers.spans.find(
      (s) => s.name === 'model customer_totals' && s.traceId === release.traceId,
    );
    expect(model?.attributes).toMatchObject({ 'cicd.pipeline.task.type': 'build', 'slipway.rows': 2 });
    const statements = receivers.spans.filter(
      (s) => s.traceId === release.traceId && s.attributes['db.system.name'],
    );
    expect(statements.length).toBeGreaterThan(3);
    for (const s of statements) expect(s.attributes['db.system.name']).toBe('duckdb');
    const create = statements.find(
      (s) => s.attributes['db.operation.name'] === 'CREATE TABLE' && s.parentSpanId === model?.spanId,
    );
    expect(create?.attributes['db.collection.name']).toMatch(/^customer_totals__/);
    // stg_orders multiplies by the literal 1 ("amount * 1"): no statement text keeps a literal.
    const texts = statements.map((s) => String(s.attributes['db.query.text'] ?? ''));
    expect(texts.some((t) => t.includes('amount * ?'))).toBe(true);
    expect(texts.some((t) => /amount \* 1\b/.test(t))).toBe(false);
  });

  it('the release record carries its trace id, and the API shows the trace', async () => {
    const [record] = await runtime.state.listReleases({ environment: 'staging', limit: 1 });
    const span = receivers.spans.find((s) => s.name === 'release staging');
    expect(record?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(record?.traceId).toBe(span?.traceId);
    const { status, json } = await api(runtime.url, 'GET', `/api/v1/traces?traceId=${record?.traceId}`, {
      role: 'viewer',
    });
    expect(status).toBe(200);
    const [trace] = json['traces'] as { name: string; spans: { name: string }[] }[];
    expect(trace?.name).toBe('release staging');
    expect(trace?.spans.map((s) => s.name)).toContain('switch staging');
    expect((await api(runtime.url, 'GET', '/api/v1/traces')).status).toBe(401);
  });
});

describe('OpenLineage run events', () => {
  it('START then COMPLETE per model build, with the spec fields and facets', async () => {
    await eventually('lineage events', () => receivers.lineage.length >= 6);
    const events = receivers.lineage;
    for (const e of events) {
      // RunEvent's required fields (OpenLineage 2-0-2).
      expect(e).toMatchObject({
        eventTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        producer: expect.stringMatching(/^https:\/\//),
        schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
        eventType: expect.stringMatching(/^(START|COMPLETE|FAIL)$/),
        run: { runId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
        job: { namespace: 'jkl', name: expect.any(String) },
      });
    }
    const forJob = events.filter((e) => (e['job'] as { name: string }).name === 'customer_totals');
    const [start, complete] = forJob;
    if (!start || !complete)
      throw new Error(`no START and COMPLETE for customer_totals: ${forJob.length} events`);
    expect(start['eventType']).toBe('START');
    expect(complete['eventType']).toBe('COMPLETE');
    expect((complete['run'] as { runId: string }).runId).toBe((start['run'] as { runId: string }).runId);
    const [input] = complete['inputs'] as { name: string; namespace: string }[];
    expect(input?.name).toMatch(/^slipway_physical\.stg_orders__/);
    const [output] = complete['outputs'] as {
      name: string;
      facets: Record<string, { _producer: string; _schemaURL: string; fields?: unknown }>;
      outputFacets: Record<string, { rowCount?: number; _schemaURL: string }>;
    }[];
    expect(output?.name).toMatch(/^slipway_physical\.customer_totals__/);
    expect(output?.facets['schema']?._schemaURL).toMatch(
      /SchemaDatasetFacet\.json#\/\$defs\/SchemaDatasetFacet$/,
    );
    expect(output?.facets['schema']?.fields).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'total' })]),
    );
    expect(output?.outputFacets['outputStatistics']?.rowCount).toBe(2);
    const jobFacets = (complete['job'] as { facets: Record<string, { query?: string }> }).facets;
    expect(jobFacets['sql']?.query).toMatch(/sum\(amount\)/);
  });
});
