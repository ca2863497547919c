/**
 * The check compiler: turns declarations into a few queries. Every row-level check on a relation
 * (not_null, accepted_values, range, pattern, length, expression, not_null_proportion, row_count,
 * freshness) becomes a probe of that relation's `scan`, with its `where` folded into its own
 * aggregates. `unique` probes share one distinct-count query; relationships and custom queries get
 * a query each; a schema contract is judged from the described columns. Planning (`plan-checks.ts`)
 * then picks how each runs: value checks on columns with few distinct values once per value, bitmaps for
 * integer keys, range tests for dense parent keys. Identifiers are
 * quoted by the warehouse and user values are bound parameters; only the user's own SQL (`where`,
 * `expression`, `query`) is written into the statement, wrapped in parentheses.
 */

import { columnTypeProblem, TYPE_HINT } from '../core/column-types.js';
import { parseDuration, relativeTime } from '../core/duration.js';
import type { Diagnostic } from '../core/errors.js';
import { errorMessage } from '../core/errors.js';
import type { CheckDeclaration } from '../project/project.js';
import type { CheckDialect } from '../warehouse/check-dialect.js';
import { INTEGER_TYPES, TEXT_TYPES } from '../warehouse/check-dialect.js';
import { join, raw, renderSql, type SqlFragment, sql } from '../warehouse/sql-fragment.js';
import type { ColumnInfo, RelationRef, SqlValue, Warehouse } from '../warehouse/warehouse.js';
import { type CheckNode, node, type ScanProbe } from './compiled-check.js';
import { type DraftRelationship, planChecks, relationKey } from './plan-checks.js';

export interface CompileChecksRequest {
  readonly warehouse: Warehouse;
  readonly checks: readonly CheckDeclaration[];
  /** Where a check's target (a model or source name) lives for this run. */
  readonly relationOf: (target: string) => RelationRef;
  /**
   * Names a custom `query` check may read by bare name (models and sources); each is bound to
   * `relationOf(name)` for the run. Defaults to the checks' targets and relationship parents.
   */
  readonly names?: readonly string[];
  /**
   * Group value checks (and relationship children) by value when planning estimates a column has at
   * most this many distinct values (default 256; 0 = always evaluate row by row).
   */
  readonly maxGroupValues?: number;
  /** The clock `now` in a bound (`range: { min: now - 7d }`) is read from (epoch ms). */
  readonly now?: () => number;
}

/** Distinct values per column below which value checks are evaluated per value. */
export const DEFAULT_MAX_GROUP_VALUES = 256;

export interface CompiledChecks {
  /** Each node as soon as planning has chosen how it runs (none rejects); undefined when planning
   * folded it into another (a relationship answered by its child's scan). */
  readonly nodes: readonly Promise<CheckNode | undefined>[];
  /** Mistakes in the checks themselves (unknown columns, regexes the engine rejects). */
  readonly diagnostics: readonly Diagnostic[];
}

const FLOAT_TYPES = /^(FLOAT|DOUBLE|REAL|FLOAT4|FLOAT8|DOUBLE PRECISION)$/;

/** Compiles checks against the relations' real columns. */
export async function compileChecks(request: CompileChecksRequest): Promise<CompiledChecks> {
  const { warehouse, checks, relationOf } = request;
  const runStart = (request.now ?? Date.now)();
  const dialect = warehouse.checkDialect;
  const q = (name: string): SqlFragment => raw(warehouse.quoteIdentifier(name));
  const described = new Map<string, Promise<ColumnInfo[] | undefined>>();
  const describe = (ref: RelationRef): Promise<ColumnInfo[] | undefined> => {
    const key = `${ref.schema}.${ref.name}`;
    let found = described.get(key);
    if (!found) {
      found = warehouse.describe(ref);
      described.set(key, found);
    }
    return found;
  };
  const diagnostics: Diagnostic[] = [];
  /** Uniqueness checks on one integer column: a bitmap when planning finds small enough bounds. */
  const bitmapKeys = new Set<string>();
  // Relationships learn how to run once planning has read the child's and the parent's statistics.
  const nodes: (CheckNode | DraftRelationship)[] = [];
  const scans = new Map<string, { relation: RelationRef; columns: ColumnInfo[]; probes: ScanProbe[] }>();
  const queryNames = request.names ?? [
    ...new Set(
      checks.flatMap((c) => [c.target, ...(c.kind === 'relationships' ? [String(c.params['to'])] : [])]),
    ),
  ];

  // Every relation described at once (each is awaited, and its failure reported, below).
  for (const check of checks) {
    const refs = [check.target, ...(check.kind === 'relationships' ? [String(check.params['to'])] : [])];
    for (const ref of refs) describe(relationOf(ref)).catch(() => undefined);
  }
  for (const check of checks) {
    const relation = relationOf(check.target);
    const columns = await describe(relation);
    if (!columns) {
      nodes.push(
        node({
          kind: 'unrunnable',
          check,
          reason: `${relation.schema}.${relation.name} does not exist (is the environment built?)`,
        }),
      );
      continue;
    }
    const column = (name: string | undefined, what = 'column'): ColumnInfo | undefined => {
      if (name === undefined) return undefined;
      const found =
        columns.find((c) => c.name === name) ??
        columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
      if (!found) {
        diagnostics.push({
          position: check.position,
          message: `check ${check.id}: ${check.target} has no ${what} '${name}'`,
          hint: `its columns: ${columns.map((c) => c.name).join(', ')}`,
        });
      }
      return found;
    };
    const where = typeof check.params['where'] === 'string' ? raw(`(${check.params['where']})`) : undefined;
    const addProbe = (probe: ScanProbe): void => {
      const key = relationKey(relation);
      const scan = scans.get(key) ?? { relation, columns, probes: [] };
      scan.probes.push(node(probe));
      scans.set(key, scan);
    };
    const p = check.params;
    switch (check.kind) {
      case 'unique': {
        const keyNames =
          check.column !== undefined ? [check.column] : ((p['columns'] as string[] | undefined) ?? []);
        const resolved = keyNames.map((k) => column(k));
        if (resolved.some((c) => c === undefined)) continue;
        const names = resolved.map((c) => (c as ColumnInfo).name);
        const quoted = names.map((n) => q(n));
        const only = resolved.length === 1 ? (resolved[0] as ColumnInfo) : undefined;
        const ignoreRowIf = (p['ignore_row_if'] as IgnoreRowIf | undefined) ?? 'any_value_is_missing';
        if (p['ignore_row_if'] !== undefined && only) {
          diagnostics.push({
            position: check.position,
            message: `check ${check.id}: ignore_row_if applies to a key of several columns; a single column's NULLs are never compared`,
            hint: 'list the key as columns: [a, b], or remove ignore_row_if',
          });
          continue;
        }
        // A single integer key is counted with a bitmap once planning has its bounds.
        if (only && dialect.bitmapDistinct && INTEGER_TYPES.test(only.type)) bitmapKeys.add(check.id);
        addProbe({
          distinctCount: undefined,
          kind: 'distinct',
          check,
          columns: Object.freeze(names),
          key: quoted.length === 1 ? (quoted[0] as SqlFragment) : sql`row(${join(quoted, ', ')})`,
          keyNotNull: comparedKeys(quoted, ignoreRowIf),
          filter: where,
        });
        continue;
      }
      case 'relationships': {
        const info = column(check.column);
        const parent = relationOf(String(p['to']));
        const parentColumns = await describe(parent);
        if (!info) continue;
        if (!parentColumns) {
          nodes.push(
            node({ kind: 'unrunnable', check, reason: `${parent.schema}.${parent.name} does not exist` }),
          );
          continue;
        }
        const field = parentColumns.find((c) => c.name.toLowerCase() === String(p['field']).toLowerCase());
        if (!field) {
          diagnostics.push({
            position: check.position,
            message: `check ${check.id}: ${String(p['to'])} has no column '${String(p['field'])}'`,
            hint: `its columns: ${parentColumns.map((c) => c.name).join(', ')}`,
          });
          continue;
        }
        nodes.push({
          kind: 'relationship',
          check,
          relation,
          column: info.name,
          parent,
          field: field.name,
          filter: where,
          integers: INTEGER_TYPES.test(info.type) && INTEGER_TYPES.test(field.type),
        });
        continue;
      }
      case 'query':
        nodes.push(
          node({
            kind: 'custom_query',
            check,
            query: bindNames(String(p['sql']), queryNames, relationOf, warehouse),
          }),
        );
        continue;
      case 'schema':
        nodes.push(node({ kind: 'schema', check, relation, actual: Object.freeze(columns) }));
        continue;
      case 'row_count':
        addProbe({ kind: 'row_count', check, filter: where });
        continue;
      case 'freshness': {
        const info = column(typeof p['column'] === 'string' ? p['column'] : check.column, 'time column');
        if (!info) continue;
        addProbe({
          kind: 'freshness',
          check,
          value: q(info.name),
          type: info.type,
          column: info.name,
          filter: where,
          warnAfterMs: typeof p['warn_after'] === 'string' ? parseDuration(p['warn_after']) : undefined,
          errorAfterMs: typeof p['error_after'] === 'string' ? parseDuration(p['error_after']) : undefined,
        });
        continue;
      }
      case 'expression': {
        // On a column, over its non-null values (a NULL neither fails nor counts).
        const info = check.column === undefined ? undefined : column(check.column);
        if (check.column !== undefined && !info) continue;
        const failing = raw(`NOT (${String(p['sql'])})`);
        addProbe({
          kind: 'row_condition',
          check,
          failing: info ? sql`${q(info.name)} IS NOT NULL AND ${failing}` : failing,
          filter: where,
          valueColumn: undefined,
          nonNullColumn: info?.name,
        });
        continue;
      }
      default: {
        const info = column(check.column);
        if (!info) continue;
        const relative = ['min', 'max'].some(
          (side) => typeof p[side] === 'string' && relativeTime(String(p[side]), 0) !== undefined,
        );
        const typeProblem =
          check.kind === 'range' && relative && !/^(DATE|TIMESTAMP)/i.test(info.type)
            ? `a bound relative to now needs a date or timestamp column, and column ${info.name} is ${info.type}`
            : columnTypeProblem(check.kind, p, info.name, info.type);
        if (typeProblem) {
          diagnostics.push({
            position: check.position,
            message: `check ${check.id}: ${typeProblem}`,
            hint: TYPE_HINT,
          });
          continue;
        }
        addProbe({
          kind: 'row_condition',
          check,
          failing: rowFailure(check, info, q(info.name), dialect, runStart),
          filter: where,
          valueColumn: info.name,
          nonNullColumn:
            check.kind === 'not_null' || check.kind === 'not_null_proportion' ? undefined : info.name,
        });
      }
    }
  }
  // Planning reads and the regex probes are independent small queries: side by side.
  const regexProblems = regexDiagnostics(warehouse, checks, dialect);
  const planned = planChecks(
    warehouse,
    { scans: [...scans.values()], nodes, bitmapKeys },
    request.maxGroupValues ?? DEFAULT_MAX_GROUP_VALUES,
  );
  diagnostics.push(...(await regexProblems));
  return { nodes: Object.freeze(planned), diagnostics };
}

/** A UTC time written as a column of `type` reads it: a date, a time with its zone, or without. */
function timeLiteral(ms: number, type: string): string {
  const iso = new Date(ms).toISOString();
  if (/^DATE$/i.test(type)) return iso.slice(0, 10);
  return /WITH TIME ZONE|TIMESTAMPTZ/i.test(type)
    ? `${iso.slice(0, 23)}+00:00`
    : iso.slice(0, 23).replace('T', ' ');
}

type IgnoreRowIf = 'any_value_is_missing' | 'all_values_are_missing' | 'never';

/**
 * The rows a compound key compares, as Great Expectations' `ignore_row_if` names it: by default
 * (as SQL UNIQUE) a row with a NULL in any key column is not compared; `all_values_are_missing`
 * skips only rows whose key is NULL throughout, `never` skips none. Compared rows' NULLs are equal
 * to each other (both engines group and count distinct rows that way).
 */
function comparedKeys(keys: readonly SqlFragment[], ignore: IgnoreRowIf): SqlFragment {
  if (ignore === 'never') return sql`TRUE`;
  const notNull = keys.map((k) => sql`${k} IS NOT NULL`);
  return ignore === 'all_values_are_missing' ? sql`(${join(notNull, ' OR ')})` : join(notNull, ' AND ');
}

/**
 * The condition under which one row fails a column check. NULLs pass everything but not_null
 * without a guard: every condition below is NULL for a NULL value, and NULL is not counted.
 */
function rowFailure(
  check: CheckDeclaration,
  info: ColumnInfo,
  col: SqlFragment,
  dialect: CheckDialect,
  now: number,
): SqlFragment {
  const p = check.params;
  /** A bound as given, or `now ± d` as a time of the column's type at the run's clock. */
  const bound = (value: unknown): SqlFragment => {
    const at = typeof value === 'string' ? relativeTime(value, now) : undefined;
    if (at === undefined) return sql`${value as SqlValue}`;
    return sql`CAST(${timeLiteral(at, info.type)} AS ${raw(info.type)})`;
  };
  const text = TEXT_TYPES.test(info.type) ? col : dialect.asText(col);
  switch (check.kind) {
    case 'not_null':
    case 'not_null_proportion':
      return sql`${col} IS NULL`;
    case 'accepted_values': {
      const values = (p['values'] as SqlValue[]).map((v) => sql`${v}`);
      return sql`${col} NOT IN (${join(values, ', ')})`;
    }
    case 'range': {
      // Each bound inclusive unless made strict, alone (`strict_min`, `strict_max`, as Great
      // Expectations names them) or both (`inclusive: false`).
      const strictMin = p['strict_min'] ?? p['inclusive'] === false;
      const strictMax = p['strict_max'] ?? p['inclusive'] === false;
      const parts: SqlFragment[] = [];
      if (p['min'] !== undefined)
        parts.push(strictMin ? sql`${col} <= ${bound(p['min'])}` : sql`${col} < ${bound(p['min'])}`);
      if (p['max'] !== undefined)
        parts.push(strictMax ? sql`${col} >= ${bound(p['max'])}` : sql`${col} > ${bound(p['max'])}`);
      // NaN is no number in any range (DuckDB orders it above +Infinity, which would pass a min).
      if (FLOAT_TYPES.test(info.type)) parts.push(dialect.isNaN(col, info.type));
      return join(parts, ' OR ');
    }
    case 'pattern':
      return sql`NOT ${dialect.regexMatches(text, String(p['regex']))}`;
    case 'length': {
      const parts: SqlFragment[] = [];
      if (p['min'] !== undefined) parts.push(sql`${dialect.length(text)} < ${p['min'] as SqlValue}`);
      if (p['max'] !== undefined) parts.push(sql`${dialect.length(text)} > ${p['max'] as SqlValue}`);
      return join(parts, ' OR ');
    }
    default:
      throw new Error(`no row condition for ${check.kind}`);
  }
}

/**
 * Binds the bare model and source names a custom query reads: each becomes a CTE over this run's
 * relation (a CTE shadows a table of the same name), so the user's SQL runs as written.
 */
function bindNames(
  query: string,
  names: readonly string[],
  relationOf: (name: string) => RelationRef,
  warehouse: Warehouse,
): SqlFragment {
  const body = query.trim().replace(/;\s*$/, '');
  const words = new Set(body.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? []);
  const used = names.filter((n) => words.has(n.toLowerCase()));
  if (used.length === 0) return raw(body);
  const ctes = used.map(
    (n) => `${warehouse.quoteIdentifier(n)} AS (SELECT * FROM ${warehouse.quoteRelation(relationOf(n))})`,
  );
  return raw(`WITH ${ctes.join(', ')}\nSELECT * FROM (\n${body}\n) AS slipway_query`);
}

/**
 * Asks the engine itself to compile every regex once, so a pattern it rejects is reported at its
 * line: all distinct patterns in one query, and one query each only when that one fails.
 */
async function regexDiagnostics(
  warehouse: Warehouse,
  checks: readonly CheckDeclaration[],
  dialect: CheckDialect,
): Promise<Diagnostic[]> {
  const byRegex = new Map<string, CheckDeclaration[]>();
  for (const check of checks) {
    if (check.kind !== 'pattern') continue;
    const regex = String(check.params['regex']);
    byRegex.set(regex, [...(byRegex.get(regex) ?? []), check]);
  }
  if (byRegex.size === 0) return [];
  const compile = async (regexes: readonly string[]): Promise<string | undefined> => {
    const probes = regexes.map((regex) => dialect.regexMatches(sql`${''}`, regex));
    const { text, params } = renderSql(sql`SELECT ${join(probes, ', ')}`);
    try {
      await warehouse.query(text, { params });
      return undefined;
    } catch (error) {
      return errorMessage(error).split('\n')[0] ?? '';
    }
  };
  if ((await compile([...byRegex.keys()])) === undefined) return [];
  const problems = await Promise.all(
    [...byRegex].map(async ([regex, declared]): Promise<Diagnostic[]> => {
      const message = await compile([regex]);
      if (message === undefined) return [];
      return declared.map((check) => ({
        position: check.position,
        message: `check ${check.id}: the warehouse rejects the regex ${JSON.stringify(regex)}: ${message}`,
      }));
    }),
  );
  return problems.flat();
}
