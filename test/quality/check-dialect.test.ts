/** Reading DuckDB's `stats()` text: only what it states, integer bounds only for integers. */
import { describe, expect, it } from 'vitest';
import { parseDuckDbStats } from '../../src/warehouse/duckdb/duckdb-check-dialect.js';

describe('parseDuckDbStats', () => {
  it('reads integer bounds and the distinct estimate', () => {
    expect(
      parseDuckDbStats('[Min: -12, Max: 9999999][Has Null: true, Has No Null: true][Approx Unique: 812]'),
    ).toEqual({ min: -12n, max: 9999999n, distinct: 812 });
  });

  it('takes no bounds from text, floating-point or unknown statistics', () => {
    expect(
      parseDuckDbStats(
        '[Min: 12, Max: 5, Has Unicode: false, Max String Length: 2][Has Null: false, Has No Null: true][Approx Unique: 3]',
      ),
    ).toEqual({ distinct: 3 });
    expect(parseDuckDbStats('[Min: 0.0, Max: nan][Has Null: false, Has No Null: true]')).toEqual({});
    expect(parseDuckDbStats('[Has Null: true, Has No Null: true]')).toEqual({});
  });
});
