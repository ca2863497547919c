/**
 * Classifies a change between two versions of one model, from their parsed definitions alone
 * (no database): `non-breaking` when the new SELECT is the old one with output columns only
 * added — every old projection kept, in order, and nothing else in the query touched — so
 * downstream tables stay valid; `breaking` for anything else (a column removed, renamed or
 * retyped, a filter, join or grouping changed, a different kind or key), so downstream rebuilds.
 */
import type { ModelDefinition } from './model-definition.js';

export type ChangeCategory = 'breaking' | 'non-breaking';

export interface ChangeClassification {
  readonly category: ChangeCategory;
  readonly reasons: readonly string[];
  readonly columnsAdded: readonly string[];
  readonly columnsRemoved: readonly string[];
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export function classifyChange(before: ModelDefinition, after: ModelDefinition): ChangeClassification {
  const breaking = (
    reasons: string[],
    added: string[] = [],
    removed: string[] = [],
  ): ChangeClassification => ({
    category: 'breaking',
    reasons,
    columnsAdded: added,
    columnsRemoved: removed,
  });
  if (before.kind !== after.kind) return breaking([`kind changed from ${before.kind} to ${after.kind}`]);
  if (before.timeColumn !== after.timeColumn) {
    return breaking([
      `time_column changed from ${before.timeColumn ?? 'none'} to ${after.timeColumn ?? 'none'}`,
    ]);
  }
  if (before.uniqueKey.join(',') !== after.uniqueKey.join(',')) return breaking(['unique_key changed']);
  if (before.language === 'typescript' || after.language === 'typescript') {
    return breaking(['a TypeScript model changed (its output cannot be compared without running it)']);
  }
  const oldNode = selectNode(before.normalized);
  const newNode = selectNode(after.normalized);
  if (oldNode === undefined || newNode === undefined) return breaking(['the query changed']);
  const oldItems = oldNode.select_list as Json[];
  const newItems = newNode.select_list as Json[];
  const oldNames = oldItems.map(columnName);
  const newNames = newItems.map(columnName);
  const removed = oldNames.filter((n) => !newNames.includes(n));
  const added = newNames.filter((n) => !oldNames.includes(n));
  const restEqual = stringifyWithout(oldNode) === stringifyWithout(newNode);
  const kept = keptInOrder(oldItems, newItems);
  if (restEqual && kept && newItems.length > oldItems.length) {
    return {
      category: 'non-breaking',
      reasons: [`adds column${added.length === 1 ? '' : 's'} ${added.join(', ')}`],
      columnsAdded: added,
      columnsRemoved: [],
    };
  }
  const reasons: string[] = [];
  if (removed.length > 0 && added.length > 0 && removed.length === added.length) {
    reasons.push(
      `renames or replaces column${removed.length === 1 ? '' : 's'} ${removed.join(', ')} → ${added.join(', ')}`,
    );
  } else {
    if (removed.length > 0)
      reasons.push(`removes column${removed.length === 1 ? '' : 's'} ${removed.join(', ')}`);
    if (added.length > 0) reasons.push(`adds column${added.length === 1 ? '' : 's'} ${added.join(', ')}`);
  }
  const changed = oldItems
    .map((item, i) => ({ item, name: oldNames[i] as string }))
    .filter(({ item, name }) => {
      const j = newNames.indexOf(name);
      return j >= 0 && JSON.stringify(newItems[j]) !== JSON.stringify(item);
    })
    .map(({ name }) => name);
  if (changed.length > 0) reasons.push(`changes the expression or type of ${changed.join(', ')}`);
  if (!restEqual) reasons.push('changes the query logic (filters, joins, grouping or sources)');
  if (reasons.length === 0) reasons.push('reorders columns');
  return breaking(reasons, added, removed);
}

function selectNode(normalized: string): { [key: string]: Json } | undefined {
  try {
    const node = JSON.parse(normalized) as Json;
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    if (node['type'] !== 'SELECT_NODE' || !Array.isArray(node['select_list'])) return undefined;
    return node;
  } catch {
    return undefined;
  }
}

function stringifyWithout(node: { [key: string]: Json }): string {
  return JSON.stringify({ ...node, select_list: null });
}

/** Every old projection appears, unchanged, in the new list and in the same order. */
function keptInOrder(oldItems: readonly Json[], newItems: readonly Json[]): boolean {
  let j = 0;
  for (const item of oldItems) {
    const text = JSON.stringify(item);
    while (j < newItems.length && JSON.stringify(newItems[j]) !== text) j++;
    if (j === newItems.length) return false;
    j++;
  }
  return true;
}

function columnName(item: Json, index: number): string {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return `#${index + 1}`;
  if (typeof item['alias'] === 'string' && item['alias'] !== '') return item['alias'];
  if (item['class'] === 'COLUMN_REF' && Array.isArray(item['column_names'])) {
    return String(item['column_names'][item['column_names'].length - 1]);
  }
  if (item['class'] === 'STAR') return '*';
  return `#${index + 1}`;
}
