/**
 * DDL under PostgreSQL's rules, inside the caller's transaction: creating the schemas that are
 * missing (a role without the CREATE privilege told so in one line), and replacing a table or a
 * view the way DuckDB's `CREATE OR REPLACE` behaves. PostgreSQL has no `CREATE OR REPLACE TABLE`, and its views are bound
 * to the tables they read when created (by OID, with their column lists expanded): a table that
 * views read cannot simply be dropped, and `CREATE OR REPLACE VIEW` refuses to drop, rename or
 * retype a view's columns. So:
 * - a table is built beside the old one, the old one is dropped with the views that read it, the
 *   new one takes its name, and those views are created again from their own definitions (they
 *   keep the columns they had: `information_schema.columns` stays what they return);
 * - a view is replaced in place where its columns allow it (its dependents survive), and dropped
 *   and created again where they do not.
 */

import { randomBytes } from 'node:crypto';
import { InvalidArgumentError } from '../../core/errors.js';
import type { ExecuteOptions, RelationRef, Warehouse, WarehouseTransaction } from '../warehouse.js';
import { describeTarget } from './postgres-connection-pool.js';

type Quoting = Pick<Warehouse, 'quoteIdentifier' | 'quoteRelation'>;

/** SQLSTATE of "permission denied". */
const INSUFFICIENT_PRIVILEGE = '42501';
/** SQLSTATEs of `CREATE OR REPLACE VIEW` refusing to change a view's columns. */
const VIEW_COLUMNS_CHANGED = new Set(['42P16', '42804']);

/**
 * Creates those of `schemas` that do not exist. Looking first lets a role without the CREATE
 * privilege work in schemas made for it beforehand; `url` names the user and database in the
 * message when it may not create one (never its password).
 */
export async function createMissingSchemas(
  tx: WarehouseTransaction,
  quoting: Quoting,
  url: string,
  schemas: readonly string[],
): Promise<void> {
  const { rows } = await tx.query(
    'select nspname from pg_catalog.pg_namespace where nspname = any($1::text[])',
    {
      params: [[...schemas]],
    },
  );
  const present = new Set(rows.map((row) => String(row['nspname'])));
  for (const schema of schemas.filter((s) => !present.has(s))) {
    try {
      await tx.execute(`CREATE SCHEMA IF NOT EXISTS ${quoting.quoteIdentifier(schema)}`);
    } catch (error) {
      if (sqlState(error) !== INSUFFICIENT_PRIVILEGE) throw error;
      const { user, database } = describeTarget(url);
      throw new InvalidArgumentError(
        `PostgreSQL user ${user} may not create the schema ${schema} in database ${database}`,
        {
          hint: `grant it the privilege (GRANT CREATE ON DATABASE ${quoting.quoteIdentifier(database)} TO ${quoting.quoteIdentifier(user)}) or create the schema for it beforehand`,
          cause: error,
        },
      );
    }
  }
}

/** `CREATE OR REPLACE TABLE ref AS sql`, keeping (re-creating) the views that read the table. */
export async function replaceTable(
  tx: WarehouseTransaction,
  quoting: Quoting,
  ref: RelationRef,
  sql: string,
  options?: ExecuteOptions,
): Promise<void> {
  const target = quoting.quoteRelation(ref);
  const { rows } = await tx.query('select to_regclass($1) is not null as present', { params: [target] });
  if (rows[0]?.['present'] !== true) {
    await tx.execute(`CREATE TABLE ${target} AS ${sql}\n`, options);
    return;
  }
  const staging = `slipway_new_${randomBytes(6).toString('hex')}`;
  await tx.execute(
    `CREATE TABLE ${quoting.quoteRelation({ schema: ref.schema, name: staging })} AS ${sql}\n`,
    options,
  );
  const dependents = await dependentViews(tx, target);
  await tx.execute(
    [
      `DROP TABLE ${target} CASCADE`,
      `ALTER TABLE ${quoting.quoteRelation({ schema: ref.schema, name: staging })} RENAME TO ${quoting.quoteIdentifier(ref.name)}`,
      ...dependents.map(
        (view) =>
          `CREATE ${view.materialized ? 'MATERIALIZED VIEW' : 'VIEW'} ${quoting.quoteRelation(view)} AS ${view.definition}`,
      ),
    ].join(';\n'),
  );
}

/** `CREATE OR REPLACE VIEW ref AS sql`, or DROP and CREATE where the columns change. */
export async function replaceView(
  tx: WarehouseTransaction,
  quoting: Quoting,
  ref: RelationRef,
  sql: string,
): Promise<void> {
  const view = quoting.quoteRelation(ref);
  await tx.execute('SAVEPOINT slipway_view');
  try {
    await tx.execute(`CREATE OR REPLACE VIEW ${view} AS ${sql}\n`);
    await tx.execute('RELEASE SAVEPOINT slipway_view');
  } catch (error) {
    if (!VIEW_COLUMNS_CHANGED.has(sqlState(error) ?? '')) throw error;
    await tx.execute('ROLLBACK TO SAVEPOINT slipway_view');
    await tx.execute(`DROP VIEW ${view};\nCREATE VIEW ${view} AS ${sql}\n`);
  }
}

interface DependentView extends RelationRef {
  readonly definition: string;
  readonly materialized: boolean;
}

/** Views reading `relation`, directly or through other views, in the order to create them again. */
async function dependentViews(tx: WarehouseTransaction, relation: string): Promise<DependentView[]> {
  const { rows } = await tx.query(
    `with recursive reads(view_oid, depth) as (
       select r.ev_class, 1 from pg_catalog.pg_depend d
       join pg_catalog.pg_rewrite r on r.oid = d.objid
       where d.classid = 'pg_catalog.pg_rewrite'::regclass and d.refclassid = 'pg_catalog.pg_class'::regclass
         and d.refobjid = $1::regclass and r.ev_class <> $1::regclass
       union all
       select r.ev_class, reads.depth + 1 from reads
       join pg_catalog.pg_depend d on d.refobjid = reads.view_oid
       join pg_catalog.pg_rewrite r on r.oid = d.objid
       where d.classid = 'pg_catalog.pg_rewrite'::regclass and d.refclassid = 'pg_catalog.pg_class'::regclass
         and r.ev_class <> reads.view_oid
     )
     select n.nspname, c.relname, c.relkind::text as relkind, pg_get_viewdef(c.oid) as definition,
            max(reads.depth) as depth
     from reads join pg_catalog.pg_class c on c.oid = reads.view_oid
     join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     group by n.nspname, c.relname, c.relkind, c.oid
     order by depth, n.nspname, c.relname`,
    { params: [relation] },
  );
  return rows.map((row) => ({
    schema: String(row['nspname']),
    name: String(row['relname']),
    definition: String(row['definition']).replace(/;\s*$/, ''),
    materialized: row['relkind'] === 'm',
  }));
}

/** The SQLSTATE of a driver error, or of the error a `WarehouseError` wraps. */
export function sqlState(error: unknown): string | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}
