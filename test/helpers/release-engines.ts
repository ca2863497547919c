/**
 * The release tests' engines: the same small release project (`release-project.ts`) on DuckDB
 * (files in the project folder) or on PostgreSQL (a fresh database per project, its source loaded
 * into `raw.orders`, warehouse and state both reading the URL from one variable), and what a test
 * needs to look inside either: a reader, the state store, library-level release services, and a
 * copy of a project with its own database (the crash test copies one per step).
 */
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { ReleaseServices } from '../../src/release/execute-release.js';
import { openPostgresStateStore } from '../../src/state/postgres/postgres-state-store.js';
import { openSqliteStateStore } from '../../src/state/sqlite/sqlite-state-store.js';
import type { StateStore } from '../../src/state/state-store.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { createTelemetry } from '../../src/telemetry/tracer.js';
import { createDuckDbWarehouse } from '../../src/warehouse/duckdb/duckdb-warehouse.js';
import { createPostgresWarehouse } from '../../src/warehouse/postgres/postgres-warehouse.js';
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { freshDatabase, type TestDatabase } from './postgres.js';
import { commitAll, git, RELEASE_CONFIG, releaseModels, releaseProject } from './release-project.js';
import { type TempProject, tempProject } from './temp-project.js';

export type ReleaseEngine = 'duckdb' | 'postgres';
export const RELEASE_ENGINES: readonly ReleaseEngine[] = ['duckdb', 'postgres'];

/** The variable a PostgreSQL release project reads its URL from. */
export const URL_VARIABLE = 'SLIPWAY_TEST_WAREHOUSE_URL';

export interface EngineProject extends TempProject {
  readonly engine: ReleaseEngine;
  /** What a CLI run needs in its environment (the URL variable, on PostgreSQL). */
  readonly env: NodeJS.ProcessEnv;
  /** The project's database, on PostgreSQL. */
  readonly url: string | undefined;
}

export const POSTGRES_RELEASE_CONFIG = RELEASE_CONFIG.replace(
  'local: { type: duckdb, path: .slipway/warehouse.duckdb, threads: 1 }',
  `local: { type: postgres, url_env: ${URL_VARIABLE} }`,
).replace(
  'state: { type: sqlite, path: .slipway/state.db }',
  `state: { type: postgres, url_env: ${URL_VARIABLE} }`,
);

const ORDERS_TABLE = `create schema raw;
create table raw.orders (order_id bigint, customer_id bigint, amount numeric(10, 2), event_ts timestamp);
insert into raw.orders values
  (1, 10, 5.00, '2026-01-01 10:00:00'), (2, 10, 7.50, '2026-01-01 11:00:00'),
  (3, 20, 3.25, '2026-01-02 09:30:00'), (4, 30, 12.00, '2026-01-03 14:00:00');`;

/** The release project of `version` on `engine`, committed in a git repository. */
export async function engineReleaseProject(engine: ReleaseEngine, version = 1): Promise<EngineProject> {
  if (engine === 'duckdb') {
    const project = await releaseProject(version);
    return { ...project, engine, env: {}, url: undefined };
  }
  const db = await freshDatabase('slipway_release');
  await onDatabase(db.url, ORDERS_TABLE);
  const project = await tempProject({
    'slipway.yaml': POSTGRES_RELEASE_CONFIG,
    'sources/orders.yml': 'sources:\n  - name: orders\n    table: raw.orders\n',
    '.gitignore': '.slipway/\n',
    ...releaseModels(version),
  });
  await git(project.root, 'init', '-q', '-b', 'main');
  await commitAll(project.root, `version ${version}`);
  return onOwnDatabase(project, db);
}

function onOwnDatabase(project: TempProject, db: TestDatabase): EngineProject {
  return {
    ...project,
    engine: 'postgres',
    env: { [URL_VARIABLE]: db.url },
    url: db.url,
    remove: async () => {
      await project.remove();
      await db.drop();
    },
  };
}

/**
 * A copy of `project` in `dir`; on PostgreSQL with a copy of its database (`CREATE DATABASE …
 * TEMPLATE`, which needs nobody connected to the original: no command may be running).
 */
export async function copyEngineProject(project: EngineProject, dir: string): Promise<EngineProject> {
  await cp(project.root, dir, { recursive: true });
  const copy = tempProjectAt(dir);
  if (project.engine === 'duckdb' || project.url === undefined)
    return { ...copy, engine: 'duckdb', env: {}, url: undefined };
  const source = new URL(project.url).pathname.slice(1);
  const db = await freshDatabase('slipway_copy', source);
  return onOwnDatabase(copy, db);
}

function tempProjectAt(root: string): TempProject {
  return {
    root,
    write: async (file, text) => {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await writeFile(path.join(root, file), text);
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** Runs SQL on a database (test setup only). */
export async function onDatabase(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A warehouse to read the project's environments with (read-only on DuckDB); the caller closes it. */
export function openReader(project: Pick<EngineProject, 'engine' | 'root' | 'url'>): Warehouse {
  return project.engine === 'postgres' && project.url
    ? createPostgresWarehouse({ url: project.url, poolSize: 1 })
    : createDuckDbWarehouse({
        path: path.join(project.root, '.slipway', 'warehouse.duckdb'),
        readOnly: true,
      });
}

/** The project's state store; the caller closes it. */
export async function openProjectState(
  project: Pick<EngineProject, 'engine' | 'root' | 'url'>,
): Promise<StateStore> {
  return project.engine === 'postgres' && project.url
    ? openPostgresStateStore({ url: project.url })
    : openSqliteStateStore({ path: path.join(project.root, '.slipway', 'state.db') });
}

/** Library-level release services on the project's own warehouse and state. */
export async function engineServices(
  project: EngineProject,
  { poolSize = 4 }: { readonly poolSize?: number } = {},
): Promise<ReleaseServices> {
  const warehouse =
    project.engine === 'postgres' && project.url
      ? createPostgresWarehouse({ url: project.url, poolSize })
      : createDuckDbWarehouse({
          path: path.join(project.root, '.slipway', 'warehouse.duckdb'),
          threads: 1,
          poolSize,
        });
  return {
    state: await openProjectState(project),
    warehouse,
    telemetry: createTelemetry(),
    logger: createLogger({ level: 'silent' }),
  };
}
