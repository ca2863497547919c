/**
 * What a project asks of its warehouses that their engines cannot do, found without connecting:
 * each connection's engine declares its capabilities in the registry (`connectionCapabilities`),
 * and `validate` reports every misfit at `file:line:col`, instead of a release failing halfway.
 * Today that is a file source (`files:`) on an engine that reads no local files (PostgreSQL).
 */
import type { Diagnostic } from '../core/errors.js';
import type { Project } from '../project/project.js';
import { connectionCapabilities } from './open-warehouse.js';

/**
 * One diagnostic per file source when some environment's warehouse cannot read local files.
 *
 * @example
 * const problems = warehouseMisfits(project);
 * if (problems.length > 0) throw new ProjectError(problems);
 */
export function warehouseMisfits(project: Pick<Project, 'config' | 'sources'>): Diagnostic[] {
  const { config } = project;
  const users = new Map<string, string[]>();
  for (const [environment, settings] of Object.entries(config.environments)) {
    const name = settings.warehouse ?? config.warehouse.default;
    users.set(name, [...(users.get(name) ?? []), environment]);
  }
  if (!users.has(config.warehouse.default)) users.set(config.warehouse.default, []);
  const blind = [...users].filter(([name]) => {
    const connection = config.warehouse.connections[name];
    return connection !== undefined && !connectionCapabilities(connection).readsLocalFiles;
  });
  const [first] = blind;
  if (first === undefined) return [];
  const [name, environments] = first;
  const engine = config.warehouse.connections[name]?.type ?? name;
  const usedBy = environments.length > 0 ? ` (environments ${environments.join(', ')})` : '';
  return [...project.sources.values()]
    .filter((source) => source.files !== undefined)
    .map((source) => ({
      position: source.position,
      message: `source '${source.name}' reads local files, which the ${engine} warehouse '${name}'${usedBy} cannot read`,
      hint: 'load the files into a table and declare the source with `table: schema.name` instead of `files:`',
    }));
}
