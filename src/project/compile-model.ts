/**
 * Compiles a SQL model for one target: every reference to a model or source is replaced, at the
 * position the parser reported, by the relation that holds that node's data for this build (a
 * physical table, a source view, a fixture table). The rest of the text is left as written, so
 * the compiled SQL reads like the model.
 */
import type { ModelNode } from './project.js';
import { referenceLength, type TableReference } from './sql-references.js';

/** Maps a model or source name to the quoted relation that replaces it. */
export type RelationResolver = (name: string) => string;

/** Compiles a SQL model (or a stored definition of one: only its text and references are used). */
export function compileSqlModel(
  model: Pick<ModelNode, 'dependsOn' | 'text' | 'bodyOffset' | 'references'>,
  resolve: RelationResolver,
): string {
  const byLower = new Map(model.dependsOn.map((d) => [d.toLowerCase(), d]));
  return rewriteReferences(model.text, model.bodyOffset, model.references, (ref) => {
    const target = ref.schema === undefined ? byLower.get(ref.name.toLowerCase()) : undefined;
    return target === undefined ? undefined : resolve(target);
  });
}

/**
 * Replaces references in `text` (from `start`) with what `replace` returns for them; references
 * it returns undefined for are left as written.
 */
export function rewriteReferences(
  text: string,
  start: number,
  references: readonly TableReference[],
  replace: (ref: TableReference) => string | undefined,
): string {
  let out = '';
  let cursor = start;
  for (const ref of references) {
    if (ref.offset < cursor) continue;
    const replacement = replace(ref);
    if (replacement === undefined) continue;
    out += text.slice(cursor, ref.offset) + replacement;
    cursor = ref.offset + referenceLength(text, ref.offset);
  }
  return trimStatement(out + text.slice(cursor));
}

/** Drops surrounding blank space and a trailing `;` so the SELECT can be wrapped. */
export function trimStatement(sql: string): string {
  return `${sql.trim().replace(/;\s*$/, '').trimEnd()}\n`;
}
