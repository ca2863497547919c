/**
 * DuckDB's environment pointer: one macro per environment, `slipway_meta.environment_<env>(model)`,
 * that names the physical table each model shows. Every view of the environment reads its model
 * through it (`select * from query_table(slipway_meta.environment_prod('orders'))`), so a switch
 * replaces one macro instead of re-creating every view.
 */
import { quoteStringLiteral } from '../../core/sql-literal.js';
import { META_SCHEMA, PHYSICAL_SCHEMA } from '../../core/warehouse-layout.js';
import type { RelationRef, Warehouse } from '../warehouse.js';

/** The macro that maps each model of the environment to the physical table it shows. */
export function environmentPointer(environment: string): RelationRef {
  return { schema: META_SCHEMA, name: `environment_${environment}` };
}

/** The SQL of an environment's view of `model`: a read through the environment's pointer. */
export function pointerViewSql(
  warehouse: Pick<Warehouse, 'quoteRelation'>,
  environment: string,
  model: string,
): string {
  return `select * from query_table(${warehouse.quoteRelation(environmentPointer(environment))}(${quoteStringLiteral(model)}))`;
}

/**
 * Whether a view's SQL, as DuckDB renders it, reads `model` through the environment's pointer.
 * DuckDB drops the quotes an identifier does not need, so quotes are ignored.
 */
export function readsThroughPointer(sql: string, environment: string, model: string): boolean {
  const plain = sql.replaceAll('"', '');
  const call = `${META_SCHEMA}.${environmentPointer(environment).name}(${quoteStringLiteral(model)})`;
  return /\bquery_table\s*\(/i.test(plain) && plain.includes(call);
}

/**
 * The physical table a pointer value names (`"slipway_physical"."orders__2"`, as the switch writes
 * it), or null for anything else (a table elsewhere, a value edited by hand).
 */
export function pointedPhysicalTable(value: string | null): string | null {
  const match = value === null ? null : /^"((?:[^"]|"")*)"\."((?:[^"]|"")*)"$/.exec(value);
  if (!match || match[1]?.replaceAll('""', '"') !== PHYSICAL_SCHEMA) return null;
  return match[2]?.replaceAll('""', '"') ?? null;
}
