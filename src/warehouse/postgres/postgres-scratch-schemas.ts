/**
 * Scratch schemas on one PostgreSQL database, for jobs that need an isolated engine (a SQL unit
 * test, the models' output shapes) where the project's engine is PostgreSQL. Each `open()`
 * creates a private schema with a name no other run uses and returns a warehouse over the shared
 * connection pool whose `defaultSchema` is that schema; closing it drops the schema with
 * everything in it. The jobs qualify every name they create or read with `defaultSchema`, so they
 * never see each other's tables, and as many run at once as the shared pool has connections.
 * (The pool's connections are shared, so no per-schema `search_path` is set: an unqualified name
 * still resolves to the database's own; the compiled model's references are all qualified.)
 */

import { randomBytes } from 'node:crypto';
import { WarehouseError } from '../../core/errors.js';
import type { CheckDialect } from '../check-dialect.js';
import type {
  ColumnInfo,
  EnvironmentSwitch,
  ExecuteOptions,
  FileReader,
  IncrementalMerge,
  QueryResult,
  RelationInfo,
  RelationRef,
  Row,
  ViewDefinition,
  Warehouse,
  WarehouseCapabilities,
  WarehouseTransaction,
} from '../warehouse.js';

/** Prefix of every scratch schema: a left-over one (a killed run) is recognisable by it. */
export const SCRATCH_SCHEMA_PREFIX = 'slipway_scratch_';

/**
 * @example
 * const scratch = new PostgresScratchSchemas(warehouse); // the project's PostgreSQL warehouse
 * const test = await scratch.open(); // test.defaultSchema = 'slipway_scratch_…'
 * await test.execute(`CREATE TABLE ${test.quoteRelation({ schema: test.defaultSchema, name: 'x' })} (a int)`);
 * await test.close(); // drops the schema
 * await scratch.close(); // drops any schema still open; the warehouse stays open
 */
export class PostgresScratchSchemas {
  readonly #warehouse: Warehouse;
  readonly #run = `${process.pid.toString(36)}_${randomBytes(3).toString('hex')}`;
  readonly #open = new Set<ScratchWarehouse>();
  #next = 0;

  constructor(warehouse: Warehouse) {
    this.#warehouse = warehouse;
  }

  /** A new, empty schema and a warehouse scoped to it; the caller closes it. */
  async open(): Promise<Warehouse> {
    const schema = `${SCRATCH_SCHEMA_PREFIX}${this.#run}_${(this.#next++).toString(36)}`;
    await this.#warehouse.createSchema(schema);
    const scratch = new ScratchWarehouse(this.#warehouse, schema, async () => {
      this.#open.delete(scratch);
      await this.#warehouse.execute(
        `DROP SCHEMA IF EXISTS ${this.#warehouse.quoteIdentifier(schema)} CASCADE`,
      );
    });
    this.#open.add(scratch);
    return scratch;
  }

  /** Drops the schemas whose jobs did not close them. */
  async close(): Promise<void> {
    await Promise.all([...this.#open].map((scratch) => scratch.close()));
  }
}

/** The shared warehouse, seen through one scratch schema; `close()` drops the schema. */
class ScratchWarehouse implements Warehouse {
  readonly engine: string;
  readonly capabilities: WarehouseCapabilities;
  readonly defaultSchema: string;
  readonly environments: EnvironmentSwitch;
  readonly incremental: IncrementalMerge;
  readonly files: FileReader;
  readonly checkDialect: CheckDialect;
  readonly #shared: Warehouse;
  readonly #drop: () => Promise<void>;
  #closing: Promise<void> | undefined;

  constructor(shared: Warehouse, schema: string, drop: () => Promise<void>) {
    this.#shared = shared;
    this.#drop = drop;
    this.engine = shared.engine;
    this.capabilities = shared.capabilities;
    this.defaultSchema = schema;
    this.environments = shared.environments;
    this.incremental = shared.incremental;
    this.files = shared.files;
    this.checkDialect = shared.checkDialect;
  }

  async execute(sql: string, options?: ExecuteOptions): Promise<void> {
    return this.#live().execute(sql, options);
  }
  async query(sql: string, options?: ExecuteOptions): Promise<QueryResult> {
    return this.#live().query(sql, options);
  }
  stream(
    sql: string,
    options?: ExecuteOptions & { readonly batchSize?: number },
  ): AsyncIterable<readonly Row[]> {
    return this.#live().stream(sql, options);
  }
  async transaction<T>(body: (tx: WarehouseTransaction) => Promise<T>): Promise<T> {
    return this.#live().transaction(body);
  }
  quoteIdentifier(name: string): string {
    return this.#shared.quoteIdentifier(name);
  }
  quoteRelation(ref: RelationRef): string {
    return this.#shared.quoteRelation(ref);
  }
  async listSchemas(): Promise<string[]> {
    return this.#live().listSchemas();
  }
  async listRelations(schema: string): Promise<RelationInfo[]> {
    return this.#live().listRelations(schema);
  }
  async describe(ref: RelationRef): Promise<ColumnInfo[] | undefined> {
    return this.#live().describe(ref);
  }
  async rowCount(ref: RelationRef): Promise<number> {
    return this.#live().rowCount(ref);
  }
  async createSchema(schema: string): Promise<void> {
    return this.#live().createSchema(schema);
  }
  async createTableAs(ref: RelationRef, sql: string, options?: ExecuteOptions): Promise<void> {
    return this.#live().createTableAs(ref, sql, options);
  }
  async createView(ref: RelationRef, sql: string): Promise<void> {
    return this.#live().createView(ref, sql);
  }
  async replaceViews(views: readonly ViewDefinition[]): Promise<void> {
    return this.#live().replaceViews(views);
  }
  async dropRelation(ref: RelationRef, kind: 'table' | 'view'): Promise<void> {
    return this.#live().dropRelation(ref, kind);
  }

  /** Drops the schema and everything in it; idempotent. The shared warehouse stays open. */
  close(): Promise<void> {
    this.#closing ??= this.#drop();
    return this.#closing;
  }

  #live(): Warehouse {
    if (this.#closing !== undefined) {
      throw new WarehouseError(`the scratch schema ${this.defaultSchema} is closed`);
    }
    return this.#shared;
  }
}
