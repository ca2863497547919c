/**
 * Engine SQL stays behind the warehouse seam: no DuckDB or PostgreSQL SQL outside its adapter
 * folders, and no concrete adapter (or driver) imported outside `src/app/` and the adapters
 * themselves. The scanner is first shown to catch planted violations, so a clean scan means
 * something.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';
import { blankComments, findViolations, type Violation } from './engine-boundaries.js';

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(REPO, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

function describeViolation(v: Violation): string {
  return `${v.file}: ${v.rule} ${v.text}`;
}

describe('the scanner', () => {
  it('finds engine SQL in strings and templates outside the adapter folders', () => {
    const planted = [
      `const q = \`select count_if(\${a}) from t TABLESAMPLE 1% (system)\`;`,
      "const p = 'SELECT * FROM pg_catalog.pg_class';",
      `const r = \`INSERT INTO t BY NAME SELECT * FROM read_parquet(\${file})\`;`,
    ].join('\n');
    const found = findViolations('src/quality/planted.ts', planted).map((v) => `${v.line} ${v.text}`);
    expect(found).toEqual([
      '1 count_if',
      '1 TABLESAMPLE',
      '2 pg_catalog',
      '2 pg_class',
      '3 BY NAME',
      '3 read_parquet',
    ]);
  });

  it('allows each engine its own folder, and only its own', () => {
    const duckdb = "const q = 'select epoch_ms(ts) from t';";
    const postgres = "const q = 'select relname from pg_class';";
    expect(findViolations('src/warehouse/duckdb/duckdb-x.ts', duckdb)).toEqual([]);
    expect(findViolations('src/warehouse/postgres/postgres-x.ts', postgres)).toEqual([]);
    expect(findViolations('src/warehouse/postgres/postgres-x.ts', duckdb).map((v) => v.rule)).toEqual([
      'DuckDB SQL',
    ]);
    expect(findViolations('src/warehouse/duckdb/duckdb-x.ts', postgres).map((v) => v.rule)).toEqual([
      'PostgreSQL SQL',
    ]);
  });

  it('finds concrete adapter and driver imports outside src/app/', () => {
    const planted = [
      "import { createDuckDbWarehouse } from '../warehouse/duckdb/duckdb-warehouse.js';",
      "import type { PgStore } from '../../state/postgres/postgres-state-store.js';",
      "import { DuckDBInstance } from '@duckdb/node-api';",
      "const pg = await import('pg');",
      "export { openSqliteStateStore } from '../state/sqlite/sqlite-state-store.js';",
    ].join('\n');
    const rules = findViolations('src/cli/planted.ts', planted).map((v) => `${v.line} ${v.rule}`);
    expect(rules).toEqual([
      '1 concrete warehouse adapter import',
      '2 concrete state store import',
      '3 DuckDB driver import',
      '4 PostgreSQL driver import',
      '5 concrete state store import',
    ]);
    const wiring = findViolations('src/app/open-x.ts', planted.split('\n').slice(0, 2).join('\n'));
    expect(wiring).toEqual([]);
  });

  it('ignores comments, but not strings that look like them', () => {
    const text = [
      '// DuckDB keeps stats( per block; count_if is faster',
      "/* read_parquet(...) and pg_stats */ const url = 'http://example.com'; // generate_series",
      'const pattern = /"?([^"\\s]+)"? not found/i; const s = \'count_if(x)\';',
      `const t = \`\${\`nested \${1}\`} regexp_matches\`; // MACRO`,
    ].join('\n');
    expect(blankComments(text).split('\n')).toHaveLength(4);
    expect(findViolations('src/release/planted.ts', text).map((v) => `${v.line} ${v.text}`)).toEqual([
      '3 count_if',
      '4 regexp_matches',
    ]);
  });
});

describe('src/', () => {
  it('keeps engine SQL and concrete adapters behind the seam', async () => {
    const violations: string[] = [];
    for (const file of await sourceFiles(path.join(REPO, 'src'))) {
      const text = await readFile(path.join(REPO, file), 'utf8');
      violations.push(...findViolations(file, text).map(describeViolation));
    }
    expect(violations).toEqual([]);
  });
});
