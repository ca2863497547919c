/**
 * DuckDB's environment switch. Every view of an environment reads its model through the
 * environment's pointer (`duckdb-environment-pointer.ts`): one macro that names the physical table
 * each model shows. A switch replaces that macro, creates the views the environment lacks,
 * re-creates the views whose columns change, drops the views of removed models, and writes the
 * marker row that records which release the environment now shows — all in ONE transaction. That
 * row is the release's commit point: readers see wholly the old or wholly the new release, and
 * after a crash the state store can learn from it whether the switch happened.
 *
 * Why a pointer rather than re-creating each view: DuckDB spends about 0.2 ms on every statement,
 * so re-pointing 200 views one by one takes 40–120 ms, while one macro takes 1–2 ms whatever the
 * number of models. The map is a JSON document read with `json_extract_string`: a 200-branch CASE
 * would cost every read about 1.5 ms to bind, the JSON lookup about 0.15 ms.
 *
 * Why some views are still re-created: DuckDB records a view's columns when the view is created
 * and updates that record only when a reader happens to bind the view again, so a pointer view
 * re-pointed at a table with other columns would show its old columns in
 * `information_schema.columns` (which BI tools and `slipway diff` read). The marker row keeps,
 * per model, the physical table whose columns its view was created with; a switch re-creates
 * exactly the views whose new table has other columns than that one, and a switch that changes no
 * column set stays one pointer statement.
 *
 * The row also says whether the environment's views are pointer views. Anything else that writes
 * them (the dev loop's `slipway build`) deletes the row, so the next switch writes every view
 * again; a view edited by hand is drift, which `inspect` reports and a rewriting switch repairs.
 */
import { WarehouseError, WorkFailedError } from '../../core/errors.js';
import { quoteStringLiteral } from '../../core/sql-literal.js';
import { META_SCHEMA, PHYSICAL_SCHEMA } from '../../core/warehouse-layout.js';
import type {
  EnvironmentInspection,
  EnvironmentSwitch,
  SwitchRequest,
  Warehouse,
  WarehouseTransaction,
} from '../warehouse.js';
import {
  environmentPointer,
  pointedPhysicalTable,
  pointerViewSql,
  readsThroughPointer,
} from './duckdb-environment-pointer.js';

const MARKER = { schema: META_SCHEMA, name: 'environment_releases' };
/** The marker's `views` value when every view of the environment reads through its pointer. */
const POINTER_VIEWS = 'pointer';

type Query = Pick<WarehouseTransaction, 'query'>;

export class DuckDbEnvironmentSwitch implements EnvironmentSwitch {
  readonly #warehouse: Warehouse;
  /**
   * Each physical table's column list as the catalog gave it, by table name. A physical table is
   * one model version (its name carries the fingerprint of its SQL and inputs), and a rebuild of
   * it (`slipway run`) runs the same SQL, so its columns stay those it was built with; reading
   * them is a scan of the whole catalog (10–25 ms with 200 models), done once per table and
   * process, and only for tables a switch moves a view to or from.
   */
  readonly #columns = new Map<string, string>();

  constructor(warehouse: Warehouse) {
    this.#warehouse = warehouse;
  }

  async prepare(): Promise<void> {
    const warehouse = this.#warehouse;
    await warehouse.createSchema(META_SCHEMA);
    const marker = warehouse.quoteRelation(MARKER);
    await warehouse.execute(
      `CREATE TABLE IF NOT EXISTS ${marker} (environment VARCHAR PRIMARY KEY, release_id VARCHAR NOT NULL, switched_at TIMESTAMPTZ NOT NULL, views VARCHAR, bound VARCHAR)`,
    );
    // Markers of earlier Slipways: without `views` (plain views), without `bound` (a pointer
    // switch that did not track columns). Either way the next switch writes every view again.
    await warehouse.execute(`ALTER TABLE ${marker} ADD COLUMN IF NOT EXISTS views VARCHAR`);
    await warehouse.execute(`ALTER TABLE ${marker} ADD COLUMN IF NOT EXISTS bound VARCHAR`);
  }

  async switch(request: SwitchRequest): Promise<number> {
    const began = performance.now();
    const warehouse = this.#warehouse;
    const { environment } = request;
    const targets = new Map(Object.entries(request.models).map(([model, p]) => [model, p.table]));
    const map = Object.fromEntries(
      [...targets].map(([model, table]) => [
        model,
        warehouse.quoteRelation({ schema: PHYSICAL_SCHEMA, name: table }),
      ]),
    );
    // Which physical tables exist is read on another connection while the transaction does its
    // work (the catalog scan is the switch's longest step, and the switch never changes tables);
    // with a single connection, first thing in the transaction (waiting for another would never
    // end).
    const presentTables =
      warehouse.capabilities.maxConcurrency > 1 ? physicalRelations(warehouse) : undefined;
    presentTables?.catch(() => undefined); // awaited in the transaction; unhandled if it never gets there
    await warehouse.transaction(async (tx) => {
      const checkedFirst = presentTables === undefined ? await physicalRelations(tx) : undefined;
      const { marked, keep } = await this.#viewsToKeep(
        tx,
        environment,
        targets,
        request.rewriteViews === true,
      );
      const statements = [
        `CREATE SCHEMA IF NOT EXISTS ${warehouse.quoteIdentifier(environment)}`,
        // Model names are plain identifiers (the project refuses others), so `$.name` is a key.
        `CREATE OR REPLACE MACRO ${warehouse.quoteRelation(environmentPointer(environment))}(model) AS json_extract_string(${quoteStringLiteral(JSON.stringify(map))}, '$.' || model)`,
      ];
      for (const model of targets.keys()) {
        if (keep.has(model)) continue;
        statements.push(
          `CREATE OR REPLACE VIEW ${warehouse.quoteRelation({ schema: environment, name: model })} AS ${pointerViewSql(warehouse, environment, model)}`,
        );
      }
      for (const model of request.removed) {
        statements.push(
          `DROP VIEW IF EXISTS ${warehouse.quoteRelation({ schema: environment, name: model })}`,
        );
      }
      // Every view now carries its target's columns: created with them, or kept because its
      // earlier table had the same ones.
      const [env, release, views, bound] = [
        environment,
        request.releaseId,
        POINTER_VIEWS,
        JSON.stringify(Object.fromEntries(targets)),
      ].map(quoteStringLiteral);
      // An UPDATE where the row is there: a third of the time of an upsert through the key's index.
      statements.push(
        marked
          ? `UPDATE ${warehouse.quoteRelation(MARKER)} SET release_id = ${release}, switched_at = now(), views = ${views}, bound = ${bound} WHERE environment = ${env}`
          : `INSERT INTO ${warehouse.quoteRelation(MARKER)} (environment, release_id, switched_at, views, bound) VALUES (${env}, ${release}, now(), ${views}, ${bound})`,
      );
      // One script (a script takes no bound parameters, so its values are quoted literals): it
      // saves a round trip per statement.
      const failed = await tx.execute(statements.join(';\n')).then(
        () => undefined,
        (error: unknown) => ({ error }),
      );
      // Checked before the commit: a missing table rolls the whole switch back, and is the reason
      // given when the script failed on it (a new view binds its table).
      const present = checkedFirst ?? (await presentTables) ?? new Set<string>();
      const missing = [...targets.values()].filter((table) => !present.has(table));
      if (missing.length > 0) {
        const shown = missing.slice(0, 3).join(', ') + (missing.length > 3 ? ', …' : '');
        throw new WorkFailedError(
          `cannot switch ${environment}: ${missing.length} of its tables no longer exist (${shown})`,
          { hint: 'they were dropped behind Slipway; apply that commit again to rebuild them' },
        );
      }
      if (failed) throw failed.error;
    });
    return performance.now() - began;
  }

  async switchedRelease(environment: string): Promise<string | undefined> {
    const warehouse = this.#warehouse;
    if (!(await this.#hasMarker())) return undefined;
    const { rows } = await warehouse.query(
      `select release_id from ${warehouse.quoteRelation(MARKER)} where environment = $1`,
      { params: [environment] },
    );
    const id = rows[0]?.['release_id'];
    return typeof id === 'string' ? id : undefined;
  }

  async forget(environment: string): Promise<void> {
    const warehouse = this.#warehouse;
    if (!(await this.#hasMarker())) return;
    await warehouse.execute(`DELETE FROM ${warehouse.quoteRelation(MARKER)} WHERE environment = $1`, {
      params: [environment],
    });
  }

  async inspect(environment: string, models: readonly string[]): Promise<EnvironmentInspection> {
    const warehouse = this.#warehouse;
    const [physical, found, pointed] = await Promise.all([
      physicalRelations(warehouse),
      warehouse.query('select view_name, sql from duckdb_views() where schema_name = $1', {
        params: [environment],
      }),
      pointedTables(warehouse, environment, models),
    ]);
    const wanted = new Set(models);
    const views = new Map<string, string | null>();
    for (const row of found.rows) {
      const model = String(row['view_name']);
      if (!wanted.has(model)) continue;
      const throughPointer = readsThroughPointer(String(row['sql'] ?? ''), environment, model);
      views.set(model, throughPointer ? pointedPhysicalTable(pointed.get(model) ?? null) : null);
    }
    return { physical, views };
  }

  async #hasMarker(): Promise<boolean> {
    const tables = await this.#warehouse.listRelations(META_SCHEMA);
    return tables.some((t) => t.name === MARKER.name);
  }

  /**
   * Whether the environment has a marker row, and which of its views a switch may leave as they
   * are: those a switch wrote whose columns stay the same (the table the view was created with
   * is the new one, or has the same columns); none without such a marker or when asked to write
   * every view again.
   */
  async #viewsToKeep(
    tx: WarehouseTransaction,
    environment: string,
    targets: ReadonlyMap<string, string>,
    rewrite: boolean,
  ): Promise<{ readonly marked: boolean; readonly keep: ReadonlySet<string> }> {
    const warehouse = this.#warehouse;
    const { rows: marker } = await tx.query(
      `select views, bound from ${warehouse.quoteRelation(MARKER)} where environment = $1`,
      { params: [environment] },
    );
    const marked = marker.length > 0;
    const bound = boundTables(marker[0]?.['bound']);
    if (rewrite || marker[0]?.['views'] !== POINTER_VIEWS || bound === undefined) {
      return { marked, keep: new Set() };
    }
    const { rows } = await tx.query('select view_name from duckdb_views() where schema_name = $1', {
      params: [environment],
    });
    const present = new Set(rows.map((r) => String(r['view_name'])));
    const keep = new Set<string>();
    const changed: [model: string, was: string, table: string][] = [];
    for (const [model, table] of targets) {
      const was = bound.get(model);
      if (!present.has(model) || was === undefined) continue;
      if (was === table) keep.add(model);
      else changed.push([model, was, table]);
    }
    if (changed.length > 0) {
      const columns = await this.#columnsOf(
        tx,
        changed.flatMap(([, was, table]) => [was, table]),
      );
      for (const [model, was, table] of changed) {
        const before = columns.get(was);
        if (before !== undefined && before === columns.get(table)) keep.add(model);
      }
    }
    return { marked, keep };
  }

  /** The column lists (names and types, in order) of the physical relations `tables` names. */
  async #columnsOf(tx: Query, tables: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const unknown = [...new Set(tables)].filter((t) => !this.#columns.has(t));
    if (unknown.length > 0) {
      const { rows } = await tx.query(
        `select table_name, list({name: column_name, type: data_type} order by column_index)::varchar as columns
         from duckdb_columns() where schema_name = $1 and list_contains($2, table_name) group by table_name`,
        { params: [PHYSICAL_SCHEMA, unknown] },
      );
      for (const row of rows) this.#columns.set(String(row['table_name']), String(row['columns']));
    }
    return this.#columns;
  }
}

/** The marker's `bound` value: per model, the table whose columns its view was created with. */
function boundTables(value: unknown): ReadonlyMap<string, string> | undefined {
  if (typeof value !== 'string') return undefined;
  const parsed: unknown = JSON.parse(value);
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  return new Map(
    Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

/** The physical relations present (tables, and views of view-kind models). */
async function physicalRelations(warehouse: Query): Promise<Set<string>> {
  // duckdb_tables() and duckdb_views() rather than information_schema: the same answer, cheaper.
  const { rows } = await warehouse.query(
    'select table_name as name from duckdb_tables() where schema_name = $1 union all select view_name from duckdb_views() where schema_name = $1',
    { params: [PHYSICAL_SCHEMA] },
  );
  return new Set(rows.map((r) => String(r['name'])));
}

/** What the environment's pointer names for each model (empty when it has no readable pointer). */
async function pointedTables(
  warehouse: Warehouse,
  environment: string,
  models: readonly string[],
): Promise<Map<string, string | null>> {
  const macro = environmentPointer(environment);
  try {
    const { rows } = await warehouse.query(
      `select model, ${warehouse.quoteRelation(macro)}(model) as target from unnest($1) as t(model)`,
      { params: [[...models]] },
    );
    return new Map(rows.map((r) => [String(r['model']), r['target'] === null ? null : String(r['target'])]));
  } catch (error) {
    // A pointer that cannot be read (dropped, or edited by hand into something else) names no
    // table: every view reading through it has drifted. (Asking the catalog first would cost a
    // scan of every function, 15 ms, on each pass.)
    if (error instanceof WarehouseError) return new Map();
    throw error;
  }
}
