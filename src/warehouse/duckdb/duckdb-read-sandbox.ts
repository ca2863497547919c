/**
 * The one place that decides whether a statement is a permitted read on DuckDB. It works on the
 * tree DuckDB's own parser gives (`json_serialize_sql`), which serialises SELECT statements only:
 * every write, DDL, ATTACH/INSTALL/LOAD, COPY, PRAGMA, SET, EXPORT, CALL… is refused by the
 * engine's parser before this file looks at anything. What a SELECT may still do that a reader
 * must not is then refused here, by walking the whole tree (subqueries, CTEs, set operations,
 * expressions):
 *
 * - a table function other than a few pure generators (`read_csv`, `read_parquet`, `read_json`,
 *   `glob`, `read_text`, `query`, `query_table`, `duckdb_*`, `pragma_*`, macros… are not in it);
 * - a relation named by a string or path (`from '/etc/passwd'`, `from 'https://…'`): DuckDB's
 *   replacement scans would read the file;
 * - a relation outside the schemas the caller allows, or one that does not exist (so no
 *   replacement scan can step in), unless it names a CTE;
 * - functions that read the process or change state (`getenv`, `current_setting`, `nextval`…).
 *
 * The check is an allow-list for relations and table functions, so what a new DuckDB version
 * adds is refused until it is listed here.
 */

import { missingRelationHint } from '../missing-relation-hint.js';

/** Table functions a reader may call: they compute rows and read nothing. */
const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set(['range', 'generate_series', 'unnest']);

/** Scalar functions a reader may not call: they read the process or change state. */
const REFUSED_FUNCTIONS: ReadonlySet<string> = new Set([
  'getenv',
  'current_setting',
  'nextval',
  'currval',
  'setval',
  'setseed',
  'read_text',
  'read_blob',
  'query',
  'query_table',
  'sleep_ms',
]);

export interface ReadScope {
  /** Schemas a relation may be read from (an environment's, information_schema, pg_catalog…). */
  readonly schemas: ReadonlySet<string>;
  /** The schema unqualified names resolve to (the reader's environment). */
  readonly defaultSchema: string;
  /** Whether `schema.name` is a relation in the catalog (checked only for allowed schemas). */
  readonly exists: (schema: string, name: string) => boolean;
  /** The relations of a schema, for a missing name's "did you mean". */
  readonly relationsIn?: (schema: string) => readonly string[];
  /** The readable schemas other than `schema` that hold a relation `name`. */
  readonly elsewhere?: (schema: string, name: string) => readonly string[];
}

/** Why a read is refused, with a hint when one would help (a missing relation's near names). */
export interface ReadProblem {
  readonly message: string;
  readonly hint?: string;
}

/** Why a statement is refused, or undefined when it is a permitted read. */
export function refusedRead(tree: unknown, scope: ReadScope): ReadProblem | undefined {
  if (!isObject(tree)) return { message: 'the statement could not be parsed' };
  if (tree['error'] === true) {
    const message = String(tree['error_message'] ?? 'the statement could not be parsed');
    return {
      message: /Only SELECT/i.test(message)
        ? 'only SELECT statements are allowed (no writes, DDL, SET or PRAGMA)'
        : message,
    };
  }
  const statements = tree['statements'];
  if (!Array.isArray(statements) || statements.length !== 1) return { message: 'one statement at a time' };
  const ctes = new Set<string>();
  collectCteNames(statements[0], ctes);
  return inspect(statements[0], scope, ctes);
}

function inspect(node: unknown, scope: ReadScope, ctes: ReadonlySet<string>): ReadProblem | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const problem = inspect(item, scope, ctes);
      if (problem) return problem;
    }
    return undefined;
  }
  if (!isObject(node)) return undefined;
  if (node['type'] === 'TABLE_FUNCTION') {
    const fn = node['function'];
    const name = isObject(fn) ? String(fn['function_name'] ?? '').toLowerCase() : '';
    const schema = isObject(fn) ? String(fn['schema'] ?? '') : '';
    if (schema !== '' || !ALLOWED_TABLE_FUNCTIONS.has(name)) {
      return {
        message: `the table function ${schema ? `${schema}.` : ''}${name || '(unknown)'} is not allowed in a read (it could read files, URLs or the catalog)`,
      };
    }
  } else if (node['type'] === 'BASE_TABLE') {
    const problem = baseTableProblem(node, scope, ctes);
    if (problem) return problem;
  } else if (node['class'] === 'FUNCTION') {
    const name = String(node['function_name'] ?? '').toLowerCase();
    if (REFUSED_FUNCTIONS.has(name)) return { message: `the function ${name} is not allowed in a read` };
  }
  for (const value of Object.values(node)) {
    const problem = inspect(value, scope, ctes);
    if (problem) return problem;
  }
  return undefined;
}

function baseTableProblem(
  node: Record<string, unknown>,
  scope: ReadScope,
  ctes: ReadonlySet<string>,
): ReadProblem | undefined {
  const catalog = String(node['catalog_name'] ?? '');
  const schema = String(node['schema_name'] ?? '');
  const name = String(node['table_name'] ?? '');
  const shown = [catalog, schema, name].filter(Boolean).join('.');
  if (/[/\\:]|\.\w+$/.test(name) && schema === '') {
    return { message: `reading files or URLs is not allowed: ${JSON.stringify(name)}` };
  }
  if (catalog !== '') return { message: `other databases are not readable: ${shown}` };
  if (schema === '' && ctes.has(name.toLowerCase())) return undefined;
  const target = schema === '' ? scope.defaultSchema : schema;
  if (!scope.schemas.has(target)) return { message: `the schema ${target} is not readable here (${shown})` };
  if (!scope.exists(target, name))
    return {
      message: `no relation ${target}.${name}`,
      hint: missingRelationHint({
        schema: target,
        name,
        relations: scope.relationsIn?.(target) ?? [],
        elsewhere: scope.elsewhere?.(target, name) ?? [],
      }),
    };
  return undefined;
}

function collectCteNames(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) collectCteNames(item, into);
    return;
  }
  if (!isObject(node)) return;
  const cteMap = node['cte_map'];
  if (isObject(cteMap) && Array.isArray(cteMap['map'])) {
    for (const entry of cteMap['map']) {
      if (isObject(entry) && typeof entry['key'] === 'string') into.add(entry['key'].toLowerCase());
    }
  }
  for (const value of Object.values(node)) collectCteNames(value, into);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
