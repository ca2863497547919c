/**
 * What most commands need: the project loaded from `--project` (or the current folder), and the
 * warehouse its configuration names. The CLI is the only place concrete adapters are chosen.
 */
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { closestMatch } from '../core/did-you-mean.js';
import { InvalidArgumentError, SlipwayError } from '../core/errors.js';
import { loadProject } from '../project/load-project.js';
import type { Project } from '../project/project.js';
import { createDuckDbSqlParser } from '../warehouse/duckdb/duckdb-sql-parser.js';
import { createDuckDbWarehouse } from '../warehouse/duckdb/duckdb-warehouse.js';
import type { Warehouse } from '../warehouse/warehouse.js';

export interface GlobalOptions {
  readonly project?: string;
  readonly json?: boolean;
}

export function projectDir(options: GlobalOptions): string {
  return path.resolve(options.project ?? process.cwd());
}

export async function openProject(options: GlobalOptions): Promise<Project> {
  const parser = await createDuckDbSqlParser();
  try {
    return await loadProject(projectDir(options), { parser });
  } finally {
    await parser.close();
  }
}

/** `slipway ci`'s ephemeral environments (`ci_<sha>`), readable while they exist (`--keep`). */
export const EPHEMERAL_ENVIRONMENT = /^ci_[a-z0-9_]{1,60}$/;

/**
 * Fails with a suggestion when `environment` is not declared in slipway.yaml. Commands that only
 * read (query, check, diff) pass `ephemeral` to accept a kept `ci_<sha>` environment too.
 */
export function requireEnvironment(
  project: Project,
  environment: string,
  { ephemeral = false }: { readonly ephemeral?: boolean } = {},
): void {
  if (environment in project.config.environments) return;
  if (ephemeral && EPHEMERAL_ENVIRONMENT.test(environment)) return;
  const known = Object.keys(project.config.environments);
  const suggestion = closestMatch(environment, known);
  throw new InvalidArgumentError(`unknown environment '${environment}'`, {
    hint: suggestion
      ? `did you mean '${suggestion}'? (environments: ${known.join(', ')})`
      : `environments: ${known.join(', ')}`,
  });
}

export async function openWarehouse(
  project: Pick<Project, 'config' | 'root'>,
  {
    environment,
    readOnly = false,
    root = project.root,
  }: {
    readonly environment?: string;
    readonly readOnly?: boolean;
    /** Where relative paths resolve: the project folder (not a checked-out commit's copy). */
    readonly root?: string;
  } = {},
): Promise<Warehouse> {
  const name =
    (environment && project.config.environments[environment]?.warehouse) ?? project.config.warehouse.default;
  const connection = project.config.warehouse.connections[name];
  if (!connection) throw new InvalidArgumentError(`unknown warehouse connection '${name}'`);
  if (connection.type !== 'duckdb') {
    throw new SlipwayError(
      'invalid_argument',
      `the ${connection.type} warehouse is not available in this version`,
      {
        hint: 'use a duckdb connection',
      },
    );
  }
  const file = connection.path === ':memory:' ? ':memory:' : path.resolve(root, connection.path);
  if (file !== ':memory:') {
    if (readOnly) {
      try {
        await access(file);
      } catch {
        throw new InvalidArgumentError(
          `the warehouse ${path.relative(process.cwd(), file) || file} does not exist yet`,
          {
            hint: 'build an environment first: slipway build --env dev',
          },
        );
      }
    } else {
      await mkdir(path.dirname(file), { recursive: true });
    }
  }
  return createDuckDbWarehouse({ path: file, threads: connection.threads, readOnly });
}
