/**
 * Opening the warehouse a project's configuration names: a registry from a connection's `type` to
 * that engine's entry — the capabilities it declares (read without connecting, so `validate` can
 * refuse what an engine cannot do) and the opener of its adapter. The composition root is the one
 * place that imports concrete adapters; a new engine is one more entry in `ENGINES` (and its
 * connection schema in the config). Credentials come from the environment only: a PostgreSQL
 * connection names the variable that holds its URL, and no message repeats the URL's password.
 */
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '../core/errors.js';
import type { ProjectConfig } from '../project/schemas.js';
import type { StatementObserver } from '../warehouse/statement-observer.js';
import type { Warehouse, WarehouseCapabilities } from '../warehouse/warehouse.js';

export type Connection = ProjectConfig['warehouse']['connections'][string];

export interface OpenWarehouseOptions {
  /** The environment whose warehouse to open (its `warehouse:`), else the default connection. */
  readonly environment?: string;
  /** Open read-only: the engine itself refuses writes. */
  readonly readOnly?: boolean;
  /** Where relative paths resolve: the project folder (not a checked-out commit's copy). */
  readonly root?: string;
  /**
   * A read-only open of a warehouse that was never created (nothing built yet): refuse with a
   * hint (default), or open an empty warehouse, so a plan shows that everything is to be built.
   */
  readonly whenMissing?: 'refuse' | 'empty';
  /** Where environment variables come from (a PostgreSQL URL). Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Sees every statement (tracing: src/telemetry/tracing/statement-spans.ts). */
  readonly observer?: StatementObserver;
}

interface OpenRequest<C extends Connection> {
  readonly connection: C;
  readonly root: string;
  readonly readOnly: boolean;
  readonly whenMissing: 'refuse' | 'empty';
  /** The connection's name in slipway.yaml, for messages. */
  readonly name: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly runtime: { readonly observer?: StatementObserver };
}

type Opener<C extends Connection> = (request: OpenRequest<C>) => Promise<Warehouse>;

/** What a project may ask of an engine, known before any connection is opened. */
export type StaticCapabilities = Pick<WarehouseCapabilities, 'readsLocalFiles'>;

interface Engine<C extends Connection> {
  /** The same values the opened adapter reports (a test holds each entry to it). */
  readonly capabilities: StaticCapabilities;
  readonly open: Opener<C>;
}

/** One entry per engine this build can open, keyed by the connection's `type`. */
const ENGINES: { readonly [T in Connection['type']]: Engine<Extract<Connection, { type: T }>> } = {
  duckdb: { capabilities: { readsLocalFiles: true }, open: openDuckDb },
  postgres: { capabilities: { readsLocalFiles: false }, open: openPostgres },
};

async function openDuckDb({
  connection,
  root,
  readOnly,
  whenMissing,
  runtime,
}: OpenRequest<Extract<Connection, { type: 'duckdb' }>>): Promise<Warehouse> {
  // Each engine's adapter (and its driver) is loaded only when a warehouse of it is opened.
  const { createDuckDbWarehouse } = await import('../warehouse/duckdb/duckdb-warehouse.js');
  if (connection.path === ':memory:') {
    return createDuckDbWarehouse({ path: ':memory:', threads: connection.threads, readOnly }, runtime);
  }
  const file = path.resolve(root, connection.path);
  if (!readOnly) {
    await mkdir(path.dirname(file), { recursive: true });
  } else if (!(await exists(file))) {
    if (whenMissing === 'empty') return createDuckDbWarehouse({ path: ':memory:' }, runtime);
    throw new InvalidArgumentError(
      `the warehouse ${path.relative(process.cwd(), file) || file} does not exist yet`,
      { hint: 'build an environment first: slipway build --env dev' },
    );
  }
  return createDuckDbWarehouse({ path: file, threads: connection.threads, readOnly }, runtime);
}

/**
 * PostgreSQL from the URL in the variable the connection names. Opening connects once, so an
 * unreachable server or a refused password is one line here, before any work starts. A read-only
 * open is enforced by the server (default_transaction_read_only).
 */
async function openPostgres({
  connection,
  name,
  env,
  readOnly,
  runtime,
}: OpenRequest<Extract<Connection, { type: 'postgres' }>>): Promise<Warehouse> {
  if (connection.schema_prefix !== undefined) {
    throw new InvalidArgumentError(
      'schema_prefix is not supported by the postgres warehouse in this version',
      {
        hint: 'remove it: Slipway uses the schemas slipway_physical, slipway_meta, slipway_sources and one per environment',
      },
    );
  }
  const url = warehouseUrl(name, connection, env);
  const { createPostgresWarehouse } = await import('../warehouse/postgres/postgres-warehouse.js');
  const warehouse = createPostgresWarehouse(
    {
      url,
      source: `the ${connection.url_env} variable`,
      readOnly,
    },
    runtime,
  );
  try {
    // The first statement opens the pool: a wrong URL fails here, not halfway through a command.
    await warehouse.query('select 1');
  } catch (error) {
    await warehouse.close().catch(() => undefined);
    throw error;
  }
  return warehouse;
}

/** The URL a PostgreSQL connection names, from its environment variable. */
export function warehouseUrl(
  name: string,
  connection: Extract<Connection, { type: 'postgres' }>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const url = env[connection.url_env];
  if (url === undefined || url.trim() === '') {
    throw new InvalidArgumentError(
      `the warehouse connection '${name}' reads its URL from ${connection.url_env}, which is not set`,
      {
        hint: `export ${connection.url_env}=postgres://user:password@host:5432/database (slipway.yaml: warehouse.connections.${name}.url_env)`,
      },
    );
  }
  return url.trim();
}

/** The capabilities the engine of a connection declares, without opening it. */
export function connectionCapabilities(connection: Connection): StaticCapabilities {
  return ENGINES[connection.type].capabilities;
}

/**
 * @example
 * const warehouse = await openWarehouse(project, { environment: 'prod', readOnly: true });
 */
export async function openWarehouse(
  project: {
    readonly config: Pick<ProjectConfig, 'warehouse' | 'environments'>;
    readonly root: string;
  },
  {
    environment,
    readOnly = false,
    root = project.root,
    whenMissing = 'refuse',
    env = process.env,
    observer,
  }: OpenWarehouseOptions = {},
): Promise<Warehouse> {
  const name =
    (environment && project.config.environments[environment]?.warehouse) ?? project.config.warehouse.default;
  const connection = project.config.warehouse.connections[name];
  if (!connection) throw new InvalidArgumentError(`unknown warehouse connection '${name}'`);
  const { open } = ENGINES[connection.type] as Engine<typeof connection>;
  return open({ connection, root, readOnly, whenMissing, name, env, runtime: observer ? { observer } : {} });
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
