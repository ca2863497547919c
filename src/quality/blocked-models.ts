/**
 * What a failing source check holds back in a `run`: every model downstream of a source whose
 * error-severity check failed (or could not run) is skipped, with the reason; the rest run.
 */
import { childrenOf } from '../project/dependency-graph.js';
import type { Project } from '../project/project.js';
import { type CheckResult, isBlocking } from './check-result.js';

/**
 * Models to skip, each with the failing source checks that block it.
 *
 * @example
 * blockedModels(project, results).get('fraud_alerts') // ['card_transactions.txn_id.unique']
 */
export function blockedModels(project: Project, results: readonly CheckResult[]): Map<string, string[]> {
  const children = childrenOf(project);
  const blocked = new Map<string, string[]>();
  for (const result of results) {
    if (!isBlocking(result) || !project.sources.has(result.target)) continue;
    const queue = [...(children.get(result.target) ?? [])];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const name = queue.shift() as string;
      if (seen.has(name)) continue;
      seen.add(name);
      const reasons = blocked.get(name) ?? [];
      if (!reasons.includes(result.id)) reasons.push(result.id);
      blocked.set(name, reasons);
      queue.push(...(children.get(name) ?? []));
    }
  }
  return blocked;
}
