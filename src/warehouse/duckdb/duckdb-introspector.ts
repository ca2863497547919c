/**
 * What a DuckDB database holds: schemas, tables and views, their columns and row counts. It reads
 * `information_schema` of the current database only (attached databases are not Slipway's).
 */

import type { ColumnInfo, QueryResult, RelationInfo, RelationRef, SqlValue } from '../warehouse.js';

/** The one thing the introspector needs: run a parameterised query. */
export type IntrospectionQuery = (sql: string, params: readonly SqlValue[]) => Promise<QueryResult>;

/** Schemas DuckDB creates for its own catalog; never Slipway's. */
const SYSTEM_SCHEMAS = ['information_schema', 'pg_catalog'];

export class DuckDbIntrospector {
  readonly #query: IntrospectionQuery;
  readonly #quoteRelation: (ref: RelationRef) => string;

  constructor(query: IntrospectionQuery, quoteRelation: (ref: RelationRef) => string) {
    this.#query = query;
    this.#quoteRelation = quoteRelation;
  }

  /** User schemas of the current database, sorted. */
  async listSchemas(): Promise<string[]> {
    const result = await this.#query(
      `select schema_name from information_schema.schemata
       where catalog_name = current_database() and schema_name not in ($1, $2)
       order by schema_name`,
      SYSTEM_SCHEMAS,
    );
    return result.rows.map((row) => String(row['schema_name']));
  }

  /** Tables and views of `schema`, sorted by name; empty when the schema does not exist. */
  async listRelations(schema: string): Promise<RelationInfo[]> {
    const result = await this.#query(
      `select table_name, table_type from information_schema.tables
       where table_catalog = current_database() and table_schema = $1
       order by table_name`,
      [schema],
    );
    return result.rows.map((row) => ({
      schema,
      name: String(row['table_name']),
      kind: row['table_type'] === 'VIEW' ? 'view' : 'table',
    }));
  }

  /** Columns in declaration order, or `undefined` when the relation does not exist. */
  async describe(ref: RelationRef): Promise<ColumnInfo[] | undefined> {
    const result = await this.#query(
      `select column_name, data_type, is_nullable from information_schema.columns
       where table_catalog = current_database() and table_schema = $1 and table_name = $2
       order by ordinal_position`,
      [ref.schema, ref.name],
    );
    if (result.rows.length === 0) return undefined;
    return result.rows.map((row) => ({
      name: String(row['column_name']),
      type: String(row['data_type']).toUpperCase(),
      nullable: row['is_nullable'] !== 'NO',
    }));
  }

  /** Exact row count (`count(*)`): DuckDB's stored estimate can lag after deletes. */
  async rowCount(ref: RelationRef): Promise<number> {
    const result = await this.#query(`select count(*) as n from ${this.#quoteRelation(ref)}`, []);
    return Number(result.rows[0]?.['n'] ?? 0);
  }
}
