/**
 * A generated project for canary tests: 10,000 customers with 5 card transactions each, at 40
 * merchants in five categories. Only the customers whose id is a multiple of 33 (3 % of them)
 * ever buy at merchant 13, the one jewelry merchant, so a filter that drops the jewelry category
 * changes the output of exactly those customers. The sources are tables in the project's
 * warehouse (`raw.*`: in its DuckDB file, or in a fresh PostgreSQL database), created by
 * `seedCanaryData`; the environment `prod` releases with `canary`.
 */
import type { Warehouse } from '../../src/warehouse/warehouse.js';
import { freshDatabase } from './postgres.js';
import { type EngineProject, type ReleaseEngine, URL_VARIABLE } from './release-engines.js';
import { commitAll, git } from './release-project.js';
import { tempProject } from './temp-project.js';

export const CANARY_CONFIG = `name: canary-test
warehouse:
  default: local
  connections:
    local: { type: duckdb, path: .slipway/warehouse.duckdb, threads: 1 }
state: { type: sqlite, path: .slipway/state.db }
environments:
  prod:
    strategy: canary
    canary:
      key: customer_id
      steps: [5, 25, 100]
      analysis:
        metrics: [{ model: customer_spend, sql: 'sum(total)', tolerance: 1%, name: spend }]
defaults: { concurrency: 1 }
`;

const SOURCES = `sources:
  - name: transactions
    table: raw.transactions
    columns:
      - { name: txn_id, type: BIGINT }
      - { name: customer_id, type: BIGINT }
      - { name: merchant_id, type: BIGINT }
      - { name: amount, type: 'DECIMAL(10,2)' }
  - name: customers
    table: raw.customers
    columns:
      - { name: customer_id, type: BIGINT }
      - { name: segment, type: VARCHAR }
  - name: merchants
    table: raw.merchants
    columns:
      - { name: merchant_id, type: BIGINT }
      - { name: category, type: VARCHAR }
`;

/** The join of transactions and merchants, as released first. */
export const STG_TRANSACTIONS = `select t.txn_id, t.customer_id, t.merchant_id, t.amount, m.category
from transactions t
join merchants m using (merchant_id)
`;

export const CUSTOMER_SPEND = `/* @slipway
kind: table
columns:
  customer_id: { checks: [not_null, unique, { relationships: { to: dim_customers, field: customer_id } }] }
*/
select customer_id, count(*) as txn_count, sum(amount) as total, count(distinct category) as categories
from stg_transactions
group by customer_id
`;

export const CANARY_MODELS: Readonly<Record<string, string>> = {
  'models/stg_transactions.sql': STG_TRANSACTIONS,
  'models/customer_spend.sql': CUSTOMER_SPEND,
  'models/category_report.sql':
    '/* @slipway\nkind: table\n*/\nselect category, count(*) as txns, sum(amount) as amount from stg_transactions group by category\n',
  'models/dim_customers.sql': '/* @slipway\nkind: table\n*/\nselect customer_id, segment from customers\n',
};

export async function canaryProject(engine: ReleaseEngine = 'duckdb'): Promise<EngineProject> {
  const db = engine === 'postgres' ? await freshDatabase('slipway_canary') : undefined;
  const config = db
    ? CANARY_CONFIG.replace(
        'local: { type: duckdb, path: .slipway/warehouse.duckdb, threads: 1 }',
        `local: { type: postgres, url_env: ${URL_VARIABLE} }`,
      ).replace(
        'state: { type: sqlite, path: .slipway/state.db }',
        `state: { type: postgres, url_env: ${URL_VARIABLE} }`,
      )
    : CANARY_CONFIG;
  const project = await tempProject({
    'slipway.yaml': config,
    'sources/raw.yml': SOURCES,
    '.gitignore': '.slipway/\n',
    ...CANARY_MODELS,
  });
  await git(project.root, 'init', '-q', '-b', 'main');
  await commitAll(project.root, 'canary test project');
  return {
    ...project,
    engine,
    env: db ? { [URL_VARIABLE]: db.url } : {},
    url: db?.url,
    remove: async () => {
      await project.remove();
      await db?.drop();
    },
  };
}

/** Creates the sources, in the engine's own SQL (this is test data, written straight to it). */
export async function seedCanaryData(warehouse: Warehouse, engine: ReleaseEngine = 'duckdb'): Promise<void> {
  const series = (from: number, to: number, name: string) =>
    engine === 'duckdb' ? `range(${from}, ${to + 1}) t(${name})` : `generate_series(${from}, ${to}) ${name}`;
  await warehouse.execute('create schema if not exists raw');
  await warehouse.execute(
    `create table raw.customers as
     select i::BIGINT as customer_id, (case when i % 3 = 0 then 'gold' else 'basic' end)::VARCHAR as segment
     from ${series(1, 10_000, 'i')}`,
  );
  const categories =
    engine === 'duckdb'
      ? "['fuel', 'grocery', 'travel', 'dining']"
      : "(array['fuel', 'grocery', 'travel', 'dining'])";
  await warehouse.execute(
    `create table raw.merchants as
     select i::BIGINT as merchant_id,
       (case when i = 13 then 'jewelry' else ${categories}[1 + i % 4] end)::VARCHAR as category
     from ${series(1, 40, 'i')}`,
  );
  // Merchant 13 only for the first transaction of every 33rd customer; the others spread over
  // the 39 other merchants.
  await warehouse.execute(
    `create table raw.transactions as
     select (c.customer_id * 10 + k)::BIGINT as txn_id, c.customer_id,
       (case when k = 0 and c.customer_id % 33 = 0 then 13
             else (1 + (c.customer_id * 7 + k * 3) % 39) + (case when 1 + (c.customer_id * 7 + k * 3) % 39 >= 13 then 1 else 0 end)
        end)::BIGINT as merchant_id,
       (((c.customer_id * 13 + k * 17) % 500) / 10.0 + 1)::DECIMAL(10, 2) as amount
     from raw.customers c, ${series(0, 4, 'k')}`,
  );
}
