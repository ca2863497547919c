/** Engines the unit tests may be forced onto (`slipway test --engine`), light for `--help`. */
export const UNIT_TEST_ENGINES = ['duckdb'] as const;
export type UnitTestEngineChoice = (typeof UNIT_TEST_ENGINES)[number];
