/**
 * Deterministic synthetic data for the JKL Enterprises card-fraud reference project.
 *
 * Every row is produced by SQL pushed to DuckDB (`range()` plus hash-based pseudo-randomness), and
 * written straight to Parquet with `COPY`; no data flows through Node. The same seed, scale and
 * slice always give the same rows (rows are written ordered by their key), because every random
 * draw is `hash(seed, key, salt)` rather than `random()`, which is not reproducible in parallel.
 *
 * Slice 0 is the initial history (30 days); slice N > 0 is the following day N, with txn ids that
 * continue after the previous slice, a few late events that belong to the previous window, and
 * re-emitted customers whose attributes changed. Planted fraud patterns (card-testing bursts,
 * risky merchants, device farms, geo mismatch, amount spikes) give the features real signal.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  COUNTRIES,
  CURRENCIES,
  Draws,
  ECOM_ONLY_MCC,
  MCC_GROUPS,
  mapCase,
  NORMAL_MCC,
  REGIONS,
  RISKY_MCC,
} from './jkl-fraud-sql.js';

export interface GenerateJklDataOptions {
  /** Runs one SQL statement on a DuckDB connection the caller owns. */
  readonly exec: (sql: string) => Promise<void>;
  /**
   * Optional: runs a `select count(*) …` and returns the count. When given, the summary carries
   * the row count of every file written; otherwise counts are `null`.
   */
  readonly queryCount?: (sql: string) => Promise<number>;
  /** Folder that receives `<table>/part-<slice>.parquet`. */
  readonly dataDir: string;
  /** 1 ≈ 1,000,000 transactions over 30 days; 0.01 ≈ 10,000. */
  readonly scale: number;
  readonly seed?: number;
  /** 0 = initial history; N > 0 = the next day after slice N-1. */
  readonly slice?: number;
  /**
   * First day of the 30-day history (`YYYY-MM-DD`, UTC; default 2026-01-01). `init` can pass a
   * date 30 days back so freshness checks pass; the rows are a function of it like of the seed.
   */
  readonly historyStart?: string;
  readonly onProgress?: (message: string) => void;
}

export type JklTable = 'card_transactions' | 'customers' | 'merchants' | 'devices' | 'chargebacks';

export interface GeneratedFile {
  readonly table: JklTable;
  readonly file: string;
  /** Rows in the file, when `queryCount` was given. */
  readonly rows: number | null;
}

export interface GeneratedSummary {
  readonly seed: number;
  readonly scale: number;
  readonly slice: number;
  /** Inclusive txn_id range reserved for this slice (ids inside it may be unused). */
  readonly txnIdRange: readonly [number, number];
  /** Window the slice's transactions belong to (ISO timestamps, UTC, end exclusive). */
  readonly window: { readonly start: string; readonly end: string };
  readonly files: readonly GeneratedFile[];
  /** Rows per table (only tables written in this slice; `null` without `queryCount`). */
  readonly counts: Readonly<Partial<Record<JklTable, number | null>>>;
}

/** The sizes derived from the scale; ids and ranges are pure functions of these and the slice. */
interface Sizes {
  /** `YYYY-MM-DD 00:00:00` of the first history day. */
  readonly historyStart: string;
  readonly customers: number;
  readonly cards: number;
  readonly merchants: number;
  readonly devices: number;
  readonly farmDevices: number;
  readonly history: { readonly normal: number; readonly bursts: number };
  readonly daily: { readonly normal: number; readonly bursts: number };
}

const DEFAULT_HISTORY_START = '2026-01-01';
const HISTORY_DAYS = 30;
/** Id slots per card-testing burst; a burst uses 5–30 of them. */
const BURST_SLOTS = 32;
const MEAN_BURST_ROWS = 17;

/** Quote a value as a SQL string literal; refuses NUL, which no engine path accepts. */
export function sqlStringLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('a path embedded in SQL may not contain a NUL character');
  return `'${value.replaceAll("'", "''")}'`;
}

function sizesFor(scale: number, historyStart: string): Sizes {
  const total = Math.max(200, Math.round(1_000_000 * scale));
  const customers = Math.max(50, Math.round(total / 20));
  const cards = Math.round(customers * 1.3);
  const devices = Math.max(20, Math.round(cards * 0.9));
  const historyBursts = Math.max(4, Math.round(total * 0.0008));
  const daily = Math.max(20, Math.round(total / HISTORY_DAYS));
  const dailyBursts = Math.max(1, Math.round(daily * 0.0008));
  return {
    historyStart: `${historyStart} 00:00:00`,
    customers,
    cards,
    merchants: Math.max(200, Math.round(3000 * scale)),
    devices,
    farmDevices: Math.max(3, Math.round(devices * 0.002)),
    history: { normal: Math.max(0, total - historyBursts * MEAN_BURST_ROWS), bursts: historyBursts },
    daily: { normal: Math.max(0, daily - dailyBursts * MEAN_BURST_ROWS), bursts: dailyBursts },
  };
}

function idSpan(part: { readonly normal: number; readonly bursts: number }): number {
  return part.normal + part.bursts * BURST_SLOTS;
}

/** First txn_id of a slice: slice 0 starts at 1, each later slice right after the previous one. */
function firstTxnId(sizes: Sizes, slice: number): number {
  if (slice === 0) return 1;
  return 1 + idSpan(sizes.history) + (slice - 1) * idSpan(sizes.daily);
}

/** Expressions shared by the dimension tables and the transactions, so both always agree. */
function entityExprs(d: Draws, sizes: Sizes) {
  return {
    homeCountry: (c: string) => d.pick(d.u('home', c), COUNTRIES),
    baseAmount: (c: string) => `(8 + 150 * pow(${d.u('amt', c)}, 2))`,
    isRisky: (m: string) => `(${d.u('risky', m)} < 0.03)`,
    mcc: (m: string) =>
      `(case when ${d.u('risky', m)} < 0.03 then ${d.pick(d.u('rmcc', m), RISKY_MCC)} ` +
      `else ${d.pick(d.u('mcc', m), NORMAL_MCC)} end)`,
    isCompromised: (card: string) => `(${d.u('comp', card)} < 0.02)`,
    homeDevice: (card: string) =>
      `(${sizes.farmDevices} + (((${card}) * 9) // 10) % ${sizes.devices - sizes.farmDevices})`,
  };
}

function windowOf(sizes: Sizes, slice: number): { readonly start: string; readonly days: number } {
  const start = new Date(`${sizes.historyStart.replace(' ', 'T')}Z`);
  if (slice > 0) start.setUTCDate(start.getUTCDate() + HISTORY_DAYS + slice - 1);
  const iso = start.toISOString().replace('T', ' ').slice(0, 19);
  return { start: iso, days: slice === 0 ? HISTORY_DAYS : 1 };
}

/** The full transaction query of a slice, with the hidden `is_fraud` truth column. */
function transactionsSql(d: Draws, sizes: Sizes, slice: number): string {
  const e = entityExprs(d, sizes);
  const part = slice === 0 ? sizes.history : sizes.daily;
  const base = firstTxnId(sizes, slice);
  const { start, days } = windowOf(sizes, slice);
  const seconds = days * 86_400;
  const ws = `TIMESTAMP '${start}'`;
  const sl = String(slice);
  const K = sizes.cards;
  const M = sizes.merchants;
  const F = sizes.farmDevices;
  const otherCountry = (home: string, draw: string) =>
    `(case when ${d.pick(draw, COUNTRIES)} = ${home} then 'US' else ${d.pick(draw, COUNTRIES)} end)`;
  const foreign = (home: string, draw: string) =>
    `(case when ${home} = 'US' then ${d.pick(draw, COUNTRIES.slice(1))} else ${otherCountry(home, draw)} end)`;

  const normal = `
    select ${base} + i as txn_id, i as k, false as is_burst,
      floor(${K} * pow(${d.u('card', 'i', sl)}, 1.15))::BIGINT as card_idx,
      floor(${M} * pow(${d.u('merchant', 'i', sl)}, 1.6))::BIGINT as merchant_idx,
      ${ws} + to_seconds(floor(${d.u('ts', 'i', sl)} * ${seconds})::BIGINT) as event_ts0
    from range(${part.normal}) t(i)`;
  const burst = `i // ${BURST_SLOTS}`;
  const bursts = `
    select ${base + part.normal} + i as txn_id, i as k, true as is_burst,
      floor(${K} * ${d.u('bcard', burst, sl)})::BIGINT as card_idx,
      floor(${M} * ${d.u('bmerchant', burst, sl)})::BIGINT as merchant_idx,
      ${ws} + to_seconds((floor(${d.u('bstart', burst, sl)} * ${seconds - 3600})
        + (i % ${BURST_SLOTS}) * 100 + floor(${d.u('bjit', 'i', sl)} * 90))::BIGINT) as event_ts0
    from range(${part.bursts * BURST_SLOTS}) t(i)
    where i % ${BURST_SLOTS} < 5 + floor(26 * ${d.u('blen', burst, sl)})`;

  return `
with draws as (
  ${normal}
  union all
  ${bursts}
), keyed as (
  select *,
    card_idx % ${sizes.customers} as cust_idx,
    ${e.mcc('merchant_idx')} as mcc,
    ${e.isRisky('merchant_idx')} as risky_merchant,
    ${e.isCompromised('card_idx')} as compromised
  from draws
), truth as (
  select *,
    ${e.homeCountry('cust_idx')} as home_country,
    ${e.baseAmount('cust_idx')} as base_amount,
    is_burst or ${d.u('fraud', 'k', sl, 'is_burst::INT')} <
      0.0005 + (case when compromised then 0.2 else 0 end) + (case when risky_merchant then 0.07 else 0 end)
      as is_fraud,
    ${d.u('x1', 'k', sl, 'is_burst::INT')} as x1,
    ${d.u('x2', 'k', sl, 'is_burst::INT')} as x2,
    ${d.u('x3', 'k', sl, 'is_burst::INT')} as x3,
    ${d.u('x4', 'k', sl, 'is_burst::INT')} as x4,
    ${d.u('x5', 'k', sl, 'is_burst::INT')} as x5
  from keyed
), shaped as (
  select *,
    case
      when is_burst then 'ecom'
      when mcc = '6011' then 'atm'
      when mcc in (${ECOM_ONLY_MCC.map((m) => `'${m}'`).join(', ')}) then 'ecom'
      when x1 < 0.8 then 'pos'
      else 'ecom'
    end as channel,
    case
      when (is_fraud and x2 < ${burstAware('0.5', '0.7')}) or (not is_fraud and x2 < 0.05)
        then ${foreign('home_country', 'x3')}
      else home_country
    end as country,
    case
      when is_fraud and (is_burst or x4 < 0.5) then floor(${F} * x5)::BIGINT
      when x4 > 0.95 then ${F} + floor(${sizes.devices - F} * x5)::BIGINT
      else ${e.homeDevice('card_idx')}
    end as device_idx,
    case
      when is_burst then x4 < 0.6
      when is_fraud then x4 < 0.45
      else x1 > 0.965
    end as declined,
    case
      when ${slice} > 0 and not is_burst and x5 < 0.01
        then ${ws} - to_seconds(floor(1 + x3 * 10799)::BIGINT)
      else event_ts0
    end as event_ts
  from truth
)
select
  txn_id,
  card_idx + 1 as card_id,
  cust_idx + 1 as customer_id,
  merchant_idx + 1 as merchant_id,
  device_idx + 1 as device_id,
  round(case
    when is_burst then 0.5 + 4.5 * x3
    when channel = 'atm' then 20 * (1 + floor(x3 * 10))
    when is_fraud and x1 < 0.6 then base_amount * (4 + 11 * x3)
    else base_amount * (0.2 + 1.6 * x3)
  end, 2)::DECIMAL(12, 2) as amount,
  ${mapCase('country', CURRENCIES, 'EUR')} as currency,
  case when declined then 'declined' else 'approved' end as status,
  event_ts,
  case
    when event_ts < ${ws} then ${ws} + to_seconds(floor(60 + x2 * 1800)::BIGINT)
    when x5 > 0.995 then event_ts + to_seconds(floor(3600 + x2 * 39600)::BIGINT)
    else event_ts + to_seconds(floor(1 + x2 * 120)::BIGINT)
  end as loaded_at,
  channel,
  country,
  is_fraud,
  x1 as x_cb,
  x4 as x_cb2
from shaped`;
}

/** Burst-aware probability: a burst txn uses the second value (kept readable in the SQL). */
function burstAware(normal: string, burst: string): string {
  return `(case when is_burst then ${burst} else ${normal} end)`;
}

function chargebacksSql(d: Draws, sizes: Sizes, slice: number): string {
  const txns = transactionsSql(d, sizes, slice);
  const u = d.u('cb', 'txn_id');
  const r = d.u('cbr', 'txn_id');
  return `
select
  txn_id as chargeback_id,
  txn_id,
  case
    when is_fraud then (case when ${r} < 0.7 then '10.4' else '10.5' end)
    else (case when ${r} < 0.5 then '13.1' when ${r} < 0.8 then '13.3' else '12.6' end)
  end as reason_code,
  case when not is_fraud and ${r} > 0.9 then round(amount / 2, 2)::DECIMAL(12, 2) else amount end as amount,
  event_ts + to_seconds(floor(86400 * (2 + 40 * ${u}))::BIGINT) as reported_ts,
  is_fraud
from (${txns}) t
where status = 'approved'
  and ((is_fraud and ${u} < 0.85) or (not is_fraud and ${u} < 0.0015))`;
}

function customersSql(d: Draws, sizes: Sizes, slice: number): string {
  const e = entityExprs(d, sizes);
  const segments: readonly (readonly [string, number])[] = [
    ['retail', 0.6],
    ['premium', 0.15],
    ['business', 0.15],
    ['student', 0.1],
  ];
  const { start } = windowOf(sizes, slice);
  const ws = `TIMESTAMP '${start}'`;
  const signup = `(DATE '${sizes.historyStart.slice(0, 10)}' - (30 + floor(2000 * ${d.u('signup', 'c')}))::INT)`;
  const columns = (version: string, updatedAt: string) => `
    c + 1 as customer_id,
    'Customer ' || lpad((c + 1)::VARCHAR, 7, '0') as name,
    ${d.pick(d.u('seg', 'c', version), segments)} as segment,
    ${e.homeCountry('c')} as home_country,
    ${mapCase(e.homeCountry('c'), REGIONS, 'EMEA')} as region,
    ${signup} as signup_date,
    ${updatedAt} as updated_at`;
  if (slice === 0) {
    const current = `${ws} - to_seconds(floor(86400 + ${d.u('upd', 'c')} * 86400 * 28)::BIGINT)`;
    const older = `${signup}::TIMESTAMP + INTERVAL 1 DAY`;
    return `
select * from (
  select ${columns('1', current)} from range(${sizes.customers}) t(c)
  union all
  select ${columns('0', older)} from range(${sizes.customers}) t(c) where ${d.u('old', 'c')} < 0.01
) order by customer_id, updated_at`;
  }
  const changed = `${ws} + to_seconds(floor(${d.u('upd', 'c', String(slice))} * 86399)::BIGINT)`;
  return `
select ${columns(String(slice + 1), changed)}
from range(${sizes.customers}) t(c)
where ${d.u('chg', 'c', String(slice))} < 0.02
order by customer_id`;
}

function merchantsSql(d: Draws, sizes: Sizes): string {
  const e = entityExprs(d, sizes);
  const mcc = e.mcc('m');
  const country = d.pick(d.u('mcountry', 'm'), COUNTRIES);
  return `
select
  m + 1 as merchant_id,
  'Merchant ' || lpad((m + 1)::VARCHAR, 5, '0') as name,
  ${mcc} as mcc,
  ${mapCase(mcc, MCC_GROUPS, 'retail_misc')} as mcc_group,
  ${country} as country,
  ${mapCase(country, REGIONS, 'EMEA')} as region
from range(${sizes.merchants}) t(m)
order by merchant_id`;
}

function devicesSql(d: Draws, sizes: Sizes): string {
  const ws = `TIMESTAMP '${sizes.historyStart}'`;
  const types: readonly (readonly [string, number])[] = [
    ['ios', 0.4],
    ['android', 0.4],
    ['web', 0.2],
  ];
  return `
select
  i + 1 as device_id,
  case when i < ${sizes.farmDevices} then 'android' else ${d.pick(d.u('dtype', 'i'), types)} end as device_type,
  ${ws} - to_seconds(floor(86400 * (case when i < ${sizes.farmDevices} then 20 else 400 end)
    * ${d.u('dseen', 'i')})::BIGINT) as first_seen_ts
from range(${sizes.devices}) t(i)
order by device_id`;
}

/**
 * Generate one slice of JKL card-fraud data as Parquet files under `dataDir`.
 *
 * @example
 * const instance = await DuckDBInstance.create(':memory:');
 * const conn = await instance.connect();
 * await generateJklData({ exec: async (q) => void (await conn.run(q)), dataDir: 'data', scale: 0.01 });
 */
export async function generateJklData(options: GenerateJklDataOptions): Promise<GeneratedSummary> {
  const {
    exec,
    queryCount,
    dataDir,
    scale,
    seed = 42,
    slice = 0,
    historyStart = DEFAULT_HISTORY_START,
    onProgress,
  } = options;
  if (!Number.isFinite(scale) || scale <= 0 || scale > 1000) {
    throw new RangeError(`scale must be a number in (0, 1000], got ${scale}`);
  }
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!Number.isSafeInteger(slice) || slice < 0 || slice > 9999) {
    throw new RangeError(`slice must be an integer in [0, 9999], got ${slice}`);
  }
  sqlStringLiteral(dataDir);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(historyStart) || Number.isNaN(Date.parse(`${historyStart}T00:00:00Z`))) {
    throw new RangeError(`historyStart must be a YYYY-MM-DD date, got ${JSON.stringify(historyStart)}`);
  }

  const sizes = sizesFor(scale, historyStart);
  const draws = new Draws(seed);
  const part = `part-${String(slice).padStart(4, '0')}.parquet`;
  const jobs: (readonly [JklTable, string])[] = [
    [
      'card_transactions',
      `select * exclude (is_fraud, x_cb, x_cb2) from (${transactionsSql(draws, sizes, slice)}) order by txn_id`,
    ],
    ['chargebacks', `${chargebacksSql(draws, sizes, slice)} order by chargeback_id`],
    ['customers', customersSql(draws, sizes, slice)],
  ];
  if (slice === 0) {
    jobs.push(['merchants', merchantsSql(draws, sizes)], ['devices', devicesSql(draws, sizes)]);
  }

  const files: GeneratedFile[] = [];
  const counts: Partial<Record<JklTable, number | null>> = {};
  for (const [table, query] of jobs) {
    const folder = join(dataDir, table);
    const file = join(folder, part);
    await mkdir(folder, { recursive: true });
    onProgress?.(`writing ${table} (slice ${slice})`);
    await exec(`COPY (${query}) TO ${sqlStringLiteral(file)} (FORMAT parquet)`);
    const rows = queryCount
      ? await queryCount(`select count(*) from read_parquet(${sqlStringLiteral(file)})`)
      : null;
    files.push({ table, file, rows });
    counts[table] = rows;
  }

  const win = windowOf(sizes, slice);
  const end = new Date(`${win.start.replace(' ', 'T')}Z`);
  end.setUTCDate(end.getUTCDate() + win.days);
  const first = firstTxnId(sizes, slice);
  return {
    seed,
    scale,
    slice,
    txnIdRange: [first, first + idSpan(slice === 0 ? sizes.history : sizes.daily) - 1],
    window: { start: new Date(`${win.start.replace(' ', 'T')}Z`).toISOString(), end: end.toISOString() },
    files,
    counts,
  };
}
