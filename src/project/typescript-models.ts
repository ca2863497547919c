/**
 * Loads `*.model.ts` files. They are compiled by esbuild (TypeScript without a build step) and
 * imported, with the bare specifier `slipway` resolved to this package so projects need no
 * node_modules of their own. The default export must be a `defineModel()` value.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic } from '../core/errors.js';
import { importTypeScriptModel } from './compile-typescript-model.js';
import { parseChecks } from './parse-checks.js';
import type { CheckDeclaration, ColumnDeclaration, ModelNode } from './project.js';
import { typescriptModelSchema } from './schemas.js';
import { parseYamlSource, zodDiagnostics } from './yaml-source.js';

export async function loadTypeScriptModel(
  root: string,
  file: string,
): Promise<{ readonly model: ModelNode | undefined; readonly diagnostics: Diagnostic[] }> {
  const at = { file, line: 1, column: 1 };
  const absolute = path.join(root, file);
  const text = await readFile(absolute, 'utf8');
  let exported: unknown;
  try {
    // esbuild is loaded only for a project that has TypeScript models.
    exported = await importTypeScriptModel(root, absolute);
  } catch (error) {
    const message = compileErrorMessage(error);
    return {
      model: undefined,
      diagnostics: [
        {
          position: at,
          message: `the TypeScript model could not be loaded: ${message}`,
          hint: message?.includes("'slipway'")
            ? 'TypeScript models are ES modules: add "type": "module" to the project\'s package.json'
            : undefined,
        },
      ],
    };
  }
  // Validate the exported object as if it were YAML at the top of the file, so problems still
  // carry a position (the file's first line: TypeScript values have no source positions here).
  const pseudo = parseYamlSource(file, '');
  const parsed = typescriptModelSchema.safeParse(exported, { reportInput: true });
  if (!parsed.success) {
    const diagnostics = zodDiagnostics(pseudo, parsed.error, [], typescriptModelSchema).map((d) => ({
      ...d,
      message: `defineModel(): ${d.message}`,
    }));
    return { model: undefined, diagnostics };
  }
  const def = parsed.data;
  const diagnostics: Diagnostic[] = [];
  const columns: ColumnDeclaration[] = [];
  const checks: CheckDeclaration[] = [];
  for (const [name, value] of Object.entries(def.columns ?? {})) {
    columns.push({
      name,
      type: typeof value === 'string' ? undefined : value.type,
      description: typeof value === 'string' ? value : value.description,
    });
    if (typeof value !== 'string' && value.checks) {
      const result = parseChecks(value.checks, {
        source: pseudo,
        path: [],
        target: def.name,
        column: name,
        columnType: typeof value === 'string' ? undefined : value.type,
      });
      checks.push(...result.checks);
      diagnostics.push(...result.diagnostics);
    }
  }
  if (def.checks) {
    const result = parseChecks(def.checks, { source: pseudo, path: [], target: def.name, column: undefined });
    checks.push(...result.checks);
    diagnostics.push(...result.diagnostics);
  }
  const build = def.build as ModelNode['build'];
  return {
    model: {
      type: 'model',
      language: 'typescript',
      name: def.name,
      file,
      position: at,
      description: def.description,
      owner: def.owner,
      tags: def.tags ?? [],
      columns,
      checks,
      kind: def.kind,
      text,
      bodyOffset: 0,
      references: [],
      dependsOn: def.inputs,
      normalized: `typescript:${createHash('sha256').update(text).digest('hex')}`,
      timeColumn: def.time_column,
      uniqueKey: def.unique_key === undefined ? [] : [def.unique_key].flat(),
      lookbackMs: undefined,
      changeCategory: undefined,
      build,
    },
    diagnostics,
  };
}

/** The first line of a failure to compile or import a model (esbuild's first error with its place). */
function compileErrorMessage(error: unknown): string {
  const errors = (
    error as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }
  ).errors;
  const first = errors?.[0];
  if (first) {
    const at = first.location
      ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: `
      : '';
    return `${at}${first.text}`;
  }
  return error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
}
