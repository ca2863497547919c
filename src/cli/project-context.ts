/**
 * What most commands need: the project loaded from `--project` (or the current folder) and the
 * environment checked against it. Adapters (the parser, the warehouse) come from `src/app/`.
 */
import path from 'node:path';
import { openSqlParser } from '../app/open-sql-parser.js';
import { closestMatch } from '../core/did-you-mean.js';
import { InvalidArgumentError } from '../core/errors.js';
import { loadProject } from '../project/load-project.js';
import type { Project } from '../project/project.js';

export interface GlobalOptions {
  readonly project?: string;
  readonly json?: boolean;
}

export function projectDir(options: GlobalOptions): string {
  return path.resolve(options.project ?? process.cwd());
}

/** Where commands keep what they may compute again (`<project>/.slipway/cache`). */
export function projectCacheDir(root: string): string {
  return path.join(root, '.slipway', 'cache');
}

export async function openProject(options: GlobalOptions): Promise<Project> {
  const root = projectDir(options);
  const parser = await openSqlParser({ cacheDir: projectCacheDir(root) });
  try {
    return await loadProject(root, { parser });
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
