/**
 * The JKL synthetic data generator against a real in-memory DuckDB: determinism, sizes, key
 * integrity across slices, planted fraud signal and path quoting.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type GeneratedSummary,
  generateJklData,
  sqlStringLiteral,
} from '../src/warehouse/duckdb/reference-data/jkl-fraud-data.js';

const SCALE = 0.01;

describe('generateJklData', () => {
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  const dirs: string[] = [];

  async function freshDir(prefix = 'jkl-data-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  }

  async function generate(dataDir: string, seed: number, slice = 0): Promise<GeneratedSummary> {
    return generateJklData({
      exec: async (sql) => {
        await conn.run(sql);
      },
      queryCount: async (sql) => Number((await conn.runAndReadAll(sql)).getRows()[0]?.[0]),
      dataDir,
      scale: SCALE,
      seed,
      slice,
    });
  }

  async function one(sql: string): Promise<Record<string, unknown>> {
    const rows = (await conn.runAndReadAll(sql)).getRowObjectsJson();
    return rows[0] ?? {};
  }

  const files = (dir: string, table: string) => sqlStringLiteral(join(dir, table, '*.parquet'));

  let seed42: string;
  let summary0: GeneratedSummary;
  let summary1: GeneratedSummary;

  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:', { threads: '2' });
    conn = await instance.connect();
    seed42 = await freshDir();
    summary0 = await generate(seed42, 42, 0);
    summary1 = await generate(seed42, 42, 1);
  });

  afterAll(async () => {
    conn.closeSync();
    instance.closeSync();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('writes every table of slice 0 and the incremental tables of slice 1', async () => {
    expect(summary0.files.map((f) => f.table).sort()).toEqual([
      'card_transactions',
      'chargebacks',
      'customers',
      'devices',
      'merchants',
    ]);
    expect(summary1.files.map((f) => f.table).sort()).toEqual([
      'card_transactions',
      'chargebacks',
      'customers',
    ]);
    for (const f of [...summary0.files, ...summary1.files]) {
      expect(f.file).toMatch(/part-000[01]\.parquet$/);
    }
    expect(await readdir(join(seed42, 'card_transactions'))).toEqual([
      'part-0000.parquet',
      'part-0001.parquet',
    ]);
  });

  it('produces the same rows for the same seed and different rows for another seed', async () => {
    const again = await freshDir();
    const other = await freshDir();
    await generate(again, 42, 0);
    await generate(other, 7, 0);
    for (const table of ['card_transactions', 'customers', 'merchants', 'devices', 'chargebacks']) {
      const a = await one(
        `select count(*) n from read_parquet(${sqlStringLiteral(join(seed42, table, 'part-0000.parquet'))})`,
      );
      const b = await one(`select count(*) n from read_parquet(${files(again, table)})`);
      expect(b['n']).toBe(a['n']);
    }
    const txnA = await checksumOf(join(seed42, 'card_transactions', 'part-0000.parquet'));
    expect(await checksumOf(join(again, 'card_transactions', 'part-0000.parquet'))).toBe(txnA);
    expect(await checksumOf(join(other, 'card_transactions', 'part-0000.parquet'))).not.toBe(txnA);
    expect(await checksumOf(join(again, 'chargebacks', 'part-0000.parquet'))).toBe(
      await checksumOf(join(seed42, 'chargebacks', 'part-0000.parquet')),
    );
    expect(await checksumOf(join(seed42, 'customers', 'part-0000.parquet'))).toBe(
      await checksumOf(join(again, 'customers', 'part-0000.parquet')),
    );
  });

  /** An order-independent checksum of every row of a file. */
  async function checksumOf(file: string): Promise<string> {
    const row = await one(
      `select count(*)::VARCHAR || ':' || bit_xor(hash(t::VARCHAR))::VARCHAR || ':' || sum(hash(t::VARCHAR) % 1000003)::VARCHAR as c
       from read_parquet(${sqlStringLiteral(file)}) t`,
    );
    return String(row['c']);
  }

  it('sizes tables from the scale', () => {
    const c = summary0.counts;
    expect(c.card_transactions).toBeGreaterThan(9_000);
    expect(c.card_transactions).toBeLessThan(11_000);
    expect(c.customers).toBeGreaterThanOrEqual(500);
    expect(c.customers).toBeLessThan(520);
    expect(c.merchants).toBe(200);
    expect(c.devices).toBe(585);
    expect(summary1.counts.card_transactions).toBeGreaterThan(250);
    expect(summary1.counts.card_transactions).toBeLessThan(450);
  });

  it('keeps keys valid: customer_id positive and never null, txn_id unique across slices', async () => {
    const t = await one(
      `select count(*) n, count(distinct txn_id) ids, count(*) filter (where customer_id is null or customer_id < 1) bad,
         min(txn_id) lo, max(txn_id) hi
       from read_parquet(${files(seed42, 'card_transactions')})`,
    );
    expect(Number(t['bad'])).toBe(0);
    expect(Number(t['ids'])).toBe(Number(t['n']));
    expect(Number(t['lo'])).toBeGreaterThanOrEqual(summary0.txnIdRange[0]);
    expect(Number(t['hi'])).toBeLessThanOrEqual(summary1.txnIdRange[1]);
    expect(summary1.txnIdRange[0]).toBe(summary0.txnIdRange[1] + 1);
    const c = await one(
      `select count(*) filter (where customer_id is null or customer_id < 1) bad from read_parquet(${files(seed42, 'customers')})`,
    );
    expect(Number(c['bad'])).toBe(0);
    const orphans = await one(
      `select count(*) n from read_parquet(${files(seed42, 'card_transactions')}) t
       anti join read_parquet(${files(seed42, 'merchants')}) m using (merchant_id)`,
    );
    expect(Number(orphans['n'])).toBe(0);
  });

  it('makes slice 1 the next day, with late events and changed customers', async () => {
    const s = await one(
      `select min(event_ts)::VARCHAR lo, max(event_ts)::VARCHAR hi,
         count(*) filter (where event_ts < TIMESTAMP '2026-01-31') late,
         count(*) filter (where loaded_at < TIMESTAMP '2026-01-31') loaded_early
       from read_parquet(${sqlStringLiteral(join(seed42, 'card_transactions', 'part-0001.parquet'))})`,
    );
    expect(String(s['hi']) < '2026-02-01').toBe(true);
    expect(Number(s['late'])).toBeGreaterThan(0);
    expect(Number(s['loaded_early'])).toBe(0);
    const changed = await one(
      `select count(*) n, min(updated_at)::VARCHAR first_update
       from read_parquet(${sqlStringLiteral(join(seed42, 'customers', 'part-0001.parquet'))})`,
    );
    expect(Number(changed['n'])).toBeGreaterThan(0);
    expect(String(changed['first_update']) >= '2026-01-31').toBe(true);
  });

  it('anchors the history at historyStart', async () => {
    const dir = await freshDir();
    const result = await generateJklData({
      exec: async (sql) => {
        await conn.run(sql);
      },
      dataDir: dir,
      scale: SCALE,
      historyStart: '2026-10-01',
    });
    expect(result.window).toEqual({ start: '2026-10-01T00:00:00.000Z', end: '2026-10-31T00:00:00.000Z' });
    expect(result.counts.card_transactions).toBeNull();
    const r = await one(
      `select min(event_ts)::VARCHAR lo, max(event_ts)::VARCHAR hi from read_parquet(${files(dir, 'card_transactions')})`,
    );
    expect(String(r['lo']) >= '2026-10-01').toBe(true);
    expect(String(r['hi']) < '2026-10-31').toBe(true);
  });

  it('gives plausible approval and chargeback rates', async () => {
    const r = await one(
      `select avg((status = 'approved')::INT) approval,
         (select count(*) from read_parquet(${files(seed42, 'chargebacks')})) / count(*) chargeback_rate
       from read_parquet(${files(seed42, 'card_transactions')})`,
    );
    expect(Number(r['approval'])).toBeGreaterThan(0.9);
    expect(Number(r['approval'])).toBeLessThan(0.97);
    expect(Number(r['chargeback_rate'])).toBeGreaterThan(0.001);
    expect(Number(r['chargeback_rate'])).toBeLessThan(0.02);
  });

  it('plants fraud signal: bursts, shared devices and geo mismatch carry far more fraud', async () => {
    await conn.run(`
      create or replace temp view labelled as
      select t.*, coalesce(cb.is_fraud, false) as fraud,
        count(*) filter (where t.amount < 5) over (
          partition by t.card_id order by t.event_ts range between interval 1 hour preceding and current row
        ) as small_1h
      from read_parquet(${files(seed42, 'card_transactions')}) t
      left join read_parquet(${files(seed42, 'chargebacks')}) cb using (txn_id)`);
    const r = await one(`
      with burst_cards as (select distinct card_id from labelled where small_1h >= 5),
      shared as (select device_id from labelled group by device_id having count(distinct card_id) >= 10),
      home as (select customer_id, arg_max(home_country, updated_at) home_country
               from read_parquet(${files(seed42, 'customers')}) group by customer_id)
      select
        avg(fraud::INT) base,
        avg(fraud::INT) filter (where card_id in (select card_id from burst_cards)) burst_cards,
        avg(fraud::INT) filter (where device_id in (select device_id from shared)) shared_devices,
        avg(fraud::INT) filter (where country <> home_country) geo_mismatch,
        (select count(*) from burst_cards) n_burst_cards
      from labelled join home using (customer_id)`);
    const base = Number(r['base']);
    expect(base).toBeGreaterThan(0);
    expect(Number(r['n_burst_cards'])).toBeGreaterThanOrEqual(3);
    expect(Number(r['burst_cards'])).toBeGreaterThan(5 * base);
    expect(Number(r['shared_devices'])).toBeGreaterThan(5 * base);
    expect(Number(r['geo_mismatch'])).toBeGreaterThan(5 * base);
    const merchants = await one(`
      with per_merchant as (
        select merchant_id, count(*) filter (where fraud) f, count(*) filter (where status = 'approved') a
        from labelled group by merchant_id
      )
      select sum(f) filter (where f >= 3)::DOUBLE / sum(a) filter (where f >= 3) risky,
             sum(f) filter (where f < 3)::DOUBLE / sum(a) filter (where f < 3) rest
      from per_merchant`);
    expect(Number(merchants['risky'])).toBeGreaterThan(5 * Number(merchants['rest']));
  });

  it('embeds paths with quotes safely and refuses NUL', async () => {
    const parent = await freshDir("jkl-o'brien-");
    const dir = join(parent, "data 'quoted'");
    const result = await generate(dir, 1, 0);
    expect(result.counts.merchants).toBe(200);
    expect(sqlStringLiteral("a'b")).toBe("'a''b'");
    await expect(
      generateJklData({ exec: async () => {}, dataDir: 'bad\0dir', scale: SCALE }),
    ).rejects.toThrow(/NUL/);
  });

  it('validates scale, seed and slice', async () => {
    const exec = async () => {};
    await expect(generateJklData({ exec, dataDir: 'x', scale: 0 })).rejects.toThrow(RangeError);
    await expect(generateJklData({ exec, dataDir: 'x', scale: 0.01, slice: -1 })).rejects.toThrow(RangeError);
    await expect(generateJklData({ exec, dataDir: 'x', scale: 0.01, seed: 1.5 })).rejects.toThrow(RangeError);
    await expect(
      generateJklData({ exec, dataDir: 'x', scale: 0.01, historyStart: "2026-01-01'; drop" }),
    ).rejects.toThrow(RangeError);
  });
});
