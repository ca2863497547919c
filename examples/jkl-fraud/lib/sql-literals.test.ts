import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestEngine, type TestEngine } from './duckdb-test-engine.js';
import { quoteIdentifier, quoteString, sqlLiteral, sqlNumber } from './sql-literals.js';

describe('sql literals', () => {
  let engine: TestEngine;
  beforeAll(async () => {
    engine = await openTestEngine();
  });
  afterAll(() => engine.close());

  it('quotes plain identifiers and refuses anything else', () => {
    expect(quoteIdentifier('chargeback_rate')).toBe('"chargeback_rate"');
    for (const bad of ['', '1abc', 'a b', 'a"b', 'x; drop table t', 'a'.repeat(64)]) {
      expect(() => quoteIdentifier(bad)).toThrow(TypeError);
    }
  });

  it('escapes string literals so DuckDB reads back the same text', async () => {
    const tricky = 'O\'Brien\'s "card" -- not a comment; \\n';
    expect(quoteString("it's")).toBe("'it''s'");
    const [row] = await engine.rows(`select ${quoteString(tricky)} as v`);
    expect(row?.['v']).toBe(tricky);
    expect(() => quoteString('a\0b')).toThrow(TypeError);
  });

  it('renders finite numbers and booleans, refuses NaN and infinities', async () => {
    expect(sqlNumber(0.02)).toBe('0.02');
    expect(sqlLiteral(true)).toBe('true');
    expect(() => sqlNumber(Number.NaN)).toThrow(TypeError);
    expect(() => sqlNumber(Number.POSITIVE_INFINITY)).toThrow(TypeError);
    const [row] = await engine.rows(
      `select (${sqlLiteral(-1.5)} + 1)::DOUBLE as v, ${sqlLiteral(false)} as b`,
    );
    expect(row).toEqual({ v: -0.5, b: false });
  });
});
