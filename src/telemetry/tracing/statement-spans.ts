/**
 * Warehouse statements as child spans, with OpenTelemetry's database conventions:
 * `db.system.name` (`duckdb`, `postgresql`), `db.operation.name`, `db.query.text` with every
 * literal replaced (`sanitizeSql`), `db.collection.name` and `db.namespace` where known. Plugged
 * into the warehouse's lifecycle wrapper as its `StatementObserver` by the composition root.
 */
import type { Telemetry } from '../tracer.js';
import { sanitizeSql, sqlOperation } from './sql-text.js';

interface StatementLike {
  readonly method: string;
  readonly sql: string | undefined;
  readonly relation?: { readonly schema: string; readonly name: string };
  readonly engine: string;
}

const METHOD_OPERATIONS: Readonly<Record<string, string>> = {
  transaction: 'TRANSACTION',
  listSchemas: 'SELECT',
  listRelations: 'SELECT',
  describe: 'SELECT',
  rowCount: 'SELECT',
  createSchema: 'CREATE SCHEMA',
  createTableAs: 'CREATE TABLE',
  createView: 'CREATE VIEW',
  replaceViews: 'CREATE VIEW',
  dropTable: 'DROP TABLE',
  dropView: 'DROP VIEW',
};

/** The semantic-conventions name of an engine (`postgres` is `postgresql` there). */
export function dbSystemName(engine: string): string {
  return engine === 'postgres' ? 'postgresql' : engine;
}

export function statementSpans(telemetry: Telemetry) {
  return {
    observe: function traceStatement<T>(statement: StatementLike, work: () => Promise<T>): Promise<T> {
      const operation =
        METHOD_OPERATIONS[statement.method] ?? (statement.sql ? sqlOperation(statement.sql) : 'UNKNOWN');
      const attributes: Record<string, string> = {
        'db.system.name': dbSystemName(statement.engine),
        'db.operation.name': operation,
        'slipway.warehouse.method': statement.method,
      };
      if (statement.sql) attributes['db.query.text'] = sanitizeSql(statement.sql);
      if (statement.relation) {
        attributes['db.namespace'] = statement.relation.schema;
        if (statement.relation.name) attributes['db.collection.name'] = statement.relation.name;
      }
      const target = statement.relation?.name
        ? ` ${statement.relation.schema}.${statement.relation.name}`
        : '';
      return telemetry.span(`${operation}${target}`, attributes, () => work());
    },
  };
}
