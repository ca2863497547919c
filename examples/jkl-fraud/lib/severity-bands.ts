/**
 * Severity bands: a score maps to the label of the highest band whose minimum it reaches. The same
 * bands compile to a SQL CASE expression (for models) and evaluate in TypeScript (for alert
 * routing), and both must agree; the tests check that they do.
 */
import { quoteString, sqlNumber } from './sql-literals.js';

export interface SeverityBand {
  readonly label: string;
  /** Inclusive lower bound of the band. */
  readonly min: number;
}

/** Check the bands and return them sorted from the highest minimum down. */
export function normaliseBands(bands: readonly SeverityBand[]): readonly SeverityBand[] {
  if (bands.length === 0) throw new TypeError('at least one severity band is needed');
  const labels = new Set<string>();
  const mins = new Set<number>();
  for (const band of bands) {
    if (!Number.isFinite(band.min))
      throw new TypeError(`band ${JSON.stringify(band.label)}: min must be finite`);
    if (band.label.length === 0) throw new TypeError('a band label may not be empty');
    if (labels.has(band.label)) throw new TypeError(`duplicate band label ${JSON.stringify(band.label)}`);
    if (mins.has(band.min)) throw new TypeError(`two bands start at ${band.min}`);
    labels.add(band.label);
    mins.add(band.min);
  }
  return [...bands].sort((a, b) => b.min - a.min);
}

/**
 * The band of a score, or `undefined` when it is below every band (or not a number).
 *
 * @example
 * severityFor(72, [{ label: 'medium', min: 40 }, { label: 'high', min: 60 }]) // 'high'
 */
export function severityFor(score: number, bands: readonly SeverityBand[]): string | undefined {
  if (Number.isNaN(score)) return undefined;
  return normaliseBands(bands).find((band) => score >= band.min)?.label;
}

/**
 * Compile the bands to a CASE over `scoreSql` (an already-safe SQL expression). Scores below
 * every band, and NULL scores, give `fallback` (SQL NULL when not given).
 */
export function compileSeverityCase(
  scoreSql: string,
  bands: readonly SeverityBand[],
  fallback?: string,
): string {
  const arms = normaliseBands(bands).map(
    (band) => `when (${scoreSql}) >= ${sqlNumber(band.min)} then ${quoteString(band.label)}`,
  );
  const otherwise = fallback === undefined ? 'null' : quoteString(fallback);
  return `(case ${arms.join(' ')} else ${otherwise} end)`;
}
