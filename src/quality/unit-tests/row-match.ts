/**
 * Compares a model's output with a test's expected rows: each expected row constrains only the
 * columns it names, numbers compare by value (7.00 equals 7, with a relative tolerance of 1e-9
 * for floating-point sums), order matters only when the test says so, and a mismatch is explained
 * row by row against the closest actual row.
 */
import type { Row, SqlValue } from '../../warehouse/warehouse.js';

export interface ExpectedRow {
  readonly values: Row;
  /** The columns this row constrains (a row may name fewer columns than others). */
  readonly columns: readonly string[];
}

export interface RowComparison {
  readonly ok: boolean;
  /** Human-readable differences (empty when ok). */
  readonly diff: string;
}

export function sameValue(a: SqlValue | undefined, b: SqlValue | undefined): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  const na = asNumber(a);
  const nb = asNumber(b);
  if (na !== undefined && nb !== undefined) {
    if (Number.isNaN(na) || Number.isNaN(nb)) return Number.isNaN(na) && Number.isNaN(nb);
    if (na === nb) return true;
    return Math.abs(na - nb) <= 1e-9 * Math.max(1, Math.abs(na), Math.abs(nb));
  }
  if (typeof a === 'object' || typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return String(a) === String(b);
}

function asNumber(v: SqlValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

function matches(expected: ExpectedRow, actual: Row): boolean {
  return expected.columns.every((c) => sameValue(expected.values[c], actual[c]));
}

export function compareRows(
  expected: readonly ExpectedRow[],
  actual: readonly Row[],
  ordered: boolean,
): RowComparison {
  const lines: string[] = [];
  if (ordered) {
    const n = Math.max(expected.length, actual.length);
    for (let i = 0; i < n; i++) {
      const e = expected[i];
      const a = actual[i];
      if (e && a && matches(e, a)) continue;
      if (e && a) lines.push(`  row ${i + 1}: ${differences(e, a)}`);
      else if (e) lines.push(`${'- '}row ${i + 1} missing: ${show(e.values, e.columns)}`);
      else if (a) lines.push(`+ row ${i + 1} unexpected: ${show(a, Object.keys(a))}`);
    }
    return { ok: lines.length === 0, diff: lines.join('\n') };
  }
  const unmatched = new Set(actual.map((_, i) => i));
  const missing: ExpectedRow[] = [];
  // Rows that name more columns are matched first: they are the least ambiguous.
  const byDetail = [...expected].sort((x, y) => y.columns.length - x.columns.length);
  for (const e of byDetail) {
    const hit = [...unmatched].find((i) => matches(e, actual[i] as Row));
    if (hit === undefined) missing.push(e);
    else unmatched.delete(hit);
  }
  if (missing.length === 0 && unmatched.size === 0) return { ok: true, diff: '' };
  const columns = [...new Set(expected.flatMap((e) => e.columns))];
  lines.push(
    `expected ${expected.length} rows, got ${actual.length}: ${missing.length} expected not found, ${unmatched.size} unexpected`,
  );
  for (const e of missing) {
    const closest = closestRow(
      e,
      [...unmatched].map((i) => actual[i] as Row),
    );
    lines.push(`- ${show(e.values, e.columns)}`);
    if (closest) lines.push(`    closest actual row differs in ${differences(e, closest)}`);
  }
  for (const i of unmatched)
    lines.push(`+ ${show(actual[i] as Row, columns.length ? columns : Object.keys(actual[i] as Row))}`);
  return { ok: false, diff: lines.join('\n') };
}

function closestRow(e: ExpectedRow, candidates: readonly Row[]): Row | undefined {
  let best: Row | undefined;
  let bestScore = 0;
  for (const a of candidates) {
    const score = e.columns.filter((c) => sameValue(e.values[c], a[c])).length;
    if (score > bestScore) {
      best = a;
      bestScore = score;
    }
  }
  return best;
}

function differences(e: ExpectedRow, a: Row): string {
  return e.columns
    .filter((c) => !sameValue(e.values[c], a[c]))
    .map((c) => `${c}: expected ${formatValue(e.values[c])}, got ${formatValue(a[c])}`)
    .join('; ');
}

export function show(row: Row, columns: readonly string[]): string {
  return `{ ${columns.map((c) => `${c}: ${formatValue(row[c])}`).join(', ')} }`;
}

export function formatValue(v: SqlValue | undefined): string {
  if (v === undefined) return '(absent)';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object')
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  return String(v);
}
