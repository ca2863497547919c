/**
 * What a PostgreSQL database holds: schemas, tables and views, their columns and row counts, read
 * from `pg_catalog` (cheaper than `information_schema`, and it shows relations the role may not
 * select from). Names sort bytewise (`COLLATE "C"`), as DuckDB sorts them, whatever the database's
 * collation; type names are `format_type`'s, upper-cased (`BIGINT`, `NUMERIC(12,2)`,
 * `TIMESTAMP WITH TIME ZONE`).
 */

import type { ColumnInfo, QueryResult, RelationInfo, RelationRef, SqlValue } from '../warehouse.js';

/** The one thing the introspector needs: run a parameterised query. */
export type IntrospectionQuery = (sql: string, params: readonly SqlValue[]) => Promise<QueryResult>;

/** Relation kinds Slipway reads as tables (plain, partitioned, foreign) and as views (plain, materialized). */
const TABLE_KINDS = ['r', 'p', 'f'];
const VIEW_KINDS = ['v', 'm'];

export class PostgresIntrospector {
  readonly #query: IntrospectionQuery;
  readonly #quoteRelation: (ref: RelationRef) => string;

  constructor(query: IntrospectionQuery, quoteRelation: (ref: RelationRef) => string) {
    this.#query = query;
    this.#quoteRelation = quoteRelation;
  }

  /** User schemas of the database (not PostgreSQL's own catalogs or temporary schemas), sorted. */
  async listSchemas(): Promise<string[]> {
    const result = await this.#query(
      `select nspname from pg_catalog.pg_namespace
       where nspname <> 'information_schema' and nspname !~ '^pg_'
       order by nspname collate "C"`,
      [],
    );
    return result.rows.map((row) => String(row['nspname']));
  }

  /** Tables and views of `schema`, sorted by name; empty when the schema does not exist. */
  async listRelations(schema: string): Promise<RelationInfo[]> {
    const result = await this.#query(
      `select c.relname, c.relkind::text as relkind from pg_catalog.pg_class c
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       where n.nspname = $1 and c.relkind::text = any($2::text[])
       order by c.relname collate "C"`,
      [schema, [...TABLE_KINDS, ...VIEW_KINDS]],
    );
    return result.rows.map((row) => ({
      schema,
      name: String(row['relname']),
      kind: VIEW_KINDS.includes(String(row['relkind'])) ? 'view' : 'table',
    }));
  }

  /** Columns in declaration order, or `undefined` when the relation does not exist. */
  async describe(ref: RelationRef): Promise<ColumnInfo[] | undefined> {
    const result = await this.#query(
      `select a.attname, upper(format_type(a.atttypid, a.atttypmod)) as type, a.attnotnull
       from pg_catalog.pg_attribute a
       join pg_catalog.pg_class c on c.oid = a.attrelid
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       where n.nspname = $1 and c.relname = $2 and a.attnum > 0 and not a.attisdropped
       order by a.attnum`,
      [ref.schema, ref.name],
    );
    if (result.rows.length === 0) return undefined;
    return result.rows.map((row) => ({
      name: String(row['attname']),
      type: String(row['type']),
      nullable: row['attnotnull'] !== true,
    }));
  }

  /** Exact row count (`count(*)`): `reltuples` is an estimate, stale until the next ANALYZE. */
  async rowCount(ref: RelationRef): Promise<number> {
    const result = await this.#query(`select count(*) as n from ${this.#quoteRelation(ref)}`, []);
    return Number(result.rows[0]?.['n'] ?? 0);
  }
}
