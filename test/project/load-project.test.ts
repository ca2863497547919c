import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDiagnostic, ProjectError } from '../../src/core/errors.js';
import type { SqlParser } from '../../src/core/sql-parser.js';
import { loadProject } from '../../src/project/load-project.js';
import { createDuckDbSqlParser } from '../../src/warehouse/duckdb/duckdb-sql-parser.js';
import { MINIMAL_CONFIG, tempProject } from '../helpers/temp-project.js';

let parser: SqlParser;
beforeAll(async () => {
  parser = await createDuckDbSqlParser();
});
afterAll(async () => {
  await parser.close();
});

async function problems(files: Record<string, string>): Promise<string[]> {
  const project = await tempProject(files);
  try {
    await loadProject(project.root, { parser });
  } catch (error) {
    if (error instanceof ProjectError) return error.diagnostics.map((d) => formatDiagnostic(d));
    throw error;
  } finally {
    await project.remove();
  }
  return [];
}

const SOURCES = `sources:
  - name: txns
    files: data/txns/*.parquet
    columns:
      - name: customer_id
        type: BIGINT
        checks: [not_null, { range: { min: 1 } }]
  - name: customers
    table: raw.customers
`;

describe('loadProject', () => {
  it('loads a valid project with inferred dependencies, header settings and checks', async () => {
    const project = await tempProject({
      'slipway.yaml': MINIMAL_CONFIG,
      'sources/raw.yml': SOURCES,
      'models/stg_txns.sql': 'select * from txns',
      'models/marts/spend.sql': `/* @slipway
kind: table
tags: [marts]
description: Spend per customer.
columns:
  customer_id: { description: The customer, checks: [not_null, unique] }
checks:
  - row_count: { min: 1 }
*/
-- a comment that mentions from not_a_table
with recent as (select * from stg_txns where amount > 0)
select r.customer_id, sum(amount) as spend
from recent r join customers c on c.customer_id = r.customer_id
group by 1
`,
    });
    try {
      const loaded = await loadProject(project.root, { parser });
      const spend = loaded.models.get('spend');
      expect(spend?.kind).toBe('table');
      expect(spend?.dependsOn).toEqual(['stg_txns', 'customers']);
      expect(spend?.checks.map((c) => c.id)).toEqual([
        'spend.customer_id.not_null',
        'spend.customer_id.unique',
        'spend.*.row_count',
      ]);
      expect(loaded.order.indexOf('stg_txns')).toBeLessThan(loaded.order.indexOf('spend'));
      expect(loaded.sources.get('txns')?.checks.map((c) => c.kind)).toEqual(['not_null', 'range']);
      expect(loaded.sources.get('customers')?.table).toEqual({ schema: 'raw', name: 'customers' });
    } finally {
      await project.remove();
    }
  });

  it('reports a missing slipway.yaml with a hint', async () => {
    expect(await problems({})).toEqual([
      expect.stringMatching(/^slipway\.yaml:1:1: error: no slipway\.yaml in .*\n {2}hint: run `slipway init/),
    ]);
  });

  it('reports an empty slipway.yaml as empty, with the keys it needs', async () => {
    expect(await problems({ 'slipway.yaml': '' })).toEqual([
      "slipway.yaml:1:1: error: slipway.yaml is empty\n  hint: it needs 'name:', 'warehouse:', 'environments:'",
    ]);
  });

  it('says a bare number given as a percentage needs its % sign', async () => {
    const found = await problems({
      'slipway.yaml': MINIMAL_CONFIG.replace(
        '  prod: { strategy: blue-green, promote_from: staging }',
        '  prod:\n    promote_from: staging\n    verify: { max_row_change: 50 }',
      ),
    });
    expect(found).toEqual([
      expect.stringMatching(
        /^slipway\.yaml:11:31: error: environments\.prod\.verify\.max_row_change: a percentage needs its % sign: write 50%/,
      ),
    ]);
  });

  it('reports malformed YAML at its position', async () => {
    const found = await problems({ 'slipway.yaml': 'name: x\nwarehouse: [unclosed\n' });
    expect(found[0]).toMatch(/^slipway\.yaml:\d+:\d+: error: YAML: /);
  });

  it('reports an unclosed quote or list where it opens, not where the parser gave up', async () => {
    const quote = await problems({
      'slipway.yaml':
        'name: x\nversion: 1\nenvironments:\n  dev:\n    description: "unclosed\n  prod: {}\nwarehouse:\n  default: main\n',
    });
    expect(quote).toEqual([
      'slipway.yaml:5:18: error: YAML: this quoted string is never closed\n  hint: end it with " on this line',
    ]);
    const list = await problems({ 'slipway.yaml': 'name: x\ntags: [a, b\nversion: 1\n' });
    expect(list[0]).toBe(
      'slipway.yaml:2:7: error: YAML: this list is never closed\n  hint: end it with ] (an item on a new line must be indented past its key)',
    );
  });

  it('suggests the key meant for an unknown key, at the key', async () => {
    const found = await problems({ 'slipway.yaml': `${MINIMAL_CONFIG}defualts: { concurrency: 2 }\n` });
    expect(found).toEqual([
      "slipway.yaml:10:1: error: unknown key 'defualts'\n  hint: did you mean 'defaults'?",
    ]);
  });

  it("does not let a misspelt key hide the file's other mistakes", async () => {
    const found = await problems({
      'slipway.yaml': `${MINIMAL_CONFIG.replace('  dev: { strategy: direct }', '  dev: { strategy: direct, warehouse: nosuch }')}notifcations: {}\n`,
      'sources/raw.yml': 'sources:\n  - name: txns\n    files: data/*.parquet\n    descripton: typo\n',
      'models/a.sql': 'select * from txns',
    });
    expect(found).toEqual([
      expect.stringMatching(/^slipway\.yaml:7:39: error: environment 'dev' uses unknown connection 'nosuch'/),
      expect.stringMatching(/^slipway\.yaml:10:1: error: unknown key 'notifcations'/),
      expect.stringMatching(
        /^sources\/raw\.yml:4:5: error: unknown key 'descripton' in sources\[0\]\n {2}hint: did you mean 'description'\?/,
      ),
    ]);
  });

  it('accepts SQL type names and refuses anything else as a declared column type', async () => {
    const found = await problems({
      'slipway.yaml': MINIMAL_CONFIG,
      'sources/raw.yml': `sources:
  - name: txns
    files: data/*.parquet
    columns:
      - { name: a, type: 'DECIMAL(12, 2)' }
      - { name: b, type: TIMESTAMP WITH TIME ZONE }
      - { name: c, type: 'VARCHAR[]' }
      - { name: d, type: 'INT); drop table x; --' }
`,
    });
    expect(found).toEqual([
      expect.stringMatching(
        /^sources\/raw\.yml:8:26: error: sources\[0\]\.columns\[3\]\.type: a SQL type name such as BIGINT, DECIMAL\(12,2\)/,
      ),
    ]);
  });

  it('reports wrong types with the path', async () => {
    const found = await problems({
      'slipway.yaml': MINIMAL_CONFIG.replace(
        'environments:',
        'defaults: { concurrency: many }\nenvironments:',
      ),
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^slipway\.yaml:6:26: error: defaults\.concurrency: .*number/);
  });

  it("reports a bad verify block at each bad value, with the key's path", async () => {
    const found = await problems({
      'slipway.yaml': MINIMAL_CONFIG.replace(
        '  prod: { strategy: blue-green, promote_from: staging }',
        '  prod:\n    promote_from: staging\n    verify: { max_row_change: fifty, delay: soon, rollbak: true }',
      ),
    });
    expect(found).toEqual([
      expect.stringMatching(
        /^slipway\.yaml:11:31: error: environments\.prod\.verify\.max_row_change: a percentage such as 50%/,
      ),
      expect.stringMatching(
        /^slipway\.yaml:11:45: error: environments\.prod\.verify\.delay: a duration such as 30m/,
      ),
      expect.stringMatching(
        /^slipway\.yaml:11:51: error: unknown key 'rollbak' in environments\.prod\.verify\n {2}hint: did you mean 'rollback'\?/,
      ),
    ]);
  });

  it('maps a SQL syntax error to the line and column in the file, below the header', async () => {
    const found = await problems({
      'slipway.yaml': MINIMAL_CONFIG,
      'models/bad.sql': '/* @slipway\nkind: view\n*/\nselect a,\n  b\nfrom where x\n',
    });
    expect(found).toEqual(['models/bad.sql:6:6: error: SQL: syntax error at or near "where"']);
  });

  it('finds references despite CTEs, subqueries, quoted and mixed-case names', async () => {
    const project = await tempProject({
      'slipway.yaml': MINIMAL_CONFIG,
      'sources/raw.yml': SOURCES,
      'models/a.sql': 'select 1 as id',
      'models/b.sql': 'select 2 as id',
      'models/c.sql': 'select 3 as id',
      'models/tricky.sql': `with a as (select * from "B"), txns as (select id from a)
select * from txns                                  -- the CTE, not the source
where id in (select id from C)                      -- subquery, unquoted mixed case
  and exists (select 1 from (select * from txns) t) -- CTE inside a nested subquery
union all select id from range(3) r(id)             -- a table function is no reference
`,
      'models/recursive.sql': `with recursive walk(n) as (select 1 union all select n + 1 from walk where n < 3)
select n from walk cross join a`,
    });
    try {
      const loaded = await loadProject(project.root, { parser });
      expect(loaded.models.get('tricky')?.dependsOn).toEqual(['b', 'c']);
      expect(loaded.models.get('recursive')?.dependsOn).toEqual(['a']);
    } finally {
      await project.remove();
    }
  });

  it('reports unknown references, schema-qualified names and self references with positions', async () => {
    const found = await problems({
      'slipway.yaml': MINIMAL_CONFIG,
      'sources/raw.yml': SOURCES,
      'models/a.sql': 'select * from txn\njoin main.txns using (id)\njoin a using (id)',
    });
    expect(found).toEqual([
      "models/a.sql:1:15: error: 'txn' is not a model, source or CTE\n  hint: did you mean 'txns'?",
      "models/a.sql:2:6: error: 'main.txns' is schema-qualified: models read models and sources by bare name\n  hint: write 'txns'",
      'models/a.sql:3:6: error: a reads from itself\n  hint: a model cannot depend on itself',
    ]);
  });

  it('prints the path of a dependency cycle', async () => {
    const found = await problems({
      'slipway.yaml': MINIMAL_CONFIG,
      'models/a.sql': 'select * from c',
      'models/b.sql': 'select * from a',
      'models/c.sql': 'select * from b',
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/dependency cycle: (a -> b -> c -> a|a -> c -> b -> a)/);
  });

  it('refuses duplicate names across models and sources, case-insensitively', async () => {
    const found = await problems({
      'slipway.yaml': MINIMAL_CONFIG,
      'sources/raw.yml': SOURCES,
      'models/Txns.sql': 'select 1',
    });
    expect(found).toEqual([
      expect.stringMatching(
        /^models\/Txns\.sql:1:1: error: the name 'Txns' is already used by the source in sources\/raw\.yml/,
      ),
    ]);
  });

  it('refuses names that would need quoting and paths that leave the project', async () => {
    const found = await problems({
      'slipway.yaml': MINIMAL_CONFIG,
      'sources/raw.yml':
        'sources:\n  - name: "bad name"\n    files: x.csv\n  - name: outside\n    files: ../../etc/*.csv\n',
      'models/my-model.sql': 'select 1',
    });
    expect(found).toEqual([
      "models/my-model.sql:1:1: error: the model name 'my-model' (from the file name) needs quoting in SQL\n  hint: rename the file using letters, digits and _, or set `name:` in the header",
      expect.stringMatching(/^sources\/raw\.yml:2:11: error: sources\[0\]\.name: use letters/),
    ]);
    const escaping = await problems({
      'slipway.yaml': MINIMAL_CONFIG,
      'sources/raw.yml': 'sources:\n  - name: outside\n    files: ../../etc/*.csv\n',
    });
    expect(escaping).toEqual([
      "sources/raw.yml:3:12: error: the path '../../etc/*.csv' leaves the project folder\n  hint: source files live inside the project; link or copy them in",
    ]);
  });

  it('reports unknown checks, bad check parameters, misplaced checks and uncompilable regexes', async () => {
    const found = await problems({
      'slipway.yaml': MINIMAL_CONFIG,
      'sources/raw.yml': `sources:
  - name: txns
    files: data/*.parquet
    columns:
      - name: country
        checks:
          - not_nul
          - pattern: { regex: '^[A-Z{2' }
          - range: { minimum: 1 }
    checks:
      - not_null
`,
    });
    expect(found).toEqual([
      "sources/raw.yml:7:13: error: unknown check 'not_nul'\n  hint: did you mean 'not_null'?",
      expect.stringMatching(/^sources\/raw\.yml:8:31: error: the regex does not compile/),
      "sources/raw.yml:9:22: error: unknown key 'minimum' in sources[0].columns[0].checks[2].range\n  hint: did you mean 'min'?",
      "sources/raw.yml:11:9: error: 'not_null' checks a column: declare it under the column\n  hint: put it in the column's checks list",
    ]);
  });

  it('refuses a check the declared column type cannot take, naming the type, every one at once', async () => {
    const found = await problems({
      'slipway.yaml': MINIMAL_CONFIG,
      'sources/raw.yml': `sources:
  - name: txns
    files: data/*.parquet
    columns:
      - name: amount
        type: DECIMAL(12,2)
        checks: [{ pattern: { regex: '^[0-9]+$' } }, { length: { max: 5 } }, { range: { min: 10, max: 1 } }]
      - name: code
        type: varchar
        checks: [{ range: { min: 1, max: 9 } }, { range: { min: 'A', max: 'Z' } }, { length: { max: 3 } }]
      - name: seen_at
        type: TIMESTAMP
        checks: [{ range: { min: 'now - 7 days', max: now } }]
`,
    });
    const hint =
      '\n  hint: cast the column in a model (or fix its declared type), or choose a check for its type';
    expect(found).toEqual([
      `sources/raw.yml:7:18: error: 'pattern' reads text, and column amount is DECIMAL(12,2)${hint}`,
      `sources/raw.yml:7:54: error: 'length' reads text, and column amount is DECIMAL(12,2)${hint}`,
      "sources/raw.yml:7:78: error: 'range' has min 10 above max 1: no value can pass",
      `sources/raw.yml:10:18: error: 'range' has number bounds, and column code is VARCHAR: its values would be compared as text${hint}`,
      "sources/raw.yml:13:34: error: 'now - 7 days' is not a time relative to the run: write now, now - 7d or now + 30m",
    ]);
  });

  it('refuses a percent threshold or a where on a query check, which has no total and no rows to filter', async () => {
    const found = await problems({
      'slipway.yaml': MINIMAL_CONFIG,
      'sources/raw.yml': `sources:
  - name: txns
    files: data/*.parquet
    checks:
      - query: { sql: 'select 1', threshold: { percent: 5 } }
      - query: { sql: 'select 1', where: 'amount > 0' }
      - query: { sql: 'select 1', threshold: { rows: 3 } }
`,
    });
    expect(found).toEqual([
      "sources/raw.yml:5:57: error: a query check's rows are its failures: there is no total to take a percent of\n  hint: use threshold: { rows: N }",
      "sources/raw.yml:6:35: error: unknown key 'where' in sources[0].checks[1].query\n  hint: allowed: severity, threshold, tags, description, name, sql",
    ]);
  });

  it('validates unit tests against the model they test', async () => {
    const found = await problems({
      'slipway.yaml': MINIMAL_CONFIG,
      'models/a.sql': 'select 1 as id',
      'models/b.sql': 'select * from a',
      'tests/b.yml': `tests:
  - name: t1
    model: bb
    inputs: {}
    expect: { rows: [] }
  - name: t2
    model: b
    inputs:
      c: { rows: [] }
    expect: { csv: missing.csv }
`,
    });
    expect(found).toEqual(
      [
        "tests/b.yml:3:12: error: unit test 't1' is for unknown model 'bb'\n  hint: did you mean 'b'?",
        "tests/b.yml:8:5: error: unit test 't2' has no input rows for 'a'",
        "tests/b.yml:9:7: error: 'c' is not read by b\n  hint: b reads: a",
        'tests/b.yml:6:11: error: fixture file tests/missing.csv does not exist',
      ].sort(byPosition),
    );
  });
});

function byPosition(a: string, b: string): number {
  const pa = a.split(':').slice(1, 3).map(Number);
  const pb = b.split(':').slice(1, 3).map(Number);
  return (pa[0] ?? 0) - (pb[0] ?? 0) || (pa[1] ?? 0) - (pb[1] ?? 0);
}
