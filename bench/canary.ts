/**
 * bench/canary: what the canary's 5 % step costs on the JKL reference project, as a ratio of a
 * full build of the project measured side by side in the same run (target ≤ 0.15 at scale 1).
 *
 * One run: a blue-green release of the whole project to a fresh environment (the full build),
 * then two canary releases of a change to `fraud_alerts` with steps [5, 100]: a planted
 * regression (a filter dropping the least common merchant category group), which the 5 % step
 * must stop, and a refactor with identical output, which promotes. The 5 % step's build and
 * analysis times come from its `release.canary_step` event.
 *
 *   npx tsx bench/canary.ts          # scale 1
 *   npx tsx bench/canary.ts 0.2      # another scale
 */
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateData } from '../src/cli/commands/generate-action.js';
import { fingerprintProject } from '../src/project/fingerprint.js';
import { loadProject } from '../src/project/load-project.js';
import type { Project } from '../src/project/project.js';
import { applyRelease } from '../src/release/apply-release.js';
import type { ReleaseServices } from '../src/release/execute-release.js';
import { openSqliteStateStore } from '../src/state/sqlite/sqlite-state-store.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createTelemetry } from '../src/telemetry/tracer.js';
import { createDuckDbSqlParser } from '../src/warehouse/duckdb/duckdb-sql-parser.js';
import { createDuckDbWarehouse } from '../src/warehouse/duckdb/duckdb-warehouse.js';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'bench', '.out');
const scale = Number(process.argv[2] ?? 1);
const ENV = 'bench';

async function prepare(): Promise<string> {
  const project = path.join(out, `jkl-canary-scale-${scale}`);
  const generated = await stat(path.join(project, 'data', '.generator.json')).then(
    () => true,
    () => false,
  );
  await cp(path.join(root, 'examples', 'jkl-fraud'), project, {
    recursive: true,
    force: true,
    filter: (src) => !src.includes(`${path.sep}data`) && !src.includes('.slipway'),
  });
  if (!generated) {
    process.stdout.write(`  generating scale ${scale}… `);
    const g = await generateData(project, { scale, slice: 0, seed: 42, historyStart: '2026-01-01' });
    process.stdout.write(`${g.transactions.toLocaleString('en-US')} transactions\n`);
  }
  // One environment of the bench's own, released with the canary.
  const config = path.join(project, 'slipway.yaml');
  const text = await readFile(config, 'utf8');
  await writeFile(
    config,
    text.replace(
      'environments:\n',
      `environments:\n  ${ENV}: { strategy: canary, canary: { key: customer_id, steps: [5, 100] } }\n`,
    ),
  );
  return project;
}

async function load(dir: string): Promise<Project> {
  const parser = await createDuckDbSqlParser();
  try {
    return await loadProject(dir, { parser });
  } finally {
    await parser.close();
  }
}

async function release(services: ReleaseServices, dir: string, strategy: 'blue-green' | 'canary') {
  const project = await load(dir);
  return applyRelease(services, {
    project,
    fingerprints: fingerprintProject(project),
    environment: ENV,
    strategy,
    commit: undefined,
    actor: 'bench',
    concurrency: project.config.defaults?.concurrency ?? 1,
  });
}

/** The 5 % step of the newest canary release: build and analysis time (ms) and its verdict. */
async function fivePercentStep(services: ReleaseServices) {
  const events = await services.state.listEvents({ environment: ENV });
  const step = events.filter((e) => e.type === 'release.canary_step').at(-1);
  const data = step?.data as {
    percent: number;
    verdict: string;
    buildMs: number;
    analysisMs: number;
    failed: { metric: string }[];
  };
  return data;
}

await mkdir(out, { recursive: true });
console.log(
  `bench/canary — the JKL reference project at scale ${scale}: the canary's 5% step against a full build`,
);
const dir = await prepare();
const dbFile = path.join(out, 'canary.duckdb');
await rm(dbFile, { force: true });
const services: ReleaseServices = {
  state: openSqliteStateStore({ path: ':memory:' }),
  warehouse: createDuckDbWarehouse({ path: dbFile }),
  telemetry: createTelemetry(),
  logger: createLogger({ level: 'silent' }),
};
const alertsFile = path.join(dir, 'models', 'marts', 'fraud_alerts.sql');
const alerts = await readFile(alertsFile, 'utf8');
try {
  const full = await release(services, dir, 'blue-green');
  const fullMs = full.outcome?.timings.buildMs ?? Number.NaN;
  console.log(`  full build (blue-green, ${full.plan.build.length} models): ${(fullMs / 1000).toFixed(2)} s`);

  const { rows } = await services.warehouse.query(
    `select mcc_group, count(distinct customer_id) as customers from "${ENV}"."int_transactions_enriched" group by 1 order by 2 limit 1`,
  );
  const group = String(rows[0]?.['mcc_group']);
  const [{ total = 1 } = {}] = (
    await services.warehouse.query(
      `select count(distinct customer_id) as total from "${ENV}"."int_transactions_enriched"`,
    )
  ).rows as { total?: number }[];
  const share = Number(rows[0]?.['customers']) / Number(total);

  await writeFile(
    alertsFile,
    alerts.replace(
      '  from int_transactions_enriched\n',
      `  from int_transactions_enriched\n  where mcc_group <> '${group}'\n`,
    ),
  );
  const planted = await release(services, dir, 'canary').then(
    () => 'promoted (missed)',
    (error: Error) => error.message.slice(0, 140),
  );
  const regression = await fivePercentStep(services);
  console.log(
    `  regression (drops mcc_group '${group}', ${(share * 100).toFixed(1)}% of customers): ${planted}`,
  );

  await writeFile(alertsFile, alerts.replaceAll('scored', 'scored_hits'));
  const refactor = await release(services, dir, 'canary');
  const benign = await fivePercentStep(services);
  const refactorTotal = refactor.outcome?.timings.buildMs ?? Number.NaN;
  const fullOfRelease = refactorTotal - benign.buildMs - benign.analysisMs;
  console.log(`  refactor with identical output: ${refactor.outcome?.release.status ?? 'no release'}`);

  const table = [
    ['case', '5% build', '5% analysis', 'ratio to a full build'],
    ...[
      ['regression', regression],
      ['refactor', benign],
    ].map(([name, d]) => {
      const s = d as typeof benign;
      return [
        name as string,
        `${(s.buildMs / 1000).toFixed(2)} s`,
        `${(s.analysisMs / 1000).toFixed(2)} s`,
        ((s.buildMs + s.analysisMs) / fullMs).toFixed(3),
      ];
    }),
  ];
  for (const row of table) console.log(`  ${row.map((c, i) => c.padEnd(i === 0 ? 12 : 14)).join('')}`);
  console.log(
    `  (the refactor's own 100% build of the changed models took ${(fullOfRelease / 1000).toFixed(2)} s; target ratio ≤ 0.15)`,
  );
} finally {
  await writeFile(alertsFile, alerts);
  await services.warehouse.close();
  await services.state.close();
  await services.telemetry.shutdown();
}
