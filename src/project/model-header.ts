/**
 * The settings header of a SQL model: a block comment that opens the file with `/* @slipway` and
 * holds YAML. Being a comment, it leaves the file a valid SELECT that any SQL tool can read.
 */
import path from 'node:path';
import { parseDuration } from '../core/duration.js';
import type { Diagnostic } from '../core/errors.js';
import { parseChecks } from './parse-checks.js';
import type { CheckDeclaration, ColumnDeclaration, ModelNode } from './project.js';
import { IDENTIFIER, MAX_IDENTIFIER_LENGTH, type ModelHeader, modelHeaderSchema } from './schemas.js';
import { parseYamlSource, validateWithSchema, type YamlSource } from './yaml-source.js';

export const HEADER_MARKER = '@slipway';

export interface SplitHeader {
  readonly source: YamlSource | undefined;
  /** Offset just after the header comment (0 when there is none). */
  readonly bodyOffset: number;
  readonly diagnostics: readonly Diagnostic[];
}

export function splitModelHeader(file: string, text: string): SplitHeader {
  const open = /^\s*\/\*\s*@slipway\b[^\n]*\n?/.exec(text);
  if (!open) return { source: undefined, bodyOffset: 0, diagnostics: [] };
  const start = open[0].length;
  const close = text.indexOf('*/', start);
  if (close < 0) {
    const line = text.slice(0, open.index + open[0].indexOf('/*')).split('\n').length;
    return {
      source: undefined,
      bodyOffset: 0,
      diagnostics: [
        { position: { file, line, column: 1 }, message: 'the @slipway header comment is not closed with */' },
      ],
    };
  }
  const line = text.slice(0, start).split('\n').length;
  const source = parseYamlSource(file, text.slice(start, close), { line, column: 1 });
  return { source, bodyOffset: close + 2, diagnostics: source.diagnostics };
}

type ModelBase = Omit<ModelNode, 'references' | 'normalized'>;

/** Builds a model (without its SQL analysis) from the header's settings. */
export function modelFromHeader(
  file: string,
  text: string,
  header: SplitHeader,
): { readonly model: ModelBase | undefined; readonly diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  let settings: ModelHeader = {};
  const source = header.source;
  if (source && source.diagnostics.length === 0 && source.value != null) {
    const { data, diagnostics: problems } = validateWithSchema(source, modelHeaderSchema, source.value);
    diagnostics.push(...problems);
    // A broken header still yields the model (under its declared or file name), so that models
    // reading it are not reported as reading an unknown name as well.
    settings = data ?? fallbackSettings(source.value);
  }
  const fileName = path.basename(file, '.sql');
  const name = settings.name ?? fileName;
  const namePosition = source?.positionOf(settings.name ? ['name'] : []) ?? { file, line: 1, column: 1 };
  if (!settings.name && (!IDENTIFIER.test(name) || name.length > MAX_IDENTIFIER_LENGTH)) {
    diagnostics.push({
      position: { file, line: 1, column: 1 },
      message: `the model name '${name}' (from the file name) needs quoting in SQL`,
      hint: 'rename the file using letters, digits and _, or set `name:` in the header',
    });
    return { model: undefined, diagnostics };
  }
  const kind = settings.kind ?? 'view';
  if (kind === 'incremental' && !settings.time_column) {
    diagnostics.push({
      position: source?.positionOf(['kind']) ?? namePosition,
      message: 'an incremental model needs time_column',
      hint: 'time_column: the event-time column new rows are found by',
    });
  }
  const yaml = source as YamlSource;
  const columns: ColumnDeclaration[] = [];
  const checks: CheckDeclaration[] = [];
  for (const [column, value] of Object.entries(settings.columns ?? {})) {
    const description = typeof value === 'string' ? value : value.description;
    columns.push({ name: column, type: typeof value === 'string' ? undefined : value.type, description });
    if (typeof value !== 'string' && value.checks) {
      const parsed = parseChecks(value.checks, {
        source: yaml,
        path: ['columns', column, 'checks'],
        target: name,
        column,
        columnType: value.type,
      });
      checks.push(...parsed.checks);
      diagnostics.push(...parsed.diagnostics);
    }
  }
  if (settings.checks) {
    const parsed = parseChecks(settings.checks, {
      source: yaml,
      path: ['checks'],
      target: name,
      column: undefined,
    });
    checks.push(...parsed.checks);
    diagnostics.push(...parsed.diagnostics);
  }
  const uniqueKey = settings.unique_key === undefined ? [] : [settings.unique_key].flat();
  return {
    model: {
      type: 'model',
      language: 'sql',
      name,
      file,
      position: namePosition,
      description: settings.description,
      owner: settings.owner,
      tags: settings.tags ?? [],
      columns,
      checks,
      kind,
      text,
      bodyOffset: header.bodyOffset,
      dependsOn: [],
      timeColumn: settings.time_column,
      uniqueKey,
      lookbackMs: settings.lookback ? parseDuration(settings.lookback) : undefined,
      changeCategory: settings.change_category,
      expectedChange:
        settings.expected_change === undefined || settings.expected_change === 'none'
          ? undefined
          : Number.parseFloat(settings.expected_change) / 100,
      build: undefined,
    },
    diagnostics,
  };
}

function fallbackSettings(value: unknown): ModelHeader {
  const name = (value as { name?: unknown } | null)?.name;
  return typeof name === 'string' && IDENTIFIER.test(name) ? { name } : {};
}
