import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlParser } from '../../src/core/sql-parser.js';
import { compileSqlModel } from '../../src/project/compile-model.js';
import { selectModels } from '../../src/project/dependency-graph.js';
import { fingerprintProject } from '../../src/project/fingerprint.js';
import { loadProject } from '../../src/project/load-project.js';
import type { Project } from '../../src/project/project.js';
import { createDuckDbSqlParser } from '../../src/warehouse/duckdb/duckdb-sql-parser.js';
import { MINIMAL_CONFIG, tempProject } from '../helpers/temp-project.js';

let parser: SqlParser;
beforeAll(async () => {
  parser = await createDuckDbSqlParser();
});
afterAll(async () => {
  await parser.close();
});

const FILES = {
  'slipway.yaml': MINIMAL_CONFIG,
  'sources/raw.yml': 'sources:\n  - name: events\n    files: data/*.parquet\n',
  'models/staging/stg_events.sql': 'select * from events',
  'models/marts/daily.sql':
    '/* @slipway\nkind: table\ntags: [reports]\n*/\nselect count(*) as n from stg_events',
  'models/marts/weekly.sql':
    "/* @slipway\ntags: [reports]\n*/\nselect n from daily, \"STG_EVENTS\" where 'daily' <> 'x'",
  'models/other.sql': 'select 1 as one',
};

async function load(files: Record<string, string>): Promise<Project> {
  const project = await tempProject(files);
  try {
    return await loadProject(project.root, { parser });
  } finally {
    await project.remove();
  }
}

describe('selectors', () => {
  it('follow the dbt conventions', async () => {
    const p = await load(FILES);
    expect(selectModels(p, [])).toEqual(['other', 'stg_events', 'daily', 'weekly']);
    expect(selectModels(p, ['daily'])).toEqual(['daily']);
    expect(selectModels(p, ['daily+'])).toEqual(['daily', 'weekly']);
    expect(selectModels(p, ['+daily'])).toEqual(['stg_events', 'daily']);
    expect(selectModels(p, ['+weekly'])).toEqual(['stg_events', 'daily', 'weekly']);
    expect(selectModels(p, ['tag:reports'])).toEqual(['daily', 'weekly']);
    expect(selectModels(p, ['path:models/staging'])).toEqual(['stg_events']);
    expect(selectModels(p, ['stg_events+'], ['weekly'])).toEqual(['stg_events', 'daily']);
    expect(() => selectModels(p, ['dayly'])).toThrow(/matches no model or source/);
  });
});

describe('compileSqlModel', () => {
  it('replaces references, quoted or not, and leaves string literals and the rest alone', async () => {
    const p = await load(FILES);
    const weekly = p.models.get('weekly');
    if (!weekly) throw new Error('weekly not loaded');
    const sql = compileSqlModel(weekly, (name) => `"phys"."${name}__x"`);
    expect(sql).toBe(`select n from "phys"."daily__x", "phys"."stg_events__x" where 'daily' <> 'x'\n`);
  });
});

describe('fingerprints', () => {
  it('ignore formatting and comments but follow logic and parents', async () => {
    const base = fingerprintProject(await load(FILES));
    const reformatted = fingerprintProject(
      await load({
        ...FILES,
        'models/staging/stg_events.sql': '-- staging\nSELECT *\n  FROM   events  /* all */',
      }),
    );
    expect(reformatted).toEqual(base);

    const changed = fingerprintProject(
      await load({ ...FILES, 'models/staging/stg_events.sql': 'select * from events where true' }),
    );
    expect(changed.get('stg_events')).not.toBe(base.get('stg_events'));
    // Downstream versions change with their parent; unrelated models keep theirs.
    expect(changed.get('daily')).not.toBe(base.get('daily'));
    expect(changed.get('weekly')).not.toBe(base.get('weekly'));
    expect(changed.get('other')).toBe(base.get('other'));

    const kindChanged = fingerprintProject(
      await load({ ...FILES, 'models/other.sql': '/* @slipway\nkind: table\n*/\nselect 1 as one' }),
    );
    expect(kindChanged.get('other')).not.toBe(base.get('other'));
    expect(base.get('other')).toMatch(/^[0-9a-f]{12}$/);
  });
});
