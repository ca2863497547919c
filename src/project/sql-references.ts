/**
 * Reads a parsed SELECT (DuckDB's serialized syntax tree) for what Slipway needs: the relations
 * it reads (excluding CTE names in scope), where each reference stands in the text, and a
 * normalized form of the statement that ignores formatting and comments (for fingerprints).
 */

export interface TableReference {
  readonly schema: string | undefined;
  readonly name: string;
  /** Character offset of the reference (its first identifier) in the parsed text. */
  readonly offset: number;
}

export interface SelectAnalysis {
  readonly references: readonly TableReference[];
  /** A stable string of the tree with source positions removed. */
  readonly normalized: string;
  /** Set when the text is not exactly one SELECT. */
  readonly problem: string | undefined;
}

const SELECT_NODE_TYPES = new Set(['SELECT_NODE', 'SET_OPERATION_NODE', 'CTE_NODE', 'RECURSIVE_CTE_NODE']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Analyses the serialized tree of one text; `byteToChar` maps the parser's byte offsets. */
export function analyzeSelect(tree: unknown, byteToChar: (byteOffset: number) => number): SelectAnalysis {
  const root = tree as Json;
  const statements = isObject(root) && Array.isArray(root['statements']) ? root['statements'] : [];
  if (statements.length !== 1) {
    return {
      references: [],
      normalized: '',
      problem:
        statements.length === 0
          ? 'the model has no SELECT statement'
          : 'a model is exactly one SELECT statement',
    };
  }
  const statement = statements[0];
  const node = isObject(statement) ? statement['node'] : undefined;
  if (!isObject(node) || typeof node['type'] !== 'string' || !SELECT_NODE_TYPES.has(node['type'])) {
    return { references: [], normalized: '', problem: 'a model is a SELECT statement' };
  }
  const references: TableReference[] = [];
  walk(node, new Set(), references, byteToChar);
  references.sort((a, b) => a.offset - b.offset);
  return { references, normalized: stableStringify(stripPositions(node)), problem: undefined };
}

function walk(
  value: Json,
  ctes: ReadonlySet<string>,
  out: TableReference[],
  byteToChar: (b: number) => number,
): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, ctes, out, byteToChar);
    return;
  }
  if (!isObject(value)) return;
  let scope = ctes;
  const cteMap = value['cte_map'];
  if (isObject(cteMap) && Array.isArray(cteMap['map']) && cteMap['map'].length > 0) {
    const names = new Set(ctes);
    for (const entry of cteMap['map']) {
      if (isObject(entry) && typeof entry['key'] === 'string') names.add(entry['key'].toLowerCase());
    }
    scope = names;
  }
  if (value['type'] === 'BASE_TABLE' && typeof value['table_name'] === 'string') {
    const schema =
      typeof value['schema_name'] === 'string' && value['schema_name'] !== ''
        ? value['schema_name']
        : undefined;
    const catalog =
      typeof value['catalog_name'] === 'string' && value['catalog_name'] !== ''
        ? value['catalog_name']
        : undefined;
    const name = value['table_name'];
    const shadowedByCte = schema === undefined && catalog === undefined && scope.has(name.toLowerCase());
    if (!shadowedByCte) {
      const location = typeof value['query_location'] === 'number' ? value['query_location'] : 0;
      out.push({
        schema: catalog ? `${catalog}.${schema ?? ''}` : schema,
        name,
        offset: byteToChar(location),
      });
    }
  }
  for (const [key, child] of Object.entries(value)) {
    if (key === 'cte_map' || child === null || typeof child !== 'object') continue;
    walk(child, scope, out, byteToChar);
  }
  // CTE bodies see the CTEs declared with them (recursive CTEs reference themselves).
  if (isObject(cteMap)) walk(cteMap, scope, out, byteToChar);
}

function stripPositions(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripPositions);
  if (!isObject(value)) return value;
  const out: { [key: string]: Json } = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === 'query_location') continue;
    out[key] = stripPositions(child);
  }
  return out;
}

function stableStringify(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(value[k] ?? null)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Length of the (possibly schema-qualified, possibly quoted) relation name starting at `offset`,
 * so a reference can be replaced in the original text.
 */
export function referenceLength(text: string, offset: number): number {
  let i = offset;
  for (;;) {
    if (text[i] === '"') {
      i++;
      while (i < text.length) {
        if (text[i] === '"' && text[i + 1] === '"') i += 2;
        else if (text[i] === '"') {
          i++;
          break;
        } else i++;
      }
    } else {
      const match = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(text.slice(i));
      if (!match) break;
      i += match[0].length;
    }
    let j = i;
    while (/\s/.test(text[j] ?? '')) j++;
    if (text[j] !== '.') break;
    j++;
    while (/\s/.test(text[j] ?? '')) j++;
    i = j;
  }
  return i - offset;
}
