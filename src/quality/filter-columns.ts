/**
 * Which one column a check's `where` reads, when it reads only one. A filter on a value column (one
 * whose rows are counted per distinct value) can then be evaluated once per value, like the checks
 * on that column, instead of row by row. The engine's own parser gives the syntax tree (DuckDB's
 * `json_serialize_sql`, as the project loader uses); a filter qualifies when every column it names
 * is the same one, unqualified, it holds no subquery, lambda or window, and every function it calls
 * is deterministic (`duckdb_functions()` stability CONSISTENT or CONSISTENT_WITHIN_QUERY). Its
 * value is then a function of that column's value alone, so per value and per row agree.
 */
import type { Warehouse } from '../warehouse/warehouse.js';
import { planningQuery } from './planning-query.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Expression classes a per-value filter may hold (anything else: not per value). */
const PLAIN_CLASSES: ReadonlySet<string> = new Set([
  'COLUMN_REF',
  'CONSTANT',
  'COMPARISON',
  'CONJUNCTION',
  'OPERATOR',
  'FUNCTION',
  'CAST',
  'CASE',
  'BETWEEN',
  'COLLATE',
]);

/**
 * For each filter text, the column it alone reads (as written, matched case-insensitively by the
 * caller); filters that read none, several, or anything not deterministic are left out.
 *
 * @example
 * await singleColumnFilters(warehouse, ["status = 'approved'", 'id < 10 and amount > 0']);
 * // Map { "status = 'approved'" => 'status' }
 */
export async function singleColumnFilters(
  warehouse: Warehouse,
  filters: readonly string[],
): Promise<ReadonlyMap<string, string>> {
  const { parseSelects } = warehouse.checkDialect;
  const found = new Map<string, string>();
  if (!parseSelects || filters.length === 0) return found;
  // Checks often share a `where`: each text is parsed once, all of them in one query.
  const distinct = [...new Set(filters)];
  const statementOf = (filter: string): string => `SELECT 1 FROM slipway_relation WHERE (${filter})`;
  const rows = await planningQuery(warehouse, parseSelects(distinct.map(statementOf)));
  const trees = new Map((rows ?? []).map((r) => [String(r['text']), r['tree']]));
  // No parse tree: the filter is evaluated row by row (and any error in it is reported there).
  const parsed = distinct.map((filter) => {
    const tree = trees.get(statementOf(filter));
    return { filter, reads: typeof tree === 'string' ? readsOf(tree) : undefined };
  });
  const functions = [...new Set(parsed.flatMap((p) => p.reads?.functions ?? []))];
  const deterministic = await deterministicFunctions(warehouse, functions);
  for (const { filter, reads } of parsed) {
    if (reads?.columns.size !== 1) continue;
    if (!reads.functions.every((f) => deterministic.has(f))) continue;
    found.set(filter, [...reads.columns][0] as string);
  }
  return found;
}

/** The columns (lower-cased) and functions a parsed filter uses; undefined when it is not plain. */
function readsOf(text: string): { columns: Set<string>; functions: string[] } | undefined {
  let tree: Json;
  try {
    tree = JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
  const statements = isObject(tree) && Array.isArray(tree['statements']) ? tree['statements'] : [];
  const statement = statements.length === 1 ? statements[0] : undefined;
  const select = isObject(statement) ? statement['node'] : undefined;
  // The filter must have stayed a WHERE condition: nothing of it may have closed the parenthesis
  // and added a GROUP BY, a set operation or a CTE around it.
  if (
    !isObject(select) ||
    select['type'] !== 'SELECT_NODE' ||
    !isEmptyList(select['group_expressions']) ||
    !isEmptyList(select['modifiers']) ||
    select['having'] !== null ||
    select['qualify'] !== null ||
    !isObject(select['cte_map']) ||
    !isEmptyList(select['cte_map']['map'])
  )
    return undefined;
  const columns = new Set<string>();
  const functions: string[] = [];
  const walk = (node: Json): boolean => {
    if (Array.isArray(node)) return node.every(walk);
    if (!isObject(node)) return true;
    const kind = node['class'];
    if (typeof kind === 'string') {
      if (!PLAIN_CLASSES.has(kind)) return false;
      if (kind === 'COLUMN_REF') {
        const names = node['column_names'];
        if (!Array.isArray(names) || names.length !== 1 || typeof names[0] !== 'string') return false;
        columns.add(names[0].toLowerCase());
      }
      if (kind === 'FUNCTION') functions.push(String(node['function_name']).toLowerCase());
    }
    return Object.values(node).every(walk);
  };
  return walk(select['where_clause'] ?? null) ? { columns, functions } : undefined;
}

/** The functions of `names` whose every overload is deterministic (within a statement at least). */
async function deterministicFunctions(
  warehouse: Warehouse,
  names: readonly string[],
): Promise<ReadonlySet<string>> {
  const { functionStability } = warehouse.checkDialect;
  if (!functionStability || names.length === 0) return new Set();
  // Unknown stability (the query failed): every filter calling a function is evaluated row by row.
  const rows = (await planningQuery(warehouse, functionStability(names))) ?? [];
  return new Set(rows.map((r) => String(r['function_name'])));
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEmptyList(value: Json | undefined): boolean {
  return Array.isArray(value) && value.length === 0;
}
