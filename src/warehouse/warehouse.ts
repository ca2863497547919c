/**
 * The warehouse seam. Every engine Slipway builds on (DuckDB embedded, PostgreSQL, later cloud
 * warehouses) is an adapter behind this interface; nothing above `src/warehouse/` imports a
 * concrete adapter. All data work is SQL pushed to the engine: rows only cross into Node for
 * small results (query output, samples, introspection).
 */

/** A value as it comes back from the engine, converted to plain JSON-friendly JavaScript. */
export type SqlValue = string | number | boolean | null | bigint | SqlValue[] | { [key: string]: SqlValue };
export type Row = Readonly<Record<string, SqlValue>>;

/** A fully qualified relation. Adapters quote both parts; callers never build quoted names. */
export interface RelationRef {
  readonly schema: string;
  readonly name: string;
}

export interface ColumnInfo {
  readonly name: string;
  /** Engine type name, upper case (`BIGINT`, `VARCHAR`, `TIMESTAMP WITH TIME ZONE`). */
  readonly type: string;
  readonly nullable: boolean;
}

export interface RelationInfo extends RelationRef {
  readonly kind: 'table' | 'view';
}

export interface QueryResult {
  readonly columns: readonly ColumnInfo[];
  readonly rows: readonly Row[];
}

/** What an engine can do, declared by the adapter rather than sniffed by callers. */
export interface WarehouseCapabilities {
  /** DDL (create/replace view, drop) can run inside a transaction and roll back. */
  readonly transactionalDdl: boolean;
  /** Many views can be replaced atomically in one transaction. */
  readonly atomicViewSwap: boolean;
  /** A running statement can be cancelled from another call. */
  readonly cancel: boolean;
  /** Tables can be cloned without copying data (zero-copy clone). */
  readonly zeroCopyClone: boolean;
  /** The engine reads local CSV/Parquet files directly (`read_parquet`, `read_csv`). */
  readonly readsLocalFiles: boolean;
  /** How many statements the adapter runs at once (connection pool size). */
  readonly maxConcurrency: number;
}

export interface ExecuteOptions {
  /** Positional parameters bound to `$1`, `$2`, … — never concatenated into the SQL. */
  readonly params?: readonly SqlValue[];
  /** Aborting cancels the running statement (when the engine can) and rejects. */
  readonly signal?: AbortSignal;
}

/** The statements a transaction body may run; they all commit or all roll back. */
export interface WarehouseTransaction {
  execute(sql: string, options?: ExecuteOptions): Promise<void>;
  query(sql: string, options?: ExecuteOptions): Promise<QueryResult>;
}

export interface ViewDefinition {
  readonly view: RelationRef;
  readonly sql: string;
}

export interface Warehouse {
  readonly dialect: 'duckdb' | 'postgres';
  readonly capabilities: WarehouseCapabilities;

  /** Run one statement that returns nothing useful (DDL, DML). */
  execute(sql: string, options?: ExecuteOptions): Promise<void>;
  /** Run one statement and read all of its rows (for small results). */
  query(sql: string, options?: ExecuteOptions): Promise<QueryResult>;
  /** Run one statement and read its rows in batches, never holding the whole result. */
  stream(
    sql: string,
    options?: ExecuteOptions & { readonly batchSize?: number },
  ): AsyncIterable<readonly Row[]>;
  /** Run `body` in one transaction on one connection; commit on success, roll back on throw. */
  transaction<T>(body: (tx: WarehouseTransaction) => Promise<T>): Promise<T>;

  /** Quote an identifier for this engine (`"a""b"`). */
  quoteIdentifier(name: string): string;
  /** Quote a relation reference (`"schema"."name"`). */
  quoteRelation(ref: RelationRef): string;

  listSchemas(): Promise<string[]>;
  listRelations(schema: string): Promise<RelationInfo[]>;
  describe(ref: RelationRef): Promise<ColumnInfo[] | undefined>;
  rowCount(ref: RelationRef): Promise<number>;

  createSchema(schema: string): Promise<void>;
  /** `CREATE OR REPLACE TABLE ref AS sql`. */
  createTableAs(ref: RelationRef, sql: string, options?: ExecuteOptions): Promise<void>;
  /** `CREATE OR REPLACE VIEW ref AS sql`. */
  createView(ref: RelationRef, sql: string): Promise<void>;
  /** Replace every view in `views` in one transaction: readers see all old or all new. */
  replaceViews(views: readonly ViewDefinition[]): Promise<void>;
  dropRelation(ref: RelationRef, kind: 'table' | 'view'): Promise<void>;

  /** Close connections; every later call rejects with a clear error. Idempotent. */
  close(): Promise<void>;
}
