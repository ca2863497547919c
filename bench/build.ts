/**
 * bench/build: builds the JKL reference project at scale 1 and 10 and compares Slipway with the
 * same compiled SQL statements run directly on DuckDB, side by side in one run, on fresh database
 * files each time. Prints rows/s and the overhead ratio (target ≤ 1.10 at scale 10).
 *
 *   npx tsx bench/build.ts            # scales 1 and 10
 *   npx tsx bench/build.ts 0.1 1      # other scales
 */
import { cp, mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateData } from '../src/cli/commands/generate-action.js';
import { selectModels } from '../src/project/dependency-graph.js';
import { fingerprintProject } from '../src/project/fingerprint.js';
import { loadProject } from '../src/project/load-project.js';
import { buildRelease } from '../src/release/build-release.js';
import { openSqliteStateStore } from '../src/state/sqlite/sqlite-state-store.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createTelemetry } from '../src/telemetry/tracer.js';
import { createDuckDbSqlParser } from '../src/warehouse/duckdb/duckdb-sql-parser.js';
import { createDuckDbWarehouse } from '../src/warehouse/duckdb/duckdb-warehouse.js';
import type { RelationRef, Warehouse } from '../src/warehouse/warehouse.js';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'bench', '.out');
const scales = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
const SCALES = scales.length > 0 ? scales : [1, 10];

/** Records the DDL a Slipway build sends, so the baseline runs exactly the same statements. */
function recording(warehouse: Warehouse, statements: string[]): Warehouse {
  const q = (ref: RelationRef): string => warehouse.quoteRelation(ref);
  return new Proxy(warehouse, {
    get(target, prop, receiver) {
      if (prop === 'createSchema') {
        return async (schema: string) => {
          statements.push(`CREATE SCHEMA IF NOT EXISTS ${target.quoteIdentifier(schema)}`);
          return target.createSchema(schema);
        };
      }
      if (prop === 'createView') {
        return async (ref: RelationRef, sql: string) => {
          statements.push(`CREATE OR REPLACE VIEW ${q(ref)} AS ${sql}`);
          return target.createView(ref, sql);
        };
      }
      if (prop === 'createTableAs') {
        return async (ref: RelationRef, sql: string, options?: Parameters<Warehouse['createTableAs']>[2]) => {
          statements.push(`CREATE OR REPLACE TABLE ${q(ref)} AS ${sql}`);
          return target.createTableAs(ref, sql, options);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function prepare(scale: number): Promise<{ project: string; transactions: number }> {
  const project = path.join(out, `jkl-scale-${scale}`);
  const marker = path.join(project, 'data', '.generator.json');
  const exists = await stat(marker).then(
    () => true,
    () => false,
  );
  // The project files are copied afresh each run (so the bench measures the reference project as
  // it is now); the generated data is kept between runs.
  await cp(path.join(root, 'examples', 'jkl-fraud'), project, {
    recursive: true,
    force: true,
    filter: (src) => !src.includes(`${path.sep}data`) && !src.includes('.slipway'),
  });
  if (!exists) {
    process.stdout.write(`  generating scale ${scale}… `);
    const generated = await generateData(project, { scale, slice: 0, seed: 42, historyStart: '2026-01-01' });
    process.stdout.write(
      `${generated.transactions.toLocaleString('en-US')} transactions in ${(generated.durationMs / 1000).toFixed(1)}s\n`,
    );
  }
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const glob = path.join(project, 'data', 'card_transactions', '*.parquet').replaceAll("'", "''");
  const count = Number(
    (await connection.runAndReadAll(`select count(*) from read_parquet('${glob}')`)).getRows()[0]?.[0],
  );
  connection.closeSync();
  instance.closeSync();
  return { project, transactions: count };
}

async function slipwayBuild(projectDir: string, dbFile: string, statements: string[]): Promise<number> {
  await rm(dbFile, { force: true });
  const began = performance.now();
  const parser = await createDuckDbSqlParser();
  const project = await loadProject(projectDir, { parser });
  await parser.close();
  const warehouse = createDuckDbWarehouse({ path: dbFile });
  const telemetry = createTelemetry();
  // `slipway build` is a release: it records itself in a state store (in memory here).
  const state = openSqliteStateStore({ path: ':memory:' });
  try {
    const summary = await buildRelease(
      {
        state,
        warehouse: recording(warehouse, statements),
        telemetry,
        logger: createLogger({ level: 'silent' }),
      },
      {
        project,
        environment: 'dev',
        selected: selectModels(project, []),
        fingerprints: fingerprintProject(project),
        commit: undefined,
        actor: 'bench',
        concurrency: Number(process.env['BENCH_CONCURRENCY'] ?? project.config.defaults?.concurrency ?? 4),
      },
    );
    if (!summary.switched) throw new Error('the Slipway build failed');
  } finally {
    await state.close();
    await warehouse.close();
    await telemetry.shutdown();
  }
  return performance.now() - began;
}

async function directBuild(dbFile: string, statements: readonly string[]): Promise<number> {
  await rm(dbFile, { force: true });
  const began = performance.now();
  const instance = await DuckDBInstance.create(dbFile);
  const connection = await instance.connect();
  for (const sql of statements) await connection.run(sql);
  connection.closeSync();
  instance.closeSync();
  return performance.now() - began;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

await mkdir(out, { recursive: true });
console.log('bench/build — the JKL reference project, Slipway vs the same SQL run directly on DuckDB');
const rows: string[][] = [];
for (const scale of SCALES) {
  const { project, transactions } = await prepare(scale);
  const repeats = Number(process.env['BENCH_REPEATS'] ?? (scale >= 10 ? 2 : 3));
  const slipway: number[] = [];
  const direct: number[] = [];
  // The first Slipway build records the statements; the same project compiles to the same
  // statements every time, so later runs reuse them and alternate which side goes first.
  const statements: string[] = [];
  for (let i = 0; i < repeats; i++) {
    if (i % 2 === 0) {
      slipway.push(await slipwayBuild(project, path.join(out, 'slipway.duckdb'), i === 0 ? statements : []));
      direct.push(await directBuild(path.join(out, 'direct.duckdb'), statements));
    } else {
      direct.push(await directBuild(path.join(out, 'direct.duckdb'), statements));
      slipway.push(await slipwayBuild(project, path.join(out, 'slipway.duckdb'), []));
    }
    console.log(
      `  scale ${scale} run ${i + 1}: slipway ${((slipway.at(-1) ?? 0) / 1000).toFixed(2)}s, direct ${((direct.at(-1) ?? 0) / 1000).toFixed(2)}s`,
    );
  }
  const s = median(slipway);
  const d = median(direct);
  // Each run pairs a Slipway build with a direct one measured right next to it; the median of
  // those paired ratios is robust to load that drifts over the whole run.
  const ratio = median(slipway.map((x, i) => x / (direct[i] ?? x)));
  rows.push([
    String(scale),
    transactions.toLocaleString('en-US'),
    `${(s / 1000).toFixed(2)}s`,
    `${(d / 1000).toFixed(2)}s`,
    `${Math.round(transactions / (s / 1000)).toLocaleString('en-US')}`,
    ratio.toFixed(3),
  ]);
}
await rm(path.join(out, 'slipway.duckdb'), { force: true });
await rm(path.join(out, 'direct.duckdb'), { force: true });
await rm(path.join(out, 'capture.duckdb'), { force: true });
console.log(
  '\n| scale | transactions | slipway build | same SQL on DuckDB | rows/s (slipway) | overhead ratio |',
);
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(
  '\noverhead ratio = median over runs of Slipway (load + parse + build + row counts + switch) / the same statements run directly next to it; target ≤ 1.10 at scale 10',
);
