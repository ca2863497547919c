/**
 * A small release-test project: a CSV source and a chain of four models (a view, two tables, an
 * incremental table), every one carrying a `version` column, in a git repository. Changing the
 * version changes every model, so "wholly old or wholly new" is one query.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadProject } from '../../src/project/load-project.js';
import type { Project } from '../../src/project/project.js';
import type { ReleaseServices } from '../../src/release/execute-release.js';
import { openSqliteStateStore } from '../../src/state/sqlite/sqlite-state-store.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createTelemetry } from '../../src/telemetry/tracer.js';
import { createDuckDbSqlParser } from '../../src/warehouse/duckdb/duckdb-sql-parser.js';
import { createDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.js';
import { type TempProject, tempProject } from './temp-project.js';

const run = promisify(execFile);

export const RELEASE_CONFIG = `name: release-test
warehouse:
  default: local
  connections:
    local: { type: duckdb, path: .slipway/warehouse.duckdb, threads: 1 }
state: { type: sqlite, path: .slipway/state.db }
environments:
  dev: { strategy: direct }
  staging: { strategy: blue-green }
  prod: { strategy: blue-green, promote_from: staging }
defaults: { concurrency: 1 }
`;

export const ORDERS_CSV = `order_id,customer_id,amount,event_ts
1,10,5.00,2026-01-01 10:00:00
2,10,7.50,2026-01-01 11:00:00
3,20,3.25,2026-01-02 09:30:00
4,30,12.00,2026-01-03 14:00:00
`;

/** The model files of version `v` (an integer). */
export function releaseModels(v: number): Record<string, string> {
  return {
    'models/stg_orders.sql': `select order_id, customer_id, (amount * ${v})::DECIMAL(10, 2) as amount, event_ts::TIMESTAMP as event_ts, ${v} as version from orders\n`,
    'models/customer_totals.sql': `/* @slipway\nkind: table\n*/\nselect customer_id, sum(amount) as total, count(*) as orders, max(version) as version from stg_orders group by customer_id\n`,
    'models/grand_total.sql': `/* @slipway\nkind: table\n*/\nselect sum(total) as total, max(version) as version from customer_totals\n`,
    'models/fct_orders.sql': `/* @slipway\nkind: incremental\ntime_column: event_ts\nunique_key: order_id\nlookback: 1d\n*/\nselect order_id, customer_id, amount, event_ts, version from stg_orders\n`,
  };
}

export async function git(root: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(
    'git',
    ['-c', 'user.name=Tess Ter', '-c', 'user.email=tess@example.com', ...args],
    {
      cwd: root,
    },
  );
  return stdout.trim();
}

export async function commitAll(root: string, message: string): Promise<string> {
  await git(root, 'add', '-A');
  await git(root, 'commit', '-q', '-m', message);
  return git(root, 'rev-parse', 'HEAD');
}

export async function releaseProject(version = 1): Promise<TempProject> {
  const project = await tempProject({
    'slipway.yaml': RELEASE_CONFIG,
    'sources/orders.yml': 'sources:\n  - name: orders\n    files: data/orders.csv\n',
    'data/orders.csv': ORDERS_CSV,
    '.gitignore': '.slipway/\ndata/\n',
    ...releaseModels(version),
  });
  await git(project.root, 'init', '-q', '-b', 'main');
  await commitAll(project.root, `version ${version}`);
  return project;
}

export async function writeVersion(project: TempProject, version: number): Promise<void> {
  for (const [file, text] of Object.entries(releaseModels(version))) await project.write(file, text);
}

/** Library-level release services on a project's own files (one process: the DuckDB writer). */
export function releaseServices(
  root: string,
  { poolSize = 4 }: { readonly poolSize?: number } = {},
): ReleaseServices {
  return {
    state: openSqliteStateStore({ path: path.join(root, '.slipway', 'state.db') }),
    warehouse: createDuckDbWarehouse({
      path: path.join(root, '.slipway', 'warehouse.duckdb'),
      threads: 1,
      poolSize,
    }),
    telemetry: createTelemetry(),
    logger: createLogger({ level: 'silent' }),
  };
}

export async function closeServices(services: ReleaseServices | undefined): Promise<void> {
  await services?.warehouse.close();
  await services?.state.close();
}

/** Loads the project in `root` with DuckDB's parser. */
export async function loadAt(root: string): Promise<Project> {
  const parser = await createDuckDbSqlParser();
  return loadProject(root, { parser }).finally(() => parser.close());
}
