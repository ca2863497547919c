/**
 * Turns the `checks:` lists of sources, source columns, model headers and model columns into
 * `CheckDeclaration`s, with a positioned diagnostic for each mistake (unknown check kinds with a
 * suggestion, wrong parameters, a column check used on a whole relation, a regex that does not
 * compile).
 */

import { boundsProblem, columnTypeProblem, TYPE_HINT } from '../core/column-types.js';
import { closestMatch } from '../core/did-you-mean.js';
import { looksRelative, relativeTime } from '../core/duration.js';
import type { Diagnostic } from '../core/errors.js';
import type { CheckDeclaration } from './project.js';
import {
  CHECK_KINDS,
  CHECK_PARAMS,
  type CheckKind,
  COLUMN_ONLY_CHECKS,
  RELATION_ONLY_CHECKS,
} from './schemas.js';
import { validateWithSchema, type YamlSource } from './yaml-source.js';

export interface CheckContext {
  readonly source: YamlSource;
  /** Path of the `checks` list inside the YAML document. */
  readonly path: readonly PropertyKey[];
  readonly target: string;
  readonly column: string | undefined;
  /** The column's declared type, when the project declares one. */
  readonly columnType?: string;
}

export function parseChecks(
  raw: readonly unknown[] | undefined,
  context: CheckContext,
): { readonly checks: CheckDeclaration[]; readonly diagnostics: Diagnostic[] } {
  const checks: CheckDeclaration[] = [];
  const diagnostics: Diagnostic[] = [];
  const seen = new Map<string, number>();
  (raw ?? []).forEach((entry, index) => {
    const path = [...context.path, index];
    const position = context.source.positionOf(path);
    let kindName: string;
    let params: unknown;
    if (typeof entry === 'string') {
      kindName = entry;
      params = {};
    } else if (
      typeof entry === 'object' &&
      entry !== null &&
      !Array.isArray(entry) &&
      Object.keys(entry).length === 1
    ) {
      const [key, value] = Object.entries(entry)[0] as [string, unknown];
      kindName = key;
      params = value ?? {};
    } else {
      diagnostics.push({
        position,
        message: 'a check is a name (`not_null`) or a map with one key (`range: { min: 1 }`)',
      });
      return;
    }
    if (!CHECK_KINDS.includes(kindName as CheckKind)) {
      const suggestion = closestMatch(kindName, CHECK_KINDS);
      diagnostics.push({
        position: context.source.keyPositionOf(typeof entry === 'string' ? path : [...path, kindName]),
        message: `unknown check '${kindName}'`,
        hint: suggestion ? `did you mean '${suggestion}'?` : `checks: ${CHECK_KINDS.join(', ')}`,
      });
      return;
    }
    const kind = kindName as CheckKind;
    // `unique: [a, b]` is shorthand for a composite key.
    if (kind === 'unique' && Array.isArray(params)) params = { columns: params };
    const paramsPath = typeof entry === 'string' ? path : [...path, kind];
    const { data, diagnostics: problems } = validateWithSchema(
      context.source,
      CHECK_PARAMS[kind],
      params,
      paramsPath,
    );
    diagnostics.push(...problems);
    if (!data) return;
    const values = data as Record<string, unknown>;
    if (context.column === undefined && COLUMN_ONLY_CHECKS.includes(kind)) {
      diagnostics.push({
        position,
        message: `'${kind}' checks a column: declare it under the column`,
        hint: "put it in the column's checks list",
      });
      return;
    }
    if (context.column !== undefined && RELATION_ONLY_CHECKS.includes(kind)) {
      diagnostics.push({
        position,
        message: `'${kind}' checks a whole table: declare it in the model's or source's checks`,
      });
      return;
    }
    if (kind === 'unique' && context.column === undefined && values['columns'] === undefined) {
      diagnostics.push({
        position,
        message: 'a table-level unique check names its columns: `unique: [a, b]`',
      });
      return;
    }
    if (kind === 'pattern') {
      const problem = regexProblem(String(values['regex']));
      if (problem)
        diagnostics.push({ position: context.source.positionOf([...paramsPath, 'regex']), message: problem });
    }
    const limit = values['threshold'];
    if (kind === 'query' && typeof limit === 'object' && limit !== null && 'percent' in limit) {
      diagnostics.push({
        position: context.source.positionOf([...paramsPath, 'threshold', 'percent']),
        message: "a query check's rows are its failures: there is no total to take a percent of",
        hint: 'use threshold: { rows: N }',
      });
      return;
    }
    if (
      (kind === 'range' || kind === 'length') &&
      values['min'] === undefined &&
      values['max'] === undefined
    ) {
      diagnostics.push({ position, message: `'${kind}' needs min, max or both` });
      return;
    }
    for (const side of ['min', 'max'] as const) {
      const bound = values[side];
      if (
        kind === 'range' &&
        typeof bound === 'string' &&
        looksRelative(bound) &&
        relativeTime(bound, 0) === undefined
      )
        diagnostics.push({
          position: context.source.positionOf([...paramsPath, side]),
          message: `'${bound}' is not a time relative to the run: write now, now - 7d or now + 30m`,
        });
    }
    const bounds = boundsProblem(kind, values);
    if (bounds) {
      diagnostics.push({ position, message: bounds });
      return;
    }
    const typeProblem = columnTypeProblem(kind, values, context.column ?? '', context.columnType);
    if (typeProblem) {
      diagnostics.push({ position, message: typeProblem, hint: TYPE_HINT });
      return;
    }
    const base = `${context.target}.${context.column ?? '*'}.${values['name'] ?? kind}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    checks.push({
      id: n === 1 ? base : `${base}.${n}`,
      kind,
      target: context.target,
      column: context.column,
      severity: values['severity'] === 'warn' ? 'warn' : 'error',
      params: values,
      position,
    });
  });
  return { checks, diagnostics };
}

/**
 * Engines use RE2-style regular expressions; JavaScript's parser catches almost every typo, and
 * look-around (which RE2 lacks) is rejected explicitly.
 */
function regexProblem(regex: string): string | undefined {
  try {
    new RegExp(regex, 'u');
  } catch (error) {
    return `the regex does not compile: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`;
  }
  if (/\(\?<?[=!]/.test(regex))
    return 'look-ahead and look-behind are not supported by warehouse regex engines (RE2)';
  if (/\\[1-9]/.test(regex)) return 'back-references are not supported by warehouse regex engines (RE2)';
  return undefined;
}
