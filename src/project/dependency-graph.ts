/**
 * The dependency graph of models and sources: ordering, cycles, and the dbt-style selectors
 * (`model`, `model+`, `+model`, `+model+`, `tag:x`, `path:models/marts`).
 */
import { closestMatch } from '../core/did-you-mean.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { Project } from './project.js';

/** Edges map a node to the nodes it depends on. */
export type Edges = ReadonlyMap<string, readonly string[]>;

/** Kahn's algorithm; ties broken by name so the order is stable. */
export function topologicalOrder(edges: Edges): string[] {
  const remaining = new Map([...edges].map(([n, deps]) => [n, new Set(deps.filter((d) => edges.has(d)))]));
  const order: string[] = [];
  while (remaining.size > 0) {
    const ready = [...remaining]
      .filter(([, deps]) => deps.size === 0)
      .map(([n]) => n)
      .sort();
    if (ready.length === 0) break;
    for (const n of ready) {
      order.push(n);
      remaining.delete(n);
      for (const deps of remaining.values()) deps.delete(n);
    }
  }
  return order;
}

/** A cycle as a path that returns to its start (`a -> b -> a`), or undefined. */
export function findCycle(edges: Edges): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const dep of edges.get(node) ?? []) {
      if (!edges.has(dep)) continue;
      if (state.get(dep) === 'visiting') return [...stack.slice(stack.indexOf(dep)), dep];
      if (!state.has(dep)) {
        const found = visit(dep);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of [...edges.keys()].sort()) {
    if (!state.has(node)) {
      const found = visit(node);
      if (found) return found.reverse();
    }
  }
  return undefined;
}

export function childrenOf(project: Project): Map<string, string[]> {
  const children = new Map<string, string[]>(project.order.map((n) => [n, []]));
  for (const model of project.models.values()) {
    for (const parent of model.dependsOn) children.get(parent)?.push(model.name);
  }
  return children;
}

/**
 * The models a selector picks, in dependency order. Several selectors are a union; `exclude`
 * removes. No selector selects every model.
 * @example selectModels(project, ['fraud_alerts+', 'tag:reports'])
 */
export function selectModels(
  project: Project,
  selectors: readonly string[],
  exclude: readonly string[] = [],
): string[] {
  const models = [...project.models.keys()];
  const chosen = selectors.length === 0 ? new Set(models) : union(project, selectors);
  for (const name of union(project, exclude)) chosen.delete(name);
  return project.order.filter((n) => chosen.has(n) && project.models.has(n));
}

function union(project: Project, selectors: readonly string[]): Set<string> {
  const out = new Set<string>();
  const parents = new Map([...project.models.values()].map((m) => [m.name, m.dependsOn]));
  const children = childrenOf(project);
  for (const raw of selectors.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean)) {
    if (raw.startsWith('tag:')) {
      const tag = raw.slice(4);
      for (const m of project.models.values()) if (m.tags.includes(tag)) out.add(m.name);
      continue;
    }
    if (raw.startsWith('path:')) {
      const prefix = raw.slice(5).replace(/\/$/, '');
      for (const m of project.models.values())
        if (m.file === prefix || m.file.startsWith(`${prefix}/`)) out.add(m.name);
      continue;
    }
    const up = raw.startsWith('+');
    const down = raw.endsWith('+');
    const name = raw.slice(up ? 1 : 0, down ? -1 : undefined);
    if (!project.models.has(name) && !project.sources.has(name)) {
      const suggestion = closestMatch(name, [...project.models.keys(), ...project.sources.keys()]);
      throw new InvalidArgumentError(`the selector '${raw}' matches no model or source`, {
        hint: suggestion
          ? `did you mean '${suggestion}'?`
          : 'forms: model, model+, +model, tag:x, path:models/marts',
      });
    }
    out.add(name);
    if (up) walk(name, parents, out);
    if (down) walk(name, children, out);
  }
  return out;
}

function walk(start: string, next: ReadonlyMap<string, readonly string[]>, out: Set<string>): void {
  const seen = new Set<string>();
  const queue = [...(next.get(start) ?? [])];
  while (queue.length > 0) {
    const n = queue.shift() as string;
    if (seen.has(n)) continue;
    seen.add(n);
    out.add(n);
    queue.push(...(next.get(n) ?? []));
  }
}
