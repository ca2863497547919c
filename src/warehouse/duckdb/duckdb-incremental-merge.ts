/**
 * DuckDB's incremental refresh, in one transaction: the increment beyond the table's watermark
 * (minus the lookback when there is a unique key) is staged in a temporary table, rows it
 * supersedes are deleted by key, and it is inserted by column name (`INSERT … BY NAME`, so a
 * model whose query lists its columns in another order still lands in the right columns).
 */
import type {
  IncrementalMerge,
  IncrementalSettings,
  IncrementResult,
  RelationRef,
  Warehouse,
} from '../warehouse.js';

export class DuckDbIncrementalMerge implements IncrementalMerge {
  readonly #warehouse: Warehouse;

  constructor(warehouse: Warehouse) {
    this.#warehouse = warehouse;
  }

  merge(target: RelationRef, sql: string, settings: IncrementalSettings): Promise<IncrementResult> {
    const warehouse = this.#warehouse;
    const q = (name: string): string => warehouse.quoteIdentifier(name);
    const table = warehouse.quoteRelation(target);
    const time = q(settings.timeColumn);
    const increment = q(`slipway_increment_${target.name}`);
    const lookback = settings.uniqueKey.length > 0 ? Math.max(0, Math.round(settings.lookbackMs ?? 0)) : 0;
    return warehouse.transaction(async (tx) => {
      const count = async (relation: string): Promise<number> =>
        Number((await tx.query(`select count(*) as n from ${relation}`)).rows[0]?.['n'] ?? 0);
      const before = await count(table);
      await tx.execute(
        `CREATE OR REPLACE TEMP TABLE ${increment} AS
         SELECT * FROM (${sql}) AS slipway_source
         WHERE (SELECT max(${time}) FROM ${table}) IS NULL
            OR slipway_source.${time} > (SELECT max(${time}) FROM ${table}) - to_milliseconds($1::BIGINT)`,
        { params: [lookback] },
      );
      const read = await count(increment);
      if (read > 0) {
        if (settings.uniqueKey.length > 0) {
          const match = settings.uniqueKey
            .map((k) => `${table}.${q(k)} = ${increment}.${q(k)}`)
            .join(' AND ');
          await tx.execute(`DELETE FROM ${table} USING ${increment} WHERE ${match}`);
        }
        await tx.execute(`INSERT INTO ${table} BY NAME SELECT * FROM ${increment}`);
      }
      await tx.execute(`DROP TABLE IF EXISTS ${increment}`);
      const rows = await count(table);
      return { read, added: rows - before, rows };
    });
  }
}
