/**
 * Opening the warehouse a project's configuration names: a registry from a connection's `type` to
 * the opener of that engine's adapter. The composition root is the one place that imports concrete
 * adapters; a new engine is one more entry in `OPENERS` (and its connection schema in the config).
 */
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, SlipwayError } from '../core/errors.js';
import type { ProjectConfig } from '../project/schemas.js';
import { createDuckDbWarehouse } from '../warehouse/duckdb/duckdb-warehouse.js';
import type { Warehouse } from '../warehouse/warehouse.js';

type Connection = ProjectConfig['warehouse']['connections'][string];

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
}

interface OpenRequest<C extends Connection> {
  readonly connection: C;
  readonly root: string;
  readonly readOnly: boolean;
  readonly whenMissing: 'refuse' | 'empty';
}

type Opener<C extends Connection> = (request: OpenRequest<C>) => Promise<Warehouse>;

/** One entry per engine this build can open, keyed by the connection's `type`. */
const OPENERS: { readonly [T in Connection['type']]?: Opener<Extract<Connection, { type: T }>> } = {
  duckdb: async function openDuckDb({ connection, root, readOnly, whenMissing }) {
    if (connection.path === ':memory:') {
      return createDuckDbWarehouse({ path: ':memory:', threads: connection.threads, readOnly });
    }
    const file = path.resolve(root, connection.path);
    if (!readOnly) {
      await mkdir(path.dirname(file), { recursive: true });
    } else if (!(await exists(file))) {
      if (whenMissing === 'empty') return createDuckDbWarehouse({ path: ':memory:' });
      throw new InvalidArgumentError(
        `the warehouse ${path.relative(process.cwd(), file) || file} does not exist yet`,
        { hint: 'build an environment first: slipway build --env dev' },
      );
    }
    return createDuckDbWarehouse({ path: file, threads: connection.threads, readOnly });
  },
};

/**
 * @example
 * const warehouse = await openWarehouse(project, { environment: 'prod', readOnly: true });
 */
export async function openWarehouse(
  project: {
    readonly config: Pick<ProjectConfig, 'warehouse' | 'environments'>;
    readonly root: string;
  },
  { environment, readOnly = false, root = project.root, whenMissing = 'refuse' }: OpenWarehouseOptions = {},
): Promise<Warehouse> {
  const name =
    (environment && project.config.environments[environment]?.warehouse) ?? project.config.warehouse.default;
  const connection = project.config.warehouse.connections[name];
  if (!connection) throw new InvalidArgumentError(`unknown warehouse connection '${name}'`);
  const open = OPENERS[connection.type] as Opener<typeof connection> | undefined;
  if (!open) {
    throw new SlipwayError(
      'invalid_argument',
      `the ${connection.type} warehouse is not available in this version`,
      {
        hint: `use one of: ${Object.keys(OPENERS).join(', ')}`,
      },
    );
  }
  return open({ connection, root, readOnly, whenMissing });
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
