import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openUnitTestWarehouse } from '../../src/app/open-unit-test-warehouse.js';
import type { SqlParser } from '../../src/core/sql-parser.js';
import { loadProject } from '../../src/project/load-project.js';
import type { Project } from '../../src/project/project.js';
import { inferColumnType } from '../../src/quality/unit-tests/fixture-types.js';
import { compareRows } from '../../src/quality/unit-tests/row-match.js';
import { runUnitTests } from '../../src/quality/unit-tests/run-unit-tests.js';
import { createDuckDbSqlParser } from '../../src/warehouse/duckdb/duckdb-sql-parser.js';
import { MINIMAL_CONFIG, type TempProject, tempProject } from '../helpers/temp-project.js';

let parser: SqlParser;
let temp: TempProject;
let project: Project;

const TESTS = `tests:
  - name: windows_use_real_timestamps
    model: windowed
    inputs:
      events:
        rows:
          - { id: 1, ts: "2026-01-01 10:00:00", amount: 5 }
          - { id: 2, ts: "2026-01-01 10:59:59", amount: 2.5 }
          - { id: 3, ts: "2026-01-01 11:00:01", amount: 1 }
    expect:
      rows:
        - { id: 1, n_1h: 1, total_1h: 5.00 }
        - { id: 3, n_1h: 2, total_1h: 3.5 }
        - { id: 2, n_1h: 2 }
  - name: wrong_expectation
    model: windowed
    inputs:
      events:
        rows:
          - { id: 1, ts: "2026-01-01 10:00:00", amount: 5 }
          - { id: 2, ts: "2026-01-01 10:30:00", amount: 5 }
    expect:
      rows:
        - { id: 1, n_1h: 1 }
        - { id: 2, n_1h: 1 }
  - name: fixture_lacks_a_column
    model: windowed
    inputs:
      events:
        rows:
          - { id: 1, amount: 5 }
    expect:
      rows: []
  - name: ordered_output
    model: by_name
    inputs:
      people:
        csv: fixtures/people.csv
    expect:
      ordered: true
      rows:
        - { name: "Zoë ", joined: "2025-01-02" }
        - { name: ada, joined: "2024-12-31" }
  - name: typo_in_a_declared_source_column
    model: by_name
    inputs:
      people:
        rows:
          - { nmae: ada, joined: "2024-12-31" }
    expect:
      rows: []
`;

beforeAll(async () => {
  parser = await createDuckDbSqlParser();
  temp = await tempProject({
    'slipway.yaml': MINIMAL_CONFIG,
    'sources/s.yml': `sources:
  - name: events
    table: raw.events
  - name: people
    table: raw.people
    columns:
      - { name: name, type: VARCHAR }
      - { name: joined, type: DATE }
`,
    'models/windowed.sql': `select id, count(*) over w as n_1h, sum(amount) over w as total_1h
from events
window w as (order by ts range between interval 1 hour preceding and current row)
`,
    'models/by_name.sql': 'select name, joined from people order by joined desc\n',
    'tests/t.yml': TESTS,
    'tests/fixtures/people.csv': 'name,joined\nada,2024-12-31\nZoë ,2025-01-02\n',
  });
  project = await loadProject(temp.root, { parser });
});
afterAll(async () => {
  await parser.close();
  await temp.remove();
});

describe('runUnitTests', () => {
  it('runs each test in isolation with typed fixtures and reports a readable diff', async () => {
    const { results, testsPerSecond } = await runUnitTests({
      project,
      tests: project.tests,
      openEngine: openUnitTestWarehouse,
    });
    const by = Object.fromEntries(results.map((r) => [r.name, r]));
    expect(by['windows_use_real_timestamps']?.status).toBe('pass');
    expect(by['ordered_output']?.status).toBe('pass');
    const wrong = by['wrong_expectation'];
    expect(wrong?.status).toBe('fail');
    expect(wrong?.diff).toContain('- { id: 2, n_1h: 1 }');
    expect(wrong?.diff).toContain('n_1h: expected 1, got 2');
    expect(wrong?.diff).toContain('+ { id: 2, n_1h: 2 }');
    const lacks = by['fixture_lacks_a_column'];
    expect(lacks?.status).toBe('error');
    expect(lacks?.diagnostic?.message).toContain("reads column 'ts'");
    expect(lacks?.diagnostic?.position).toMatchObject({ file: 'tests/t.yml', line: 26 });
    const typo = by['typo_in_a_declared_source_column'];
    expect(typo?.diagnostic?.message).toContain("has column 'nmae'");
    expect(testsPerSecond).toBeGreaterThan(0);
  });

  it("runs the reference project's unit tests", async () => {
    const reference = await loadProject(path.resolve('examples/jkl-fraud'), { parser });
    const { results } = await runUnitTests({
      project: reference,
      tests: reference.tests,
      openEngine: openUnitTestWarehouse,
    });
    expect(results).toHaveLength(8);
    expect(
      results.filter((r) => r.status !== 'pass').map((r) => `${r.name}: ${r.message}\n${r.diff}`),
    ).toEqual([]);
  });
});

describe('fixture types and row comparison', () => {
  it('infers timestamps, dates, time zones and numbers', () => {
    expect(inferColumnType(['2026-01-01 10:00:00', null, '2026-01-02'])).toBe('TIMESTAMP');
    expect(inferColumnType(['2026-01-01T10:00:00+02:00'])).toBe('TIMESTAMPTZ');
    expect(inferColumnType(['2026-01-01'])).toBe('DATE');
    expect(inferColumnType([1, 2.5])).toBe('DOUBLE PRECISION');
    expect(inferColumnType([1, 2])).toBe('BIGINT');
    expect(inferColumnType(['10.4', 'x'])).toBe('VARCHAR');
    expect(inferColumnType([true, null])).toBe('BOOLEAN');
  });

  it('compares numbers by value, order only when asked, subsets of columns', () => {
    const e = (values: Record<string, number | string | null>) => ({ values, columns: Object.keys(values) });
    expect(
      compareRows(
        [e({ a: 7 }), e({ a: 1 })],
        [
          { a: 1, b: 'x' },
          { a: 7.0, b: 'y' },
        ],
        false,
      ).ok,
    ).toBe(true);
    expect(compareRows([e({ a: 7 }), e({ a: 1 })], [{ a: 1 }, { a: 7 }], true).ok).toBe(false);
    expect(compareRows([e({ a: 0.3 })], [{ a: 0.1 + 0.2 }], false).ok).toBe(true);
    expect(compareRows([e({ a: null })], [{ a: 0 }], false).ok).toBe(false);
    expect(compareRows([e({ a: 1 })], [{ a: 1 }, { a: 1 }], false).diff).toContain('1 unexpected');
  });
});
