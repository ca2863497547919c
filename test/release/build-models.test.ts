/**
 * `slipway build`'s library call against a real DuckDB and SQLite: physical tables, the
 * environment switch, one span per model — and the build recorded as a direct release.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlParser } from '../../src/core/sql-parser.js';
import { fingerprintProject } from '../../src/project/fingerprint.js';
import { loadProject } from '../../src/project/load-project.js';
import { buildRelease } from '../../src/release/build-release.js';
import { openSqliteStateStore } from '../../src/state/sqlite/sqlite-state-store.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createTelemetry } from '../../src/telemetry/tracer.js';
import { createDuckDbSqlParser } from '../../src/warehouse/duckdb/duckdb-sql-parser.js';
import { createDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.js';
import { MINIMAL_CONFIG, type TempProject, tempProject } from '../helpers/temp-project.js';

let parser: SqlParser;
let project: TempProject;

beforeAll(async () => {
  parser = await createDuckDbSqlParser();
  project = await tempProject({
    'slipway.yaml': MINIMAL_CONFIG,
    'sources/raw.yml': 'sources:\n  - name: events\n    files: data/events.csv\n',
    'data/events.csv': 'id,amount\n1,10\n2,20\n3,30\n',
    'models/stg_events.sql': 'select id, amount from events',
    'models/big.sql': '/* @slipway\nkind: table\n*/\nselect * from stg_events where amount > 15',
    'models/total.sql': '/* @slipway\nkind: table\n*/\nselect sum(amount) as total from big',
  });
  await mkdir(path.join(project.root, '.slipway'), { recursive: true });
});

afterAll(async () => {
  await parser.close();
  await project.remove();
});

describe('buildRelease', () => {
  it('builds physical versions, switches the environment and traces one span per model', async () => {
    const loaded = await loadProject(project.root, { parser });
    const warehouse = createDuckDbWarehouse({ path: ':memory:' });
    const exporter = new InMemorySpanExporter();
    const telemetry = createTelemetry({ processors: [new SimpleSpanProcessor(exporter)] });
    const fingerprints = fingerprintProject(loaded);
    const state = openSqliteStateStore({ path: ':memory:' });
    try {
      const summary = await buildRelease(
        { state, warehouse, telemetry, logger: createLogger({ level: 'silent' }) },
        {
          project: loaded,
          environment: 'dev',
          selected: ['stg_events', 'big', 'total'],
          fingerprints,
          commit: undefined,
          actor: 'tester',
          concurrency: 2,
        },
      );
      expect(summary.switched).toBe(true);
      expect(summary.results.map((r) => [r.name, r.status, r.rows])).toEqual([
        ['stg_events', 'built', undefined],
        ['big', 'built', 2],
        ['total', 'built', 1],
      ]);
      const total = await warehouse.query('select total from "dev"."total"');
      expect(Number(total.rows[0]?.['total'])).toBe(50);
      const physical = await warehouse.listRelations('slipway_physical');
      expect(physical.map((r) => r.name).sort()).toEqual(
        [
          `big__${fingerprints.get('big')}`,
          `stg_events__${fingerprints.get('stg_events')}`,
          `total__${fingerprints.get('total')}`,
        ].sort(),
      );

      const spans = exporter.getFinishedSpans();
      // The build is a release now: its root span is the release's.
      const root = spans.find((s) => s.name === 'release dev');
      const models = spans.filter((s) => s.name.startsWith('model '));
      expect(models.map((s) => s.name).sort()).toEqual(['model big', 'model stg_events', 'model total']);
      for (const span of models) {
        expect(span.spanContext().traceId).toBe(root?.spanContext().traceId);
        expect(span.parentSpanContext?.spanId).toBe(root?.spanContext().spanId);
      }
      expect(models.find((s) => s.name === 'model big')?.attributes['slipway.rows']).toBe(2);

      const [release] = await state.listReleases({ environment: 'dev' });
      expect(release).toMatchObject({
        id: summary.release?.id,
        kind: 'build',
        strategy: 'direct',
        status: 'succeeded',
      });
      expect((await state.getPointer('dev'))?.releaseId).toBe(release?.id);
    } finally {
      await state.close();
      await warehouse.close();
      await telemetry.shutdown();
    }
  });
});
