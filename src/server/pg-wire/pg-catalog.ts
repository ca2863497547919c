/**
 * The catalog queries SQL clients send on connect and to list what they can read, answered from
 * the environments Slipway serves (each environment a schema; each of its models a relation
 * listed as a table, which is what it is to a reader: the view is Slipway's pointer at a physical
 * table). psql's `\dn`, `\dt`, `\d name` and the per-relation footers of `\d` are recognised by
 * the catalog tables they read; a catalog query about one of these relations that is not
 * answered here gets an empty result of the columns it asked for (policies, statistics,
 * publications, inheritance: none exist). Everything else goes to the engine, whose own
 * `information_schema` and `pg_catalog` the read sandbox lets readers query.
 */
import type { WireColumn } from './pg-messages.js';
import { formatType } from './pg-types.js';

export interface CatalogRelation {
  readonly oid: number;
  readonly name: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
}

export interface CatalogSchema {
  readonly oid: number;
  readonly name: string;
  readonly relations: readonly CatalogRelation[];
}

export interface WireResult {
  readonly columns: readonly WireColumn[];
  readonly rows: readonly (readonly (string | null)[])[];
  readonly tag: string;
}

const TEXT_OID = 25;
const OWNER = 'slipway';

/**
 * The answer to a catalog query, or undefined when `sql` is not one (the engine answers it).
 * `visible` is the schema unqualified names resolve to (the session's search path).
 */
export async function catalogAnswer(
  sql: string,
  catalog: () => Promise<readonly CatalogSchema[]>,
  visible: string,
): Promise<WireResult | undefined> {
  const text = sql.replace(/\s+/g, ' ').trim();
  if (!/\bpg_catalog\.pg_/i.test(text)) return undefined;
  const items = selectItems(text);
  const schemaPattern = regexAfter(text, /n\.nspname (?:OPERATOR\(pg_catalog\.~\)|~) '((?:[^']|'')*)'/i);
  const namePattern = regexAfter(text, /c\.relname (?:OPERATOR\(pg_catalog\.~\)|~) '((?:[^']|'')*)'/i);
  const visibleOnly = schemaPattern === undefined && /pg_table_is_visible\(c\.oid\)/i.test(text);
  const inSchema = (schema: CatalogSchema): boolean =>
    (schemaPattern ? schemaPattern.test(schema.name) : true) && (!visibleOnly || schema.name === visible);

  // \dn: the schemas.
  if (/FROM pg_catalog\.pg_namespace n\b/i.test(text) && !/pg_catalog\.pg_class/i.test(text)) {
    const schemas = (await catalog()).filter(inSchema);
    return result(
      items,
      schemas.map((schema) => ({
        name: schema.name,
        nspname: schema.name,
        owner: OWNER,
        oid: String(schema.oid),
      })),
    );
  }
  const fromClass = /FROM pg_catalog\.pg_class c\b/i.test(text);
  // \dt, \d (lists) and \d name's first step: relations by schema and name pattern.
  if (fromClass && (/ as "Schema"/i.test(text) || /^SELECT c\.oid, n\.nspname, c\.relname /i.test(text))) {
    const kinds = /c\.relkind IN \(([^)]*)\)/i.exec(text)?.[1];
    if (kinds !== undefined && !kinds.includes("'r'")) return result(items, []);
    const rows = (await catalog()).filter(inSchema).flatMap((schema) =>
      schema.relations
        .filter((relation) => (namePattern ? namePattern.test(relation.name) : true))
        .map((relation) => ({
          oid: String(relation.oid),
          nspname: schema.name,
          relname: relation.name,
          schema: schema.name,
          name: relation.name,
          type: 'table',
          owner: OWNER,
          persistence: 'permanent',
        })),
    );
    return result(items, rows);
  }
  const oid = /'(\d+)'/.exec(text)?.[1];
  const relation = oid === undefined ? undefined : findRelation(await catalog(), Number(oid));
  if (!relation) return undefined;
  // \d name, second step: the relation's kind and flags.
  if (fromClass && /c\.relkind/i.test(text) && /WHERE c\.oid = '\d+'/i.test(text)) {
    return result(items, [RELATION_FLAGS]);
  }
  // \d name, third step: the columns.
  if (/FROM pg_catalog\.pg_attribute a\b/i.test(text)) {
    return result(
      items,
      relation.columns.map((column) => ({ attname: column.name, format_type: formatType(column.type) })),
      { format_type: (item) => /format_type/i.test(item) },
    );
  }
  // Every other question about one of these relations (policies, statistics, publications,
  // inheritance, partitions…): there are none.
  return result(items, []);
}

const RELATION_FLAGS: Readonly<Record<string, string>> = {
  relchecks: '0',
  relkind: 'r',
  relhasindex: 'f',
  relhasrules: 'f',
  relhastriggers: 'f',
  relrowsecurity: 'f',
  relforcerowsecurity: 'f',
  relhasoids: 'f',
  relispartition: 'f',
  reltablespace: '0',
  relpersistence: 'p',
  relreplident: 'd',
  amname: 'heap',
  attnotnull: 'f',
  attidentity: '',
  attgenerated: '',
};

function findRelation(schemas: readonly CatalogSchema[], oid: number): CatalogRelation | undefined {
  for (const schema of schemas) {
    const relation = schema.relations.find((r) => r.oid === oid);
    if (relation) return relation;
  }
  return undefined;
}

interface SelectItem {
  /** The output column's name (alias, else the last identifier). */
  readonly name: string;
  /** The key its value is looked up by (lower case). */
  readonly key: string;
  readonly text: string;
}

/**
 * One row per entry of `rows`, one column per select item, each value looked up by the item's
 * key (a value given for a key matched by `matchers` fills every item the matcher accepts).
 */
function result(
  items: readonly SelectItem[],
  rows: readonly Readonly<Record<string, string>>[],
  matchers: Readonly<Record<string, (itemText: string) => boolean>> = {},
): WireResult {
  const columns = items.map((item) => ({ name: item.name, typeOid: TEXT_OID }));
  const values = rows.map((row) =>
    items.map((item) => {
      for (const [key, matches] of Object.entries(matchers)) {
        if (matches(item.text) && row[key] !== undefined) return row[key] ?? null;
      }
      return row[item.key] ?? RELATION_FLAGS[item.key] ?? (item.key === '' ? '' : null);
    }),
  );
  return { columns, rows: values, tag: `SELECT ${values.length}` };
}

/** The items of the first SELECT list, split at top-level commas. */
function selectItems(text: string): SelectItem[] {
  const start = /^SELECT\s+/i.exec(text);
  if (!start) return [];
  const items: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let current = '';
  for (let i = start[0].length; i < text.length; i += 1) {
    const ch = text[i] ?? '';
    if (quote) {
      current += ch;
      if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth += 1;
    else if (ch === ')') depth -= 1;
    if (depth === 0 && /^ FROM /i.test(text.slice(i, i + 6))) break;
    if (depth === 0 && ch === ',') {
      items.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim() !== '') items.push(current.trim());
  return items.map((item) => {
    const alias = /\sAS\s+(?:"([^"]+)"|([A-Za-z_][A-Za-z0-9_]*))$/i.exec(item);
    const name = alias ? (alias[1] ?? alias[2] ?? '') : (/([A-Za-z_][A-Za-z0-9_]*)$/.exec(item)?.[1] ?? '');
    const key = /^'[^']*'$/.test(item) ? '' : name.toLowerCase();
    return { name: name || '?column?', key, text: item };
  });
}

function regexAfter(text: string, pattern: RegExp): RegExp | undefined {
  const source = pattern.exec(text)?.[1];
  if (source === undefined) return undefined;
  try {
    return new RegExp(source.replaceAll("''", "'"));
  } catch {
    return /$^/;
  }
}
