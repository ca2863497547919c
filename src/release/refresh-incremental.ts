/**
 * One incremental refresh, in one warehouse transaction: the rows of the model's query newer
 * than the table's watermark (its latest time_column value, minus the lookback window when the
 * model has a unique key) are merged by unique key — late rows replace what they supersede — or,
 * without a unique key, appended. Running it twice adds nothing twice.
 */
import type { RelationRef, Warehouse } from '../warehouse/warehouse.js';

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

export async function refreshIncremental(
  warehouse: Warehouse,
  target: RelationRef,
  sql: string,
  settings: IncrementalSettings,
): Promise<IncrementResult> {
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
        const match = settings.uniqueKey.map((k) => `${table}.${q(k)} = ${increment}.${q(k)}`).join(' AND ');
        await tx.execute(`DELETE FROM ${table} USING ${increment} WHERE ${match}`);
      }
      await tx.execute(`INSERT INTO ${table} BY NAME SELECT * FROM ${increment}`);
    }
    await tx.execute(`DROP TABLE IF EXISTS ${increment}`);
    const rows = await count(table);
    return { read, added: rows - before, rows };
  });
}
