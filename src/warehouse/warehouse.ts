/**
 * The warehouse seam. Every engine Slipway builds on (DuckDB embedded, PostgreSQL, later cloud
 * warehouses) is an adapter behind this interface; nothing above `src/warehouse/` imports a
 * concrete adapter. All data work is SQL pushed to the engine: rows only cross into Node for
 * small results (query output, samples, introspection).
 */

import type { EnvironmentModels } from '../core/release.js';
import type { CheckDialect } from './check-dialect.js';

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

/**
 * What an engine can do, declared by the adapter rather than sniffed by callers. Only what some
 * caller decides on is declared here: what an engine's SQL differs in is in its role objects, and
 * what every adapter must guarantee (DDL that rolls back, views replaced atomically, which
 * `replaceViews` and the environment switch promise) is in the interface, not a flag.
 */
export interface WarehouseCapabilities {
  /**
   * A running statement can be cancelled: its `AbortSignal` interrupts it in the engine. Without
   * it the runtime rejects the aborted call at once and lets the statement run out in the engine.
   */
  readonly cancel: boolean;
  /**
   * The engine reads local CSV/Parquet files directly: file sources are views over the files.
   * Without it a file source is refused before anything is built.
   */
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
  /**
   * The engine's name (`duckdb`, `postgres`), for messages, logs and metrics only: no code
   * branches on it. What differs between engines is in `capabilities` and the role objects.
   */
  readonly engine: string;
  readonly capabilities: WarehouseCapabilities;
  /** The schema unqualified names resolve to (`main` on DuckDB, `public` on PostgreSQL). */
  readonly defaultSchema: string;

  /** Environment switches, their marker and drift inspection, in the engine's own SQL. */
  readonly environments: EnvironmentSwitch;
  /** Incremental refresh (merge by key, or append) in the engine's own SQL. */
  readonly incremental: IncrementalMerge;
  /** Reading local files (file sources, unit-test fixtures), where the engine can. */
  readonly files: FileReader;
  /** The engine's pieces of data-quality check SQL; its optional members are capabilities. */
  readonly checkDialect: CheckDialect;
  /** Sandboxed reads for people (query serving, `slipway query`), where the adapter has them. */
  readonly reads?: ReadSessions;

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

/**
 * Opens a new, empty, private engine for one job: a SQL unit test, or the output shapes of the
 * models. Its `defaultSchema` is the job's own (an in-memory DuckDB's `main`, or a scratch schema
 * in a PostgreSQL database that other jobs share): the job creates and reads every relation there,
 * always qualified. Wired by the composition root (`src/app/`); the caller closes it, which on a
 * shared database drops the job's schema.
 */
export type IsolatedWarehouseFactory = () => Promise<Warehouse>;

/** The role objects an adapter supplies (`WarehouseAdapter.createRoles`). */
export interface WarehouseRoles {
  readonly environments: EnvironmentSwitch;
  readonly incremental: IncrementalMerge;
  readonly files: FileReader;
  readonly checkDialect: CheckDialect;
  readonly reads?: ReadSessions;
}

/*
 * The warehouse's roles: the engine-specific SQL the core needs, one small object each, supplied
 * by the adapter (`createRoles`) and built over the lifecycle-wrapped warehouse, so they run
 * inside the same guards as every other statement. The check compiler's role (`CheckDialect`)
 * lives in `check-dialect.ts` beside this file; it is pure (it only builds SQL fragments).
 */

export interface SwitchRequest {
  readonly environment: string;
  readonly releaseId: string;
  /** Every model the environment shows after the switch, with its physical table. */
  readonly models: EnvironmentModels;
  /** Models whose views are dropped (removed from the project). */
  readonly removed: readonly string[];
  /** Write every view again, even where the marker says a switch wrote them (drift repair). */
  readonly rewriteViews?: boolean;
}

/** What an environment's views read now, as the engine's catalog says (for drift detection). */
export interface EnvironmentInspection {
  /** Names of the relations present in the physical schema. */
  readonly physical: ReadonlySet<string>;
  /**
   * Per model that has a view: the physical table (name in the physical schema) the view reads
   * as a switch wrote it, or null when it reads anything else (edited by hand, pointer broken).
   * Models without a view are absent.
   */
  readonly views: ReadonlyMap<string, string | null>;
}

/**
 * Switching an environment: re-pointing its views, one per model, at physical tables. A switch
 * runs in ONE transaction together with the marker row that records the release the environment
 * now shows (the release's commit point in the warehouse): readers see wholly the old or wholly
 * the new release, and after a crash the marker tells whether the switch happened. After any
 * switch, each view's entry in `information_schema.columns` lists exactly the columns it returns.
 */
export interface EnvironmentSwitch {
  /** Creates the bookkeeping a switch writes to; idempotent, upgrades older layouts. */
  prepare(): Promise<void>;
  /**
   * Re-points the environment in one transaction; resolves to how long the switch took (ms).
   * Refuses with a `WorkFailedError`, changing nothing, when a physical table it names is missing.
   */
  switch(request: SwitchRequest): Promise<number>;
  /** The release the warehouse's marker says the environment shows (undefined before any). */
  switchedRelease(environment: string): Promise<string | undefined>;
  /**
   * Forgets the marker of the environment before something other than a release (the dev loop's
   * `slipway build`) writes its views: the next switch then writes every view again.
   */
  forget(environment: string): Promise<void>;
  /** What the environment's views of `models` read now, and which physical relations exist. */
  inspect(environment: string, models: readonly string[]): Promise<EnvironmentInspection>;
}

export interface IncrementalSettings {
  readonly timeColumn: string;
  readonly uniqueKey: readonly string[];
  readonly lookbackMs: number | undefined;
}

export interface IncrementResult {
  /** Rows in the increment (new and re-read within the lookback). */
  readonly read: number;
  /** Rows the table grew by. */
  readonly added: number;
  readonly rows: number;
}

/**
 * One incremental refresh in one transaction: the rows of `sql` newer than the table's watermark
 * (its latest time value, minus the lookback when there is a unique key) are merged by unique key
 * (late rows replace what they supersede) or, without one, appended. Running it twice adds nothing.
 */
export interface IncrementalMerge {
  merge(target: RelationRef, sql: string, settings: IncrementalSettings): Promise<IncrementResult>;
}

export type FileFormat = 'csv' | 'parquet';

/**
 * Local files read by the engine. An engine that cannot (`capabilities.readsLocalFiles` false)
 * refuses each call with an `InvalidArgumentError` that names the engine and what to do instead.
 */
/** A column a project declares with its type (`columns: [{ name, type }]` of a source). */
export interface DeclaredColumn {
  readonly name: string;
  /** A SQL type name, validated by the project schema's type-name shape. */
  readonly type: string;
}

export interface FileReader {
  /**
   * A SELECT over the files a glob names (CSV with a header row, or Parquet), by column name;
   * `declared` columns are read as their declared types (a CSV field as that type, not as the
   * sniffer guessed it), and a declared column the files lack fails when the SELECT is bound.
   */
  selectFiles(files: string, format: FileFormat, declared?: readonly DeclaredColumn[]): string;
  /** Creates `ref` from a CSV file with a header row: types inferred, or every column as text. */
  createTableFromCsv(ref: RelationRef, file: string, options: { readonly allText: boolean }): Promise<void>;
}

export interface ReadRequest {
  /** One SELECT, as a person wrote it; unqualified names resolve to `schema`. */
  readonly sql: string;
  readonly params?: readonly SqlValue[];
  /** The environment (schema) the read is on. */
  readonly schema: string;
  /** Schemas a qualified name may read besides `schema` (other environments, sources). */
  readonly alsoReadable?: readonly string[];
  /** The project's environments: a missing relation's hint names those that hold it. */
  readonly environments?: readonly string[];
  /** Rows returned at most; the result says when more were there. */
  readonly maxRows: number;
  /** The statement is interrupted after this long (a `ReadTimeoutError`). */
  readonly timeoutMs?: number;
  /** Aborting interrupts the statement (the client went away). */
  readonly signal?: AbortSignal;
}

export interface ReadResult extends QueryResult {
  /** More rows than `maxRows` were there; only `maxRows` are returned. */
  readonly truncated: boolean;
}

/**
 * Reads for people: one SELECT over an environment's views, checked by the engine's own parser
 * against what a reader may do (no writes, DDL, ATTACH/INSTALL/LOAD, COPY, PRAGMA, SET, no file or
 * URL reads, no schema outside the environment's and the catalogs), on connections of their own
 * beside the writers', with a row cap and a statement timeout. One statement reads one snapshot,
 * and a switch is one transaction, so a read never mixes two releases.
 */
export interface ReadSessions {
  /** Refuses (`ReadRefusedError`) what a reader may not run; resolves when `request` may run. */
  check(request: Pick<ReadRequest, 'sql' | 'schema' | 'alsoReadable'>): Promise<void>;
  /** Checks, then runs the read. */
  query(request: ReadRequest): Promise<ReadResult>;
}
