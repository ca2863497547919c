/**
 * PostgreSQL's incremental refresh, in one transaction: the increment beyond the table's watermark
 * (minus the lookback, as an interval, when there is a unique key) is staged in a temporary table
 * dropped at commit, rows it supersedes are deleted by key, and it is inserted by column name (so a
 * model whose query lists its columns in another order still lands in the right columns).
 *
 * Delete-then-insert rather than `INSERT … ON CONFLICT`: physical tables are built with
 * `CREATE TABLE … AS` and have no unique index for ON CONFLICT to use, and an increment holding a
 * key twice would make `ON CONFLICT DO UPDATE` fail where DuckDB's merge keeps both rows; the same
 * statements give the same result on both engines.
 */
import type {
  IncrementalMerge,
  IncrementalSettings,
  IncrementResult,
  RelationRef,
  Warehouse,
} from '../warehouse.js';

/** The staging table, private to the transaction's session and dropped at its commit. */
const INCREMENT = '"slipway_increment"';

export class PostgresIncrementalMerge implements IncrementalMerge {
  readonly #warehouse: Warehouse;

  constructor(warehouse: Warehouse) {
    this.#warehouse = warehouse;
  }

  merge(target: RelationRef, sql: string, settings: IncrementalSettings): Promise<IncrementResult> {
    const warehouse = this.#warehouse;
    const q = (name: string): string => warehouse.quoteIdentifier(name);
    const table = warehouse.quoteRelation(target);
    const time = q(settings.timeColumn);
    const lookback = settings.uniqueKey.length > 0 ? Math.max(0, Math.round(settings.lookbackMs ?? 0)) : 0;
    // Without a lookback no interval is subtracted, so a numeric time column works too.
    const watermark =
      lookback > 0
        ? `(SELECT max(${time}) FROM ${table}) - $1::bigint * interval '1 millisecond'`
        : `(SELECT max(${time}) FROM ${table})`;
    return warehouse.transaction(async (tx) => {
      const count = async (relation: string): Promise<number> =>
        Number((await tx.query(`select count(*) as n from ${relation}`)).rows[0]?.['n'] ?? 0);
      const before = await count(table);
      await tx.execute(
        `CREATE TEMP TABLE ${INCREMENT} ON COMMIT DROP AS
         SELECT * FROM (${sql}\n) AS slipway_source
         WHERE (SELECT max(${time}) FROM ${table}) IS NULL OR slipway_source.${time} > ${watermark}`,
        lookback > 0 ? { params: [lookback] } : undefined,
      );
      const read = await count(INCREMENT);
      if (read > 0) {
        if (settings.uniqueKey.length > 0) {
          const match = settings.uniqueKey
            .map((k) => `${table}.${q(k)} = ${INCREMENT}.${q(k)}`)
            .join(' AND ');
          await tx.execute(`DELETE FROM ${table} USING ${INCREMENT} WHERE ${match}`);
        }
        const { rows } = await tx.query(
          `select attname from pg_catalog.pg_attribute
           where attrelid = 'pg_temp.slipway_increment'::regclass and attnum > 0 and not attisdropped
           order by attnum`,
        );
        const columns = rows.map((row) => q(String(row['attname']))).join(', ');
        await tx.execute(`INSERT INTO ${table} (${columns}) SELECT ${columns} FROM ${INCREMENT}`);
      }
      await tx.execute(`DROP TABLE IF EXISTS ${INCREMENT}`);
      const rows = await count(table);
      return { read, added: rows - before, rows };
    });
  }
}
