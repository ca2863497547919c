/**
 * The planner and change classification on in-memory inputs: no warehouse, no state store.
 * Definitions are built from real SQL with DuckDB's parser (the same one the project loader uses)
 * so classification is tested on the trees it will meet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentModels } from '../../src/core/release.js';
import type { SqlParser } from '../../src/core/sql-parser.js';
import { utf8OffsetMapper } from '../../src/core/sql-parser.js';
import { analyzeSelect } from '../../src/project/sql-references.js';
import { classifyChange } from '../../src/release/change-category.js';
import type { ModelDefinition } from '../../src/release/model-definition.js';
import {
  type DesiredModel,
  type PlanInput,
  planPointerSwitch,
  planRelease,
} from '../../src/release/plan-release.js';
import { createDuckDbSqlParser } from '../../src/warehouse/duckdb/duckdb-sql-parser.js';

let parser: SqlParser;
beforeAll(async () => {
  parser = await createDuckDbSqlParser();
});
afterAll(async () => {
  await parser.close();
});

async function def(
  name: string,
  sql: string,
  options: Partial<
    Pick<ModelDefinition, 'kind' | 'changeCategory' | 'dependsOn' | 'checks' | 'language'>
  > = {},
): Promise<ModelDefinition> {
  const [parsed] = await parser.parseMany([sql]);
  if (!parsed?.ok) throw new Error(`bad SQL in test: ${sql}`);
  const analysis = analyzeSelect(parsed.tree, utf8OffsetMapper(sql));
  return {
    name,
    kind: options.kind ?? 'table',
    language: options.language ?? 'sql',
    file: `models/${name}.sql`,
    text: sql,
    bodyOffset: 0,
    references: analysis.references,
    dependsOn: options.dependsOn ?? analysis.references.map((r) => r.name),
    normalized: analysis.normalized,
    timeColumn: undefined,
    uniqueKey: [],
    lookbackMs: undefined,
    changeCategory: options.changeCategory,
    checks: options.checks ?? [],
  };
}

/** Fake fingerprints: a hash-like tag of the SQL and the parents' tags, like the real ones. */
function fingerprints(defs: readonly ModelDefinition[]): DesiredModel[] {
  const fps = new Map<string, string>();
  return defs.map((d) => {
    const seed = `${d.normalized}|${d.kind}|${d.dependsOn.map((p) => fps.get(p) ?? p).join(',')}`;
    let h = 0;
    for (const ch of seed) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
    const fp = h.toString(16).padStart(8, '0');
    fps.set(d.name, fp);
    return { definition: d, fingerprint: fp };
  });
}

function liveFrom(desired: readonly DesiredModel[]): PlanInput['live'] {
  const models: EnvironmentModels = Object.fromEntries(
    desired.map((d) => [
      d.definition.name,
      { fingerprint: d.fingerprint, table: `${d.definition.name}__${d.fingerprint}` },
    ]),
  );
  return {
    releaseId: 'r1',
    models,
    definitions: new Map(desired.map((d) => [d.fingerprint, d.definition])),
  };
}

function builtOf(desired: readonly DesiredModel[]): Set<string> {
  return new Set(desired.map((d) => `${d.definition.name}__${d.fingerprint}`));
}

function plan(desired: DesiredModel[], live: PlanInput['live'], built: Set<string>) {
  return planRelease({
    environment: 'staging',
    strategy: 'blue-green',
    commit: undefined,
    desired,
    live,
    builtTables: built,
  });
}

const noLive: PlanInput['live'] = { releaseId: undefined, models: {}, definitions: new Map() };

async function chain(
  rawSql = 'select id, amount from raw_txns',
  martSql = 'select id, amount * 2 as doubled from stg',
) {
  return fingerprints([
    await def('stg', rawSql, { kind: 'view', dependsOn: [] }),
    await def('mart', martSql, { dependsOn: ['stg'], checks: ['mart.id.unique'] }),
    await def('report', 'select count(*) as n from mart', { dependsOn: ['mart'] }),
  ]);
}

describe('classifyChange', () => {
  it('calls added columns non-breaking', async () => {
    const c = classifyChange(
      await def('m', 'select a, b from t'),
      await def('m', 'select a, b, a + b as c from t'),
    );
    expect(c).toMatchObject({ category: 'non-breaking', columnsAdded: ['c'], columnsRemoved: [] });
  });

  it('ignores formatting and comments: the parsed trees are equal', async () => {
    const a = await def('m', 'select a, b from t');
    const b = await def('m', 'SELECT a,\n  b -- note\nFROM t');
    expect(a.normalized).toBe(b.normalized);
  });

  it.each([
    ['removed column', 'select a from t', /removes column b/],
    ['renamed column', 'select a, b as b2 from t', /renames or replaces column b → b2/],
    ['retyped column', 'select a, b::varchar as b from t', /changes the expression or type of b/],
    ['changed filter', 'select a, b from t where a > 0', /query logic/],
    ['changed source', 'select a, b from u', /query logic/],
    ['added column and changed filter', 'select a, b, 1 as c from t where a > 0', /query logic/],
    ['reordered columns', 'select b, a from t', /reorders columns/],
  ])('calls a %s breaking', async (_label, sql, reason) => {
    const c = classifyChange(await def('m', 'select a, b from t'), await def('m', sql));
    expect(c.category).toBe('breaking');
    expect(c.reasons.join('; ')).toMatch(reason);
  });

  it('calls a kind change and a TypeScript model change breaking', async () => {
    const before = await def('m', 'select a from t');
    expect(classifyChange(before, { ...before, kind: 'incremental' }).reasons[0]).toMatch(/kind changed/);
    expect(
      classifyChange({ ...before, language: 'typescript' }, { ...before, language: 'typescript' }).category,
    ).toBe('breaking');
  });
});

describe('planRelease', () => {
  it('first release: every model added and built, checks of built models gate', async () => {
    const desired = await chain();
    const p = plan(desired, noLive, new Set());
    expect(p.models.map((m) => [m.model, m.change, m.action])).toEqual([
      ['stg', 'added', 'build'],
      ['mart', 'added', 'build'],
      ['report', 'added', 'build'],
    ]);
    expect(p.build.map((b) => b.table)).toEqual(desired.map((d) => `${d.definition.name}__${d.fingerprint}`));
    expect(p.checks).toEqual(['mart.id.unique']);
    expect(p.changes).toBe(true);
    expect(p.summary.added).toBe(3);
  });

  it('nothing changed: nothing built, no switch needed', async () => {
    const desired = await chain();
    const p = plan(desired, liveFrom(desired), builtOf(desired));
    expect(p.models.every((m) => m.change === 'unchanged' && m.action === 'keep')).toBe(true);
    expect(p.build).toEqual([]);
    expect(p.changes).toBe(false);
  });

  it('promote by reference: tables another environment built are reused, not rebuilt', async () => {
    const desired = await chain();
    const p = plan(desired, noLive, builtOf(desired));
    expect(p.models.map((m) => m.action)).toEqual(['reuse', 'reuse', 'reuse']);
    expect(p.build).toEqual([]);
    expect(p.reuse).toHaveLength(3);
    expect(p.changes).toBe(true);
  });

  it('breaking change: the model and everything downstream rebuild', async () => {
    const old = await chain();
    const next = await chain('select id, amount from raw_txns where amount > 0');
    const p = plan(next, liveFrom(old), builtOf(old));
    expect(p.models.map((m) => [m.model, m.change, m.category, m.action])).toEqual([
      ['stg', 'modified', 'breaking', 'build'],
      ['mart', 'indirect', 'breaking', 'build'],
      ['report', 'indirect', 'breaking', 'build'],
    ]);
    expect(p.models[0]?.diff).toMatch(
      /-select id, amount from raw_txns\n\+select id, amount from raw_txns where amount > 0/,
    );
    expect(p.models[1]?.reasons.join()).toMatch(/upstream stg changed \(breaking\)/);
  });

  it('non-breaking change: the model rebuilds, downstream keeps its tables', async () => {
    const old = await chain();
    const next = await chain(undefined, 'select id, amount * 2 as doubled, amount from stg');
    const p = plan(next, liveFrom(old), builtOf(old));
    const mart = p.models.find((m) => m.model === 'mart');
    const report = p.models.find((m) => m.model === 'report');
    expect(mart).toMatchObject({
      change: 'modified',
      category: 'non-breaking',
      categorySource: 'detected',
      action: 'build',
    });
    expect(mart?.columnsAdded).toEqual(['amount']);
    expect(report).toMatchObject({ change: 'indirect', category: 'non-breaking', action: 'keep' });
    // The report keeps its live table under its new fingerprint.
    expect(report?.to?.table).toBe(report?.from?.table);
    expect(report?.to?.fingerprint).not.toBe(report?.from?.fingerprint);
    expect(p.build.map((b) => b.model)).toEqual(['mart']);
  });

  it('non-breaking change: a downstream view is recreated (it reads its parent table by name)', async () => {
    const old = fingerprints([
      await def('mart', 'select id, amount from raw', { dependsOn: [] }),
      await def('mart_view', 'select id from mart', { kind: 'view', dependsOn: ['mart'] }),
    ]);
    const next = fingerprints([
      await def('mart', 'select id, amount, 1 as one from raw', { dependsOn: [] }),
      old[1]!.definition,
    ]);
    const p = plan(next, liveFrom(old), builtOf(old));
    expect(p.models[1]).toMatchObject({ change: 'indirect', category: 'non-breaking', action: 'build' });
  });

  it('the model header overrides the detected category, both ways', async () => {
    const old = await chain();
    const forcedSafe = fingerprints([
      old[0]!.definition,
      await def('mart', 'select id, amount * 3 as doubled from stg', {
        dependsOn: ['stg'],
        changeCategory: 'non-breaking',
      }),
      old[2]!.definition,
    ]);
    const safe = plan(forcedSafe, liveFrom(old), builtOf(old));
    expect(safe.models[1]).toMatchObject({
      category: 'non-breaking',
      categorySource: 'header',
      action: 'build',
    });
    expect(safe.models[1]?.reasons.join()).toMatch(/detected: breaking/);
    expect(safe.models[2]?.action).toBe('keep');

    const forcedBreaking = fingerprints([
      old[0]!.definition,
      await def('mart', 'select id, amount * 2 as doubled, 1 as one from stg', {
        dependsOn: ['stg'],
        changeCategory: 'breaking',
      }),
      old[2]!.definition,
    ]);
    const breaking = plan(forcedBreaking, liveFrom(old), builtOf(old));
    expect(breaking.models[1]).toMatchObject({ category: 'breaking', categorySource: 'header' });
    expect(breaking.models[2]).toMatchObject({ change: 'indirect', category: 'breaking', action: 'build' });
  });

  it('added and removed models', async () => {
    const old = await chain();
    const next = fingerprints([
      old[0]!.definition,
      old[1]!.definition,
      await def('extra', 'select id from mart', { dependsOn: ['mart'] }),
    ]);
    const p = plan(next, liveFrom(old), builtOf(old));
    expect(p.models.map((m) => [m.model, m.change, m.action])).toEqual([
      ['stg', 'unchanged', 'keep'],
      ['mart', 'unchanged', 'keep'],
      ['extra', 'added', 'build'],
      ['report', 'removed', 'drop'],
    ]);
    expect(Object.keys(p.target)).toEqual(['stg', 'mart', 'extra']);
    expect(p.summary).toMatchObject({ added: 1, removed: 1, unchanged: 2 });
  });

  it('a kind change is breaking', async () => {
    const old = await chain();
    const next = fingerprints([
      { ...old[0]!.definition, kind: 'table' },
      old[1]!.definition,
      old[2]!.definition,
    ]);
    const p = plan(next, liveFrom(old), builtOf(old));
    expect(p.models[0]).toMatchObject({ change: 'modified', category: 'breaking' });
    expect(p.models[2]?.action).toBe('build');
  });

  it('an unknown live definition is treated as breaking', async () => {
    const old = await chain();
    const next = await chain('select id, amount, 1 as x from raw_txns');
    const live = { ...liveFrom(old), definitions: new Map() };
    const p = plan(next, live, builtOf(old));
    expect(p.models[0]).toMatchObject({
      category: 'breaking',
      reasons: ['the live version is unknown to the state store'],
    });
  });

  it('re-planning an interrupted release reuses what it had built', async () => {
    const old = await chain();
    const next = await chain('select id, amount from raw_txns where amount > 0');
    const built = builtOf(old);
    built.add(`stg__${next[0]!.fingerprint}`);
    const p = plan(next, liveFrom(old), built);
    expect(p.models.map((m) => m.action)).toEqual(['reuse', 'build', 'build']);
  });
});

describe('planPointerSwitch (promote, rollback)', () => {
  it('takes the given tables by reference, builds nothing, drops what is not taken', async () => {
    const old = await chain();
    const next = await chain('select id, amount from raw_txns where amount > 0');
    const live = liveFrom(old);
    const target = liveFrom(next).models;
    const definitions = new Map([...next, ...old].map((d) => [d.fingerprint, d.definition]));
    const p = planPointerSwitch({
      environment: 'prod',
      strategy: 'blue-green',
      commit: undefined,
      live: { ...live, models: { ...live.models, gone: { fingerprint: 'x', table: 'gone__x' } } },
      target,
      definitions,
      builtTables: new Set([...builtOf(old), ...builtOf(next)]),
    });
    expect(p.build).toEqual([]);
    expect(p.models.map((m) => [m.model, m.change, m.action])).toEqual([
      ['stg', 'modified', 'reuse'],
      ['mart', 'modified', 'reuse'],
      ['report', 'modified', 'reuse'],
      ['gone', 'removed', 'drop'],
    ]);
    expect(p.models[0]?.diff).toMatch(/where amount > 0/);
    expect(p.target).toEqual(target);
  });

  it('reports a table that no longer exists as one to build, so the caller can refuse', async () => {
    const old = await chain();
    const p = planPointerSwitch({
      environment: 'prod',
      strategy: 'blue-green',
      commit: undefined,
      live: noLive,
      target: liveFrom(old).models,
      definitions: new Map(old.map((d) => [d.fingerprint, d.definition])),
      builtTables: new Set(),
    });
    expect(p.build.map((b) => b.model)).toEqual(['stg', 'mart', 'report']);
  });
});
