/**
 * PostgreSQL's environment switch. An environment is a schema of plain views, one per model,
 * `SELECT * FROM "slipway_physical"."model__fp"`. A switch re-creates the views whose table
 * changes (every view when asked to rewrite them, or when no switch wrote them), drops the views
 * of removed models and writes the marker row — in ONE transaction, sent as one multi-statement
 * script after one catalog query, so it costs the same few round trips however many models move.
 *
 * PostgreSQL's DDL is transactional and takes an exclusive lock on each view it replaces: a reader
 * sees wholly the old or wholly the new environment. The switch first locks every view it will
 * replace, with a short lock timeout, and starts again when a reader holds one: waiting while
 * holding some would deadlock with a reader that reads the views in another order.
 *
 * PostgreSQL binds a view's columns when it is created and `CREATE OR REPLACE VIEW` may only add
 * columns at the end, so a view whose new table has other columns is dropped and created again
 * (in the same transaction): `information_schema.columns` lists what each view returns.
 */
import { ConflictError, WorkFailedError } from '../../core/errors.js';
import { quoteStringLiteral } from '../../core/sql-literal.js';
import { META_SCHEMA, PHYSICAL_SCHEMA } from '../../core/warehouse-layout.js';
import type {
  EnvironmentInspection,
  EnvironmentSwitch,
  SwitchRequest,
  Warehouse,
  WarehouseTransaction,
} from '../warehouse.js';
import { sqlState } from './postgres-ddl.js';

const MARKER = { schema: META_SCHEMA, name: 'environment_releases' };
/** The marker's `views` value when a switch wrote every view of the environment. */
const SWITCHED_VIEWS = 'plain';
/** How long the switch waits for a reader's lock on one view before it starts again. */
const LOCK_TIMEOUT = '200ms';
const LOCK_ATTEMPTS = 25;
/** SQLSTATEs of a lock not granted in time, and of a deadlock PostgreSQL broke. */
const RETRYABLE = new Set(['55P03', '40P01']);

/** What the catalog says of one model's current view. */
interface CurrentView {
  /** The physical relation the view reads, when it reads exactly one. */
  readonly reads: string | null;
  /** Its columns, `name type` each, in order. */
  readonly columns: readonly string[];
}

/** What one catalog query tells a switch. */
interface SwitchCatalog {
  readonly marker: { readonly views: string | null } | undefined;
  readonly schemaExists: boolean;
  /** Physical relation → its columns (`name type`), for the tables the request names. */
  readonly tables: ReadonlyMap<string, readonly string[]>;
  readonly views: ReadonlyMap<string, CurrentView>;
}

export class PostgresEnvironmentSwitch implements EnvironmentSwitch {
  readonly #warehouse: Warehouse;

  constructor(warehouse: Warehouse) {
    this.#warehouse = warehouse;
  }

  async prepare(): Promise<void> {
    const warehouse = this.#warehouse;
    await warehouse.createSchema(META_SCHEMA);
    const marker = warehouse.quoteRelation(MARKER);
    // The same columns as DuckDB's marker; `bound` records, per model, the table its view reads.
    await warehouse.execute(
      `CREATE TABLE IF NOT EXISTS ${marker} (environment TEXT PRIMARY KEY, release_id TEXT NOT NULL, switched_at TIMESTAMPTZ NOT NULL, views TEXT, bound TEXT);
       ALTER TABLE ${marker} ADD COLUMN IF NOT EXISTS views TEXT;
       ALTER TABLE ${marker} ADD COLUMN IF NOT EXISTS bound TEXT`,
    );
  }

  async switch(request: SwitchRequest): Promise<number> {
    const began = performance.now();
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.#warehouse.transaction((tx) => this.#switchIn(tx, request));
        return performance.now() - began;
      } catch (error) {
        if (!RETRYABLE.has(sqlState(error) ?? '')) throw error;
        if (attempt === LOCK_ATTEMPTS) {
          throw new ConflictError(
            `cannot switch ${request.environment}: its views stayed in use by readers through ${LOCK_ATTEMPTS} attempts`,
            { hint: 'long-running queries hold the views; try again when they end', cause: error },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 20 * attempt));
      }
    }
  }

  async #switchIn(tx: WarehouseTransaction, request: SwitchRequest): Promise<void> {
    const warehouse = this.#warehouse;
    const { environment } = request;
    const targets = new Map(Object.entries(request.models).map(([model, p]) => [model, p.table]));
    const catalog = await readCatalog(tx, warehouse.quoteRelation(MARKER), environment, {
      models: [...targets.keys(), ...request.removed],
      tables: [...targets.values()],
    });
    const missing = [...new Set(targets.values())].filter((table) => !catalog.tables.has(table));
    if (missing.length > 0) {
      const shown = missing.slice(0, 3).join(', ') + (missing.length > 3 ? ', …' : '');
      throw new WorkFailedError(
        `cannot switch ${environment}: ${missing.length} of its tables no longer exist (${shown})`,
        { hint: 'they were dropped behind Slipway; apply that commit again to rebuild them' },
      );
    }
    const rewrite = request.rewriteViews === true || catalog.marker?.views !== SWITCHED_VIEWS;
    const view = (model: string): string => warehouse.quoteRelation({ schema: environment, name: model });
    const locked: string[] = [];
    const statements: string[] = [];
    if (!catalog.schemaExists) statements.push(`CREATE SCHEMA ${warehouse.quoteIdentifier(environment)}`);
    for (const [model, table] of targets) {
      const current = catalog.views.get(model);
      if (current !== undefined && !rewrite && current.reads === table) continue;
      const sql = `SELECT * FROM ${warehouse.quoteRelation({ schema: PHYSICAL_SCHEMA, name: table })}`;
      if (current === undefined) {
        statements.push(`CREATE VIEW ${view(model)} AS ${sql}`);
        continue;
      }
      locked.push(view(model));
      const columns = catalog.tables.get(table) ?? [];
      // CREATE OR REPLACE keeps views built on this one; it may only append columns.
      const appendsOnly = current.columns.every((column, index) => columns[index] === column);
      statements.push(
        appendsOnly
          ? `CREATE OR REPLACE VIEW ${view(model)} AS ${sql}`
          : `DROP VIEW ${view(model)};\nCREATE VIEW ${view(model)} AS ${sql}`,
      );
    }
    for (const model of request.removed) {
      if (!catalog.views.has(model)) continue;
      locked.push(view(model));
      statements.push(`DROP VIEW IF EXISTS ${view(model)}`);
    }
    const [env, release, views, bound] = [
      environment,
      request.releaseId,
      SWITCHED_VIEWS,
      JSON.stringify(Object.fromEntries(targets)),
    ].map(quoteStringLiteral);
    statements.push(
      `INSERT INTO ${warehouse.quoteRelation(MARKER)} (environment, release_id, switched_at, views, bound)
       VALUES (${env}, ${release}, now(), ${views}, ${bound})
       ON CONFLICT (environment) DO UPDATE SET release_id = excluded.release_id,
         switched_at = excluded.switched_at, views = excluded.views, bound = excluded.bound`,
    );
    const locks =
      locked.length === 0
        ? []
        : [
            `SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`,
            `LOCK TABLE ${locked.join(', ')} IN ACCESS EXCLUSIVE MODE`,
            'SET LOCAL lock_timeout = 0',
          ];
    // One script (simple protocol, so values are quoted literals): one round trip for the lot.
    await tx.execute([...locks, ...statements].join(';\n'));
  }

  async switchedRelease(environment: string): Promise<string | undefined> {
    if (!(await this.#hasMarker())) return undefined;
    const { rows } = await this.#warehouse.query(
      `select release_id from ${this.#warehouse.quoteRelation(MARKER)} where environment = $1`,
      { params: [environment] },
    );
    const id = rows[0]?.['release_id'];
    return typeof id === 'string' ? id : undefined;
  }

  async forget(environment: string): Promise<void> {
    if (!(await this.#hasMarker())) return;
    await this.#warehouse.execute(
      `DELETE FROM ${this.#warehouse.quoteRelation(MARKER)} WHERE environment = $1`,
      { params: [environment] },
    );
  }

  /**
   * Which physical table each view reads, as a switch wrote it: a view counts as reading its
   * table only when PostgreSQL's own rendering of it is that of `SELECT * FROM` the table (a view
   * edited by hand, even over the same table, reads something else). The reference renderings
   * come from temporary views, created and dropped in one transaction.
   */
  async inspect(environment: string, models: readonly string[]): Promise<EnvironmentInspection> {
    const warehouse = this.#warehouse;
    return warehouse.transaction(async (tx) => {
      const { rows: present } = await tx.query(
        `select c.relname from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
         where n.nspname = $1 and c.relkind::text = any(array['r', 'p', 'f', 'v', 'm'])`,
        { params: [PHYSICAL_SCHEMA] },
      );
      const physical = new Set(present.map((row) => String(row['relname'])));
      const { rows } = await tx.query(
        `select v.relname as model, pg_get_viewdef(v.oid) as definition,
                (select array_agg(distinct t.relname::text) from pg_catalog.pg_rewrite r
                 join pg_catalog.pg_depend d on d.objid = r.oid and d.classid = 'pg_catalog.pg_rewrite'::regclass
                 join pg_catalog.pg_class t on t.oid = d.refobjid and d.refclassid = 'pg_catalog.pg_class'::regclass
                 where r.ev_class = v.oid and t.oid <> v.oid) as reads,
                (select array_agg(distinct tn.nspname::text) from pg_catalog.pg_rewrite r
                 join pg_catalog.pg_depend d on d.objid = r.oid and d.classid = 'pg_catalog.pg_rewrite'::regclass
                 join pg_catalog.pg_class t on t.oid = d.refobjid and d.refclassid = 'pg_catalog.pg_class'::regclass
                 join pg_catalog.pg_namespace tn on tn.oid = t.relnamespace
                 where r.ev_class = v.oid and t.oid <> v.oid) as schemas
         from pg_catalog.pg_class v join pg_catalog.pg_namespace n on n.oid = v.relnamespace
         where n.nspname = $1 and v.relkind = 'v' and v.relname = any($2::text[])`,
        { params: [environment, [...models]] },
      );
      const views = new Map<string, string | null>();
      const candidates: { model: string; table: string; definition: string }[] = [];
      for (const row of rows) {
        const model = String(row['model']);
        const reads = row['reads'];
        const schemas = row['schemas'];
        const single =
          Array.isArray(reads) &&
          reads.length === 1 &&
          Array.isArray(schemas) &&
          schemas[0] === PHYSICAL_SCHEMA
            ? String(reads[0])
            : undefined;
        views.set(model, null);
        if (single !== undefined)
          candidates.push({ model, table: single, definition: String(row['definition']) });
      }
      if (candidates.length > 0) {
        const reference = (index: number): string => warehouse.quoteIdentifier(`slipway_reference_${index}`);
        await tx.execute(
          candidates
            .map(
              ({ table }, index) =>
                `CREATE TEMP VIEW ${reference(index)} AS SELECT * FROM ${warehouse.quoteRelation({ schema: PHYSICAL_SCHEMA, name: table })}`,
            )
            .join(';\n'),
        );
        const { rows: expected } = await tx.query(
          `select n, pg_get_viewdef(format('pg_temp.%I', 'slipway_reference_' || n)::regclass) as definition
           from generate_series(0, $1::int - 1) as n`,
          { params: [candidates.length] },
        );
        for (const row of expected) {
          const candidate = candidates[Number(row['n'])];
          if (candidate !== undefined && candidate.definition === String(row['definition'])) {
            views.set(candidate.model, candidate.table);
          }
        }
        await tx.execute(candidates.map((_, index) => `DROP VIEW ${reference(index)}`).join(';\n'));
      }
      return { physical, views };
    });
  }

  async #hasMarker(): Promise<boolean> {
    const tables = await this.#warehouse.listRelations(META_SCHEMA);
    return tables.some((t) => t.name === MARKER.name);
  }
}

/** The marker row, the environment's schema and views, and the named tables' columns, in one query. */
async function readCatalog(
  tx: WarehouseTransaction,
  marker: string,
  environment: string,
  { models, tables }: { readonly models: readonly string[]; readonly tables: readonly string[] },
): Promise<SwitchCatalog> {
  const { rows } = await tx.query(
    `select
       (select json_build_object('views', m.views) from ${marker} m where m.environment = $1) as marker,
       exists (select 1 from pg_catalog.pg_namespace where nspname = $1) as schema_exists,
       (select coalesce(json_object_agg(t.relname, (
           select coalesce(json_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) order by a.attnum), '[]')
           from pg_catalog.pg_attribute a where a.attrelid = t.oid and a.attnum > 0 and not a.attisdropped)), '{}')
        from pg_catalog.pg_class t join pg_catalog.pg_namespace tn on tn.oid = t.relnamespace
        where tn.nspname = $2 and t.relname = any($3::text[])) as tables,
       (select coalesce(json_object_agg(v.relname, json_build_object(
           'reads', (select case when count(distinct t.oid) = 1 and bool_and(tn.nspname = $2) then min(t.relname) end
                     from pg_catalog.pg_rewrite r
                     join pg_catalog.pg_depend d on d.objid = r.oid and d.classid = 'pg_catalog.pg_rewrite'::regclass
                     join pg_catalog.pg_class t on t.oid = d.refobjid and d.refclassid = 'pg_catalog.pg_class'::regclass
                     join pg_catalog.pg_namespace tn on tn.oid = t.relnamespace
                     where r.ev_class = v.oid and t.oid <> v.oid),
           'columns', (select coalesce(json_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) order by a.attnum), '[]')
                       from pg_catalog.pg_attribute a where a.attrelid = v.oid and a.attnum > 0 and not a.attisdropped))), '{}')
        from pg_catalog.pg_class v join pg_catalog.pg_namespace n on n.oid = v.relnamespace
        where n.nspname = $1 and v.relkind = 'v' and v.relname = any($4::text[])) as views`,
    { params: [environment, PHYSICAL_SCHEMA, [...tables], [...models]] },
  );
  const row = rows[0] ?? {};
  const markerRow = row['marker'] as { views: string | null } | null | undefined;
  const tableColumns = (row['tables'] ?? {}) as Record<string, string[]>;
  const viewInfo = (row['views'] ?? {}) as Record<string, { reads: string | null; columns: string[] }>;
  return {
    marker: markerRow ?? undefined,
    schemaExists: row['schema_exists'] === true,
    tables: new Map(Object.entries(tableColumns)),
    views: new Map(Object.entries(viewInfo)),
  };
}
