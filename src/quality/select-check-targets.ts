/**
 * Which models and sources `slipway check --select …` covers: the models the dbt-style selectors
 * pick, plus sources named directly (`card_transactions`, `+fraud_alerts` reaches sources too) or
 * by tag. No selector means every model and source.
 */
import { selectModels } from '../project/dependency-graph.js';
import type { Project } from '../project/project.js';

export function selectCheckTargets(
  project: Project,
  selectors: readonly string[],
  exclude: readonly string[] = [],
): Set<string> {
  const words = (list: readonly string[]) => list.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean);
  const sourcesOf = (list: readonly string[]): Set<string> => {
    const out = new Set<string>();
    for (const raw of words(list)) {
      if (raw.startsWith('tag:')) {
        for (const s of project.sources.values()) if (s.tags.includes(raw.slice(4))) out.add(s.name);
        continue;
      }
      const name = raw.replace(/^\+/, '').replace(/\+$/, '');
      if (project.sources.has(name)) out.add(name);
      if (raw.startsWith('+')) {
        // Upstream of a model reaches the sources it reads, directly or through other models.
        const queue = [name];
        const seen = new Set<string>();
        while (queue.length) {
          const n = queue.pop() as string;
          if (seen.has(n)) continue;
          seen.add(n);
          if (project.sources.has(n)) out.add(n);
          queue.push(...(project.models.get(n)?.dependsOn ?? []));
        }
      }
    }
    return out;
  };
  const chosen = new Set(
    selectors.length === 0
      ? [...project.models.keys(), ...project.sources.keys()]
      : [...selectModels(project, selectors), ...sourcesOf(selectors)],
  );
  if (exclude.length > 0)
    for (const n of [...selectModels(project, exclude), ...sourcesOf(exclude)]) chosen.delete(n);
  return chosen;
}
