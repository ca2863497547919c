import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestEngine, type TestEngine } from './duckdb-test-engine.js';
import { compileSeverityCase, normaliseBands, type SeverityBand, severityFor } from './severity-bands.js';

const BANDS: readonly SeverityBand[] = [
  { label: 'medium', min: 40 },
  { label: 'critical', min: 80 },
  { label: 'high', min: 60 },
];

describe('severity bands', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await openTestEngine();
  });
  afterAll(() => engine.close());

  it('bands a score by the highest minimum it reaches, bounds inclusive', () => {
    expect(severityFor(39.99, BANDS)).toBeUndefined();
    expect(severityFor(40, BANDS)).toBe('medium');
    expect(severityFor(60, BANDS)).toBe('high');
    expect(severityFor(100, BANDS)).toBe('critical');
    expect(severityFor(Number.NaN, BANDS)).toBeUndefined();
  });

  it('compiles to a CASE ordered from the highest band down', () => {
    expect(compileSeverityCase('"score"', BANDS, 'low')).toBe(
      `(case when ("score") >= 80 then 'critical' when ("score") >= 60 then 'high' ` +
        `when ("score") >= 40 then 'medium' else 'low' end)`,
    );
  });

  it('agrees with severityFor on DuckDB, NULL giving the fallback', async () => {
    const scores = [0, 39.5, 40, 59, 60, 79.99, 80, 100];
    const rows = await engine.rows(
      `select score, ${compileSeverityCase('score', BANDS)} as band, ${compileSeverityCase('null', BANDS, 'low')} as n
       from unnest([${scores.join(', ')}]::DOUBLE[]) t(score) order by score`,
    );
    expect(rows.map((r) => r['band'] ?? undefined)).toEqual(scores.map((s) => severityFor(s, BANDS)));
    expect(new Set(rows.map((r) => r['n']))).toEqual(new Set(['low']));
  });

  it('refuses empty, duplicate or non-finite bands and escapes labels', async () => {
    expect(() => normaliseBands([])).toThrow(TypeError);
    expect(() =>
      normaliseBands([
        { label: 'a', min: 1 },
        { label: 'a', min: 2 },
      ]),
    ).toThrow(/duplicate/);
    expect(() =>
      normaliseBands([
        { label: 'a', min: 1 },
        { label: 'b', min: 1 },
      ]),
    ).toThrow(/two bands/);
    expect(() => normaliseBands([{ label: 'a', min: Number.NaN }])).toThrow(TypeError);
    const [row] = await engine.rows(
      `select ${compileSeverityCase('90', [{ label: "ops' pager", min: 50 }])} as v`,
    );
    expect(row?.['v']).toBe("ops' pager");
  });
});
