/** A project with ten different mistakes: all ten reported at once, positioned, exit 2, no stack. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { MINIMAL_CONFIG, type TempProject, tempProject } from '../helpers/temp-project.js';

let project: TempProject;

beforeAll(async () => {
  project = await tempProject({
    // 1. unknown key, 2. wrong type
    'slipway.yaml': `${MINIMAL_CONFIG}defaults:\n  concurency: 4\n  owner: 12\n`,
    'sources/raw.yml': `sources:
  - name: txns
    files: data/txns/*.parquet
    columns:
      - name: customer_id
        checks: [not_nul]            # 3. unknown check
      - name: country
        checks: [{ pattern: { regex: '[A-Z' } }]   # 4. regex that does not compile
  - name: outside
    files: ../../shared/*.csv         # 5. path leaving the project
`,
    'models/stg_txns.sql': `/* @slipway
materialized: table                   # 6. unknown header key
*/
select * from txns`,
    'models/spend.sql': 'select customer_id, sum(amount) from stg_txn group by 1 -- 7. unknown reference',
    'models/broken.sql': 'select customer_id,\n  from from stg_txns -- 8. syntax error',
    'models/loop_a.sql': 'select * from loop_b',
    'models/loop_b.sql': 'select * from loop_a -- 9. cycle',
    'tests/spend.yml': `tests:
  - name: spend_sums
    model: spends                     # 10. unknown model
    inputs: {}
    expect: { rows: [] }
`,
  });
});

afterAll(async () => {
  await project.remove();
});

describe('a project with ten mistakes', () => {
  it('reports all ten with file, line and column, exit 2, and no stack trace', async () => {
    const result = await runCli(['validate'], { cwd: project.root });
    expect(result.code).toBe(2);
    const lines = result.stderr.split('\n').filter((l) => /^\S+:\d+:\d+: error: /.test(l));
    const expected = [
      /^models\/broken\.sql:2:8: error: SQL: syntax error/,
      /^models\/loop_a\.sql:1:1: error: dependency cycle: loop_a -> loop_b -> loop_a/,
      /^models\/spend\.sql:1:38: error: 'stg_txn' is not a model, source or CTE/,
      /^models\/stg_txns\.sql:2:1: error: unknown key 'materialized'/,
      /^slipway\.yaml:11:3: error: unknown key 'concurency'/,
      /^slipway\.yaml:12:10: error: defaults\.owner: .*string/,
      /^sources\/raw\.yml:6:18: error: unknown check 'not_nul'/,
      /^sources\/raw\.yml:8:38: error: the regex does not compile/,
      /^sources\/raw\.yml:10:12: error: the path '\.\.\/\.\.\/shared\/\*\.csv' leaves the project folder/,
      /^tests\/spend\.yml:3:12: error: unit test 'spend_sums' is for unknown model 'spends'/,
    ];
    expect(lines).toHaveLength(10);
    for (const [i, line] of lines.entries()) expect(line).toMatch(expected[i] as RegExp);
    expect(result.stderr).toMatch(/did you mean 'concurrency'/);
    expect(result.stderr).toMatch(/did you mean 'not_null'/);
    expect(result.stderr).toMatch(/did you mean 'stg_txns'/);
    expect(result.stderr).toMatch(/10 problems in the project/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('--json gives the same diagnostics to scripts', async () => {
    const result = await runCli(['validate', '--json'], { cwd: project.root });
    expect(result.code).toBe(2);
    const body = JSON.parse(result.stdout) as {
      diagnostics: { position: { file: string; line: number; column: number } }[];
    };
    expect(body.diagnostics).toHaveLength(10);
    for (const d of body.diagnostics) expect(d.position.line).toBeGreaterThan(0);
  });
});
