/**
 * YAML with positions. Parses a YAML text (a whole file, or the header block of a SQL model that
 * starts at some line of its file) and answers "where is this path?" so that every validation
 * problem can be reported at `file:line:col`.
 */
import { CST, isMap, isPair, isScalar, isSeq, LineCounter, type Node, Parser, parseDocument } from 'yaml';
import { type core, type ZodError, type ZodType, z } from 'zod';
import { closestMatch } from '../core/did-you-mean.js';
import type { Diagnostic, SourcePosition } from '../core/errors.js';

export interface YamlSource {
  readonly file: string;
  readonly value: unknown;
  readonly diagnostics: readonly Diagnostic[];
  /** Position of the value at `path`, or of its nearest existing ancestor. */
  positionOf(path: readonly PropertyKey[]): SourcePosition;
  /** Position of the key of the entry at `path` (for "unknown key" messages). */
  keyPositionOf(path: readonly PropertyKey[]): SourcePosition;
}

export interface YamlOffset {
  /** 1-based line of the file where the YAML text starts. */
  readonly line: number;
  /** 1-based column of the file where the YAML text's first line starts. */
  readonly column: number;
}

/** Parses YAML, collecting syntax errors as diagnostics instead of throwing. */
export function parseYamlSource(
  file: string,
  text: string,
  offset: YamlOffset = { line: 1, column: 1 },
): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const toPosition = (at: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(Math.max(0, Math.min(at, text.length)));
    return { file, line: line + offset.line - 1, column: line === 1 ? col + offset.column - 1 : col };
  };
  const diagnostics: Diagnostic[] = [];
  for (const error of [...doc.errors, ...doc.warnings]) {
    // A quote left open swallows the rest of the file, and the parser notices only at its end:
    // the problem is reported where the quoted string starts.
    const opened =
      error.code === 'MISSING_CHAR' || error.code === 'BAD_INDENT'
        ? unclosedAt(text, error.pos[0])
        : undefined;
    if (opened && diagnostics.some((d) => d.message.endsWith('is never closed'))) continue;
    diagnostics.push({
      position: toPosition(opened?.offset ?? error.pos[0]),
      message: opened ? `YAML: this ${opened.what} is never closed` : `YAML: ${firstLine(error.message)}`,
      hint: error.code === 'DUPLICATE_KEY' ? 'each key may appear once' : opened?.hint,
    });
  }
  const nodeAt = (path: readonly PropertyKey[]): { node: Node | undefined; key: Node | undefined } => {
    let node: unknown = doc.contents;
    let key: Node | undefined;
    for (const step of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(step),
        );
        if (!pair) break;
        key = pair.key as Node;
        node = pair.value ?? pair.key;
      } else if (isSeq(node) && typeof step === 'number' && node.items[step] !== undefined) {
        node = node.items[step];
        key = node as Node;
      } else {
        break;
      }
    }
    return { node: node as Node | undefined, key };
  };
  return {
    file,
    value: doc.errors.length > 0 ? undefined : doc.toJS({ maxAliasCount: 100 }),
    diagnostics,
    positionOf(path) {
      const { node } = nodeAt(path);
      return toPosition(node?.range?.[0] ?? 0);
    },
    keyPositionOf(path) {
      const { key, node } = nodeAt(path);
      return toPosition((key ?? node)?.range?.[0] ?? 0);
    },
  };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/**
 * Validates `value` (or the value at `basePath` of `source`) against a zod schema and turns every
 * issue into a positioned diagnostic, with "did you mean" for unknown keys.
 */
export function validateWithSchema<T>(
  source: YamlSource,
  schema: ZodType<T>,
  value: unknown,
  basePath: readonly PropertyKey[] = [],
): { readonly data: T | undefined; readonly diagnostics: Diagnostic[] } {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return { data: result.data, diagnostics: [] };
  return { data: undefined, diagnostics: zodDiagnostics(source, result.error, basePath, schema) };
}

/**
 * What validation can go on with when a file's only schema problems are keys the schema does not
 * know (a misspelt key): the value parsed again with those keys removed, so the file's other
 * mistakes (an unknown connection, a model's reference to a source in it) are reported in the
 * same run instead of after the key is fixed. Undefined when anything else is wrong. The
 * unknown keys are still reported: callers use this only beside `validateWithSchema`.
 */
export function parsedWithoutUnknownKeys<T>(schema: ZodType<T>, value: unknown): T | undefined {
  const first = schema.safeParse(value);
  if (first.success) return first.data;
  if (!first.error.issues.every((issue) => issue.code === 'unrecognized_keys')) return undefined;
  const copy = structuredClone(value);
  for (const issue of first.error.issues) {
    let parent: unknown = copy;
    for (const key of issue.path) parent = (parent as Record<PropertyKey, unknown> | undefined)?.[key];
    if (typeof parent !== 'object' || parent === null || issue.code !== 'unrecognized_keys') return undefined;
    for (const key of issue.keys) delete (parent as Record<string, unknown>)[key];
  }
  const again = schema.safeParse(copy);
  return again.success ? again.data : undefined;
}

export function zodDiagnostics(
  source: YamlSource,
  error: ZodError,
  basePath: readonly PropertyKey[],
  schema?: ZodType,
): Diagnostic[] {
  return issueDiagnostics(source, error.issues, basePath, [], schema);
}

function issueDiagnostics(
  source: YamlSource,
  issues: readonly core.$ZodIssue[],
  basePath: readonly PropertyKey[],
  prefix: readonly PropertyKey[],
  schema: ZodType | undefined,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const issue of issues) {
    const relative = [...prefix, ...issue.path];
    const path = [...basePath, ...relative];
    const where = describePath(relative.length > 0 ? relative : path);
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the branch that came closest (fewest problems) rather than "invalid input".
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      if (best.length > 0) {
        diagnostics.push(...issueDiagnostics(source, best, basePath, relative, schema));
        continue;
      }
    }
    if (issue.code === 'unrecognized_keys') {
      const allowed = schema ? allowedKeys(schema, relative) : [];
      for (const key of issue.keys) {
        const suggestion = closestMatch(key, allowed);
        diagnostics.push({
          position: source.keyPositionOf([...path, key]),
          message: `unknown key '${key}'${where ? ` in ${where}` : ''}`,
          hint: suggestion
            ? `did you mean '${suggestion}'?`
            : allowed.length
              ? `allowed: ${allowed.join(', ')}`
              : undefined,
        });
      }
      continue;
    }
    if (
      path.length === 0 &&
      issue.code === 'invalid_type' &&
      (issue.input === null || issue.input === undefined)
    ) {
      // An empty file parses as null: say so, and what it must hold, rather than "expected object".
      const required = schema ? requiredKeys(schema) : [];
      diagnostics.push({
        position: source.positionOf([]),
        message: `${source.file} is empty`,
        hint: required.length > 0 ? `it needs ${required.map((k) => `'${k}:'`).join(', ')}` : undefined,
      });
      continue;
    }
    const missing = issue.code === 'invalid_type' && issue.input === undefined;
    diagnostics.push({
      position: missing ? source.positionOf(path.slice(0, -1)) : source.positionOf(path),
      message: missing
        ? `missing required key '${String(relative[relative.length - 1])}'${relative.length > 1 ? ` in ${describePath(relative.slice(0, -1))}` : ''}`
        : `${where ? `${where}: ` : ''}${issue.message}`,
    });
  }
  return diagnostics;
}

function describePath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

/** The keys an object schema allows at `path`, for "did you mean" hints. */
function allowedKeys(schema: ZodType, path: readonly PropertyKey[]): string[] {
  const candidates = objectsAt(schema, path);
  return [...new Set(candidates.flatMap((o) => Object.keys(o.shape)))];
}

/** The keys a top-level object schema requires (not optional), for an empty file's hint. */
function requiredKeys(schema: ZodType): string[] {
  return objectsAt(schema, []).flatMap((o) =>
    Object.entries(o.shape as Record<string, ZodType>)
      .filter(([, child]) => !child.safeParse(undefined).success)
      .map(([key]) => key),
  );
}

function objectsAt(schema: ZodType, path: readonly PropertyKey[]): z.ZodObject[] {
  const s = unwrap(schema);
  if (s instanceof z.ZodUnion || s instanceof z.ZodDiscriminatedUnion) {
    return (s.options as ZodType[]).flatMap((o) => objectsAt(o, path));
  }
  if (path.length === 0) return s instanceof z.ZodObject ? [s] : [];
  const [step, ...rest] = path;
  if (s instanceof z.ZodObject) {
    const child = (s.shape as Record<string, ZodType>)[String(step)];
    return child ? objectsAt(child, rest) : [];
  }
  if (s instanceof z.ZodArray) return objectsAt(s.element as ZodType, rest);
  if (s instanceof z.ZodRecord) return objectsAt(s.valueType as ZodType, rest);
  return [];
}

function unwrap(schema: ZodType): ZodType {
  let s = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault) {
    s = s.unwrap() as ZodType;
  }
  return s;
}

/**
 * The quoted string or flow list / map left open before `end`, from the parser's own tokens: it is
 * where such an error starts, although the parser notices it only later (at the end of the file,
 * or at the next line that is not indented for it).
 */
function unclosedAt(
  text: string,
  end: number,
): { readonly offset: number; readonly what: string; readonly hint: string } | undefined {
  let found: { offset: number; what: string; hint: string } | undefined;
  for (const token of new Parser().parse(text)) {
    if (token.type !== 'document') continue;
    CST.visit(token, (item) => {
      for (const part of [item.key, item.value]) {
        if (!part || part.offset > end) continue;
        if (part.type === 'double-quoted-scalar' || part.type === 'single-quoted-scalar') {
          const quote = part.type === 'double-quoted-scalar' ? '"' : "'";
          if (part.source.length < 2 || !part.source.trimEnd().endsWith(quote))
            found = { offset: part.offset, what: 'quoted string', hint: `end it with ${quote} on this line` };
        } else if (part.type === 'flow-collection' && part.end.length === 0) {
          const list = part.start.source === '[';
          found = {
            offset: part.offset,
            what: list ? 'list' : 'map',
            hint: `end it with ${list ? ']' : '}'} (an item on a new line must be indented past its key)`,
          };
        }
      }
    });
  }
  return found;
}
