/**
 * Readers during releases, against a running operator (in-process runtime, real git, SQLite state,
 * the DuckDB warehouse it releases on): two readers over the PostgreSQL protocol (the `pg` driver)
 * and two over HTTP each compare, in one statement, a total that must agree across two related
 * prod views (the sum of customer_totals and grand_total, and both views' model version) while
 * ten cycles run through the operator, each a promotion of a new version and a rollback. Every
 * read must succeed and none may mix two releases; every cycle must complete. No time bounds:
 * each reader's p50/p99 latency is printed, not asserted.
 */
import pg from 'pg';
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
  TOKENS,
} from '../operator/gitops-fixture.js';

let fixture: GitOpsFixture;
let runtime: OperatorRuntime;
const timeline: TimelineEntry[] = [];
const { reached, environment } = operatorProbe(() => runtime.url, timeline);

beforeAll(async () => {
  fixture = await gitopsFixture();
  runtime = await fixture.start({ onTimeline: (e) => timeline.push(e), pgPort: 0 });
  await runtime.leader();
  await reached(await git(fixture.project.root, 'rev-parse', 'HEAD'), 'prod', ['promoted']);
}, 120_000);

afterAll(async () => {
  await fixture?.remove();
});

/** One statement, one snapshot: the parts and the whole of prod, and each view's model version. */
const CONSISTENCY_SQL = `select
  (select sum(total) from customer_totals) as parts,
  (select total from grand_total) as whole,
  (select max(version) from customer_totals) as parts_version,
  (select version from grand_total) as whole_version`;

interface ReaderStats {
  readonly name: string;
  reads: number;
  failed: number;
  mixed: number;
  readonly versions: Set<number>;
  readonly latencies: number[];
  readonly failures: string[];
}

function stats(name: string): ReaderStats {
  return { name, reads: 0, failed: 0, mixed: 0, versions: new Set(), latencies: [], failures: [] };
}

function check(reader: ReaderStats, row: Record<string, unknown> | undefined): void {
  const parts = Number(row?.['parts']);
  const whole = Number(row?.['whole']);
  const partsVersion = Number(row?.['parts_version']);
  const wholeVersion = Number(row?.['whole_version']);
  reader.reads += 1;
  reader.versions.add(wholeVersion);
  if (!(Math.abs(parts - whole) < 1e-6) || partsVersion !== wholeVersion) {
    reader.mixed += 1;
    reader.failures.push(`mixed: ${JSON.stringify(row)}`);
  }
}

async function timed(
  reader: ReaderStats,
  read: () => Promise<Record<string, unknown> | undefined>,
): Promise<void> {
  const started = performance.now();
  try {
    const row = await read();
    reader.latencies.push(performance.now() - started);
    check(reader, row);
  } catch (error) {
    reader.failed += 1;
    if (reader.failures.length < 5) reader.failures.push(String(error));
  }
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

describe('readers during releases', () => {
  it('two pg-wire and two HTTP readers: 0 failed reads, 0 mixed reads, 10 of 10 cycles', async () => {
    let running = true;
    const readers: ReaderStats[] = [];
    const loops: Promise<void>[] = [];
    for (let i = 1; i <= 2; i += 1) {
      const reader = stats(`pg-${i}`);
      readers.push(reader);
      const client = new pg.Client({
        host: '127.0.0.1',
        port: runtime.pgPort,
        user: 'analyst',
        password: TOKENS.viewer,
        database: 'prod',
      });
      await client.connect();
      loops.push(
        (async () => {
          try {
            while (running) await timed(reader, async () => (await client.query(CONSISTENCY_SQL)).rows[0]);
          } finally {
            await client.end();
          }
        })(),
      );
    }
    for (let i = 1; i <= 2; i += 1) {
      const reader = stats(`http-${i}`);
      readers.push(reader);
      loops.push(
        (async () => {
          while (running) {
            await timed(reader, async () => {
              const response = await fetch(`${runtime.url}/api/v1/query`, {
                method: 'POST',
                headers: { authorization: `Bearer ${TOKENS.viewer}`, 'content-type': 'application/json' },
                body: JSON.stringify({ env: 'prod', sql: CONSISTENCY_SQL }),
              });
              const body = (await response.json()) as { rows?: Record<string, unknown>[]; message?: string };
              if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${body.message}`);
              return body.rows?.[0];
            });
          }
        })(),
      );
    }

    let cycles = 0;
    try {
      for (let cycle = 1; cycle <= 10; cycle += 1) {
        const version = cycle + 1;
        const sha = await fixture.mergeVersion(version, 100 + cycle);
        expect(await announce(runtime.url, sha)).toBe(202);
        await reached(sha, 'prod', ['promoted']);
        const rolled = await api(runtime.url, 'POST', '/api/v1/environments/prod/rollback', {
          role: 'deployer',
          body: { reason: `cycle ${cycle}` },
        });
        expect(rolled.status, JSON.stringify(rolled.json)).toBe(200);
        expect((await environment('prod')).live?.commit.sha).not.toBe(sha);
        cycles += 1;
      }
    } finally {
      running = false;
      await Promise.all(loops);
    }

    for (const reader of readers) {
      console.log(
        `${reader.name}: ${reader.reads} reads, ${reader.failed} failed, ${reader.mixed} mixed, versions ${[
          ...reader.versions,
        ]
          .sort((a, b) => a - b)
          .join(
            ',',
          )}; p50 ${percentile(reader.latencies, 50).toFixed(1)} ms, p99 ${percentile(reader.latencies, 99).toFixed(1)} ms`,
      );
    }
    expect(cycles).toBe(10);
    for (const reader of readers) {
      expect(reader.failed, `${reader.name}: ${reader.failures.join('\n')}`).toBe(0);
      expect(reader.mixed, `${reader.name}: ${reader.failures.join('\n')}`).toBe(0);
      expect(reader.reads).toBeGreaterThan(0);
    }
    // The readers saw the releases change: more than one version across all of them.
    const seen = new Set(readers.flatMap((r) => [...r.versions]));
    expect(seen.size).toBeGreaterThan(1);
  }, 900_000);
});
